"""Waiting for a condition, the one way the suite does it: poll until it holds, or fail.

Tests never sleep a fixed time to let something happen; they wait for what
they need to see (an output, a state, a process gone), with a timeout that
only bounds a failure. :func:`until` polls a plain predicate, :func:`auntil`
an async one (or a plain one) from inside the event loop of an in-process
server; the others are the waits many tests share.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import psutil

from jupyter_ccmanager.server.session import session_members

if TYPE_CHECKING:
    from tests.helpers.api import Api

T = TypeVar("T")


def until(
    predicate: Callable[[], T],
    timeout: float = 30,
    what: str = "",
    interval: float = 0.1,
    pause: Callable[[float], Any] = time.sleep,
) -> T:
    """Call ``predicate`` until it returns something truthy; return that value.

    Fails with ``AssertionError`` naming ``what`` after ``timeout`` seconds.
    ``pause`` waits between calls (playwright tests pass one that lets the
    browser's events through, which a plain sleep would hold back).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        pause(interval)


async def auntil(
    predicate: Callable[[], Awaitable[T] | T],
    timeout: float = 30,
    what: str = "",
    interval: float = 0.05,
) -> T:
    """:func:`until` inside an event loop; ``predicate`` may return an awaitable."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        await asyncio.sleep(interval)


async def wait_state(api: Api, sid: str, *states: str, timeout: float = 20) -> dict[str, Any]:
    """The session's model once its state is one of ``states``."""
    last: dict[str, Any] = {}

    async def reached() -> dict[str, Any] | None:
        last.update(await api.get(sid))
        return dict(last) if last["state"] in states else None

    try:
        return await auntil(reached, timeout, interval=0.05)
    except AssertionError:
        raise AssertionError(
            f"session {sid} is {last.get('state')!r}, not in {states}, after {timeout} s"
        ) from None


async def wait_output(api: Api, sid: str, needle: bytes, timeout: float = 20) -> bytes:
    """The session's whole output (from offset 0) once it contains ``needle``."""
    seen = b""

    async def printed() -> bytes | None:
        nonlocal seen
        status, data = await api.call("GET", "sessions", sid, "output", params={"offset": "0"})
        assert status == 200, data
        seen = data
        return data if needle in data else None

    try:
        return await auntil(printed, timeout, interval=0.05)
    except AssertionError:
        raise AssertionError(f"{needle!r} not in {seen[-300:]!r} after {timeout} s") from None


def gone(pid: int) -> bool:
    """The process no longer exists (a zombie still counts as there: nobody reaped it)."""
    try:
        psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return True
    return False


def runs_in_foreground(pid: int, name: str) -> bool:
    """A process called ``name`` runs in the session of ``pid`` and owns its terminal.

    A shell forks, execs and only then (or in parallel) hands the terminal to
    the new job with ``tcsetpgrp``: a Ctrl-C typed as soon as the process merely
    exists can still reach the shell instead and be lost. A test that
    interrupts waits for this: the process's group is the terminal's
    foreground group (``pgrp == tpgid`` in /proc/PID/stat).
    """
    for member in session_members(pid):
        try:
            if psutil.Process(member).name() != name:
                continue
            with open(f"/proc/{member}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (psutil.NoSuchProcess, OSError):
            continue
        pgrp, tpgid = int(fields[2]), int(fields[5])
        if pgrp == tpgid:
            return True
    return False


def describe_session(pid: int) -> str:
    """What a failing wait should show about a terminal session: each member's
    name, state, process group, the terminal's foreground group and signal masks."""
    lines = []
    for member in session_members(pid):
        try:
            with open(f"/proc/{member}/stat") as f:
                comm, rest = f.read().rsplit(")", 1)
            with open(f"/proc/{member}/status") as f:
                masks = {k: v.strip() for k, _, v in (x.partition(":") for x in f)}
        except OSError:
            continue
        fields = rest.split()
        lines.append(
            f"{member} {comm.split('(', 1)[1]} state={fields[0]} pgrp={fields[2]} "
            f"tpgid={fields[5]} "
            + " ".join(f"{k}={masks.get(k)}" for k in ("SigPnd", "ShdPnd", "SigBlk", "SigIgn"))
        )
    return "; ".join(lines) or f"no process in the session of {pid}"


def wait_gone(pids: list[int], timeout: float = 20) -> list[int]:
    """Wait until every process in ``pids`` is gone; return those still there at the end."""
    alive = list(pids)

    def all_gone() -> bool:
        alive[:] = [p for p in alive if not gone(p)]
        return not alive

    with contextlib.suppress(AssertionError):  # the caller says what it expected
        until(all_gone, timeout, what=f"processes {pids} to end")
    return alive
