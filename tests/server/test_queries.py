"""Only answers to live terminal queries reach the process, once, whichever viewer answers.

The session runs tests/helpers/stdin_recorder.py, which records every byte it
reads: what the record holds is exactly what reached the process. Viewers are
WebSocket clients that answer as xterm.js does (the browser tests do it with a
real xterm.js, in Lab's terminal panel too).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_ccmanager.server.queries import OutputQueries, QueryTracker
from jupyter_ccmanager.server.replay import ReplayBuffer
from tests.helpers import stdin_recorder
from tests.helpers.api import Api
from tests.helpers.waiting import auntil, wait_output
from tests.helpers.ws import Viewer, open_viewer

CPR, DA1, BG = b"\x1b[3;1R", b"\x1b[?1;2c", b"\x1b]11;rgb:1e1e/1e1e/1e1e\x1b\\"
ANSWERS = CPR + DA1 + BG  # what xterm.js sends for stdin_recorder.QUERIES


async def _recorder(api: Api, tmp_path: Path) -> tuple[str, Path]:
    record = tmp_path / "stdin.bin"
    record.touch()
    model = await api.create(command=[sys.executable, stdin_recorder.__file__, str(record)])
    await wait_output(api, model["id"], b"recorder ready")
    return model["id"], record


async def _ask(api: Api, sid: str, round_: int) -> None:
    """Make the program ask its queries (REST input, which is never filtered)."""
    await api.send(sid, stdin_recorder.ASK.decode())
    await wait_output(api, sid, f"asked {round_}".encode())


async def _recorded(record: Path, marker: bytes) -> bytes:
    """The record once ``marker`` (typed after the answers) reached the process."""
    await auntil(lambda: marker in record.read_bytes(), what=f"{marker!r} recorded")
    return record.read_bytes()


def _answer(viewer: Viewer, marker: str) -> None:
    viewer.ws.write_message(ANSWERS, binary=True)
    viewer.type(marker)  # keys after the answers: they pass, in order


async def test_two_viewers_one_query_one_answer(api: Api, jp_ws_fetch: Any, tmp_path: Path) -> None:
    sid, record = await _recorder(api, tmp_path)
    first = await open_viewer(jp_ws_fetch, sid)
    second = await open_viewer(jp_ws_fetch, sid)
    await _ask(api, sid, 1)
    assert (await api.get(sid))["terminal_queries"] == 3
    for viewer in (first, second):
        await viewer.until_output(b"asked 1")
    _answer(first, "one")
    _answer(second, "two")
    await _recorded(record, b"two")
    got = await _recorded(record, b"one")
    assert got.replace(b"one", b"").replace(b"two", b"") == stdin_recorder.ASK + ANSWERS, got
    assert (await api.get(sid))["terminal_queries"] == 0
    first.close()
    second.close()


async def test_replayed_queries_are_not_answered_again(
    api: Api, jp_ws_fetch: Any, tmp_path: Path
) -> None:
    sid, record = await _recorder(api, tmp_path)
    live = await open_viewer(jp_ws_fetch, sid)
    await _ask(api, sid, 1)
    await live.until_output(b"asked 1")
    _answer(live, "live")
    await _recorded(record, b"live")
    # A fresh viewer replays the output, queries included, and answers them again.
    late = await open_viewer(jp_ws_fetch, sid)
    await late.until_output(b"asked 1")
    _answer(late, "late")
    got = await _recorded(record, b"late")
    assert got == stdin_recorder.ASK + ANSWERS + b"live" + b"late", got
    live.close()
    late.close()


@pytest.mark.parametrize("ccm_config", [{"query_answer_timeout": 0.5}])
async def test_unanswered_queries_expire(api: Api, jp_ws_fetch: Any, tmp_path: Path) -> None:
    """Nobody watched when the program asked; a viewer opening later must not answer."""
    sid, record = await _recorder(api, tmp_path)
    await _ask(api, sid, 1)
    await auntil(lambda: _open_queries(api, sid), what="the queries expired (query_answer_timeout)")
    viewer = await open_viewer(jp_ws_fetch, sid)
    await viewer.until_output(b"asked 1")
    _answer(viewer, "after")
    assert await _recorded(record, b"after") == stdin_recorder.ASK + b"after"
    viewer.close()


async def _open_queries(api: Api, sid: str) -> bool:
    return (await api.get(sid))["terminal_queries"] == 0


async def test_query_while_a_viewer_reconnects_is_answered_once(
    api: Api, jp_ws_fetch: Any, tmp_path: Path
) -> None:
    sid, record = await _recorder(api, tmp_path)
    viewer = await open_viewer(jp_ws_fetch, sid)
    await viewer.until_output(b"recorder ready")
    offset = viewer.end
    viewer.close()
    await _ask(api, sid, 1)  # asked while nobody is connected
    again = await open_viewer(jp_ws_fetch, sid, offset=offset)
    await again.until_output(b"asked 1")
    _answer(again, "back")
    assert await _recorded(record, b"back") == stdin_recorder.ASK + ANSWERS + b"back"
    again.close()
    # Reconnecting from the same old offset once more replays the same queries: no answer.
    third = await open_viewer(jp_ws_fetch, sid, offset=offset)
    await third.until_output(b"asked 1")
    _answer(third, "again")
    assert await _recorded(record, b"again") == stdin_recorder.ASK + ANSWERS + b"back" + b"again"
    third.close()


async def test_other_input_passes_unchanged_and_rest_input_is_never_filtered(
    api: Api, jp_ws_fetch: Any, tmp_path: Path
) -> None:
    sid, record = await _recorder(api, tmp_path)
    viewer = await open_viewer(jp_ws_fetch, sid)
    # Keys, an arrow, a mouse report, F1, a paste holding answer-like text, a lone Esc.
    paste = b"\x1b[200~pasted \x1b[6n \x1b[?1;2c\x1b[201~"
    parts = [b"a\x1b[Ab", b"\x1b[<0;3;4M\x1bOP", paste + b"c\x1b"]
    keys = b"".join(parts)
    # No query is open: the answer-shaped sequences between the keys are dropped.
    viewer.ws.write_message(CPR.join(parts[:2]) + DA1 + parts[2] + b"end", binary=True)
    assert await _recorded(record, b"end") == keys + b"end"
    await api.send(sid, (CPR + b"rest").decode())
    assert await _recorded(record, b"rest") == keys + b"end" + CPR + b"rest"
    viewer.close()


# ------------------------------------------------ the tracker itself, byte by byte
QUERY_AND_ANSWER = [
    (b"\x1b[5n", b"\x1b[0n"),
    (b"\x1b[6n", b"\x1b[12;40R"),
    (b"\x1b[?6n", b"\x1b[?12;40R"),
    (b"\x1b[c", b"\x1b[?1;2c"),
    (b"\x1b[0c", b"\x1b[?1;2c"),
    (b"\x1b[>c", b"\x1b[>0;276;0c"),
    (b"\x1b[=c", b"\x1bP!|00000000\x1b\\"),
    (b"\x1b[>q", b"\x1bP>|xterm.js(6.0.0)\x1b\\"),
    (b"\x1b[?2004$p", b"\x1b[?2004;2$y"),
    (b"\x1b[4$p", b"\x1b[4;2$y"),
    (b"\x1b[14t", b"\x1b[4;600;800t"),
    (b"\x1b[18t", b"\x1b[8;40;120t"),
    (b"\x1b[21t", b"\x1b]lterminal title\x1b\\"),
    (b"\x1b]10;?\x07", b"\x1b]10;rgb:ffff/ffff/ffff\x07"),
    (b"\x1b]11;?\x1b\\", b"\x1b]11;rgb:0000/0000/0000\x1b\\"),
    (b"\x1b]4;7;?\x1b\\", b"\x1b]4;7;rgb:cccc/cccc/cccc\x1b\\"),
    (b"\x1bP$qm\x1b\\", b"\x1bP1$r0m\x1b\\"),
    (b"\x1b[?u", b"\x1b[?0u"),
    (b"\x1b[?996n", b"\x1b[?997;1n"),
]


@pytest.mark.parametrize(("query", "answer"), QUERY_AND_ANSWER)
def test_each_query_kind_takes_one_answer(query: bytes, answer: bytes) -> None:
    tracker = QueryTracker()
    assert tracker.filter(answer) == b"", "no query open: the answer is dropped"
    tracker.feed(b"\x1b[1mtext" + query + b"\x1b[0m")
    assert tracker.open_count() == 1
    assert tracker.filter(b"x" + answer + b"y" + answer) == b"x" + answer + b"y"
    assert tracker.open_count() == 0


def test_queries_split_across_reads_are_noted_once() -> None:
    output = b"ab\x1b]11;?\x1b\\cd\x1b[6n\x1b[?1;2$pe\x1b]4;1;?;2;?\x07f\x1b[c"
    for cut in range(len(output) + 1):
        for cut2 in range(cut, len(output) + 1):
            tracker = QueryTracker()
            for part in (output[:cut], output[cut:cut2], output[cut2:]):
                tracker.feed(part)
            assert tracker.open_count() == 6, (cut, cut2)


def test_queries_expire_and_never_pile_up() -> None:
    now = [100.0]
    tracker = QueryTracker(lifetime=2.0, clock=lambda: now[0])
    tracker.feed(b"\x1b[6n" * 100)
    assert tracker.open_count() == 16, "at most MAX_OPEN per kind"
    now[0] += 2.5
    assert tracker.open_count() == 0
    assert tracker.filter(b"\x1b[1;1R") == b""


def test_sequences_that_are_not_queries_are_not_noted() -> None:
    tracker = QueryTracker()
    tracker.feed(
        b"\x1b[1;5r\x1b[8;40;120t\x1b[0u\x1b[>1u\x1b[2q\x1b]0;title?\x07\x1b]8;;http://x?\x1b\\"
    )
    assert tracker.open_count() == 0


def test_output_is_scanned_when_an_answer_comes_with_the_time_it_was_read() -> None:
    """Reads only note their time; the scan, done when an answer arrives, must still date
    each query by its read (not by the scan), and never count output nobody read live."""
    now = [100.0]
    buffer = ReplayBuffer(1 << 16)
    buffer.restore(0, b"old output \x1b[6n")  # restored from the store: not asked now
    queries = OutputQueries(buffer, clock=lambda: now[0])
    queries.lifetime = 2.0
    cpr = b"\x1b[3;1R"
    assert queries.filter(cpr) == b"", "a restored query is not open"

    def read(data: bytes) -> None:
        buffer.append(data)
        queries.noted(len(data))

    read(b"asked \x1b[6n")
    now[0] += 2.5  # no answer within the lifetime: it expired, though never scanned yet
    read(b"asked again \x1b[")  # a query cut across two reads
    read(b"6n")
    assert queries.filter(b"k" + cpr + cpr) == b"k" + cpr, "the new query, answered once"
    assert queries.open_count() == 0
    read(b"\x1b[c")
    queries.reset()  # a new process
    assert queries.filter(b"\x1b[?1;2c") == b""
