"""What a worktree session changed since its base commit, uncommitted and untracked work included.

The worktree is snapshotted into a tree object through a *temporary* index
(a copy of the worktree's own, then ``git add -A`` into the copy), so the
diff sees new and deleted files exactly as ``git add -A`` would, respects
``.gitignore``, and never changes the index the agent or a person uses.
``git diff -M <base> <tree>`` then gives renames, binary files and hunks.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

from jupyter_ccmanager.server.errors import Conflict
from jupyter_ccmanager.server.review import git
from jupyter_ccmanager.server.review.patch import FileDiff, parse_patch

FORMATS = ("json", "stat", "patch")


async def snapshot_tree(worktree: str) -> str:
    """The tree the worktree's files would commit as now (tracked, new and deleted files)."""
    index = await git.check("rev-parse", "--path-format=absolute", "--git-path", "index",
                            cwd=worktree)  # fmt: skip
    tmp = tempfile.mkdtemp(prefix="ccm-index-")
    try:
        temp_index = os.path.join(tmp, "index")
        if os.path.exists(index):
            shutil.copyfile(index, temp_index)  # keeps the stat cache: add -A stays fast
        env = {"GIT_INDEX_FILE": temp_index}
        await git.check("add", "-A", "--", ".", cwd=worktree, env=env)
        return await git.check("write-tree", cwd=worktree, env=env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Diff:
    base_commit: str
    tree: str
    patch: str
    files: list[FileDiff]

    def to_json(self, hunks: bool = True, with_patch: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "base_commit": self.base_commit,
            "tree": self.tree,
            "files": [f.to_json(hunks=hunks) for f in self.files],
            "added": sum(f.added for f in self.files),
            "removed": sum(f.removed for f in self.files),
        }
        if with_patch:
            data["patch"] = self.patch
        return data


async def diff(worktree: str, base_commit: str) -> Diff:
    """Changes from ``base_commit`` to the worktree's files as they are now."""
    tree = await snapshot_tree(worktree)
    result = await git.run("diff", "-M", "--no-color", "--no-ext-diff", base_commit, tree,
                           cwd=worktree)  # fmt: skip
    if not result.ok:
        raise Conflict("GIT_FAILED", f"git diff failed: {result.err}")
    patch = result.out.decode("utf-8", "replace")
    return Diff(base_commit, tree, patch, parse_patch(patch))
