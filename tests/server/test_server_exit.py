"""However the server ends, no session process survives it (issue #11).

Real ``jupyter server`` subprocesses, started without a TTY like JupyterHub's
spawners do: SIGTERM, SIGINT, ``kill -9`` and a restart, and two servers on
one data dir.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_ccmanager.server.session import session_members

from ..servers import ServerProcess
from ..test_durable import output_of, wait_until
from ..test_process import wait_gone
from .test_no_leftovers import ESCAPEES


def start_with_escapees(server: ServerProcess) -> tuple[dict[str, Any], list[int]]:
    model = server.create()
    server.api("POST", f"sessions/{model['id']}/input", {"data": ESCAPEES})
    wait_until(lambda: b"jobs-9" in output_of(server, model["id"]))

    def all_three() -> list[int] | None:
        members = session_members(model["pid"])
        return members if len(members) >= 3 else None

    return model, wait_until(all_three)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_server_signal_runs_our_shutdown(tmp_path: Path, sig: int) -> None:
    """SIGINT with no TTY is how JupyterHub stops a server: it must act like SIGTERM."""
    server = ServerProcess(tmp_path, "--CCSessionManager.stop_timeout=1").start()
    try:
        model, members = start_with_escapees(server)
        server.api("POST", f"sessions/{model['id']}/input", {"data": "echo last-$((6*7))\r"})
        wait_until(lambda: b"last-42" in output_of(server, model["id"]))
    finally:
        server.stop(sig)
    assert wait_gone(members, timeout=10) == [], "no session process outlives the server"
    with ServerProcess(tmp_path) as again:
        assert b"last-42" in output_of(again, model["id"]), "the last output was saved"
        [listed] = again.api("GET", "sessions").json()
        assert listed["state"] == "stopped"


def test_kill9_then_restart_stops_what_still_runs(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, "--CCManagerApp.persist_interval=0.2").start()
    try:
        model, members = start_with_escapees(server)
        time.sleep(1)  # persist_interval: the leader's pid and sid are in the store
    finally:
        server.stop(signal.SIGKILL)
    survivors = [p for p in members if p != model["pid"]]
    assert wait_gone(survivors, timeout=2) != [], "the escapees outlive a SIGKILLed server"
    with ServerProcess(tmp_path) as again:
        [listed] = again.api("GET", "sessions").json()
        assert wait_gone(members, timeout=10) == [], "the restarted server stopped them"
        assert listed["state"] == "stopped" and listed["pid"] is None


def test_two_servers_on_one_data_dir(tmp_path: Path) -> None:
    """B never lists, resumes or deletes A's live sessions, nor removes A's demo HOME."""
    demo = "--CCManagerApp.demo_mode=on"
    a = ServerProcess(tmp_path, demo, "--CCManagerApp.persist_interval=0.2").start()
    try:
        ours = a.create(name="of-a")
        time.sleep(1)  # in the store
        demo_home = tmp_path / "data" / "ccmanager" / "demo-home"
        with ServerProcess(tmp_path, demo) as b:
            assert [m["id"] for m in b.api("GET", "sessions").json()] == []
            assert b.api("POST", f"sessions/{ours['id']}/resume", {}).status_code == 404
            assert b.api("DELETE", f"sessions/{ours['id']}").status_code == 404
            b.create(name="of-b")
        assert demo_home.is_dir(), "B's shutdown left A's demo HOME alone"
        [listed] = a.api("GET", "sessions").json()
        assert listed["id"] == ours["id"] and listed["state"] != "stopped"
        assert psutil.pid_exists(ours["pid"]), "A's session still runs"
    finally:
        a.stop()
    with ServerProcess(tmp_path) as again:
        names = sorted(m["name"] for m in again.api("GET", "sessions").json())
        assert names == ["of-a", "of-b"], "both records survive, owned by nobody alive"
