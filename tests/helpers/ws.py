"""WebSocket clients for tests: a viewer of the session socket, and one that never reads.

:class:`Viewer` splits the session socket's binary output from its JSON
control messages; :func:`stalled_viewer` completes a WebSocket handshake on a
raw socket and then never reads (the benchmarks use it too).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from typing import Any

from tornado.websocket import WebSocketClientConnection


class Viewer:
    """A test viewer: keeps every output byte and every control message it got."""

    def __init__(self, ws: WebSocketClientConnection) -> None:
        self.ws = ws
        self.output = bytearray()
        self.messages: list[dict[str, Any]] = []
        self.hello: dict[str, Any] | None = None
        self.closed = False

    @property
    def start(self) -> int:
        assert self.hello is not None
        return self.hello["offset"]

    @property
    def end(self) -> int:
        """Offset one past the last byte received."""
        return self.start + len(self.output)

    async def read_one(self, timeout: float) -> bool:
        msg = await asyncio.wait_for(self.ws.read_message(), timeout)
        if msg is None:
            self.closed = True
            return False
        if isinstance(msg, bytes):
            self.output += msg
        else:
            data = json.loads(msg)
            if data["type"] == "hello" and self.hello is None:
                self.hello = data
            self.messages.append(data)
        return True

    async def until(self, predicate: Any, timeout: float = 20.0) -> None:
        """Read until ``predicate(self)`` holds (raises TimeoutError otherwise)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closed:
                raise TimeoutError(f"condition not met; got {bytes(self.output[-500:])!r}")
            await self.read_one(remaining)

    async def until_output(self, needle: bytes, timeout: float = 20.0) -> None:
        await self.until(lambda v: needle in v.output, timeout)

    async def until_message(self, kind: str, timeout: float = 20.0, **fields: Any) -> dict:
        def found(v: Viewer) -> bool:
            return any(
                m["type"] == kind and all(m.get(k) == val for k, val in fields.items())
                for m in v.messages
            )

        await self.until(found, timeout)
        return next(
            m
            for m in self.messages
            if m["type"] == kind and all(m.get(k) == val for k, val in fields.items())
        )

    def send_json(self, **message: Any) -> None:
        self.ws.write_message(json.dumps(message))

    def type(self, text: str) -> None:
        self.ws.write_message(text.encode(), binary=True)

    def close(self) -> None:
        self.ws.close()


async def open_viewer(jp_ws_fetch: Any, session_id: str, **params: Any) -> Viewer:
    ws = await jp_ws_fetch(
        "ccmanager",
        "api",
        "sessions",
        session_id,
        "ws",
        params={k: str(v) for k, v in params.items()},
    )
    viewer = Viewer(ws)
    await viewer.until(lambda v: v.hello is not None, timeout=10)
    return viewer


def stalled_viewer(port: int, path: str) -> socket.socket:
    """A raw socket that completes the WebSocket handshake on ``path``, then never reads.

    ``path`` is the request target on 127.0.0.1:``port``, with its token.
    """
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    deadline = time.monotonic() + 10
    while b"\r\n\r\n" not in head and time.monotonic() < deadline:
        head += sock.recv(1)
    if not head.startswith(b"HTTP/1.1 101"):
        sock.close()
        raise ConnectionError(f"handshake refused: {head[:200]!r}")
    return sock  # and never read from it again
