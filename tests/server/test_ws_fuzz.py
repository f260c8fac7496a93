"""Hostile input on the session WebSocket of a live ``jupyter server``.

One viewer sends what no client should: random text and binary frames, JSON
of every shape, message types that name the handler's own attributes
(``close_called``, ``__init__``, ...), lone surrogates, sizes out of range, a
message past the size limit, JSON nested 100 000 deep. After each message a
``ping`` must come back as ``pong``, and every message that is not a valid
one must have been answered by an ``error`` first: the socket is never
dropped. Then sockets are opened and closed as fast as a client can, and
refused handshakes answer JSON. Throughout, ``/api/status`` keeps answering
(a probe with no answer in 5 s fails; latencies are reported, not asserted);
afterwards the session still streams to a new viewer.

The session runs ``cat`` on a raw terminal (no signal keys, no echo by the
line discipline), so random bytes are echoed back and never stop it.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from tests.helpers.launcher import JupyterServer
from tests.helpers.paths import ARTIFACTS
from tests.helpers.probe import StatusProbe
from tests.helpers.waiting import until
from tests.helpers.ws import Viewer

REPORT = ARTIFACTS / "fuzz" / "websocket.json"
SEED = 11
ROUNDS = 600
CAT = ["bash", "-c", "stty raw -echo; exec cat"]
#: Names a ``getattr(self, "_on_" + type)`` dispatch would have reached.
ATTRIBUTE_TYPES = [
    "close_called", "__init__", "__class__", "__dict__", "open", "on_message", "on_close",
    "write_message", "close", "get", "prepare", "finish", "_on_input", "_error", "_pump",
    "session", "manager", "", " ", "INPUT", "input\x00", "\ud800",
]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    with JupyterServer(tmp_path_factory.mktemp("wsfuzz"), "--CCManagerApp.demo_mode=off") as s:
        yield s


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return rng.choice([None, True, False, 0, -1, 2**70, 1e308, -0.5, float("inf")])
    if kind == 1:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(12)))
    if kind == 2:
        return rng.randrange(-(2**40), 2**40)
    if kind == 3:
        return rng.choice(["input", "resize", "ack", "ping", "hello", "exit", "state"])
    if kind == 4:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        rng.choice(["type", "data", "cols", "rows", "offset", "x"]): _random_json(rng, depth + 1)
        for _ in range(rng.randrange(5))
    }


def _messages(rng: random.Random) -> Iterator[tuple[str | bytes, bool]]:
    """``(message, must_error)``: whether only an ``error`` is a right answer."""
    for kind in ATTRIBUTE_TYPES:
        yield json.dumps({"type": kind}), True
        yield json.dumps({"type": kind, "data": "x"}), True
    yield '{"type":"input","data":"\\ud800"}', True  # a lone surrogate
    yield json.dumps({"type": "input", "data": "x" * (2 << 20)}), True  # past the size limit
    yield "[" * 100_000 + "]" * 100_000, True
    yield '{"type":"input","data":' + '{"a":' * 50_000 + "1" + "}" * 50_001, True
    for cols, rows in [(-3, 10), (0.5, 10), (70000, 40), ("80", 24), (None, None), (2**70, 1)]:
        yield json.dumps({"type": "resize", "cols": cols, "rows": rows}), True
    for offset in [-1, "5", None, 2**80, 1.5]:
        yield json.dumps({"type": "ack", "offset": offset}), True
    yield json.dumps({"type": "input", "data": "still here\r"}), False
    for _ in range(ROUNDS):
        pick = rng.randrange(4)
        if pick == 0:
            yield rng.randbytes(rng.choice([1, 7, 100, 4096, 65536])), False
        elif pick == 1:  # text that is not JSON at all
            text = "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, 80)))
            yield text, not _is_json(text)
        else:
            value = _random_json(rng)
            yield json.dumps(value), not (isinstance(value, dict) and _valid(value))


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _valid(msg: dict[str, Any]) -> bool:
    """Whether ``msg`` is a well-formed client message (then no error is required)."""
    kind, rest = msg.get("type"), {k: v for k, v in msg.items() if k != "type"}
    if kind == "ping":
        return not rest
    return False  # random input/resize/ack bodies may be right or wrong: not asserted


async def _viewer(server: JupyterServer, sid: str, query: str = "") -> Viewer:
    url = server.ws_url + f"ccmanager/api/sessions/{sid}/ws{query}"
    viewer = Viewer(await websocket_connect(HTTPRequest(url, headers=server.headers)))
    await viewer.until(lambda v: v.hello is not None)
    return viewer


async def _round_trip(viewer: Viewer, message: str | bytes) -> list[dict[str, Any]]:
    """Send ``message`` then a ping; the control messages that came before the pong."""
    seen = len(viewer.messages)
    await viewer.ws.write_message(message, binary=isinstance(message, bytes))
    viewer.send_json(type="ping")
    pongs = sum(m["type"] == "pong" for m in viewer.messages)
    await viewer.until(lambda v: sum(m["type"] == "pong" for m in v.messages) > pongs, 60)
    return [m for m in viewer.messages[seen:] if m["type"] != "pong"]


#: What was sent when: (perf_counter at start, seconds until its pong, a short description).
SENT: list[tuple[float, float, str]] = []


async def _fuzz(server: JupyterServer, sid: str) -> dict[str, int]:
    rng = random.Random(SEED)
    viewer = await _viewer(server, sid)
    tally = {"messages": 0, "errors": 0, "binary": 0}
    for message, must_error in _messages(rng):
        began = time.perf_counter()
        answers = await _round_trip(viewer, message)
        SENT.append((began, time.perf_counter() - began, f"{len(message)} {str(message)[:60]!r}"))
        tally["messages"] += 1
        tally["binary"] += isinstance(message, bytes)
        errors = [m for m in answers if m["type"] == "error"]
        tally["errors"] += len(errors)
        for error in errors:
            assert set(error) == {"type", "code", "message"}, error
        if must_error:
            assert errors, f"no error for {str(message)[:120]!r}: {answers}"
        assert viewer.ws.close_code is None, (viewer.ws.close_code, viewer.ws.close_reason)
    await viewer.until_output(b"still here")
    # Rapid open/close: one after another, then many at once, some before their hello.
    began = time.perf_counter()
    for _ in range(30):
        (await _viewer(server, sid)).close()
    SENT.append((began, time.perf_counter() - began, "30 sockets, one after another"))
    url = server.ws_url + f"ccmanager/api/sessions/{sid}/ws"
    began = time.perf_counter()
    batch = await asyncio.gather(
        *(websocket_connect(HTTPRequest(url, headers=server.headers)) for _ in range(30))
    )
    for ws in batch:
        ws.close()
    SENT.append((began, time.perf_counter() - began, "30 sockets at once"))
    tally["opened"] = 61
    assert viewer.ws.close_code is None, "the first viewer is still connected"
    viewer.close()
    return tally


async def _refused(server: JupyterServer, sid: str, query: str, headers: dict[str, str]) -> int:
    url = server.ws_url + f"ccmanager/api/sessions/{sid}/ws{query}"
    try:
        (await websocket_connect(HTTPRequest(url, headers=headers))).close()
    except HTTPClientError as err:
        assert err.response is not None
        body = json.loads(err.response.body)
        assert set(body) == {"code", "message"}, body
        return err.code
    return 101


def test_ws_fuzz_never_drops_the_socket(server: JupyterServer) -> None:
    sid = server.create(command=CAT, name="ws-fuzz")["id"]
    with StatusProbe(server) as probe:
        tally = asyncio.run(_fuzz(server, sid))
    slow = [
        {"latency": round(latency, 3), "during": [
            w for at, took, w in SENT if at < start + latency and at + took > start
        ][:5]} for start, latency in probe.slow(0.25)
    ]  # fmt: skip
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({
        "tally": tally, "status_probes": probe.count, "status_worst_s": round(probe.worst, 3),
        "slow_status": slow,
    }, indent=1))  # fmt: skip
    print(f"ws fuzz: {tally}; /api/status worst {probe.worst:.3f} s of {probe.count}")
    assert not probe.failures, f"{probe.failures} /api/status probes got no answer within 5 s"

    def viewers() -> int:
        return int(server.api("GET", f"sessions/{sid}").json()["clients"])

    until(lambda: viewers() == 0, 30, what="every fuzzing viewer to be let go")
    assert server.api("GET", f"sessions/{sid}").json()["state"] not in ("exited", "stopped")

    async def streams() -> None:
        viewer = await _viewer(server, sid, "?offset=0")
        viewer.type("after-the-fuzz")
        await viewer.until_output(b"after-the-fuzz")
        viewer.close()

    asyncio.run(streams())


def test_refused_handshakes_answer_json(server: JupyterServer) -> None:
    sid = server.create(command=CAT, name="ws-refusals")["id"]
    assert asyncio.run(_refused(server, sid, "?offset=-1", server.headers)) == 400
    assert asyncio.run(_refused(server, sid, "", {})) == 403
    plain = requests.get(
        server.url_for(f"ccmanager/api/sessions/{sid}/ws"), headers=server.headers, timeout=30
    )  # not an upgrade request
    assert plain.status_code == 400 and set(plain.json()) == {"code", "message"}, plain.text
