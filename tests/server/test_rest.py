"""REST API against a real in-process Jupyter server and real PTYs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.helpers.api import Api
from tests.helpers.waiting import auntil, runs_in_foreground, wait_output, wait_state


async def test_list_empty(api: Api) -> None:
    assert await api.call("GET", "sessions") == (200, [])


async def test_create_shell_and_type(api: Api, jp_root_dir: Path) -> None:
    model = await api.create(agent="shell", env={"CCM_SECRET": "s3cret"}, key="task-1")
    assert model["agent"] == "shell"
    assert model["cwd"] == os.path.realpath(jp_root_dir)
    assert model["pid"] > 0 and model["state"] in ("starting", "busy", "idle")
    assert model["key"] == "task-1"
    assert "env" not in model and "s3cret" not in str(model)
    assert len(model["id"]) >= 16
    await api.send(model["id"], "echo $((6*7))-$CCM_SECRET\r")
    data = await wait_output(api, model["id"], b"42-s3cret")
    assert data.count(b"42-s3cret") == 1
    idle = await wait_state(api, model["id"], "idle")
    assert idle["offset"] >= len(data)
    status, listed = await api.call("GET", "sessions", params={"key": "task-1"})
    assert status == 200 and [m["id"] for m in listed] == [model["id"]]
    assert (await api.call("GET", "sessions", params={"key": "other"}))[1] == []
    assert len((await api.call("GET", "sessions", params={"state": "idle"}))[1]) == 1


async def test_command_agent_exit_code_and_output_offsets(api: Api) -> None:
    model = await api.create(command=["sh", "-c", "printf abcdef; exit 3"])
    assert model["agent"] == "command"
    done = await wait_state(api, model["id"], "exited")
    assert done["exit_code"] == 3 and done["pid"] is None
    status, data = await api.call("GET", "sessions", model["id"], "output", params={"offset": "2"})
    assert status == 200 and data == b"cdef"
    # input to an exited session is refused and changes nothing
    status, err = await api.call("POST", "sessions", model["id"], "input", body={"data": "x"})
    assert status == 409 and err["code"] == "NOT_RUNNING"


async def test_names_generated_unique_and_patch(api: Api) -> None:
    a = await api.create()
    b = await api.create(name="mine")
    assert a["name"].startswith("feature-") and a["name"].endswith("-001")
    status, err = await api.call("POST", "sessions", body={"name": "mine"})
    assert status == 409 and err["code"] == "NAME_TAKEN"
    status, model = await api.call(
        "PATCH", "sessions", b["id"], body={"name": "renamed", "labels": {"team": "x"}}
    )
    assert status == 200 and model["name"] == "renamed" and model["labels"] == {"team": "x"}
    status, err = await api.call("PATCH", "sessions", b["id"], body={"name": a["name"]})
    assert status == 409 and err["code"] == "NAME_TAKEN"
    assert (await api.get(b["id"]))["name"] == "renamed"


async def test_resize_and_interrupt(api: Api) -> None:
    model = await api.create(cols=80, rows=24)
    sid = model["id"]
    await api.send(sid, "stty size\r")
    await wait_output(api, sid, b"24 80")
    status, resized = await api.call(
        "POST", "sessions", sid, "resize", body={"cols": 100, "rows": 30}
    )
    assert status == 200 and (resized["cols"], resized["rows"]) == (100, 30)
    await api.send(sid, "sleep 30; echo late-$((40+2))\r")
    await auntil(lambda: runs_in_foreground(model["pid"], "sleep"), what="sleep in front")
    status, _ = await api.call("POST", "sessions", sid, "interrupt")
    assert status == 200
    # The next line only once the Ctrl-C has been taken: a lost one fails here.
    await auntil(lambda: not runs_in_foreground(model["pid"], "sleep"), what="sleep gone")
    await api.send(sid, "stty size; echo after-$?\r")
    data = await wait_output(api, sid, b"after-0")
    assert b"30 100" in data and b"late-42" not in data


async def test_stop_then_delete(api: Api) -> None:
    model = await api.create()
    status, stopped = await api.call("POST", "sessions", model["id"], "stop", body={})
    assert status == 200 and stopped["state"] == "stopped" and stopped["pid"] is None
    status, _ = await api.call("DELETE", "sessions", model["id"])
    assert status == 204
    status, err = await api.call("GET", "sessions", model["id"])
    assert status == 404 and err["code"] == "NOT_FOUND"


async def test_stats(api: Api) -> None:
    await api.create()
    status, stats = await api.call("GET", "stats")
    assert status == 200 and stats["sessions"] == 1
    assert sum(stats["states"].values()) == 1 and stats["uptime"] >= 0


BAD_CREATES = [
    ({"agent": "nope"}, 400, "UNKNOWN_AGENT"),
    ({"bogus": 1}, 400, "UNKNOWN_FIELD"),
    ({"name": "bad name!"}, 400, "INVALID_NAME"),
    ({"name": 5}, 400, "INVALID_TYPE"),
    ({"cols": "80"}, 400, "INVALID_TYPE"),
    ({"cols": 0}, 400, "INVALID_VALUE"),
    ({"rows": 100000}, 400, "INVALID_VALUE"),
    ({"cols": True}, 400, "INVALID_TYPE"),
    ({"cwd": "/"}, 403, "CWD_OUTSIDE_ROOT"),
    ({"cwd": "../.."}, 403, "CWD_OUTSIDE_ROOT"),
    ({"cwd": "does-not-exist"}, 400, "INVALID_CWD"),
    ({"env": {"A": 1}}, 400, "INVALID_TYPE"),
    ({"env": {"BAD NAME": "x"}}, 400, "INVALID_VALUE"),
    ({"env": ["A=1"]}, 400, "INVALID_TYPE"),
    ({"command": "ls"}, 400, "INVALID_TYPE"),
    ({"command": []}, 400, "INVALID_VALUE"),
    ({"command": ["definitely-not-a-program-xyz"]}, 400, "AGENT_NOT_FOUND"),
    ({"agent": "shell", "command": ["ls"]}, 400, "BAD_REQUEST"),
    ({"agent": "command"}, 400, "INVALID_VALUE"),
    ({"labels": {"a": ["b"]}}, 400, "INVALID_TYPE"),
    ({"worktree": "yes"}, 400, "INVALID_TYPE"),
    ({"key": "k" * 300}, 413, "PAYLOAD_TOO_LARGE"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_CREATES)
async def test_bad_create_changes_nothing(
    api: Api, manager: Any, body: dict[str, Any], status: int, code: str
) -> None:
    got_status, err = await api.call("POST", "sessions", body=body)
    assert (got_status, err["code"]) == (status, code), err
    assert set(err) == {"code", "message"} and err["message"]
    assert manager.sessions == {}


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"null", b"x" * (3 << 20)]
)
async def test_malformed_bodies(api: Api, manager: Any, raw: bytes) -> None:
    status, err = await api.call("POST", "sessions", raw=raw)
    assert status in (400, 413) and err["code"] in ("INVALID_JSON", "PAYLOAD_TOO_LARGE"), err
    assert manager.sessions == {}


async def test_bad_requests_on_a_session_change_nothing(api: Api) -> None:
    model = await api.create()
    sid = model["id"]
    cases = [
        ("POST", "input", {"data": 5}, 400),
        ("POST", "input", {}, 400),
        ("POST", "input", {"data": "x" * ((1 << 20) + 1)}, 413),
        ("POST", "input", {"data": "x", "more": 1}, 400),
        ("POST", "resize", {"cols": 10}, 400),
        ("POST", "resize", {"cols": -1, "rows": 5}, 400),
        ("POST", "resize", {"cols": 1.5, "rows": 5}, 400),
        ("POST", "stop", {"force": "yes"}, 400),
        ("POST", "interrupt", {"x": 1}, 400),
        ("PATCH", "", {"name": ""}, 400),
        ("PATCH", "", {"labels": "x"}, 400),
        ("PATCH", "", {"id": "other"}, 400),
    ]
    for method, action, body, expected in cases:
        parts = ("sessions", sid, action) if action else ("sessions", sid)
        status, err = await api.call(method, *parts, body=body)
        assert status == expected, (action, body, err)
        assert set(err) == {"code", "message"}
    status, err = await api.call("GET", "sessions", sid, "output", params={"offset": "-1"})
    assert status == 400 and err["code"] == "INVALID_VALUE"
    status, err = await api.call("GET", "sessions", params={"state": "sleepy"})
    assert status == 400
    status, err = await api.call("GET", "sessions", params={"color": "red"})
    assert status == 400 and err["code"] == "UNKNOWN_FIELD"
    for path in (("sessions", "nope"), ("sessions", "nope", "input"), ("nothing-here",)):
        status, err = await api.call("GET", *path)
        assert status in (404, 405) and "code" in err, path
    after = await api.get(sid)
    assert (after["name"], after["cols"], after["rows"]) == (model["name"], 120, 40)
    assert after["state"] in ("idle", "busy", "starting") and after["pid"] == model["pid"]
    # and the session still works after all that
    await api.send(sid, "echo still-$((1+1))\r")
    await wait_output(api, sid, b"still-2")


class TestLimits:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"max_sessions": 3}

    async def test_max_sessions(self, api: Api, manager: Any) -> None:
        first = [await api.create() for _ in range(3)]
        status, err = await api.call("POST", "sessions", body={})
        assert status == 409 and err["code"] == "MAX_SESSIONS"
        assert "Maximum 3 sessions" in err["message"]
        assert len(manager.sessions) == 3
        await api.call("POST", "sessions", first[0]["id"], "stop", body={})
        await api.create()  # a stopped session frees its slot


class TestPerUserLimit:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"max_sessions_per_user": 1}

    async def test_per_user(self, api: Api) -> None:
        await api.create()
        status, err = await api.call("POST", "sessions", body={})
        assert status == 409 and err["code"] == "MAX_SESSIONS_PER_USER"


async def test_input_to_a_process_that_is_not_reading(api: Api) -> None:
    """Input the child does not take yet is queued without blocking the server."""
    model = await api.create(command=["sleep", "30"])
    sid = model["id"]
    await auntil(lambda: psutil.Process(model["pid"]).name() == "sleep", what="sleep to start")
    line = "x" * 99 + "\n"
    for _ in range(20):  # 200 kB: far more than the PTY's input queue holds
        await api.send(sid, line * 100)
    status, _stats = await api.call("GET", "stats")
    assert status == 200, "the server answers while the child reads nothing"
    status, err = await api.call("POST", "sessions", sid, "input", body={"data": "y" * 1_000_000})
    assert status == 429 and err["code"] == "INPUT_BACKLOG"
    assert (await api.get(sid))["state"] in ("idle", "busy")  # and the session is fine
