"""WebSocket clients for both protocols, with one interface the benchmarks share.

- :class:`CCMClient`: ``ccmanager/api/sessions/{id}/ws``: a ``hello`` text
  message, then binary frames of raw PTY bytes; input as binary frames.
- :class:`TermClient`: terminado's ``terminals/websocket/{name}``: JSON arrays
  ``["stdout", text]`` out, ``["stdin", text]`` in.

Both count the *payload* (terminal bytes, UTF-8) and the *wire* bytes (each
WebSocket frame's payload plus its header; neither server compresses, and
tornado sends every message as one unmasked frame, so this is exact).
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from tornado.websocket import WebSocketClientConnection, websocket_connect

from tests.helpers.ws import stalled_viewer as raw_stalled_viewer

from .server import BenchServer

MAX_MESSAGE = 1 << 30  # terminado replays its whole history in one message


def frame_header(size: int) -> int:
    """Bytes of a server-to-client WebSocket frame header for a ``size``-byte payload."""
    return 2 if size < 126 else 4 if size < 65536 else 10


class StreamClient:
    """A viewer on one terminal: send keystrokes, read output until a marker."""

    protocol = "?"

    def __init__(self, ws: WebSocketClientConnection) -> None:
        self.ws = ws
        self.received = 0  # payload bytes
        self.wire = 0  # bytes on the wire, frame headers included
        self.tail = b""  # the last few payload bytes, for markers split across frames
        self.closed = False

    async def _next(self) -> bytes | None:
        """The next message's payload bytes (b"" for a control message); None when closed."""
        raise NotImplementedError

    async def send(self, text: str) -> None:
        raise NotImplementedError

    async def read_chunk(self) -> bytes:
        data = await self._next()
        if data is None:
            self.closed = True
            raise ConnectionError(f"{self.protocol}: the socket closed")
        self.received += len(data)
        return data

    async def read_until(self, marker: bytes) -> None:
        """Read until ``marker`` has arrived (it may span frames)."""
        keep = len(marker) - 1
        while True:
            data = await self.read_chunk()
            if not data:
                continue
            if marker in data or marker in self.tail + data[:keep]:
                self.tail = b""
                return
            self.tail = (self.tail + data[-keep:])[-keep:] if keep else b""

    async def read_total(self, total: int) -> None:
        """Read until ``total`` payload bytes have arrived since connecting."""
        while self.received < total:
            await self.read_chunk()

    async def sync(self, tag: str = "SYNC") -> None:
        """Round-trip an echo so that all earlier output has been read."""
        nonce = int.from_bytes(os.urandom(3), "big")
        await self.send(f"echo {tag}$(({nonce}+1))\r")
        await self.read_until(f"{tag}{nonce + 1}".encode())

    def close(self) -> None:
        self.ws.close()


class CCMClient(StreamClient):
    """Our protocol: hello, then binary frames of raw PTY bytes."""

    protocol = "ccmanager"
    hello: dict[str, Any]

    @classmethod
    async def connect(
        cls, server: BenchServer, session_id: str, offset: int | None = None
    ) -> CCMClient:
        url = f"{server.ws_url}ccmanager/api/sessions/{session_id}/ws?token={server.token}"
        if offset is not None:
            url += f"&offset={offset}"
        client = cls(await websocket_connect(url, max_message_size=MAX_MESSAGE))
        while not hasattr(client, "hello"):
            await client.read_chunk()
        return client

    async def _next(self) -> bytes | None:
        msg = await self.ws.read_message()
        if msg is None:
            return None
        if isinstance(msg, bytes):
            self.wire += len(msg) + frame_header(len(msg))
            return msg
        size = len(msg) if msg.isascii() else len(msg.encode())
        self.wire += size + frame_header(size)
        data = json.loads(msg)
        if data.get("type") == "hello":
            self.hello = data
        return b""

    async def send(self, text: str) -> None:
        await self.ws.write_message(text.encode(), binary=True)


class TermClient(StreamClient):
    """terminado's protocol: JSON arrays, ``["stdout", text]`` / ``["stdin", text]``."""

    protocol = "terminado"

    @classmethod
    async def connect(cls, server: BenchServer, name: str, size: tuple[int, int] = (120, 40)):
        url = f"{server.ws_url}terminals/websocket/{name}?token={server.token}"
        client = cls(await websocket_connect(url, max_message_size=MAX_MESSAGE))
        await client.ws.write_message(json.dumps(["set_size", size[1], size[0]]))
        return client

    async def _next(self) -> bytes | None:
        msg = await self.ws.read_message()
        if msg is None:
            return None
        assert isinstance(msg, str)
        size = len(msg) if msg.isascii() else len(msg.encode())
        self.wire += size + frame_header(size)
        kind, *rest = json.loads(msg)
        if kind == "stdout":
            return str(rest[0]).encode("utf-8", "surrogateescape")
        if kind == "disconnect":
            return None
        return b""

    async def send(self, text: str) -> None:
        await self.ws.write_message(json.dumps(["stdin", text]))


async def connect(server: BenchServer, protocol: str, target: str) -> StreamClient:
    """A client of ``protocol`` ("ccmanager" or "terminado") on session/terminal ``target``."""
    if protocol == "ccmanager":
        return await CCMClient.connect(server, target)
    return await TermClient.connect(server, target)


def ws_path(server: BenchServer, protocol: str, target: str) -> str:
    """The WebSocket path (with the token) of a session or terminal."""
    if protocol == "ccmanager":
        return f"/ccmanager/api/sessions/{target}/ws?token={server.token}"
    return f"/terminals/websocket/{target}?token={server.token}"


def input_message(protocol: str, text: str) -> str:
    """A text message that types ``text``, in either protocol."""
    if protocol == "ccmanager":
        return json.dumps({"type": "input", "data": text})
    return json.dumps(["stdin", text])


def send_text_frame(sock: socket.socket, text: str) -> None:
    """Write one masked client-to-server text frame on a raw WebSocket."""
    payload = text.encode()
    mask = os.urandom(4)
    size = len(payload)
    head = bytes([0x81]) + (
        bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + size.to_bytes(2, "big")
    )
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(head + mask + masked)


def stalled_viewer(server: BenchServer, path: str) -> socket.socket:
    """A raw socket that completes the WebSocket handshake on ``path``, then never reads."""
    return raw_stalled_viewer(server.port, path)
