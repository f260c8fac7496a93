"""The dashboard page (``{base_url}ccmanager``) in real Chromium on a real server.

One ``jupyter server`` subprocess (token, ``base_url=/user/x/`` as under
JupyterHub, private HOME whose shells show a known prompt, root folder a git
repository) and one page serve the module.
The page is opened once with ``?token=`` so Jupyter sets its login cookie,
as for a person following the link ``jupyter server`` prints; after that the
page works from the cookie alone (its config carries no token). The tests
read the table through the DOM and the terminal through the view handle the
widget code exposes (``.ccm-term`` → ``ccmView``), since WebGL draws the
terminal's text on a canvas. Screenshots land in ``test-artifacts/dashboard``.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from jupyter_ccmanager.server.demo.api import Bash, FakeAnthropic, Text, claude_env, prepare_home
from tests.helpers.browser import chromium
from tests.helpers.launcher import LAB_BASE_URL, ROOT_PROMPT, JupyterServer
from tests.helpers.paths import ARTIFACTS
from tests.helpers.require import require_chromium, require_claude
from tests.helpers.waiting import until

pytestmark = pytest.mark.browser


SHOTS = ARTIFACTS / "dashboard"
PROMPT = ROOT_PROMPT
BASE_URL = LAB_BASE_URL

# The table as the person sees it, top to bottom.
JS_ROWS = """() => [...document.querySelectorAll('tr.ccmd-row')].map((r) => ({
  id: r.dataset.id,
  name: r.querySelector('.ccmd-name').textContent,
  state: r.dataset.state,
  badge: r.querySelector('.ccm-badge').textContent,
  detail: r.querySelector('.ccmd-detail').textContent,
  branch: r.querySelector('.ccmd-branch').textContent,
  open: r.classList.contains('is-open'),
  background: getComputedStyle(r).backgroundColor,
}))"""
JS_PANEL_SCREEN = """() => {
  const el = document.querySelector('.ccmd-panel .ccm-term');
  return el && el.ccmView ? el.ccmView.screenText().join('\\n') : null;
}"""
# Notifications cannot be granted headless: a stand-in records what the page shows.
FAKE_NOTIFICATION = """
window.ccmNotes = [];
window.Notification = class {
  static permission = 'granted';
  static requestPermission() { return Promise.resolve('granted'); }
  constructor(title, options) { window.ccmNotes.push({title, ...options}); }
  close() {}
};
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    require_chromium()
    tmp = tmp_path_factory.mktemp("dashboard")
    proc = JupyterServer(
        tmp, "--CCManagerApp.demo_mode=off", "--CCSessionManager.stop_timeout=2",
        base_url=BASE_URL,
    )  # fmt: skip
    git = ["git", "-C", str(proc.root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "init"], check=True)
    with proc:
        yield proc


class Dashboard:
    """A playwright page on the dashboard, with the reads the tests need."""

    def __init__(self, page: Any, server: JupyterServer) -> None:
        self.page = page
        self.server = server
        self.console: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda err: self.console.append(f"pageerror: {err}"))

    def list_requests(self) -> int:
        """How many times the page has listed sessions (the browser's own resource log)."""
        return self.page.evaluate(
            "() => performance.getEntriesByType('resource')"
            ".filter((e) => e.name.endsWith('/ccmanager/api/sessions')).length"
        )

    def open(self) -> None:
        self.page.goto(f"{self.server.url}ccmanager?token={self.server.token}")
        self.page.wait_for_selector(".ccmd-live[data-status='live']")

    def rows(self) -> list[dict[str, Any]]:
        return self.page.evaluate(JS_ROWS)

    def row_of(self, name: str) -> dict[str, Any] | None:
        return next((r for r in self.rows() if r["name"] == name), None)

    def row(self, name: str) -> Any:
        return self.page.locator(f"tr.ccmd-row:has(.ccmd-name:text-is('{name}'))")

    def wait_state(self, name: str, *states: str, timeout: float = 30) -> dict[str, Any]:
        return until(
            lambda: (r := self.row_of(name)) and r["state"] in states and r,
            timeout=timeout,
            what=f"{name} shown as {states}",
        )

    def confirm(self, name: str) -> Any:
        """The question row the dashboard shows under a session (e.g. "Delete it?")."""
        row = self.row_of(name)
        assert row is not None, name
        return self.page.locator(f"tr.ccmd-confirm-row[data-for='{row['id']}']")

    def panel_screen(self) -> str:
        return self.page.evaluate(JS_PANEL_SCREEN) or ""

    def wait_screen(self, needle: str, timeout: float = 45) -> str:
        return until(
            lambda: needle in (text := self.panel_screen()) and text,
            timeout=timeout,
            what=f"{needle!r} in the open terminal",
        )

    def screenshot(self, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture(scope="module")
def dash(server: JupyterServer) -> Iterator[Dashboard]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 860})
        context.add_init_script(FAKE_NOTIFICATION)
        page = context.new_page()
        page.set_default_timeout(20_000)
        view = Dashboard(page, server)
        try:
            yield view
        finally:
            (SHOTS / "console.log").write_text("\n".join(view.console))


