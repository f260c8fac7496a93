"""Every running session is also a terminal in JupyterLab's own terminal panel.

jupyter_server_terminals keeps ``PtyWithClients`` objects in its
``TerminalManager.terminals`` by name and serves them over terminado's
protocol at ``terminals/websocket/{name}``. A :class:`LinkedTerminal` stands
in for a ``PtyWithClients`` there, so the Running panel lists the session and
Lab's terminal widget opens it, while the session itself keeps its single
reader, its replay buffer and its state: terminado clients are just more
viewers. Lab's "Shut Down" goes through our manager.

terminado's traps handled here: a name collision would silently orphan a
terminal (``create`` is guarded and names are checked); terminado's reader,
EOF and ``kill_all`` paths are never used for our sessions (we never register
with ``ptys_by_fd``); its culler and ``terminate`` call our stop.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from tornado import web

from jupyter_ccmanager.server import validation as v
from jupyter_ccmanager.server.errors import ManagerError
from jupyter_ccmanager.server.state.states import LIVE_STATES

if TYPE_CHECKING:
    from jupyter_ccmanager.server.manager import CCSessionManager
    from jupyter_ccmanager.server.session import Session

log = logging.getLogger(__name__)

REPLAY_BYTES = 2 << 20  # what a newly opened Lab terminal is shown of the past


class _PtyShim:
    """The bits of ``ptyprocess`` that terminado's TermSocket touches."""

    def __init__(self, session: Session, owner: object) -> None:
        self.session = session
        self.owner = owner  # the viewer this input comes from

    def write(self, text: str) -> None:
        if self.session.running:
            # terminado hands over whatever JSON decoded to: no lone surrogates in the PTY.
            # Lab's xterm.js answers the queries in the replay it opens with: those
            # answers (and a second terminal's) are dropped like any viewer's.
            # All of a session's Lab terminals count as one viewer (terminado does not
            # say which one typed): the LinkedTerminal, whose size is the last one set.
            self.session.write_from_viewer(text.encode("utf-8", "replace"), self.owner)

    @property
    def fd(self) -> int:
        return -1


class _Clients(list[Any]):
    """terminado's TermSocket appends/removes itself here; we follow along, so a
    Lab terminal counts as a viewer exactly while one is open."""

    def __init__(self, owner: LinkedTerminal) -> None:
        super().__init__()
        self.owner = owner

    def append(self, client: Any) -> None:
        super().append(client)
        if len(self) == 1:
            self.owner.watch(True)

    def remove(self, client: Any) -> None:
        super().remove(client)
        if not self:
            self.owner.watch(False)


class LinkedTerminal:
    """A session dressed as terminado's ``PtyWithClients``."""

    def __init__(
        self,
        session: Session,
        name: str,
        stop: Callable[[Session], Any],
        snapshot: Callable[[str], tuple[int, str] | None] = lambda _: None,
    ) -> None:
        self.session = session
        self._snapshot = snapshot  # the manager's: the screen as escape sequences
        self.term_name = name
        self.clients = _Clients(self)
        self.ptyproc = _PtyShim(session, self)
        self._stop = stop
        self._sizes: dict[int, tuple[Any, Any]] = {}
        self._cursor = session.buffer.end
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def watch(self, on: bool) -> None:
        """Become a viewer of the session while Lab terminals are open on it."""
        if on:
            buffer = self.session.buffer
            self._cursor = buffer.end  # older bytes come from read_buffer
            self._decoder.reset()
            snapshot = self._screen()
            if snapshot is not None:  # the start of a character the screen does not show yet
                self._decoder.decode(buffer.read(snapshot[0], buffer.end - snapshot[0])[1])
            self.session.attach(self)
        else:
            self.session.detach(self)

    # ------------------------------------------------- what terminado reads
    @property
    def read_buffer(self) -> deque[str]:
        """The replay a newly opened Lab terminal gets (TermSocket drains a copy).

        The server's screen as escape sequences, when there is a screen model:
        a raw tail would start mid-stream (no alternate screen, modes, colours),
        and its old terminal queries would be answered by Lab's xterm.js. What
        follows the snapshot's offset is at most an unfinished character, which
        ``watch`` already handed to the decoder.
        """
        snapshot = self._screen()
        if snapshot is not None:
            return deque([snapshot[1]])
        _, data = self.session.buffer.tail(REPLAY_BYTES)
        return deque([data.decode("utf-8", "replace")] if data else [])

    def _screen(self) -> tuple[int, str] | None:
        snapshot = self._snapshot(self.session.id)
        buffer = self.session.buffer
        if snapshot is None or not buffer.start <= snapshot[0] <= buffer.end:
            return None
        return snapshot

    @property
    def last_activity(self) -> datetime:
        return datetime.fromtimestamp(self.session.last_activity, tz=timezone.utc)

    @last_activity.setter
    def last_activity(self, value: Any) -> None:
        """jupyter_server_terminals stamps activity here; the session keeps its own."""

    def resize_to_smallest(self) -> None:
        """Called on every ``set_size``: the client whose size changed is the active one.

        terminado stores whatever the client sent (``-3``, ``0.5``, ``70000``); a
        size outside the one limit (:func:`~.validation.check_size`) is ignored.
        """
        for client in self.clients:
            size = getattr(client, "size", None)
            if not isinstance(size, (tuple, list)) or len(size) != 2:
                continue
            rows, cols = size
            if self._sizes.get(id(client)) == (rows, cols):
                continue
            self._sizes[id(client)] = (rows, cols)
            try:
                v.check_size(cols, rows)
            except ManagerError:
                log.info("ccmanager: ignoring size %r x %r for %s", cols, rows, self.term_name)
                continue
            self.session.sizing.request(self, cols, rows)  # applied only as size owner

    async def terminate(self, force: bool = False) -> bool:
        """Lab's "Shut Down": stop the session through the manager."""
        await self._stop(self.session)
        return True

    def kill(self, sig: int = 15) -> None:
        log.info("ccmanager: ignoring terminado kill(%s) of %s; use Shut Down", sig, self.term_name)

    killpg = kill

    # -------------------------------------------------- session → terminado
    def on_output(self) -> None:
        start, data = self.session.buffer.read(self._cursor, 1 << 30)
        self._cursor = start + len(data)
        text = self._decoder.decode(data)
        if text:
            for client in list(self.clients):
                client.on_pty_read(text)

    def on_event(self, message: dict[str, Any]) -> None:
        """State and resize messages have no terminado equivalent."""

    def close(self) -> None:
        self.session.detach(self)
        for client in list(self.clients):
            client.on_pty_died()


