"""What users run: N real ``claude`` CLIs streaming a long turn, ours vs terminado.

One server, one fake Messages API (:mod:`jupyter_ccmanager.server.demo.api`,
in this process) and a throw-away HOME. Per run and protocol, ``N`` CLIs
(``CCM_BENCH_CLAUDES``, default 4) start, each watched by a reading viewer:

- ours: ``claude`` sessions (hooks, screen rules, store: everything on);
- terminado: the same CLI, same environment, typed into a
  jupyter_server_terminals terminal (``exec env ... claude``).

Each types a prompt and presses Enter; the fake API streams a long reply word
by word. Once every CLI is busy, the server's CPU is read over a fixed window:
``claude.<protocol>.cpu_pct`` is that CPU per busy session (% of a core). For
ours, ``claude.ccmanager.busy_ms`` is the time from sending Enter to the
``state`` message saying ``busy`` on the viewer's WebSocket (hook or screen,
whichever comes first). Then Esc ends every turn and the CLIs stop.

A second server runs the same sessions with ``hook_transport = "command"``
(a Python process per hook event), for its Enter → busy and CPU
(``claude.command.*``). ``hooks``: the cost of one hook event each way,
posted ``HOOK_EVENTS`` times to a live session: ``command`` runs
``hookcmd.py`` per event as the CLI would (its CPU plus the server's),
``http`` posts the same JSON as the CLI's http hook does (the server's CPU).
``CCM_BENCH_PYSPY=DIR`` records a py-spy profile of our server during each
CPU window (``DIR/claude-<run>.txt``, py-spy on PATH).

Without the CLI (``.claude-cli/node_modules/.bin/claude`` or ``claude`` on
PATH) the group says so and records nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jupyter_ccmanager.server.agents import hookcmd
from jupyter_ccmanager.server.agents.hooks import SECRET_HEADER
from jupyter_ccmanager.server.demo.api import FakeAnthropic, Text, claude_env, prepare_home
from tests.helpers.paths import LOCAL_CLAUDE

from .clients import CCMClient, StreamClient, TermClient
from .common import Context, percentile
from .server import BenchServer

#: How many CLIs per protocol (each measured busy at the same time).
DEFAULT_CLAUDES = 4
READY = b"shortcuts"  # the idle prompt's hint (words are placed by cursor moves)
START_TIMEOUT = 60.0
HOOK_EVENTS = 40  # per transport and run
#: A hook payload as the CLI sends it (a notification that changes no state).
HOOK_PAYLOAD = {
    "session_id": "00000000-0000-4000-8000-000000000000",
    "transcript_path": "/tmp/ccm-bench/transcript.jsonl",
    "cwd": "/tmp/ccm-bench",
    "permission_mode": "default",
    "hook_event_name": "Notification",
    "notification_type": "bench",
    "message": "benchmark event",
}


def claude_path() -> str | None:
    """The claude CLI the suite would use: the repository's own first, then PATH."""
    local = LOCAL_CLAUDE / "claude"
    if local.exists():
        return str(local)
    return shutil.which("claude")


def how_many(smoke: bool = False) -> int:
    """CLIs per protocol: ``CCM_BENCH_CLAUDES``, else 4 (1 in ``--smoke``)."""
    return max(1, int(os.environ.get("CCM_BENCH_CLAUDES", 1 if smoke else DEFAULT_CLAUDES)))


