"""A real JupyterHub for the hub tests: the hub, configurable-http-proxy, single-user servers.

The hub runs the way a small deployment runs it: ``DummyAuthenticator`` (one
shared password), ``SimpleLocalProcessSpawner`` (single-user servers as the
same OS user, each with its own home folder under the test's tmp folder),
configurable-http-proxy from npm (``.ci/run`` installs it in ``.chp/``), hub
and proxy on free ports of 127.0.0.1. Each single-user server is
``jupyterhub-singleuser`` of this venv with the extension auto-enabled, demo
mode on, the claude CLI on PATH, and the suite's OpenAPI checker loaded, so
every REST response the hub tests get is checked against ``rest-api.yml``.

A service token with admin scopes drives the hub's REST API (start/stop
servers, read users, issue user tokens). Every process is tracked by pid:
:meth:`JupyterHub.stop` stops the hub (which stops its servers and the proxy),
then SIGKILLs by pid whatever of them is still there.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import requests

from tests.helpers import openapi
from tests.helpers.launcher import _die_with_parent, free_port
from tests.helpers.paths import REPO
from tests.helpers.require import local_claude_path, require
from tests.helpers.waiting import until, wait_gone

#: ``.ci/run`` installs configurable-http-proxy here (``npm install --prefix .chp``).
LOCAL_CHP = REPO / ".chp" / "node_modules" / ".bin"
PASSWORD = "hub-test-password"
#: How often single-user servers report their activity to the hub (JupyterHub's default: 300 s).
ACTIVITY_INTERVAL = 2

CONFIG = """\
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = {proxy_pid_file!r}
c.JupyterHub.db_url = "sqlite:///{tmp}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {cookie_secret_file!r}
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = set({users!r})
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {home_template!r}
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.environment = {environment!r}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.JupyterHub.services = [{{"name": "tests", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "tests-admin",
    "scopes": ["admin:users", "admin:servers", "tokens", "read:users:activity"],
    "services": ["tests"],
}}]
"""


def require_hub() -> Path:
    """The proxy's executable (JupyterHub itself is a test dependency)."""
    chp = LOCAL_CHP / "configurable-http-proxy"
    require(
        chp.exists(), "configurable-http-proxy (npm install --prefix .chp configurable-http-proxy)"
    )
    return chp


