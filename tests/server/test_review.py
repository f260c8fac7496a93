"""Reviewing and merging a worktree session's work, against real git repositories.

Every test builds a real repository in the server root, starts a real shell
session on a worktree of it, changes files there as an agent would, and
drives ``diff``, ``commit`` and ``merge`` over REST. Refusals are checked to
change nothing: refs, checked-out files and ``git status`` of both sides are
compared before and after.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_ccmanager.server.events import SCHEMA_ID
from tests.helpers.api import Api
from tests.helpers.commands import git as run_git

BINARY = bytes(range(256)) * 4


def git(cwd: Path | str, *args: str) -> str:
    """``git <args>`` in ``cwd`` with the suite's identity; stdout minus its newline."""
    return run_git(*args, cwd=Path(cwd)).rstrip("\n")


def commit_file(cwd: Path, name: str, text: str, message: str) -> str:
    (cwd / name).write_text(text)
    git(cwd, "add", name)
    git(cwd, "commit", "-q", "-m", message)
    return git(cwd, "rev-parse", "HEAD")


@pytest.fixture
def repo(jp_root_dir: Path) -> Path:
    path = jp_root_dir / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "mod.txt").write_text("".join(f"line {i}\n" for i in range(20)))
    (path / "del.txt").write_text("to be deleted\n")
    (path / "old_name.txt").write_text("".join(f"keep {i}\n" for i in range(20)))
    (path / "blob.bin").write_bytes(BINARY)
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "initial")
    return path


async def start_on_worktree(api: Api, repo: Path, name: str = "rev") -> dict[str, Any]:
    return await api.create(agent="shell", cwd=str(repo), worktree=True, name=name)


def snapshot(repo: Path, worktree: str) -> dict[str, Any]:
    """Everything a refused merge must leave as it was."""
    return {
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "heads": [git(repo, "rev-parse", "HEAD"), git(worktree, "rev-parse", "HEAD")],
        "status": [git(repo, "status", "--porcelain"), git(worktree, "status", "--porcelain")],
        "files": {
            str(p): p.read_bytes()
            for root in (repo, Path(worktree))
            for p in sorted(root.rglob("*"))
            if p.is_file() and not {".git", ".worktrees"} & set(p.relative_to(root).parts)
        },
        "worktrees": git(repo, "worktree", "list", "--porcelain"),
    }


