"""The notebook widget in real JupyterLab, in real Chromium (Python playwright).

One JupyterLab subprocess (token, ``base_url=/user/x/``) and one page serve the
whole module; the tests run the cells of a pre-written notebook in order, as a
person would, and read what xterm.js holds through the view handle the widget
exposes (``.ccm-term`` → ``ccmView``). Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

import pytest

from jupyter_ccmanager.server.demo.api import Bash, FakeAnthropic, Text, claude_env, prepare_home
from tests.helpers.browser import (
    BASE_URL,
    JS_WATCH_TITLE,
    LabPage,
    lab_server,
    notebook_page,
    settle,
    write_notebook,
)
from tests.helpers.launcher import ROOT_PROMPT, JupyterServer
from tests.helpers.paths import ARTIFACTS
from tests.helpers.require import require_chromium, require_claude
from tests.helpers.waiting import until

pytestmark = pytest.mark.browser


SHELL, SECOND_VIEW, CLAUDE, FLOOD = range(4)
CELLS = {
    SHELL: 'import jupyter_ccmanager as ccm\ns = ccm.start(agent="shell", name="web")\ns',
    SECOND_VIEW: "# a second view of the same session\ns",
    CLAUDE: (
        "import json\n"
        'c = ccm.start(agent="claude", name="claude-web", env=json.load(open("claude_env.json")))\n'
        "c"
    ),
    FLOOD: 'f = ccm.start(agent="shell", name="flood")\nf',
}
PROMPT = ROOT_PROMPT
FLOOD_BYTES = 50_000_000
# The PTY outruns xterm.js here (~12 vs ~8 MB/s), so with the default 8 MiB
# replay buffer the view falls out of it and skips the middle of the flood, which
# may hold the echo the flood test looks for. Keep the whole flood instead.
REPLAY_BUFFER = 128 * 2**20
SHOTS = ARTIFACTS / "browser"


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as api:
        yield api


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory, fake_api: FakeAnthropic
) -> Iterator[JupyterServer]:
    require_chromium()
    tmp = tmp_path_factory.mktemp("lab")
    server = lab_server(tmp, f"--CCSessionManager.replay_buffer_bytes={REPLAY_BUFFER}")
    claude_home = tmp / "claude-home"
    prepare_home(claude_home, [server.root])
    (server.root / "claude_env.json").write_text(json.dumps(claude_env(fake_api.url, claude_home)))
    write_notebook(server.root / "demo.ipynb", [CELLS[i] for i in sorted(CELLS)])
    with server:
        yield server


@pytest.fixture(scope="module")
def nb(lab: JupyterServer) -> Iterator[LabPage]:
    with notebook_page(lab, "demo.ipynb", SHOTS, width=1400) as view:
        yield view


@pytest.fixture(autouse=True)
def _final_screenshot(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test leaves a screenshot of how the page looked at its end."""
    yield
    if "nb" in request.fixturenames:
        # The page may be gone; the test's own outcome matters more.
        with contextlib.suppress(Exception):
            request.getfixturevalue("nb").screenshot(f"end-{request.node.name}")


def test_notebook_terminal_end_to_end(nb: LabPage, lab: JupyterServer) -> None:
    config = nb.page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)"
    )
    assert config["baseUrl"] == BASE_URL
    labextensions = {e["name"] for e in config.get("federated_extensions", [])}
    assert {"anywidget", "@jupyter-widgets/jupyterlab-manager"} <= labextensions

    nb.run_cell(SHELL)
    term = nb.wait_view(SHELL)
    nb.wait_text(SHELL, PROMPT)
    assert term.locator(".xterm").count() == 1
    assert term.locator(".ccm-name").text_content() == "web"
    size = nb.size(SHELL)
    assert size["height"] == 420 and size["rows"] >= 20, f"the view fills its 420px: {size}"
    session = lab.session("web")
    # The view talks to the server's socket under the base_url (not the kernel relay).
    socket = f"ws://127.0.0.1:{lab.port}{BASE_URL}ccmanager/api/sessions/{session['id']}/ws"
    until(lambda: any(url.startswith(socket) for url in nb.sockets), what="session socket")
    until(lambda: term.locator(".ccm-conn").get_attribute("data-status") == "connected")

    nb.focus_terminal(SHELL)
    nb.page.keyboard.type("echo typed-$((3*4))")
    nb.page.keyboard.press("Enter")
    screen = nb.wait_text(SHELL, "typed-12")
    assert "echo typed-$((3*4))" in screen, screen
    # The keys reached the PTY: bash computed the answer, and the server has it too.
    out = lab.api("GET", f"sessions/{session['id']}/output?offset=0").content
    assert b"typed-12" in out
    assert nb.wait_badge(SHELL, "idle")["text"] == "idle"
    nb.screenshot("01-shell-typed")
    assert not [line for line in nb.console if line.startswith("pageerror")], nb.console


