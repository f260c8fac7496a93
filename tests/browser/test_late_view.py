"""A terminal view opened after the session's output overflowed the replay buffer,
in real Chromium on the dashboard page: it shows the server's snapshot (alternate
screen, modes, colours) and says in its bar that earlier output is gone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.browser import chromium, pump_until
from tests.helpers.launcher import JupyterServer
from tests.helpers.paths import ARTIFACTS
from tests.helpers.require import require_chromium
from tests.helpers.waiting import until

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "late-view"
VIEW = "document.querySelector('.ccmd-panel .ccm-term').ccmView"
BUFFER = 256 * 1024  # more than one PTY read (up to 128 KiB), or the model loses bytes
# Enter the alternate screen and bracketed paste, draw far more than the buffer
# holds, then a last screen: a raw tail would start long after the mode switches.
SCRIPT = (
    r"printf '\033[?1049h\033[?2004h'; i=0; while [ $i -lt 30000 ]; do "
    r"printf '\033[%d;1H\033[3%dmrow %d\033[K' $((i % 20 + 1)) $((i % 7 + 1)) $i; "
    r"i=$((i+1)); done; "
    r"printf '\033[H\033[1;31mFINAL-SCREEN\033[0m'; echo; echo DRAWN; read x"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    require_chromium()
    args = ("--CCManagerApp.demo_mode=off", f"--CCSessionManager.replay_buffer_bytes={BUFFER}")
    with JupyterServer(tmp_path_factory.mktemp("late-view"), *args) as s:
        yield s


def test_late_view_shows_the_snapshot_and_says_output_was_dropped(server: JupyterServer) -> None:
    sid = server.create(name="late", command=["sh", "-c", SCRIPT], cols=80, rows=24)["id"]
    until(lambda: b"DRAWN" in server.output(sid), what="the last screen")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{server.url}ccmanager?token={server.token}")
        page.locator("tr.ccmd-row:has(.ccmd-name:text-is('late'))").click()
        page.wait_for_function(f"() => {{ try {{ return {VIEW}.transport.ready; }} catch {{ }} }}")
        # The panel may be redrawn (a new view) while the session's model changes:
        # wait for the state rather than look once.
        state = (
            f"() => {{ try {{ const v = {VIEW}; const t = v.term; return [t.buffer.active.type,"
            " t.modes.bracketedPasteMode, v.screenText().join('\\n').includes('FINAL-SCREEN'),"
            " v.bar.notice.textContent.includes('no longer kept')]; } catch { return null; } }"
        )
        want = ["alternate", True, True, True]  # modes set before the buffer's start are kept
        pump_until(page, lambda: page.evaluate(state) == want, "the snapshot drawn, the notice")
        page.screenshot(path=str(SHOTS / "late.png"))
        page.context.close()
    server.api("DELETE", f"sessions/{sid}")
