"""``python -m benchmarks [--smoke] [--runs N] [--only GROUP ...] [--out FILE] [--patch CODE]``.

Runs every benchmark group (or the ``--only`` ones) against real Jupyter
servers with jupyter_ccmanager and jupyter_server_terminals, prints the table
and writes the report (``benchmarks/RESULTS.md`` by default). ``--smoke``
uses tiny sizes and one run: it checks that everything works, it measures
nothing. The exit code is non-zero if a group failed, never because a target
was missed.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path

import psutil

from . import claudecost, latency, memory, reconnect, statecost, throughput
from .common import Context
from .report import machine, render, summary

GROUPS: dict[str, Callable[[Context], Awaitable[None]]] = {
    "throughput": throughput.run,  # MB/s, wire bytes, CPU per MB
    "latency": latency.run,  # echo p50/p99: idle, flood + reader, flood + stalled
    "rss": memory.run_rss,  # RSS growth under a stalled viewer
    "replay": reconnect.run,  # reconnect replay of 8 MiB
    "sessions": memory.run_sessions,  # 50 sessions: create, RSS, stop all
    "screen": statecost.run,  # screen model on vs off
    "claude": claudecost.run,  # N real claude CLIs busy: CPU per session, Enter → busy
}

DEFAULT_OUT = Path(__file__).resolve().parent / "RESULTS.md"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1 run: check it works")
    parser.add_argument("--runs", type=int, default=3, help="runs per benchmark (medians)")
    parser.add_argument(
        "--only", action="append", choices=sorted(GROUPS), help="run only this group (repeatable)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report file (Markdown)")
    parser.add_argument(
        "--patch",
        default="",
        help="Python code (or @file) each server runs first: measures a proposed change",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each group, wait up to this long for other work on the machine to stop",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.patch.startswith("@"):
        args.patch = Path(args.patch[1:]).read_text()
    if args.smoke:
        args.runs = 1
    return args


def wait_quiet(max_seconds: float, interval: float) -> float:
    """System-wide CPU % used (by others: this process is idle here), after waiting up to
    ``max_seconds`` for it to drop below 15 %."""
    deadline = time.monotonic() + max_seconds
    while True:
        busy = psutil.cpu_percent(interval=interval)
        if busy < 15 or time.monotonic() >= deadline:
            return busy
        print(f"   waiting: other work uses {busy:.0f} % CPU", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    groups = args.only or list(GROUPS)
    tmp = Path(tempfile.mkdtemp(prefix="ccm-bench-"))
    ctx = Context(tmp=tmp, runs=max(1, args.runs), smoke=args.smoke, preamble=args.patch)
    info = machine()
    print("\n".join(f"{k}: {v}" for k, v in info), flush=True)
    failures: list[str] = []
    start = time.monotonic()
    try:
        for name in groups:
            busy = wait_quiet(args.wait_quiet, 0.2 if args.smoke else 1.0)
            ctx.results.notes[f"busy.{name}"] = f"{busy:.0f} % CPU used by other work at the start"
            print(f"\n== {name} (other work: {busy:.0f} % CPU)", flush=True)
            began = time.monotonic()
            try:
                asyncio.run(GROUPS[name](ctx))
            except Exception:
                traceback.print_exc()
                failures.append(name)
            print(f"   {time.monotonic() - began:.1f} s", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.monotonic() - start
    print("\n" + summary(ctx.results, groups), flush=True)
    text = render(
        ctx.results,
        groups,
        runs=ctx.runs,
        smoke=args.smoke,
        seconds=seconds,
        failures=failures,
        info=info,
        patch=args.patch,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"\nwrote {args.out}" + (f"; FAILED: {', '.join(failures)}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
