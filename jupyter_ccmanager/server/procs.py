"""Processes of a session's terminal session: spawning them safely, finding and ending them.

Spawning: ptyprocess forks, and in the child runs ``chdir`` and ``execvpe``
as plain Python. If either raises anything but an ``OSError`` from exec, the
child *goes on running the server's code* (with the PTY as its stdout) while
the parent blocks on ptyprocess's error pipe. So everything exec would have
to encode is checked here before the fork, and the ``chdir`` runs in
ptyprocess's ``preexec_fn``, whose failures it reports through that pipe and
follows with ``os._exit``.

Ending: a shell's background jobs (``sleep 1000 & disown``, jobs that ignore
SIGHUP/SIGTERM) live in process groups of their own but stay in the terminal
session, whose id is the leader's pid (``pty.fork`` calls ``setsid``). Linux
keeps that id allocated while any member lives, so "every process whose
session id is the leader's pid" is exactly what is left of a session.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import signal
from collections import deque
from functools import partial

from ptyprocess import PtyProcessUnicode
from terminado.management import PtyWithClients

from jupyter_ccmanager.server.errors import InvalidRequest


def _stat(pid: int) -> list[bytes] | None:
    """Fields of /proc/<pid>/stat after the command name (state is [0])."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot), to tell it from a reused pid."""
    fields = _stat(pid)
    return int(fields[19]) if fields is not None and len(fields) > 19 else None


def session_members(sid: int) -> list[int]:
    """Every process in the terminal session ``sid``, including background jobs
    that a shell moved to process groups of their own (Linux /proc; elsewhere
    just ``sid``)."""
    members = [sid]
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and int(entry.name) != sid:
                fields = _stat(int(entry.name))
                with contextlib.suppress(ValueError, IndexError, TypeError):
                    if fields is not None and int(fields[3]) == sid:  # state ppid pgrp session
                        members.append(int(entry.name))
    return members


def leftovers(sid: int) -> list[int]:
    """Members of session ``sid`` other than its (exited) leader."""
    return [pid for pid in session_members(sid) if pid != sid]


def kill_session(sid: int, leader_start: int | None = None) -> list[int]:
    """SIGKILL every process left in terminal session ``sid``; returns their pids.

    With ``leader_start``, a live process with pid ``sid`` that started at
    another time is someone else's (the pid was reused): nothing is killed.
    """
    leader_alive = start_time(sid)
    if leader_alive is not None and leader_start is not None and leader_alive != leader_start:
        return []
    victims = session_members(sid) if leader_alive is not None else leftovers(sid)
    for pid in victims:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return victims


def _encodable(value: str, what: str) -> bytes:
    try:
        raw = os.fsencode(value)
    except UnicodeError:
        raise InvalidRequest("SPAWN_FAILED", f"{what} is not valid text.") from None
    if b"\0" in raw:
        raise InvalidRequest("SPAWN_FAILED", f"{what} contains a NUL character.")
    return raw


def check_spawnable(argv: list[str], env: dict[str, str], cwd: str) -> None:
    """Refuse, before any fork, what would make exec or chdir fail in the child."""
    if not argv:
        raise InvalidRequest("SPAWN_FAILED", "The command is empty.")
    for arg in argv:
        _encodable(arg, "An argument")
    for key, value in env.items():
        if not key or b"=" in _encodable(key, "An environment name"):
            raise InvalidRequest("SPAWN_FAILED", f"Invalid environment name {key!r}.")
        _encodable(value, f"The environment value of {key}")
    _encodable(cwd, "The working directory")
    if not os.path.isdir(cwd) or not os.access(cwd, os.X_OK):
        raise InvalidRequest("INVALID_CWD", f"{cwd!r} is not a directory that can be entered.")


#: Signals a server may ignore that its terminals' programs must not inherit (an
#: ignored signal stays ignored across exec, and a shell passes it on to every job):
#: Python ignores SIGPIPE and SIGXFSZ, and a server started as a background job of a
#: script (``jupyter lab &``) ignores SIGINT and SIGQUIT, so Ctrl-C would stop nothing.
INHERITED_SIGNALS = (
    signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGHUP,
    signal.SIGTERM, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGCHLD,
)  # fmt: skip


def prepare_child(cwd: str) -> None:
    """In the forked child, before exec: the signal state of a fresh login (every
    signal at its default, none blocked), then the working directory."""
    for sig in INHERITED_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, ())
    os.chdir(cwd)


class SessionPty(PtyWithClients):
    """terminado's ``PtyWithClients``, spawned with :func:`prepare_child` as ``preexec_fn``
    (where ptyprocess reports a failure to the parent and ends the child) and at
    its real size from the first byte."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str, rows: int, cols: int):
        check_spawnable(argv, env, cwd)
        self.clients = []
        self.read_buffer = deque(maxlen=1000)
        self.ptyproc = PtyProcessUnicode.spawn(
            argv, env=env, preexec_fn=partial(prepare_child, cwd), dimensions=(rows, cols)
        )
        self.ptyproc.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
