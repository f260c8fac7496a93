"""The viewer that last typed (or took control) owns the PTY size; idle viewers never take it."""

from __future__ import annotations

from typing import Any

from tests.helpers.api import Api
from tests.helpers.waiting import auntil
from tests.helpers.ws import Viewer, open_viewer


async def _size(api: Api, sid: str) -> tuple[int, int]:
    model = await api.get(sid)
    return model["cols"], model["rows"]


async def _pty_says(viewer: Viewer, marker: str, cols: int, rows: int) -> None:
    """The shell's own view of its terminal (stty), not just the model's."""
    viewer.type(f"echo {marker}-$(stty size)\r")
    await viewer.until_output(f"{marker}-{rows} {cols}".encode())


async def _answered(viewer: Viewer, cols: int, rows: int) -> None:
    """A refused request is answered with the PTY's size, to show the terminal at."""
    await viewer.until_message("resize", cols=cols, rows=rows)
    viewer.messages.clear()


async def _settled(viewer: Viewer) -> None:
    """Everything this viewer sent so far has been handled (messages are handled in order)."""
    viewer.messages.clear()
    viewer.send_json(type="ping")
    await viewer.until_message("pong")


async def test_idle_viewer_never_takes_the_size_from_the_typing_one(
    api: Api, jp_ws_fetch: Any
) -> None:
    sid = (await api.create())["id"]
    typist = await open_viewer(jp_ws_fetch, sid)
    typist.send_json(type="resize", cols=101, rows=31)  # nobody owns the size: applies
    await auntil(lambda: _size_is(api, sid, (101, 31)), what="the first viewer's size")
    await _pty_says(typist, "first", 101, 31)  # typing: the typist owns the size now
    idle = await open_viewer(jp_ws_fetch, sid)
    idle.send_json(type="resize", cols=70, rows=15)  # a reload or window resize elsewhere
    await _answered(idle, 101, 31)
    await _settled(idle)
    assert await _size(api, sid) == (101, 31)
    idle.close()
    again = await open_viewer(jp_ws_fetch, sid)  # ...and a reconnect
    again.send_json(type="resize", cols=72, rows=16)
    await _answered(again, 101, 31)
    assert await _size(api, sid) == (101, 31)
    # The owner's own resize applies, and every viewer is told.
    typist.send_json(type="resize", cols=111, rows=33)
    await _answered(again, 111, 33)
    # Terminal answers and focus reports are not typing: no ownership from them.
    again.ws.write_message(b"\x1b[?1;2c\x1b[I\x1b[O", binary=True)
    await _pty_says(typist, "still", 111, 33)
    # Typing in the other viewer hands it the size it asked for last.
    await _pty_says(again, "moved", 72, 16)
    assert await _size(api, sid) == (72, 16)
    typist.send_json(type="resize", cols=90, rows=20)
    await _settled(typist)
    assert await _size(api, sid) == (72, 16), "the former owner's request waits"
    # "take" is explicit control without typing.
    typist.send_json(type="resize", cols=90, rows=20, take=True)
    await _answered(again, 90, 20)
    typist.send_json(type="resize", cols=90, rows=20, take="yes")
    error = await typist.until_message("error")
    assert error["code"] == "INVALID_VALUE"
    # When the owner leaves, nobody owns the size: the next request applies.
    typist.close()
    await auntil(lambda: _clients_are(api, sid, 1), what="the owner gone")
    again.send_json(type="resize", cols=88, rows=22)
    await auntil(lambda: _size_is(api, sid, (88, 22)), what="the remaining viewer's size")
    again.close()


async def _size_is(api: Api, sid: str, size: tuple[int, int]) -> bool:
    return await _size(api, sid) == size


async def _clients_are(api: Api, sid: str, count: int) -> bool:
    return (await api.get(sid))["clients"] == count
