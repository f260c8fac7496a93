"""However the server ends, no session process survives it (issue #11).

Real ``jupyter server`` subprocesses, started without a TTY like JupyterHub's
spawners do: SIGTERM, SIGINT, ``kill -9`` and a restart, and two servers on
one data dir.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_ccmanager.server.session import session_members
from jupyter_ccmanager.server.store.sqlite import MIGRATIONS, SCHEMA_VERSION, SessionStore
from tests.helpers.commands import STUBBORN
from tests.helpers.launcher import JupyterServer
from tests.helpers.waiting import until, wait_gone
from tests.server.test_no_leftovers import ESCAPEES


def start_with_escapees(server: JupyterServer) -> tuple[dict[str, Any], list[int]]:
    model = server.create()
    server.api("POST", f"sessions/{model['id']}/input", {"data": ESCAPEES})
    until(lambda: b"jobs-9" in server.output(model["id"]))

    def all_three() -> list[int] | None:
        members = session_members(model["pid"])
        return members if len(members) >= 3 else None

    return model, until(all_three)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_server_signal_runs_our_shutdown(tmp_path: Path, sig: int) -> None:
    """SIGINT with no TTY is how JupyterHub stops a server: it must act like SIGTERM."""
    server = JupyterServer(tmp_path, "--CCSessionManager.stop_timeout=1").start()
    try:
        model, members = start_with_escapees(server)
        server.api("POST", f"sessions/{model['id']}/input", {"data": "echo last-$((6*7))\r"})
        until(lambda: b"last-42" in server.output(model["id"]))
    finally:
        server.stop(sig)
    assert wait_gone(members, timeout=10) == [], "no session process outlives the server"
    with JupyterServer(tmp_path) as again:
        assert b"last-42" in again.output(model["id"]), "the last output was saved"
        [listed] = again.api("GET", "sessions").json()
        assert listed["state"] == "stopped"


def test_kill9_then_restart_stops_what_still_runs(tmp_path: Path) -> None:
    server = JupyterServer(tmp_path, "--CCManagerApp.persist_interval=0.2").start()
    try:
        model, members = start_with_escapees(server)
        # A leader that ignores the SIGHUP of its closed PTY keeps running itself.
        stubborn = server.create(command=["sh", "-c", STUBBORN])
        until(lambda: b"ready" in server.output(stubborn["id"]))
        time.sleep(1)  # persist_interval: the leaders' pids and sids are in the store
    finally:
        server.stop(signal.SIGKILL)
    survivors = [p for p in members if p != model["pid"]] + [stubborn["pid"]]
    assert wait_gone(survivors, timeout=2) != [], "they outlive a SIGKILLed server"
    with JupyterServer(tmp_path) as again:
        listed = again.api("GET", "sessions").json()
        assert wait_gone(survivors, timeout=10) == [], "the restarted server stopped them"
        assert [(m["state"], m["pid"]) for m in listed] == [("stopped", None)] * 2


def test_two_servers_on_one_data_dir(tmp_path: Path) -> None:
    """B never lists, resumes or deletes A's live sessions, nor removes A's demo HOME."""
    demo = "--CCManagerApp.demo_mode=on"
    a = JupyterServer(tmp_path, demo, "--CCManagerApp.persist_interval=0.2").start()
    try:
        ours = a.create(name="of-a")
        time.sleep(1)  # in the store
        demo_home = tmp_path / "data" / "ccmanager" / "demo-home"
        with JupyterServer(tmp_path, demo) as b:
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
    with JupyterServer(tmp_path) as again:
        names = sorted(m["name"] for m in again.api("GET", "sessions").json())
        assert names == ["of-a", "of-b"], "both records survive, owned by nobody alive"


def test_a_schema_1_store_is_migrated(tmp_path: Path) -> None:
    """Stores written before the leader and owner columns keep their sessions."""
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(f"BEGIN; {MIGRATIONS[1]}; PRAGMA user_version=1; COMMIT;")
    model = {"id": "old1", "name": "old", "agent": "shell", "command": ["bash"], "cwd": "/"}
    db.execute(
        "INSERT INTO sessions (id, model, spec, updated_at) VALUES (?, ?, ?, 0)",
        ("old1", json.dumps(model), "{}"),
    )
    db.commit()
    db.close()
    store = SessionStore(str(path), owner="1:2")
    try:
        assert store.moved_aside is None
        [stored] = store.load()
        assert (stored.id, stored.leader, stored.owner) == ("old1", None, None)
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    finally:
        store.close()
