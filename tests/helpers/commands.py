"""Commands tests run: in sessions (a process only SIGKILL stops), and git for worktree tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

#: A session command that ignores SIGTERM, SIGHUP and SIGINT: only SIGKILL stops it.
STUBBORN = "trap '' TERM HUP INT; echo ready; while :; do sleep 0.2; done"

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
}  # fmt: skip


def git(*args: str, cwd: Path) -> str:
    """Run git in ``cwd`` (with a test identity); its stdout."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
        env={**os.environ, **_GIT_ENV},
    ).stdout  # fmt: skip


def make_repo(path: Path) -> Path:
    """A git repository on branch ``main`` with one commit (a README)."""
    path.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "-b", "main", cwd=path)
    (path / "README").write_text("hello\n")
    git("add", "README", cwd=path)
    git("commit", "-q", "-m", "init", cwd=path)
    return path
