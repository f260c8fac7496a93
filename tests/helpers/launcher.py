"""A real ``jupyter server`` (or ``jupyter lab``) subprocess: the one launcher of the suite.

The tests and the benchmarks (:mod:`benchmarks.server`) start every server through it.

In-process servers (pytest-jupyter) cannot show what survives a server's
death, nor measure the server's own memory, nor serve JupyterLab to a
browser; these start the server the way a user does, relying on the
auto-enable config that ``pip install`` ships for jupyter_ccmanager.

Each server gets, under its own temporary folder: a root folder, a private
``HOME`` (whose ``.bashrc`` gives session shells a known prompt and none of
the developer's rc files), private Jupyter config, data and runtime
directories (the venv's ``share/jupyter`` and ``etc/jupyter`` stay on the
search paths), a free port on 127.0.0.1, a random token, and a log file with
everything it prints. ``config`` goes to its ``jupyter_server_config.json``,
``preamble`` is Python the process runs before the server starts (the
benchmarks' ``--patch``). The server runs in its own process group and gets
SIGTERM should the process that started it die; :meth:`JupyterServer.stop`
signals it by pid and then kills what is left of its process group. Session
processes and kernels run in sessions of their own and are left alone: whether
they outlive the server is for the tests to see.

Every server also loads :mod:`tests.helpers.openapi` (unless ``openapi=False``:
the benchmarks measure the product alone), which checks each REST response
against ``rest-api.yml`` into :attr:`JupyterServer.openapi_log` (the suite's
``openapi_log`` fixture fails a test whose responses did not match). This
module needs no pytest: ``python -m benchmarks`` imports it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from tests.helpers import openapi
from tests.helpers.paths import REPO
from tests.helpers.waiting import until

#: The prompt of session shells (``\W``: the folder's name, e.g. ``ccm-test:root$``).
PS1 = "ccm-test:\\W\\$ "
#: What that prompt shows in the server's root folder.
ROOT_PROMPT = "ccm-test:root"
#: Where JupyterLab runs in the browser tests: a non-root base_url, as under JupyterHub.
LAB_BASE_URL = "/user/x/"
#: The server's own exports to kernels: a server under test must not inherit the runner's.
KERNEL_EXPORTS = ("JUPYTER_CCMANAGER_URL", "JUPYTER_CCMANAGER_TOKEN", "JPY_PARENT_PID")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _load_prctl() -> Any:
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl
    return None


# Resolved here, in the parent: the child (between fork and exec) only calls it.
_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the thread that started it ends (Linux), so a
    killed test or benchmark run leaves no server behind."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


class JupyterServer:
    """``with JupyterServer(tmp, "--CCManagerApp.demo_mode=on") as server: server.create()``.

    ``app`` is ``"server"`` (``python -m jupyter_server``) or ``"lab"``
    (``python -m jupyterlab``, with Lab's news poll switched off). ``args``
    are extra command-line options; ``env`` is laid over the environment last
    (a ``HOME`` in it replaces the private one, as it is); ``python`` and ``cwd`` pick
    the interpreter (another venv) and the working directory.
    """

    def __init__(
        self,
        tmp: Path,
        *args: str,
        app: str = "server",
        base_url: str = "/",
        env: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
        preamble: str = "",
        python: str | None = None,
        cwd: Path | None = None,
        openapi: bool = True,
        start_timeout: float = 90,
    ) -> None:
        if app not in ("server", "lab"):
            raise ValueError(f"app must be 'server' or 'lab', not {app!r}")
        self.tmp = tmp
        self.args = args
        self.app = app
        self.base_url = base_url
        self.env = env or {}
        self.config = config or {}
        self.preamble = preamble
        self.python = python
        self.cwd = cwd
        self.check_openapi = openapi
        self.start_timeout = start_timeout
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.root = tmp / "root"
        self.home = Path(self.env["HOME"]) if "HOME" in self.env else tmp / "home"
        self.config_dir = tmp / "config"
        self.log_path = tmp / f"{'jupyterlab' if app == 'lab' else 'server'}-{self.port}.log"
        self.openapi_log = tmp / f"openapi-{self.port}.jsonl"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        for folder in (self.root, self.home, self.config_dir):
            folder.mkdir(parents=True, exist_ok=True)
        bashrc = self.home / ".bashrc"
        if "HOME" not in self.env and not bashrc.exists():  # an earlier server's may be there
            bashrc.write_text(f"PS1='{PS1}'\n")

    # ------------------------------------------------------------------ addresses
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT{base_url}``."""
        return f"http://127.0.0.1:{self.port}{self.base_url}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.base_url}"

    def url_for(self, path: str = "", token: bool = False) -> str:
        """``path`` under the base_url; with ``token``, the link a person opens to log in."""
        url = self.url + path
        if token:
            url += ("&" if "?" in url else "?") + f"token={self.token}"
        return url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    # ------------------------------------------------------------------ REST
    def api(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        """A REST call to the extension (``path`` below ``ccmanager/api/``)."""
        return requests.request(
            method, self.url + "ccmanager/api/" + path, json=body, headers=self.headers,
            timeout=kw.pop("timeout", 30), **kw,
        )  # fmt: skip

    def create(self, **body: Any) -> dict[str, Any]:
        resp = self.api("POST", "sessions", body)
        assert resp.status_code == 201, resp.text
        model: dict[str, Any] = resp.json()
        return model

    def sessions(self) -> list[dict[str, Any]]:
        resp = self.api("GET", "sessions")
        resp.raise_for_status()
        models: list[dict[str, Any]] = resp.json()
        return models

    def session(self, name: str) -> dict[str, Any]:
        """The model of the session called ``name``."""
        for model in self.sessions():
            if model["name"] == name:
                return model
        raise LookupError(f"no session named {name!r}")

    def output(self, session_id: str, offset: int = 0) -> bytes:
        resp = self.api("GET", f"sessions/{session_id}/output", params={"offset": str(offset)})
        assert resp.status_code == 200, resp.text
        return resp.content

    # ------------------------------------------------------------------ process
    def argv(self) -> list[str]:
        python = self.python or sys.executable
        module = "jupyterlab" if self.app == "lab" else "jupyter_server"
        launch = ["-m", module]
        if self.preamble:
            run = f"import runpy; runpy.run_module({module!r}, run_name='__main__')"
            launch = ["-c", f"{self.preamble}\n{run}"]
        return [
            python, *launch, "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--ServerApp.base_url={self.base_url}",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
            *([f"--ServerApp.jpserver_extensions={openapi.EXTENSION}=True"]
              if self.check_openapi else []),
            "--CCSessionManager.default_agent=shell", *self.args,
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        python_bin = str(Path(self.python or sys.executable).parent)
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(self.config_dir),
            "JUPYTER_DATA_DIR": str(self.tmp / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.tmp / "runtime"),
            "HOME": str(self.home),
            # The venv's jupyter, kernels and tools first, as in an activated venv.
            "PATH": f"{python_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        for name in KERNEL_EXPORTS:
            env.pop(name, None)
        env.update(self.env)
        env.pop(openapi.LOG_ENV, None)  # the in-process server's, in the test's environment
        if self.check_openapi:
            env[openapi.LOG_ENV] = str(self.openapi_log)
            # `tests.helpers.openapi` must import in the server; through a folder that holds
            # only `tests`, so the server still imports the jupyter_ccmanager it would anyway.
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(self._import_dir()), env.get("PYTHONPATH", "")) if p
            )
        return env

    def _import_dir(self) -> Path:
        folder = self.tmp / "pythonpath"
        link = folder / "tests"
        if not link.exists():
            folder.mkdir(parents=True, exist_ok=True)
            link.symlink_to(REPO / "tests", target_is_directory=True)
        return folder

    def _write_config(self) -> None:
        if self.config:
            (self.config_dir / "jupyter_server_config.json").write_text(json.dumps(self.config))
        if self.app == "lab":
            # Lab user settings: no news poll (it shows a toast on first start).
            settings = self.config_dir / "lab/user-settings/@jupyterlab/apputils-extension"
            settings.mkdir(parents=True, exist_ok=True)
            (settings / "notification.jupyterlab-settings").write_text(
                json.dumps({"fetchNews": "false", "checkForUpdates": False})
            )

    def start(self) -> JupyterServer:
        """Start the server and wait until it answers ``api/status`` (and the checker is in)."""
        assert self.proc is None, "already started"
        self._write_config()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            self.argv(), env=self.environment(), cwd=self.cwd, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
        )  # fmt: skip
        if self.check_openapi:
            openapi.watch(self.openapi_log)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self.proc is not None
        proc = self.proc

        def answers() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                return requests.get(self.url + "api/status", headers=self.headers, timeout=2).ok
            return False

        try:
            until(answers, self.start_timeout, what="the server to answer")
        except AssertionError:
            raise RuntimeError(f"the server did not start: {self.log_tail()}") from None
        if not self.check_openapi:
            return
        # The OpenAPI checker must be there: a failed import would only be a warning.
        self.api("GET", "stats")
        if not openapi.read(self.openapi_log):
            raise RuntimeError(f"the OpenAPI checker is not loaded: {self.log_tail()}")

    def log_tail(self, size: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-size:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        """Send ``sig`` to the server; SIGKILL its process group if it has not exited after
        ``timeout`` s, and whatever of the group is left once it has. The exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)  # SIGTERM: the server stops its kernels and sessions itself
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # leftovers of its group, if any
        if self._log is not None:
            self._log.close()
            self._log = None
        return proc.returncode

    def __enter__(self) -> JupyterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