class JupyterHub:
    """``with JupyterHub(tmp, ["alice", "bob"]) as hub: hub.start_server("alice")``."""

    def __init__(self, tmp: Path, users: list[str], args: tuple[str, ...] = ()) -> None:
        self.tmp = tmp
        self.users = users
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = tmp / "jupyterhub.log"
        self.openapi_log = tmp / "openapi-singleuser.jsonl"
        self.pids: dict[str, int] = {}  # what runs: "hub", "proxy", "server:NAME"
        self._log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def home(self, user: str) -> Path:
        return self.tmp / "homes" / user

    def user_url(self, user: str, path: str = "") -> str:
        return f"{self.url}/user/{user}/{path}"

    # ------------------------------------------------------------------ setup
    def _environment(self) -> dict[str, str]:
        venv_bin = str(Path(sys.executable).parent)
        path = local_claude_path(f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
        return {
            "PATH": f"{LOCAL_CHP}{os.pathsep}{path}",
            # The suite's OpenAPI checker, importable in the single-user servers.
            "PYTHONPATH": str(self._import_dir()),
            openapi.LOG_ENV: str(self.openapi_log),
        }

    def _import_dir(self) -> Path:
        folder = self.tmp / "pythonpath"
        if not (folder / "tests").exists():
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "tests").symlink_to(REPO / "tests", target_is_directory=True)
        return folder

    def _prepare_homes(self) -> None:
        """Fresh homes: a known shell prompt, and no Lab news toast over the page."""
        for user in self.users:
            home = self.home(user)
            settings = home / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension"
            settings.mkdir(parents=True, exist_ok=True)
            (settings / "notification.jupyterlab-settings").write_text(
                json.dumps({"fetchNews": "false", "checkForUpdates": False})
            )
            (home / ".bashrc").write_text(f"PS1='{user}$ '\n")

    def _write_config(self) -> Path:
        env = self._environment()
        singleuser_env = {
            "PATH": env["PATH"], "PYTHONPATH": env["PYTHONPATH"],
            openapi.LOG_ENV: env[openapi.LOG_ENV],
            "JUPYTERHUB_ACTIVITY_INTERVAL": str(ACTIVITY_INTERVAL),
        }  # fmt: skip
        args = [
            "--allow-root", "--CCManagerApp.demo_mode=on", "--CCSessionManager.stop_timeout=2",
            f"--ServerApp.jpserver_extensions={openapi.EXTENSION}=True", *self.args,
        ]  # fmt: skip
        config = self.tmp / "jupyterhub_config.py"
        config.write_text(CONFIG.format(
            port=self.port, hub_port=free_port(), proxy_api_port=free_port(),
            proxy_pid_file=str(self.tmp / "proxy.pid"), tmp=self.tmp,
            cookie_secret_file=str(self.tmp / "cookie_secret"), password=PASSWORD,
            users=self.users, home_template=str(self.tmp / "homes" / "{username}"),
            singleuser=str(Path(sys.executable).parent / "jupyterhub-singleuser"), args=args,
            environment=singleuser_env, token=self.token,
        ))  # fmt: skip
        return config

    # ------------------------------------------------------------------ process
    def start(self) -> JupyterHub:
        require_hub()
        self._prepare_homes()
        config = self._write_config()
        env = {**os.environ, **self._environment()}
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=self.tmp, env=env,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,
        )  # fmt: skip
        self.pids["hub"] = self.proc.pid
        openapi.watch(self.openapi_log)
        try:
            until(self._ready, timeout=90, what=f"the hub to answer (see {self.log_path})")
            pid_file = self.tmp / "proxy.pid"
            text = until(
                lambda: pid_file.exists() and pid_file.read_text().strip(), 10, what="a pid"
            )
            self.pids["proxy"] = int(text)
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"the hub exited: {self.log_tail()}")
        with contextlib.suppress(requests.RequestException):
            return requests.get(self.url + "/hub/api/", timeout=2).ok
        return False

    def log_tail(self, size: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-size:]

    def stop(self) -> dict[str, int]:
        """Stop the hub (it stops its servers and its proxy), then SIGKILL by pid what of
        them is left. What had to be killed (name → pid)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(60)
        left = wait_gone(list(self.pids.values()), timeout=30)
        killed = {name: pid for name, pid in self.pids.items() if pid in left}
        for pid in killed.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).kill()
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None
        return killed

    def __enter__(self) -> JupyterHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ hub API
    def api(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        """The hub's REST API (``path`` below ``/hub/api/``) with the tests' admin token."""
        return requests.request(
            method, f"{self.url}/hub/api/{path}", json=body, timeout=kw.pop("timeout", 30),
            headers={"Authorization": f"token {self.token}"}, **kw,
        )  # fmt: skip

    def user_model(self, user: str) -> dict[str, Any]:
        resp = self.api("GET", f"users/{user}")
        assert resp.status_code == 200, resp.text
        model: dict[str, Any] = resp.json()
        return model

    def new_token(self, user: str) -> str:
        """A fresh API token of ``user`` (as the user would make one on the token page)."""
        resp = self.api("POST", f"users/{user}/tokens", {"note": "hub tests"})
        assert resp.status_code == 201, resp.text
        token: str = resp.json()["token"]
        return token

    def start_server(self, user: str, timeout: float = 180) -> int:
        """Spawn ``user``'s server, wait until the hub says it is ready; its pid."""
        resp = self.api("POST", f"users/{user}/server")
        assert resp.status_code in (201, 202), resp.text
        until(
            lambda: self.user_model(user)["servers"].get("", {}).get("ready"),
            timeout, what=f"{user}'s server to be ready: {self.log_tail()}",
        )  # fmt: skip
        pid = int(self.user_model(user)["servers"][""]["state"]["pid"])
        self.pids[f"server:{user}"] = pid
        return pid

    def stop_server(self, user: str, timeout: float = 120) -> None:
        """Stop ``user``'s server from the hub, as the admin page or the culler does."""
        resp = self.api("DELETE", f"users/{user}/server")
        assert resp.status_code in (202, 204), resp.text
        until(
            lambda: "" not in self.user_model(user)["servers"],
            timeout, what=f"{user}'s server to stop: {self.log_tail()}",
        )  # fmt: skip
