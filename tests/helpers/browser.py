"""Helpers for the browser tests: JupyterLab subprocesses and Chromium pages on them.

:func:`lab_server` starts ``python -m jupyterlab`` through the suite's one
launcher (:mod:`tests.helpers.launcher`) the way a user would (the extension
is enabled by the auto-enable file ``pip install`` ships), under a non-root
``base_url``. The venv's ``share/jupyter`` stays on the data path, so
JupyterLab, its widget manager and anywidget's lab extensions are found as in
a real install. :func:`chromium` is the system Chromium under playwright.

:class:`LabPage` wraps a playwright page showing one notebook: run a cell,
find the terminal widgets in it, type into one, read its screen.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from tests.helpers.launcher import LAB_BASE_URL, JupyterServer
from tests.helpers.paths import CHROMIUM
from tests.helpers.waiting import until

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
BASE_URL = LAB_BASE_URL


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


def lab_server(tmp: Path, *args: str, **kw: Any) -> JupyterServer:
    """JupyterLab as the browser tests run it: under ``/user/x/`` (as under JupyterHub),
    sessions stopped quickly, the store in ``tmp``."""
    return JupyterServer(
        tmp, "--CCSessionManager.stop_timeout=2", f"--CCManagerApp.db_path={tmp / 'ccm.sqlite'}",
        *args, app="lab", base_url=LAB_BASE_URL, **kw,
    )  # fmt: skip


def settle(page: Any, frames: int = 2) -> None:
    """Wait until the page has drawn ``frames`` more frames (what a key did is on screen)."""
    page.evaluate(
        """(n) => new Promise((done) => {
          const step = () => (n-- > 0 ? requestAnimationFrame(step) : done());
          step();
        })""",
        frames,
    )


def pump_until(page: Any, predicate: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    """:func:`until` that lets playwright deliver events meanwhile (a sleep would hold them)."""
    return until(
        predicate, timeout, what, interval=0.1, pause=lambda s: page.wait_for_timeout(s * 1000)
    )


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

    def open_notebook(self, lab: JupyterServer, name: str, timeout: float = 90) -> None:
        """Open ``name`` in JupyterLab and wait until its kernel is connected and idle."""
        self.page.goto(lab.url_for(f"lab/tree/{name}", token=True))
        self.page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=timeout * 1000)

        def kernel_ready() -> bool:
            sessions = requests.get(lab.url_for("api/sessions"), headers=lab.headers).json()
            kernels = [s["kernel"] for s in sessions if s.get("path", "").endswith(name)]
            return any(
                k.get("connections", 0) >= 1 and k["execution_state"] == "idle" for k in kernels
            )

        until(kernel_ready, timeout=timeout, what=f"a connected idle kernel for {name}")
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
        return until(
            lambda: (text := read(cell)) and needle in text and text,
            timeout=timeout,
            what=f"{needle!r} in the terminal of cell {cell}",
        )

    def wait_badge(self, cell: int, state: str, timeout: float = 60) -> dict[str, str]:
        return until(
            lambda: (b := self.badge(cell)).get("state") == state and b,
            timeout=timeout,
            what=f"badge {state!r} in cell {cell}",
        )


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
def notebook_page(lab: JupyterServer, notebook: str, shots: Path, width: int) -> Iterator[LabPage]:
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
