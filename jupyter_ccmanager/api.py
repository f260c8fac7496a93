"""The kernel-side Python API: ``ccm.start()``, ``ccm.get()``, :class:`Session`.

Naming rule: every blocking call ``x(...)`` has a coroutine twin ``ax(...)``
with the same arguments and result, for code that runs on an event loop
(``await s.aprompt("...")``). The twin of :meth:`Session.wait_for` is
therefore :meth:`Session.await_for`, and the twin of the :attr:`Session.state`
property is the method :meth:`Session.astate`. Blocking calls are safe in a
notebook cell even though ipykernel runs an asyncio loop in that thread: they
never touch that loop (see :mod:`jupyter_ccmanager.client.transport`).

Operations are written once as plans (generators of :class:`Call`) and run by
either transport, so the two flavours always behave the same. The
:class:`Session` handle lives in :mod:`jupyter_ccmanager.client.session`.
"""

from __future__ import annotations

import os
import shlex
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from jupyter_ccmanager.client.session import OutputChunk, Session, p_list
from jupyter_ccmanager.client.transport import Call, Client, Plan
from jupyter_ccmanager.client.waiting import ENDED_STATES
from jupyter_ccmanager.errors import SessionNotFound

__all__ = [
    "OutputChunk",
    "Session",
    "aget",
    "asessions",
    "astart",
    "astats",
    "connect",
    "dashboard",
    "get",
    "sessions",
    "start",
    "stats",
]

_default: Client | None = None
_default_lock = threading.Lock()


#: HTTP timeout for creating a session (a git worktree can take a while).
_START_TIMEOUT = 120.0


# -- connection -----------------------------------------------------------------


def connect(
    url: str | None = None, token: str | None = None, *, timeout: float = 30.0, verify: bool = True
) -> Client:
    """(Re)discover the server, make it the default for this kernel, and return it.

    Without arguments it looks at the environment and the running servers
    (see :mod:`jupyter_ccmanager.client.discovery`); call it again after a server
    restart. ``verify=False`` accepts a self-signed HTTPS certificate.
    """
    global _default
    client = Client.discover(url, token, timeout=timeout, verify=verify)
    with _default_lock:
        _default = client
    return client


def _client(client: Client | None = None) -> Client:
    """The given client, else the default one (discovered on first use)."""
    global _default
    if client is not None:
        return client
    with _default_lock:
        if _default is None:
            _default = Client.discover()
        return _default


# -- plans (each operation written once for both transports) ----------------------


Model = dict[str, Any]


def _p_start(body: dict[str, Any]) -> Plan[Model]:
    model: Model = (yield Call("POST", ("sessions",), body=body, timeout=_START_TIMEOUT)).json()
    return model


def _p_lookup(ident: str) -> Plan[Model]:
    """Resolve an id, else a name, else a key (live and newest sessions first).

    One listing answers all three, so looking up a name never costs a failing
    request (and a 404 line in the server's log).
    """
    models: list[Model] = yield from p_list()

    def best(matches: list[Model]) -> Model:
        return max(
            matches,
            key=lambda m: (m.get("state") not in ENDED_STATES, str(m.get("created_at") or "")),
        )

    for field in ("id", "name", "key"):
        matches = [m for m in models if m.get(field) == ident]
        if matches:
            return best(matches)
    raise SessionNotFound(None, f"No session with id, name or key {ident!r}.", 404)


def _p_stats() -> Plan[Model]:
    stats: Model = (yield Call("GET", ("stats",))).json()
    return stats


