"""Typed exceptions for the kernel-side API.

The server answers every failure with JSON ``{code, message}`` and an HTTP
status. Callers branch on *what* went wrong (no such session, too many
sessions, a timeout), not on status numbers, so each common ``code`` maps to
its own class; every class keeps the server's ``code``, ``message`` and
``status`` so nothing the server said is lost. Unknown codes still raise the
base class, carrying their code, which keeps old clients working against
newer servers.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "AgentNotFound",
    "AnswerChanged",
    "CCManagerError",
    "ConnectionFailed",
    "InvalidChoice",
    "InvalidRequest",
    "LimitExceeded",
    "MergeConflict",
    "NotAWorktree",
    "NotWaiting",
    "NothingToCommit",
    "NothingToMerge",
    "PermissionDenied",
    "ServerNotFound",
    "SessionEnded",
    "SessionNotFound",
    "TargetDirty",
    "Timeout",
    "WorktreeDirty",
]


class CCManagerError(Exception):
    """Any failure reported by (or while reaching) the jupyter_ccmanager server.

    ``code`` is the server's stable machine-readable code (``"NOT_FOUND"``,
    ``"MAX_SESSIONS"``...), ``message`` its human sentence, ``status`` the HTTP
    status (``None`` for failures that never got an HTTP answer).
    """

    default_code = "ERROR"

    def __init__(
        self,
        code: str | None,
        message: str,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message
        self.status = status
        #: Further fields of the server's answer (``files`` of a merge conflict).
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"status={self.status!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions cross process boundaries (multiprocessing, ipyparallel);
        # the default reduce would call __init__ with the message only.
        return (type(self), (self.code, self.message, self.status, self.details))


class SessionNotFound(CCManagerError, LookupError):
    """No session has that id (or name or key, for :func:`get`)."""

    default_code = "NOT_FOUND"


class LimitExceeded(CCManagerError):
    """A configured limit (``max_sessions``, ``max_sessions_per_user``) is reached.

    Stop or delete a session, then try again.
    """

    default_code = "MAX_SESSIONS"


class InvalidRequest(CCManagerError, ValueError):
    """The server rejected the arguments (bad name, cwd outside the root...)."""

    default_code = "BAD_REQUEST"


class AgentNotFound(CCManagerError):
    """The requested agent's program (e.g. the ``claude`` CLI) is not installed."""

    default_code = "AGENT_NOT_FOUND"


class PermissionDenied(CCManagerError, PermissionError):
    """The token was missing, wrong, or lacks the ``terminals`` permission."""

    default_code = "FORBIDDEN"


class Timeout(CCManagerError, TimeoutError):
    """A wait (``wait_for``, ``prompt``, an HTTP request) ran out of time.

    Also a :class:`TimeoutError`, so ``except TimeoutError`` keeps working.
    """

    default_code = "TIMEOUT"


class SessionEnded(CCManagerError):
    """The session exited or was stopped while waiting for another state.

    ``state`` is the state it ended in; waiting on would only run into the
    timeout, so :meth:`Session.wait_for` gives up at once.
    """

    default_code = "SESSION_ENDED"

    def __init__(
        self,
        code: str | None,
        message: str,
        status: int | None = None,
        state: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(code, message, status, details)
        self.state = state

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.message, self.status, self.state))


class NotAWorktree(CCManagerError):
    """Diff, commit and merge need a session created with ``worktree=True``."""

    default_code = "NOT_A_WORKTREE"


class NothingToCommit(CCManagerError):
    """The worktree has no changes to commit."""

    default_code = "NOTHING_TO_COMMIT"


class NothingToMerge(CCManagerError):
    """The target branch already has every commit of the session."""

    default_code = "NOTHING_TO_MERGE"


class WorktreeDirty(CCManagerError):
    """The session's worktree has uncommitted changes (commit them, or merge with commit=True)."""

    default_code = "WORKTREE_DIRTY"


class TargetDirty(CCManagerError):
    """The checkout of the target branch has uncommitted changes the merge would overwrite."""

    default_code = "TARGET_DIRTY"


class MergeConflict(CCManagerError):
    """The session's work conflicts with the target branch; nothing was changed.

    ``files`` lists the conflicting paths.
    """

    default_code = "MERGE_CONFLICT"

    @property
    def files(self) -> list[str]:
        return [str(f) for f in self.details.get("files") or []]


class NotWaiting(CCManagerError):
    """The session is not waiting for an answer (any more): someone else answered first."""

    default_code = "NOT_WAITING"


