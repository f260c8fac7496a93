"""The manager's clocks: liveness and activity every second, and idle culling.

Kept apart from the registry so the manager stays about sessions. Nothing
here is on the PTY path: sessions only store ``last_activity`` timestamps,
and this module compares them once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from tornado.ioloop import PeriodicCallback

from jupyter_ccmanager.server.errors import NotFound
from jupyter_ccmanager.server.session import Session

log = logging.getLogger(__name__)


class Monitor:
    """Periodic checks over the sessions ``sessions()`` returns."""

    def __init__(
        self,
        sessions: Callable[[], Iterable[Session]],
        live_sessions: Callable[[], Iterable[Session]],
        stop: Callable[[str], Awaitable[object]],
        cull_idle_timeout: float,
    ) -> None:
        self._sessions = sessions
        self._live_sessions = live_sessions
        self._stop = stop
        self.cull_idle_timeout = cull_idle_timeout
        #: Told the newest session activity (output, input, viewers) as a UNIX time;
        #: the app turns it into jupyter_server's ``ccmanager_last_activity`` setting.
        self.on_activity: Callable[[float], None] | None = None
        self._reported_activity = 0.0
        self._liveness = PeriodicCallback(self.check_alive, 1000)
        self._liveness.start()
        self._culler: PeriodicCallback | None = None
        self._culling: set[asyncio.Future[None]] = set()
        if cull_idle_timeout > 0:
            every = max(0.5, min(60.0, cull_idle_timeout / 2))
            self._culler = PeriodicCallback(self.cull, every * 1000)
            self._culler.start()

    def check_alive(self) -> None:
        """Every second: notice dead children, and report the newest activity (one
        comparison per session here; the PTY path only stores a timestamp)."""
        newest = 0.0
        for session in list(self._sessions()):
            session.check_alive()
            newest = max(newest, session.last_activity)
        if newest > self._reported_activity and self.on_activity is not None:
            self._reported_activity = newest
            self.on_activity(newest)

    def cull(self) -> None:
        """Stop (resumably) live sessions that nobody watched or used for too long."""
        now = time.time()
        for session in list(self._live_sessions()):
            if not session.viewers and now - session.last_activity > self.cull_idle_timeout:
                log.info("ccmanager: culling idle session %s", session.name)
                task = asyncio.ensure_future(self._cull_one(session.id))
                self._culling.add(task)
                task.add_done_callback(self._culling.discard)

    async def _cull_one(self, session_id: str) -> None:
        """Stop through the manager (its lifecycle lock); deleted meanwhile is no error."""
        with contextlib.suppress(NotFound):
            await self._stop(session_id)

    def close(self) -> None:
        self._liveness.stop()
        if self._culler is not None:
            self._culler.stop()