def _start_body(
    name: str | None,
    agent: str | None,
    cwd: str | os.PathLike[str] | None,
    args: Sequence[str],
    env: Mapping[str, Any] | None,
    worktree: bool | str,
    key: str | None,
    command: str | Sequence[str] | None,
    labels: Mapping[str, Any] | None,
    cols: int | None,
    rows: int | None,
    policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The POST body, leaving out everything unset so server defaults apply.

    ``cwd`` is resolved here: ``"."`` means the kernel's working directory
    (the notebook's folder), which the server cannot know.
    """
    if isinstance(command, str):
        command = shlex.split(command)
    if isinstance(args, str):
        args = shlex.split(args)
    body: dict[str, Any] = {
        "name": name,
        "agent": agent,
        "command": [str(a) for a in command] if command is not None else None,
        "args": [str(a) for a in args] if args else None,
        "cwd": os.path.abspath(os.path.expanduser(os.fspath(cwd))) if cwd is not None else None,
        "env": {str(k): str(v) for k, v in env.items()} if env else None,
        "cols": cols,
        "rows": rows,
        "key": key,
        "labels": dict(labels) if labels else None,
        "worktree": worktree or None,
        "policy": dict(policy) if policy is not None else None,
    }
    return {k: v for k, v in body.items() if v is not None}


# -- module functions -------------------------------------------------------------


def start(
    name: str | None = None,
    agent: str | None = None,
    cwd: str | os.PathLike[str] | None = ".",
    args: Sequence[str] = (),
    env: Mapping[str, Any] | None = None,
    worktree: bool | str = False,
    key: str | None = None,
    command: str | Sequence[str] | None = None,
    labels: Mapping[str, Any] | None = None,
    cols: int | None = None,
    rows: int | None = None,
    *,
    policy: Mapping[str, Any] | None = None,
    client: Client | None = None,
) -> Session:
    """Start a session and return it (state ``starting``).

    ``agent`` is ``"claude"`` (server default) or ``"shell"``; ``command``
    (argv list, or a string split like a shell would) runs anything else.
    ``args`` are appended to the agent's argv. ``cwd`` defaults to the
    kernel's directory; ``cwd=None`` lets the server choose. ``env`` values
    are passed to the process only, never stored or echoed back.
    ``worktree=True`` runs in a fresh git worktree on a new branch.
    ``key`` is your own lookup handle (e.g. a task id) for :func:`get`.
    ``policy`` (claude): ``{"allow": ["Bash(git status:*)"], "deny": ["Bash(rm:*)"],
    "permission_mode": "acceptEdits"}``, Claude Code's own permission rules and mode.
    """
    body = _start_body(
        name, agent, cwd, args, env, worktree, key, command, labels, cols, rows, policy
    )
    c = _client(client)
    return Session(c, c.run(_p_start(body)))


async def astart(
    name: str | None = None,
    agent: str | None = None,
    cwd: str | os.PathLike[str] | None = ".",
    args: Sequence[str] = (),
    env: Mapping[str, Any] | None = None,
    worktree: bool | str = False,
    key: str | None = None,
    command: str | Sequence[str] | None = None,
    labels: Mapping[str, Any] | None = None,
    cols: int | None = None,
    rows: int | None = None,
    *,
    policy: Mapping[str, Any] | None = None,
    client: Client | None = None,
) -> Session:
    """Coroutine twin of :func:`start`."""
    body = _start_body(
        name, agent, cwd, args, env, worktree, key, command, labels, cols, rows, policy
    )
    c = _client(client)
    return Session(c, await c.arun(_p_start(body)))


def sessions(
    state: str | None = None,
    key: str | None = None,
    user: str | None = None,
    *,
    client: Client | None = None,
) -> list[Session]:
    """All sessions the server shows you, optionally filtered by state, key or user."""
    c = _client(client)
    return [Session(c, m) for m in c.run(p_list(state, key, user))]


async def asessions(
    state: str | None = None,
    key: str | None = None,
    user: str | None = None,
    *,
    client: Client | None = None,
) -> list[Session]:
    """Coroutine twin of :func:`sessions`."""
    c = _client(client)
    return [Session(c, m) for m in await c.arun(p_list(state, key, user))]


def get(name_or_id_or_key: str | Session, *, client: Client | None = None) -> Session:
    """Find a session by id, else by name, else by key; raise :class:`SessionNotFound`.

    A key shared by several sessions yields the newest live one.
    """
    if isinstance(name_or_id_or_key, Session):
        return name_or_id_or_key
    c = _client(client)
    return Session(c, c.run(_p_lookup(str(name_or_id_or_key))))


async def aget(name_or_id_or_key: str | Session, *, client: Client | None = None) -> Session:
    """Coroutine twin of :func:`get`."""
    if isinstance(name_or_id_or_key, Session):
        return name_or_id_or_key
    c = _client(client)
    return Session(c, await c.arun(_p_lookup(str(name_or_id_or_key))))


def stats(*, client: Client | None = None) -> dict[str, Any]:
    """Server statistics: counts by state, bytes buffered, uptime, store health."""
    c = _client(client)
    return c.run(_p_stats())


async def astats(*, client: Client | None = None) -> dict[str, Any]:
    """Coroutine twin of :func:`stats`."""
    c = _client(client)
    return await c.arun(_p_stats())


def dashboard(*, client: Client | None = None) -> Any:
    """A widget listing all sessions with their live states (display it)."""
    try:
        from jupyter_ccmanager.widgets.dashboard import DashboardWidget
    except ImportError as e:
        raise ImportError(
            "ccm.dashboard() needs jupyter_ccmanager's widget (anywidget, ipywidgets and the "
            f"built JavaScript in jupyter_ccmanager/static): {e}"
        ) from e
    return DashboardWidget(connection=_client(client))
