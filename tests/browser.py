"""Helpers for the browser tests: a real JupyterLab subprocess and Chromium pages on it.

:class:`LabServer` starts ``python -m jupyterlab`` the way a user would (the
extension is enabled by the auto-enable file ``pip install`` ships), under a
non-root ``base_url`` with a token and private Jupyter config/data/runtime
dirs. The venv's ``share/jupyter`` stays on the data path, so JupyterLab, its
widget manager and anywidget's lab extensions are found as in a real install.

:class:`LabPage` wraps a playwright page showing one notebook: run a cell,
find the terminal widgets in it, type into one, read its screen.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .servers import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
BASE_URL = "/user/x/"


def write_notebook(path: Path, cells: list[str]) -> Path:
    """An nbformat 4 notebook of code cells with the python3 kernel."""
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{i}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for i, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb, indent=1))
    return path


class LabServer:
    """``with LabServer(tmp) as lab: lab.url("lab")``; stops the server (and its kernels)."""

    def __init__(self, tmp: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.tmp = tmp
        self.root = tmp / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.args = args
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = tmp / "jupyterlab.log"

    def url(self, path: str = "", token: bool = True) -> str:
        url = f"http://127.0.0.1:{self.port}{BASE_URL}{path}"
        if token:
            url += ("&" if "?" in url else "?") + f"token={self.token}"
        return url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def api(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        """A REST call to the extension (``path`` below ``ccmanager/api/``)."""
        return requests.request(
            method,
            self.url("ccmanager/api/" + path, token=False),
            json=body,
            headers=self.headers,
            timeout=kw.pop("timeout", 30),
            **kw,
        )

    def sessions(self) -> list[dict[str, Any]]:
        resp = self.api("GET", "sessions")
        resp.raise_for_status()
        return resp.json()

    def session(self, name: str) -> dict[str, Any]:
        for model in self.sessions():
            if model["name"] == name:
                return model
        raise LookupError(f"no session named {name!r}")

    def _write_settings(self, config_dir: Path) -> None:
        """Lab user settings: no news poll (it shows a toast on first start)."""
        settings = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )

    def start(self) -> LabServer:
        config_dir = self.tmp / "config"
        self._write_settings(config_dir)
        # A private HOME: shells started in sessions read this .bashrc, not the
        # user's (which may be slow: pyenv init, locks...), and show a known prompt.
        home = self.tmp / "home"
        home.mkdir(exist_ok=True)
        (home / ".bashrc").write_text("PS1='ccm-test:\\W\\$ '\n")
        venv_bin = str(Path(sys.executable).parent)
        env = {
            **os.environ,
            # Private dirs; the venv's share/jupyter (lab, labextensions, kernels)
            # and etc/jupyter (the auto-enable file) stay on the search paths.
            "JUPYTER_CONFIG_DIR": str(config_dir),
            "JUPYTER_DATA_DIR": str(self.tmp / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.tmp / "runtime"),
            "HOME": str(home),
            "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            **self.env,
        }
        for name in ("JUPYTER_CCMANAGER_URL", "JUPYTER_CCMANAGER_TOKEN", "JPY_PARENT_PID"):
            env.pop(name, None)  # the server exports its own to its kernels
        argv = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--ServerApp.base_url={BASE_URL}",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
            "--CCSessionManager.default_agent=shell", "--CCSessionManager.stop_timeout=2",
            f"--CCManagerApp.db_path={self.tmp / 'ccm.sqlite'}", *self.args,
        ]  # fmt: skip
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            argv, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterlab exited: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(self.url("api/status", False), headers=self.headers, timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyterlab did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self, timeout: float = 30) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # stops kernels and PTY sessions too
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # Its own process group (start_new_session): kernels go with it.
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.log.close()

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(
    predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.1, what: str = ""
) -> Any:
    """Poll ``predicate`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


# JS run in the page, on the terminal view in notebook cell `i`. A view's root
# element carries `ccmView` (its TerminalView), so tests read what xterm.js holds
# without depending on the renderer (WebGL draws text on a canvas).
JS_VIEW = """(i) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
  const el = cell && cell.querySelector('.ccm-term');
  return el && el.ccmView ? el.ccmView : null;
}"""
JS_SCREEN = f"""(i) => {{
  const v = ({JS_VIEW})(i);
  return v ? v.screenText().join('\\n') : null;
}}"""
JS_BUFFER = f"""(i) => {{
  // The whole buffer (scrollback + screen), for output that scrolled away.
  const v = ({JS_VIEW})(i);
  if (!v) return null;
  const buf = v.term.buffer.active;
  const out = [];
  for (let y = 0; y < buf.length; y++) out.push(buf.getLine(y)?.translateToString(true) ?? '');
  return out.join('\\n');
}}"""
JS_BADGE = """(i) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
  const badge = cell && cell.querySelector('.ccm-term .ccm-badge');
  return badge ? {text: badge.textContent, state: badge.dataset.state} : null;
}"""
JS_STREAM = f"""(i) => {{
  const v = ({JS_VIEW})(i);
  return v ? {{received: v.stream.received, processed: v.stream.processed}} : null;
}}"""
JS_SIZE = f"""(i) => {{
  const v = ({JS_VIEW})(i);
  return v ? {{height: v.root.offsetHeight, rows: v.term.rows, cols: v.term.cols}} : null;
}}"""
JS_WATCH_TITLE = f"""(i) => {{
  // Record every title the program sets (OSC 0/2), with how far xterm.js had
  // parsed the stream at that moment: proof that bytes were parsed, not just received.
  // Gaps (output skipped because the view fell out of the replay buffer) too.
  const v = ({JS_VIEW})(i);
  window.ccmTitles = [];
  window.ccmGaps = [];
  v.term.onTitleChange((title) => window.ccmTitles.push(
    {{title, processed: v.stream.processed, received: v.stream.received, at: performance.now()}}));
  const lost = v.stream.lost.bind(v.stream);
  v.stream.lost = (from, to, why) => {{
    window.ccmGaps.push({{from, to}});
    return lost(from, to, why);
  }};
}}"""


class LabPage:
    """A playwright page showing a notebook in JupyterLab; views are addressed by cell."""

    def __init__(self, page: Any, artifacts: Path) -> None:
        self.page = page
        self.artifacts = artifacts
        self.console: list[str] = []
        self.sockets: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda err: self.console.append(f"pageerror: {err}"))
        page.on("websocket", lambda ws: self.sockets.append(ws.url))

    def screenshot(self, name: str, locator: Any = None) -> Path:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        (locator or self.page).screenshot(path=str(path))
        return path

    def open_notebook(self, lab: LabServer, name: str, timeout: float = 90) -> None:
        """Open ``name`` in JupyterLab and wait until its kernel is connected and idle."""
        self.page.goto(lab.url(f"lab/tree/{name}"))
        self.page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=timeout * 1000)

        def kernel_ready() -> bool:
            sessions = requests.get(lab.url("api/sessions", False), headers=lab.headers).json()
            kernels = [s["kernel"] for s in sessions if s.get("path", "").endswith(name)]
            return any(
                k.get("connections", 0) >= 1 and k["execution_state"] == "idle" for k in kernels
            )

        wait_until(kernel_ready, timeout=timeout, what=f"a connected idle kernel for {name}")
        self.page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout * 1000
        )

    def cell(self, index: int) -> Any:
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def run_cell(self, index: int) -> None:
        """Select a cell's editor and press Shift+Enter, like a person does."""
        self.cell(index).locator(".cm-content").click()
        self.page.keyboard.press("Shift+Enter")
        # Should the kernel not be attached yet, JupyterLab asks which one to use.
        dialog = self.page.locator(".jp-Dialog .jp-mod-accept")
        try:
            dialog.wait_for(timeout=300)
        except Exception:
            return
        dialog.click()

    def wait_view(self, cell: int, timeout: float = 60) -> Any:
        """Wait for the terminal view in ``cell``'s output; return its locator."""
        self.page.wait_for_function(f"(i) => !!({JS_VIEW})(i)", arg=cell, timeout=timeout * 1000)
        return self.terminal(cell)

    def terminal(self, cell: int) -> Any:
        return self.cell(cell).locator(".ccm-term")

    def screen(self, cell: int) -> str:
        return self.page.evaluate(JS_SCREEN, cell) or ""

    def buffer(self, cell: int) -> str:
        return self.page.evaluate(JS_BUFFER, cell) or ""

    def badge(self, cell: int) -> dict[str, str]:
        return self.page.evaluate(JS_BADGE, cell) or {}

    def size(self, cell: int) -> dict[str, int]:
        """The view's height in pixels and the terminal's size in cells."""
        return self.page.evaluate(JS_SIZE, cell) or {}

    def stream(self, cell: int) -> dict[str, int]:
        return self.page.evaluate(JS_STREAM, cell) or {}

    def focus_terminal(self, cell: int) -> None:
        """Click into the terminal and wait until xterm.js has the keyboard focus."""
        self.terminal(cell).locator(".xterm-screen").click()
        self.page.wait_for_function(
            f"(i) => document.activeElement === ({JS_VIEW})(i).term.textarea",
            arg=cell,
            timeout=10_000,
        )

    def wait_text(self, cell: int, needle: str, timeout: float = 30, whole: bool = False) -> str:
        """Wait until the view's screen (or whole buffer) shows ``needle``; return the text."""
        read = self.buffer if whole else self.screen
        return wait_until(
            lambda: (text := read(cell)) and needle in text and text,
            timeout=timeout,
            what=f"{needle!r} in the terminal of cell {cell}",
        )

    def wait_badge(self, cell: int, state: str, timeout: float = 60) -> dict[str, str]:
        return wait_until(
            lambda: (b := self.badge(cell)).get("state") == state and b,
            timeout=timeout,
            what=f"badge {state!r} in cell {cell}",
        )


# Playwright's sync API keeps an event loop running in the test's thread while a
# browser is open, so pytest-jupyter's per-test loop fixtures (autouse) would grab
# and close it. Browser test modules import these two to switch them off; they use
# no in-process server.
@pytest.fixture
def jp_asyncio_loop() -> None:
    return None


@pytest.fixture
def jp_server_cleanup() -> None:
    return None


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """The system Chromium under playwright (never a downloaded browser), closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def notebook_page(lab: LabServer, notebook: str, shots: Path, width: int) -> Iterator[LabPage]:
    """A page with ``notebook`` open and its kernel idle; the console log lands in ``shots``."""
    shutil.rmtree(shots, ignore_errors=True)  # no stale screenshots from an older run
    shots.mkdir(parents=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.set_default_timeout(30_000)
        view = LabPage(page, shots)
        try:
            view.open_notebook(lab, notebook)
            yield view
        finally:
            (shots / "console.log").write_text("\n".join(view.console))
