"""The session WebSocket: a viewer is a cursor into the session's replay buffer.

Protocol (see the README): the server first sends ``hello`` with the model
and the offset ``M`` of the first byte that follows, then binary frames of raw
PTY bytes contiguous from ``M``. Control messages are text JSON both ways.
When the asked offset has left the buffer (or ``?replay=screen`` asks for it),
``hello`` carries the screen at ``M`` as escape sequences (``replay:
"snapshot"``): raw bytes from the buffer's start would begin mid-stream, with
no modes, colours or alternate screen, and draw a wrong picture.

Backpressure: the pump sends one frame at a time and awaits tornado's write
future, so a slow client holds at most one frame in the server; a client that
sends ``ack`` messages is additionally kept within ``ACK_WINDOW`` bytes of
what it has processed. A client that falls out of the buffer gets a ``gap``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from jupyter_ccmanager.server import validation as v
from jupyter_ccmanager.server.errors import ManagerError
from jupyter_ccmanager.server.handlers.base import AUTH_RESOURCE, SESSION_ID, JSONErrors
from jupyter_ccmanager.server.requests import InputRequest, ResizeRequest

if TYPE_CHECKING:
    from jupyter_ccmanager.server.manager import CCSessionManager
    from jupyter_ccmanager.server.session import Session

log = logging.getLogger(__name__)

FRAME_BYTES = 256 * 1024  # largest binary frame
ACK_WINDOW = 1 << 20  # unacknowledged bytes allowed once a client acks
MAX_MESSAGE = 1 << 20  # largest message a client may send
STREAM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class SessionWebSocket(JSONErrors, WebSocketMixin, JupyterHandler, WebSocketHandler):
    """``{base_url}ccmanager/api/sessions/{id}/ws?offset=N``."""

    auth_resource = AUTH_RESOURCE
    session: Session
    cursor: int
    acked: int | None = None  # None until the client sends its first ack
    client_stream: str | None = None  # the stream the client's offset counts in (?stream=)

    @property
    def manager(self) -> CCSessionManager:
        manager: CCSessionManager = self.settings["ccmanager"]
        return manager

    @ws_authenticated
    async def get(self, session_id: str) -> None:
        if not await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", self.auth_resource)
        ):
            raise web.HTTPError(403)
        self.missing: ManagerError | None = None
        try:
            self.session = self.manager.get(session_id)
        except ManagerError as err:
            # Accept, then say why and close: a browser only sees a bare 1006
            # for a refused upgrade and would retry forever.
            self.missing = err
        raw = self.get_query_argument("offset", None)
        if raw is None:
            self.cursor = 0
        else:
            try:
                self.cursor = int(raw)
                if self.cursor < 0:
                    raise ValueError
            except ValueError:
                raise web.HTTPError(400, "'offset' must be a non-negative integer") from None
        replay = self.get_query_argument("replay", "bytes")
        if replay not in ("bytes", "screen"):
            raise web.HTTPError(400, "'replay' must be 'bytes' or 'screen'")
        self.want_screen = replay == "screen"
        self.client_stream = self.get_query_argument("stream", None)
        if self.client_stream is not None and not STREAM_ID.fullmatch(self.client_stream):
            raise web.HTTPError(400, "'stream' must be a stream id from a hello or session model")
        self._check_handshake()
        await super().get(session_id)

    def _check_handshake(self) -> None:
        """tornado's own handshake checks, raised as errors so that they answer
        ``{code, message}`` JSON like every refusal (tornado writes plain text)."""
        headers = self.request.headers
        if headers.get("Upgrade", "").lower() != "websocket":
            raise web.HTTPError(400, 'Can "Upgrade" only to "WebSocket".')
        if "upgrade" not in {p.strip().lower() for p in headers.get("Connection", "").split(",")}:
            raise web.HTTPError(400, '"Connection" must be "Upgrade".')
        origin = headers.get("Origin", headers.get("Sec-Websocket-Origin"))
        if origin is not None and not self.check_origin(origin):
            raise web.HTTPError(403, "Cross origin websockets not allowed")

    def open(self, session_id: str) -> None:
        super().open()
        if self.missing is not None:
            self._closed = False
            self._error(self.missing.code, self.missing.message)
            self.close(4004, self.missing.code)
            return
        buffer = self.session.buffer
        reset = self._offsets_reset()
        asked = 0 if reset else self.cursor
        dropped = asked < buffer.start  # output the client asked for is gone
        self.cursor = min(max(asked, buffer.start), buffer.end)
        hello: dict[str, Any] = {
            "type": "hello",
            "session": self.session.model(),
            "offset": self.cursor,
            "stream": self.session.stream,
            "reset": reset,
            "replay": "bytes",
            "dropped": dropped,
        }
        snapshot = self._snapshot() if dropped or self.want_screen else None
        if snapshot is not None:
            self.cursor, hello["snapshot"] = snapshot
            hello.update(offset=self.cursor, replay="snapshot")
        self._wake = asyncio.Event()
        self._closed = False
        self._exit_message: dict[str, Any] | None = None
        self._send_json(hello)
        self.session.attach(self)
        self._pump_task = asyncio.ensure_future(self._pump())
        self._wake.set()

    def _snapshot(self) -> tuple[int, str] | None:
        """The server's screen and the offset its raw bytes continue at, or None
        (no screen model, or its offset is not in the buffer: then raw bytes)."""
        snapshot = self.manager.snapshot(self.session.id)
        buffer = self.session.buffer
        if snapshot is None or not buffer.start <= snapshot[0] <= buffer.end:
            return None
        return snapshot

    def _offsets_reset(self) -> bool:
        """True when the client's offset cannot mean what it saw: it belongs to another
        stream (the server restarted), or lies beyond the end. It then starts over
        from what is buffered, and ``hello`` says so (``reset``) instead of a silent clamp."""
        if self.client_stream is not None and self.client_stream != self.session.stream:
            return True
        return self.cursor > self.session.buffer.end

    # -------------------------------------------------------- session → client
    def on_output(self) -> None:
        self._wake.set()

    def on_event(self, message: dict[str, Any]) -> None:
        if message.get("type") == "exit":
            # Sent by the pump after the last output bytes, never before them.
            self._exit_message = message
            self._wake.set()
        else:
            self._send_json(message)

    def _send_json(self, message: dict[str, Any]) -> None:
        if getattr(self, "_closed", True):
            return
        try:
            self.write_message(json.dumps(message))
        except WebSocketClosedError:
            self._closed = True

    async def _pump(self) -> None:
        """Send buffered bytes from the cursor, one awaited frame at a time."""
        buffer = self.session.buffer
        while not self._closed:
            await self._wake.wait()
            self._wake.clear()
            while not self._closed:
                budget = FRAME_BYTES
                if self.acked is not None:
                    budget = min(budget, self.acked + ACK_WINDOW - self.cursor)
                    if budget <= 0:
                        break  # wait for an ack (it sets _wake)
                start, data = buffer.read(self.cursor, budget)
                if start > self.cursor:
                    self._fell_behind(start)
                    continue  # read again from the new cursor
                self.cursor = start + len(data)
                if not data:
                    break
                try:
                    await self.write_message(data, binary=True)
                except WebSocketClosedError:
                    self._closed = True
            if self._exit_message is not None and self.cursor >= buffer.end:
                self._send_json(self._exit_message)
                self._exit_message = None

    def _fell_behind(self, start: int) -> None:
        """Bytes this viewer had not been sent left the buffer. The raw bytes from
        ``start`` would draw a wrong picture, so with a screen model the stream goes
        on at the snapshot's offset ``K`` and a ``snapshot`` message (after the
        ``gap``, which clients that do not know it still follow) redraws the screen."""
        snapshot = self._snapshot()
        to = snapshot[0] if snapshot is not None else start
        self._send_json({"type": "gap", "from": self.cursor, "to": to})
        if snapshot is not None:
            self._send_json({"type": "snapshot", "offset": to, "snapshot": snapshot[1]})
        if self.acked is not None:
            self.acked = max(self.acked, to)
        self.cursor = to

    # -------------------------------------------------------- client → session
    async def on_message(self, message: str | bytes) -> None:
        if len(message) > MAX_MESSAGE:
            self._error("PAYLOAD_TOO_LARGE", f"Messages are limited to {MAX_MESSAGE} bytes.")
            return
        if isinstance(message, bytes):
            self._type(message)
            return
        try:
            msg = v.parse_json_message(message)
        except ManagerError as err:
            self._error("INVALID_MESSAGE", f"Unreadable message: {err.message}")
            return
        kind = msg.pop("type", None)
        if not isinstance(kind, str):
            self._error("INVALID_MESSAGE", "A JSON object with a string 'type' is expected.")
            return
        handler = MESSAGE_HANDLERS.get(kind)
        if handler is None:
            self._error("INVALID_MESSAGE", f"Unknown message type {kind!r}.")
            return
        try:
            handler(self, msg)
        except ManagerError as err:
            self._error(err.code, err.message)
        except Exception:  # answered, logged, and the socket stays open
            log.exception("ccmanager: WebSocket message %r failed", kind)
            self._error("INTERNAL", "Internal server error (see the server log).")

    def _on_input(self, msg: dict[str, Any]) -> None:
        self._type(InputRequest.parse(msg, max_len=MAX_MESSAGE).data)

    def _on_resize(self, msg: dict[str, Any]) -> None:
        """This viewer's box; it sets the PTY size only as the size owner (sizing.py).
        When it does not, the viewer is told the PTY's size, to show the terminal at."""
        take = msg.pop("take", False)
        if not isinstance(take, bool):
            raise v.bad_request("'take' must be true or false.", "INVALID_VALUE")
        request = ResizeRequest.parse(msg)
        if not self.manager.request_size(self.session.id, self, request, take):
            self._send_json(
                {"type": "resize", "cols": self.session.cols, "rows": self.session.rows}
            )

    def _on_ack(self, msg: dict[str, Any]) -> None:
        v.check_fields(msg, {"offset"})
        offset = v.get_number(msg, "offset", low=0, high=2**62)
        if offset is None:
            raise v.bad_request("'offset' is required.", "INVALID_VALUE")
        self.acked = min(max(offset, self.acked or 0), self.cursor)
        self._wake.set()

    def _on_ping(self, msg: dict[str, Any]) -> None:
        self._send_json({"type": "pong"})

    def _type(self, data: bytes) -> None:
        """Input from this viewer; typing makes it the size owner (sizing.py)."""
        try:
            self.manager.write_from_viewer(self.session.id, data, self)
        except ManagerError as err:
            self._error(err.code, err.message)

    def _error(self, code: str, message: str) -> None:
        """Answer ``error``; the socket stays open."""
        self._send_json({"type": "error", "code": code, "message": message})

    def on_close(self) -> None:
        self._closed = True
        if self.ping_callback is not None:  # it would hold this handler (and the session)
            self.ping_callback.stop()
        if hasattr(self, "_wake"):
            self._wake.set()
            self.session.detach(self)


#: Client message types and what handles them: an explicit table, so a message
#: can never reach any other attribute of the handler.
MESSAGE_HANDLERS: dict[str, Callable[[SessionWebSocket, dict[str, Any]], None]] = {
    "input": SessionWebSocket._on_input,
    "resize": SessionWebSocket._on_resize,
    "ack": SessionWebSocket._on_ack,
    "ping": SessionWebSocket._on_ping,
}

default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (rf"/sessions/{SESSION_ID}/ws", SessionWebSocket),
]
