"""Kernel-side relay between widget views (over the comm) and a session's WebSocket.

Front ends without a Jupyter page config (VS Code, Colab...) cannot open the
server's WebSocket from the browser, but the kernel can reach the server. For
them each widget view asks the kernel to ``connect``; the kernel opens one
WebSocket per view and forwards frames both ways, unchanged except for the
``view`` tag that tells the views of one widget apart (comm messages from the
kernel reach every view of a widget)::

    view -> kernel   {type: "connect", view, offset, stream}   open (or replace) the view's socket
                     {type: "input", view} + buffer     raw input bytes (or a "data" string)
                     {type: "resize"|"ack"|"ping", view, ...}   forwarded as JSON
                     {type: "disconnect", view}         close the view's socket
    kernel -> view   server JSON messages + view        hello, state, exit, gap, error...
                     {type: "output", view} + buffer    raw PTY bytes
                     {type: "closed", view, reason}     the socket ended; the view reconnects

The relay runs on the kernel's asyncio loop; comm handlers run there too, so
sockets are only touched from that loop. While a cell blocks the loop, the
relay (and so the view) pauses with it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

__all__ = ["CommRelay", "RelayConnection"]

log = logging.getLogger(__name__)

#: Messages a view may have forwarded to the server as JSON.
FORWARDED = frozenset({"resize", "ack", "ping"})
#: Handshake statuses that retrying cannot fix, with the code the view shows.
FATAL_STATUS = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND"}
PING_INTERVAL = 30.0  # keeps proxies from closing a quiet socket
CONNECT_TIMEOUT = 20.0

Send = Callable[[dict[str, Any], list[bytes] | None], None]


class RelayConnection(Protocol):
    """Where the server is: :class:`jupyter_ccmanager.client.transport.Client` fits."""

    def ws_url(self, session_id: str, offset: int | None = None) -> str:
        """The session socket's URL, resuming at byte ``offset``."""
        ...

    def headers(self) -> dict[str, str]:
        """Authentication headers for the server."""
        ...


@dataclass
class _Upstream:
    """One view's socket to the server."""

    view: str
    loop: asyncio.AbstractEventLoop
    ws: WebSocketClientConnection | None = None
    task: asyncio.Task[None] | None = None
    closed: bool = False


