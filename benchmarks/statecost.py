"""State-detection overhead: the server-side screen model (pyte) on vs off.

Two servers run side by side, one with ``--CCSessionManager.screen_model=False``.
Both know a ``tui`` agent: a script that draws Claude-like frames (colours,
cursor moves, a spinner and "esc to interrupt" status line, the prompt box
rules) at a fixed frame rate, with Claude's screen rules, so the "on" server
parses every frame and evaluates the rules; the "off" server only tracks
output activity.

- ``redraw``: server CPU while a viewer watches the redraw stream;
- ``flood``: throughput of a 100 MB flood through a shell session (target:
  less than 10 % lost with the screen model on).
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

from jupyter_ccmanager.server.agents.claude_rules import CLAUDE_REGION, CLAUDE_RULES

from .clients import CCMClient
from .common import MB, Context
from .rawpty import output_bytes
from .server import BenchServer
from .throughput import stream_command

TUI_SCRIPT = r"""
import sys, time
frames, fps = int(sys.argv[1]), float(sys.argv[2])
out = sys.stdout.buffer
spinner = "·✢✳✶✻✽"
rule = "─" * 118
sys.stdin.readline()
start = time.monotonic()
for i in range(frames):
    parts = ["\x1b[?2026h\x1b[H"]
    for row in range(30):
        colour = (row * 7 + i) % 256
        text = f"  ⎿ tool output line {row:2d} of frame {i:5d}: reading src/module_{row}.py"
        parts.append(f"\x1b[2K\x1b[38;5;{colour}m{text}\x1b[0m\r\n")
    parts.append(f"\x1b[2K\x1b[38;5;208m{spinner[i % 6]}\x1b[0m Thinking… "
                 f"({i // 10}s · ↑ {i * 13} tokens · esc to interrupt)\r\n")
    parts.append(f"\x1b[2m{rule}\x1b[0m\r\n> \x1b[7m \x1b[0m\r\n\x1b[2m{rule}\x1b[0m\x1b[?2026l")
    out.write("".join(parts).encode())
    out.flush()
    delay = start + (i + 1) / fps - time.monotonic()
    if delay > 0:
        time.sleep(delay)
out.write(b"\r\nTUI-DONE\r\n")
out.flush()
sys.stdin.readline()
"""


def agents_config(script: Path) -> dict[str, object]:
    tui = {
        "argv": [sys.executable, str(script)],
        "rules": CLAUDE_RULES,
        "region": CLAUDE_REGION,
        "idle_debounce": 0.6,
    }
    return {"CCSessionManager": {"agents": {"tui": tui}}}


async def redraw(
    server: BenchServer, frames: int, fps: float, pause: float = 1.0
) -> tuple[float, float, int]:
    """(server CPU seconds, wall seconds, bytes) for one viewed redraw stream."""
    session = await server.create_session(agent="tui", args=[str(frames), str(fps)])
    client = await CCMClient.connect(server, session["id"])
    await server.settle(pause)
    cpu0, recv0 = server.cpu(), client.received
    start = time.perf_counter()
    await client.send("go\r")
    await client.read_until(b"TUI-DONE")
    wall = time.perf_counter() - start
    await server.settle(0.5)  # the screen catches up after the last frame: part of the cost
    cpu = server.cpu() - cpu0
    size = client.received - recv0
    client.close()
    await server.delete_session(session["id"])
    return cpu, wall, size


async def run(ctx: Context) -> None:
    """The ``screen`` group."""
    res = ctx.results
    script = ctx.tmp / "tui.py"
    script.write_text(TUI_SCRIPT)
    config = agents_config(script)
    frames, fps = ctx.size(300, 20), ctx.size(30.0, 100.0)
    flood = f"head -c {ctx.size(75_000_000, 750_000)} /dev/zero | base64"
    res.notes["screen.redraw"] = f"{frames} frames at {fps:g} fps"
    with contextlib.ExitStack() as stack:
        servers = {
            "on": stack.enter_context(ctx.server(config=config)),
            "off": stack.enter_context(
                ctx.server("--CCSessionManager.screen_model=False", config=config)
            ),
        }
        for i in range(ctx.runs):
            for mode in ("on", "off") if i % 2 == 0 else ("off", "on"):
                cpu, wall, size = await redraw(servers[mode], frames, fps, ctx.pause)
                res.add(f"screen.redraw.{mode}.cpu_pct", 100 * cpu / wall)
                res.add(f"screen.redraw.{mode}.cpu_per_mb", cpu / (size / MB))
                res.notes["screen.redraw_mb"] = f"{size / MB:.1f}"
        shells = {mode: await server.create_session() for mode, server in servers.items()}
        clients = {
            mode: await CCMClient.connect(servers[mode], shells[mode]["id"]) for mode in servers
        }
        mb = output_bytes(flood) / MB
        res.notes["screen.flood_mb"] = f"{mb:.0f}"
        for i in range(ctx.runs):
            for mode in ("on", "off") if i % 2 == 0 else ("off", "on"):
                sample = await stream_command(clients[mode], servers[mode], flood)
                res.add(f"screen.flood.{mode}.mbps", mb / sample.seconds)
        for mode, client in clients.items():
            client.close()
            await servers[mode].delete_session(shells[mode]["id"])