@pytest.fixture(autouse=True)
def _final_screenshot(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "dash" in request.fixturenames:
        with contextlib.suppress(Exception):
            request.getfixturevalue("dash").screenshot(f"end-{request.node.name}")


def test_page_lists_existing_sessions(dash: Dashboard, server: JupyterServer) -> None:
    alpha = server.create(agent="shell", name="alpha")
    beta = server.create(agent="shell", name="beta")
    dash.open()
    config = dash.page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)"
    )
    assert config["baseUrl"] == BASE_URL and "token" not in config, config
    assert any(c["name"] == "_xsrf" for c in dash.page.context.cookies()), "writes need _xsrf"
    rows = {r["name"]: r for r in until(lambda: len(dash.rows()) == 2 and dash.rows())}
    assert rows["alpha"]["id"] == alpha["id"] and rows["beta"]["id"] == beta["id"]
    for name in ("alpha", "beta"):
        row = dash.wait_state(name, "idle")
        assert row["badge"] == "idle"
    assert dash.page.locator(".ccmd-chip.running").text_content() == "2 running"
    dash.screenshot("01-list")
    # It follows the browser's light/dark preference, live.
    background = "() => getComputedStyle(document.querySelector('.ccmd-app')).backgroundColor"
    light = dash.page.evaluate(background)
    dash.page.emulate_media(color_scheme="dark")
    assert dash.page.evaluate(background) != light
    dash.screenshot("01-list-dark")
    dash.page.emulate_media(color_scheme="light")


def test_create_from_form_then_type_in_its_terminal(dash: Dashboard) -> None:
    form = dash.page.locator("form.ccmd-form")
    # A server refusal is shown with its code and message, and changes nothing.
    form.locator("select[name=agent]").select_option("shell")
    form.locator("input[name=cwd]").fill("/etc")
    form.locator("button[type=submit]").click()
    error = form.locator(".ccmd-form-error")
    error.wait_for(state="visible")
    assert "CWD_OUTSIDE_ROOT" in error.text_content()
    assert "outside the server root" in error.text_content()
    dash.screenshot("02-form-error")
    assert len(dash.rows()) == 2

    form.locator("input[name=cwd]").fill("")
    assert error.is_hidden(), "editing the form clears the old error"
    form.locator("input[name=name]").fill("made-in-form")
    form.locator("button[type=submit]").click()
    dash.wait_state("made-in-form", "starting", "idle", "busy")
    # Creating opens the new session; clicking another row switches to it and back.
    dash.wait_screen(PROMPT)
    dash.row("alpha").click()
    until(lambda: dash.row_of("alpha")["open"], what="alpha opened")
    dash.row("made-in-form").click()
    until(lambda: dash.row_of("made-in-form")["open"], what="made-in-form opened")
    dash.wait_screen(PROMPT)
    assert dash.page.locator(".ccmd-panel .ccm-name").text_content() == "made-in-form"

    dash.page.locator(".ccmd-panel .xterm-screen").click()
    dash.page.wait_for_function(
        "() => document.activeElement === "
        "document.querySelector('.ccmd-panel .ccm-term').ccmView.term.textarea"
    )
    dash.page.keyboard.type("echo hi-$((1+1))")
    dash.page.keyboard.press("Enter")
    screen = dash.wait_screen("hi-2")
    assert "echo hi-$((1+1))" in screen, "bash computed it: the keys reached the PTY"
    dash.wait_state("made-in-form", "idle")
    dash.screenshot("03-terminal")


def test_claude_badge_turns_waiting_live(dash: Dashboard, server: JupyterServer) -> None:
    require_claude()
    home = server.tmp / "claude-home"
    prepare_home(home, [server.root])
    with FakeAnthropic() as fake:
        model = server.create(agent="claude", name="claude-dash", env=claude_env(fake.url, home))
        dash.wait_state("claude-dash", "idle", timeout=90)
        server.create(agent="shell", name="newer")  # newest first: claude is not on top
        dash.wait_state("newer", "idle")
        assert dash.rows()[0]["name"] == "newer"

        notify = dash.page.locator("button.ccmd-notify")
        notify.click()
        until(lambda: notify.get_attribute("aria-pressed") == "true", what="notifications on")
        dash.page.evaluate("() => { window.ccmSamePage = true; }")
        marker = server.root / "dashboard-marker"
        fake.queue(Bash(f"touch {marker}", "Create a marker file"), Text("Marker created."))
        resp = server.api(
            "POST", f"sessions/{model['id']}/prompt", {"text": "create the marker", "wait": False}
        )
        assert resp.status_code == 200, resp.text

        row = dash.wait_state("claude-dash", "waiting", timeout=60)
        assert (row["badge"], row["detail"]) == ("waiting for you", "permission")
        assert dash.rows()[0]["name"] == "claude-dash", "waiting sessions go on top"
        assert row["background"] != dash.row_of("newer")["background"], "and stand out"
        assert dash.page.evaluate("() => window.ccmSamePage === true"), "live, not reloaded"
        assert dash.page.title().startswith("(1) waiting")
        notes = dash.page.evaluate("() => window.ccmNotes")
        assert [n["title"] for n in notes] == ["claude-dash is waiting for you (permission)"]
        # Its terminal shows the question, through the same view as the notebook widget.
        dash.row("claude-dash").click()
        dash.wait_screen("Do you want to proceed?")
        assert dash.page.locator(".ccmd-panel .ccm-term").get_attribute("data-state") == "waiting"
        dash.screenshot("04-claude-waiting")

        assert server.api("POST", f"sessions/{model['id']}/input", {"data": "\r"}).ok
        row = dash.wait_state("claude-dash", "idle", "busy", timeout=60)
        assert row["badge"] != "waiting for you"
        until(marker.exists, timeout=30, what="the tool ran after the answer")
        dash.wait_state("claude-dash", "idle", timeout=60)
        assert not dash.page.title().startswith("(")
        dash.screenshot("05-claude-answered")
        assert server.api("DELETE", f"sessions/{model['id']}").status_code == 204
        until(lambda: dash.row_of("claude-dash") is None, what="claude row gone")


