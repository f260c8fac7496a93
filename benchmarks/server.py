"""A real ``jupyter server`` subprocess with jupyter_ccmanager and jupyter_server_terminals.

Each server gets its own runtime, data and config directories in a temporary
folder, a random token and a free port on 127.0.0.1. Both our sessions and
terminado terminals run the same shell (:data:`SHELL`), so the two protocols
do the same work.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import requests
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

#: The shell both protocols run: no rc files, so prompts and timing are the same.
SHELL = ["bash", "--norc", "--noprofile"]


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the benchmark process dies (Linux), so no server is
    left behind by a killed run."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BenchServer:
    """``with BenchServer(tmp, "--CCSessionManager.screen_model=False") as server: ...``.

    ``config`` is written to ``jupyter_server_config.json`` in the server's
    own config directory (for values awkward on a command line). ``preamble``
    is Python code the server process runs before starting (``--patch``: to
    measure a proposed change without editing the package).
    """

    def __init__(
        self,
        tmp: Path,
        *args: str,
        config: dict[str, Any] | None = None,
        preamble: str = "",
    ) -> None:
        self.tmp = tmp
        self.preamble = preamble
        self.root = tmp / "root"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.args = args
        self.config = config or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.ps: psutil.Process | None = None
        self.log_path = tmp / f"server-{self.port}.log"
        self._http: AsyncHTTPClient | None = None

    # ------------------------------------------------------------- process
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def start(self) -> BenchServer:
        """Start the server and wait until it answers ``api/status``."""
        for sub in ("root", "runtime", "data", "config"):
            (self.tmp / sub).mkdir(parents=True, exist_ok=True)
        if self.config:
            (self.tmp / "config" / "jupyter_server_config.json").write_text(json.dumps(self.config))
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(self.tmp / "runtime"),
            "JUPYTER_DATA_DIR": str(self.tmp / "data"),
            "JUPYTER_CONFIG_DIR": str(self.tmp / "config"),
            "LANG": "C.UTF-8",
        }
        terminado = json.dumps({"shell_command": SHELL})
        launch = ["-m", "jupyter_server"]
        if self.preamble:
            run = "import runpy; runpy.run_module('jupyter_server', run_name='__main__')"
            launch = ["-c", f"{self.preamble}\n{run}"]
        argv = [
            sys.executable, *launch, "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--CCSessionManager.default_agent=shell",
            f"--ServerApp.terminado_settings={terminado}", *self.args,
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "api/status", headers=self.headers, timeout=2).ok:
                    self.ps = psutil.Process(self.proc.pid)
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if the server does not exit within 30 s."""
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- metrics
    def rss(self) -> int:
        """The server process's resident memory, in bytes."""
        assert self.ps is not None
        return int(self.ps.memory_info().rss)

    def cpu(self) -> float:
        """User + system CPU seconds of the server process itself (not its children)."""
        assert self.ps is not None
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    # ---------------------------------------------------------------- REST
    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """``method path`` under the server's base URL; the decoded JSON answer (or None)."""
        if self._http is None:
            self._http = AsyncHTTPClient(force_instance=True, max_clients=64)
        req = HTTPRequest(
            self.url + path,
            method=method,
            headers={**self.headers, "Content-Type": "application/json"},
            body=None if body is None and method in ("GET", "DELETE") else json.dumps(body or {}),
            request_timeout=120,
        )
        resp = await self._http.fetch(req)
        return json.loads(resp.body) if resp.body else None

    async def create_session(self, **body: Any) -> dict[str, Any]:
        """A new ccmanager session (the benchmark shell unless ``body`` says otherwise)."""
        if "agent" not in body and "command" not in body:
            body["command"] = SHELL
        return dict(await self.request("POST", "ccmanager/api/sessions", body))

    async def session(self, session_id: str) -> dict[str, Any]:
        return dict(await self.request("GET", f"ccmanager/api/sessions/{session_id}"))

    async def type_session(self, session_id: str, text: str) -> None:
        await self.request("POST", f"ccmanager/api/sessions/{session_id}/input", {"data": text})

    async def delete_session(self, session_id: str) -> None:
        await self.request("DELETE", f"ccmanager/api/sessions/{session_id}")

    async def create_terminal(self) -> str:
        """A new terminado terminal (running :data:`SHELL`); its name."""
        return str((await self.request("POST", "api/terminals", {}))["name"])

    async def delete_terminal(self, name: str) -> None:
        await self.request("DELETE", f"api/terminals/{name}")

    async def settle(self, seconds: float = 0.3) -> None:
        """Let the server finish deferred work (timers, reaping) before a reading."""
        await asyncio.sleep(seconds)
