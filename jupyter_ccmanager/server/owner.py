"""Which server owns what: one server's identity, and whether another one is alive.

Two servers may share one Jupyter data dir (``jupyter lab`` started twice), and
with it the session store and the demo HOME. A server is named by its pid and
its start time, ``"<pid>:<start>"``, so a pid reused after a crash is never
taken for the old server.
"""

from __future__ import annotations

import os

from jupyter_ccmanager.server.procs import start_time


def this_server() -> str:
    """This process's identity."""
    pid = os.getpid()
    return f"{pid}:{start_time(pid)}"


def alive(owner: str | None) -> bool:
    """True if ``owner`` names a live process other than this one, started when it said."""
    if not owner or owner == this_server():
        return False
    pid, _, started = owner.partition(":")
    try:
        return str(start_time(int(pid))) == started
    except ValueError:
        return False
