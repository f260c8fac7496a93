"""Process lifecycle: exit codes, stop escalation, zombies, server shutdown, auto-enable."""

from __future__ import annotations

import contextlib
import logging
import signal
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_ccmanager.server.session import session_members
from tests.helpers.api import Api
from tests.helpers.commands import STUBBORN
from tests.helpers.launcher import JupyterServer
from tests.helpers.waiting import (
    auntil,
    describe_session,
    gone,
    runs_in_foreground,
    until,
    wait_gone,
    wait_output,
    wait_state,
)


def sleeps(pid: int) -> int:
    """How many ``sleep`` processes run in the session of ``pid``."""
    names = []
    for member in session_members(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            names.append(psutil.Process(member).name())
    return names.count("sleep")


class TestStop:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"stop_timeout": 0.5}

    async def test_stop_escalates_to_sigkill(self, api: Api) -> None:
        model = await api.create(command=["sh", "-c", STUBBORN])
        await wait_output(api, model["id"], b"ready")
        status, stopped = await api.call("POST", "sessions", model["id"], "stop", body={})
        assert status == 200 and stopped["state"] == "stopped"
        assert stopped["exit_code"] == -signal.SIGKILL, "SIGTERM/SIGHUP were ignored"
        assert gone(model["pid"])

    async def test_graceful_stop_does_not_kill(self, api: Api) -> None:
        model = await api.create(command=["sh", "-c", "trap 'exit 5' TERM; echo ready; read x"])
        await wait_output(api, model["id"], b"ready")
        status, stopped = await api.call("POST", "sessions", model["id"], "stop", body={})
        assert status == 200 and stopped["exit_code"] in (5, -signal.SIGHUP)

    async def test_force_stop(self, api: Api) -> None:
        model = await api.create(command=["sh", "-c", STUBBORN])
        status, stopped = await api.call(
            "POST", "sessions", model["id"], "stop", body={"force": True}
        )
        assert status == 200 and stopped["exit_code"] == -signal.SIGKILL

    async def test_no_zombies_after_many_cycles(self, api: Api, manager: Any) -> None:
        pids = []
        for i in range(25):
            model = await api.create(command=["sh", "-c", STUBBORN if i % 5 == 0 else "cat"])
            pids.append(model["pid"])
            if i % 2:
                await api.call("POST", "sessions", model["id"], "stop", body={})
            status, _ = await api.call("DELETE", "sessions", model["id"])
            assert status == 204
        assert manager.sessions == {}
        children = psutil.Process().children(recursive=True)
        assert not [c for c in children if c.pid in pids], "every session process is reaped"
        zombies = [c for c in children if c.status() == psutil.STATUS_ZOMBIE]
        assert zombies == []
        assert not [p for p in pids if psutil.pid_exists(p)]


async def test_exit_detected_while_grandchild_keeps_pty(api: Api) -> None:
    """The main process exits but a background child keeps the PTY open."""
    model = await api.create(command=["sh", "-c", "sleep 2 & echo started; exit 4"])
    done = await wait_state(api, model["id"], "exited", timeout=20)
    assert done["exit_code"] == 4


@pytest.mark.parametrize(
    "job", ["sleep 300 &", "sleep 300 & disown", "nohup sleep 300 >/dev/null 2>&1 &"]
)
async def test_delete_running_session_leaves_no_process(api: Api, job: str) -> None:
    """A background job the shell does not (or cannot) hang up dies with its session."""
    model = await api.create()
    await wait_state(api, model["id"], "idle", timeout=60)
    await api.send(model["id"], f"{job}\r")
    group = await auntil(
        lambda: (members := session_members(model["pid"])) and len(members) >= 2 and members,
        what="the background job",
    )
    status, _ = await api.call("DELETE", "sessions", model["id"])
    assert status == 204
    assert wait_gone(group) == []


def test_auto_enabled_server_and_shutdown(tmp_path: Path) -> None:
    """`jupyter server` loads the extension by itself; SIGTERM leaves no session behind."""
    server = JupyterServer(tmp_path, "--CCSessionManager.stop_timeout=1").start()
    try:
        resp = server.api("GET", "sessions")
        assert resp.status_code == 200 and resp.json() == []
        models = [server.create(), server.create(command=["sh", "-c", STUBBORN])]
        models.append(server.create(command=["sh", "-c", "sleep 1000 & sleep 1000"]))
        until(lambda: b"ready" in server.output(models[1]["id"]), what="the stubborn shell")
        until(lambda: sleeps(models[2]["pid"]) == 2, what="both sleeps")
        pids = [m["pid"] for m in models]
        pids = [member for pid in pids for member in session_members(pid)]
    finally:
        assert server.stop() is not None
    assert wait_gone(pids) == [], "no session process outlives the server"


def ignored_signals(pid: int) -> set[int]:
    """The signals ``pid`` ignores (SigIgn in /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        mask = int(next(line for line in f if line.startswith("SigIgn:")).split()[1], 16)
    return {n for n in range(1, 65) if mask >> (n - 1) & 1}


def test_ctrl_c_works_in_a_server_started_in_the_background(tmp_path: Path) -> None:
    """A server launched as a background job of a script (``jupyter lab &``) ignores
    SIGINT and SIGQUIT, and Python ignores SIGPIPE and SIGXFSZ: its terminals' programs
    start with every signal at its default, so Ctrl-C stops a ``sleep`` (it did not:
    the flake of the interrupt tests under a backgrounded test run)."""
    ignore = "import signal\nfor s in (2, 3): signal.signal(s, signal.SIG_IGN)"  # INT, QUIT
    with JupyterServer(tmp_path, preamble=ignore) as server:
        assert {signal.SIGINT, signal.SIGQUIT} <= ignored_signals(server.pid)
        model = server.create()
        until(lambda: server.api("GET", f"sessions/{model['id']}").json()["state"] == "idle")
        server.api("POST", f"sessions/{model['id']}/input", {"data": "sleep 30\r"})
        until(lambda: runs_in_foreground(model["pid"], "sleep"), what="sleep in front")
        sleep = next(
            p for p in session_members(model["pid"]) if psutil.Process(p).name() == "sleep"
        )
        inherited = ignored_signals(sleep) & {
            signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ
        }  # fmt: skip
        assert not inherited, f"sleep ignores {inherited}"
        assert server.api("POST", f"sessions/{model['id']}/interrupt").status_code == 200
        until(lambda: gone(sleep), what=f"Ctrl-C ending sleep: {describe_session(model['pid'])}")


class TestMissingDefaultCli:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"default_agent": "claude", "agents": {"claude": {"argv": ["claude-not-here-xyz"]}}}

    async def test_is_logged_at_start(self, manager: Any) -> None:
        """A new user reads the server log before an error in a cell: say it at start."""
        said: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
        manager.log.addHandler(handler)
        try:
            # what __init__ ran before this handler could listen
            other = type(manager)(
                root_dir=manager.root_dir, server_url="", parent=manager.parent, log=manager.log
            )
            other.monitor.close()
        finally:
            manager.log.removeHandler(handler)
        said = [m for m in said if "the default agent 'claude' cannot start" in m]
        assert len(said) == 1 and "npm install -g @anthropic-ai/claude-code" in said[0], said
