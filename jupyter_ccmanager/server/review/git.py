"""Running git from the server without blocking its event loop.

Every call is an asyncio subprocess; stdout stays bytes (patches may hold any
bytes), stderr is kept apart for messages. ``GIT_TERMINAL_PROMPT=0`` and a
closed stdin keep git from ever waiting for a person.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass

from jupyter_ccmanager.server.errors import Conflict, InvalidRequest

#: Who commits when the repository names nobody (a fresh Binder, a CI box).
FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "jupyter-ccmanager",
    "GIT_AUTHOR_EMAIL": "ccmanager@localhost",
    "GIT_COMMITTER_NAME": "jupyter-ccmanager",
    "GIT_COMMITTER_EMAIL": "ccmanager@localhost",
}


@dataclass(frozen=True)
class GitResult:
    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace").strip()

    @property
    def ok(self) -> bool:
        return self.code == 0


async def run(
    *args: str, cwd: str, env: Mapping[str, str] | None = None, merge_stderr: bool = False
) -> GitResult:
    """``git <args>`` in ``cwd``; never raises for git's own failures (see ``.code``)."""
    try:
        proc = await asyncio.create_subprocess_exec(
            "git", "-c", "core.quotePath=false", *args, cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT if merge_stderr else asyncio.subprocess.PIPE,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})},
        )  # fmt: skip
    except FileNotFoundError:
        raise InvalidRequest("GIT_NOT_FOUND", "git is not installed on the server.") from None
    out, err = await proc.communicate()
    return GitResult(proc.returncode or 0, out, (err or b"").decode("utf-8", "replace").strip())


async def check(*args: str, cwd: str, env: Mapping[str, str] | None = None) -> str:
    """``git <args>``, its stdout as text; a failure is a 409 ``GIT_FAILED`` with git's words."""
    result = await run(*args, cwd=cwd, env=env)
    if not result.ok:
        raise Conflict("GIT_FAILED", f"git {args[0]} failed: {result.err or result.text}")
    return result.text


async def identity_env(cwd: str) -> dict[str, str]:
    """A fallback author/committer when git has none configured (else git refuses to commit)."""
    result = await run("var", "GIT_COMMITTER_IDENT", cwd=cwd)
    return {} if result.ok else dict(FALLBACK_IDENTITY)


async def rev(ref: str, cwd: str) -> str | None:
    """The commit ``ref`` names, or None."""
    result = await run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", cwd=cwd)
    return result.text if result.ok else None
