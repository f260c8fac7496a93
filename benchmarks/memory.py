"""Server memory: RSS growth under a stalled viewer, and the cost of many idle sessions.

Each run gets a fresh server so earlier work cannot hide or inflate growth.

- ``rss``: a viewer that completed the handshake and never reads watches a long
  flood (``head -c N /dev/zero | tr '\\0' a``, typed through that same stalled
  socket); the server's peak RSS minus its RSS before the flood.
- ``sessions``: create 50 sessions one by one (latency of each create), RSS
  per idle session once they sit at their prompt, then delete all at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from .clients import input_message, send_text_frame, stalled_viewer, ws_path
from .common import MB, PROTOCOLS, Context, MiB, nonce, percentile
from .latency import drop_target, new_target
from .server import BenchServer


async def stalled_flood(
    server: BenchServer, protocol: str, size: int, pause: float = 1.0
) -> tuple[float, float]:
    """(peak RSS growth in bytes, seconds) while a stalled viewer watches a ``size``-byte flood."""
    target = await new_target(server, protocol)
    sock = stalled_viewer(server, ws_path(server, protocol, target))
    await asyncio.sleep(pause)
    done = server.root / f"flood-done-{nonce()}"
    before = peak = server.rss()
    start = time.perf_counter()
    command = f"head -c {size} /dev/zero | tr '\\0' a; touch {done}\r"
    send_text_frame(sock, input_message(protocol, command))
    deadline = time.monotonic() + 600
    while not done.exists() and time.monotonic() < deadline:
        peak = max(peak, server.rss())
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - start
    for _ in range(10):  # the server may still be reading the PTY's last bytes
        peak = max(peak, server.rss())
        await asyncio.sleep(0.05)
    if not done.exists():
        raise TimeoutError(f"{protocol}: the flood did not finish")
    sock.close()
    await drop_target(server, protocol, target)
    return peak - before, seconds


async def many_sessions(
    server: BenchServer, protocol: str, count: int, pause: float = 1.0
) -> dict[str, float]:
    """Create ``count`` idle sessions/terminals, then delete them all concurrently."""
    await drop_target(server, protocol, await new_target(server, protocol))  # warm up
    await asyncio.sleep(pause)
    before = server.rss()
    targets, creates = [], []
    for _ in range(count):
        start = time.perf_counter()
        targets.append(await new_target(server, protocol))
        creates.append(time.perf_counter() - start)
    await asyncio.sleep(2 * pause)  # every shell at its prompt, every state settled
    after = server.rss()
    start = time.perf_counter()
    await asyncio.gather(*(drop_target(server, protocol, t) for t in targets))
    return {
        "create_p50": percentile(creates, 50) * 1000,
        "create_p99": percentile(creates, 99) * 1000,
        "rss_per_session": (after - before) / count / MB,
        "stop_all": time.perf_counter() - start,
    }


def fresh_server(
    ctx: Context, shared: BenchServer | None
) -> contextlib.AbstractContextManager[BenchServer]:
    """A new server, or in smoke mode (nothing measured) the ``shared`` one."""
    return contextlib.nullcontext(shared) if shared is not None else ctx.server()


async def run_rss(ctx: Context) -> None:
    """The ``rss`` group: stalled-viewer RSS growth, a fresh server per run and protocol."""
    size = ctx.size(300_000_000, 3_000_000)
    ctx.results.notes["rss.flood_mb"] = f"{size / MB:.0f}"
    with contextlib.ExitStack() as stack:
        shared = stack.enter_context(ctx.server()) if ctx.smoke else None
        for i in range(ctx.runs):
            for protocol in PROTOCOLS if i % 2 == 0 else PROTOCOLS[::-1]:
                with fresh_server(ctx, shared) as server:
                    growth, seconds = await stalled_flood(server, protocol, size, ctx.pause)
                ctx.results.add(f"rss.{protocol}.growth", growth / MiB)
                ctx.results.add(f"rss.{protocol}.seconds", seconds)


async def run_sessions(ctx: Context) -> None:
    """The ``sessions`` group: 50 sessions (terminals), a fresh server per run and protocol."""
    count = ctx.size(50, 5)
    ctx.results.notes["sessions.count"] = str(count)
    with contextlib.ExitStack() as stack:
        shared = stack.enter_context(ctx.server()) if ctx.smoke else None
        for i in range(ctx.runs):
            for protocol in PROTOCOLS if i % 2 == 0 else PROTOCOLS[::-1]:
                with fresh_server(ctx, shared) as server:
                    figures = await many_sessions(server, protocol, count, ctx.pause)
                for name, value in figures.items():
                    ctx.results.add(f"sessions.{protocol}.{name}", value)
