"""Claude Code hooks: per-session settings that report state to the extension.

Each claude session gets ``--settings <json>`` registering one command hook
per event of interest (never touching the user's own settings files). The
hook runs ``hookcmd.py``, which POSTs the event's JSON to
``sessions/{id}/hook`` with the session's own secret
(:mod:`jupyter_ccmanager.server.handlers.hook`).
"""

from __future__ import annotations

import hmac
import json
import secrets
import shlex
import sys
from pathlib import Path
from typing import Any

HOOK_EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PermissionRequest",
    "Notification",
    "Stop",
    "SessionEnd",
)
SECRET_HEADER = "X-CCM-Hook-Secret"


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def secret_matches(given: str, expected: str | None) -> bool:
    """Constant-time check of a hook call's secret; no secret never matches."""
    return bool(expected) and hmac.compare_digest(given.encode(), (expected or "").encode())


def hook_command() -> str:
    """The shell command each hook runs: this Python, this package's hookcmd.py."""
    script = Path(__file__).with_name("hookcmd.py")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def hook_settings(permissions: dict[str, list[str]] | None = None) -> str:
    """The ``--settings`` JSON: one command hook for every event we track, and the
    session's permission rules (one ``--settings`` only: the CLI reads just the last)."""
    command = {"type": "command", "command": hook_command(), "timeout": 10}
    hooks: dict[str, list[dict[str, Any]]] = {}
    for event in HOOK_EVENTS:
        entry: dict[str, Any] = {"hooks": [command]}
        if event in ("PreToolUse", "PostToolUse", "PermissionRequest"):
            entry["matcher"] = "*"
        hooks[event] = [entry]
    settings: dict[str, Any] = {"hooks": hooks}
    if permissions:
        settings["permissions"] = permissions
    return json.dumps(settings, separators=(",", ":"))