def test_second_view_replays_earlier_output(nb: LabPage, lab: JupyterServer) -> None:
    session = lab.session("web")
    assert lab.api("POST", f"sessions/{session['id']}/input", {"data": "echo api-$((5+2))\r"}).ok
    nb.wait_text(SHELL, "api-7")

    nb.run_cell(SECOND_VIEW)
    nb.wait_view(SECOND_VIEW)
    # Replay: everything the session printed before this view existed.
    screen = nb.wait_text(SECOND_VIEW, "api-7")
    assert "typed-12" in screen and PROMPT in screen
    assert lab.session("web")["clients"] >= 2

    # Both views are live: typing in the second shows up in the first.
    nb.focus_terminal(SECOND_VIEW)
    nb.page.keyboard.type("echo second-$((2*5))")
    nb.page.keyboard.press("Enter")
    nb.wait_text(SECOND_VIEW, "second-10")
    first = nb.wait_text(SHELL, "second-10")
    assert first.count("second-10") == 1, "output shows once per view, never duplicated"
    nb.screenshot("02-second-view")


def test_ctrl_b_in_terminal_does_not_toggle_sidebar(nb: LabPage) -> None:
    sidebar = nb.page.locator("#jp-left-stack")
    assert sidebar.is_visible(), "a fresh workspace shows the file browser"

    nb.focus_terminal(SHELL)
    # bash says when it has left the prompt's line editor (which would take Ctrl+B itself)
    nb.page.keyboard.type("echo reading-$((6+1)); read -rsn1 k; ")
    nb.page.keyboard.type("""echo "key=$(printf %s "$k" | od -An -tx1 | tr -d ' ')\"""")
    nb.page.keyboard.press("Enter")
    nb.wait_text(SHELL, "reading-7")
    nb.page.keyboard.press("Control+b")
    nb.wait_text(SHELL, "key=02")  # Ctrl+B is byte 0x02 in the PTY
    settle(nb.page)  # whatever the key did in the page is drawn by now
    assert sidebar.is_visible(), "Ctrl+B in the terminal must not toggle the sidebar"
    nb.screenshot("03-ctrl-b-in-terminal")

    # Control: outside the terminal the same key does toggle JupyterLab's sidebar.
    nb.cell(SECOND_VIEW).locator(".jp-InputPrompt").click()
    nb.page.keyboard.press("Control+b")
    sidebar.wait_for(state="hidden", timeout=5000)
    nb.page.keyboard.press("Control+b")
    sidebar.wait_for(state="visible", timeout=5000)


def test_claude_badge_waiting_and_back(
    nb: LabPage, lab: JupyterServer, fake_api: FakeAnthropic
) -> None:
    require_claude()
    nb.run_cell(CLAUDE)
    term = nb.wait_view(CLAUDE)
    nb.wait_badge(CLAUDE, "idle", timeout=90)
    size = nb.size(CLAUDE)
    assert size["height"] >= 400 and size["rows"] >= 20, size

    marker = lab.root / "browser-marker"
    fake_api.queue(Bash(f"touch {marker}", "Create a marker file"), Text("Marker created."))
    nb.focus_terminal(CLAUDE)
    nb.page.keyboard.type("create the marker")
    nb.wait_text(CLAUDE, "create the marker")  # the CLI has the whole line before Enter
    nb.page.keyboard.press("Enter")

    badge = nb.wait_badge(CLAUDE, "waiting", timeout=60)
    assert badge["text"] == "waiting for you"
    assert term.get_attribute("data-state") == "waiting", "the whole frame shows it"
    assert "Do you want to proceed?" in nb.wait_text(CLAUDE, "Do you want to proceed?")
    model = lab.session("claude-web")
    assert (model["state"], model["state_detail"]) == ("waiting", "permission")
    assert not marker.exists()
    nb.screenshot("04-claude-waiting")

    nb.page.keyboard.press("Enter")  # "1. Yes" is preselected
    badge = nb.wait_badge(CLAUDE, "idle", timeout=60)
    assert badge["text"] == "idle"
    assert term.get_attribute("data-state") == "idle"
    assert marker.exists(), "the tool ran once the person said yes in the browser"
    nb.wait_text(CLAUDE, "Marker created.", whole=True)
    size = nb.size(CLAUDE)
    assert size["height"] >= 400 and size["rows"] >= 20, size
    nb.screenshot("05-claude-idle-again")


