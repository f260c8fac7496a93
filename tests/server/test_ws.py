"""The session WebSocket: hello, raw byte stream, resume by offset, control messages."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.helpers.api import Api
from tests.helpers.waiting import auntil, wait_output, wait_state
from tests.helpers.ws import Viewer, open_viewer


async def test_hello_then_raw_bytes(api: Api, jp_ws_fetch: Any) -> None:
    model = await api.create()
    viewer = await open_viewer(jp_ws_fetch, model["id"])
    hello = viewer.hello
    assert hello["type"] == "hello" and hello["session"]["id"] == model["id"]
    assert hello["offset"] == 0
    viewer.type("printf '\\xc3\\xa9\\xe6\\xbc\\xa2\\xf0\\x9f\\x98\\x80-%s\\n' done\r")
    await viewer.until_output("é漢😀-done".encode())
    _status, data = await api.call("GET", "sessions", model["id"], "output")
    assert bytes(viewer.output) == data[: len(viewer.output)]
    viewer.close()


async def test_resume_by_offset_exactly_once(api: Api, jp_ws_fetch: Any) -> None:
    """Disconnect, type meanwhile, reconnect with ?offset=: every byte arrives once."""
    model = await api.create()
    sid = model["id"]
    viewer = await open_viewer(jp_ws_fetch, sid)
    await viewer.until(lambda v: b"$ " in v.output or b"# " in v.output)
    received = bytearray(viewer.output)
    offset = viewer.end
    viewer.close()
    await api.send(sid, "for i in $(seq 1 300); do echo line-$i; sleep 0.002; done\r")

    async def output_beyond(offset: int) -> bool:
        return (await api.get(sid))["offset"] > offset

    for round_ in range(12):
        # output goes on while no viewer is attached
        await auntil(partial(output_beyond, offset), what="output while disconnected")
        again = await open_viewer(jp_ws_fetch, sid, offset=offset)
        assert again.hello["offset"] == offset, "nothing was dropped, so M == N"
        await again.read_one(5)
        if round_ % 3 == 0:
            await api.send(sid, f"echo typed-{round_}-$((1+{round_}))\r")
        received += again.output
        offset = again.end
        again.close()
    await api.send(sid, "echo fin-$((2*21))\r")
    final = await open_viewer(jp_ws_fetch, sid, offset=offset)
    await final.until_output(b"fin-42")
    received += final.output
    _status, everything = await api.call("GET", "sessions", sid, "output")
    assert bytes(received) == everything[: len(received)]
    text = received.decode()
    for i in range(1, 301):
        assert text.count(f"line-{i}\r\n") == 1, i
    for r in (0, 3, 6, 9):
        assert text.count(f"typed-{r}-{1 + r}\r\n") == 1
    final.close()


async def test_concurrent_viewers_see_the_same_stream(api: Api, jp_ws_fetch: Any) -> None:
    model = await api.create()
    viewers = [await open_viewer(jp_ws_fetch, model["id"]) for _ in range(4)]
    assert (await api.get(model["id"]))["clients"] == 4
    viewers[2].type("seq 1 2000 | tail -n 1; echo end-$((3*3))\r")
    for v in viewers:
        await v.until_output(b"end-9\r\n")
    streams = {bytes(v.output[: v.output.index(b"end-9\r\n")]) for v in viewers}
    assert len(streams) == 1
    for v in viewers:
        v.close()

    async def detached() -> bool:
        return (await api.get(model["id"]))["clients"] == 0

    await auntil(detached, what="every viewer detached")


async def test_control_messages_and_garbage(api: Api, jp_ws_fetch: Any) -> None:
    model = await api.create()
    viewer = await open_viewer(jp_ws_fetch, model["id"])
    other = await open_viewer(jp_ws_fetch, model["id"])
    viewer.send_json(type="ping")
    await viewer.until_message("pong")
    garbage: list[Any] = [
        "not json",
        "[1,2]",
        json.dumps({"no": "type"}),
        json.dumps({"type": "explode"}),
        json.dumps({"type": "resize", "cols": "wide", "rows": 3}),
        json.dumps({"type": "resize", "cols": 0, "rows": 3}),
        json.dumps({"type": "input", "data": 5}),
        json.dumps({"type": "input"}),
        json.dumps({"type": "ack", "offset": -5}),
        json.dumps({"type": "ping", "extra": {"deep": [1]}}),
        "x" * ((1 << 20) + 10),
    ]
    for message in garbage:
        viewer.ws.write_message(message)
    await viewer.until(lambda v: sum(m["type"] == "error" for m in v.messages) >= len(garbage) - 1)
    errors = [m for m in viewer.messages if m["type"] == "error"]
    assert all(set(e) == {"type", "code", "message"} for e in errors)
    # the session and the socket still work
    viewer.send_json(type="resize", cols=90, rows=20)
    msg = await other.until_message("resize")
    assert (msg["cols"], msg["rows"]) == (90, 20)
    viewer.send_json(type="input", data="stty size; echo ok-$((5+5))\r")
    await viewer.until_output(b"ok-10")
    assert b"20 90" in viewer.output
    assert (await api.get(model["id"]))["cols"] == 90
    viewer.close()
    other.close()


async def test_most_recently_active_viewer_sets_the_size(api: Api, jp_ws_fetch: Any) -> None:
    model = await api.create()
    small = await open_viewer(jp_ws_fetch, model["id"])
    large = await open_viewer(jp_ws_fetch, model["id"])
    small.send_json(type="resize", cols=60, rows=15)
    large.send_json(type="resize", cols=150, rows=50)
    await small.until_message("resize", cols=150)
    small.type("stty size\r")  # typing makes `small` the active viewer again
    await small.until_output(b"15 60")
    assert (await api.get(model["id"]))["cols"] == 60
    small.close()
    large.close()


async def test_exit_message_after_last_byte(api: Api, jp_ws_fetch: Any) -> None:
    model = await api.create(command=["sh", "-c", "read x; printf 'bye-%s' $x; exit 7"])
    viewer = await open_viewer(jp_ws_fetch, model["id"])
    viewer.type("now\r")
    await viewer.until_message("exit")
    assert viewer.messages[-1] == {
        "type": "exit",
        "exit_code": 7,
        "state": "exited",
        "reason": "exited",
    }
    assert viewer.output.endswith(b"bye-now")
    await viewer.until_message("state", state="exited")
    viewer.close()


async def test_ack_window_and_gap(api: Api, jp_ws_fetch: Any, manager: Any) -> None:
    """A client that acks is held within the window; one that fell out gets a gap."""
    model = await api.create(
        command=["sh", "-c", "read x; head -c 3000000 /dev/zero | tr '\\0' a; read y"]
    )
    session = manager.get(model["id"])
    viewer = await open_viewer(jp_ws_fetch, model["id"])
    viewer.send_json(type="ack", offset=0)  # handled before the input that follows it
    viewer.type("go\r")
    await wait_state(api, model["id"], "idle", timeout=30)
    await auntil(lambda: session.buffer.end >= 3_000_000, what="the whole flood buffered")
    # read what is in flight: the window (1 MiB) bounds it until we ack
    with pytest.raises(asyncio.TimeoutError):
        while True:
            await viewer.read_one(1.0)
    assert len(viewer.output) <= (1 << 20) + 64
    viewer.send_json(type="ack", offset=viewer.end)
    await viewer.until(lambda v: len(v.output) > (1 << 20) + 64)
    viewer.close()
    # an old offset that left the (small) buffer is reported as a gap
    small = await open_viewer(jp_ws_fetch, model["id"], offset=0)
    assert small.hello["offset"] == session.buffer.start
    small.close()


class TestSmallBuffer:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"replay_buffer_bytes": 4096}

    async def test_offset_out_of_buffer(self, api: Api, jp_ws_fetch: Any) -> None:
        model = await api.create(command=["sh", "-c", "seq 1 5000; read x"])
        await wait_output(api, model["id"], b"5000\r\n")
        viewer = await open_viewer(jp_ws_fetch, model["id"], offset=10)
        assert viewer.hello["offset"] > 10, "M > N: the bytes before M are gone"
        # Raw bytes from the buffer's start would begin mid-stream: the screen comes
        # instead, and the hello says that what was asked for is gone.
        hello = viewer.hello
        assert hello["replay"] == "snapshot" and hello["dropped"] is True
        assert hello["snapshot"].startswith("\x1bc") and "5000" in hello["snapshot"]
        viewer.type("x\r")  # the shell exits: the raw bytes from M follow the snapshot
        await viewer.until_message("exit")
        viewer.close()

    async def test_stalled_acking_viewer_gets_gap(
        self, api: Api, jp_ws_fetch: Any, manager: Any
    ) -> None:
        model = await api.create(command=["sh", "-c", "read x; seq 1 20000; read y"])
        viewer = await open_viewer(jp_ws_fetch, model["id"])
        viewer.send_json(type="ack", offset=0)  # handled before the input that follows it
        viewer.type("go\r")
        # Output arrives, or (the buffer is tiny) a gap and the screen right away.
        await viewer.until(
            lambda v: len(v.output) > 1000 or any(m["type"] == "gap" for m in v.messages)
        )
        await wait_output(api, model["id"], b"20000\r\n")
        viewer.send_json(type="ack", offset=viewer.end)
        gap = await viewer.until_message("gap")
        assert gap["to"] > gap["from"]
        # The stream goes on at the gap's end, after the screen there (raw bytes from
        # the buffer's start would draw a wrong picture).
        snapshot = await viewer.until_message("snapshot", offset=gap["to"])
        assert snapshot["snapshot"].startswith("\x1bc")

        def shown(v: Viewer) -> bool:
            seen = [m["snapshot"] for m in v.messages if m["type"] == "snapshot"]
            return b"20000\r\n" in v.output or any("20000" in text for text in seen)

        await viewer.until(shown)
        viewer.close()


async def test_ws_bad_requests(api: Api, jp_ws_fetch: Any) -> None:
    missing = await jp_ws_fetch("ccmanager", "api", "sessions", "missing", "ws")
    assert json.loads(await missing.read_message())["code"] == "NOT_FOUND"
    assert await missing.read_message() is None and missing.close_code == 4004
    model = await api.create()
    for bad in ("-1", "abc"):
        with pytest.raises(HTTPClientError) as err:
            await open_viewer(jp_ws_fetch, model["id"], offset=bad)
        assert err.value.code == 400
    huge = await open_viewer(jp_ws_fetch, model["id"], offset=10**12)
    # Not a silent clamp to the end: the offset cannot be from this stream; start over.
    assert huge.hello["reset"] is True and huge.hello["offset"] == 0
    huge.close()
    with pytest.raises(HTTPClientError) as err:
        await open_viewer(jp_ws_fetch, model["id"], stream="not a stream id")
    assert err.value.code == 400
