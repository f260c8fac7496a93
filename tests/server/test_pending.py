"""``pending`` from screens recorded from the real CLI (tests/screens/, claude 2.1.x) and hooks."""

from __future__ import annotations

import pytest

from jupyter_ccmanager.server.agents.profiles import builtin_profiles
from jupyter_ccmanager.server.state.pending import asking_hook, build_pending, option_number
from tests.helpers.paths import SCREENS

CLAUDE = builtin_profiles()["claude"]

EXPECTED = {
    "permission.txt": ("permission", "Do you want to proceed?", ["yes", "always", "no"]),
    "question.txt": ("question", "Which color do you prefer?", ["1", "2", "3", "4"]),
    "trust.txt": ("trust", None, ["yes", "no"]),
    "api_key.txt": ("api_key", "Do you want to use this API key?", ["yes", "no"]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_options_and_question_from_the_screen(name: str) -> None:
    kind, message, keys = EXPECTED[name]
    lines = (SCREENS / name).read_text().splitlines()
    pending = build_pending(kind, None, lines, CLAUDE, serial=7)
    assert [o["key"] for o in pending["options"]] == keys
    if message is not None:
        assert pending["message"] == message
    assert pending["serial"] == 7 and pending["tool"] is None


def test_labels_and_choices() -> None:
    lines = (SCREENS / "permission.txt").read_text().splitlines()
    pending = build_pending("permission", None, lines, CLAUDE, serial=1)
    assert pending["options"][1]["label"].startswith("Yes, and always allow access to")
    assert [option_number(pending, c) for c in ("yes", "ALWAYS", "3", "No", "maybe")] == [
        1, 2, 3, 3, None]  # fmt: skip
    question = build_pending("question", None, (SCREENS / "question.txt").read_text().splitlines(),
                             CLAUDE, serial=1)  # fmt: skip
    assert [o["label"] for o in question["options"]] == [
        "Red", "Blue", "Type something.", "Chat about this"]  # fmt: skip
    assert option_number(question, "blue") == 2


def test_the_hook_says_what_and_only_until_answered() -> None:
    ask = {"hook_event_name": "PermissionRequest", "tool_name": "Bash",
           "tool_input": {"command": "rm -rf build"}}  # fmt: skip
    assert asking_hook([{"hook_event_name": "UserPromptSubmit"}, ask]) == ask
    assert asking_hook([ask, {"hook_event_name": "PostToolUse", "tool_name": "Bash"}]) is None
    assert asking_hook([ask, {"hook_event_name": "Stop"}]) is None
    lines = (SCREENS / "permission.txt").read_text().splitlines()
    pending = build_pending("permission", ask, lines, CLAUDE, serial=3)
    assert (pending["tool"], pending["input"]) == ("Bash", {"command": "rm -rf build"})
