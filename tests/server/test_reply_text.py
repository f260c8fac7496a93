# ruff: noqa: RUF001 (the TUI's own characters)
"""Replies read from the output keep the columns the program positioned them in.

Claude Code's renderer moves the cursor over spaces (``ESC[1C``, ``ESC[9G``);
deleting escape sequences glued words together ("yousaid:hello"). A real
program here draws a reply that way, with a spinner line and a prompt box
like the TUI's, and ``prompt`` must answer only the reply, spaces intact.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from jupyter_ccmanager.server.text import render_lines, reply_lines
from tests.helpers.api import Api
from tests.helpers.waiting import wait_state

#: Reads a line, then answers it like a TUI: words placed by cursor moves, a
#: spinner line, a finished line, the rule over the prompt box and the box.
TUI = r"""
read line
m='\033[1C'
b='\033[1m●\033[22m'
printf "$b${m}Demo${m}mode${m}(no${m}Anthropic${m}API):\033[33Gyou said: %s\r\n" "$line"
printf '\r\n\033[2K✢ Flummoxing… (running stop hook)\r\n\033[2K✻ Baked for 0s\r\n'
printf '────────────────────────────────────────\r\n❯ \r\n'
exec cat
"""


def test_cursor_moves_are_spaces() -> None:
    assert render_lines(b"a\x1b[1Cb\x1b[6Gc\r\nxy\rz\x1b[K") == ["a b  c", "z"]
    assert render_lines(b"\x1b[31mred\x1b[0m \x1b]0;title\x07ok") == ["red ok"]


def test_reply_lines_drop_the_echo_and_the_chrome() -> None:
    lines = ["❯ hi", "● hello there", "✻ Baked for 2s", "─" * 30, "❯"]
    chrome = [re.compile(r"^\s*\S \w+ for \d+s")]
    assert reply_lines(lines, "hi", chrome, re.compile("^─{20,}$")) == ["hello there"]


class TestOutputFallback:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        # the claude profile's rules and box, for a program that is not claude
        from jupyter_ccmanager.server.agents.claude_rules import CLAUDE_REGION, CLAUDE_RULES

        rules = {"chrome": CLAUDE_RULES["chrome"]}
        return {
            "agents": {"tui": {"argv": ["sh", "-c", TUI], "rules": rules, "region": CLAUDE_REGION}}
        }

    async def test_prompt_reply_keeps_spaces_without_spinner_or_box(self, api: Api) -> None:
        model = await api.create(agent="tui")
        status, result = await api.call(
            "POST", "sessions", model["id"], "prompt", body={"text": "hello again", "timeout": 60}
        )
        assert status == 200, result
        assert result["reply"] == "Demo mode (no Anthropic API): you said: hello again"
        await wait_state(api, model["id"], "idle", "busy", timeout=30)
        await api.call("DELETE", "sessions", model["id"])
