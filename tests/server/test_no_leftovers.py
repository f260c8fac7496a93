"""No process outlives its session (issue #11): stop, delete, races, worktrees in the root."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_ccmanager.server.session import session_members
from tests.helpers.api import Api
from tests.helpers.waiting import wait_gone, wait_output, wait_state

#: Jobs a plain SIGHUP/SIGTERM to the shell's process group does not reach.
ESCAPEES = "sleep 1000 & disown; (trap '' HUP TERM; sleep 1000) & echo jobs-$((3*3))\r"


async def session_with_escapees(api: Api) -> tuple[dict[str, Any], list[int]]:
    model = await api.create()
    await api.send(model["id"], ESCAPEES)
    await wait_output(api, model["id"], b"jobs-9")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while len(members := session_members(model["pid"])) < 3:
        assert loop.time() < deadline, members
        await asyncio.sleep(0.05)
    return model, members


class TestEscapees:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"stop_timeout": 1.0}

    async def test_stop_kills_disowned_and_signal_ignoring_jobs(self, api: Api) -> None:
        model, members = await session_with_escapees(api)
        status, stopped = await api.call("POST", "sessions", model["id"], "stop", body={})
        assert status == 200 and stopped["state"] == "stopped"
        assert wait_gone(members, timeout=10) == []

    async def test_delete_kills_disowned_and_signal_ignoring_jobs(self, api: Api) -> None:
        model, members = await session_with_escapees(api)
        status, _ = await api.call("DELETE", "sessions", model["id"])
        assert status == 204
        assert wait_gone(members, timeout=10) == []


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def init_repo(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "README").write_text("hi\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "init")


def processes_in(path: str) -> list[int]:
    found = []
    for proc in psutil.process_iter(["pid", "cwd"]):
        cwd = proc.info.get("cwd") or ""
        if cwd == path or cwd.startswith(path + os.sep):
            found.append(proc.info["pid"])
    return found


async def resume_soon(api: Api, sid: str, delay: float) -> tuple[int, Any]:
    await asyncio.sleep(delay)  # land in a different step of the delete each time
    return await api.call("POST", "sessions", sid, "resume", body={})


class TestDeleteRacingResume:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"stop_timeout": 1.0}

    async def test_delete_racing_resume_leaves_no_orphan(
        self, api: Api, manager: Any, jp_root_dir: Path
    ) -> None:
        init_repo(jp_root_dir)
        for trial in range(10):
            model = await api.create(name=f"race-{trial}", worktree=True)
            sid, path = model["id"], model["worktree_path"]
            status, _ = await api.call("POST", "sessions", sid, "stop", body={})
            assert status == 200

            (deleted, _), (resumed, _) = await asyncio.gather(
                api.call("DELETE", "sessions", sid), resume_soon(api, sid, trial * 0.01)
            )
            assert deleted == 204 and resumed in (200, 404), (deleted, resumed)
            assert sid not in manager.sessions
            assert wait_gone(processes_in(path), timeout=10) == [], f"trial {trial}: orphan"


class TestWorktreeInsideRoot:
    async def test_root_inside_a_larger_repository(self, api: Api, jp_root_dir: Path) -> None:
        init_repo(jp_root_dir.parent)
        status, err = await api.call("POST", "sessions", body={"worktree": True})
        assert status == 403 and err["code"] == "WORKTREE_OUTSIDE_ROOT", err
        assert not (jp_root_dir.parent / ".worktrees").exists(), "nothing was created"
        assert await api.call("GET", "sessions") == (200, [])

    async def test_worktree_dir_symlinked_out_of_the_root(
        self, api: Api, jp_root_dir: Path, tmp_path: Path
    ) -> None:
        init_repo(jp_root_dir)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        (jp_root_dir / ".worktrees").symlink_to(elsewhere)
        status, err = await api.call("POST", "sessions", body={"worktree": True})
        assert status == 403 and err["code"] == "WORKTREE_OUTSIDE_ROOT", err
        assert list(elsewhere.iterdir()) == []

    async def test_worktree_in_the_root_still_works(self, api: Api, jp_root_dir: Path) -> None:
        init_repo(jp_root_dir)
        model = await api.create(worktree=True, name="inside")
        root = os.path.realpath(jp_root_dir)
        assert model["worktree_path"].startswith(root + os.sep)
        await wait_state(api, model["id"], "idle", "busy")
