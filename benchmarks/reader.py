"""A reading viewer in a process of its own: ``python -m benchmarks.reader URL [MESSAGE]``.

It sends ``MESSAGE`` (a text frame, e.g. input to type) once connected, then
reads and discards everything (decoding JSON text messages, as a real
terminado client must) until the socket closes or it is terminated. Running it
outside the benchmark process keeps its work off the latency measurements.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tornado.websocket import websocket_connect

from .clients import MAX_MESSAGE


async def read_forever(url: str, first: str | None = None) -> None:
    """Read until closed; on SIGTERM print ``bytes seconds`` (terminal bytes received)."""
    ws = await websocket_connect(url, max_message_size=MAX_MESSAGE)
    start, total = time.monotonic(), 0

    def report(*_: Any) -> None:
        print(f"{total} {time.monotonic() - start:.3f}", flush=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, report)
    print("connected", flush=True)
    if first:
        await ws.write_message(first)
    while True:
        msg = await ws.read_message()
        if msg is None:
            return
        if isinstance(msg, bytes):
            total += len(msg)
            continue
        data = json.loads(msg)
        if isinstance(data, list) and data[0] == "stdout":
            total += len(data[1])  # characters: bytes for the ASCII floods used here


def spawn(url: str, first: str | None = None) -> subprocess.Popen[bytes]:
    """Start a reader on ``url`` (sending ``first`` once connected); wait until connected."""
    argv = [sys.executable, "-m", "benchmarks.reader", url, *([first] if first else [])]
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=repo)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith(b"connected"):
        proc.kill()
        raise ConnectionError(f"reader could not connect to {url}")
    return proc


def stop(proc: subprocess.Popen[bytes]) -> float | None:
    """Stop the reader; the rate it received at, in MB/s (None if it did not say)."""
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
    try:
        total, seconds = out.split()[-2:]
        return int(total) / 1e6 / float(seconds)
    except ValueError:
        return None


if __name__ == "__main__":
    asyncio.run(read_forever(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
