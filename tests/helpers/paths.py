"""Where things are: the repository, the test artifacts, the local claude CLI, test data."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Screenshots, executed notebooks, reports: kept after a run for people to look at.
ARTIFACTS = REPO / "test-artifacts"
#: ``.ci/run`` installs the real claude CLI here; the suite puts it on PATH.
LOCAL_CLAUDE = REPO / ".claude-cli" / "node_modules" / ".bin"
#: Screens recorded from the real claude CLI, for the screen-rule tests.
SCREENS = REPO / "tests" / "screens"
#: The system Chromium that playwright drives (never a downloaded browser).
CHROMIUM = "/usr/bin/chromium"
