"""A server-side screen per session (pyte), kept off the PTY → viewer path.

pyte parses about 1 MB/s in pure Python, while a PTY can produce hundreds of
MB/s. So the screen never sees bytes as they arrive: the session only marks
it dirty (O(1)), and a timer feeds it from the replay buffer in small slices.
When it falls far behind (a flood) it does not try to keep up: it waits until
the output pauses, then resets and parses only the tail, which is all a state
rule or a ``screen`` request needs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pyte

from jupyter_ccmanager.server.replay import ReplayBuffer

SLICE = 16 * 1024  # most bytes parsed per tick while keeping up
FLOOD = 64 * 1024  # behind by more than this: stop parsing until output pauses
TAIL = 32 * 1024  # bytes re-parsed after a reset
TICK = 0.05  # seconds between feeding ticks while there is work


class ScreenModel:
    """A pyte screen that knows which buffer offset it has parsed up to."""

    def __init__(self, buffer: ReplayBuffer, cols: int, rows: int) -> None:
        self.buffer = buffer
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.offset = buffer.end  # parse only what comes after creation
        self.resets = 0

    @property
    def lag(self) -> int:
        return self.buffer.end - self.offset

    def resize(self, cols: int, rows: int) -> None:
        self.screen.resize(lines=rows, columns=cols)

    def feed(self, max_bytes: int) -> int:
        """Parse up to ``max_bytes`` more; returns how many were parsed."""
        start, data = self.buffer.read(self.offset, max_bytes)
        if start > self.offset:  # the bytes we needed are gone: start clean
            self.reset(start)
        if data:
            self.stream.feed(data)
        self.offset = start + len(data)
        return len(data)

    def reset(self, offset: int) -> None:
        self.screen.reset()
        self.stream = pyte.ByteStream(self.screen)
        self.offset = offset
        self.resets += 1

    def jump_to_tail(self) -> None:
        """Forget the backlog and parse only its tail: at most ``TAIL`` bytes, from a
        line boundary one screenful of lines back (all a screen can show anyway;
        re-parsing 32 KiB of short lines cost ~10,000 pyte scrolls)."""
        start, data = self.buffer.tail(TAIL)
        cut = len(data)
        for _ in range(self.screen.lines):
            cut = data.rfind(b"\n", 0, cut)
            if cut < 0:
                break
        self.reset(start + cut + 1)  # cut == -1: the whole tail
        self.feed(TAIL)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self, last: int | None = None) -> str:
        lines = self.lines()
        return "\n".join(lines[-last:] if last else lines)

    def cursor(self) -> dict[str, int]:
        return {"x": self.screen.cursor.x, "y": self.screen.cursor.y}


class ScreenFeeder:
    """Schedules :class:`ScreenModel` parsing so it never delays PTY reads.

    ``on_output`` is what the session calls per read: it only records the
    time and arms a timer. Each tick parses at most ``SLICE`` bytes; during a
    flood ticks parse nothing until the output has paused for a tick.
    ``on_update`` is called after every tick that changed the screen.
    """

    def __init__(self, model: ScreenModel, on_update: Callable[[], None]) -> None:
        self.model = model
        self.on_update = on_update
        self.last_output = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False

    def on_output(self, *_: object) -> None:
        self.last_output = time.monotonic()
        if self._timer is None and not self.closed:
            self._timer = asyncio.get_running_loop().call_later(TICK, self._tick)

    def _tick(self) -> None:
        self._timer = None
        if self.closed:
            return
        model = self.model
        if model.lag > FLOOD:
            if time.monotonic() - self.last_output < TICK:
                self._rearm()  # still flooding: parse nothing yet
                return
            model.jump_to_tail()
        else:
            model.feed(SLICE)
        self.on_update()
        if model.lag:
            self._rearm()

    def _rearm(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(TICK, self._tick)

    def catch_up(self) -> None:
        """Bring the screen up to date now (for a ``screen`` request)."""
        if self.model.lag > FLOOD:
            self.model.jump_to_tail()
        while self.model.lag:
            self.model.feed(FLOOD)

    def close(self) -> None:
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
