"""Agent profiles: how to launch, interrupt, watch and resume a kind of program.

Profiles are data, not code paths, so a user can add another agent (codex,
gemini, aider, ...) through ``CCSessionManager.agents`` without writing Python::

    c.CCSessionManager.agents = {
        "aider": {
            "argv": ["aider"],
            "interrupt": "\\x03",
            "rules": {"waiting": [{"pattern": r"\\(Y\\)es/\\(N\\)o", "detail": "question"}]},
        },
    }
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any

from jupyter_ccmanager.server.agents.claude_rules import CLAUDE_ANSWERS, CLAUDE_REGION, CLAUDE_RULES
from jupyter_ccmanager.server.errors import InvalidRequest

CLAUDE_INSTALL_HINT = (
    "The 'claude' CLI was not found on PATH. Install it with "
    "'npm install -g @anthropic-ai/claude-code' (or set "
    "c.CCSessionManager.agents = {'claude': {'argv': ['/path/to/claude']}})."
)


@dataclass
class AgentProfile:
    """Everything the manager needs to know about one kind of agent."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    #: Bytes typed by "interrupt": Esc for Claude Code, Ctrl-C for shells.
    interrupt: str = "\x03"
    #: Key presses that make the program exit cleanly, typed before any signal.
    quit: list[str] = field(default_factory=list)
    #: Screen rules by state: {"waiting": [{"pattern": regex, "detail": str}], "busy": [...]}.
    rules: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: Regex of a separator line; rules read only the screen below the last one
    #: (Claude's dialogs and status line sit under its prompt box's rule).
    region: str = ""
    #: Seconds the screen must be still before a non-matching screen counts as idle.
    idle_debounce: float = 0.5
    #: Whether this profile is the Claude Code CLI (session ids, hooks, --resume).
    claude: bool = False
    #: Message for AGENT_NOT_FOUND when argv[0] is not on PATH.
    install_hint: str = ""
    #: Named answers per kind of question: a regex on the option's label for each name
    #: ({"permission": {"yes": "^Yes$", "no": "^No"}}); other options go by number.
    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Keys that choose option ``{n}`` of a dialog (Claude Code: the digit alone).
    select: str = "{n}\r"

    def resolve_argv(
        self, extra: list[str] | None = None, argv: list[str] | None = None
    ) -> list[str]:
        """``argv`` (default: the profile's) plus ``extra``, with argv[0] found on PATH."""
        argv = [*(argv or self.argv), *(extra or [])]
        exe = argv[0]
        found = exe if os.path.isabs(exe) and os.access(exe, os.X_OK) else shutil.which(exe)
        if not found:
            hint = self.install_hint or f"'{exe}' was not found on PATH."
            raise InvalidRequest("AGENT_NOT_FOUND", hint)
        return [found, *argv[1:]]


def default_shell() -> str:
    """The user's $SHELL, else bash, else sh."""
    shell = os.environ.get("SHELL")
    if shell and shutil.which(shell):
        return shell
    return shutil.which("bash") or "/bin/sh"


def builtin_profiles() -> dict[str, AgentProfile]:
    """The profiles every server has: claude, shell and command."""
    return {
        "claude": AgentProfile(
            name="claude",
            argv=["claude"],
            interrupt="\x1b",
            quit=["\x03", "\x03", "\x03"],  # clear the input, "press again", exit
            rules=CLAUDE_RULES,
            region=CLAUDE_REGION,
            idle_debounce=0.6,
            claude=True,
            install_hint=CLAUDE_INSTALL_HINT,
            answers=CLAUDE_ANSWERS,
            select="{n}",
        ),
        "shell": AgentProfile(name="shell", argv=[default_shell()]),
        "command": AgentProfile(name="command", argv=[]),
    }


_FIELDS = {
    "argv", "env", "interrupt", "quit", "rules", "region", "idle_debounce", "claude",
    "install_hint", "answers", "select",
}  # fmt: skip


def load_profiles(config: dict[str, Any]) -> dict[str, AgentProfile]:
    """Merge user profiles from ``CCSessionManager.agents`` over the built-in ones.

    A user entry for an existing name updates only the keys it gives, so
    ``{"claude": {"argv": ["/opt/claude"]}}`` keeps the Claude rules.
    """
    profiles = builtin_profiles()
    for name, spec in (config or {}).items():
        if not isinstance(spec, dict) or set(spec) - _FIELDS:
            raise ValueError(f"Agent profile {name!r} must be a dict with keys from {_FIELDS}")
        base = profiles.get(name) or AgentProfile(name=name, argv=[])
        values = {**base.__dict__, **spec, "name": name}
        if not values["argv"] and name != "command":
            raise ValueError(f"Agent profile {name!r} needs an 'argv' list")
        profiles[name] = AgentProfile(**values)
    return profiles
