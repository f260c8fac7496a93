"""The kernel-side Python API (``import jupyter_ccmanager as ccm``) against a real server.

pytest-jupyter runs the server on this test's event loop, so the blocking API
(urllib underneath) is called from a worker thread (``asyncio.to_thread``)
while the loop keeps serving; the async twins are awaited directly. The last
tests run a real ipykernel process with the environment a server gives its
kernels and call the blocking API inside a cell, on ipykernel's running loop.
"""

from __future__ import annotations

import asyncio
import sys
import termios
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import jupyter_ccmanager as ccm
from jupyter_ccmanager import api as ccm_api
from jupyter_ccmanager.client import waiting
from jupyter_ccmanager.client.transport import Client
from jupyter_ccmanager.server.demo.api import Bash, FakeAnthropic, Text, claude_env, prepare_home
from tests.helpers.launcher import free_port
from tests.helpers.require import require_claude
from tests.helpers.waiting import auntil, describe_session, runs_in_foreground

to_thread = asyncio.to_thread


@pytest.fixture(autouse=True)
def _fresh_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without a default client (ccm.connect() sets one)."""
    monkeypatch.setattr(ccm_api, "_default", None)


@pytest.fixture
def server_url(jp_serverapp: Any, http_server: Any, jp_http_port: int, jp_base_url: str) -> str:
    # pytest-jupyter only listens on the port once `http_server` is requested.
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def token(jp_serverapp: Any) -> str:
    return str(jp_serverapp.identity_provider.token)


@pytest.fixture
def client(server_url: str, token: str) -> Client:
    return ccm.connect(server_url, token)


# -- connection ------------------------------------------------------------------


async def test_connect_explicit(server_url: str, token: str, jp_base_url: str) -> None:
    c = ccm.connect(server_url, token)
    assert c.url == server_url and c.url.endswith(jp_base_url)
    assert c.source == "explicit url"
    assert token not in repr(c)
    assert ccm_api._client() is c, "connect() makes it the default for ccm.* calls"
    stats = await to_thread(ccm.stats)
    assert stats and isinstance(stats, dict)
    # A wrong token is a typed permission error, not a crash or an HTML page.
    bad = Client(server_url, "wrong-token")
    with pytest.raises(ccm.PermissionDenied) as err:
        await to_thread(ccm.sessions, client=bad)
    assert err.value.status == 403


async def test_server_not_found_when_nothing_to_find(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "JUPYTER_CCMANAGER_URL", "JUPYTER_CCMANAGER_TOKEN", "JPY_PARENT_PID",
        "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_API_TOKEN",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    runtime = tmp_path / "empty-runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    with pytest.raises(ccm.ServerNotFound) as err:
        ccm.connect()
    assert err.value.code == "SERVER_NOT_FOUND"
    assert "ccm.connect(url=" in err.value.message, "the error says how to fix it"
    assert "no running server found" in err.value.message
    with pytest.raises(ccm.ServerNotFound):
        ccm.start(agent="shell")  # the implicit default client discovers the same way
    with pytest.raises(ccm.ServerNotFound):
        await ccm.asessions()


async def test_connection_refused_is_typed(tmp_path: Path) -> None:
    dead = Client(f"http://127.0.0.1:{free_port()}/user/x/", "t", timeout=5)
    with pytest.raises(ccm.ConnectionFailed):
        await to_thread(ccm.sessions, client=dead)


# -- the blocking API, end to end ---------------------------------------------------


async def test_start_send_wait_screen_output(client: Client, jp_root_dir: Path) -> None:
    s = await to_thread(ccm.start, agent="shell", cwd=str(jp_root_dir), key="task-7")
    assert s.model["agent"] == "shell" and s.model["key"] == "task-7"
    assert s.model["cwd"] == str(Path(jp_root_dir).resolve())
    assert "token" not in repr(s).lower()
    await to_thread(s.wait_for, "idle", timeout=30)
    start_offset = (await to_thread(s.info))["offset"]
    await to_thread(s.send, "echo api-$((6*7))\r")
    # wait_for("idle") alone could return before the shell even echoes; wait for output.
    await auntil(lambda: to_thread(lambda: "api-42" in s.output(start_offset)), what="echo")
    assert await to_thread(s.wait_for, "idle", timeout=30) == "idle"
    screen = await to_thread(s.screen)
    assert "api-42" in screen and "echo api-$((6*7))" in screen
    assert await to_thread(lambda: s.state) == "idle"

    # output(offset): everything, then only what came after a given offset.
    everything = await to_thread(s.output, 0)
    assert "api-42" in everything
    chunk = await to_thread(s.read_output, 0)
    assert chunk.offset == 0 and chunk.end_offset == len(chunk.data)
    tail = await to_thread(s.output, chunk.end_offset)
    assert tail == ""
    await to_thread(s.send, "echo more-$((1+2))\r")
    await auntil(
        lambda: to_thread(lambda: "more-3" in s.output(chunk.end_offset)), what="tail output"
    )
    later = await to_thread(s.read_output, chunk.end_offset)
    assert later.offset == chunk.end_offset and "api-42" not in later.text


async def test_sessions_and_get_by_id_name_key(client: Client, jp_root_dir: Path) -> None:
    a = await to_thread(ccm.start, name="alpha", agent="shell", cwd=None, key="k-a")
    b = await ccm.astart(name="beta", agent="shell", cwd=None, key="k-b", labels={"t": "1"})
    listed = await to_thread(ccm.sessions)
    assert {x.id for x in listed} == {a.id, b.id}
    assert {x.id for x in await ccm.asessions(key="k-b")} == {b.id}
    for ident in (a.id, "alpha", "k-a"):
        assert (await to_thread(ccm.get, ident)) == a
    assert (await ccm.aget("beta")).model["labels"] == {"t": "1"}
    assert (await ccm.aget("k-b")) == b
    assert ccm.get(a) is a, "a Session handle passes through"
    await to_thread(b.update, name="gamma")
    assert (await to_thread(ccm.get, "gamma")).id == b.id


async def test_resize_interrupt_stop_delete(client: Client, manager: Any) -> None:
    s = await to_thread(ccm.start, agent="shell", cwd=None, cols=80, rows=24)
    await to_thread(s.wait_for, "idle", timeout=30)
    await to_thread(s.resize, 100, 30)
    assert (s.model["cols"], s.model["rows"]) == (100, 30)
    await to_thread(s.send, "stty size\r")
    await auntil(lambda: to_thread(lambda: "30 100" in s.output()), what="stty size")

    await to_thread(s.send, "sleep 30; echo late-$((40+2))\r")
    await auntil(lambda: runs_in_foreground(s.model["pid"], "sleep"), what="sleep in front")
    await to_thread(s.interrupt)
    # Type the next line only once the Ctrl-C has been taken (sleep is gone): a lost
    # Ctrl-C then fails here, apart from a lost next line (a flake under load, open).
    try:
        await auntil(lambda: not runs_in_foreground(s.model["pid"], "sleep"), timeout=20)
    except AssertionError:
        raise AssertionError(
            f"sleep not gone: {describe_session(s.model['pid'])}; "
            f"termios lflag={termios.tcgetattr(manager.get(s.id)._fd)[3]:#x}; "
            f"output {(await to_thread(s.output))[-300:]!r}"
        ) from None
    await to_thread(s.send, "echo after-$?\r")
    try:
        out = await auntil(
            lambda: to_thread(lambda: (o := s.output()) and "after-130" in o and o), timeout=20
        )
    except AssertionError:
        raise AssertionError(f"no after-130 in {(await to_thread(s.output))[-300:]!r}") from None
    assert "late-42" not in out

    await to_thread(s.stop)
    assert s.model["state"] == "stopped" and s.model["pid"] is None
    assert await to_thread(lambda: s.state) == "stopped"
    with pytest.raises(ccm.SessionEnded) as ended:
        await to_thread(s.wait_for, "idle", timeout=5)
    assert ended.value.state == "stopped"
    await to_thread(s.delete)
    with pytest.raises(ccm.SessionNotFound):
        await to_thread(s.info)
    assert await to_thread(ccm.sessions) == []


async def test_async_twins(client: Client) -> None:
    s = await ccm.astart(agent="shell", cwd=None)
    assert await s.await_for("idle", timeout=30) == "idle"
    await s.asend("echo twin-$((2*3))\r")

    async def echoed() -> bool:
        return "twin-6" in await s.aoutput()

    await auntil(echoed, what="twin echo")
    await s.await_for("idle", timeout=30)
    assert "twin-6" in await s.ascreen()
    assert await s.astate() == "idle"
    await s.aresize(90, 20)
    await s.astop()
    await s.adelete()
    assert await ccm.asessions() == []


async def test_wait_for_uses_the_socket_busy_then_idle(
    client: Client, monkeypatch: pytest.MonkeyPatch, manager: Any
) -> None:
    s = await to_thread(ccm.start, agent="shell", cwd=None)
    await to_thread(s.wait_for, "idle", timeout=30)

    async def no_polling(*args: Any, **kw: Any) -> str:
        raise AssertionError("wait_for fell back to polling; the WebSocket path should work")

    monkeypatch.setattr(waiting, "_via_polling", no_polling)
    busy = asyncio.ensure_future(to_thread(s.wait_for, "busy", timeout=30))
    # The waiter is attached as a viewer before the work starts.
    await auntil(lambda: manager.get(s.id).model()["clients"] >= 1, what="ws")
    await to_thread(s.send, "for i in $(seq 1 15); do echo tick-$i; sleep 0.1; done\r")
    assert await busy == "busy"
    assert await to_thread(s.wait_for, "idle", timeout=30) == "idle"
    assert "tick-15" in await to_thread(s.screen)
    with pytest.raises(ccm.Timeout):
        await to_thread(s.wait_for, "waiting", timeout=0.5)
    with pytest.raises(ValueError):
        await to_thread(s.wait_for, "idel")


# -- typed errors -------------------------------------------------------------------


async def test_session_not_found(client: Client) -> None:
    with pytest.raises(ccm.SessionNotFound) as err:
        await to_thread(ccm.get, "no-such-session-id-123")
    assert isinstance(err.value, LookupError)
    ghost = ccm.Session(client, {"id": "AAAAAAAAAAAAAAAA"})
    with pytest.raises(ccm.SessionNotFound) as err:
        await to_thread(ghost.send, "x")
    assert (err.value.code, err.value.status) == ("NOT_FOUND", 404)
    with pytest.raises(ccm.SessionNotFound):
        await ghost.ainfo()


@pytest.mark.parametrize("ccm_config", [{"max_sessions": 1}])
async def test_limit_exceeded(client: Client) -> None:
    first = await to_thread(ccm.start, agent="shell", cwd=None)
    with pytest.raises(ccm.LimitExceeded) as err:
        await to_thread(ccm.start, agent="shell", cwd=None)
    assert (err.value.code, err.value.status) == ("MAX_SESSIONS", 409)
    assert "Maximum 1 sessions" in err.value.message
    await to_thread(first.stop)
    second = await to_thread(ccm.start, agent="shell", cwd=None)  # a stopped one does not count
    assert second.id != first.id


async def test_invalid_requests(client: Client, jp_root_dir: Path) -> None:
    with pytest.raises(ccm.InvalidRequest) as err:
        await to_thread(ccm.start, agent="shell", cwd="/")
    assert (err.value.code, err.value.status) == ("CWD_OUTSIDE_ROOT", 403)
    with pytest.raises(ccm.InvalidRequest) as err:
        await to_thread(ccm.start, agent="shell", cwd=str(jp_root_dir / "missing"))
    assert (err.value.code, err.value.status) == ("INVALID_CWD", 400)
    with pytest.raises(ccm.InvalidRequest) as err:
        await to_thread(ccm.start, name="bad name!", agent="shell", cwd=None)
    assert err.value.code == "INVALID_NAME"
    await to_thread(ccm.start, name="taken", agent="shell", cwd=None)
    with pytest.raises(ccm.InvalidRequest) as err:
        await ccm.astart(name="taken", agent="shell", cwd=None)
    assert err.value.code == "NAME_TAKEN"
    assert len(await to_thread(ccm.sessions)) == 1, "failed requests created nothing"


@pytest.mark.parametrize("ccm_config", [{"agents": {"claude": {"argv": ["no-such-claude-xyz"]}}}])
async def test_agent_not_found(client: Client) -> None:
    with pytest.raises(ccm.AgentNotFound) as err:
        await to_thread(ccm.start, agent="claude", cwd=None)
    assert err.value.code == "AGENT_NOT_FOUND"
    assert "npm install -g @anthropic-ai/claude-code" in err.value.message
    with pytest.raises(ccm.AgentNotFound):
        await ccm.astart(cwd=None, agent="claude")
    assert await to_thread(ccm.sessions) == []


# -- claude through the API (real CLI, fake Messages API) -----------------------------


@pytest.fixture
def fake_api() -> Iterator[FakeAnthropic]:
    require_claude()
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def claude_vars(fake_api: FakeAnthropic, tmp_path: Path, jp_root_dir: Path) -> dict[str, str]:
    home = tmp_path / "home"
    prepare_home(home, [jp_root_dir])
    return claude_env(fake_api.url, home)


@pytest.mark.claude
async def test_prompt_returns_claude_reply(
    client: Client, fake_api: FakeAnthropic, claude_vars: dict[str, str], jp_root_dir: Path
) -> None:
    s = await to_thread(ccm.start, agent="claude", cwd=str(jp_root_dir), env=claude_vars)
    assert await to_thread(s.wait_for, timeout=90) == "idle"
    fake_api.queue(Text("Kernel side says hello: 7 * 6 = 42."))
    reply = await to_thread(s.prompt, "What is 7 * 6?", timeout=90)
    assert reply == "Kernel side says hello: 7 * 6 = 42."
    assert s.last_prompt_result and s.last_prompt_result["state"] == "idle"
    assert "What is 7 * 6?" in fake_api.prompts()[-1]

    # A tool use stops at the permission prompt: prompt() returns with state waiting.
    marker = Path(jp_root_dir) / "api-marker"
    fake_api.queue(Bash(f"touch {marker}", "Create a marker"), Text("Marker created."))
    await s.aprompt("make the marker", timeout=90)
    assert s.last_prompt_result["state"] == "waiting"
    assert s.last_prompt_result["state_detail"] == "permission"
    assert "Do you want to proceed?" in await s.ascreen()
    await s.asend("\r")  # "1. Yes" is preselected
    assert await to_thread(s.wait_for, "idle", timeout=60) == "idle"
    assert marker.exists()
    await to_thread(s.stop)


# -- a real ipykernel calling the blocking API on its running loop --------------------


KERNEL_CODE = """
import jupyter_ccmanager as ccm
s = ccm.start(agent="shell")
s.send("echo hi-$((1+1))\\r")
s.wait_for("idle", timeout=30)
import time
for _ in range(100):  # idle may be reached before bash has echoed; be patient
    if "hi-2" in s.screen():
        break
    time.sleep(0.1)
