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
        self._printed = False  # has the program itself printed since it started?
        self._echo = b""  # what the terminal will echo of input typed while starting
        self._read_at = session.buffer.end
        session.output_listeners.append(self.on_output)
        session.input_listeners.append(self.on_input)

    def on_spawn(self) -> None:
        """A new process: ``starting`` until it prints (no timer: silence is not a prompt)."""
        self._last_output = time.monotonic()
        self._printed, self._echo, self._read_at = False, b"", self.session.buffer.end

    def on_output(self, session: Session) -> None:
        self._last_output = time.monotonic()
        state = session.state.value
        if state == STARTING and not self._printed:
            self._printed = self._program_printed(session)
            if not self._printed:
                return  # only the terminal echoing keys typed ahead
        elif state == IDLE:
            session.state.set(BUSY)
        if self._timer is None:
            self._arm(self.quiet)

    def _program_printed(self, session: Session) -> bool:
        """Whether the new output holds more than the echo of keys typed ahead.

        While a shell's ``.bashrc`` runs, the terminal itself echoes what is
        typed (``s.send("ls\\r")`` right after the start): that is no sign of
        a prompt, and taking it for one made ``idle`` come a minute early.
        """
        start, data = session.buffer.read(self._read_at, 1 << 16)
        self._read_at = start + len(data)
        echo = self._echo
        common = 0
        while common < min(len(echo), len(data)) and echo[common] == data[common]:
            common += 1
        self._echo = echo[common:]
        return common < len(data)

    def on_input(self, session: Session, data: bytes) -> None:
        """Enter typed at an idle program: busy from now, not from its first echo,
        so ``send("ls\\r")`` then ``wait_for("idle")`` waits for the answer."""
        state = session.state.value
        if state == STARTING and not self._printed:
            # a terminal in its default mode echoes Enter as CR LF
            self._echo = (self._echo + data.replace(b"\r", b"\r\n"))[-4096:]
        elif state in (IDLE, STARTING) and (b"\r" in data or b"\n" in data):
            # (starting, it has printed: Enter at its first prompt is work, not start-up)
            self._last_output = time.monotonic()
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
        elif state.value == BUSY or (state.value == STARTING and self._printed):
            state.set(IDLE)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.on_output in self.session.output_listeners:
            self.session.output_listeners.remove(self.on_output)
        if self.on_input in self.session.input_listeners:
            self.session.input_listeners.remove(self.on_input)
