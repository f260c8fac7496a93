"""The real `claude` CLI, driven through the extension, against a fake Messages API.

Every test starts real claude processes with a throw-away HOME; the fake API
(jupyter_ccmanager.server.demo.api) serves scripted streamed replies on 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_ccmanager.server.agents.transcript import config_dir, transcript_path
from jupyter_ccmanager.server.demo.api import Bash, FakeAnthropic, Text, claude_env, prepare_home
from tests.helpers.api import Api
from tests.helpers.require import require_claude
from tests.helpers.waiting import auntil, wait_state

pytestmark = pytest.mark.claude


@pytest.fixture
def fake_api() -> Iterator[FakeAnthropic]:
    require_claude()
    with FakeAnthropic() as api:
        yield api


@pytest.fixture
def home(tmp_path: Path, jp_root_dir: Path) -> Path:
    home = tmp_path / "home"
    prepare_home(home, [jp_root_dir])
    return home


@pytest.fixture
def env(fake_api: FakeAnthropic, home: Path) -> dict[str, str]:
    return claude_env(fake_api.url, home)


async def start_claude(api: Api, env: dict[str, str], **body: Any) -> dict[str, Any]:
    model = await api.create(agent="claude", env=env, **body)
    return await wait_state(api, model["id"], "idle", "waiting", timeout=60)


async def text_on_screen(api: Api, sid: str, text: str) -> bool:
    return text in await api.screen_text(sid)


async def test_prompt_reply_and_conversation_id(
    api: Api, env: dict[str, str], fake_api: FakeAnthropic, jp_root_dir: Path
) -> None:
    model = await start_claude(api, env)
    assert model["state"] == "idle", model
    conversation = model["agent_session_id"]
    assert conversation and "--session-id" in model["command"]
    fake_api.queue(Text("The answer is forty-two."))
    status, result = await api.call(
        "POST", "sessions", model["id"], "prompt", body={"text": "What is the answer?"}
    )
    assert status == 200, result
    assert result["state"] == "idle" and result["reply"] == "The answer is forty-two."
    assert "What is the answer?" in fake_api.prompts()[-1]
    history = [h["state"] for h in (await api.get(model["id"]))["state_history"]]
    assert history[:1] == ["starting"] and "busy" in history and history[-1] == "idle"
    path = transcript_path(config_dir(env), os.path.realpath(jp_root_dir), conversation)
    assert path.is_file(), "the CLI's transcript is named by our agent_session_id"


async def test_permission_prompt_waits_then_tool_runs(
    api: Api, env: dict[str, str], fake_api: FakeAnthropic, jp_root_dir: Path, manager: Any
) -> None:
    """The PermissionRequest reaches the server over an http hook (the default)."""
    model = await start_claude(api, env)
    sid = model["id"]
    marker = Path(jp_root_dir) / "marker"
    fake_api.queue(Bash(f"touch {marker}", "Create a marker file"), Text("I created the marker."))
    status, result = await api.call(
        "POST", "sessions", sid, "prompt", body={"text": "create the marker", "timeout": 60}
    )
    assert status == 200, result
    assert (result["state"], result["state_detail"]) == ("waiting", "permission")
    assert "Do you want to proceed?" in await api.screen_text(sid)
    events = [e.get("hook_event_name") for e in manager.watches[sid].detector.events]
    assert "PermissionRequest" in events, events
    assert (await api.get(sid))["pending"]["tool"] == "Bash", "the tool the hook named"
    assert not marker.exists()
    await api.send(sid, "\r")  # "1. Yes" is selected
    done = await wait_state(api, sid, "idle", timeout=60)
    assert done["state"] == "idle"
    assert marker.exists(), "the tool really ran after the permission was given"


async def test_interrupt_while_busy(api: Api, env: dict[str, str], fake_api: FakeAnthropic) -> None:
    model = await start_claude(api, env)
    sid = model["id"]
    fake_api.queue(Text("word " * 200, delay=0.2))
    status, result = await api.call(
        "POST", "sessions", sid, "prompt", body={"text": "talk forever", "wait": False}
    )
    assert status == 200 and result["reply"] is None
    await wait_state(api, sid, "busy", timeout=30)
    assert "esc to interrupt" in (await api.screen_text(sid)).lower()
    status, _ = await api.call("POST", "sessions", sid, "interrupt")
    assert status == 200
    idle = await wait_state(api, sid, "idle", timeout=30)
    assert idle["state"] == "idle"


async def test_api_key_confirmation_is_waiting(
    api: Api, env: dict[str, str], home: Path, jp_root_dir: Path
) -> None:
    prepare_home(home, [jp_root_dir], approve_key=False)
    model = await start_claude(api, env)
    assert (model["state"], model["state_detail"]) == ("waiting", "api_key")
    assert "Do you want to use this API key?" in await api.screen_text(model["id"])


async def test_trust_dialog_is_waiting(
    api: Api, env: dict[str, str], home: Path, jp_root_dir: Path
) -> None:
    prepare_home(home, [jp_root_dir], trust=False)
    model = await start_claude(api, env)
    assert (model["state"], model["state_detail"]) == ("waiting", "trust")


async def test_exit_command(api: Api, env: dict[str, str]) -> None:
    model = await start_claude(api, env)
    await api.send(model["id"], "/exit")
    # Enter only once the CLI shows what was typed (its command menu reacts to it)
    await auntil(lambda: text_on_screen(api, model["id"], "/exit"), what="/exit typed")
    await api.send(model["id"], "\r")
    done = await wait_state(api, model["id"], "exited", timeout=30)
    assert done["exit_code"] == 0


async def test_three_sessions_independent(
    api: Api, env: dict[str, str], fake_api: FakeAnthropic
) -> None:
    models = [await api.create(agent="claude", env=env) for _ in range(3)]
    for m in models:
        await wait_state(api, m["id"], "idle", timeout=60)
    fake_api.queue(Text("slow " * 100, delay=0.2))
    status, _ = await api.call(
        "POST", "sessions", models[0]["id"], "prompt", body={"text": "be slow", "wait": False}
    )
    assert status == 200
    await wait_state(api, models[0]["id"], "busy", timeout=30)
    states = [(await api.get(m["id"]))["state"] for m in models]
    assert states == ["busy", "idle", "idle"]
    ids = {m["agent_session_id"] for m in models}
    assert len(ids) == 3
    await api.call("POST", "sessions", models[0]["id"], "interrupt")
    await wait_state(api, models[0]["id"], "idle", timeout=30)


async def test_hook_with_wrong_secret_is_refused(api: Api, manager: Any) -> None:
    model = await api.create()
    session = manager.get(model["id"])
    session.hook_secret = "right-secret"
    body = {"hook_event_name": "PermissionRequest"}
    for headers in ({}, {"X-CCM-Hook-Secret": "wrong"}):
        status, err = await api.call(
            "POST", "sessions", model["id"], "hook", body=body, headers={**headers}
        )
        assert status == 403 and err["code"] == "HOOK_FORBIDDEN"
    assert (await api.get(model["id"]))["state"] != "waiting"


async def test_resume_continues_the_same_conversation(
    api: Api, env: dict[str, str], fake_api: FakeAnthropic
) -> None:
    model = await start_claude(api, env)
    sid, conversation = model["id"], model["agent_session_id"]
    fake_api.queue(Text("Noted: banana."))
    status, result = await api.call(
        "POST", "sessions", sid, "prompt", body={"text": "Remember the word banana"}
    )
    assert status == 200 and result["reply"] == "Noted: banana."
    status, stopped = await api.call("POST", "sessions", sid, "stop", body={})
    assert status == 200 and stopped["state"] == "stopped"
    status, resumed = await api.call("POST", "sessions", sid, "resume", body={"env": env})
    assert status == 200, resumed
    command = resumed["command"]
    assert command[command.index("--resume") + 1] == conversation
    assert resumed["agent_session_id"] == conversation
    await wait_state(api, sid, "idle", timeout=60)
    fake_api.queue(Text("The word was banana."))
    status, result = await api.call("POST", "sessions", sid, "prompt", body={"text": "Which word?"})
    assert status == 200 and result["reply"] == "The word was banana."
    history = str(fake_api.conversation()[-1]["messages"])
    assert "Remember the word banana" in history, "the resumed CLI sent the earlier turns"


class TestMissingCli:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"agents": {"claude": {"argv": ["claude-not-installed-xyz"]}}}

    async def test_agent_not_found(self, api: Api, manager: Any) -> None:
        status, err = await api.call("POST", "sessions", body={"agent": "claude"})
        assert status == 400 and err["code"] == "AGENT_NOT_FOUND"
        assert "npm install -g @anthropic-ai/claude-code" in err["message"]
        assert manager.sessions == {}


class TestDemoMode:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"demo_mode": "on"}

    async def test_claude_without_a_key_uses_the_stand_in(self, api: Api, manager: Any) -> None:
        require_claude()
        model = await api.create(agent="claude")
        await wait_state(api, model["id"], "idle", timeout=60)
        status, result = await api.call(
            "POST", "sessions", model["id"], "prompt", body={"text": "hello demo"}
        )
        assert status == 200 and "you said: hello demo" in result["reply"]
        assert manager.demo.api.served > 0, "the stand-in answered"
        assert len(manager.demo.api.requests) == 0, "demo mode keeps no request bodies"

    async def test_run_prompt_asks_permission_in_demo_mode(
        self, api: Api, jp_root_dir: Path
    ) -> None:
        require_claude()
        model = await api.create(agent="claude")
        await wait_state(api, model["id"], "idle", timeout=60)
        marker = Path(jp_root_dir) / "ran"
        status, result = await api.call(
            "POST", "sessions", model["id"], "prompt", body={"text": f"run: touch {marker}"}
        )
        assert status == 200 and (result["state"], result["state_detail"]) == (
            "waiting",
            "permission",
        )
        await api.send(model["id"], "1")
        await wait_state(api, model["id"], "idle", timeout=60)
        assert marker.exists()
