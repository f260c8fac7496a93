"""Demo mode: claude sessions talk to the built-in stand-in API, not Anthropic.

For people without an API key (a Binder visitor, a CI run): the server starts
:class:`~jupyter_ccmanager.server.demo.api.FakeAnthropic` on 127.0.0.1 and points every
claude session at it, with a private config folder (never the user's own
``~/.claude``), its onboarding done and the session's folder trusted. The real
CLI runs and shows its real UI; only the model's answers are canned.
"""

from __future__ import annotations

import os
import secrets
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
    """The running stand-in API and the demo HOME shared by demo sessions.

    The API accepts only a key made for this server (set in our sessions'
    environment) and keeps no request bodies. The HOME is never removed: it
    holds the demo conversations' transcripts (a session resumed after a
    restart reopens its conversation), and other servers on the same data dir
    may be using it.
    """

    def __init__(self, home: str) -> None:
        self.home = home
        self.api_key = "sk-ant-api03-demo-" + secrets.token_urlsafe(32)
        self.api = FakeAnthropic(api_key=self.api_key, keep=0).start()
        Path(home).mkdir(parents=True, exist_ok=True)

    def env_for(self, cwd: str) -> dict[str, str]:
        """Environment for one claude session in ``cwd`` (trusted in the demo HOME)."""
        prepare_home(self.home, [cwd], api_key=self.api_key)
        env = claude_env(self.api.url, self.home, api_key=self.api_key)
        return {**env, "CCM_DEMO_MODE": "1"}

    def close(self) -> None:
        """Stop the stand-in; the HOME stays: it holds the demo conversations'
        transcripts, which a session resumed after a restart reopens."""
        self.api.stop()
