"""The extension under a real JupyterHub (:mod:`tests.helpers.hub`), with two users.

One hub serves the module: alice's and bob's single-user servers are spawned
once. Each browser test logs in through the hub's own login page; REST calls
use tokens the hub issued to the users. The last test stops alice's server
from the hub, which stops it with SIGINT and no TTY, as every spawner does.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from jupyter_ccmanager.server.procs import session_members
from tests.helpers import openapi
from tests.helpers.browser import LabPage, chromium, write_notebook
from tests.helpers.commands import STUBBORN
from tests.helpers.hub import PASSWORD, JupyterHub
from tests.helpers.paths import ARTIFACTS
from tests.helpers.require import require_chromium, require_claude
from tests.helpers.waiting import gone, until, wait_gone

pytestmark = pytest.mark.hub

SHOTS = ARTIFACTS / "hub"
USERS = ["alice", "bob"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterHub]:
    require_chromium()
    require_claude()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with JupyterHub(tmp_path_factory.mktemp("hub"), USERS) as running:
        for user in USERS:
            running.start_server(user)
        yield running
        killed = running.stop()
    assert not killed, f"still running after the hub stopped, killed by pid: {killed}"


@pytest.fixture(scope="module")
def tokens(hub: JupyterHub) -> dict[str, str]:
    return {user: hub.new_token(user) for user in USERS}


def ccm(hub: JupyterHub, user: str, token: str, method: str, path: str, body: Any = None) -> Any:
    """A REST call to ``user``'s extension with ``token``."""
    return requests.request(
        method, hub.user_url(user, "ccmanager/api/" + path), json=body, timeout=30,
        headers={"Authorization": f"token {token}"},
    )  # fmt: skip


def create(hub: JupyterHub, user: str, token: str, **body: Any) -> dict[str, Any]:
    resp = ccm(hub, user, token, "POST", "sessions", body)
    assert resp.status_code == 201, resp.text
    model: dict[str, Any] = resp.json()
    return model


def output(hub: JupyterHub, user: str, token: str, sid: str) -> bytes:
    resp = ccm(hub, user, token, "GET", f"sessions/{sid}/output?offset=0")
    assert resp.status_code == 200, resp.text
    return resp.content


@contextlib.contextmanager
def logged_in(hub: JupyterHub, user: str) -> Iterator[Any]:
    """A Chromium page logged in as ``user`` through the hub's login form."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(60_000)
        console: list[str] = []
        page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
        page.goto(hub.url + "/hub/login")
        page.fill("#username_input", user)
        page.fill("#password_input", PASSWORD)
        page.click("#login_submit")
        page.wait_for_url(f"**/user/{user}/**")  # the hub sends a person to their server
        try:
            yield page
        except BaseException:
            page.screenshot(path=str(SHOTS / f"failed-{user}.png"))
            raise
        finally:
            (SHOTS / f"console-{user}.log").write_text("\n".join(console))


JS_ROWS = """() => [...document.querySelectorAll('tr.ccmd-row')].map((r) => ({
  name: r.querySelector('.ccmd-name').textContent, state: r.dataset.state,
}))"""
JS_PANEL_SCREEN = """() => {
  const el = document.querySelector('.ccmd-panel .ccm-term');
  return el && el.ccmView ? el.ccmView.screenText().join('\\n') : '';
}"""


def test_dashboard_lists_and_creates_sessions(hub: JupyterHub, tokens: dict[str, str]) -> None:
    """The dashboard at /user/alice/ccmanager works from the hub's login cookie alone
    (JupyterHub wants XSRF on cookie-authenticated GETs too)."""
    listed = create(hub, "alice", tokens["alice"], agent="shell", name="made-by-rest")
    with logged_in(hub, "alice") as page:
        page.goto(hub.user_url("alice", "ccmanager"))
        page.wait_for_selector(".ccmd-live[data-status='live']")

        def rows() -> dict[str, str]:
            return {r["name"]: r["state"] for r in page.evaluate(JS_ROWS)}

        until(lambda: "made-by-rest" in rows(), 60, what=f"{listed['name']} listed")
        form = page.locator("form.ccmd-form")
        form.locator("select[name=agent]").select_option("shell")
        form.locator("input[name=name]").fill("made-in-hub")
        form.locator("button[type=submit]").click()
        until(lambda: rows().get("made-in-hub") == "idle", 60, what="made-in-hub idle")
        until(lambda: "alice$" in page.evaluate(JS_PANEL_SCREEN), 60, what="alice's prompt")
        page.screenshot(path=str(SHOTS / "dashboard.png"))
    made = [
        m for m in ccm(hub, "alice", tokens["alice"], "GET", "sessions").json()
        if m["name"] == "made-in-hub"
    ]  # fmt: skip
    assert made and made[0]["user"] == "alice", made
    assert made[0]["cwd"] == str(hub.home("alice")), "the single-user server's root"


def test_widget_and_start_in_lab_without_connect(hub: JupyterHub, tokens: dict[str, str]) -> None:
    """ccm.start() in a kernel finds its server under the hub by itself; the widget shows
    the real claude CLI (demo mode), and a prompt gets the stand-in API's reply."""
    write_notebook(hub.home("alice") / "hub.ipynb", [
        "import jupyter_ccmanager as ccm\ns = ccm.start(name='from-lab')\ns",
        "print(s.prompt('hello from the hub', timeout=180))",
    ])  # fmt: skip
    with logged_in(hub, "alice") as page:
        lab = LabPage(page, SHOTS)
        lab.open_notebook(UserServer(hub, "alice", tokens["alice"]), "hub.ipynb")  # type: ignore[arg-type]
        lab.run_cell(0)
        lab.wait_view(0, timeout=90)
        lab.wait_text(0, "? for shortcuts", timeout=120)  # claude's prompt box, ready
        lab.run_cell(1)
        out = lab.cell(1).locator(".jp-OutputArea-output")
        until(lambda: "you said" in (out.all_inner_texts() or [""])[-1], 180, what="the reply")
        assert "hello from the hub" in out.all_inner_texts()[-1]
        lab.screenshot("lab")
    model = next(
        m for m in ccm(hub, "alice", tokens["alice"], "GET", "sessions").json()
        if m["name"] == "from-lab"
    )  # fmt: skip
    assert model["agent"] == "claude" and model["user"] == "alice", model


