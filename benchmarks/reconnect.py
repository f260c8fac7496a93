"""Reconnect replay: time from opening a viewer to the last byte of a full buffer.

A session prints more than its replay buffer holds (8 MiB by default), goes
quiet, and a new viewer connects at the buffer's first offset: it gets the whole
buffer, raw (without an offset, or with one that has left the buffer, a viewer
gets a snapshot of the screen and the stream from there: not what is measured).
terminado replays its own history (its last 1000 PTY reads, whatever size they
add up to) in one message; its figure is given with the bytes it replayed.
"""

from __future__ import annotations

import time

from .clients import CCMClient, TermClient
from .common import MB, Context, MiB
from .throughput import stream_command


async def run(ctx: Context) -> None:
    """The ``replay`` group."""
    res = ctx.results
    # 9.5 MB: more than the 8 MiB buffer (smoke: 1.3 MB into a 1 MiB buffer)
    fill = f"head -c {ctx.size(7_000_000, 1_000_000)} /dev/zero | base64"
    args = () if not ctx.smoke else ("--CCSessionManager.replay_buffer_bytes=1048576",)
    with ctx.server(*args) as server:
        session = await server.create_session()
        writer = await CCMClient.connect(server, session["id"])
        await stream_command(writer, server, fill)
        writer.close()
        terminal = await server.create_terminal()
        term_writer = await TermClient.connect(server, terminal)
        await stream_command(term_writer, server, fill)
        term_writer.close()
        await server.settle(ctx.pause)
        model = await server.get_session(session["id"])
        buffered = model["buffer_bytes"]
        first = model["offset"] - buffered  # "offset" is the end of the stream
        res.notes["replay.buffer_mib"] = f"{buffered / MiB:.2f}"
        for _ in range(max(ctx.runs, 3)):
            start = time.perf_counter()
            client = await CCMClient.connect(server, session["id"], offset=first)
            await client.read_total(buffered)
            res.add("replay.ccmanager.ms", (time.perf_counter() - start) * 1000)
            client.close()

            start = time.perf_counter()
            term = await TermClient.connect(server, terminal)
            while term.received == 0:
                await term.read_chunk()
            res.add("replay.terminado.ms", (time.perf_counter() - start) * 1000)
            res.add("replay.terminado.mb", term.received / MB)
            term.close()
            await server.settle(0.2)
        await server.delete_session(session["id"])
        await server.delete_terminal(terminal)
