"""Review operations on a session: its worktree's diff, a commit, a merge; answers as JSON.

The manager calls these under the session's lifecycle lock and announces
the outcome on the event bus; here is what each means for a session (which
worktree, which base, which default target) and the shape of its answer.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_ccmanager.server.errors import Conflict
from jupyter_ccmanager.server.requests import CommitRequest, MergeRequest
from jupyter_ccmanager.server.review import git
from jupyter_ccmanager.server.review.diff import diff
from jupyter_ccmanager.server.review.merge import commit_all, follow, is_dirty, merge
from jupyter_ccmanager.server.session import Session


async def worktree_of(session: Session) -> str:
    """The session's worktree, with its base known (found again for older records)."""
    path = session.worktree_path
    if not path:
        raise Conflict(
            "NOT_A_WORKTREE",
            f"Session {session.name} does not run in a worktree of its own "
            "(create it with worktree: true).",
        )
    if not os.path.isdir(path):
        raise Conflict("WORKTREE_GONE", f"The worktree {path} no longer exists.")
    if not session.base_commit:  # a session created before bases were recorded
        main = await git.check("rev-parse", "--path-format=absolute", "--git-common-dir", cwd=path)
        repo = os.path.dirname(main)
        branch = await git.run("symbolic-ref", "-q", "--short", "HEAD", cwd=repo)
        session.base_branch = branch.text if branch.ok else None
        against = branch.text if branch.ok else "HEAD"
        session.base_commit = await git.check("merge-base", "HEAD", against, cwd=path)
    return path


async def session_diff(session: Session, fmt: str) -> dict[str, Any] | str:
    """``patch``: the unified diff; ``stat``: files and counts; ``json``: that plus hunks."""
    path = await worktree_of(session)
    assert session.base_commit is not None
    result = await diff(path, session.base_commit)
    if fmt == "patch":
        return result.patch
    data = result.to_json(hunks=fmt == "json", with_patch=fmt == "json")
    return {**data, "base_branch": session.base_branch, "branch": session.branch}


async def session_commit(session: Session, request: CommitRequest) -> dict[str, Any]:
    commit = await commit_all(await worktree_of(session), request.message)
    return {"commit": commit, "session": session.model()}


async def _default_message(session: Session, path: str, into: str, strategy: str) -> str:
    subjects = await git.run("log", "--format=- %s", f"refs/heads/{into}..HEAD", cwd=path)
    body = f"\n\n{subjects.text}" if subjects.ok and subjects.text else ""
    if strategy == "squash":
        return f"{session.branch}: work of session {session.name} (squashed){body}"
    return f"Merge branch '{session.branch}' (session {session.name}) into {into}{body}"


async def session_merge(session: Session, request: MergeRequest) -> dict[str, Any]:
    """Merge the session's work; its branch then follows the target, and its base moves there."""
    path = await worktree_of(session)
    into = request.into or session.base_branch
    if not into:
        raise Conflict("NO_TARGET", "The worktree was made from a detached HEAD; give 'into'.")
    committed = None
    if await is_dirty(path):
        if not request.commit:
            raise Conflict(
                "WORKTREE_DIRTY",
                f"The worktree {path} has uncommitted changes; commit them first "
                "(or merge with commit: true).",
            )
        # A rebase keeps the commits as they are: there the message is this commit's.
        mine = request.message if request.strategy == "rebase" else None
        committed = await commit_all(path, mine or f"Work of session {session.name}")
    message = (request.strategy != "rebase" and request.message) or await _default_message(
        session, path, into, request.strategy
    )
    result = await merge(path, into, request.strategy, message, session.branch)
    if await follow(path, result.commit):
        session.base_commit = result.commit
    return {
        "commit": result.commit,
        "previous": result.previous,
        "into": result.into,
        "strategy": result.strategy,
        "committed": committed,
        "session": session.model(),
    }