class Watcher:
    """A viewer that keeps reading (as a browser would) and timestamps ``state`` messages."""

    def __init__(self, client: StreamClient) -> None:
        self.client = client
        self.states: list[tuple[float, str]] = []
        self.seen = b""
        self.changed = asyncio.Event()
        self._task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        ws = self.client.ws
        while True:
            msg = await ws.read_message()
            if msg is None:
                return
            if isinstance(msg, bytes) or self.client.protocol == "terminado":
                data = msg if isinstance(msg, bytes) else self._terminado_bytes(msg)
                self.seen = (self.seen + data)[-8192:]
            else:
                event = json.loads(msg)
                if event.get("type") == "state":
                    self.states.append((time.perf_counter(), str(event.get("state"))))
            self.changed.set()

    @staticmethod
    def _terminado_bytes(msg: str) -> bytes:
        kind, *rest = json.loads(msg)
        return str(rest[0]).encode("utf-8", "surrogateescape") if kind == "stdout" else b""

    async def wait(self, check: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            left = deadline - time.monotonic()
            if left <= 0 or self._task.done():
                tail = self.seen[-400:].decode(errors="replace")
                raise TimeoutError(f"claude benchmark: no {what} after {timeout:g} s: {tail!r}")
            self.changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))

    def state_since(self, t0: float, state: str) -> float | None:
        return next((t for t, s in self.states if t >= t0 and s == state), None)

    def close(self) -> None:
        self._task.cancel()
        self.client.close()


async def start_ours(server: BenchServer, env: dict[str, str]) -> tuple[str, Watcher]:
    session = await server.create_session(agent="claude", env=env)
    watcher = Watcher(await CCMClient.connect(server, session["id"]))
    model = await server.get_session(session["id"])
    deadline = time.monotonic() + START_TIMEOUT
    while model["state"] not in ("idle", "waiting"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"claude session never became idle: {model['state']}")
        await asyncio.sleep(0.2)
        model = await server.get_session(session["id"])
    return str(session["id"]), watcher


async def start_terminado(
    server: BenchServer, env: dict[str, str], cli: str
) -> tuple[str, Watcher]:
    name = await server.create_terminal()
    watcher = Watcher(await TermClient.connect(server, name))
    assigns = " ".join(f"{k}={v}" for k, v in env.items())
    await watcher.client.send(f"cd {server.root} && exec env {assigns} {cli}\r")
    await watcher.wait(lambda: READY in watcher.seen, START_TIMEOUT, "claude prompt in terminado")
    return name, watcher


def environ_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [p.split(b"=", 1) for p in f.read().split(b"\0") if b"=" in p]
    return {k.decode(): v.decode() for k, v in pairs}


