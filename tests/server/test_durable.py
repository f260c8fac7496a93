"""Durable sessions: the store, restore after restart, resume, corrupt stores, culling."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_ccmanager.server.session import session_members
from tests.helpers.api import Api
from tests.helpers.commands import STUBBORN, git, make_repo
from tests.helpers.launcher import JupyterServer
from tests.helpers.waiting import auntil, until, wait_gone, wait_output, wait_state
from tests.helpers.ws import open_viewer


def test_kill9_restart_restores_stopped_sessions_with_output(tmp_path: Path) -> None:
    server = JupyterServer(tmp_path).start()
    try:
        a = server.create(name="alpha", key="task-a")
        b = server.create(command=["sh", "-c", "echo from-b-$((3+4)); exec cat"])
        server.api("POST", f"sessions/{a['id']}/input", {"data": "echo marker-$((40+2))\r"})
        until(lambda: b"marker-42" in server.output(a["id"]))
        until(lambda: b"from-b-7" in server.output(b["id"]))
        # The acceptance bar itself (not a wait for something): output printed 3 s
        # before a kill -9 survives it.
        time.sleep(3)
        pids = [m for s in (a, b) for m in session_members(s["pid"])]
    finally:
        server.stop(signal.SIGKILL)
    wait_gone(pids)
    with JupyterServer(tmp_path) as again:
        models = {m["id"]: m for m in again.api("GET", "sessions").json()}
        assert set(models) == {a["id"], b["id"]}
        assert models[a["id"]]["name"] == "alpha" and models[a["id"]]["key"] == "task-a"
        assert all(m["state"] == "stopped" and m["pid"] is None for m in models.values())
        assert b"marker-42" in again.output(a["id"])
        assert b"from-b-7" in again.output(b["id"])
        # resume brings the shell back, appending below a visible separator
        resp = again.api("POST", f"sessions/{a['id']}/resume", {})
        assert resp.status_code == 200, resp.text
        assert resp.json()["state"] in ("starting", "busy", "idle") and resp.json()["pid"]
        again.api("POST", f"sessions/{a['id']}/input", {"data": "echo back-$((1+1))\r"})
        until(lambda: b"back-2" in again.output(a["id"]))
        data = again.output(a["id"])
        assert data.index(b"marker-42") < data.index(b"resumed") < data.index(b"back-2")
        # DELETE forgets for good, also across a restart
        assert again.api("DELETE", f"sessions/{b['id']}").status_code == 204
    with JupyterServer(tmp_path) as third:
        assert [m["id"] for m in third.api("GET", "sessions").json()] == [a["id"]]


def test_sigterm_saves_and_stops_everything(tmp_path: Path) -> None:
    server = JupyterServer(tmp_path, "--CCSessionManager.stop_timeout=1").start()
    try:
        models = [server.create(), server.create(command=["sh", "-c", STUBBORN])]
        until(lambda: b"ready" in server.output(models[1]["id"]))
        pids = [m for s in models for m in session_members(s["pid"])]
    finally:
        server.stop(signal.SIGTERM)
    assert wait_gone(pids) == [], "no session process outlives the server"
    with JupyterServer(tmp_path) as again:
        states = {m["id"]: m["state"] for m in again.api("GET", "sessions").json()}
        assert states == {m["id"]: "stopped" for m in models}


def stored(db: Path) -> set[str]:
    """The ids of the sessions in a store, read through a connection of our own."""
    if not db.exists():
        return set()
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        try:
            return {row[0] for row in conn.execute("SELECT id FROM sessions")}
        except sqlite3.OperationalError:  # not created yet
            return set()


def stored_output(db: Path) -> dict[str, bytes]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return dict(conn.execute("SELECT id, data FROM output").fetchall())


@pytest.mark.parametrize("damage", ["random", "truncated", "wrong-schema"])
def test_corrupt_store_is_moved_aside_and_worktrees_rebuilt(tmp_path: Path, damage: str) -> None:
    server = JupyterServer(tmp_path).start()
    repo = make_repo(server.root / "repo")
    db = tmp_path / "data" / "ccmanager" / "sessions.sqlite"
    try:
        wt = server.create(name="wt1", cwd="repo", worktree=True)
        plain = server.create()
        until(lambda: stored(db) >= {wt["id"], plain["id"]}, what="both sessions in the store")
    finally:
        server.stop()
    assert db.exists()
    if damage == "random":
        db.write_bytes(os.urandom(64 * 1024))
    elif damage == "truncated":
        db.write_bytes(db.read_bytes()[:1000])
    else:
        db.unlink()
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE something_else (x)")
    with JupyterServer(tmp_path) as again:
        models = {m["name"]: m for m in again.api("GET", "sessions").json()}
        assert "wt1" in models, "the worktree session is rebuilt from its worktree"
        assert models["wt1"]["id"] == wt["id"] and models["wt1"]["state"] == "stopped"
        assert models["wt1"]["branch"] == "feature/wt1"
        assert plain["name"] not in models  # it lived only in the lost store
        stats = again.api("GET", "stats").json()
        aside = stats["store"]["moved_aside"]
        assert aside and "corrupt" in aside and os.path.exists(aside), "evidence kept"
        log = again.log_path.read_text()
        assert "unreadable" in log
        # the rebuilt session works
        assert again.api("POST", f"sessions/{wt['id']}/resume", {}).status_code == 200
        assert again.api("DELETE", f"sessions/{wt['id']}").status_code == 204
    assert "feature/wt1" in git("branch", "--list", "feature/wt1", cwd=repo)


async def test_worktree_lifecycle(api: Api, jp_root_dir: Path) -> None:
    repo = make_repo(Path(jp_root_dir) / "proj")
    model = await api.create(name="feat", cwd="proj", worktree=True)
    path = Path(model["worktree_path"])
    assert path == repo / ".worktrees" / "feat" and model["cwd"] == str(path)
    assert model["branch"] == "feature/feat"
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=path).strip() == "feature/feat"
    assert git("status", "--porcelain", cwd=repo) == "", "the main checkout stays clean"
    await api.send(model["id"], "pwd; git branch --show-current\r")
    await wait_output(api, model["id"], b"feature/feat\r\n")
    # dirty: refused with a clear error, nothing changes
    (path / "new.txt").write_text("work in progress")
    status, err = await api.call("DELETE", "sessions", model["id"])
    assert status == 409 and err["code"] == "WORKTREE_DIRTY"
    assert (await api.get(model["id"]))["state"] != "stopped" and path.exists()
    # clean: removed, branch kept
    (path / "new.txt").unlink()
    status, _ = await api.call("DELETE", "sessions", model["id"])
    assert status == 204 and not path.exists()
    assert "feature/feat" in git("branch", "--list", "feature/feat", cwd=repo)


async def test_worktree_force_delete_and_errors(api: Api, jp_root_dir: Path) -> None:
    make_repo(Path(jp_root_dir) / "proj")
    model = await api.create(name="dirty", cwd="proj", worktree=True)
    Path(model["worktree_path"], "x").write_text("x")
    status, _ = await api.call("DELETE", "sessions", model["id"], params={"force": "1"})
    assert status == 204 and not Path(model["worktree_path"]).exists()
    (Path(jp_root_dir) / "plain").mkdir()
    status, err = await api.call("POST", "sessions", body={"cwd": "plain", "worktree": True})
    assert status == 400 and err["code"] == "NOT_A_GIT_REPO"
    status, err = await api.call(
        "POST", "sessions", body={"name": "dirty", "cwd": "proj", "worktree": True}
    )
    assert status == 409 and err["code"] == "WORKTREE_FAILED"  # the kept branch exists
    assert (await api.call("GET", "sessions"))[1] == []


async def test_resume_in_process_and_errors(api: Api) -> None:
    model = await api.create(command=["sh", "-c", "echo run-$((2+2))"])
    await wait_state(api, model["id"], "exited")
    status, resumed = await api.call("POST", "sessions", model["id"], "resume", body={})
    assert status == 200 and resumed["state"] in ("starting", "busy", "idle", "exited")
    await wait_state(api, model["id"], "exited")
    data = await wait_output(api, model["id"], b"resumed")
    assert data.count(b"run-4") == 2
    running = await api.create()
    status, err = await api.call("POST", "sessions", running["id"], "resume", body={})
    assert status == 409 and err["code"] == "ALREADY_RUNNING"
    status, err = await api.call("POST", "sessions", model["id"], "resume", body={"cols": "x"})
    assert status == 400


class TestCulling:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"cull_idle_timeout": 1.0}

    async def test_idle_unwatched_sessions_are_stopped(self, api: Api, jp_ws_fetch: Any) -> None:
        lonely = await api.create(command=["sh", "-c", "exec cat"])
        watched = await api.create(command=["sh", "-c", "exec cat"])
        viewer = await open_viewer(jp_ws_fetch, watched["id"])
        culled = await wait_state(api, lonely["id"], "stopped", timeout=20)
        assert culled["state"] == "stopped"
        assert (await api.get(watched["id"]))["state"] == "idle"
        viewer.close()
        status, _ = await api.call("POST", "sessions", lonely["id"], "resume", body={})
        assert status == 200  # culled sessions are resumable


async def test_store_keeps_up_with_many_streaming_sessions(api: Api, manager: Any) -> None:
    models = [
        await api.create(
            command=["sh", "-c", f"for i in $(seq 1 3000); do echo s{n}-$i; done; exec cat"]
        )
        for n in range(8)
    ]
    for n, m in enumerate(models):
        await wait_output(api, m["id"], f"s{n}-3000\r\n".encode())
    store = manager.persistence.store

    def caught_up() -> bool:
        rows = stored_output(Path(store.path))
        return all(
            rows.get(m["id"], b"").endswith(f"s{n}-3000\r\n".encode()) for n, m in enumerate(models)
        )

    await auntil(caught_up, what="the store to hold every session's last line")
    assert store.errors == 0 and store.last_write