def test_stop_resume_delete_buttons(dash: Dashboard, server: JupyterServer) -> None:
    beta = dash.row_of("beta")
    assert beta is not None
    dash.row("beta").locator("button[data-action=stop]").click()
    dash.wait_state("beta", "stopped")
    assert server.api("GET", f"sessions/{beta['id']}").json()["state"] == "stopped"
    assert dash.row("beta").locator("button[data-action=stop]").is_hidden()
    dash.screenshot("06-stopped")

    dash.row("beta").locator("button[data-action=resume]").click()
    dash.wait_state("beta", "idle")
    assert server.api("GET", f"sessions/{beta['id']}").json()["pid"]

    dash.row("beta").locator("button[data-action=delete]").click()
    confirm = dash.confirm("beta")
    assert confirm.text_content().startswith("Delete beta?")
    dash.screenshot("07-confirm-delete")
    confirm.locator("button[data-action=confirm]").click()
    until(lambda: dash.row_of("beta") is None, what="beta gone from the list")
    assert server.api("GET", f"sessions/{beta['id']}").status_code == 404


def test_delete_dirty_worktree_offers_force(dash: Dashboard, server: JupyterServer) -> None:
    form = dash.page.locator("form.ccmd-form")
    form.locator("select[name=agent]").select_option("shell")
    form.locator("input[name=name]").fill("wt")
    form.locator("input[name=worktree]").check()
    form.locator("button[type=submit]").click()
    row = dash.wait_state("wt", "idle", "starting", "busy")
    assert row["branch"] == "⎇ feature/wt"
    model = server.api("GET", f"sessions/{row['id']}").json()
    worktree = Path(model["worktree_path"])
    (worktree / "scratch.txt").write_text("not committed")

    dash.row("wt").locator("button[data-action=delete]").click()
    confirm = dash.confirm("wt")
    assert "remove its worktree" in confirm.text_content()
    confirm.locator("button[data-action=confirm]").click()
    until(lambda: "uncommitted changes" in (confirm.text_content() or ""), what="dirty")
    dash.screenshot("08-worktree-dirty")
    assert worktree.is_dir(), "nothing was removed before the person chose force"
    confirm.locator("button[data-action=confirm]").click()  # "Delete anyway"
    until(lambda: dash.row_of("wt") is None, what="wt gone from the list")
    assert not worktree.exists()


def test_event_socket_reconnects_and_relists(dash: Dashboard, server: JupyterServer) -> None:
    before = dash.list_requests()
    dash.page.evaluate("() => window.ccmDashboard.feed.ws.close()")
    dash.page.wait_for_selector(".ccmd-live[data-status='offline']")
    dash.page.wait_for_selector(".ccmd-live[data-status='live']")
    until(lambda: dash.list_requests() > before, what="a fresh list after reconnecting")
    server.create(agent="shell", name="after-reconnect")
    dash.wait_state("after-reconnect", "starting", "idle", "busy")


def test_page_needs_login(server: JupyterServer, dash: Dashboard) -> None:
    resp = requests.get(server.url + "ccmanager", allow_redirects=False, timeout=10)
    assert resp.status_code == 302 and f"{BASE_URL}login" in resp.headers["Location"]
    resp = requests.get(server.url + "ccmanager", timeout=10)
    assert "alpha" not in resp.text and "dashboard.js" not in resp.text
    assert requests.get(server.url + "ccmanager/api/sessions", timeout=10).status_code == 403

    browser = dash.page.context.browser
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + "ccmanager")
        assert "/login" in page.url
        page.wait_for_load_state("networkidle")  # all the login page loads, it has loaded
        assert page.locator("tr.ccmd-row").count() == 0
        page.screenshot(path=str(SHOTS / "09-login.png"))
    finally:
        context.close()


def test_no_page_errors(dash: Dashboard) -> None:
    # Refusals the tests provoke (403 cwd, 409 dirty worktree) are logged by the browser itself.
    errors = [
        line
        for line in dash.console
        if line.startswith(("pageerror", "error")) and "Failed to load resource" not in line
    ]
    assert not errors, errors