print(s.screen())
print("client source:", ccm.api._client().source)
"""


async def run_in_kernel(
    code: str, env: dict[str, str], cwd: Path, timeout: float = 90
) -> tuple[str, Any]:
    """Execute ``code`` in a fresh ipykernel with ``env`` in ``cwd``; return (stdout, reply)."""
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name="python3")
    # The kernel must run this venv's Python (the spec may name a bare "python").
    km.kernel_spec.argv[0] = sys.executable  # type: ignore[union-attr]
    await km.start_kernel(env=env, cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        out: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        reply = await kc.execute_interactive(code, output_hook=hook, timeout=timeout)
        return "".join(out), reply
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


async def test_blocking_api_inside_a_real_ipykernel(
    server_url: str, token: str, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_CCMANAGER", "JPY_"))}
    env.update({"JUPYTER_CCMANAGER_URL": server_url, "JUPYTER_CCMANAGER_TOKEN": token})
    # The in-process server shares this loop: awaiting keeps it serving while the
    # kernel (another process) blocks in its cell.
    # The kernel runs in the server's root, like a notebook there: cwd "." is allowed.
    out, reply = await run_in_kernel(KERNEL_CODE, env, jp_root_dir)
    assert reply["content"]["status"] == "ok", out
    assert "hi-2" in out, out
    assert "client source: $JUPYTER_CCMANAGER_URL" in out
    manager = jp_serverapp.web_app.settings["ccmanager"]
    (session,) = manager.sessions.values()
    assert session.cwd == str(Path(jp_root_dir).resolve())
