"""The JupyterLab sidebar answers a waiting agent and opens a worktree session's changes.

A real ``jupyter lab`` with the prebuilt extension, real Chromium; the sidebar's rows
are the dashboard's (one button per option on a waiting row, a Diff button on a worktree
session), the diff opens as a main-area tab with Commit and Merge.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_ccmanager.server.demo.api import FakeAnthropic, claude_env, prepare_home
from tests.browser.test_dashboard_review import ask_to_touch
from tests.browser.test_lab_extension import (  # noqa: F401 (fixtures)
    SIDEBAR,
    Lab,
    _delete_sessions,
    browser,
    create,
    fake_api,
    lab,
    page,
)
from tests.helpers.commands import git, make_repo
from tests.helpers.launcher import JupyterServer
from tests.helpers.waiting import until


@pytest.mark.claude
def test_approve_from_the_sidebar(
    page: Lab,  # noqa: F811
    lab: JupyterServer,  # noqa: F811
    fake_api: FakeAnthropic,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    prepare_home(home, [lab.root])
    model = create(lab, name="asks-lab", agent="claude", env=claude_env(fake_api.url, home))
    page.load()
    page.open_sidebar()
    page.wait_row_state("asks-lab", "idle", timeout=90)
    marker = lab.root / "approved-in-lab"
    ask_to_touch(lab, fake_api, model["id"], marker)
    page.wait_row_state("asks-lab", "waiting")
    box = page.page.locator(f"{SIDEBAR} tr.ccmd-pending-row[data-for='{model['id']}']")
    box.locator("button[data-key=yes]").wait_for(state="visible")
    assert box.locator(".ccmd-pending-cmd").inner_text() == f"Bash: touch {marker}"
    page.shot("sidebar-question", page.page.locator(SIDEBAR))
    box.locator("button[data-key=yes]").click()
    until(marker.exists, timeout=60, what="the tool ran after the click in the sidebar")
    page.wait_row_state("asks-lab", "idle")
    assert box.count() == 0


def test_diff_tab_and_merge_from_the_sidebar(
    page: Lab,  # noqa: F811
    lab: JupyterServer,  # noqa: F811
) -> None:
    repo = make_repo(lab.root / "lab-review-repo")
    model = create(lab, name="lab-wt", agent="shell", cwd=str(repo), worktree=True)
    (Path(model["worktree_path"]) / "from-lab.txt").write_text("made in a worktree\n")
    page.load()
    page.open_sidebar()
    page.wait_row_state("lab-wt", "idle", "starting", "busy")
    page.row("lab-wt").locator("button[data-action=diff]").click()
    panel = page.page.locator(f"#ccm-diff-{model['id']} .ccmd-diff-panel")
    until(lambda: panel.get_attribute("data-files") == "1", what="the diff tab, one file")
    assert page.tab_title("Changes · lab-wt").count() == 1
    assert "from-lab.txt" in panel.locator(".d2h-file-name").first.inner_text()
    page.shot("diff-tab")
    panel.locator("button[data-action=merge]").click()  # commits the new file first
    status = panel.locator(".ccmd-diff-status")
    until(lambda: "Merged into main" in (status.text_content() or ""), what="merged")
    until(lambda: panel.get_attribute("data-files") == "0", what="nothing left to merge")
    assert (repo / "from-lab.txt").read_text() == "made in a worktree\n"
    assert "from-lab.txt" in git("ls-tree", "--name-only", "main", cwd=repo)
