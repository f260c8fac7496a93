"""Bringing sessions back after a server restart, as ``stopped`` records.

Records another live server owns (two servers on one data dir) are left
alone; what still runs of a record's session after a crash is stopped first.
Sources, in order: the store; and, when the store had to be moved aside as
unreadable, the records the extension left in the git worktrees it created
(see ``worktree.py``), so worktree sessions survive even a lost store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from jupyter_ccmanager.server import owner, procs, worktree
from jupyter_ccmanager.server import validation as v
from jupyter_ccmanager.server.session import Session
from jupyter_ccmanager.server.store.sqlite import StoredSession
from jupyter_ccmanager.server.store.writer import Persistence

log = logging.getLogger(__name__)


def restore_sessions(
    persistence: Persistence,
    root_dir: str,
    on_event: Callable[[Session, dict[str, Any]], None],
    buffer_bytes: int,
) -> list[Session]:
    records = []
    for stored in persistence.load():
        if owner.alive(stored.owner):  # another live server's session: not ours to touch
            log.info("ccmanager: session %s belongs to server %s", stored.id, stored.owner)
            continue
        if stored.leader is not None:
            end_leftovers(stored)
        records.append((stored.model, stored.spec, stored.output_start, stored.output))
    if persistence.store.moved_aside:
        known = {model["id"] for model, *_ in records}
        for meta in worktree.find_meta(root_dir):
            if meta.get("id") not in known:
                records.append((meta, {"base_argv": meta.get("base_argv")}, 0, b""))
                log.warning("ccmanager: rebuilt session %s from its worktree", meta.get("name"))
    sessions = []
    for model, spec, start, output in records:
        try:
            sessions.append(from_record(model, spec, start, output, on_event, buffer_bytes))
        except (KeyError, TypeError, ValueError) as err:
            log.warning("ccmanager: cannot restore session %s: %s", model.get("id"), err)
    for session in sessions:  # a rebuilt store gets the records back at once
        persistence.mark(session)
    persistence.store.claim([s.id for s in sessions])
    return sessions


def end_leftovers(stored: StoredSession) -> None:
    """The server died (kill -9) while this session ran: what still runs of its
    terminal session is stopped, so a ``stopped`` record never has a live process."""
    leader = stored.leader
    assert leader is not None
    killed = procs.kill_session(leader.sid, leader.start)
    if killed:
        log.warning(
            "ccmanager: session %s was still running after the server died; "
            "killed its leftover processes %s",
            stored.model.get("name"),
            killed,
        )


def from_record(
    model: dict[str, Any],
    spec: dict[str, Any],
    output_start: int,
    output: bytes,
    on_event: Callable[[Session, dict[str, Any]], None],
    buffer_bytes: int,
) -> Session:
    session = Session(
        id=model["id"], name=model["name"], agent=model["agent"], argv=list(model["command"]),
        cwd=model["cwd"], env={}, cols=min(int(model.get("cols") or 120), v.MAX_COLS),
        rows=min(int(model.get("rows") or 40), v.MAX_ROWS), key=model.get("key"),
        labels=dict(model.get("labels") or {}), user=model.get("user"),
        buffer_bytes=buffer_bytes, on_event=on_event,
    )  # fmt: skip
    session.base_argv = list(spec.get("base_argv") or model["command"])
    session.created_at = model.get("created_at") or session.created_at
    session.branch = model.get("branch")
    session.worktree_path = model.get("worktree_path")
    session.base_commit = model.get("base_commit")
    session.base_branch = model.get("base_branch")
    session.policy = model.get("policy")
    session.agent_session_id = model.get("agent_session_id")
    session.exit_code = model.get("exit_code")
    session.restore(model.get("state_history") or [], output_start, output)
    return session
