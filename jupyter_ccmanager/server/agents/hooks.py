"""Claude Code hooks: per-session settings that report state to the extension.

Each claude session gets ``--settings <json>`` registering one hook per event
of interest (never touching the user's own settings files); each POSTs the
event's JSON to ``sessions/{id}/hook`` with the session's own secret
(:mod:`jupyter_ccmanager.server.handlers.hook`). Two transports:

- ``http`` (default): the CLI posts the event itself (``"type": "http"``), no
  process per event. The secret is in the ``headers`` as ``$CCM_HOOK_SECRET``,
  which the CLI fills from its environment (``allowedEnvVars``), so it is never
  on the command line. ``SessionStart`` is not sent over http by the CLI
  (checked with 2.1.x), so that one event stays a command.
- ``command``: every event runs ``hookcmd.py`` (a Python start per event).
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


#: Events the CLI runs only as command hooks (an http hook for them never fires).
COMMAND_ONLY_EVENTS = frozenset({"SessionStart"})
SECRET_ENV = "CCM_HOOK_SECRET"


def http_hook(url: str) -> dict[str, Any]:
    """An http hook posting to ``url``; the secret header is filled by the CLI from
    ``$CCM_HOOK_SECRET`` (only variables in ``allowedEnvVars`` are)."""
    return {
        "type": "http",
        "url": url,
        "headers": {SECRET_HEADER: f"${SECRET_ENV}"},
        "allowedEnvVars": [SECRET_ENV],
        "timeout": 10,
    }


def hook_settings(
    permissions: dict[str, list[str]] | None = None,
    transport: str = "command",
    url: str | None = None,
) -> str:
    """The ``--settings`` JSON: one hook for every event we track (``transport``
    "http" with ``url``, or "command"), and the session's permission rules (one
    ``--settings`` only: the CLI reads just the last)."""
    if transport not in ("http", "command"):
        raise ValueError(f"unknown hook transport {transport!r}")
    command = {"type": "command", "command": hook_command(), "timeout": 10}
    http = http_hook(url) if transport == "http" and url else None
    hooks: dict[str, list[dict[str, Any]]] = {}
    for event in HOOK_EVENTS:
        hook = command if http is None or event in COMMAND_ONLY_EVENTS else http
        entry: dict[str, Any] = {"hooks": [hook]}
        if event in ("PreToolUse", "PostToolUse", "PermissionRequest"):
            entry["matcher"] = "*"
        hooks[event] = [entry]
    settings: dict[str, Any] = {"hooks": hooks}
    if permissions:
        settings["permissions"] = permissions
    return json.dumps(settings, separators=(",", ":"))
