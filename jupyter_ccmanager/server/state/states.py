"""Session states and their history.

States: ``starting`` → ``idle`` ⇄ ``busy`` ⇄ ``waiting`` → ``exited``, and
``stopped`` for a session that is not running but can be resumed.

:class:`SessionState` only records transitions and tells a listener; the
signals that drive it (output activity, screen rules, agent hooks) live in
their own modules so each can be tested alone.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

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
        self.serial = 0  # counts transitions, so waiters can ask "what happened since?"
        self._changed: asyncio.Event | None = None
        self.since = time.time()
        self.history: deque[dict[str, Any]] = deque(maxlen=history)
        self.history.append(self._entry())
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
        self.serial += 1
        self.history.append(self._entry())
        if self._changed is not None:
            self._changed.set()
            self._changed = None
        if self._on_change is not None:
            self._on_change(value, detail)
        return True

    def _entry(self) -> dict[str, Any]:
        return {
            "state": self.value,
            "detail": self.detail,
            "at": utcnow_iso(self.since),
            "serial": self.serial,
        }

    def seen_since(self, serial: int, states: tuple[str, ...]) -> bool:
        """Whether any of ``states`` was entered after transition ``serial``."""
        return any(e["serial"] > serial and e["state"] in states for e in self.history)

    async def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds (checked after each change); False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            if self._changed is None:
                self._changed = asyncio.Event()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                return predicate()
        return True
