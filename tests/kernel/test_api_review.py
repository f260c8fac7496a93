"""The kernel API for reviewing a worktree session: ``s.diff()``, ``s.commit()``, ``s.merge()``.

Against a real server and real git repositories; blocking calls run in a
worker thread while the test's loop serves (see test_api.py).
"""

from __future__ import annotations

import asyncio
import pickle
from pathlib import Path

import pytest

import jupyter_ccmanager as ccm
from jupyter_ccmanager.client.transport import Client
from tests.kernel.test_api import _fresh_default, client, server_url, token  # noqa: F401
from tests.server.test_review import commit_file, git, repo  # noqa: F401 (fixture)

to_thread = asyncio.to_thread


async def test_diff_commit_merge_from_the_kernel(client: Client, repo: Path) -> None:  # noqa: F811
    s = await to_thread(ccm.start, agent="shell", cwd=str(repo), worktree=True, name="kern")
    wt = Path(s.model["worktree_path"])
    (wt / "mod.txt").write_text("<b>not markup</b>\n")
    (wt / "fresh.txt").write_text("new file\n")
    d = await to_thread(s.diff)
    assert isinstance(d, ccm.Diff) and len(d) == 2
    assert {f["path"]: f["status"] for f in d.files} == {
        "mod.txt": "modified",
        "fresh.txt": "added",
    }
    assert "+<b>not markup</b>" in d.patch
    page = d._repr_html_()
    assert "&lt;b&gt;not markup&lt;/b&gt;" in page and "<b>not markup" not in page
    assert "#e6ffec" in page and "#ffebe9" in page  # added and removed lines coloured
    assert "fresh.txt" in str(d) and "+21" not in repr(d)

    with pytest.raises(ccm.WorktreeDirty):
        await to_thread(s.merge)
    sha = await to_thread(s.commit, "kernel commit")
    assert sha == git(wt, "rev-parse", "HEAD")
    with pytest.raises(ccm.NothingToCommit):
        await to_thread(s.commit, "again")
    result = await s.amerge(strategy="squash")
    assert result["into"] == "main" and git(repo, "rev-parse", "main") == result["commit"]
    assert (repo / "fresh.txt").read_text() == "new file\n"
    assert s.model["base_commit"] == result["commit"]
    assert not await s.adiff()
    with pytest.raises(ccm.NothingToMerge):
        await to_thread(s.merge)


async def test_conflict_and_not_a_worktree_are_typed(client: Client, repo: Path) -> None:  # noqa: F811
    s = await ccm.astart(agent="shell", cwd=str(repo), worktree=True, name="clash")
    commit_file(Path(s.model["worktree_path"]), "mod.txt", "agent\n", "agent")
    commit_file(repo, "mod.txt", "user\n", "user")
    with pytest.raises(ccm.MergeConflict) as err:
        await to_thread(s.merge, strategy="rebase")
    assert err.value.files == ["mod.txt"] and err.value.status == 409
    again = pickle.loads(pickle.dumps(err.value))
    assert isinstance(again, ccm.MergeConflict) and again.files == ["mod.txt"]
    plain = await ccm.astart(agent="shell", cwd=str(repo))
    with pytest.raises(ccm.NotAWorktree):
        await plain.adiff()
