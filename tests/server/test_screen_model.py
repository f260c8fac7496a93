"""The server-side screen model (avt + mode tracker) on its own, and its snapshot.

A snapshot taken after any prefix of a stream, followed by the rest of the
stream, must make a headless xterm.js show exactly what the whole stream shows:
cells, buffer, cursor, modes and title. Unknown and random sequences must never
break the model (pyte 0.8 raised on ``ESC[?4m`` and the screen stayed dead).
"""

from __future__ import annotations

import random
from typing import Any

from avt._avt import Vt

from jupyter_ccmanager.server.replay import ReplayBuffer
from jupyter_ccmanager.server.state.modes import ModeTracker
from jupyter_ccmanager.server.state.screen import FEED_CHARS, ScreenModel
from tests.helpers.api import Api
from tests.helpers.waiting import auntil
from tests.helpers.xterm import render

COLS, ROWS = 30, 8

STREAM = (
    "primary \x1b[1;32mgreen\x1b[0m\r\n\x1b[?1049h\x1b[H\x1b]2;a title\x07\x1b(0lqqk\x1b(B alt "
    "\x1b[38;2;10;20;30mrgb\x1b[0m \x1b[38;5;200mx\x1b[48;5;17my\x1b[0m 日本 é"
    "\x1b[?1000h\x1b[?1006h"
    "\x1b[?2004h\x1b[?1h\x1b=\x1b[3;5H\x1b[7mrev\x1b[m\x1b[2;7r\x1b[7;1H\n\n\nscrolled\x1b[r"
    "\x1b[4 q\x1b[?1049l after \x1b[?25l"
).encode()


def model_after(data: bytes, cols: int = COLS, rows: int = ROWS) -> ScreenModel:
    buffer = ReplayBuffer(1 << 20)
    model = ScreenModel(buffer, cols, rows)
    buffer.append(data)
    model.feed_all()
    return model


def test_snapshot_then_the_rest_equals_the_whole_stream_at_every_split() -> None:
    terms: list[tuple[int, int, list[bytes]]] = [(COLS, ROWS, [STREAM])]
    for cut in range(1, len(STREAM)):
        k, screen = model_after(STREAM[:cut]).snapshot()
        assert k <= cut and screen.startswith("\x1bc")
        terms.append((COLS, ROWS, [screen.encode(), STREAM[k:]]))
    whole, *late = render(*terms)
    assert whole.buffer == "normal" and whole.title == "a title" and whole.cursor["hidden"]
    assert whole.modes["mouseTrackingMode"] == "vt200" and whole.modes["bracketedPasteMode"]
    for cut, screen in enumerate(late, start=1):
        assert whole.mismatches(screen) == 0, (cut, whole.diff(screen))
        assert (screen.buffer, screen.cursor, screen.modes, screen.title) == (
            whole.buffer,
            whole.cursor,
            whole.modes,
            whole.title,
        ), cut


def test_snapshot_of_the_alternate_screen_keeps_the_primary_one_below() -> None:
    """After the program quits (``?1049l``), the shell's screen is back, as for a
    viewer that watched from the start."""
    start = b"$ ls\r\nfile\r\n$ vim\x1b[?1049h\x1b[?1h\x1b=\x1b[H\x1b[2Jvim screen"
    end = b"\x1b[?1049l\x1b[?1l\x1b>\r\n$ "
    k, screen = model_after(start).snapshot()
    whole, late = render(
        (COLS, ROWS, [start + end]), (COLS, ROWS, [screen.encode(), start[k:], end])
    )
    assert whole.text[:3] == ["$ ls", "file", "$ vim"] and whole.mismatches(late) == 0


def test_snapshot_uses_seven_bit_controls_and_semicolon_colours() -> None:
    _, screen = model_after(b"\x1b[38;2;1;2;3mX\x1b[48;5;100mY\x1b[0m").snapshot()
    assert not any("\x80" <= ch <= "\x9f" for ch in screen)
    assert "38;2;1;2;3" in screen and "48;5;100" in screen


