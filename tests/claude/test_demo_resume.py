"""Demo mode across a server restart: the resumed conversation keeps its memory and its spaces.

A real ``jupyter server`` (demo mode on, the real ``claude`` CLI), stopped and
started again on the same store: the session comes back ``stopped``, resumes
the same conversation, and its first prompt's reply and screen read as the
TUI drew them (columns it positioned with cursor moves are spaces), with no
spinner or prompt box in the reply; the stand-in answers "What was my
previous question?" from the conversation it is sent.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.launcher import JupyterServer
from tests.helpers.require import require_claude

pytestmark = pytest.mark.claude

SPINNER = "…"  # Claude's spinner line ("✢ Flummoxing… (running stop hook)")
PROMPT_MARK = "\u276f"  # the prompt box's arrow


def wait_model(server: JupyterServer, sid: str, *states: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        model = server.api("GET", f"sessions/{sid}").json()
        if model["state"] in states:
            return model
        assert time.monotonic() < deadline, f"state {model['state']} not in {states}"
        time.sleep(0.1)


def prompt(server: JupyterServer, sid: str, text: str) -> str:
    resp = server.api("POST", f"sessions/{sid}/prompt", {"text": text, "timeout": 120}, timeout=150)
    assert resp.status_code == 200, resp.text
    assert resp.json()["state"] == "idle", resp.json()
    return str(resp.json()["reply"])


def assert_clean(reply: str, said: str) -> None:
    assert f"Demo mode (no Anthropic API): you said: {said}" in reply, reply
    assert SPINNER not in reply and PROMPT_MARK not in reply and "─" * 10 not in reply, reply


def test_first_prompt_after_restart_and_resume_keeps_spaces_and_memory(tmp_path: Path) -> None:
    require_claude()
    args = ("--CCManagerApp.demo_mode=on", f"--CCManagerApp.db_path={tmp_path / 'ccm.sqlite'}")
    with JupyterServer(tmp_path, *args) as server:
        sid = server.create(agent="claude", name="memo")["id"]
        wait_model(server, sid, "idle")
        assert_clean(prompt(server, sid, "hello there"), "hello there")
    with JupyterServer(tmp_path, *args) as server:
        assert wait_model(server, sid, "stopped")["name"] == "memo"
        resp = server.api("POST", f"sessions/{sid}/resume", {})
        assert resp.status_code == 200, resp.text
        wait_model(server, sid, "idle")
        assert_clean(prompt(server, sid, "hello again"), "hello again")
        screen = "\n".join(server.api("GET", f"sessions/{sid}/screen").json()["lines"])
        assert "you said: hello again" in screen, screen
        memory = prompt(server, sid, "What was my previous question?")
        assert memory.endswith("your previous question was: hello again"), memory
        first = prompt(server, sid, "And what was my first question?")
        assert first.endswith("your first question was: hello there"), "lost over the restart"
        assert server.api("DELETE", f"sessions/{sid}").status_code == 204
