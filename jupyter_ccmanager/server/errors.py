"""What the server refuses, in its own words: domain errors with stable codes.

The manager, sessions, worktrees and request parsing raise these; they know
nothing of HTTP. The handler layer maps each kind to a status
(:data:`jupyter_ccmanager.server.handlers.base.STATUS`) and answers
``{code, message}``; the WebSocket answers an ``error`` message instead.
"""

from __future__ import annotations

from typing import Any


class ManagerError(Exception):
    """A refusal a client caused or must hear about: a stable ``code`` and a human message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: Extra fields of the answer (e.g. ``files`` of a MERGE_CONFLICT).
        self.details: dict[str, Any] = {}

    def to_json(self) -> dict[str, Any]:
        return {**self.details, "code": self.code, "message": self.message}


class InvalidRequest(ManagerError):
    """The request itself is wrong: bad JSON, a wrong type, an unknown field or agent."""


class Forbidden(ManagerError):
    """Not allowed for this caller (a cwd outside the root, a wrong hook secret)."""


class NotFound(ManagerError):
    """No such session (or route)."""


class Conflict(ManagerError):
    """Not possible in the session's current state (running, taken, dirty, a limit)."""


class TooLarge(ManagerError):
    """A body or field over its size limit."""


class Busy(ManagerError):
    """Try again later: the process is not reading its input."""


class Timeout(ManagerError):
    """The wait ran out before the agent answered."""
