"""Prerequisites a test needs from the machine: skipped locally, required under CI."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.helpers.paths import CHROMIUM, LOCAL_CLAUDE


def require(available: bool, what: str) -> None:
    """Skip a test whose prerequisite is missing, or fail under CI (CCM_REQUIRE_ALL=1)."""
    if available:
        return
    if os.environ.get("CCM_REQUIRE_ALL"):
        pytest.fail(f"{what} is required (CCM_REQUIRE_ALL is set)")
    pytest.skip(f"{what} is not installed")


def local_claude_path(path: str) -> str:
    """``path`` (a PATH value) with the repository's own claude CLI first, if installed."""
    if not LOCAL_CLAUDE.is_dir() or str(LOCAL_CLAUDE) in path.split(os.pathsep):
        return path
    return f"{LOCAL_CLAUDE}{os.pathsep}{path}"


def require_claude() -> str:
    path = shutil.which("claude")
    require(path is not None, "the claude CLI (npm install @anthropic-ai/claude-code)")
    return str(path)


def require_chromium() -> str:
    require(os.path.exists(CHROMIUM), f"{CHROMIUM} (apt-get install chromium)")
    return CHROMIUM