@contextlib.contextmanager
def profiled(server: BenchServer, name: str, seconds: float) -> Any:
    """py-spy on the server for ``seconds`` when ``CCM_BENCH_PYSPY`` names a folder."""
    folder = os.environ.get("CCM_BENCH_PYSPY")
    proc = None
    if folder and shutil.which("py-spy"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        out = Path(folder) / f"{name}.txt"
        proc = subprocess.Popen(
            ["py-spy", "record", "-p", str(server.pid), "-d", str(int(seconds)), "-r", "50",
             "-f", "raw", "-o", str(out), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        yield
    finally:
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=seconds + 10)


async def hook_cost(ctx: Context, server: BenchServer, pid: int) -> None:
    """CPU and latency of one hook event, by command (hookcmd.py) and by http."""
    env = environ_of(pid)
    url, secret = env["CCM_HOOK_URL"], env["CCM_HOOK_SECRET"]
    body = json.dumps(HOOK_PAYLOAD).encode()
    events = ctx.size(HOOK_EVENTS, 3)
    script = hookcmd.__file__
    child_env = {"PATH": os.environ.get("PATH", ""), "CCM_HOOK_URL": url, "CCM_HOOK_SECRET": secret}
    for transport in ("command", "http"):
        cpu0, kids0 = server.cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
        for _ in range(events):
            start = time.perf_counter()
            if transport == "command":
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, script, stdin=subprocess.PIPE, env=child_env
                )
                await proc.communicate(body)
            else:
                await server.post_raw(url, body, {SECRET_HEADER: secret})
            ctx.results.add(f"claude.hook.{transport}.ms", 1000 * (time.perf_counter() - start))
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = (kids.ru_utime - kids0.ru_utime) + (kids.ru_stime - kids0.ru_stime)
        total = server.cpu() - cpu0 + (own if transport == "command" else 0.0)
        ctx.results.add(f"claude.hook.{transport}.cpu_ms", 1000 * total / events)


async def one_run(
    ctx: Context,
    server: BenchServer,
    api: FakeAnthropic,
    protocol: str,
    env: dict[str, str],
    key: str | None = None,
) -> None:
    n, cli = how_many(ctx.smoke), claude_path()
    assert cli is not None
    key = key or protocol
    window = ctx.size(8.0, 1.5)
    words = int((window + 12) / 0.02)
    targets: list[tuple[str, Watcher]] = []
    try:
        for _ in range(n):
            if protocol == "ccmanager":
                targets.append(await start_ours(server, env))
            else:
                targets.append(await start_terminado(server, env, cli))
        await server.settle(ctx.pause)
        api.queue(*[Text("streaming " * words, delay=0.02) for _ in range(n)])
        sent: list[float] = []
        for _, watcher in targets:
            watcher.seen = b""
            await watcher.client.send("Write a very long essay about terminals.")
        await server.settle(0.5 * ctx.pause)
        for _, watcher in targets:
            sent.append(time.perf_counter())
            await watcher.client.send("\r")
        for (_, watcher), t0 in zip(targets, sent, strict=True):
            if protocol == "ccmanager":
                await watcher.wait(lambda w=watcher, t=t0: w.state_since(t, "busy"), 30, "busy")
                busy_at = watcher.state_since(t0, "busy")
                assert busy_at is not None
                ctx.results.add(f"claude.{key}.busy_ms", 1000 * (busy_at - t0))
            else:  # the spinner's "esc to interrupt" is drawn
                await watcher.wait(lambda w=watcher: b"interrupt" in w.seen, 30, "spinner")
        await server.settle(ctx.pause)  # every CLI is streaming
        with profiled(
            server,
            f"claude-{key}-{len(ctx.results.samples.get(f'claude.{key}.cpu_pct', []))}",
            window,
        ):
            cpu0, wall0 = server.cpu(), time.perf_counter()
            await asyncio.sleep(window)
            cpu, wall = server.cpu() - cpu0, time.perf_counter() - wall0
        ctx.results.add(f"claude.{key}.cpu_pct", 100 * cpu / wall / n)
        if key == "ccmanager":
            session = await server.get_session(targets[0][0])
            await hook_cost(ctx, server, int(session["pid"]))
        for _, watcher in targets:
            await watcher.client.send("\x1b")  # end the turn
        await server.settle(ctx.pause)
    finally:
        for target, watcher in targets:
            watcher.close()
            with contextlib.suppress(Exception):
                if protocol == "ccmanager":
                    await server.delete_session(target)
                else:
                    await server.delete_terminal(target)


async def run(ctx: Context) -> None:
    """The ``claude`` group (skipped, with a note, where the CLI is not installed)."""
    cli = claude_path()
    if cli is None:
        ctx.results.notes["claude"] = "skipped: the claude CLI is not installed"
        print("   skipped: the claude CLI is not installed (.claude-cli/ or PATH)", flush=True)
        return
    os.environ["PATH"] = f"{Path(cli).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    ctx.results.notes["claude"] = f"{how_many(ctx.smoke)} CLIs per protocol, {cli}"
    with contextlib.ExitStack() as stack:
        api = stack.enter_context(FakeAnthropic())
        server = stack.enter_context(ctx.server("--CCManagerApp.demo_mode=off"))
        command = stack.enter_context(
            ctx.server("--CCManagerApp.demo_mode=off", "--CCSessionManager.hook_transport=command")
        )
        home = ctx.tmp / "claude-home"
        roots = [server.root, command.root]
        prepare_home(home, [*roots, *map(os.path.realpath, roots)])
        env = claude_env(api.url, home)
        for i in range(ctx.runs):
            order = ["ccmanager", "terminado", "command"]
            for protocol in order if i % 2 == 0 else order[::-1]:
                if protocol == "command":
                    await one_run(ctx, command, api, "ccmanager", env, key="command")
                else:
                    await one_run(ctx, server, api, protocol, env)
    for key in ("ccmanager", "command"):
        latencies = ctx.results.samples.get(f"claude.{key}.busy_ms", [])
        if latencies:  # one figure over every session of every run
            ctx.results.add(f"claude.{key}.busy_p50", percentile(latencies, 50))
            ctx.results.add(f"claude.{key}.busy_p99", percentile(latencies, 99))