class UserServer:
    """A user's single-user server as :meth:`LabPage.open_notebook` addresses a server
    (the browser is logged in already: no token in page URLs)."""

    def __init__(self, hub: JupyterHub, user: str, token: str) -> None:
        self.hub, self.user = hub, user
        self.headers = {"Authorization": f"token {token}"}

    def url_for(self, path: str = "", token: bool = False) -> str:
        return self.hub.user_url(self.user, path)


def _foreign_requests(sid: str) -> Iterator[tuple[str, str]]:
    """Every method and path of rest-api.yml, on one of alice's sessions."""
    for op in openapi.operations():
        yield op.method, op.path.lstrip("/").replace("{session_id}", sid)


def test_other_users_token_and_cookie_get_403_everywhere(
    hub: JupyterHub, tokens: dict[str, str]
) -> None:
    own = create(hub, "alice", tokens["alice"], agent="shell", name="alice-own")
    before = ccm(hub, "alice", tokens["alice"], "GET", "sessions").json()
    with logged_in(hub, "bob") as page:  # bob's own login: hub cookies and his server's
        page.goto(hub.user_url("bob", "ccmanager"))
        page.wait_for_selector(".ccmd-live[data-status='live']")
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert "jupyterhub-user-bob" in cookies, cookies
    # Bob's server cookie, also under the name alice's server reads, with its XSRF pair.
    jar = {**cookies, "jupyterhub-user-alice": cookies["jupyterhub-user-bob"]}
    cookie_header = "; ".join(f"{k}={v}" for k, v in jar.items())
    credentials = {
        "token": {"Authorization": f"token {tokens['bob']}"},
        "cookie": {"Cookie": cookie_header, "X-XSRFToken": cookies.get("_xsrf", "")},
    }
    answers = []
    for how, headers in credentials.items():
        for method, path in _foreign_requests(own["id"]):
            body = {} if method in ("POST", "PATCH") else None
            resp = requests.request(
                method, hub.user_url("alice", "ccmanager/api/" + path), json=body,
                headers=headers, timeout=30, allow_redirects=False,
            )  # fmt: skip
            answers.append((how, method, path, resp.status_code))
            assert resp.status_code == 403, (how, method, path, resp.status_code, resp.text)
            assert resp.headers["Content-Type"].startswith("application/json"), resp.text
            assert set(resp.json()) == {"code", "message"}, resp.text
        # And the WebSocket handshake itself.
        assert asyncio.run(_ws_status(hub, own["id"], headers)) == 403, how
    assert len(answers) == 2 * len(list(openapi.operations()))
    after = ccm(hub, "alice", tokens["alice"], "GET", "sessions").json()
    keep = ("id", "name", "pid", "labels", "cols", "rows")
    assert [{k: m[k] for k in keep} for m in after] == [{k: m[k] for k in keep} for m in before]


async def _ws_status(hub: JupyterHub, sid: str, headers: dict[str, str]) -> int:
    url = hub.user_url("alice", f"ccmanager/api/sessions/{sid}/ws").replace("http", "ws", 1)
    try:
        ws = await websocket_connect(HTTPRequest(url, headers=headers))
    except HTTPClientError as err:
        return err.code
    ws.close()
    return 101


