"""``ccm.dashboard()`` in real JupyterLab, in real Chromium (Python playwright).

One JupyterLab subprocess (token, ``base_url=/user/x/``) and one page serve the
module. A notebook cell starts a shell session and displays the dashboard
widget; the tests click its buttons as a person would and check the server's
side over REST. The widget's own REST calls carry JupyterLab's token (page
config), its event socket too, so it stays live without re-listing.
Screenshots land in ``test-artifacts/dashboard-widget``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.browser import LabPage, lab_server, notebook_page, write_notebook
from tests.helpers.launcher import ROOT_PROMPT, JupyterServer
from tests.helpers.paths import ARTIFACTS
from tests.helpers.require import require_chromium
from tests.helpers.waiting import until

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "dashboard-widget"
CELL = 'import jupyter_ccmanager as ccm\na = ccm.start(agent="shell", name="one")\nccm.dashboard()'
RUNNING = {"starting", "idle", "busy"}
PROMPT = ROOT_PROMPT

# The widget's table in cell 0, top to bottom.
JS_ROWS = """() => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[0];
  return [...cell.querySelectorAll('.ccmdw tr.ccmd-row')].map((r) => ({
    id: r.dataset.id,
    name: r.querySelector('.ccmd-name').textContent,
    state: r.dataset.state,
    badge: r.querySelector('.ccm-badge').textContent,
    badgeColor: getComputedStyle(r.querySelector('.ccm-badge')).backgroundColor,
  }));
}"""
JS_LISTINGS = """() => performance.getEntriesByType('resource')
  .filter((e) => e.name.endsWith('/ccmanager/api/sessions')).length"""
JS_PANEL_SCREEN = """() => {
  const el = document.querySelector('.ccmdw .ccmd-panel .ccm-term');
  return el && el.ccmView ? el.ccmView.screenText().join('\\n') : null;
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    require_chromium()
    server = lab_server(tmp_path_factory.mktemp("dashwidget"))
    write_notebook(server.root / "dash.ipynb", [CELL])
    with server:
        yield server


@pytest.fixture(scope="module")
def nb(lab: JupyterServer) -> Iterator[LabPage]:
    with notebook_page(lab, "dash.ipynb", SHOTS, width=1300) as view:
        yield view


@pytest.fixture(autouse=True)
def _final_screenshot(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "nb" in request.fixturenames:
        with contextlib.suppress(Exception):
            request.getfixturevalue("nb").screenshot(f"end-{request.node.name}")


def rows(nb: LabPage) -> list[dict[str, Any]]:
    return nb.page.evaluate(JS_ROWS)


def row_of(nb: LabPage, name: str) -> dict[str, Any] | None:
    return next((r for r in rows(nb) if r["name"] == name), None)


def wait_row(nb: LabPage, name: str, states: set[str], timeout: float = 30) -> dict[str, Any]:
    return until(
        lambda: (r := row_of(nb, name)) and r["state"] in states and r,
        timeout=timeout,
        what=f"row {name!r} in state {states}",
    )


def row_locator(nb: LabPage, name: str) -> Any:
    exact = nb.page.locator(".ccmd-name", has_text=re.compile(f"^{re.escape(name)}$"))
    return nb.cell(0).locator("tr.ccmd-row").filter(has=exact)


def button(nb: LabPage, name: str, action: str) -> Any:
    return row_locator(nb, name).locator(f"button[data-action={action}]")


def test_dashboard_widget_live_table(nb: LabPage, lab: JupyterServer) -> None:
    nb.run_cell(0)
    nb.page.wait_for_selector(".jp-Cell .ccmdw .ccmd-live[data-status='live']", timeout=60_000)
    one = wait_row(nb, "one", RUNNING)
    assert one["id"] == lab.session("one")["id"]
    assert one["badge"] in RUNNING and one["badgeColor"] != "rgba(0, 0, 0, 0)", one
    nb.screenshot("01-one-running")

    button(nb, "one", "stop").click()
    stopped = wait_row(nb, "one", {"stopped"})
    assert stopped["badge"] == "stopped"
    assert lab.session("one")["state"] == "stopped", "the server stopped it, not just the table"
    nb.screenshot("02-one-stopped")

    button(nb, "one", "resume").click()
    wait_row(nb, "one", RUNNING)
    assert lab.session("one")["state"] in RUNNING

    # A session created elsewhere shows up live, from the event bus (no re-listing).
    listings = nb.page.evaluate(JS_LISTINGS)
    resp = lab.api("POST", "sessions", {"agent": "shell", "name": "two"})
    assert resp.status_code == 201, resp.text
    wait_row(nb, "two", RUNNING | {"stopped"})
    assert nb.page.evaluate(JS_LISTINGS) == listings, "came from an event, not a new list"

    # The same over the socket: stopped elsewhere, the badge follows.
    two = resp.json()["id"]
    assert lab.api("POST", f"sessions/{two}/stop", {}).ok
    wait_row(nb, "two", {"stopped"})
    nb.screenshot("03-two-created-and-stopped")


def test_dashboard_widget_form_terminal_delete(nb: LabPage, lab: JupyterServer) -> None:
    form = nb.cell(0).locator(".ccmdw form.ccmd-form")
    assert form.locator("input[name=cwd]").is_hidden(), "the cell's form is agent and name only"
    form.locator("select[name=agent]").select_option("shell")
    form.locator("input[name=name]").fill("three")
    form.locator("button[type=submit]").click()
    wait_row(nb, "three", RUNNING)
    assert lab.session("three")["agent"] == "shell"

    # A row click opens its terminal under the table, live over the session socket.
    row_locator(nb, "one").locator(".ccmd-name").click()
    until(lambda: PROMPT in (nb.page.evaluate(JS_PANEL_SCREEN) or ""), what="prompt in the panel")
    until(lambda: lab.session("one")["clients"] >= 1, what="the panel is a viewer")
    nb.screenshot("04-terminal-open")

    button(nb, "two", "delete").click()
    nb.cell(0).locator(".ccmd-confirm button[data-action=confirm]").click()
    until(lambda: row_of(nb, "two") is None, what="row two gone")
    assert "two" not in {m["name"] for m in lab.sessions()}
    # Waiting on top, then running, then stopped: "one" and "three" run, nothing stopped.
    assert {r["name"] for r in rows(nb)} == {"one", "three"}
    nb.screenshot("05-after-delete")


def test_dashboard_widget_follows_lab_theme(nb: LabPage) -> None:
    box = nb.cell(0).locator(".ccmdw-box").first
    background = "(el) => getComputedStyle(el).backgroundColor"
    light = box.evaluate(background)
    nb.page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
    nb.page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Theme$")).click()
    nb.page.locator(".lm-Menu-itemLabel", has_text=re.compile("^JupyterLab Dark$")).click()
    nb.page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
    dark = until(lambda: (c := box.evaluate(background)) != light and c, what="dark table")
    channels = [int(v) for v in re.findall(r"\d+", dark)[:3]]
    assert max(channels) < 100, f"the table follows the dark theme: {light} -> {dark}"
    nb.screenshot("06-dark-theme")


def test_dashboard_widget_without_page_config(nb: LabPage, lab: JupyterServer) -> None:
    """No Jupyter page config (VS Code...): a note and the kernel's listing, on request."""
    page = nb.page.context.browser.new_page()
    try:
        # A blank page of the server's origin: no #jupyter-config-data (and not an
        # API reply, whose Content-Security-Policy forbids scripts).
        blank = lab.url_for("ccm-blank.html")
        page.route(blank, lambda route: route.fulfill(body="<!doctype html><body></body>"))
        page.goto(blank)
        bundle = lab.url_for("static/jupyter_ccmanager/dashboard-widget.js")
        result = page.evaluate(
            """async (url) => {
              const widget = (await import(url)).default;
              const sent = [];
              const handlers = {};
              const values = {fallback_html: ''};
              const model = {
                get: (k) => values[k],
                on: (e, f) => { handlers[e] = f; },
                off: (e) => { delete handlers[e]; },
                send: (msg) => sent.push(msg),
              };
              const el = document.createElement('div');
              document.body.append(el);
              const cleanup = widget.render({model, el});
              values.fallback_html = '<table><tr><td>one</td></tr></table>';
              handlers['change:fallback_html']();
              const out = {sent, text: el.textContent, cells: el.querySelectorAll('td').length};
              cleanup();
              out.after = el.children.length;
              return out;
            }""",
            bundle,
        )
    finally:
        page.close()
    assert result["sent"] == [{"type": "refresh"}]
    assert "needs JupyterLab or Jupyter Notebook" in result["text"]
    assert result["cells"] == 1 and result["after"] == 0


def test_no_page_errors(nb: LabPage) -> None:
    errors = [line for line in nb.console if line.startswith("pageerror")]
    assert not errors, errors
