"""Keystroke echo latency: idle, and while another session floods.

The measured terminal runs ``cat >/dev/null``, so each typed letter comes back
as the PTY's own echo: the time from sending one keystroke to receiving its
echo is the full input + output path through the server. Conditions:

- ``idle``: nothing else runs;
- ``reader``: another session of the same protocol runs ``base64 /dev/zero``
  watched by a reading viewer (in a process of its own);
- ``stalled``: the same flood, watched by a viewer that never reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import string
import subprocess
import time
from collections.abc import AsyncIterator

from . import reader
from .clients import StreamClient, connect, input_message, send_text_frame, stalled_viewer, ws_path
from .common import PROTOCOLS, Context, percentile
from .server import BenchServer

CONDITIONS = ("idle", "reader", "stalled")
FLOOD = "base64 /dev/zero\r"
MAX_SECONDS = 15.0  # per measurement: bounds terminado's memory under a stalled viewer


async def new_target(server: BenchServer, protocol: str) -> str:
    if protocol == "ccmanager":
        return str((await server.create_session())["id"])
    return await server.create_terminal()


async def drop_target(server: BenchServer, protocol: str, target: str) -> None:
    if protocol == "ccmanager":
        await server.delete_session(target)
    else:
        await server.delete_terminal(target)


@contextlib.asynccontextmanager
async def flood(
    server: BenchServer, protocol: str, condition: str, pause: float = 1.0
) -> AsyncIterator[dict[str, float]]:
    """Another terminal of ``protocol`` flooding, with a reading or a stalled viewer.

    Yields a dict that holds, afterwards, the rate the reading viewer got (``mbps``).
    """
    stats: dict[str, float] = {}
    if condition == "idle":
        yield stats
        return
    target = await new_target(server, protocol)
    url = server.ws_url + ws_path(server, protocol, target).lstrip("/")
    proc: subprocess.Popen[bytes] | None = None
    sock: socket.socket | None = None
    try:
        if condition == "reader":
            proc = reader.spawn(url, input_message(protocol, FLOOD))
        else:
            sock = stalled_viewer(server, ws_path(server, protocol, target))
            send_text_frame(sock, input_message(protocol, FLOOD))
        await asyncio.sleep(pause)  # the flood is under way
        yield stats
    finally:
        if proc is not None and (rate := reader.stop(proc)) is not None:
            stats["mbps"] = rate
        if sock is not None:
            sock.close()
        await drop_target(server, protocol, target)


async def echo_latencies(client: StreamClient, samples: int) -> list[float]:
    """Type ``samples`` letters one at a time; seconds until each one's echo arrived."""
    latencies: list[float] = []
    deadline = time.monotonic() + MAX_SECONDS
    for i in range(samples + 5):
        if i % 50 == 49:
            await client.send("\r")  # keep cat's line short
            await client.read_until(b"\n")
        letter = string.ascii_lowercase[i % 26]
        start = time.perf_counter()
        await client.send(letter)
        await client.read_until(letter.encode())
        if i >= 5:  # the first few are warm-up
            latencies.append(time.perf_counter() - start)
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.005)
    return latencies


async def measure(
    server: BenchServer, protocol: str, condition: str, samples: int, pause: float = 1.0
) -> tuple[list[float], float | None]:
    """Echo latencies (seconds) under ``condition``, and the flood's rate at its reader."""
    target = await new_target(server, protocol)
    client = await connect(server, protocol, target)
    try:
        await client.sync()
        await client.send("exec cat >/dev/null\r")
        await asyncio.sleep(0.5 * pause)
        async with flood(server, protocol, condition, pause) as stats:
            values = await echo_latencies(client, samples)
        return values, stats.get("mbps")
    finally:
        client.close()
        await drop_target(server, protocol, target)


async def run(ctx: Context) -> None:
    """The latency group: every condition and protocol, ``runs`` times."""
    samples = ctx.size(200, 20)
    with ctx.server() as server:
        for i in range(ctx.runs):
            for condition in CONDITIONS:
                order = PROTOCOLS if i % 2 == 0 else PROTOCOLS[::-1]
                for protocol in order:
                    values, rate = await measure(server, protocol, condition, samples, ctx.pause)
                    key = f"latency.{condition}.{protocol}"
                    if rate is not None:
                        ctx.results.add(f"{key}.flood_mbps", rate)
                    ctx.results.add(f"{key}.p50", percentile(values, 50) * 1000)
                    ctx.results.add(f"{key}.p99", percentile(values, 99) * 1000)
                    ctx.results.add(f"{key}.n", len(values))
