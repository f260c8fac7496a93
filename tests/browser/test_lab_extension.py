"""The JupyterLab extension in a real JupyterLab (under /user/x/) and a real Chromium.

One Lab server serves the module (starting Lab is the slow part); every test
makes its own sessions and cleans them up. What is checked is what a person
sees: the Agents sidebar's rows, the tab titles, the status bar, Lab's
notification toasts, the Running panel, the Launcher; and what the server
then holds (REST), so a test cannot pass on the page alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from jupyter_ccmanager.server.demo.api import Bash, FakeAnthropic, Text, claude_env, prepare_home
from tests.helpers.browser import chromium, lab_server
from tests.helpers.launcher import JupyterServer
from tests.helpers.paths import ARTIFACTS, REPO
from tests.helpers.require import require_chromium, require_claude
from tests.helpers.waiting import until as wait_until

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "lab-extension"
DOCS_IMAGES = REPO / "docs" / "images"
SIDEBAR = "#jupyter-ccmanager-agents"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    require_chromium()
    with lab_server(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="module")
def browser(lab: JupyterServer) -> Iterator[Any]:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with chromium() as chromium_browser:
        yield chromium_browser


@pytest.fixture(autouse=True)
def _delete_sessions(lab: JupyterServer) -> Iterator[None]:
    yield
    for model in lab.sessions():
        lab.api("DELETE", f"sessions/{model['id']}", params={"force": "1"})


class Lab:
    """A JupyterLab page: the sidebar's rows, tabs, toasts, status bar."""

    def __init__(self, page: Any, lab: JupyterServer) -> None:
        self.page = page
        self.lab = lab
        self.console: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda err: self.console.append(f"pageerror: {err}"))

    def load(self, path: str = "lab") -> None:
        self.page.goto(self.lab.url_for(path, token=True))
        self.page.wait_for_function("() => !!(window.ccmLab && window.ccmLab.sidebar)")

    def show_left(self, data_id: str) -> None:
        """Bring a left-area panel to the front and make sure it shows.

        The layout restorer may still be opening (or collapsing) the left area
        when the page is ready, so one click on the tab can land before it and be
        undone, or toggle an already-current panel closed: click only while the
        panel is hidden, then give Lab a moment to apply it before looking again.
        """
        tab = self.page.locator(f'.jp-SideBar .lm-TabBar-tab[data-id="{data_id}"]')
        tab.wait_for()
        panel = self.page.locator(f"#{data_id}")

        def shown() -> bool:
            if panel.is_visible():
                return True
            tab.click()
            return False

        wait_until(shown, timeout=60, interval=1.0, what=f"the {data_id} panel shown")

    def open_sidebar(self) -> Any:
        self.show_left("jupyter-ccmanager-agents")
        self.page.locator(SIDEBAR).wait_for(state="visible")
        return self.page.locator(SIDEBAR)

    def row(self, name: str) -> Any:
        return self.page.locator(f"{SIDEBAR} tr.ccmd-row", has=self.page.locator(
            ".ccmd-name", has_text=name))  # fmt: skip

    def wait_row_state(self, name: str, *states: str, timeout: float = 60) -> str:
        # Read in one step in the page: the sidebar redraws its rows on every state
        # change, and a row counted first can be gone when its attribute is read.
        def state() -> str | None:
            value = self.page.evaluate(
                """([rows, name]) => {
                     for (const r of document.querySelectorAll(rows)) {
                       const n = r.querySelector(".ccmd-name");
                       if (n && n.textContent.includes(name)) return r.dataset.state || null;
                     }
                     return null;
                   }""",
                [f"{SIDEBAR} tr.ccmd-row", name],
            )
            return value if value in states else None

        return wait_until(state, timeout=timeout, what=f"{name} in the sidebar as {states}")

    def tab_view(self, session_id: str, what: str) -> str:
        """Run `what` (JS on `v`, the tab's TerminalView) in the page."""
        return self.page.evaluate(
            f"""(id) => {{
              const el = document.querySelector(`#ccm-session-${{id}} .ccm-term`);
              const v = el && el.ccmView;
              return v ? {what} : null;
            }}""",
            session_id,
        )

    def tab_buffer(self, session_id: str) -> str:
        return (
            self.tab_view(
                session_id,
                """(() => { const b = v.term.buffer.active, out = [];
                  for (let y = 0; y < b.length; y++)
                    out.push(b.getLine(y)?.translateToString(true) ?? '');
                  return out.join('\\n'); })()""",
            )
            or ""
        )

    def wait_tab_text(self, session_id: str, needle: str, timeout: float = 30) -> str:
        return wait_until(
            lambda: needle in (text := self.tab_buffer(session_id)) and text,
            timeout=timeout,
            what=f"{needle!r} in the tab of {session_id}",
        )

    def tab_title(self, name: str) -> Any:
        return self.page.locator(".lm-DockPanel .lm-TabBar-tab", has_text=name)

    def shot(self, name: str, locator: Any = None, docs: str = "") -> None:
        path = SHOTS / f"{name}.png"
        (locator or self.page).screenshot(path=str(path))
        if docs and os.environ.get("CCM_UPDATE_DOCS_IMAGES"):  # the README's pictures
            DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS_IMAGES / docs)

    def save_console(self, name: str) -> None:
        (SHOTS / f"{name}-console.log").write_text("\n".join(self.console))


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Any, lab: JupyterServer) -> Iterator[Lab]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    raw = context.new_page()
    raw.set_default_timeout(60_000)
    view = Lab(raw, lab)
    try:
        yield view
    finally:
        view.save_console(request.node.name)
        context.close()