class CommRelay:
    """Relays the views of one widget to the server, one WebSocket per view.

    ``send(content, buffers)`` delivers a message to the views (the widget's
    ``send``); ``connection`` is resolved lazily by ``get_connection`` so that
    finding the server happens only when a view actually needs the relay.
    """

    def __init__(
        self,
        get_connection: Callable[[], RelayConnection],
        send: Send,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._get_connection = get_connection
        self._send = send
        self._loop = loop
        self._upstreams: dict[str, _Upstream] = {}

    def handle(self, session_id: str, content: dict[str, Any], buffers: list[Any]) -> None:
        """A message from a view (the widget's ``on_msg`` callback)."""
        view = content.get("view")
        kind = content.get("type")
        if not isinstance(view, str) or not view:
            return  # not from a terminal view
        if kind == "connect":
            offset = content.get("offset")
            offset = offset if isinstance(offset, int) and offset >= 0 else None
            stream = content.get("stream")
            self._connect(session_id, view, offset, stream if isinstance(stream, str) else "")
        elif kind == "disconnect":
            self._close(view)
        elif kind == "input":
            if buffers:
                data = bytes(buffers[0])
            elif isinstance(content.get("data"), str):
                data = content["data"].encode("utf-8", "surrogateescape")
            else:
                return
            self._write(view, data, binary=True)
        elif kind in FORWARDED:
            message = {k: v for k, v in content.items() if k != "view"}
            self._write(view, json.dumps(message), binary=False)

    def close(self) -> None:
        """Close every view's socket (the widget is closing)."""
        for view in list(self._upstreams):
            self._close(view)

    # ------------------------------------------------------------------ internals

    def _emit(self, message: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        try:
            self._send(message, buffers)
        except Exception:  # a closed comm must not kill the relay task
            log.debug("ccmanager relay: could not send to the views", exc_info=True)

    def _connect(self, session_id: str, view: str, offset: int | None, stream: str = "") -> None:
        # A new connect replaces the view's socket silently (no "closed": the
        # view asked for it and must not schedule another reconnect).
        self._close(view)
        try:
            connection = self._get_connection()
            url = connection.ws_url(session_id, offset)
            if stream:  # the stream the offset counts in: the server says if it changed
                url += ("&" if "?" in url else "?") + urlencode({"stream": stream})
            headers = connection.headers()
        except Exception as err:
            self._emit(
                {"type": "error", "view": view, "code": "NO_CONNECTION", "message": str(err)}
            )
            return
        loop = self._running_loop()
        if loop is None:
            self._emit(
                {
                    "type": "error",
                    "view": view,
                    "code": "NO_CONNECTION",
                    "message": "The kernel has no running event loop to relay the terminal.",
                }
            )
            return
        upstream = _Upstream(view, loop)
        self._upstreams[view] = upstream
        self._call(upstream, lambda: self._start(upstream, url, headers))

    def _start(self, upstream: _Upstream, url: str, headers: dict[str, str]) -> None:
        if not upstream.closed:
            upstream.task = asyncio.ensure_future(self._pump(upstream, url, headers))

    async def _pump(self, upstream: _Upstream, url: str, headers: dict[str, str]) -> None:
        view = upstream.view
        request = HTTPRequest(url, headers=headers, connect_timeout=CONNECT_TIMEOUT)
        try:
            ws = await websocket_connect(request, ping_interval=PING_INTERVAL)
        except HTTPClientError as err:
            if err.code in FATAL_STATUS:
                self._emit(
                    {
                        "type": "error",
                        "view": view,
                        "code": FATAL_STATUS[err.code],
                        "message": f"The server refused the terminal (HTTP {err.code}).",
                    }
                )
            else:
                self._lost(upstream, f"HTTP {err.code}")
            return
        except Exception as err:
            self._lost(upstream, f"cannot connect: {err}")
            return
        if upstream.closed:
            ws.close()
            return
        upstream.ws = ws
        try:
            while not upstream.closed:
                frame = await ws.read_message()
                if frame is None or upstream.closed:
                    break
                self._forward(view, frame)
        finally:
            upstream.ws = None
            ws.close()
        self._lost(upstream, ws.close_reason or "")

    def _forward(self, view: str, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            self._emit({"type": "output", "view": view}, [frame])
            return
        try:
            message = json.loads(frame)
        except ValueError:
            return
        if isinstance(message, dict):
            message["view"] = view
            self._emit(message)

    def _lost(self, upstream: _Upstream, reason: str) -> None:
        if not upstream.closed:
            upstream.closed = True
            self._upstreams.pop(upstream.view, None)
            self._emit({"type": "closed", "view": upstream.view, "reason": reason})

    def _write(self, view: str, data: str | bytes, binary: bool) -> None:
        upstream = self._upstreams.get(view)
        if upstream is None:
            return

        def write() -> None:
            ws = upstream.ws
            if ws is None or upstream.closed:
                return  # not connected (yet): the view only sends after hello anyway
            try:
                future = ws.write_message(data, binary=binary)
            except WebSocketClosedError:
                return
            # Retrieve a late failure so asyncio does not log it as never retrieved.
            future.add_done_callback(_retrieve)

        self._call(upstream, write)

    def _close(self, view: str) -> None:
        upstream = self._upstreams.pop(view, None)
        if upstream is None:
            return
        upstream.closed = True

        def stop() -> None:
            if upstream.ws is not None:
                upstream.ws.close()
            if upstream.task is not None:
                upstream.task.cancel()

        self._call(upstream, stop)

    def _running_loop(self) -> asyncio.AbstractEventLoop | None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            loop = self._loop
            return loop if loop is not None and loop.is_running() else None

    @staticmethod
    def _call(upstream: _Upstream, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the upstream's loop (now, if we are already on it)."""
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is upstream.loop:
            fn()
        elif not upstream.loop.is_closed():
            upstream.loop.call_soon_threadsafe(fn)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
