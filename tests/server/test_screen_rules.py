"""Claude screen rules on screens recorded from the real CLI (tests/screens/, claude 2.1.x)."""

from __future__ import annotations

import re

import pytest

from jupyter_ccmanager.server.agents.profiles import builtin_profiles
from jupyter_ccmanager.server.state.detector import compile_rules, match_screen, rule_region
from tests.helpers.paths import SCREENS

EXPECTED = {
    "idle.txt": ("idle", None),
    "idle_typing.txt": ("idle", None),
    "finished.txt": ("idle", None),
    "finished_tool.txt": ("idle", None),
    "interrupted.txt": ("idle", None),
    "permission_cancelled.txt": ("idle", None),
    "resumed.txt": ("idle", None),
    "busy.txt": ("busy", None),
    "busy_tool.txt": ("busy", None),
    "busy_retrying.txt": ("busy", None),
    "permission.txt": ("waiting", "permission"),
    "question.txt": ("waiting", "question"),
    "api_key.txt": ("waiting", "api_key"),
    "trust.txt": ("waiting", "trust"),
    "not_logged_in.txt": ("waiting", "login"),
    "not_logged_in_prompt.txt": ("waiting", "login"),
}


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_recorded_screen(name: str, expected: tuple[str, str | None]) -> None:
    profile = builtin_profiles()["claude"]
    lines = (SCREENS / name).read_text().splitlines()
    region = rule_region(lines, re.compile(profile.region))
    assert match_screen(compile_rules(profile.rules), region) == expected


def test_every_recorded_screen_has_an_expectation() -> None:
    recorded = {p.name for p in SCREENS.glob("*.txt")}
    unexplained = recorded - set(EXPECTED) - {
        "api_error.txt", "busy_unreachable.txt", "exit_confirm.txt", "exited.txt",
    }  # fmt: skip
    assert not unexplained


def test_reply_text_quoting_a_dialog_is_not_waiting() -> None:
    """Words of a dialog above the prompt box (e.g. in a reply) do not count."""
    profile = builtin_profiles()["claude"]
    lines = (SCREENS / "finished.txt").read_text().splitlines()
    box = max(i for i, line in enumerate(lines) if line.startswith("─" * 20)) - 2
    lines[box - 1] = "● The CLI asks: Do you want to proceed? Esc to cancel"
    region = rule_region(lines, re.compile(profile.region))
    assert match_screen(compile_rules(profile.rules), region) == ("idle", None)


SETTLING = {
    "✢ Moseying… (running stop hook)": True,
    "✢ Embellishing…": True,  # an http Stop hook comes before the reply is drawn
    "· Whirlpooling… (1s · ↓ 23 tokens)": True,
    "✻ Baked for 0s": False,
    "● Demo mode (no Anthropic API): you said: hello…": False,
    "  ⎿  Running…": False,
}


@pytest.mark.parametrize(("line", "settling"), sorted(SETTLING.items()))
def test_settling_lines(line: str, settling: bool) -> None:
    """A Stop hook's idle waits while the screen shows one of these (the turn ending)."""
    rules = builtin_profiles()["claude"].rules["settling"]
    patterns = [re.compile(r["pattern"], re.M) for r in rules]
    screen = f"\u276f hello\n\n{line}\n\n──────\n\u276f\n──────"  # the prompt, U+276F
    assert any(p.search(screen) for p in patterns) is settling
