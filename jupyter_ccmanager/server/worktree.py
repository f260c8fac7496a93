"""Git worktrees for sessions: one branch and one checkout per session.

``git worktree add`` puts the checkout under ``<repo>/<worktree_dir>/<name>``
on a new branch from the current HEAD. A small ``ccmanager.json`` is written
into the worktree's *git admin* folder (``.git/worktrees/<name>/``), which is
never part of any checkout, so a session record can be rebuilt from the
worktrees themselves when the store is lost. Removing a session's worktree
keeps its branch: work is never lost.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_ccmanager.server.errors import Conflict, Forbidden, InvalidRequest
from jupyter_ccmanager.server.review import git as review_git

META_FILE = "ccmanager.json"


async def git(*args: str, cwd: str) -> tuple[int, str]:
    """Run git without blocking the event loop; returns (exit code, combined output)."""
    result = await review_git.run(*args, cwd=cwd, merge_stderr=True)
    return result.code, result.text


async def repo_root(cwd: str) -> str:
    code, out = await git("rev-parse", "--show-toplevel", cwd=cwd)
    if code != 0:
        raise InvalidRequest("NOT_A_GIT_REPO", f"{cwd} is not inside a git repository.")
    return out


def _check_inside(path: Path, root: str) -> None:
    """A session's cwd never leaves the server root; neither does its worktree (with the
    root inside a larger repository, or a symlinked worktree folder, it would)."""
    real = os.path.realpath(path)
    if os.path.commonpath([real, root]) != root:
        raise Forbidden(
            "WORKTREE_OUTSIDE_ROOT",
            f"The worktree would be at {real}, outside the server root {root}.",
        )


@dataclass(frozen=True)
class NewWorktree:
    path: str
    branch: str
    base_commit: str  # what the session's diff compares against
    base_branch: str | None  # where its work merges back by default (None: detached HEAD)


async def add(cwd: str, name: str, branch: str, worktree_dir: str, *, inside: str) -> NewWorktree:
    """Create the worktree on a new ``branch`` from the repository's current HEAD.

    Nothing is created unless the worktree's real path is inside ``inside`` (the
    server root, already resolved)."""
    root = await repo_root(cwd)
    code, base_commit = await git("rev-parse", "--verify", "HEAD", cwd=root)
    if code != 0:
        raise Conflict("NO_COMMITS", f"The repository {root} has no commit to branch from yet.")
    on_branch, base_branch = await git("symbolic-ref", "-q", "--short", "HEAD", cwd=root)
    parent = Path(root) / worktree_dir
    path = parent / name
    _check_inside(path, inside)
    if path.exists():
        raise Conflict("WORKTREE_EXISTS", f"{path} already exists.")
    parent.mkdir(parents=True, exist_ok=True)
    ignore = parent / ".gitignore"
    if not ignore.exists():  # keep the main checkout's `git status` clean
        ignore.write_text("*\n")
    code, out = await git("worktree", "add", "-b", branch, str(path), base_commit, cwd=root)
    if code != 0:
        raise Conflict("WORKTREE_FAILED", f"git worktree add failed: {out}")
    base = base_branch if on_branch == 0 else None
    return NewWorktree(os.path.realpath(path), branch, base_commit, base)


async def write_meta(path: str, meta: dict[str, Any]) -> None:
    """Record the session in the worktree's git admin folder."""
    code, admin = await git("rev-parse", "--absolute-git-dir", cwd=path)
    if code == 0:
        Path(admin, META_FILE).write_text(json.dumps(meta))


async def is_dirty(path: str) -> bool:
    code, out = await git("status", "--porcelain", cwd=path)
    return code != 0 or bool(out)


async def ensure_clean(path: str) -> None:
    """Refuse (409 WORKTREE_DIRTY) a worktree with uncommitted or untracked changes."""
    if os.path.isdir(path) and await is_dirty(path):
        raise Conflict(
            "WORKTREE_DIRTY",
            f"The worktree {path} has uncommitted changes; commit them, or delete with force.",
        )


async def remove(path: str, force: bool = False) -> None:
    """Remove a worktree (its branch stays). A dirty one needs ``force``."""
    if not os.path.isdir(path):
        return
    if not force:
        await ensure_clean(path)
    code, common = await git("rev-parse", "--path-format=absolute", "--git-common-dir", cwd=path)
    main = str(Path(common).parent) if code == 0 else path
    args = ["worktree", "remove", *(["--force"] if force else []), path]
    code, out = await git(*args, cwd=main)
    if code != 0:
        raise Conflict("WORKTREE_FAILED", f"git worktree remove failed: {out}")


def find_meta(root: str, depth: int = 3) -> list[dict[str, Any]]:
    """Session records left in the worktrees of repositories under ``root``."""
    found = []
    base = Path(root)
    candidates = [base] + [p for d in range(1, depth + 1) for p in base.glob("/".join(["*"] * d))]
    for repo in candidates:
        admin = repo / ".git" / "worktrees"
        if not admin.is_dir():
            continue
        for meta in admin.glob(f"*/{META_FILE}"):
            try:
                record = json.loads(meta.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and os.path.isdir(record.get("worktree_path", "")):
                found.append(record)
    return found
