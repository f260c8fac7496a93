"""Answering a waiting claude session (``pending``, ``POST answer``) and policies at creation.

The real ``claude`` CLI against the fake Messages API: a Bash tool call makes it ask
permission, the AskUserQuestion tool asks a numbered question, a fresh HOME without
the key's approval shows the API-key screen. Answers are typed by the server with
the agent's own keys; tests check what really happened (files, tool results).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from jupyter_ccmanager.server.demo.api import Bash, FakeAnthropic, Text, ToolUse, prepare_home
from tests.claude.test_claude import env, fake_api, home, start_claude  # noqa: F401 (fixtures)
from tests.helpers.api import Api
from tests.helpers.waiting import wait_state

pytestmark = pytest.mark.claude


async def ask(api: Api, fake: FakeAnthropic, sid: str, reply: Any, then: str) -> dict[str, Any]:
    """Prompt so that the agent asks; the waiting model (with ``pending``)."""
    fake.queue(reply, Text(then))
    status, result = await api.call("POST", "sessions", sid, "prompt",
                                    body={"text": "go", "timeout": 60})  # fmt: skip
    assert status == 200 and result["state"] == "waiting", result
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:  # the options are read off the screen: they may come a frame later
        model = await api.get(sid)
        pending = model["pending"]
        if pending and pending["options"] and (pending["tool"] or loop.time() > deadline):
            return model
        assert loop.time() < deadline, model
        await asyncio.sleep(0.05)


async def test_permission_pending_then_yes_runs_it(
    api: Api,
    env: dict[str, str],  # noqa: F811
    fake_api: FakeAnthropic,  # noqa: F811
    jp_root_dir: Path,
) -> None:
    sid = (await start_claude(api, env))["id"]
    assert (await api.get(sid))["pending"] is None
    marker = Path(jp_root_dir) / "approved"
    model = await ask(api, fake_api, sid, Bash(f"touch {marker}", "Make a marker"), "Made it.")
    pending = model["pending"]
    assert (pending["kind"], pending["tool"]) == ("permission", "Bash")
    assert pending["input"]["command"] == f"touch {marker}"
    assert pending["message"] == "Do you want to proceed?"
    assert [o["key"] for o in pending["options"]] == ["yes", "always", "no"]
    assert pending["options"][0]["label"] == "Yes"
    before = model["offset"]

    refusals = [
        ({"choice": "maybe"}, 400, "INVALID_CHOICE"),
        ({"choice": "yes", "serial": pending["serial"] + 1}, 409, "ANSWER_CHANGED"),
        ({"choice": "yes", "colour": 1}, 400, "UNKNOWN_FIELD"),
        ({}, 400, "INVALID_VALUE"),
    ]
    for body, code, name in refusals:
        status, err = await api.call("POST", "sessions", sid, "answer", body=body)
        assert (status, err["code"]) == (code, name), (body, err)
    still = await api.get(sid)
    assert still["state"] == "waiting" and not marker.exists()
    assert still["pending"]["serial"] == pending["serial"]

    status, result = await api.call("POST", "sessions", sid, "answer",
                                    body={"choice": "yes", "serial": pending["serial"],
                                          "wait": True})  # fmt: skip
    assert status == 200, result
    assert result["state"] == "idle" and result["reply"] == "Made it."
    assert result["session"]["pending"] is None and result["session"]["offset"] > before
    assert marker.exists(), "the tool really ran after the answer"
    status, err = await api.call("POST", "sessions", sid, "answer", body={"choice": "yes"})
    assert (status, err["code"]) == (409, "NOT_WAITING")


async def test_no_does_not_run_it_and_text_says_what_instead(
    api: Api,
    env: dict[str, str],  # noqa: F811
    fake_api: FakeAnthropic,  # noqa: F811
    jp_root_dir: Path,
) -> None:
    sid = (await start_claude(api, env))["id"]
    marker = Path(jp_root_dir) / "denied"
    # A "no" ends the turn without another request: the next reply answers the text.
    await ask(api, fake_api, sid, Bash(f"touch {marker}"), "Fine, I will not.")
    status, result = await api.call("POST", "sessions", sid, "answer",
                                    body={"choice": "no", "text": "do not touch anything",
                                          "wait": True, "timeout": 60})  # fmt: skip
    assert status == 200, result
    assert result["state"] == "idle" and result["reply"] == "Fine, I will not."
    assert not marker.exists()
    assert "do not touch anything" in fake_api.prompts()[-1]
    rejected = str(fake_api.conversation()[-1]["messages"])
    assert "doesn't want to proceed" in rejected


async def test_person_in_the_terminal_wins(
    api: Api,
    env: dict[str, str],  # noqa: F811
    fake_api: FakeAnthropic,  # noqa: F811
    jp_root_dir: Path,
) -> None:
    sid = (await start_claude(api, env))["id"]
    marker = Path(jp_root_dir) / "typed"
    model = await ask(api, fake_api, sid, Bash(f"touch {marker}"), "Typed.")
    await api.send(sid, "1")  # a person picks "1. Yes" in the terminal first
    body = {"choice": "no", "serial": model["pending"]["serial"]}
    status, err = await api.call("POST", "sessions", sid, "answer", body=body)
    assert status == 409 and err["code"] in ("NOT_WAITING", "ANSWER_CHANGED"), err
    await wait_state(api, sid, "idle", timeout=60)
    assert marker.exists(), "the person's answer stood; ours typed nothing"


async def test_numbered_question_answered_by_option(
    api: Api,
    env: dict[str, str],  # noqa: F811
    fake_api: FakeAnthropic,  # noqa: F811
) -> None:
    sid = (await start_claude(api, env))["id"]
    options = [{"label": "Red", "description": "Warm"}, {"label": "Blue", "description": "Cool"}]
    question = {"questions": [{"question": "Which color do you prefer?", "header": "Color",
                               "multiSelect": False, "options": options}]}  # fmt: skip
    model = await ask(api, fake_api, sid, ToolUse("AskUserQuestion", question), "Blue it is.")
    pending = model["pending"]
    assert (pending["kind"], pending["tool"]) == ("question", "AskUserQuestion")
    assert pending["message"] == "Which color do you prefer?"
    assert [o["label"] for o in pending["options"]][:2] == ["Red", "Blue"]
    status, result = await api.call("POST", "sessions", sid, "answer",
                                    body={"choice": "Blue", "wait": True})  # fmt: skip
    assert status == 200, result
    assert result["reply"] == "Blue it is."
    answered = str(fake_api.conversation()[-1]["messages"][-1])
    assert '"Which color do you prefer?"="Blue"' in answered


async def test_api_key_screen_answered_from_the_screen(
    api: Api,
    env: dict[str, str],  # noqa: F811
    home: Path,  # noqa: F811
    jp_root_dir: Path,
) -> None:
    prepare_home(home, [jp_root_dir], approve_key=False)
    model = await start_claude(api, env)
    assert model["state_detail"] == "api_key"
    pending = model["pending"]
    assert (pending["kind"], pending["tool"]) == ("api_key", None)
    assert [o["key"] for o in pending["options"]] == ["yes", "no"]
    assert pending["message"] == "Do you want to use this API key?"
    status, result = await api.call("POST", "sessions", model["id"], "answer",
                                    body={"choice": "yes", "wait": True})  # fmt: skip
    assert status == 200, result
    assert result["state"] == "idle"


async def test_policy_allow_skips_the_question_and_deny_refuses(
    api: Api,
    env: dict[str, str],  # noqa: F811
    fake_api: FakeAnthropic,  # noqa: F811
    jp_root_dir: Path,
) -> None:
    policy = {"allow": ["Bash(touch:*)"], "deny": ["Bash(rm:*)"], "permission_mode": "default"}
    model = await start_claude(api, env, policy=policy)
    assert model["policy"] == policy
    assert model["command"][-2:] == ["--permission-mode", "default"]
    sid = model["id"]
    marker = Path(jp_root_dir) / "allowed"
    fake_api.queue(Bash(f"touch {marker}"), Text("Touched."))
    status, result = await api.call("POST", "sessions", sid, "prompt", body={"text": "touch it"})
    assert status == 200 and (result["state"], result["reply"]) == ("idle", "Touched."), result
    assert marker.exists(), "the allow rule ran it without a question"
    fake_api.queue(Bash(f"rm {marker}"), Text("Could not."))
    status, result = await api.call("POST", "sessions", sid, "prompt", body={"text": "rm it"})
    assert status == 200 and result["state"] == "idle", result
    assert marker.exists(), "the deny rule refused it"
    assert "has been denied" in str(fake_api.conversation()[-1]["messages"][-1])
    assert "waiting" not in [h["state"] for h in (await api.get(sid))["state_history"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"agent": "shell", "policy": {"allow": ["Read"]}}, "POLICY_NOT_SUPPORTED"),
        ({"agent": "claude", "policy": {"permission_mode": "yolo"}}, "INVALID_VALUE"),
        ({"agent": "claude", "policy": {"allow": "Read"}}, "INVALID_TYPE"),
        ({"agent": "claude", "policy": {"allow": [""]}}, "INVALID_VALUE"),
        ({"agent": "claude", "policy": {"ask": []}}, "UNKNOWN_FIELD"),
        ({"agent": "claude", "policy": []}, "INVALID_TYPE"),
    ],
)
async def test_bad_policy_is_refused(
    api: Api,
    body: dict[str, Any],
    code: str,
    env: dict[str, str],  # noqa: F811
) -> None:
    status, err = await api.call("POST", "sessions", body={**body, "env": env})
    assert (status, err["code"]) == (400, code), err
    assert (await api.call("GET", "sessions"))[1] == []
