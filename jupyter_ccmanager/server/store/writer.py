"""Keeping the store a second or two behind the live sessions, off the hot path.

The PTY path only marks a session dirty (a set insertion). A periodic flush
snapshots the dirty sessions on the event loop (the model, and the output
tail when new bytes arrived) and writes them on a single worker thread, so
neither SQLite nor the disk ever delays a viewer. ``kill -9`` of the server
loses at most the last ``interval`` seconds.

One timer serves the whole store and is armed only while something is dirty:
a quiet server costs no wake-ups at all, and any number of busy sessions cost
one wake-up (one batch) per interval between them.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tornado.ioloop import IOLoop

from jupyter_ccmanager.server.session import Session
from jupyter_ccmanager.server.store.sqlite import Leader, Record, SessionStore, StoredSession

log = logging.getLogger(__name__)


def spec_of(session: Session) -> dict[str, Any]:
    """What a relaunch needs beyond the model (never the environment)."""
    return {"base_argv": session.base_argv}


class Persistence:
    """Dirty tracking and periodic, threaded writes for one :class:`SessionStore`."""

    def __init__(self, store: SessionStore, tail_bytes: int, interval: float) -> None:
        self.store = store
        self.tail_bytes = tail_bytes
        self.dirty: dict[str, Session] = {}
        self._saved_offset: dict[str, int] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ccm-store")
        self._flushing: asyncio.Future[None] | None = None
        self.interval = max(interval, 0.05)
        self._timer: object | None = None  # the one pending tick, only while dirty
        self._closed = False
        self.wakeups = 0  # ticks run (for tests and profiles)

    def load(self) -> list[StoredSession]:
        return self.store.load()

    def mark(self, session: Session, *_: Any) -> None:
        """Called per PTY read: a dict store, and the store's timer armed if it is not."""
        self.dirty[session.id] = session
        if self._timer is None:
            self._arm()

    def _arm(self) -> None:
        if not self._closed:
            self._timer = IOLoop.current().call_later(self.interval, self._tick)

    def soon(self) -> None:
        """Write the dirty sessions now rather than at the next tick (a new leader pid)."""
        if self._timer is not None:
            IOLoop.current().remove_timeout(self._timer)
        self._tick()

    def _tick(self) -> None:
        self._timer = None
        self.wakeups += 1
        if not self.dirty:
            return
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.ensure_future(self.flush())
            self._flushing.add_done_callback(self._flushed)
        else:  # the last batch is still being written: look again in an interval
            self._arm()

    def _flushed(self, _: object) -> None:
        """Whatever became dirty while the batch was written waits one interval."""
        if self.dirty and self._timer is None:
            self._arm()

    def _snapshot(self, session: Session) -> Record:
        tail: bytes | None = None
        start = 0
        if self._saved_offset.get(session.id) != session.buffer.end:
            start, tail = session.buffer.tail(self.tail_bytes)
            self._saved_offset[session.id] = session.buffer.end
        leader = None
        if session.running and session.leader_pid is not None:
            leader = Leader(session.leader_pid, session.leader_pid, session.leader_start)
        return session.model(), spec_of(session), start, tail, leader

    async def flush(self) -> None:
        """Write every dirty session now."""
        if not self.dirty:
            return
        batch, self.dirty = list(self.dirty.values()), {}
        records = [self._snapshot(s) for s in batch]
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self.store.save, records)
        except Exception as err:
            log.warning("ccmanager: saving %d session(s) failed: %s", len(records), err)
            for session in batch:  # try again next tick; nothing is dropped
                self._saved_offset.pop(session.id, None)
                self.dirty.setdefault(session.id, session)

    async def forget(self, session_id: str) -> None:
        self.dirty.pop(session_id, None)
        self._saved_offset.pop(session_id, None)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.store.delete, session_id)

    async def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            IOLoop.current().remove_timeout(self._timer)
            self._timer = None
        if self._flushing is not None:
            await asyncio.shield(self._flushing)
        await self.flush()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.store.close)
        self._executor.shutdown(wait=True)
