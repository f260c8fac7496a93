"""Throughput, wire bytes per payload byte and server CPU per MB, for three workloads.

Each run types the same command into one of our sessions and one terminado
terminal (both ``bash --norc --noprofile`` on the same server), and runs it on
a bare PTY for the ceiling. Time runs from sending the command to receiving the
end marker (``echo END$((n+1))``, so the typed command does not contain it);
payload MB are the bytes the command writes (measured through a pipe).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .clients import CCMClient, StreamClient, TermClient
from .common import MB, PROTOCOLS, Context, nonce
from .rawpty import output_bytes, raw_pty_run
from .server import BenchServer

#: One line of mixed 2-, 3- and 4-byte UTF-8 (é, 漢, 😀), as printf octal escapes
#: so the typed command stays ASCII.
UTF8_LINE = r"a\303\251\346\274\242\360\237\230\200" * 8


@dataclass
class Workload:
    key: str
    label: str
    template: str  # formatted with n
    full: int
    smoke: int

    def command(self, ctx: Context) -> str:
        return self.template.format(n=ctx.size(self.full, self.smoke))


WORKLOADS = [
    Workload("ascii", "ASCII flood", "head -c {n} /dev/zero | base64", 30_000_000, 300_000),
    Workload("lines", "short lines", "yes | head -n {n}", 3_000_000, 30_000),
    Workload(
        "utf8", "UTF-8 text", f"yes \"$(printf '{UTF8_LINE}')\" | head -n {{n}}", 400_000, 4000
    ),
]


@dataclass
class Sample:
    seconds: float
    payload: int  # terminal bytes the client received
    wire: int  # bytes on the wire for them
    cpu: float  # server CPU seconds


async def stream_command(client: StreamClient, server: BenchServer, command: str) -> Sample:
    """Type ``command`` and read until its end marker; time, bytes and server CPU."""
    await client.sync()
    await server.settle(0.2)
    cpu0, wire0, recv0 = server.cpu(), client.wire, client.received
    n = nonce()
    start = time.perf_counter()
    await client.send(f"{command}; echo END$(({n}+1))\r")
    await client.read_until(f"END{n + 1}".encode())
    elapsed = time.perf_counter() - start
    wire, payload = client.wire - wire0, client.received - recv0
    await server.settle(0.3)  # deferred work (screen model, timers) is part of the cost
    return Sample(elapsed, payload, wire, server.cpu() - cpu0)


async def run(ctx: Context) -> None:
    """The throughput group: every workload, both protocols and the raw PTY, ``runs`` times."""
    res = ctx.results
    with ctx.server() as server:
        session = await server.create_session()
        terminal = await server.create_terminal()
        clients: dict[str, StreamClient] = {
            "ccmanager": await CCMClient.connect(server, session["id"]),
            "terminado": await TermClient.connect(server, terminal),
        }
        for load in WORKLOADS:
            command = load.command(ctx)
            size = output_bytes(command)
            res.notes[f"throughput.{load.key}.command"] = command
            res.notes[f"throughput.{load.key}.mb"] = f"{size / MB:.1f}"
            for i in range(ctx.runs):
                order = PROTOCOLS if i % 2 == 0 else PROTOCOLS[::-1]
                for protocol in order:
                    sample = await stream_command(clients[protocol], server, command)
                    key = f"throughput.{load.key}.{protocol}"
                    res.add(f"{key}.mbps", size / MB / sample.seconds)
                    res.add(f"{key}.wire", sample.wire / max(sample.payload, 1))
                    res.add(f"{key}.cpu_per_mb_ms", 1000 * sample.cpu / (size / MB))
                seconds, _ = raw_pty_run(command)
                res.add(f"throughput.{load.key}.raw.mbps", size / MB / seconds)
        for client in clients.values():
            client.close()
        await server.delete_session(session["id"])
        await server.delete_terminal(terminal)
