"""What a terminal view sends into the process, in real Chromium on the dashboard page:
no answers to replayed queries, one answer to a live query (also one asked while the
view was reconnecting), and no PTY resize from a view nobody types in.

The session under test records its stdin (tests/helpers/stdin_recorder.py), so the
record is exactly what reached the process.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import stdin_recorder
from tests.helpers.browser import chromium, pump_until
from tests.helpers.launcher import JupyterServer
from tests.helpers.paths import ARTIFACTS
from tests.helpers.require import require_chromium
from tests.helpers.waiting import until

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "view-input"
VIEW = "document.querySelector('.ccmd-panel .ccm-term').ccmView"
CPR = re.compile(rb"\x1b\[\d+;\d+R")
DA1 = re.compile(rb"\x1b\[\?[\d;]*c")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    require_chromium()
    with JupyterServer(tmp_path_factory.mktemp("view-input"), "--CCManagerApp.demo_mode=off") as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as b:
        yield b


def _open(browser: Any, server: JupyterServer, name: str, width: int, height: int) -> Any:
    """A dashboard page (its own login) with session ``name`` open in its terminal."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{server.url}ccmanager?token={server.token}")
    page.locator(f"tr.ccmd-row:has(.ccmd-name:text-is('{name}'))").click()
    page.wait_for_function(f"() => {{ try {{ return {VIEW}.transport.ready; }} catch {{ }} }}")
    return page


def _type(page: Any, text: str, enter: bool = False) -> None:
    page.locator(".ccmd-panel .xterm-screen").click()
    page.keyboard.type(text)
    if enter:
        page.keyboard.press("Enter")


def test_view_sends_no_replayed_answers_and_one_answer_per_live_query(
    browser: Any, server: JupyterServer
) -> None:
    record = server.root / "stdin.bin"
    record.touch()
    command = [sys.executable, stdin_recorder.__file__, str(record)]
    sid = server.create(name="recorder", command=command)["id"]
    ask = stdin_recorder.ASK.decode()
    until(lambda: b"recorder ready" in server.output(sid), what="recorder ready")
    server.api("POST", f"sessions/{sid}/input", {"data": ask})  # asked before any view
    until(lambda: b"asked 1" in server.output(sid), what="queries in the output")

    page = _open(browser, server, "recorder", 1200, 800)
    pump_until(page, lambda: "asked 1" in "".join(page.evaluate(f"{VIEW}.screenText()")), "replay")
    _type(page, "one")
    pump_until(page, lambda: b"one" in record.read_bytes(), "keys typed")
    assert record.read_bytes() == stdin_recorder.ASK + b"one", "0 bytes of replayed answers"

    # A live query: answered once.
    server.api("POST", f"sessions/{sid}/input", {"data": ask})
    until(lambda: b"asked 2" in server.output(sid), what="live queries")
    _type(page, "two")
    pump_until(page, lambda: b"two" in record.read_bytes(), "keys after the live answers")
    live = record.read_bytes().split(b"one", 1)[1]
    assert (len(CPR.findall(live)), len(DA1.findall(live))) == (1, 1), live

    # A query asked while the view is offline is answered once it has reconnected.
    offline = "t.closed = true; t._drop(1000, 'test');"
    page.evaluate(f"() => {{ const t = {VIEW}.transport; {offline} }}")
    server.api("POST", f"sessions/{sid}/input", {"data": ask})
    until(lambda: b"asked 3" in server.output(sid), what="queries while offline")
    page.evaluate(f"() => {{ const t = {VIEW}.transport; t.closed = false; t._retryNow(); }}")
    pump_until(page, lambda: "asked 3" in "".join(page.evaluate(f"{VIEW}.screenText()")), "back")
    _type(page, "three")
    pump_until(page, lambda: b"three" in record.read_bytes(), "keys after the reconnect")
    caught_up = record.read_bytes().split(b"two", 1)[1]
    assert (len(CPR.findall(caught_up)), len(DA1.findall(caught_up))) == (1, 1), caught_up
    page.screenshot(path=str(SHOTS / "recorder.png"))
    page.context.close()
    server.api("DELETE", f"sessions/{sid}")


def _pty_size(server: JupyterServer, sid: str) -> tuple[int, int]:
    model = server.api("GET", f"sessions/{sid}").json()
    return model["cols"], model["rows"]


def _term_size(page: Any) -> tuple[int, int]:
    cols, rows = page.evaluate(f"() => [{VIEW}.term.cols, {VIEW}.term.rows]")
    return cols, rows


def test_second_page_of_another_size_leaves_the_typists_pty_size(
    browser: Any, server: JupyterServer
) -> None:
    sid = server.create(name="sized", agent="shell")["id"]
    big = _open(browser, server, "sized", 1400, 900)
    _type(big, "echo typed-here", enter=True)
    until(lambda: b"typed-here\r\n" in server.output(sid), what="typing in the first page")
    owner_size = until(lambda: (s := _pty_size(server, sid)) == _term_size(big) and s)
    small = _open(browser, server, "sized", 800, 520)
    # The small page follows the PTY's size (scrolled in its box) instead of setting it.
    pump_until(small, lambda: _term_size(small) == owner_size, "the small page at the PTY size")
    small.reload()
    small.locator("tr.ccmd-row:has(.ccmd-name:text-is('sized'))").click()
    small.wait_for_function(f"() => {{ try {{ return {VIEW}.transport.ready; }} catch {{ }} }}")
    pump_until(small, lambda: _term_size(small) == owner_size, "after a reload too")
    small.set_viewport_size({"width": 760, "height": 500})
    _type(big, "echo still-mine", enter=True)
    until(lambda: b"still-mine\r\n" in server.output(sid), what="more typing in the first")
    assert _pty_size(server, sid) == owner_size
    small.screenshot(path=str(SHOTS / "small-follows.png"))
    # Typing in the small page makes it the owner: the PTY takes its size, the big page follows.
    _type(small, "echo now-small", enter=True)
    until(lambda: b"now-small\r\n" in server.output(sid), what="typing in the small page")
    small_size = until(lambda: (s := _pty_size(server, sid)) != owner_size and s)
    assert small_size == _term_size(small)
    pump_until(big, lambda: _term_size(big) == small_size, "the big page follows")
    big.screenshot(path=str(SHOTS / "big-follows.png"))
    for page in (big, small):
        page.context.close()
    server.api("DELETE", f"sessions/{sid}")
