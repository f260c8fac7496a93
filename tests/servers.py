"""A real `jupyter server` subprocess, for tests that need process boundaries.

In-process servers (pytest-jupyter) cannot show what survives a server's
death, nor measure the server's own memory; these tests start the server the
way a user does, relying on the auto-enable config that `pip install` ships.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """``with ServerProcess(tmp_path) as server: server.get("sessions")``."""

    def __init__(
        self, tmp: Path, *args: str, base_url: str = "/", env: dict[str, str] | None = None
    ):
        self.tmp = tmp
        self.root = tmp / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = base_url
        self.args = args
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = tmp / f"server-{self.port}.log"
        # A private HOME: session shells never read the developer's rc files.
        self.home = tmp / "home"
        self.home.mkdir(exist_ok=True)
        if not (self.home / ".bashrc").exists():  # a test may have written its own
            (self.home / ".bashrc").write_text("PS1='$ '\n")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_url}"

    def start(self) -> ServerProcess:
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(self.tmp / "runtime"),
            "JUPYTER_DATA_DIR": str(self.tmp / "data"),
            "JUPYTER_CONFIG_DIR": str(self.tmp / "config"),
            "HOME": str(self.home),
            **self.env,
        }
        argv = [
            sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--ServerApp.base_url={self.base_url}",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
            "--CCSessionManager.default_agent=shell", *self.args,
        ]  # fmt: skip
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        # No TTY on stdin, as under JupyterHub's spawners (SIGINT then means "stop").
        self.proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "api/status", headers=self.headers, timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def api(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return requests.request(
            method, self.url + "ccmanager/api/" + path, json=body, headers=self.headers,
            timeout=kw.pop("timeout", 30), **kw,
        )  # fmt: skip

    def create(self, **body: Any) -> dict[str, Any]:
        resp = self.api("POST", "sessions", body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
