"""A server-side screen per session (avt), kept off the PTY → viewer path.

The emulator is asciinema's ``avt`` (Rust, through ``pyavt``); docs/screen-model.md
says why. It parses at tens of MB/s and can serialize its state as escape
sequences, which is what a late viewer is sent (:meth:`ScreenModel.snapshot`).
Still, the screen never sees bytes as they arrive: the session only marks it
dirty (O(1)), and a timer feeds it from the replay buffer in slices. During a
flood it waits for the output to pause, then catches up. Only bytes that left
the replay buffer before they were parsed make it start over (``resets``).

A screen nobody needs at the moment (a shell's, or an agent's while its hooks
say busy) is not fed as output comes: its backlog waits in the replay buffer
until a reader asks (every read catches up first) or grows to ``LAZY_LAG``, so
such a session costs no timer wake-ups.
"""

from __future__ import annotations

import asyncio
import codecs
import re
import time
from collections.abc import Callable

from avt._avt import Vt  # the package re-exports it without __all__ (mypy)

from jupyter_ccmanager.server.replay import ReplayBuffer
from jupyter_ccmanager.server.state.modes import ModeTracker

SLICE = 256 * 1024  # most bytes parsed per tick (about 10 ms)
FLOOD = 2 << 20  # behind by more than this: stop parsing until output pauses
TICK = 0.05  # seconds between feeding ticks while there is work
CATCH_UP_TICK = 0.001  # between ticks while a backlog is drained after a flood
#: Characters per ``Vt.feed_str`` call. avt hands back every line that scrolled off
#: the screen as an object; in big calls those pile up and parsing a flood of short
#: lines runs at 4 MB/s (256 Ki characters a call) instead of 17 MB/s (2 Ki), while
#: plain and coloured text parse as fast either way (benchmarks/screen_model.py).
FEED_CHARS = 2048
#: Backlog a screen nobody needs may keep unparsed: catching up on demand then costs
#: one slice at most (a snapshot for a late viewer, a ``screen`` request).
LAZY_LAG = SLICE

# avt writes 8-bit C1 controls (CSI as U+009B ...); a viewer decoding UTF-8 may
# not take those, so the snapshot uses their 7-bit ESC forms.
_C1 = {"\x9b": "\x1b[", "\x9d": "\x1b]", "\x90": "\x1bP", "\x98": "\x1bX"}
_C1_RE = re.compile("[\x9b\x9d\x90\x98]")
# avt writes extended colours with colons (``38:2:r:g:b``), which xterm.js reads
# with a colour-space slot first; the semicolon form means the same everywhere.
_SGR_RE = re.compile(r"\x1b\[([0-9;:]*:[0-9;:]*)m")


# An escape sequence still unfinished at the end of what was read: an ESC with
# intermediates, a CSI without its final byte, or a string (OSC, DCS, ...) without
# its terminator. It is held back until it is complete, so the emulator is never
# caught in the middle of one when a snapshot is taken (avt would serialize only
# the sequence's first bytes, and the viewer would read the rest as text).
_UNFINISHED = re.compile(
    rb"\x1b[\]PX^_][^\x07\x1b]*\x1b?\Z|\x1b\[[\x30-\x3f]*[\x20-\x2f]*\Z|\x1b[\x20-\x2f]*\Z"
)
HOLD = 4096  # longest unfinished sequence held back (a longer one goes through)


def _unfinished(data: bytes) -> int:
    """How many bytes at the end of ``data`` are an unfinished escape sequence."""
    window = data[-HOLD:]
    if b"\x1b" not in window:
        return 0
    match = _UNFINISHED.search(window)
    return len(window) - match.start() if match else 0


def _seven_bit(dump: str) -> str:
    dump = _C1_RE.sub(lambda m: _C1[m.group()], dump)
    return _SGR_RE.sub(lambda m: "\x1b[" + m.group(1).replace(":", ";") + "m", dump)