class AnswerChanged(NotWaiting):
    """The agent asks something else now than the question being answered."""

    default_code = "ANSWER_CHANGED"


class InvalidChoice(InvalidRequest):
    """The choice is none of the options the pending question offers."""

    default_code = "INVALID_CHOICE"


class ServerNotFound(CCManagerError):
    """No Jupyter server running jupyter_ccmanager could be found from here."""

    default_code = "SERVER_NOT_FOUND"


class ConnectionFailed(CCManagerError, ConnectionError):
    """The server could not be reached (refused, DNS, TLS, reset...)."""

    default_code = "CONNECTION_FAILED"


_BY_CODE: dict[str, type[CCManagerError]] = {
    "NOT_FOUND": SessionNotFound,
    "SESSION_NOT_FOUND": SessionNotFound,
    "MAX_SESSIONS": LimitExceeded,
    "MAX_SESSIONS_PER_USER": LimitExceeded,
    "BAD_REQUEST": InvalidRequest,
    "UNKNOWN_FIELD": InvalidRequest,
    "PAYLOAD_TOO_LARGE": InvalidRequest,
    "NAME_TAKEN": InvalidRequest,
    "CWD_OUTSIDE_ROOT": InvalidRequest,
    "UNKNOWN_AGENT": InvalidRequest,
    "NOT_A_GIT_REPO": InvalidRequest,
    "NOT_RUNNING": SessionEnded,
    "NOT_A_WORKTREE": NotAWorktree,
    "NOTHING_TO_COMMIT": NothingToCommit,
    "NOTHING_TO_MERGE": NothingToMerge,
    "WORKTREE_DIRTY": WorktreeDirty,
    "TARGET_DIRTY": TargetDirty,
    "MERGE_CONFLICT": MergeConflict,
    "NOT_WAITING": NotWaiting,
    "ANSWER_CHANGED": AnswerChanged,
    "INVALID_CHOICE": InvalidChoice,
    "AGENT_NOT_FOUND": AgentNotFound,
    "TIMEOUT": Timeout,
    "UNAUTHORIZED": PermissionDenied,
    "FORBIDDEN": PermissionDenied,
    "SESSION_ENDED": SessionEnded,
    "SERVER_NOT_FOUND": ServerNotFound,
    "CONNECTION_FAILED": ConnectionFailed,
    "EXTENSION_NOT_ENABLED": ServerNotFound,
}

# Used only when a body carries no code (a proxy's HTML page, Jupyter's own
# ``{"message", "reason"}`` errors raised before our handlers run).
_CODE_BY_STATUS: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    504: "TIMEOUT",
}


def error_class(code: str) -> type[CCManagerError]:
    """The exception class for a server ``code`` (``INVALID_*`` are bad requests)."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code.startswith("INVALID_"):
        return InvalidRequest
    return CCManagerError


def make_error(
    code: str, message: str, status: int | None = None, details: dict[str, Any] | None = None
) -> CCManagerError:
    """Build the typed exception for ``code``."""
    return error_class(code)(code, message, status, details=details)


def error_from_response(
    status: int, body: bytes | str | None, url: str = "", reason: str = ""
) -> CCManagerError:
    """Turn an HTTP error answer into the matching typed exception.

    Accepts our ``{code, message}`` bodies and degrades gracefully for
    anything else: a 404 without a code at the API root most likely means the
    server extension is not enabled, which is worth saying.
    """
    data: Any = None
    if body:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
    code = message = None
    details: dict[str, Any] = {}
    if isinstance(data, dict):
        details = {k: val for k, val in data.items() if k not in ("code", "message", "reason")}
        code = data.get("code") if isinstance(data.get("code"), str) else None
        raw_message = data.get("message") or data.get("reason")
        message = str(raw_message) if raw_message else None
    if status == 404 and code is None:
        # Our handlers always send a code; a bare 404 comes from Jupyter's
        # router, i.e. the extension is not loaded there (or the URL is wrong).
        code = "EXTENSION_NOT_ENABLED"
        message = (
            f"HTTP 404 from {url or 'the server'}: is the jupyter_ccmanager server "
            "extension enabled there (jupyter server extension list)?"
        )
    if not message:
        message = f"HTTP {status} {reason}".strip()
        if url:
            message += f" from {url}"
    if code is None:
        code = _CODE_BY_STATUS.get(status, f"HTTP_{status}")
    return make_error(code, message, status, details)