def create(lab: JupyterServer, **body: Any) -> dict[str, Any]:
    resp = lab.api("POST", "sessions", body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def state_of(lab: JupyterServer, sid: str) -> str | None:
    resp = lab.api("GET", f"sessions/{sid}")
    return resp.json()["state"] if resp.status_code == 200 else None


def test_sidebar_lists_rest_and_kernel_sessions_live(page: Lab, lab: JupyterServer) -> None:
    rest = create(lab, name="rest-made", agent="shell")
    # The kernel-side Python API, as a notebook kernel uses it (it finds the
    # server through the variables the server exports to its kernels).
    env = {
        **os.environ,
        "JUPYTER_CCMANAGER_URL": lab.url,
        "JUPYTER_CCMANAGER_TOKEN": lab.token,
    }
    code = "import jupyter_ccmanager as ccm; print(ccm.start(agent='shell', name='kernel-made').id)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=lab.root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    page.load()
    sidebar = page.open_sidebar()
    for name in ("rest-made", "kernel-made"):
        page.wait_row_state(name, "idle", "busy")
    row = page.row("rest-made")
    assert row.locator(".ccmd-agent").inner_text() == "shell"
    assert row.locator(".ccm-badge").inner_text() in ("idle", "busy")
    # Made while the page is open: it appears with no reload (the event bus).
    create(lab, name="made-later", agent="shell")
    page.wait_row_state("made-later", "starting", "idle", "busy")
    page.shot("sidebar", sidebar)

    # The Running panel has a section of its own, with names and states.
    page.page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jp-running-sessions"]').click()
    item = page.page.locator(".jp-RunningSessions-item.ccml-running-item", has_text="rest-made")
    item.wait_for()
    assert item.locator(".jp-RunningSessions-itemDetail").inner_text() in ("idle", "busy")
    item.locator(".jp-RunningSessions-itemLabel").click()
    page.tab_title("rest-made").wait_for()
    item.hover()
    item.get_by_title("Stop", exact=True).click()
    wait_until(lambda: state_of(lab, rest["id"]) == "stopped", what="stopped from Running")
    item.wait_for(state="detached")


def test_tab_replays_takes_typing_and_survives_reload(page: Lab, lab: JupyterServer) -> None:
    model = create(lab, name="tab-demo", agent="shell")
    sid = model["id"]
    lab.api("POST", f"sessions/{sid}/input", {"data": "echo before-$((2+3))\r"})
    wait_until(
        lambda: b"before-5" in lab.api("GET", f"sessions/{sid}/output").content,
        what="output before the tab opens",
    )
    page.load()
    page.open_sidebar()
    page.wait_row_state("tab-demo", "idle", "busy")
    page.row("tab-demo").locator("[data-action=open]").click()
    title = page.tab_title("tab-demo")
    title.wait_for()
    wait_until(lambda: "tab-demo · idle" in title.inner_text(), what="name and state in the title")
    page.wait_tab_text(sid, "before-5")  # replayed from the session's buffer
    page.page.locator(f"#ccm-session-{sid} .xterm-screen").click()
    page.page.wait_for_function(
        """(id) => document.activeElement ===
             document.querySelector(`#ccm-session-${id} .ccm-term`).ccmView.term.textarea""",
        arg=sid,
    )
    # Ctrl+B would toggle Lab's sidebar if the shortcut were not suppressed.
    page.page.keyboard.type("echo typed-$((6*7))")
    page.page.keyboard.press("Enter")
    page.wait_tab_text(sid, "typed-42")
    assert b"typed-42" in lab.api("GET", f"sessions/{sid}/output").content
    page.shot("tab", docs="lab-tab.png")

    # After a reload the layout restorer opens the tab again, with its history.
    page.page.reload()
    page.page.wait_for_function("() => !!(window.ccmLab && window.ccmLab.sidebar)")
    page.tab_title("tab-demo").wait_for()
    text = page.wait_tab_text(sid, "typed-42")
    assert "before-5" in text


def test_stop_resume_delete_from_the_sidebar(page: Lab, lab: JupyterServer) -> None:
    model = create(lab, name="life", agent="shell")
    sid = model["id"]
    page.load()
    page.open_sidebar()
    row = page.row("life")
    page.wait_row_state("life", "idle", "busy")
    row.locator("[data-action=stop]").click()
    page.wait_row_state("life", "stopped")
    assert state_of(lab, sid) == "stopped"
    row.locator("[data-action=resume]").click()
    page.wait_row_state("life", "starting", "idle", "busy")
    assert state_of(lab, sid) in ("starting", "idle", "busy")
    row.locator("[data-action=delete]").click()
    page.page.locator(f"{SIDEBAR} .ccmd-confirm [data-action=confirm]").click()
    row.wait_for(state="detached")
    assert lab.api("GET", f"sessions/{sid}").status_code == 404

    # A worktree with uncommitted changes: the server refuses, the sidebar asks.
    repo = lab.root / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (repo / "README").write_text("hello\n")
    subprocess.run([*git, "add", "README"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    wt = create(lab, name="dirty", agent="shell", cwd="repo", worktree=True)
    (Path(wt["worktree_path"]) / "new-file.txt").write_text("uncommitted\n")
    row = page.row("dirty")
    page.wait_row_state("dirty", "idle", "busy")
    row.locator("[data-action=delete]").click()
    page.page.locator(f"{SIDEBAR} .ccmd-confirm [data-action=confirm]").click()
    again = page.page.locator(f"{SIDEBAR} .ccmd-confirm", has_text="Delete anyway")
    again.wait_for()
    assert lab.api("GET", f"sessions/{wt['id']}").status_code == 200, "nothing deleted yet"
    assert Path(wt["worktree_path"]).is_dir()
    again.locator("[data-action=confirm]").click()
    row.wait_for(state="detached")
    assert lab.api("GET", f"sessions/{wt['id']}").status_code == 404
    assert not Path(wt["worktree_path"]).exists()


def test_launcher_card_starts_claude_in_browser_folder(page: Lab, lab: JupyterServer) -> None:
    require_claude()
    folder = lab.root / "proj" / "sub"
    folder.mkdir(parents=True)
    page.load("lab/tree/proj/sub")  # the file browser opens there
    page.show_left("filebrowser")
    crumbs = page.page.locator(".jp-FileBrowser .jp-BreadCrumbs")
    wait_until(lambda: "sub" in crumbs.inner_text(), what="the file browser in proj/sub")
    new_launcher = ".jp-FileBrowser .jp-ToolbarButtonComponent[data-command='launcher:create']"
    page.page.locator(new_launcher).click()
    card = page.page.locator(".jp-Launcher .jp-LauncherCard", has_text="Claude Code")
    card.last.click()
    made = wait_until(lambda: lab.sessions(), what="a session from the Launcher")
    assert made[0]["agent"] == "claude"
    assert Path(made[0]["cwd"]).resolve() == folder.resolve()
    page.tab_title(made[0]["name"]).wait_for()  # and its tab opened


@pytest.fixture
def fake_api() -> Iterator[FakeAnthropic]:
    require_claude()
    with FakeAnthropic() as api:
        yield api


@pytest.mark.claude
def test_claude_waiting_shown_live_one_notification_and_status_count(
    page: Lab, lab: JupyterServer, fake_api: FakeAnthropic, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    prepare_home(home, [lab.root])
    model = create(lab, name="feature-x", agent="claude", env=claude_env(fake_api.url, home))
    sid = model["id"]
    page.load()
    page.open_sidebar()
    page.wait_row_state("feature-x", "idle", timeout=90)
    # Every state the page's store goes through, in order (the sidebar, the
    # status bar and the notifier all draw from it).
    page.page.evaluate(
        """(id) => { window.ccmSeen = [];
           window.ccmLab.sessions.changed.connect((_, c) => {
             if (c.id === id && c.model) window.ccmSeen.push(c.model.state); }); }""",
        sid,
    )
    status = page.page.locator(".ccml-status")
    assert not status.is_visible(), "no status item while nobody waits"
    marker = lab.root / "marker"
    fake_api.queue(Bash(f"touch {marker}", "Create a marker file"), Text("I created the marker."))
    resp = lab.api("POST", f"sessions/{sid}/prompt", {"text": "create the marker", "wait": False})
    assert resp.status_code == 200, resp.text

    page.wait_row_state("feature-x", "waiting")
    row = page.row("feature-x")
    assert "permission" in row.locator(".ccmd-detail").inner_text()
    first = page.page.locator(f"{SIDEBAR} tr.ccmd-row").first
    assert first.locator(".ccmd-name").inner_text() == "feature-x", "waiting sessions come first"
    toast = page.page.locator(".Toastify__toast", has_text="feature-x needs you")
    toast.wait_for()
    assert "feature-x needs you: permission" in toast.inner_text()
    assert toast.count() == 1
    status.wait_for(state="visible")
    assert status.inner_text().strip() == "1 waiting"
    # The toast slides in from the right: shoot once it is all in view.
    wait_until(
        lambda: (box := toast.bounding_box()) and box["x"] + box["width"] <= 1400,
        what="the notification fully in view",
    )
    page.shot("waiting", docs="lab-waiting.png")
    page.shot("sidebar-waiting", page.page.locator(SIDEBAR), docs="lab-sidebar.png")

    # "Open" on the notification opens the tab; answering there lets the tool run.
    toast.get_by_role("button", name="Open").click()
    page.tab_title("feature-x").wait_for()
    page.wait_tab_text(sid, "Do you want to proceed?")
    page.page.locator(f"#ccm-session-{sid} .xterm-screen").click()
    page.page.keyboard.press("Enter")  # "1. Yes" is selected
    page.wait_row_state("feature-x", "idle")
    wait_until(marker.exists, what="the Bash tool to run after the answer")
    toast.wait_for(state="detached")
    status.wait_for(state="hidden")
    seen = page.page.evaluate("() => window.ccmSeen")
    assert "busy" in seen and "waiting" in seen and seen[-1] == "idle", seen
    assert seen.index("busy") < seen.index("waiting"), seen
    assert page.page.evaluate("() => window.ccmLab.notifier.count") == 1
    assert page.page.locator(".Toastify__toast", has_text="needs you").count() == 0


def test_follows_the_lab_theme(page: Lab, lab: JupyterServer) -> None:
    model = create(lab, name="themed", agent="shell")
    page.load()
    page.open_sidebar()
    page.wait_row_state("themed", "idle", "busy")
    page.row("themed").locator("[data-action=open]").click()
    term = page.page.locator(f"#ccm-session-{model['id']} .ccm-term")
    term.wait_for()
    sidebar_bg = f"() => getComputedStyle(document.querySelector('{SIDEBAR}')).backgroundColor"
    light = page.page.evaluate(sidebar_bg)
    assert "ccm-dark" not in (term.get_attribute("class") or "")

    def choose_theme(name: str) -> None:
        page.page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
        page.page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
        page.page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{name}$")).click()

    choose_theme("JupyterLab Dark")
    try:
        page.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
        wait_until(
            lambda: "ccm-dark" in (term.get_attribute("class") or ""), what="a dark terminal"
        )
        wait_until(lambda: page.page.evaluate(sidebar_bg) != light, what="a dark sidebar")
        page.shot("dark", docs="lab-dark.png")
    finally:
        choose_theme("JupyterLab Light")
        page.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")


def test_palette_commands_new_in_worktree_stop_resume(page: Lab, lab: JupyterServer) -> None:
    repo = lab.root / "palette-repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "init"], check=True)
    # The palette's agent is a setting: shell here, so the test needs no claude.
    settings = lab.url_for("lab/api/settings/jupyter-ccmanager:plugin")
    resp = requests.put(settings, json={"raw": '{"defaultAgent": "shell"}'}, headers=lab.headers)
    assert resp.status_code == 204, resp.text
    page.load("lab/tree/palette-repo")
    page.show_left("filebrowser")
    crumbs = page.page.locator(".jp-FileBrowser .jp-BreadCrumbs")
    wait_until(lambda: "palette-repo" in crumbs.inner_text(), what="the file browser in the repo")

    def run(label: str) -> None:
        # Not from inside a session tab: there Lab's shortcuts go to the terminal.
        page.page.locator(".jp-FileBrowser .jp-DirListing-content").click()
        page.page.keyboard.press("Control+Shift+C")
        search = page.page.locator(".lm-CommandPalette-input")
        search.fill(label)
        page.page.locator(".lm-CommandPalette-item", has_text=label).first.click()

    run("New Agent Session in a Git Worktree")
    made = wait_until(lab.sessions, what="a session from the palette")[0]
    assert made["agent"] == "shell" and made["worktree_path"], made
    assert made["branch"] == f"feature/{made['name']}"
    page.tab_title(made["name"]).wait_for()

    def pick(title: str) -> None:
        dialog = page.page.locator(".jp-Dialog", has_text=title)
        dialog.wait_for()
        # Options read "name (state)" as of when the dialog opened: match the name.
        select = dialog.locator("select")
        labels = select.locator("option").all_inner_texts()
        select.select_option(label=next(t for t in labels if t.startswith(f"{made['name']} (")))
        dialog.locator(".jp-mod-accept").click()

    wait_until(lambda: state_of(lab, made["id"]) in ("idle", "busy"), what="running")
    run("Stop Agent Session")
    pick("Stop session")
    wait_until(lambda: state_of(lab, made["id"]) == "stopped", what="stopped from the palette")
    run("Resume Agent Session")
    pick("Resume session")
    wait_until(lambda: state_of(lab, made["id"]) in ("idle", "busy"), what="resumed")
    requests.put(settings, json={"raw": "{}"}, headers=lab.headers)