def test_flood_keeps_page_responsive(nb: LabPage, lab: JupyterServer) -> None:
    nb.run_cell(FLOOD)
    nb.wait_view(FLOOD)
    nb.wait_text(FLOOD, PROMPT)
    nb.page.evaluate(JS_WATCH_TITLE, FLOOD)
    nb.focus_terminal(FLOOD)
    # The flood runs in the background; the foreground `read` answers whatever is
    # typed during it, by a line and a window title (OSC 0) that xterm.js reports
    # when it parses it.
    nb.page.keyboard.type(
        f"(yes | head -c {FLOOD_BYTES}; echo; echo FLOOD-DONE) & read -r line; "
        r"""printf '\033]0;GOT:%s\007GOT:%s\n' "$line" "$line"; wait"""
    )
    nb.page.keyboard.press("Enter")

    latencies: list[float] = []

    def stream() -> dict[str, int]:
        start = time.monotonic()
        value = nb.stream(FLOOD)
        latencies.append(time.monotonic() - start)
        return value

    started = time.monotonic()
    until(lambda: stream()["received"] > 1_000_000, timeout=60, what="flood under way")
    typing = time.monotonic()
    nb.page.keyboard.type("hello-flood")
    nb.page.keyboard.press("Enter")
    typing = time.monotonic() - typing
    mid = stream()
    nb.screenshot("06-flood-under-way")

    until(lambda: stream() and "FLOOD-DONE" in nb.screen(FLOOD), timeout=180, what="end of flood")
    nb.wait_text(FLOOD, PROMPT)
    total = lab.session("flood")["offset"]
    final = until(lambda: (s := stream())["processed"] >= total and s, what="catch up")
    elapsed = time.monotonic() - started
    nb.screenshot("07-flood-done")

    titles = nb.page.evaluate("() => window.ccmTitles")
    gaps = nb.page.evaluate("() => window.ccmGaps")
    got = [t for t in titles if t["title"] == "GOT:hello-flood"]
    # Where the flood ended in the stream (the replay buffer still holds the tail).
    tail_from = max(0, total - 4 * 2**20)
    tail = lab.api("GET", f"sessions/{lab.session('flood')['id']}/output?offset={tail_from}")
    flood_end = int(tail.headers["X-CCM-Offset"]) + tail.content.rindex(b"FLOOD-DONE")
    report = {
        "flood_bytes_on_wire": total,
        "seconds": round(elapsed, 1),
        "typing_seconds": round(typing, 2),
        "stream_at_typing": mid,
        "max_evaluate_latency": round(max(latencies), 3),
        "evaluate_calls": len(latencies),
        "title_seen": got,
        "gaps": gaps,
        "flood_end_offset": flood_end,
        "final_stream": final,
    }
    (SHOTS / "flood.json").write_text(json.dumps(report, indent=2))
    assert got, f"the answer to what was typed during the flood never got parsed: {report}"
    assert got[0]["processed"] < flood_end, f"typed echo arrived only after the flood: {report}"
    assert total > FLOOD_BYTES  # "y\n" becomes "y\r\n" on the terminal
    assert not gaps, f"the view skipped output although the buffer holds it all: {report}"
    assert max(latencies) < 5, f"the page stalled during the flood: {report}"

    # And the terminal is still perfectly usable.
    nb.page.keyboard.type("echo after-$((40+2))")
    nb.page.keyboard.press("Enter")
    nb.wait_text(FLOOD, "after-42")


def test_no_page_errors(nb: LabPage) -> None:
    errors = [line for line in nb.console if line.startswith("pageerror")]
    assert not errors, errors