async def test_base_is_recorded_and_diff_shows_every_kind_of_change(api: Api, repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    model = await start_on_worktree(api, repo)
    assert (model["base_commit"], model["base_branch"]) == (head, "main")
    wt = Path(model["worktree_path"])
    meta = json.loads((repo / ".git" / "worktrees" / "rev" / "ccmanager.json").read_text())
    assert (meta["base_commit"], meta["base_branch"]) == (head, "main")

    commit_file(wt, "added.txt", "committed by the agent\n", "agent commit")
    text = (wt / "mod.txt").read_text().replace("line 5\n", "line five\n")
    (wt / "mod.txt").write_text(text)
    (wt / "del.txt").unlink()
    (wt / "old_name.txt").rename(wt / "new_name.txt")  # uncommitted, unstaged rename
    (wt / "blob.bin").write_bytes(BINARY[::-1])
    (wt / "untracked.txt").write_text("new\nfile\n")
    (wt / "ignored.log").write_text("noise\n")
    (wt / ".gitignore").write_text("*.log\n")
    index = Path(git(wt, "rev-parse", "--path-format=absolute", "--git-path", "index"))
    index_before = index.read_bytes()

    status, diff = await api.call("GET", "sessions", model["id"], "diff")
    assert status == 200, diff
    files = {f["path"]: f for f in diff["files"]}
    assert set(files) == {"added.txt", "mod.txt", "del.txt", "new_name.txt", "blob.bin",
                          "untracked.txt", ".gitignore"}  # fmt: skip
    assert files["added.txt"]["status"] == "added" and files["added.txt"]["added"] == 1
    assert (files["mod.txt"]["status"], files["mod.txt"]["added"], files["mod.txt"]["removed"]) == (
        "modified", 1, 1)  # fmt: skip
    hunk = files["mod.txt"]["hunks"][0]
    assert "-line 5" in hunk["lines"] and "+line five" in hunk["lines"]
    assert files["del.txt"]["status"] == "deleted" and files["del.txt"]["removed"] == 1
    assert files["new_name.txt"]["status"] == "renamed"
    assert files["new_name.txt"]["old_path"] == "old_name.txt"
    assert files["blob.bin"]["binary"] and files["blob.bin"]["status"] == "modified"
    assert files["untracked.txt"]["status"] == "added" and files["untracked.txt"]["added"] == 2
    assert diff["base_commit"] == head and diff["branch"] == "feature/rev"
    assert "diff --git a/mod.txt b/mod.txt" in diff["patch"]
    assert index.read_bytes() == index_before, "the worktree's own index was not touched"
    assert "untracked.txt" in git(wt, "status", "--porcelain")  # still untracked

    status, stat = await api.call("GET", "sessions", model["id"], "diff", params={"format": "stat"})
    assert status == 200 and "hunks" not in stat["files"][0] and "patch" not in stat
    assert stat["added"] == diff["added"] and stat["removed"] == diff["removed"]
    status, patch = await api.call("GET", "sessions", model["id"], "diff",
                                   params={"format": "patch"})  # fmt: skip
    assert status == 200 and patch.decode() == diff["patch"]
    assert b"Binary files a/blob.bin and b/blob.bin differ" in patch


async def test_diff_refusals(api: Api, repo: Path) -> None:
    plain = await api.create(agent="shell", cwd=str(repo))
    for method, action, body in [("GET", "diff", None), ("POST", "commit", {"message": "x"}),
                                 ("POST", "merge", {})]:  # fmt: skip
        status, err = await api.call(method, "sessions", plain["id"], action, body=body)
        assert (status, err["code"]) == (409, "NOT_A_WORKTREE"), err
    model = await start_on_worktree(api, repo)
    sid = model["id"]
    cases = [
        ("GET", "diff", None, {"format": "html"}, 400, "INVALID_VALUE"),
        ("GET", "diff", None, {"color": "1"}, 400, "UNKNOWN_FIELD"),
        ("POST", "commit", {}, None, 400, "INVALID_VALUE"),
        ("POST", "commit", {"message": "x", "amend": True}, None, 400, "UNKNOWN_FIELD"),
        ("POST", "merge", {"strategy": "octopus"}, None, 400, "INVALID_VALUE"),
        ("POST", "merge", {"into": "--force"}, None, 400, "INVALID_BRANCH"),
        ("POST", "merge", {"into": "nope"}, None, 400, "UNKNOWN_BRANCH"),
        ("POST", "merge", {"commit": "yes"}, None, 400, "INVALID_TYPE"),
        ("POST", "merge", {}, None, 409, "NOTHING_TO_MERGE"),
        ("POST", "commit", {"message": "nothing"}, None, 409, "NOTHING_TO_COMMIT"),
    ]
    before = snapshot(repo, model["worktree_path"])
    for method, action, body, params, code, name in cases:
        kw = {"params": params} if params else {}
        status, err = await api.call(method, "sessions", sid, action, body=body, **kw)
        assert (status, err["code"]) == (code, name), (action, body, err)
        assert err["message"]
    assert snapshot(repo, model["worktree_path"]) == before
    status, err = await api.call("GET", "sessions", "nosuchsession", "diff")
    assert (status, err["code"]) == (404, "NOT_FOUND")


async def test_commit_takes_everything_and_announces_it(
    api: Api, repo: Path, jp_ws_fetch: Any
) -> None:
    model = await start_on_worktree(api, repo)
    wt = Path(model["worktree_path"])
    (wt / "mod.txt").write_text("changed\n")
    (wt / "brand_new.txt").write_text("untracked\n")
    ws = await jp_ws_fetch("api", "events", "subscribe")
    status, result = await api.call("POST", "sessions", model["id"], "commit",
                                    body={"message": "Agent work"})  # fmt: skip
    assert status == 200, result
    assert result["commit"] == git(wt, "rev-parse", "HEAD")
    assert git(wt, "log", "-1", "--format=%s") == "Agent work"
    assert git(wt, "status", "--porcelain") == ""
    assert "brand_new.txt" in git(wt, "show", "--name-only", "--format=", "HEAD")
    event = await next_action(ws, "committed")
    assert event["commit"] == result["commit"] and event["session_id"] == model["id"]
    ws.close()
    status, diff = await api.call("GET", "sessions", model["id"], "diff", params={"format": "stat"})
    assert {f["path"] for f in diff["files"]} == {"mod.txt", "brand_new.txt"}


async def next_action(ws: Any, action: str, timeout: float = 20) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        msg = await asyncio.wait_for(ws.read_message(), max(deadline - loop.time(), 0.01))
        event = json.loads(msg)
        if event.get("schema_id") == SCHEMA_ID and event.get("action") == action:
            return dict(event)


@pytest.mark.parametrize("strategy", ["merge", "squash", "rebase"])
async def test_merge_strategies(api: Api, repo: Path, strategy: str, jp_ws_fetch: Any) -> None:
    model = await start_on_worktree(api, repo)
    wt = Path(model["worktree_path"])
    base = model["base_commit"]
    commit_file(wt, "feature.txt", "one\n", "feature one")
    commit_file(wt, "feature2.txt", "two\n", "feature two")
    main_tip = commit_file(repo, "mainline.txt", "main moved on\n", "main work")
    (repo / "local_note.txt").write_text("the user's own untracked work\n")
    (repo / "del.txt").write_text("the user's uncommitted edit\n")
    ws = await jp_ws_fetch("api", "events", "subscribe")
    status, result = await api.call("POST", "sessions", model["id"], "merge",
                                    body={"strategy": strategy})  # fmt: skip
    assert status == 200, result
    tip = git(repo, "rev-parse", "main")
    assert result["commit"] == tip and result["previous"] == main_tip and result["into"] == "main"
    parents = git(repo, "rev-list", "--parents", "-n", "1", tip).split()[1:]
    if strategy == "merge":
        assert parents[0] == main_tip and len(parents) == 2
    elif strategy == "squash":
        assert parents == [main_tip]
        assert "feature one" in git(repo, "log", "-1", "--format=%B", tip)
    else:
        assert git(repo, "log", "--format=%s", f"{main_tip}..{tip}").split("\n") == [
            "feature two", "feature one"]  # fmt: skip
    for name in ("feature.txt", "feature2.txt", "mainline.txt"):
        assert (repo / name).exists(), f"the main checkout shows {name}"
    assert git(repo, "ls-tree", "--name-only", tip).count("feature") == 2
    assert (repo / "del.txt").read_text() == "the user's uncommitted edit\n"
    assert (repo / "local_note.txt").exists()
    assert git(repo, "status", "--porcelain").splitlines() == [" M del.txt", "?? local_note.txt"]
    event = await next_action(ws, "merged")
    assert (event["commit"], event["into"], event["strategy"]) == (tip, "main", strategy)
    ws.close()
    after = await api.get(model["id"])
    assert after["base_commit"] == tip != base
    assert git(wt, "rev-parse", "HEAD") == tip, "the session continues from the merged work"
    status, diff = await api.call("GET", "sessions", model["id"], "diff")
    assert status == 200 and diff["files"] == []
    assert "ccm-rebase" not in git(repo, "worktree", "list")


@pytest.mark.parametrize("strategy", ["merge", "squash", "rebase"])
async def test_conflict_leaves_both_sides_untouched(api: Api, repo: Path, strategy: str) -> None:
    model = await start_on_worktree(api, repo)
    wt = Path(model["worktree_path"])
    commit_file(wt, "mod.txt", "the agent's version\n", "agent edit")
    commit_file(repo, "mod.txt", "the user's version\n", "user edit")
    before = snapshot(repo, str(wt))
    status, err = await api.call("POST", "sessions", model["id"], "merge",
                                 body={"strategy": strategy})  # fmt: skip
    assert (status, err["code"]) == (409, "MERGE_CONFLICT"), err
    assert err["files"] == ["mod.txt"] and "mod.txt" in err["message"]
    assert snapshot(repo, str(wt)) == before
    assert (await api.get(model["id"]))["base_commit"] == model["base_commit"]


async def test_dirty_worktree_and_dirty_target(api: Api, repo: Path) -> None:
    model = await start_on_worktree(api, repo)
    sid = model["id"]
    wt = Path(model["worktree_path"])
    (wt / "mod.txt").write_text("uncommitted agent work\n")
    before = snapshot(repo, str(wt))
    status, err = await api.call("POST", "sessions", sid, "merge", body={})
    assert (status, err["code"]) == (409, "WORKTREE_DIRTY"), err
    assert snapshot(repo, str(wt)) == before

    (repo / "mod.txt").write_text("the user's uncommitted edit of the same file\n")
    before = snapshot(repo, str(wt))
    status, err = await api.call("POST", "sessions", sid, "merge",
                                 body={"commit": True, "message": "agent work"})  # fmt: skip
    assert (status, err["code"]) == (409, "TARGET_DIRTY"), err
    after = snapshot(repo, str(wt))
    assert after["refs"] != before["refs"], "the worktree's work was committed first"
    assert (
        git(wt, "log", "-1", "--format=%s") == "Work of session rev"
    )  # the message is the merge's
    assert after["files"] == before["files"]
    assert len(git(repo, "worktree", "list").splitlines()) == 2  # no temporary worktree left
    assert git(repo, "rev-parse", "main") == before["heads"][0]
    assert (repo / "mod.txt").read_text() == "the user's uncommitted edit of the same file\n"

    (repo / "mod.txt").unlink()
    git(repo, "checkout", "--", "mod.txt")
    status, result = await api.call("POST", "sessions", sid, "merge", body={"strategy": "squash"})
    assert status == 200, result
    assert (repo / "mod.txt").read_text() == "uncommitted agent work\n"
    assert git(repo, "status", "--porcelain") == ""
