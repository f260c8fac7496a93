"""Screen rules for the Claude Code CLI, as data.

Each rule is a regular expression searched in the bottom part of the screen.
The first matching ``waiting`` rule wins (its ``detail`` becomes
``state_detail``), then ``busy``; ``settling`` rules say the screen still shows
a finished turn's work; a screen matching neither is idle once it has
been still for the profile's debounce. These strings change between CLI
versions; hooks (see ``hooks.py``) are the primary signal, these the fallback.
"""

from __future__ import annotations

#: Claude draws its prompt box and every dialog under a full-width rule.
CLAUDE_REGION = r"^\s*─{20,}\s*$"

CLAUDE_RULES: dict[str, list[dict[str, str]]] = {
    "waiting": [
        {"pattern": r"Do you want to use this API key\?", "detail": "api_key"},
        {
            "pattern": r"(?i)do you trust the files in this folder|Is this a project you",
            "detail": "trust",
        },
        {"pattern": r"(?i)not logged in|select login method|paste code here", "detail": "login"},
        {
            "pattern": r"Do you want to (proceed|make this edit|create|allow)",
            "detail": "permission",
        },
        {"pattern": r"Would you like to", "detail": "question"},
        {"pattern": r"Esc to cancel", "detail": "question"},
    ],
    "busy": [
        {"pattern": r"(?i)esc to interrupt"},
        {"pattern": r"(?i)ctrl\+c to interrupt"},
        {"pattern": r"…\s*\(\d+s\b"},
    ],
    # Read over the whole bottom of the screen (not only below the rule): the turn
    # is over for the hooks but still ending on screen, e.g. the spinner line
    # "✢ Moseying… (running stop hook)" above the prompt box, or (an http Stop hook
    # arrives before the TUI has drawn the reply) a bare "✢ Embellishing…". A Stop
    # hook's idle waits for these to go (a little while at most).
    "settling": [
        {"pattern": r"(?i)\(running stop hook"},
        {"pattern": r"^\s*\S \w+…\s*(\(|$)"},
    ],
    # Lines that are the TUI's own, never part of a reply read from the output:
    # spinners, "✻ Baked for 2s", hints under the box.
    "chrome": [
        {"pattern": r"^\s*\S \w+…"},
        {"pattern": r"^\s*\S \w+ for \d+(\.\d+)?m?s\b"},
        {"pattern": r"(?i)\(running stop hook|esc to interrupt|\? for shortcuts"},
    ],
}

#: Named answers to Claude Code's dialogs: a regex on the option's label per name
#: (dialogs have 2 or 3 options, and the "always" label names the command or folder).
#: Checked with 2.1.x, where a digit alone picks and confirms an option. Questions of
#: the AskUserQuestion tool have no names: they are answered by number or label.
CLAUDE_ANSWERS: dict[str, dict[str, str]] = {
    "permission": {"yes": r"^Yes$", "always": r"^Yes, ", "no": r"^No\b"},
    "trust": {"yes": r"^Yes\b", "no": r"^No\b"},
    "api_key": {"yes": r"^Yes\b", "no": r"^No\b"},
}
