"""A session in JupyterLab's own Running panel and terminal panel, in real Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.set_default_timeout(60_000)
        frames = TerminadoFrames(page, model["terminal_name"])
        page.goto(lab.url_for("lab", token=True))
        page.locator('.jp-SideBar [data-id="jp-running-sessions"]').click()
        item = page.locator(".jp-RunningSessions-item", has_text=model["terminal_name"])
        item.wait_for()
        page.screenshot(path=str(SHOTS / "01-running-panel.png"))
        item.locator(".jp-RunningSessions-itemLabel").click()
        page.locator(".jp-Terminal .xterm").wait_for()
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
