"""Session states and their history.

States: ``starting`` → ``idle`` ⇄ ``busy`` ⇄ ``waiting`` → ``exited``, and
``stopped`` for a session that is not running but can be resumed.

:class:`SessionState` only records transitions and tells a listener; the
signals that drive it (output activity, screen rules, agent hooks) live in
their own modules so each can be tested alone.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone

STARTING = "starting"
IDLE = "idle"
BUSY = "busy"
WAITING = "waiting"
EXITED = "exited"
STOPPED = "stopped"

STATES = (STARTING, IDLE, BUSY, WAITING, EXITED, STOPPED)
LIVE_STATES = (STARTING, IDLE, BUSY, WAITING)
DETAILS = ("permission", "question", "trust", "api_key", "login")


def utcnow_iso(ts: float | None = None) -> str:
    """ISO 8601 UTC with a Z, as every model field uses."""
    moment = datetime.fromtimestamp(ts if ts is not None else time.time(), tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SessionState:
    """The current state of one session, with a short timestamped history."""

    def __init__(
        self,
        on_change: Callable[[str, str | None], None] | None = None,
        history: int = 50,
        initial: str = STARTING,
    ) -> None:
        self.value = initial
        self.detail: str | None = None
        self.since = time.time()
        self.history: deque[dict[str, str | None]] = deque(maxlen=history)
        self.history.append({"state": initial, "detail": None, "at": utcnow_iso(self.since)})
        self._on_change = on_change

    @property
    def live(self) -> bool:
        return self.value in LIVE_STATES

    def set(self, value: str, detail: str | None = None) -> bool:
        """Move to ``value``; returns whether anything changed.

        ``exited`` and ``stopped`` are final for a process: signals arriving
        late (a hook after the process died) must not bring it back to life.
        """
        if value not in STATES:
            raise ValueError(f"unknown state {value!r}")
        if value != WAITING:
            detail = None
        if (value, detail) == (self.value, self.detail):
            return False
        if self.value in (EXITED, STOPPED) and value in LIVE_STATES and value != STARTING:
            return False
        self.value, self.detail, self.since = value, detail, time.time()
        self.history.append({"state": value, "detail": detail, "at": utcnow_iso(self.since)})
        if self._on_change is not None:
            self._on_change(value, detail)
        return True
