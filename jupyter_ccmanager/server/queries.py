"""Terminal queries a session's process asked, and which viewer input answers them.

Programs ask their terminal things (cursor position, device attributes, colours,
modes...) by writing escape sequences; the terminal answers by *typing* the answer.
Here every viewer's xterm.js is a terminal, and each one answers every query it
parses, including queries in replayed history (asked long ago, maybe answered
then) and the same live query once per viewer. Only the first answer to a query
that is still open may reach the process; the rest would be garbage input
(a Claude prompt full of ``^[[?1;2c``).

:class:`QueryTracker` notes the queries in the session's output as it is read
(one C-speed regex scan per read, sequences split across reads included) and
filters input from viewers: an answer passes only while a query of its kind is
open, and consumes it; every other byte passes unchanged and in order. Queries
close when answered, or after :attr:`QueryTracker.lifetime` seconds (a program
that got no answer by then has given up, and a late answer would be typed into
whatever it does next), and at most :data:`MAX_OPEN` stay open per kind.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_ccmanager.server.replay import ReplayBuffer

#: What identifies a query and its answers: a kind, with the mode or colour asked for.
Key = tuple[str, int]

MAX_OPEN = 16  # open queries kept per kind
MARK_EVERY = 0.1  # seconds of output one read-time note covers (OutputQueries)
MAX_SCAN = 1 << 20  # most output bytes scanned back from the end when an answer arrives
MAX_QUERY = 300  # longest query recognised (a longer one is not a query we know)

#: Queries in output. CSI: prefix, params, ``$``, final. OSC: code, body. DCS: ``$`` or ``+``.
_QUERY = re.compile(
    rb"\x1b\[([?>=]?)([0-9;]{0,32})(\$?)([cnqptu])"
    rb"|\x1b\](4|1[0-9]|52);([^\x07\x1b]{0,256})(?:\x07|\x1b\\)"
    rb"|\x1bP([$+])q[^\x1b]{0,256}\x1b\\"
)

#: Where a query may start: the same shapes, written so that the regex engine rejects the
#: common sequences (colours, cursor moves) fast; only these are matched in detail.
_CANDIDATE = re.compile(
    rb"\x1b\[[0-9;]*[cnqptu]|\x1b\[[?>=][0-9;]*\$?[cnqptu]|\x1b\[[0-9;]*\$p"
    rb"|\x1b\](?:4|1[0-9]|52);|\x1bP[$+]q"
)

#: Answers in input. A bracketed paste is matched whole so nothing in it counts.
_ANSWER = re.compile(
    rb"\x1b\[200~.*?(?:\x1b\[201~|\Z)"
    rb"|\x1b\[([?>]?)([0-9;:]{0,64})(\$?)([cnRyut])"
    rb"|\x1b\]([0-9]+|[Ll])([^\x07\x1b]{0,4096})(?:\x07|\x1b\\)"
    rb"|\x1bP([^\x1b]{0,4096})\x1b\\",
    re.S,
)

#: Window-op reports (``CSI Ps ; ... t``) by their first parameter → the query they answer.
_WINOP_ANSWERS = {1: 11, 2: 11, 3: 13, 4: 14, 5: 15, 6: 16, 8: 18, 9: 19}
_WINOP_QUERIES = frozenset({11, 13, 14, 15, 16, 18, 19, 20, 21})
_DA = {b"": "da1", b">": "da2", b"=": "da3"}  # device attributes, primary to tertiary


def _params(raw: bytes) -> list[int]:
    return [int(p) if p.isdigit() else 0 for p in re.split(rb"[;:]", raw)] if raw else []


def _query_keys(m: re.Match[bytes]) -> Iterator[Key]:
    """The kinds of query one output match asks (an OSC may ask several)."""
    if m.group(4) is not None:
        prefix, raw, dollar, final = m.group(1), m.group(2), m.group(3), m.group(4)
        params = _params(raw)
        first = params[0] if params else 0
        if dollar:
            if final == b"p" and params:
                yield ("decrqm" + prefix.decode(), first)
            return
        if final == b"c" and first == 0 and len(params) <= 1 and prefix in _DA:
            yield (_DA[prefix], 0)
        elif final == b"n" and prefix == b"" and first in (5, 6):
            yield ("dsr" if first == 5 else "cpr", 0)
        elif final == b"n" and prefix == b"?" and params:
            yield ({6: ("xcpr", 0), 996: ("scheme", 0)}.get(first, ("dsr?", 0)))
        elif final == b"q" and prefix == b">" and first == 0:
            yield ("xtversion", 0)
        elif final == b"t" and prefix == b"" and first in _WINOP_QUERIES and len(params) <= 2:
            yield ("winop", first)
        elif final == b"u" and prefix == b"?" and not raw:
            yield ("kitty", 0)
    elif m.group(5) is not None:
        code, items = int(m.group(5)), m.group(6).split(b";")
        if code == 4:  # OSC 4 ; index ; ? [; index ; ?]...
            for index, spec in zip(items[::2], items[1::2], strict=False):
                if spec == b"?" and index.isdigit():
                    yield ("osc4", int(index))
        elif code == 52:
            if items[-1:] == [b"?"]:
                yield ("osc", 52)
        else:  # OSC 10 ; ? ; ? asks for 10 and 11 (dynamic colours count up)
            for i, item in enumerate(items):
                if item == b"?":
                    yield ("osc", code + i)
    elif m.group(7) is not None:
        yield ("decrqss" if m.group(7) == b"$" else "xtgettcap", 0)


def _answer_key(m: re.Match[bytes]) -> Key | None:
    """The kind of query one input match answers; None for anything else (keys, mouse, paste)."""
    if m.group(4) is not None:
        prefix, raw, dollar, final = m.group(1), m.group(2), m.group(3), m.group(4)
        params = _params(raw)
        first = params[0] if params else 0
        if dollar:
            return ("decrqm" + prefix.decode(), first) if final == b"y" and params else None
        if final == b"c" and prefix:
            return ("da1" if prefix == b"?" else "da2", 0)
        if final == b"n" and prefix == b"" and raw in (b"0", b"3"):
            return ("dsr", 0)
        if final == b"n" and prefix == b"?" and params:
            return ("scheme", 0) if first == 997 else ("dsr?", 0)
        if final == b"R" and len(params) == 2:
            # Also what xterm.js sends for Shift/Ctrl/Alt+F3 (CSI 1;mod R): indistinguishable
            # from a cursor report, so it passes only while a cursor query is open.
            return ("cpr" if prefix == b"" else "xcpr", 0)
        if final == b"t" and prefix == b"" and first in _WINOP_ANSWERS:
            return ("winop", _WINOP_ANSWERS[first])
        if final == b"u" and prefix == b"?":
            return ("kitty", 0)  # kitty key events (CSI code;mods u) have no "?"
        return None
    if m.group(5) is not None:
        code, body = m.group(5), m.group(6)
        if code in (b"L", b"l"):
            return ("winop", 20 if code == b"L" else 21)
        items = body.split(b";")
        if code == b"4" and len(items) >= 3 and items[1].isdigit() and b"?" not in body:
            return ("osc4", int(items[1]))
        if (code == b"52" or (len(code) == 2 and code.startswith(b"1"))) and b"?" not in body:
            return ("osc", int(code))
        return None
    if m.group(7) is not None:
        body = m.group(7)
        for lead, key in ((b">|", "xtversion"), (b"!|", "da3")):
            if body.startswith(lead):
                return (key, 0)
        if body[:1] in (b"0", b"1") and body[1:3] in (b"$r", b"+r"):
            return ("decrqss" if body[1:3] == b"$r" else "xtgettcap", 0)
    return None


_FOCUS_REPORTS = (b"\x1b[I", b"\x1b[O")


def has_keys(data: bytes) -> bool:
    """True when viewer input holds more than terminal answers and focus reports:
    a person typed, clicked or pasted (what makes a viewer the size owner)."""
    if b"\x1b" not in data:
        return bool(data)
    rest = _ANSWER.sub(lambda m: b"" if _answer_key(m) is not None else m.group(0), data)
    for report in _FOCUS_REPORTS:
        rest = rest.replace(report, b"")
    return bool(rest)


class QueryTracker:
    """The open terminal queries of one session's output, and the filter for viewer input."""

    def __init__(self, lifetime: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        #: Seconds a query stays answerable after it was read.
        self.lifetime = lifetime
        self._clock = clock
        self._open: dict[Key, deque[float]] = {}
        self._carry = b""  # an escape sequence cut off at the end of the last read

    def feed(self, data: bytes, when: float | None = None) -> None:
        """Output the process wrote (in order), read at ``when`` (default: now):
        note the queries it asks."""
        if not self._carry and b"\x1b" not in data:
            return
        text = self._carry + data if self._carry else data
        skip = len(self._carry)  # matches entirely inside the carry were noted last time
        now = self._clock() if when is None else when
        for candidate in _CANDIDATE.finditer(text):
            m = _QUERY.match(text, candidate.start())
            if m is not None and m.end() > skip:
                for key in _query_keys(m):
                    self._open.setdefault(key, deque(maxlen=MAX_OPEN)).append(now)
        self._carry = _unfinished_tail(text)

    def filter(self, data: bytes) -> bytes:
        """Viewer input minus answers no open query waits for; each answer closes one query."""
        if b"\x1b" not in data:
            return data
        kept: list[bytes] = []
        pos = 0
        for m in _ANSWER.finditer(data):
            key = _answer_key(m)
            if key is None or self._consume(key):
                continue
            kept.append(data[pos : m.start()])
            pos = m.end()
        if not pos:
            return data
        kept.append(data[pos:])
        return b"".join(kept)

    def open_count(self) -> int:
        """How many queries still wait for an answer (expired ones are dropped first)."""
        self._expire()
        return sum(len(q) for q in self._open.values())

    def reset(self) -> None:
        """A new process: nothing the old one asked is open any more."""
        self._open.clear()
        self._carry = b""

    def skip_gap(self) -> None:
        """The next output fed does not follow the last: a cut-off sequence cannot go on."""
        self._carry = b""

    def _consume(self, key: Key) -> bool:
        self._expire()
        waiting = self._open.get(key)
        if not waiting:
            return False
        waiting.popleft()
        return True

    def _expire(self) -> None:
        oldest = self._clock() - self.lifetime
        for key in list(self._open):
            waiting = self._open[key]
            while waiting and waiting[0] < oldest:
                waiting.popleft()
            if not waiting:
                del self._open[key]


def has_answers(data: bytes) -> bool:
    """True when viewer input holds something that answers a kind of query."""
    return b"\x1b" in data and any(_answer_key(m) for m in _ANSWER.finditer(data))


class OutputQueries:
    """The queries of one session's output, scanned for only when an answer arrives.

    Scanning every read for queries would put a regex pass over each byte on the
    path from the PTY to the viewers (measured: 12 to 64 MB/s on colourful output,
    as much CPU per MB as the rest of that path). Nearly all output is never
    answered, so a read costs only a note of when it came (:meth:`noted`, O(1),
    one note per :data:`MARK_EVERY` seconds of output), and the replay buffer
    is scanned when viewer input holds an answer or the open count is asked for:
    only the bytes not scanned yet, read within the last ``lifetime`` seconds,
    at most :data:`MAX_SCAN` of them. Each query gets the time of the reads it came in.
    """

    def __init__(self, buffer: ReplayBuffer, clock: Callable[[], float] = time.monotonic) -> None:
        self.tracker = QueryTracker(clock=clock)
        self._buffer = buffer
        self._clock = clock
        self._scanned = buffer.end
        #: [time, start, end]: the output bytes start..end came in reads from ``time``
        #: to at most MARK_EVERY later; marks older than the lifetime are dropped.
        self._marks: deque[list[float]] = deque()

    @property
    def lifetime(self) -> float:
        return self.tracker.lifetime

    @lifetime.setter
    def lifetime(self, seconds: float) -> None:
        self.tracker.lifetime = seconds

    def noted(self, size: int) -> None:
        """``size`` bytes were just appended to the buffer (every read, in order)."""
        now, end, marks = self._clock(), self._buffer.end, self._marks
        if marks and now - marks[-1][0] < MARK_EVERY and marks[-1][2] == end - size:
            marks[-1][2] = end
        else:
            marks.append([now, end - size, end])
            while marks[0][0] < now - self.tracker.lifetime - MARK_EVERY:
                marks.popleft()

    def filter(self, data: bytes) -> bytes:
        """Viewer input minus answers no open query waits for (see :class:`QueryTracker`)."""
        if not has_answers(data):
            return data
        self._catch_up()
        return self.tracker.filter(data)

    def open_count(self) -> int:
        self._catch_up()
        return self.tracker.open_count()

    def reset(self) -> None:
        """A new process: what the old one asked is closed, its output is not scanned."""
        self.tracker.reset()
        self._marks.clear()
        self._scanned = self._buffer.end

    def _catch_up(self) -> None:
        floor = max(self._scanned, self._buffer.start, self._buffer.end - MAX_SCAN)
        oldest = self._clock() - self.tracker.lifetime - MARK_EVERY
        for when, start, end in self._marks:
            begin = max(int(start), floor)
            if when < oldest or end <= begin:
                continue
            if begin != self._scanned:
                self.tracker.skip_gap()
            _, data = self._buffer.read(begin, int(end) - begin)
            self.tracker.feed(data, when)
            self._scanned = floor = int(end)
        self._scanned = max(self._scanned, self._buffer.end)


def _unfinished_tail(text: bytes) -> bytes:
    """The escape sequence the text may end in the middle of (to scan again with what follows).

    It starts at the last ESC that is not a string terminator's (``ESC \\``); a final
    lone ESC may be a terminator's first half, so the sequence before it is kept too.
    A complete sequence kept here is harmless (matches inside the carry are skipped).
    """
    window_start = max(0, len(text) - MAX_QUERY)
    starts: list[int] = []
    i = len(text)
    while len(starts) < 2:
        i = text.rfind(b"\x1b", window_start, i)
        if i < 0:
            break
        if text[i + 1 : i + 2] != b"\\":
            starts.append(i)
            if i != len(text) - 1:
                break
    return text[starts[-1] :] if starts else b""