def _when(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_last_activity_advances_while_a_session_prints(
    hub: JupyterHub, tokens: dict[str, str]
) -> None:
    """Nothing but a printing session happens: alice's server's last_activity, and the
    hub's (which jupyterhub-idle-culler reads), still move on."""
    script = "for i in $(seq 1 2000); do echo tick $i; sleep 0.2; done"
    sid = create(hub, "alice", tokens["alice"], command=["bash", "-c", script], name="ticker")
    status = requests.get(
        hub.user_url("alice", "api/status"),
        headers={"Authorization": f"token {tokens['alice']}"}, timeout=30,
    ).json()  # fmt: skip
    start = _when(status["last_activity"])  # the create request itself counts; from here on,
    later = start + dt.timedelta(seconds=3)  # only the hub API (as the tests' service) is used

    def hub_activity() -> dt.datetime | None:
        seen = _when(hub.user_model("alice")["servers"][""]["last_activity"])
        return seen if seen > later else None

    until(hub_activity, timeout=90, interval=0.5, what="the hub's last_activity to advance")
    status = requests.get(
        hub.user_url("alice", "api/status"),
        headers={"Authorization": f"token {tokens['alice']}"}, timeout=30,
    ).json()  # fmt: skip
    assert _when(status["last_activity"]) > later, status
    assert b"tick" in output(hub, "alice", tokens["alice"], sid["id"])
    assert ccm(hub, "alice", tokens["alice"], "DELETE", f"sessions/{sid['id']}").status_code == 204


ESCAPEES = "sleep 1000 & disown; (trap '' HUP TERM INT; sleep 1001) & echo jobs-$((3*3))\r"


def test_hub_stop_keeps_last_output_and_leaves_no_process(
    hub: JupyterHub, tokens: dict[str, str]
) -> None:
    """The hub stops the server with SIGINT (no TTY): the output up to that moment is kept,
    and no process of any session survives it, not even disowned or signal-ignoring jobs."""
    token = tokens["alice"]
    sid = create(hub, "alice", token, agent="shell", name="last-words")["id"]
    until(lambda: b"alice$" in output(hub, "alice", token, sid), 30, what="the prompt")
    resp = ccm(hub, "alice", token, "POST", f"sessions/{sid}/input", {"data": ESCAPEES})
    assert resp.status_code == 200, resp.text
    until(lambda: b"jobs-9" in output(hub, "alice", token, sid), 30, what="the jobs started")
    stubborn = create(hub, "alice", token, command=["sh", "-c", STUBBORN], name="stubborn")
    until(lambda: b"ready" in output(hub, "alice", token, stubborn["id"]), 30, what="ready")
    running = [m for m in ccm(hub, "alice", token, "GET", "sessions").json() if m["pid"]]
    assert {m["name"] for m in running} >= {"last-words", "stubborn"}, running
    members = sorted({p for m in running for p in session_members(m["pid"])})
    assert len(members) >= len(running) + 2, "the sleeps are in the sessions' terminal sessions"
    server_pid = hub.pids["server:alice"]
    resp = ccm(
        hub, "alice", token, "POST", f"sessions/{sid}/input", {"data": "echo LAST-$((6*7))\r"}
    )
    assert resp.status_code == 200, resp.text
    until(lambda: b"LAST-42" in output(hub, "alice", token, sid), 30, what="the last words")

    hub.stop_server("alice")  # at once: the store's periodic write has not run yet
    assert gone(server_pid), "the hub waited for the server to exit"
    assert not wait_gone(members, timeout=30), [
        p.info for p in psutil.process_iter(["pid", "name", "cmdline"]) if p.pid in members
    ]

    hub.start_server("alice")
    models = {m["name"]: m for m in ccm(hub, "alice", token, "GET", "sessions").json()}
    assert models["last-words"]["state"] == "stopped" and models["last-words"]["pid"] is None
    assert b"LAST-42" in output(hub, "alice", token, models["last-words"]["id"])
    assert all(models[m["name"]]["state"] == "stopped" for m in running), models


def test_no_errors_of_ours_in_the_hub_log(hub: JupyterHub) -> None:
    """Nothing of the extension failed in any single-user server (their logs go to the
    hub's). JupyterLab's own noise (a request cut off as a page closes) is not ours."""
    log = Path(hub.log_path).read_text(errors="replace")
    ours = [
        block[:3000] for block in log.split("Traceback (most recent call last)")[1:]
        if "jupyter_ccmanager" in block.split("\n[", 1)[0]
    ]  # fmt: skip
    ours += [line for line in log.splitlines() if line.startswith("[E") and "CCManager" in line]
    assert not ours, "\n\n".join(ours)
