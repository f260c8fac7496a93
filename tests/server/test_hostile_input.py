"""Hostile input (issue #11): every bad request is a clear 4xx, changes nothing, forks nothing.

Strings that cannot be encoded (a lone surrogate), NUL bytes, JSON nested past
Python's recursion limit, message types that name the handler's own attributes
and terminal sizes out of range reach every route, the WebSocket and the
terminado path of JupyterLab's terminal panel.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_ccmanager.server import validation as v
from tests.helpers.api import Api
from tests.helpers.waiting import wait_output
from tests.helpers.ws import open_viewer

DEEP = b"[" * 2048  # 2 KB: RecursionError in json.loads, not a ValueError


def children() -> set[int]:
    return {c.pid for c in psutil.Process().children(recursive=True)}


def assert_error(status: int, body: Any, expected: int = 400) -> None:
    assert status == expected, body
    assert isinstance(body, dict) and set(body) == {"code", "message"}, body


@pytest.mark.parametrize(
    "body",
    [
        {"agent": "shell", "args": ["\ud800"]},
        {"command": ["sh", "-c", "echo \udfff"]},
        {"command": ["sh\ud800"]},
        {"agent": "shell", "env": {"X": "\ud800"}},
        {"agent": "shell", "cwd": "\ud800"},
        {"agent": "shell", "cwd": "a\x00b"},
        {"agent": "shell", "name": "n", "labels": {"k": "\ud800"}},
        {"agent": "shell", "key": "\ud800"},
    ],
)
async def test_create_refuses_unencodable_strings(api: Api, body: dict[str, Any]) -> None:
    before = children()
    status, err = await api.call("POST", "sessions", raw=json.dumps(body).encode())
    assert_error(status, err)
    assert await api.call("GET", "sessions") == (200, [])
    assert children() == before, "nothing was forked"


SPAWN_PROBE = textwrap.dedent(
    """
    import asyncio, os, sys
    from jupyter_ccmanager.server.session import Session

    async def main():
        s = Session(id="x", name="x", agent="command", argv=ARGV, cwd=CWD, env=dict(os.environ))
        try:
            s.spawn()
            print("spawned", os.getpid(), flush=True)
        except Exception as err:
            print("refused", os.getpid(), type(err).__name__, flush=True)

    asyncio.run(main())
    """
)


@pytest.mark.parametrize(
    ("argv", "cwd"),
    [
        (["true"], "/nonexistent/ccm-cwd"),
        (["sh", "-c", "echo \ud800"], "/"),
        (["true"], "/etc/hostname"),
    ],
)
def test_failing_spawn_never_runs_server_code_in_the_child(argv: list[str], cwd: str) -> None:
    """Session.spawn itself (without the request checks in front of it): an exec or chdir
    that fails in ptyprocess's forked child must not let the child run our Python on."""
    code = SPAWN_PROBE.replace("ARGV", repr(argv)).replace("CWD", repr(cwd))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    ).stdout
    lines = out.split("\n")
    reports = [line for line in lines if line.startswith(("spawned", "refused"))]
    assert len(reports) == 1, f"a forked child ran server code: {out!r}"
    assert reports[0].startswith("refused"), out


async def test_cwd_that_is_a_file_is_refused(api: Api, jp_root_dir: Path) -> None:
    (jp_root_dir / "afile").write_text("x")
    before = children()
    status, err = await api.call("POST", "sessions", body={"cwd": "afile"})
    assert_error(status, err)
    assert children() == before


CWD_PROBE = textwrap.dedent(
    """
    import os, sys
    from jupyter_ccmanager.server.errors import InvalidRequest
    from jupyter_ccmanager.server.procs import SessionPty

    os.setgid(65534); os.setuid(65534)  # a server user who may not enter LOCKED
    try:
        SessionPty(["true"], dict(os.environ), LOCKED, 24, 80)
        print("spawned", os.getpid(), flush=True)
    except InvalidRequest as err:
        print("refused", os.getpid(), err.code, flush=True)
    """
)


