"""Output activity as a state signal: busy while bytes flow, idle after a quiet spell.

This is all the state a plain command has. A program that has printed nothing
yet is still ``starting``, however long that takes (a shell whose ``.bashrc``
runs for a minute has no prompt to type at), and its first output stays
``starting`` until it has settled: so ``wait_for("idle")`` after a start waits
for the first quiet prompt, not for a clock. It costs O(1) per PTY read (a
timestamp and, on the first byte after a quiet spell, one timer), so it can
sit on the hot path.
"""

from __future__ import annotations

import asyncio
import time

from jupyter_ccmanager.server.session import Session
from jupyter_ccmanager.server.state.states import BUSY, IDLE, LIVE_STATES, STARTING


class ActivityMonitor:
    """Drives ``starting → busy ⇄ idle`` from output for sessions without screen rules."""

    def __init__(self, session: Session, quiet: float = 0.5) -> None:
        self.session = session
        self.quiet = quiet
        self._last_output = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        session.output_listeners.append(self.on_output)

    def on_spawn(self) -> None:
        """A new process: ``starting`` until it prints (no timer: silence is not a prompt)."""
        self._last_output = time.monotonic()

    def on_output(self, session: Session) -> None:
        self._last_output = time.monotonic()
        if session.state.value == IDLE:
            session.state.set(BUSY)
        if self._timer is None:
            self._arm(self.quiet)

    def _arm(self, delay: float) -> None:
        self._timer = asyncio.get_running_loop().call_later(delay, self._check)

    def _check(self) -> None:
        self._timer = None
        state = self.session.state
        if state.value not in LIVE_STATES:
            return
        remaining = self.quiet - (time.monotonic() - self._last_output)
        if remaining > 0.01:
            self._arm(remaining)
        elif state.value in (STARTING, BUSY):
            state.set(IDLE)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.on_output in self.session.output_listeners:
            self.session.output_listeners.remove(self.on_output)