class TerminalPanel:
    """Links live sessions into jupyter_server_terminals' terminal manager."""

    def __init__(self, settings: dict[str, Any], manager: CCSessionManager) -> None:
        self.settings = settings
        self.manager = manager
        self.linked: dict[str, LinkedTerminal] = {}
        self._warned = False
        self._guarded: Any = None

    @property
    def terminals(self) -> Any:
        """jupyter_server_terminals' manager, or None (loaded after us, or absent)."""
        tm = self.settings.get("terminal_manager")
        if tm is None and not self._warned:
            self._warned = True
            log.info("ccmanager: jupyter_server_terminals is not loaded; no JupyterLab panel links")
        if tm is not None and self._guarded is not tm:
            self._guard(tm)
        return tm

    def _guard(self, tm: Any) -> None:
        """Refuse Lab terminals whose name would replace one of ours."""
        create = tm.create

        def guarded_create(**kwargs: Any) -> Any:
            if kwargs.get("name") in tm.terminals:
                raise web.HTTPError(409, f"Terminal {kwargs['name']} already exists")
            return create(**kwargs)

        tm.create = guarded_create
        self._guarded = tm

    def __call__(self, session: Session, message: dict[str, Any]) -> None:
        """A manager event listener: link on start, unlink on exit, stop or delete."""
        kind = message.get("type")
        if kind in ("created", "resumed") and session.running:
            self.link(session)
        elif kind in ("exit", "deleted") or (
            kind == "state" and session.state.value not in LIVE_STATES
        ):
            self.unlink(session)

    def link(self, session: Session) -> None:
        tm = self.terminals
        if tm is None or session.id in self.linked:
            return
        name = session.terminal_name or self._free_name(tm, session.name)
        if name in tm.terminals:  # someone took our old name meanwhile
            name = self._free_name(tm, session.name)
        session.terminal_name = name
        term = LinkedTerminal(session, name, self._stop, self.manager.snapshot)
        tm.terminals[name] = term
        self.linked[session.id] = term

    def unlink(self, session: Session) -> None:
        term = self.linked.pop(session.id, None)
        if term is None:
            return
        tm = self.terminals
        if tm is not None and tm.terminals.get(term.term_name) is term:
            del tm.terminals[term.term_name]
        term.close()

    async def _stop(self, session: Session) -> None:
        await self.manager.stop(session.id)

    @staticmethod
    def _free_name(tm: Any, session_name: str) -> str:
        base = "ccm_" + re.sub(r"\W", "_", session_name)
        name, n = base, 1
        while name in tm.terminals:
            n += 1
            name = f"{base}_{n}"
        return name
