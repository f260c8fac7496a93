"""Taking a worktree session's work: commit it, and merge, squash or rebase it into a branch.

Nothing is done in a checkout someone uses until the result is known to be
good. The merged tree is computed without any working tree (``git
merge-tree --write-tree``; a rebase runs in a throw-away detached worktree),
so a conflict leaves the target branch, the main checkout and the session's
worktree exactly as they were. Only then is a checkout that has the target
branch checked out brought along (``git read-tree -m -u old new``, which
refuses rather than overwrite anyone's uncommitted work: 409 TARGET_DIRTY),
and the branch moved with a compare-and-swap ``update-ref``.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_ccmanager.server.errors import Conflict, InvalidRequest
from jupyter_ccmanager.server.review import git

STRATEGIES = ("merge", "squash", "rebase")


class MergeConflict(Conflict):
    """The session's work and the target branch change the same lines."""

    def __init__(self, files: list[str], into: str) -> None:
        shown = ", ".join(files[:10]) + (" ..." if len(files) > 10 else "")
        super().__init__("MERGE_CONFLICT", f"Merging into {into} conflicts in: {shown}.")
        self.details = {"files": files}


@dataclass(frozen=True)
class MergeResult:
    commit: str  # the new tip of the target branch
    previous: str  # its tip before
    into: str
    strategy: str


async def is_dirty(path: str) -> bool:
    result = await git.run("status", "--porcelain", "--untracked-files=all", cwd=path)
    return not result.ok or bool(result.out.strip())


async def commit_all(worktree: str, message: str) -> str:
    """Commit everything in the worktree (new files too); the new commit's id."""
    if not await is_dirty(worktree):
        raise Conflict("NOTHING_TO_COMMIT", f"The worktree {worktree} has no changes to commit.")
    env = await git.identity_env(worktree)
    await git.check("add", "-A", "--", ".", cwd=worktree)
    await git.check("commit", "-q", "-m", message, cwd=worktree, env=env)
    return await git.check("rev-parse", "HEAD", cwd=worktree)


async def main_checkout(worktree: str) -> str:
    common = await git.check("rev-parse", "--path-format=absolute", "--git-common-dir",
                             cwd=worktree)  # fmt: skip
    return str(Path(common).parent)


async def checkouts_of(branch: str, repo: str) -> list[str]:
    """Working trees that have ``branch`` checked out (the main checkout, usually)."""
    listing = await git.check("worktree", "list", "--porcelain", cwd=repo)
    found, path = [], ""
    for line in listing.splitlines():
        if line.startswith("worktree "):
            path = line[len("worktree ") :]
        elif line == f"branch refs/heads/{branch}":
            found.append(path)
    return found


async def _merged_tree(repo: str, old: str, src: str, into: str) -> str:
    result = await git.run("merge-tree", "--write-tree", "--name-only", "--no-messages", old, src,
                           cwd=repo)  # fmt: skip
    lines = result.text.splitlines()
    if result.code == 1:
        raise MergeConflict([line for line in lines[1:] if line.strip()], into)
    if not result.ok or not lines:
        raise Conflict("GIT_FAILED", f"git merge-tree failed: {result.err}")
    return lines[0]


async def _rebased(repo: str, old: str, src: str, into: str, env: dict[str, str]) -> str:
    """``src``'s commits replayed onto ``old`` in a detached throw-away worktree."""
    tmp = tempfile.mkdtemp(prefix="ccm-rebase-")
    path = str(Path(tmp) / "rebase")
    await git.check("worktree", "add", "--detach", "-q", path, src, cwd=repo)
    try:
        result = await git.run("rebase", "-q", old, cwd=path, env=env)
        if not result.ok:
            conflicted = await git.run("diff", "--name-only", "--diff-filter=U", cwd=path)
            await git.run("rebase", "--abort", cwd=path)
            files = conflicted.text.splitlines()
            if files:
                raise MergeConflict(files, into)
            raise Conflict("GIT_FAILED", f"git rebase failed: {result.err or result.text}")
        return await git.check("rev-parse", "HEAD", cwd=path)
    finally:
        await git.run("worktree", "remove", "--force", path, cwd=repo)
        shutil.rmtree(tmp, ignore_errors=True)
        await git.run("worktree", "prune", cwd=repo)


async def merge(
    worktree: str, into: str, strategy: str, message: str, own_branch: str | None
) -> MergeResult:
    """Bring the worktree's committed work into ``into``; see the module docstring."""
    if strategy not in STRATEGIES:
        raise InvalidRequest("INVALID_VALUE", f"strategy must be one of {', '.join(STRATEGIES)}.")
    if into == own_branch:
        raise InvalidRequest("INVALID_BRANCH", f"Cannot merge {into} into itself.")
    repo = await main_checkout(worktree)
    old = await git.rev(f"refs/heads/{into}", repo)
    if old is None:
        raise InvalidRequest("UNKNOWN_BRANCH", f"There is no branch {into!r} to merge into.")
    src = await git.check("rev-parse", "HEAD", cwd=worktree)
    if (await git.run("merge-base", "--is-ancestor", src, old, cwd=repo)).ok:
        raise Conflict("NOTHING_TO_MERGE", f"{into} already has every commit of this session.")
    env = await git.identity_env(repo)
    if strategy == "rebase":
        new = await _rebased(repo, old, src, into, env)
    else:
        tree = await _merged_tree(repo, old, src, into)
        parents = ["-p", old, "-p", src] if strategy == "merge" else ["-p", old]
        new = await git.check("commit-tree", tree, *parents, "-m", message, cwd=repo, env=env)
    checkouts = await checkouts_of(into, repo)
    for path in checkouts:  # at most one: git keeps a branch in one checkout
        moved = await git.run("read-tree", "-m", "-u", old, new, cwd=path)
        if not moved.ok:
            raise Conflict(
                "TARGET_DIRTY",
                f"{path} has {into} checked out with uncommitted changes the merge would "
                f"overwrite; commit or stash them there first. ({moved.err})",
            )
    swap = await git.run("update-ref", "-m", f"ccmanager: {strategy}", f"refs/heads/{into}", new,
                         old, cwd=repo)  # fmt: skip
    if not swap.ok:
        for path in checkouts:
            await git.run("read-tree", "-m", "-u", new, old, cwd=path)
        raise Conflict("TARGET_MOVED", f"{into} moved during the merge; try again.")
    return MergeResult(commit=new, previous=old, into=into, strategy=strategy)


async def follow(worktree: str, commit: str) -> bool:
    """Move the session's branch to the merged tip (``reset --keep``: never loses work)."""
    return (await git.run("reset", "-q", "--keep", commit, cwd=worktree)).ok
