"""A session in JupyterLab's own Running panel and terminal panel, in real Chromium."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import stdin_recorder
from tests.helpers.browser import chromium, lab_server, pump_until
from tests.helpers.launcher import JupyterServer
from tests.helpers.paths import ARTIFACTS
from tests.helpers.require import require_chromium
from tests.helpers.waiting import until

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "lab-panel"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[JupyterServer]:
    require_chromium()
    with lab_server(tmp_path) as server:
        yield server


class TerminadoFrames:
    """What Lab's terminal receives on its terminado socket (it draws on a canvas)."""

    def __init__(self, page: Any, name: str) -> None:
        self.stdout = ""
        self.name = name
        page.on("websocket", self._watch)

    def _watch(self, ws: Any) -> None:
        if ws.url.split("?")[0].endswith(f"/terminals/websocket/{self.name}"):
            ws.on("framereceived", self._frame)

    def _frame(self, payload: Any) -> None:
        kind, *rest = json.loads(payload)
        if kind == "stdout":
            self.stdout += rest[0]


def running_item(
    browser: Any, lab: JupyterServer, terminal: str
) -> tuple[Any, TerminadoFrames, Any]:
    """A Lab page whose Running panel shows ``terminal``: the page, its terminal's
    frames (watched from before the page loads) and the panel item."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.set_default_timeout(60_000)
    frames = TerminadoFrames(page, terminal)
    page.goto(lab.url_for("lab", token=True))
    page.locator('.jp-SideBar [data-id="jp-running-sessions"]').click()
    item = page.locator(".jp-RunningSessions-item", has_text=terminal)
    item.wait_for()
    return page, frames, item


def open_terminal(page: Any, item: Any) -> None:
    """Open the Running panel's ``item`` in Lab's terminal panel."""
    item.locator(".jp-RunningSessions-itemLabel").click()
    page.locator(".jp-Terminal .xterm").wait_for()


def test_running_panel_opens_session_with_its_output(lab: JupyterServer) -> None:
    resp = lab.api("POST", "sessions", {"name": "lab-demo"})
    assert resp.status_code == 201, resp.text
    model = resp.json()
    lab.api("POST", f"sessions/{model['id']}/input", {"data": "echo earlier-$((20+1))\r"})
    until(
        lambda: b"earlier-21" in lab.api("GET", f"sessions/{model['id']}/output").content,
        what="output before Lab opens",
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page, frames, item = running_item(browser, lab, model["terminal_name"])
        page.screenshot(path=str(SHOTS / "01-running-panel.png"))
        open_terminal(page, item)
        pump_until(page, lambda: "earlier-21" in frames.stdout, "replayed output")
        page.locator(".jp-Terminal .xterm-helper-textarea").focus()
        page.keyboard.type("echo from-lab-$((6*7))")
        page.keyboard.press("Enter")
        pump_until(page, lambda: "from-lab-42" in frames.stdout, "echo in Lab")
        out = lab.api("GET", f"sessions/{model['id']}/output").content
        assert b"from-lab-42" in out, "typing in Lab's terminal reaches the session"
        page.screenshot(path=str(SHOTS / "02-lab-terminal.png"))
        # Closing the tab leaves the session running...
        tab = page.locator(".lm-DockPanel .lm-TabBar-tab", has_text="ccm_lab_demo")
        tab.locator(".lm-TabBar-tabCloseIcon").click()
        page.locator(".jp-Terminal").wait_for(state="detached")
        assert lab.api("GET", f"sessions/{model['id']}").json()["state"] in ("idle", "busy")
        # ...and Lab's "Shut Down" stops it through our manager: a resumable record remains.
        item = page.locator(".jp-RunningSessions-item", has_text="terminals/ccm_lab_demo")
        item.hover()
        item.get_by_title("Shut Down", exact=True).click()
        confirm = page.locator(".jp-Dialog .jp-mod-accept")
        if confirm.count():
            confirm.click()
        until(
            lambda: lab.api("GET", f"sessions/{model['id']}").json()["state"] == "stopped",
            what="stopped after Shut Down",
        )
        assert lab.api("GET", f"sessions/{model['id']}").json()["pid"] is None


def test_lab_terminal_sends_no_answers_to_replayed_queries(lab: JupyterServer) -> None:
    """Lab's xterm.js answers the queries in the replay it opens with; none reach the process.

    The session records its stdin (tests/helpers/stdin_recorder.py). Its queries were
    asked before Lab opened, with nobody to answer; once they expired
    (``terminal_queries`` is 0) Lab's answers to them must be dropped, while answers
    to a query asked while Lab is open pass, once.
    """
    record = lab.root / "stdin.bin"
    record.touch()
    command = [sys.executable, stdin_recorder.__file__, str(record)]
    model = lab.api("POST", "sessions", {"name": "lab-queries", "command": command}).json()
    sid = model["id"]

    def output() -> bytes:
        return bytes(lab.api("GET", f"sessions/{sid}/output").content)

    until(lambda: b"recorder ready" in output(), what="recorder ready")
    lab.api("POST", f"sessions/{sid}/input", {"data": stdin_recorder.ASK.decode()})
    until(lambda: b"asked 1" in output(), what="queries asked")
    until(
        lambda: lab.api("GET", f"sessions/{sid}").json()["terminal_queries"] == 0,
        what="the unanswered queries expired",
    )
    with chromium() as browser:
        page, frames, item = running_item(browser, lab, model["terminal_name"])
        open_terminal(page, item)
        pump_until(page, lambda: "asked 1" in frames.stdout, "the replay, queries included")
        page.locator(".jp-Terminal .xterm-helper-textarea").focus()
        page.keyboard.type("typed")
        pump_until(page, lambda: b"typed" in record.read_bytes(), "keys typed in Lab")
        assert record.read_bytes() == stdin_recorder.ASK + b"typed", "no answer to old queries"
        # A query asked while Lab watches is live: Lab's answers to it pass, once each.
        lab.api("POST", f"sessions/{sid}/input", {"data": stdin_recorder.ASK.decode()})
        pump_until(page, lambda: "asked 2" in frames.stdout, "the live queries")
        page.keyboard.type("after")
        pump_until(page, lambda: b"after" in record.read_bytes(), "keys after the answers")
        live = record.read_bytes().split(b"typed", 1)[1]
        assert live.startswith(stdin_recorder.ASK), live
        assert len(re.findall(rb"\x1b\[\d+;\d+R", live)) == 1, live
        assert len(re.findall(rb"\x1b\[\?[\d;]*c", live)) == 1, live
    lab.api("DELETE", f"sessions/{sid}")
