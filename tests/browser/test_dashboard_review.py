"""The dashboard's review panel and answer buttons in real Chromium: open a worktree
session's diff (rendered by diff2html), see a refusal with the conflicting files, commit
and merge; approve a waiting claude session's permission from its row.

Uses the dashboard module's server (a real ``jupyter server`` subprocess whose root
is a git repository) and page helpers; screenshots land in ``test-artifacts/dashboard``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_ccmanager.server.demo.api import Bash, FakeAnthropic, Text, claude_env, prepare_home
from tests.browser.test_dashboard import Dashboard, dash, server  # noqa: F401 (fixtures)
from tests.helpers.launcher import JupyterServer
from tests.helpers.require import require_claude
from tests.helpers.waiting import until as wait_until

pytestmark = pytest.mark.browser


def git(cwd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def repo(server: JupyterServer) -> Iterator[Path]:  # noqa: F811
    (server.root / "notes.txt").write_text("one\ntwo\nthree\n")
    git(server.root, "add", "notes.txt")
    git(server.root, "commit", "-q", "-m", "notes")
    yield server.root


def panel_files(dash: Dashboard) -> int:  # noqa: F811
    loaded = dash.page.locator(".ccmd-diff-panel:not([hidden]):not([data-loading])")
    return int(loaded.get_attribute("data-files") or -1) if loaded.count() else -1


def test_open_diff_then_commit_and_merge(
    dash: Dashboard,  # noqa: F811
    server: JupyterServer,  # noqa: F811
    repo: Path,
) -> None:
    model = server.create(agent="shell", name="review-ui", worktree=True)
    wt = Path(model["worktree_path"])
    (wt / "notes.txt").write_text("one\n2\nthree\n")
    (wt / "added <by> agent.txt").write_text("<script>alert(1)</script>\n")
    dash.open()
    dash.wait_state("review-ui", "idle", "starting", "busy")
    dash.row("review-ui").locator("button[data-action=diff]").click()
    wait_until(lambda: panel_files(dash) == 2, what="the diff of two files")
    panel = dash.page.locator(".ccmd-diff-panel")
    names = panel.locator(".d2h-file-wrapper .d2h-file-name").all_text_contents()
    assert sorted(n.strip() for n in names) == ["added <by> agent.txt", "notes.txt"]
    assert panel.locator(".d2h-ins").count() >= 2 and panel.locator(".d2h-del").count() >= 1
    assert panel.locator("script").count() == 0, "file contents are shown as text, never run"
    assert "<script>alert(1)</script>" in panel.locator(".d2h-diff-table").first.text_content()
    assert "+2 \u22121" in (panel.locator(".ccmd-diff-summary").text_content() or "")
    dash.screenshot("10-diff")

    panel.locator("button[data-action=commit]").click()  # no message yet: asked for one
    status = panel.locator(".ccmd-diff-status")
    wait_until(lambda: "commit message" in (status.text_content() or ""), what="asked")
    panel.locator(".ccmd-commit-message").fill("Work from the dashboard")
    panel.locator("button[data-action=commit]").click()
    wait_until(lambda: "Committed" in (status.text_content() or ""), what="committed")
    assert git(wt, "log", "-1", "--format=%s") == "Work from the dashboard"
    assert git(wt, "status", "--porcelain") == ""

    # The main checkout changes the same line meanwhile: the merge is refused, with the file.
    before = git(repo, "rev-parse", "HEAD")
    (repo / "notes.txt").write_text("one\nTWO\nthree\n")
    git(repo, "commit", "-q", "-am", "user edit")
    moved = git(repo, "rev-parse", "HEAD")
    panel.locator("button[data-action=merge]").click()
    error = panel.locator(".ccmd-diff-status.is-error")
    wait_until(lambda: "MERGE_CONFLICT" in (error.text_content() or ""), what="conflict shown")
    assert "notes.txt" in (error.text_content() or "")
    assert git(repo, "rev-parse", "HEAD") == moved and git(repo, "status", "--porcelain") == ""
    dash.screenshot("11-merge-conflict")

    git(repo, "reset", "-q", "--hard", before)  # the user takes their edit back
    panel.locator("select.ccmd-strategy").select_option("squash")
    panel.locator("button[data-action=merge]").click()
    wait_until(lambda: "Merged into" in (status.text_content() or ""), what="merged")
    wait_until(lambda: panel_files(dash) == 0, what="nothing left to merge")
    assert (repo / "notes.txt").read_text() == "one\n2\nthree\n"
    assert (repo / "added <by> agent.txt").exists()
    assert git(repo, "log", "-1", "--format=%s").startswith("feature/review-ui: work of session")
    dash.screenshot("12-merged")
    assert server.api("DELETE", f"sessions/{model['id']}").status_code == 204


def ask_to_touch(on: JupyterServer, fake: FakeAnthropic, sid: str, marker: Path) -> None:
    """Make claude session ``sid`` ask to ``touch marker`` (the prompt returns at once)."""
    fake.queue(Bash(f"touch {marker}", "Create a marker"), Text("Marker made."))
    resp = on.api("POST", f"sessions/{sid}/prompt", {"text": "mark", "wait": False})
    assert resp.status_code == 200, resp.text


def test_approve_from_the_waiting_row(
    dash: Dashboard,  # noqa: F811
    server: JupyterServer,  # noqa: F811
) -> None:
    require_claude()
    home = server.tmp / "claude-home-review"
    prepare_home(home, [server.root])
    with FakeAnthropic() as fake:
        model = server.create(agent="claude", name="asks", env=claude_env(fake.url, home))
        dash.open()
        dash.wait_state("asks", "idle", timeout=90)
        marker = server.root / "approved-in-dashboard"
        ask_to_touch(server, fake, model["id"], marker)
        dash.wait_state("asks", "waiting", timeout=60)
        box = dash.page.locator(f"tr.ccmd-pending-row[data-for='{model['id']}']")
        box.locator("button[data-key=no]").wait_for(state="visible", timeout=30_000)
        assert box.locator(".ccmd-pending-q").text_content() == "Do you want to proceed?"
        assert box.locator(".ccmd-pending-cmd").text_content() == f"Bash: touch {marker}"
        keys = box.locator("button[data-action=answer]").evaluate_all(
            "(bs) => bs.map((b) => b.dataset.key)"
        )
        assert keys == ["yes", "always", "no"]
        dash.screenshot("13-waiting-question")
        box.locator("button[data-key=yes]").click()
        wait_until(marker.exists, timeout=60, what="the tool ran after the click")
        dash.wait_state("asks", "idle", timeout=60)
        assert box.count() == 0, "the question row is gone with the question"
        dash.screenshot("14-answered")
        assert server.api("DELETE", f"sessions/{model['id']}").status_code == 204
