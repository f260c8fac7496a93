"""What a waiting agent asks: ``pending`` = ``{kind, tool, input, message, options, serial}``.

Two sources, as for states. The agent's hooks say *what* is asked exactly
(Claude Code's ``PermissionRequest``/``PreToolUse`` carry ``tool_name`` and
``tool_input``; the ``AskUserQuestion`` tool carries its questions), and the
screen shows *how to answer*: the numbered options the dialog draws (labels
such as "Yes, and always allow access to src/ from this project" change with
the command and the CLI version), and everything hooks never report (trust,
API-key and login screens). The profile says, as data, which option an
alias like ``yes``/``always``/``no`` means and which keys choose option *n*.
"""

from __future__ import annotations

import re
from typing import Any

from jupyter_ccmanager.server.agents.profiles import AgentProfile

#: ``> 1. Yes`` / ``  2. No, exit``: a numbered option line of a dialog (the
#: selected one marked with a pointer: U+276F in Claude Code, U+203A or ">" elsewhere).
_OPTION = re.compile(r"^\s*(?:[\u276f\u203a>]\s*)?(\d{1,2})\.\s+(\S.*?)\s*$")
#: Hook events that end a question (the answer was taken, or the turn is over).
_ENDS = ("PostToolUse", "PostToolUseFailure", "Stop", "StopFailure", "UserPromptSubmit",
         "SessionStart", "SessionEnd")  # fmt: skip
_ASKS = ("PermissionRequest", "PreToolUse")
BOTTOM_LINES = 30


def asking_hook(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest hook payload that asks something and has not been answered since."""
    for payload in reversed(events):
        name = payload.get("hook_event_name")
        if name in _ENDS:
            return None
        if name in _ASKS and isinstance(payload.get("tool_name"), str):
            return dict(payload)
    return None


def screen_options(lines: list[str]) -> tuple[list[tuple[int, str]], str | None]:
    """The last numbered option list at the bottom of the screen, and the question above it."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1  # a fresh screen draws at the top; its bottom is blank
    bottom = lines[max(0, end - BOTTOM_LINES) : end]
    found: list[tuple[int, str]] = []
    question: str | None = None
    first_at = -1
    for index, line in enumerate(bottom):
        match = _OPTION.match(line)
        if not match:
            continue
        number, label = int(match.group(1)), match.group(2)
        if number == 1:
            found, first_at = [(1, label)], index
        elif found and number == found[-1][0] + 1:
            found.append((number, label))
    if first_at >= 0:
        above = [line.strip() for line in bottom[:first_at] if line.strip()]
        asks = [line for line in above if line.endswith("?")]
        question = asks[-1] if asks else (above[-1] if above else None)
    return found, question


def build_pending(
    kind: str, hook: dict[str, Any] | None, lines: list[str], profile: AgentProfile, serial: int
) -> dict[str, Any]:
    """The ``pending`` model of a session that is ``waiting`` with detail ``kind``."""
    tool = hook.get("tool_name") if hook else None
    tool_input = hook.get("tool_input") if hook else None
    numbered, message = screen_options(lines)
    if tool == "AskUserQuestion":
        kind = "question"
        questions = (tool_input or {}).get("questions") or [{}]
        first = questions[0] if isinstance(questions[0], dict) else {}
        message = str(first.get("question") or message or "")
        if not numbered:  # not drawn yet: the tool's own options, in its order
            labels = [o.get("label") for o in first.get("options") or [] if isinstance(o, dict)]
            numbered = [(i + 1, str(label)) for i, label in enumerate(labels) if label]
    names = profile.answers.get(kind, {})
    options = [{"key": _name_of(label, names, n), "label": label} for n, label in numbered]
    return {
        "kind": kind,
        "tool": tool,
        "input": tool_input if isinstance(tool_input, dict) else None,
        "message": message,
        "options": options,
        "serial": serial,
    }


def _name_of(label: str, names: dict[str, str], number: int) -> str:
    for name, pattern in names.items():
        if re.search(pattern, label.strip()):
            return name
    return str(number)


def option_number(pending: dict[str, Any], choice: str) -> int | None:
    """Which option (1-based) ``choice`` names: its key, its number or its label."""
    wanted = choice.strip().lower()
    for position, option in enumerate(pending["options"], start=1):
        if wanted in (option["key"].lower(), str(position), option["label"].strip().lower()):
            return position
    return None