class ScreenModel:
    """An avt screen that knows which buffer offset it has parsed up to.

    ``generation`` counts changes (fed bytes, resets, resizes): a caller that
    remembers it can tell cheaply whether the screen may have changed since.
    """

    def __init__(self, buffer: ReplayBuffer, cols: int, rows: int) -> None:
        self.buffer = buffer
        self.cols = cols
        self.rows = rows
        self.resets = 0
        self.generation = 0
        self._start(buffer.end)  # parse only what comes after creation

    def _start(self, offset: int) -> None:
        self.vt = Vt(self.cols, self.rows, scrollback_limit=0)
        self.modes = ModeTracker()
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.offset = offset
        self._held = b""  # read, but an unfinished escape sequence (not parsed yet)
        self._lines: list[str] | None = None
        self.generation += 1

    @property
    def lag(self) -> int:
        return self.buffer.end - self.offset

    def resize(self, cols: int, rows: int) -> None:
        if (cols, rows) != (self.cols, self.rows):
            self.cols, self.rows = cols, rows
            self.vt.resize(cols, rows)
            self._changed()

    def feed(self, max_bytes: int) -> int:
        """Parse up to ``max_bytes`` more; returns how many were parsed."""
        start, data = self.buffer.read(self.offset, max_bytes)
        if start > self.offset:  # the bytes we needed are gone: start clean
            self.reset(start)
        self.offset = start + len(data)
        if data:
            data = self._held + data
            held = _unfinished(data)
            self._held = data[len(data) - held :]
            text = self.decoder.decode(data[: len(data) - held])
            if text:
                feed = self.vt.feed_str
                for at in range(0, len(text), FEED_CHARS):
                    feed(text[at : at + FEED_CHARS])
                self.modes.feed(text)
                self._changed()
        return self.offset - start

    def feed_all(self) -> None:
        """Parse everything buffered now (a snapshot or a screen request needs it)."""
        while self.lag:
            self.feed(FLOOD)

    def reset(self, offset: int) -> None:
        """Start over with a blank screen at ``offset`` (a new process, lost bytes)."""
        self._start(offset)
        self.resets += 1

    def _changed(self) -> None:
        self.generation += 1
        self._lines = None

    def lines(self) -> list[str]:
        """The screen's rows as text (right-trimmed), rendered once per change."""
        if self._lines is None:  # per row: avt's own text() joins wrapped rows
            self._lines = [line.text.rstrip() for line in self.vt.view()]
        return list(self._lines)

    def text(self, last: int | None = None) -> str:
        lines = self.lines()
        return "\n".join(lines[-last:] if last else lines)

    def cursor(self) -> dict[str, int]:
        cursor = self.vt.cursor
        return {"x": cursor.col, "y": cursor.row}

    def snapshot(self) -> tuple[int, str]:
        """``(K, text)``: escape sequences that make a freshly created terminal of
        this size show this screen as it is at buffer offset ``K`` (buffers, cursor,
        attributes, charsets, modes, title); the raw bytes from ``K`` follow it.

        It starts with RIS (``ESC c``). Bytes of a character or an escape
        sequence not yet complete are not part of the screen: ``K`` is before
        them, so the viewer gets them whole with the raw bytes.
        """
        pending = len(self._held) + len(self.decoder.getstate()[0])
        return self.offset - pending, "\x1bc" + self.modes.sequences() + _seven_bit(self.vt.dump())


class ScreenFeeder:
    """Schedules :class:`ScreenModel` parsing so it never delays PTY reads.

    ``on_output`` is what the session calls per read: it only records the
    time and arms a timer. Each tick parses at most ``SLICE`` bytes; during a
    flood ticks parse nothing until the output has paused for a tick, then the
    backlog is drained a slice per loop turn. ``on_update`` is called after
    every tick that changed the screen. ``wanted`` says whether anyone needs
    those updates as they happen; while nobody does, output arms no timer until
    the backlog reaches ``LAZY_LAG`` (``ticks`` counts the ticks, for tests).
    """

    def __init__(
        self,
        model: ScreenModel,
        on_update: Callable[[], None],
        wanted: Callable[[], bool],
    ) -> None:
        self.model = model
        self.on_update = on_update
        self.wanted = wanted
        self.ticks = 0
        self.last_output = time.monotonic()
        self._timer: asyncio.Handle | None = None
        self.closed = False

    def before_append(self, size: int) -> None:
        """A read of ``size`` bytes is about to be appended. If that would drop bytes
        the model has not parsed (a buffer smaller than a few reads, e.g. a test's),
        parse them now: a snapshot is only right if no byte was lost. Never during a
        flood, and never with the default buffer (8 MiB, far more than ``FLOOD``)."""
        model = self.model
        if not self.closed and model.lag <= FLOOD and model.lag + size > model.buffer.capacity:
            model.feed_all()

    def on_output(self, *_: object) -> None:
        self.last_output = time.monotonic()
        if self.closed:
            return
        model = self.model
        if model.buffer.capacity // 2 <= model.lag <= FLOOD:
            # A small replay buffer would drop these bytes before the next tick
            # (and a snapshot is only right if none is lost): parse on the next
            # loop turn, still outside this read.
            if self._timer is not None:
                self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_soon(self._tick)
        elif self._timer is None and (model.lag >= LAZY_LAG or self.wanted()):
            self._timer = asyncio.get_running_loop().call_later(TICK, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self.ticks += 1
        if self.closed:
            return
        model = self.model
        flooding = model.lag > FLOOD and time.monotonic() - self.last_output < TICK
        if not flooding:
            model.feed(SLICE)
            self.on_update()
        if model.lag:
            delay = TICK if flooding or model.lag <= SLICE else CATCH_UP_TICK
            self._timer = asyncio.get_running_loop().call_later(delay, self._tick)

    def catch_up(self) -> None:
        """Bring the screen up to date now (for a ``screen`` request or a snapshot)."""
        self.model.feed_all()

    def close(self) -> None:
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
