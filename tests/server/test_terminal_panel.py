"""Sessions in JupyterLab's terminal panel (jupyter_server_terminals, terminado protocol)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import psutil
from tornado.httpclient import HTTPClientError

from tests.helpers.api import Api
from tests.helpers.waiting import auntil, wait_output, wait_state
from tests.helpers.ws import open_viewer


async def lab_terminals(jp_fetch: Any) -> list[str]:
    resp = await jp_fetch("api", "terminals")
    return [t["name"] for t in json.loads(resp.body)]


async def read_stdout(ws: Any, needle: str, timeout: float = 20) -> str:
    text = ""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while needle not in text:
        msg = await asyncio.wait_for(ws.read_message(), max(deadline - loop.time(), 0.01))
        assert msg is not None, f"socket closed; got {text[-300:]!r}"
        kind, *rest = json.loads(msg)
        if kind == "stdout":
            text += rest[0]
    return text


async def model_where(api: Api, sid: str, check: Any) -> dict[str, Any] | None:
    """The session's model if ``check(model)`` holds."""
    model = await api.get(sid)
    return model if check(model) else None


async def test_session_is_a_lab_terminal(api: Api, jp_fetch: Any, jp_ws_fetch: Any) -> None:
    model = await api.create(name="my.task-1")
    sid = model["id"]
    await api.send(sid, "echo before-$((1+1))\r")
    await wait_output(api, sid, b"before-2\r\n")
    name = (await api.get(sid))["terminal_name"]
    assert re.fullmatch(r"ccm_\w+", name) and name == "ccm_my_task_1"
    assert name in await lab_terminals(jp_fetch)

    lab = await jp_ws_fetch("terminals", "websocket", name)
    assert json.loads(await lab.read_message()) == ["setup", {}]
    replay = await read_stdout(lab, "before-2")
    assert "before-2" in replay, "opening the terminal replays earlier output"
    viewer = await open_viewer(jp_ws_fetch, sid)
    lab.write_message(json.dumps(["stdin", "echo from-lab-$((2+3))\r"]))
    await read_stdout(lab, "from-lab-5")
    await viewer.until_output(b"from-lab-5")  # typing in Lab shows in every viewer
    lab.write_message(json.dumps(["set_size", 33, 99, 0, 0]))
    resized = await auntil(
        lambda: model_where(api, sid, lambda m: m["cols"] == 99), what="Lab's size"
    )
    assert (resized["rows"], resized["cols"]) == (33, 99)
    assert resized["clients"] == 2, "the Lab terminal and our viewer"
    lab.close()
    # once the server has seen the Lab terminal go, the session must still be there, running
    await auntil(lambda: model_where(api, sid, lambda m: m["clients"] == 1), what="Lab closed")
    assert sid in [m["id"] for m in (await api.call("GET", "sessions"))[1]]
    assert (await api.get(sid))["state"] in ("idle", "busy"), "closing the tab leaves it running"
    viewer.close()


async def test_lab_shut_down_stops_through_our_manager(
    api: Api, jp_fetch: Any, manager: Any
) -> None:
    model = await api.create()
    sid, pid = model["id"], model["pid"]
    name = model["terminal_name"]
    resp = await jp_fetch("api", "terminals", name, method="DELETE")
    assert resp.code == 204
    stopped = await wait_state(api, sid, "stopped")
    assert stopped["pid"] is None and not psutil.pid_exists(pid)
    assert name not in await lab_terminals(jp_fetch), "stopped sessions are not live terminals"
    assert manager.get(sid).state.value == "stopped"
    status, _ = await api.call("POST", "sessions", sid, "resume", body={})
    assert status == 200
    assert (await api.get(sid))["terminal_name"] in await lab_terminals(jp_fetch)


async def test_names_never_collide(api: Api, jp_fetch: Any) -> None:
    first = await api.create(name="same")
    taken = first["terminal_name"]
    try:
        await jp_fetch("api", "terminals", method="POST", body=json.dumps({"name": taken}))
        raise AssertionError("a Lab terminal replaced a session's terminal")
    except HTTPClientError as err:
        assert err.code == 409
    assert taken in await lab_terminals(jp_fetch)
    lab_made = json.loads((await jp_fetch("api", "terminals", method="POST", body="{}")).body)
    assert lab_made["name"] != taken
    await api.call("PATCH", "sessions", first["id"], body={"name": "renamed"})
    second = await api.create(name="same")
    assert second["terminal_name"] not in (taken, lab_made["name"])
    names = await lab_terminals(jp_fetch)
    assert {taken, second["terminal_name"], lab_made["name"]} <= set(names)
    await jp_fetch("api", "terminals", lab_made["name"], method="DELETE")
