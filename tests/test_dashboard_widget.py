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

from jupyter_ccmanager.widgets.dashboard import DashboardWidget, sessions_html

from .browser import (  # noqa: F401 (fixtures)
    LabPage,
    LabServer,
    jp_asyncio_loop,
    jp_server_cleanup,
    notebook_page,
    wait_until,
    write_notebook,
)
from .conftest import ARTIFACTS, require_chromium

SHOTS = ARTIFACTS / "dashboard-widget"
CELL = 'import jupyter_ccmanager as ccm\na = ccm.start(agent="shell", name="one")\nccm.dashboard()'
RUNNING = {"starting", "idle", "busy"}
PROMPT = "ccm-test:root"  # PS1 of the shells (tests/browser.py writes the .bashrc)

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
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    require_chromium()
    server = LabServer(tmp_path_factory.mktemp("dashwidget"))
    write_notebook(server.root / "dash.ipynb", [CELL])
    with server:
        yield server


@pytest.fixture(scope="module")
def nb(lab: LabServer) -> Iterator[LabPage]:
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
    return wait_until(
        lambda: (r := row_of(nb, name)) and r["state"] in states and r,
        timeout=timeout,
        what=f"row {name!r} in state {states}",
    )


def row_locator(nb: LabPage, name: str) -> Any:
    exact = nb.page.locator(".ccmd-name", has_text=re.compile(f"^{re.escape(name)}$"))
    return nb.cell(0).locator("tr.ccmd-row").filter(has=exact)


def button(nb: LabPage, name: str, action: str) -> Any:
    return row_locator(nb, name).locator(f"button[data-action={action}]")


@pytest.mark.browser
def test_dashboard_widget_live_table(nb: LabPage, lab: LabServer) -> None:
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


@pytest.mark.browser
def test_dashboard_widget_form_terminal_delete(nb: LabPage, lab: LabServer) -> None:
    form = nb.cell(0).locator(".ccmdw form.ccmd-form")
    assert form.locator("input[name=cwd]").is_hidden(), "the cell's form is agent and name only"
    form.locator("select[name=agent]").select_option("shell")
    form.locator("input[name=name]").fill("three")
    form.locator("button[type=submit]").click()
    wait_row(nb, "three", RUNNING)
    assert lab.session("three")["agent"] == "shell"

    # A row click opens its terminal under the table, live over the session socket.
    row_locator(nb, "one").locator(".ccmd-name").click()
    wait_until(
        lambda: PROMPT in (nb.page.evaluate(JS_PANEL_SCREEN) or ""), what="prompt in the panel"
    )
    wait_until(lambda: lab.session("one")["clients"] >= 1, what="the panel is a viewer")
    nb.screenshot("04-terminal-open")

    button(nb, "two", "delete").click()
    nb.cell(0).locator(".ccmd-confirm button[data-action=confirm]").click()
    wait_until(lambda: row_of(nb, "two") is None, what="row two gone")
    assert "two" not in {m["name"] for m in lab.sessions()}
    # Waiting on top, then running, then stopped: "one" and "three" run, nothing stopped.
    assert {r["name"] for r in rows(nb)} == {"one", "three"}
    nb.screenshot("05-after-delete")


@pytest.mark.browser
def test_dashboard_widget_follows_lab_theme(nb: LabPage) -> None:
    box = nb.cell(0).locator(".ccmdw-box").first
    background = "(el) => getComputedStyle(el).backgroundColor"
    light = box.evaluate(background)
    nb.page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
    nb.page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Theme$")).click()
    nb.page.locator(".lm-Menu-itemLabel", has_text=re.compile("^JupyterLab Dark$")).click()
    nb.page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
    dark = wait_until(lambda: (c := box.evaluate(background)) != light and c, what="dark table")
    channels = [int(v) for v in re.findall(r"\d+", dark)[:3]]
    assert max(channels) < 100, f"the table follows the dark theme: {light} -> {dark}"
    nb.screenshot("06-dark-theme")


@pytest.mark.browser
def test_dashboard_widget_without_page_config(nb: LabPage, lab: LabServer) -> None:
    """No Jupyter page config (VS Code...): a note and the kernel's listing, on request."""
    page = nb.page.context.browser.new_page()
    try:
        # A blank page of the server's origin: no #jupyter-config-data (and not an
        # API reply, whose Content-Security-Policy forbids scripts).
        blank = lab.url("ccm-blank.html", token=False)
        page.route(blank, lambda route: route.fulfill(body="<!doctype html><body></body>"))
        page.goto(blank)
        bundle = lab.url("static/jupyter_ccmanager/dashboard-widget.js", token=False)
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


@pytest.mark.browser
def test_no_page_errors(nb: LabPage) -> None:
    errors = [line for line in nb.console if line.startswith("pageerror")]
    assert not errors, errors


def test_sessions_html_escapes_and_orders() -> None:
    text = sessions_html(
        [
            {"id": "a", "name": "<b>x</b>", "state": "idle", "agent": "shell"},
            {"id": "b", "name": "w", "state": "waiting", "state_detail": "permission"},
        ]
    )
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>" not in text
    assert text.index("waiting (permission)") < text.index("&lt;b&gt;")
    assert sessions_html([]) == "<p>No sessions.</p>"


def test_refresh_message_fills_fallback_html() -> None:
    class FakeClient:
        url = "http://x/"

        def run(self, plan: Any) -> Any:
            plan.close()
            return [{"id": "s1", "name": "one", "state": "stopped", "agent": "shell"}]

    widget = DashboardWidget(connection=FakeClient())  # type: ignore[arg-type]
    try:
        widget._on_view_message(widget, {"type": "refresh"}, [])
        assert "one" in widget.fallback_html and 'data-state="stopped"' in widget.fallback_html
    finally:
        widget.close()
