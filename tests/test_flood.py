"""A stalled viewer during a long flood must not grow the server's memory.

The server runs as its own process so its RSS can be read; the stalled viewer
is a raw socket that completes the WebSocket handshake and then never reads.
"""

from __future__ import annotations

import base64
import os
import socket
import time
from pathlib import Path

import psutil

from .servers import ServerProcess

FLOOD_BYTES = 300_000_000


def stalled_viewer(server: ServerProcess, session_id: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    path = f"{server.base_url}ccmanager/api/sessions/{session_id}/ws?token={server.token}"
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock  # and never read from it again


def test_stalled_viewer_flood_keeps_rss_flat(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as server:
        proc = psutil.Process(server.proc.pid)
        script = (
            f"read x; head -c {FLOOD_BYTES} /dev/zero | tr '\\0' a; echo; echo FLOOD-DONE; read y"
        )
        model = server.create(command=["sh", "-c", script])
        sock = stalled_viewer(server, model["id"])
        time.sleep(0.5)
        before = proc.memory_info().rss
        peak = before
        assert server.api("POST", f"sessions/{model['id']}/input", {"data": "go\r"}).ok
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            peak = max(peak, proc.memory_info().rss)
            offset = server.api("GET", f"sessions/{model['id']}").json()["offset"]
            if offset >= FLOOD_BYTES:
                break
            time.sleep(0.1)
        assert offset >= FLOOD_BYTES, "the flood went through while the viewer was stalled"
        growth = (peak - before) / 2**20
        print(
            f"\nstalled viewer, {FLOOD_BYTES / 1e6:.0f} MB flood: server RSS {before / 2**20:.1f}"
            f" MiB -> peak {peak / 2**20:.1f} MiB (+{growth:.1f} MiB)"
        )
        (tmp_path / "rss.txt").write_text(f"{growth:.1f}")
        assert growth < 40, f"server RSS grew {growth:.1f} MiB"
        sock.close()