def test_cwd_the_server_user_cannot_enter() -> None:
    """A directory that exists (stat works) but cannot be entered is refused before
    any fork; without the check the chdir would fail in the child."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")  # CI runs as root
    locked = tempfile.mkdtemp(prefix="ccm-locked-")  # mode 700, in the world-searchable /tmp
    try:
        code = CWD_PROBE.replace("LOCKED", repr(locked))
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        os.rmdir(locked)
    assert out.stdout.split()[0::3] == ["refused"], out
    assert "INVALID_CWD" in out.stdout, out


async def test_deeply_nested_json_is_400_on_every_json_route(api: Api, manager: Any) -> None:
    model = await api.create()
    sid = model["id"]
    routes = [
        ("POST", ("sessions",)),
        ("PATCH", ("sessions", sid)),
        ("POST", ("sessions", sid, "input")),
        ("POST", ("sessions", sid, "resize")),
        ("POST", ("sessions", sid, "interrupt")),
        ("POST", ("sessions", sid, "stop")),
        ("POST", ("sessions", sid, "resume")),
        ("POST", ("sessions", sid, "prompt")),
    ]
    for method, parts in routes:
        for raw in (DEEP, b'{"a":' + DEEP):
            status, err = await api.call(method, *parts, raw=raw)
            assert_error(status, err)
    manager.sessions[sid].hook_secret = "hook-secret-for-the-test"
    status, err = await api.call(
        "POST", "sessions", sid, "hook", raw=DEEP,
        headers={"X-CCM-Hook-Secret": "hook-secret-for-the-test"},
    )  # fmt: skip
    assert_error(status, err)
    assert (await api.get(sid))["state"] != "stopped", "nothing changed"


async def test_lone_surrogates_in_input_and_prompt(api: Api) -> None:
    model = await api.create()
    sid = model["id"]
    for route, body in (("input", {"data": "\ud800"}), ("prompt", {"text": "a\udc00b"})):
        status, err = await api.call("POST", "sessions", sid, route, raw=json.dumps(body).encode())
        assert_error(status, err)
    status, err = await api.call("PATCH", "sessions", sid, raw=b'{"labels": {"a": "\\ud800"}}')
    assert_error(status, err)


async def test_websocket_answers_error_and_stays_open(api: Api, jp_ws_fetch: Any) -> None:
    model = await api.create()
    viewer = await open_viewer(jp_ws_fetch, model["id"])
    hostile = [
        DEEP.decode(),
        '{"type":"input","data":"\\ud800"}',
        '{"type":"close_called"}',
        '{"type":"__init__"}',
        '{"type":"resize","cols":70000,"rows":10}',
        '{"type":"resize","cols":0.5,"rows":10}',
    ]
    for text in hostile:
        viewer.ws.write_message(text)
        message = await viewer.until_message("error")
        assert set(message) == {"type", "code", "message"}, message
        viewer.messages.clear()
    viewer.ws.write_message('{"type":"ping"}')
    await viewer.until_message("pong")
    viewer.type("echo still-$((20+22))\r")
    await viewer.until_output(b"still-42")
    assert (await api.get(model["id"]))["cols"] == 120
    viewer.close()


@pytest.mark.parametrize(
    "size", [(v.MAX_COLS + 1, 10), (80, v.MAX_ROWS + 1), (1, 10), (80, 0), (70000, 70000)]
)
async def test_one_size_limit_on_rest_paths(api: Api, size: tuple[int, int]) -> None:
    cols, rows = size
    status, err = await api.call("POST", "sessions", body={"cols": cols, "rows": rows})
    assert_error(status, err)
    model = await api.create()
    for action in ("resize", "resume"):
        body = {"cols": cols, "rows": rows}
        status, err = await api.call("POST", "sessions", model["id"], action, body=body)
        assert_error(status, err)
    assert (await api.get(model["id"]))["cols"] == 120


async def test_largest_size_is_accepted_and_the_screen_stays_cheap(api: Api) -> None:
    model = await api.create(cols=v.MAX_COLS, rows=v.MAX_ROWS)
    assert (model["cols"], model["rows"]) == (v.MAX_COLS, v.MAX_ROWS)
    await api.send(model["id"], "echo big-$((1+1))\r")
    await wait_output(api, model["id"], b"big-2")
    status, screen = await api.call("GET", "sessions", model["id"], "screen")
    assert status == 200 and len(screen["lines"]) == v.MAX_ROWS


async def test_lab_terminal_set_size_is_validated(api: Api, jp_ws_fetch: Any) -> None:
    """terminado's ``set_size`` (JupyterLab's terminal panel) goes through the same limit."""
    model = await api.create(name="lab-size")
    sid = model["id"]
    name = (await api.get(sid))["terminal_name"]
    lab = await jp_ws_fetch("terminals", "websocket", name)
    assert json.loads(await lab.read_message()) == ["setup", {}]
    for rows, cols in ((-3, 80), (0.5, 80), (24, 70000), (3000, 3000), ("x", 80), (None, 80)):
        lab.write_message(json.dumps(["set_size", rows, cols, 600, 800]))
    lab.write_message(json.dumps(["set_size", 30, 100, 600, 800]))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while (await api.get(sid))["cols"] != 100:
        assert loop.time() < deadline, "the valid size never arrived"
        await asyncio.sleep(0.05)
    assert (await api.get(sid))["rows"] == 30
    status, _ = await api.call("POST", "sessions", sid, "stop", body={})
    assert status == 200
    status, resumed = await api.call("POST", "sessions", sid, "resume", body={})
    assert status == 200 and (resumed["cols"], resumed["rows"]) == (100, 30), resumed
    lab.close()
