"""Demo mode: claude sessions talk to the built-in stand-in API, not Anthropic.

For people without an API key (a Binder visitor, a CI run): the server starts
:class:`~jupyter_ccmanager.server.demo.api.FakeAnthropic` on 127.0.0.1 and points every
claude session at it, with a private config folder (never the user's own
``~/.claude``), its onboarding done and the session's folder trusted. The real
CLI runs and shows its real UI; only the model's answers are canned.
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_ccmanager.server.demo.api import FakeAnthropic, claude_env, prepare_home


def wanted(setting: str) -> bool:
    """``"auto"``: on when the server has no Anthropic credentials at all."""
    if setting in ("on", "true", "1", "yes"):
        return True
    if setting != "auto":
        return False
    has_key = any(os.environ.get(k) for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"))
    logged_in = (Path.home() / ".claude" / ".credentials.json").exists()
    return not (has_key or logged_in or os.environ.get("CLAUDE_CODE_USE_BEDROCK"))


class DemoMode:
    """The running stand-in API and the demo HOME shared by demo sessions."""

    def __init__(self, home: str) -> None:
        self.home = home
        self.api = FakeAnthropic().start()

    def env_for(self, cwd: str) -> dict[str, str]:
        """Environment for one claude session in ``cwd`` (trusted in the demo HOME)."""
        prepare_home(self.home, [cwd])
        return {**claude_env(self.api.url, self.home), "CCM_DEMO_MODE": "1"}

    def close(self) -> None:
        """Stop the stand-in; the HOME stays: it holds the demo conversations'
        transcripts, which a session resumed after a restart reopens."""
        self.api.stop()
