"""Claude Code hooks: per-session settings that report state to the extension.

Each claude session gets ``--settings <json>`` registering one command hook
per event of interest (never touching the user's own settings files). The
hook runs ``hookcmd.py``, which POSTs the event's JSON to
``sessions/{id}/hook`` with the session's own secret. That route does not take
the user's Jupyter token: the CLI must not hold it, and the secret is
worthless for anything but reporting this session's state.
"""

from __future__ import annotations

import hmac
import json
import secrets
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import allow_unauthenticated

from . import validation as v
from .handlers import CCManagerHandler
from .validation import RequestError

if TYPE_CHECKING:
    from .session import Session

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


def hook_command() -> str:
    """The shell command each hook runs: this Python, this package's hookcmd.py."""
    script = Path(__file__).with_name("hookcmd.py")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def hook_settings() -> str:
    """The ``--settings`` JSON: one command hook for every event we track."""
    command = {"type": "command", "command": hook_command(), "timeout": 10}
    hooks: dict[str, list[dict[str, Any]]] = {}
    for event in HOOK_EVENTS:
        entry: dict[str, Any] = {"hooks": [command]}
        if event in ("PreToolUse", "PostToolUse", "PermissionRequest"):
            entry["matcher"] = "*"
        hooks[event] = [entry]
    return json.dumps({"hooks": hooks}, separators=(",", ":"))


class HookHandler(CCManagerHandler):
    """``POST sessions/{id}/hook``: an event from the session's own CLI."""

    def check_xsrf_cookie(self) -> None:
        """Authenticated by the per-session secret header, never by cookies."""

    @allow_unauthenticated
    async def post(self, session_id: str) -> None:
        try:
            session: Session = self.manager.get(session_id)
        except RequestError:
            session = None  # type: ignore[assignment]
        given = self.request.headers.get(SECRET_HEADER, "")
        expected = getattr(session, "hook_secret", None) or ""
        if session is None or not expected or not hmac.compare_digest(given, expected):
            # The same answer for unknown sessions and bad secrets: ids are not probed.
            raise RequestError(403, "HOOK_FORBIDDEN", "Unknown session or wrong hook secret.")
        payload = v.parse_json_object(self.request.body or b"", max_bytes=1 << 20)
        self.manager.on_hook(session, payload)
        self.set_status(204)
        self.finish()