def test_unknown_and_random_sequences_never_break_the_model() -> None:
    model = model_after(b"\x1b[?4mvim starts\x1b[?4l\x1b[?1;2$p\x1b[>c\x1b]9999;x\x07")
    assert "vim starts" in model.text()
    rng = random.Random(12)
    alphabet = (
        b"\x1b\x9b\x90\x9d[]?;:0123456789mhlHJKPXrc\x07\\()0B#8=>DEM78Ptuqs@`abd"
        b"\x00\x08\r\n\t\x0e\x0fx\xff\xc3"
    )
    for _ in range(300):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
        model.buffer.append(data)
        model.feed_all()
        assert len(model.lines()) == model.rows
        model.snapshot()
    model.buffer.append(b"\x1bc\x1b[0mstill alive")
    model.feed_all()
    assert "still alive" in model.text()


def test_lines_are_rendered_once_per_change_and_generation_says_when() -> None:
    model = model_after(b"one\r\ntwo")
    first = model.lines()
    generation = model.generation
    assert model.lines() == first and model._lines is not None and model.generation == generation
    model.buffer.append(b"\r\nthree")
    model.feed_all()
    assert model.generation > generation and model.lines()[:3] == ["one", "two", "three"]
    generation = model.generation
    model.resize(COLS + 5, ROWS)
    assert model.generation > generation and model.cols == COLS + 5


def test_long_feeds_are_parsed_in_pieces_with_the_same_result() -> None:
    """The model hands avt ``FEED_CHARS`` at a time (speed): sequences and characters
    cut between two pieces still make the screen one call would make."""
    for shift in range(len(STREAM)):
        data = "é" * (FEED_CHARS - shift) + STREAM.decode() + "y\r\n" * FEED_CHARS
        whole = Vt(COLS, ROWS, scrollback_limit=0)
        whole.feed_str(data)
        model = model_after(data.encode())
        assert model.lines() == [line.text.rstrip() for line in whole.view()], shift
        assert model.vt.dump() == whole.dump(), shift


def test_rows_are_not_joined_when_a_line_wraps() -> None:
    assert model_after(b"x" * (COLS + 3)).lines()[:2] == ["x" * COLS, "xxx"]


def test_lost_bytes_reset_the_model() -> None:
    buffer = ReplayBuffer(64)
    model = ScreenModel(buffer, COLS, ROWS)
    buffer.append(b"a" * 200)
    model.feed(1000)
    assert model.resets == 1 and model.offset == buffer.end


def test_mode_tracker_follows_sequences_split_across_feeds() -> None:
    tracker = ModeTracker()
    stream = (
        "\x1b[?1002h\x1b[?1006h\x1b[?2004h\x1b=\x1b]0;split title\x07\x1b[2 q\x1b[?1002l\x1b[?1003h"
    )
    for ch in stream:
        tracker.feed(ch)
    assert tracker.mouse == 1003 and tracker.encoding == 1006 and tracker.keypad
    assert tracker.title == "split title" and tracker.cursor_style == 2 and 2004 in tracker.flags
    tracker.feed("\x1bc")
    assert tracker.sequences() == ""


async def test_screen_endpoint_survives_unknown_sequences_and_fuzz(api: Api) -> None:
    rng = random.Random(7)
    fuzz = "".join(
        rng.choice(["\\033[", "\\033]", "\\033P", "?", ";", "4", "1", "m", "h", "q", "\\007", "x"])
        for _ in range(2000)
    )
    model = await api.create(
        command=[
            "sh",
            "-c",
            f"printf '\\033[?4m'; printf '{fuzz}'; printf '\\033c\\nFUZZ-DONE\\n'; read x",
        ]
    )

    async def answered() -> Any:
        status, screen = await api.call("GET", "sessions", model["id"], "screen")
        assert status == 200, screen
        return "FUZZ-DONE" in "\n".join(screen["lines"])

    await auntil(answered, 20, "the screen after the fuzz")
