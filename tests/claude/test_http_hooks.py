"""Hooks over http: the real claude CLI posts its hook events itself (no process per event).

Checked with the real CLI against the fake Messages API: every event but
``SessionStart`` is registered as ``"type": "http"`` (the CLI does not send
SessionStart over http, so that one stays a command), the per-session secret
is filled into the header by the CLI from its environment and is never on the
command line, and the states those events announce arrive: busy at the prompt,
waiting at a permission dialog (with the tool the hook names: checked in
tests/claude/test_claude.py, http being the default), idle at Stop.
``hook_transport = "command"`` still works the old way.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from jupyter_ccmanager.server.agents.hooks import HOOK_EVENTS, SECRET_HEADER, hook_settings
from jupyter_ccmanager.server.demo.api import FakeAnthropic, Text
from tests.claude import test_claude as base
from tests.helpers.api import Api

pytestmark = pytest.mark.claude

# the real-CLI fixtures of test_claude: the fake API, a prepared HOME, the environment
fake_api, home, env, start_claude = base.fake_api, base.home, base.env, base.start_claude

URL = "http://127.0.0.1:1/ccmanager/api/sessions/s1/hook"


def hooks_of(argv: list[str]) -> dict[str, str]:
    """Event → hook type, from a session's ``--settings`` JSON."""
    settings = json.loads(argv[argv.index("--settings") + 1])
    return {event: entries[0]["hooks"][0]["type"] for event, entries in settings["hooks"].items()}


def test_http_settings_keep_session_start_a_command_and_the_secret_out() -> None:
    settings = json.loads(hook_settings({"allow": ["Read"]}, "http", URL))
    for event in HOOK_EVENTS:
        hook = settings["hooks"][event][0]["hooks"][0]
        if event == "SessionStart":
            assert hook["type"] == "command"
            continue
        assert hook["type"] == "http" and hook["url"] == URL
        assert hook["headers"] == {SECRET_HEADER: "$CCM_HOOK_SECRET"}
        assert hook["allowedEnvVars"] == ["CCM_HOOK_SECRET"]
    assert settings["permissions"] == {"allow": ["Read"]}
    command = json.loads(hook_settings(None, "command", URL))["hooks"]
    assert {entries[0]["hooks"][0]["type"] for entries in command.values()} == {"command"}
    with pytest.raises(ValueError, match="transport"):
        hook_settings(None, "carrier-pigeon", URL)


async def test_prompt_and_stop_over_http(
    api: Api, env: dict[str, str], fake_api: FakeAnthropic, manager: Any
) -> None:
    model = await start_claude(api, env)
    sid = model["id"]
    session = manager.get(sid)
    kinds = hooks_of(session.argv)
    assert kinds["UserPromptSubmit"] == kinds["Stop"] == "http"
    assert session.hook_secret not in " ".join(session.argv)
    fake_api.queue(Text("Over http."))
    status, result = await api.call("POST", "sessions", sid, "prompt", body={"text": "hi"})
    assert status == 200 and result["reply"] == "Over http.", result
    events = [e.get("hook_event_name") for e in manager.watches[sid].detector.events]
    assert "SessionStart" in events, "the command hook"
    assert "UserPromptSubmit" in events and "Stop" in events, f"http hooks came: {events}"
    history = [h["state"] for h in (await api.get(sid))["state_history"]]
    assert "busy" in history and history[-1] == "idle"


class TestCommandTransport:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"hook_transport": "command"}

    async def test_prompt_with_command_hooks(
        self, api: Api, env: dict[str, str], fake_api: FakeAnthropic, manager: Any
    ) -> None:
        model = await start_claude(api, env)
        sid = model["id"]
        assert set(hooks_of(manager.get(sid).argv).values()) == {"command"}
        fake_api.queue(Text("By command."))
        status, result = await api.call("POST", "sessions", sid, "prompt", body={"text": "hi"})
        assert status == 200 and result["reply"] == "By command.", result
        events = [e.get("hook_event_name") for e in manager.watches[sid].detector.events]
        assert "UserPromptSubmit" in events and "Stop" in events, events
