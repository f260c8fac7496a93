"""Secrets stay out of sessions, hook secrets die with their process, the demo API is closed
and bounded, and session activity is the server's activity (issue #11)."""

from __future__ import annotations

import asyncio
import datetime
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from jupyter_ccmanager.server.demo.api import FakeAnthropic
from tests.helpers.api import Api
from tests.helpers.waiting import wait_output, wait_state

SCRUBBED = {
    "JUPYTER_TOKEN": "jt-secret",
    "JUPYTERHUB_API_TOKEN": "hub-secret",
    "JPY_API_TOKEN": "jpy-secret",
    "JUPYTERHUB_OAUTH_ACCESS_TOKEN": "oauth-secret",
    "JUPYTER_GATEWAY_AUTH_TOKEN": "gw-secret",
}


def environ_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [p.split(b"=", 1) for p in f.read().split(b"\0") if b"=" in p]
    return {k.decode(): val.decode() for k, val in pairs}


async def test_jupyter_tokens_are_scrubbed_from_sessions(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SCRUBBED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CCM_HARMLESS", "kept")
    model = await api.create(command=["sh", "-c", "echo ready; exec cat"])
    await wait_output(api, model["id"], b"ready")
    env = environ_of(model["pid"])
    assert env.get("CCM_HARMLESS") == "kept"
    assert not set(SCRUBBED) & set(env), sorted(set(SCRUBBED) & set(env))


class TestHookSecret:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        agent = {"argv": ["sh", "-c", "echo ready; exec cat"], "claude": True}
        return {"agents": {"hooked": agent}, "stop_timeout": 1.0}

    async def test_hook_secret_stops_working_after_stop(self, api: Api) -> None:
        model = await api.create(agent="hooked")
        sid = model["id"]
        await wait_output(api, sid, b"ready")
        secret = environ_of(model["pid"])["CCM_HOOK_SECRET"]
        hook = {"hook_event_name": "UserPromptSubmit", "session_id": "x"}

        async def post() -> int:
            status, _ = await api.call(
                "POST", "sessions", sid, "hook", body=hook, headers={"X-CCM-Hook-Secret": secret}
            )
            return status

        assert await post() == 204
        status, _ = await api.call("POST", "sessions", sid, "stop", body={})
        assert status == 200
        await wait_state(api, sid, "stopped")
        assert await post() == 403, "a stopped session's secret is worthless"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    req = urllib.request.Request(url + "/v1/messages", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def test_stand_in_api_needs_its_key_and_keeps_bounded_memory() -> None:
    message = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    body = json.dumps(message).encode()
    with FakeAnthropic(api_key="sk-ant-test-only-ours", keep=5, max_body=1 << 20) as api:
        status, err = _post(api.url, body, {"Content-Type": "application/json"})
        assert status == 401 and err["error"]["type"] == "authentication_error"
        status, err = _post(api.url, body, {"x-api-key": "sk-ant-someone-else"})
        assert status == 401
        ours = {"x-api-key": "sk-ant-test-only-ours"}
        padded = json.dumps({**message, "pad": "x" * 100_000}).encode()
        for _ in range(40):
            status, reply = _post(api.url, padded, ours)
            assert status == 200 and reply["type"] == "message"
        assert len(api.requests) == 5, "only the newest requests are kept"
        status, err = _post(api.url, b"x" * (api.max_body + 1), ours)
        assert status == 413
        status, reply = _post(api.url, body, {"Authorization": "Bearer sk-ant-test-only-ours"})
        assert status == 200


class TestDemoApi:
    @pytest.fixture
    def ccm_config(self) -> dict[str, Any]:
        return {"demo_mode": "on"}

    async def test_demo_api_key_is_random_and_only_in_our_sessions(self, manager: Any) -> None:
        demo = manager.demo
        assert demo is not None
        assert demo.api.api_key.startswith("sk-ant-") and demo.api.api_key != "sk-ant-api03-demo"
        env = demo.env_for(manager.root_dir)
        assert env["ANTHROPIC_API_KEY"] == demo.api.api_key
        status, _ = await asyncio.to_thread(
            _post, demo.api.url, b'{"messages": []}', {"x-api-key": "sk-ant-guess"}
        )
        assert status == 401
        assert demo.api.requests.maxlen == 0, "demo mode keeps no request bodies"


async def test_session_output_counts_as_server_activity(api: Api, jp_fetch: Any) -> None:
    """jupyterhub-idle-culler reads /api/status last_activity: an agent at work is activity."""

    async def last_activity() -> datetime.datetime:
        resp = await jp_fetch("api", "status")
        return datetime.datetime.fromisoformat(json.loads(resp.body)["last_activity"])

    model = await api.create(command=["sh", "-c", "while :; do echo tick; sleep 0.2; done"])
    await wait_output(api, model["id"], b"tick")
    first = await last_activity()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while await last_activity() <= first:  # /api/status itself is not activity
        assert loop.time() < deadline, "the session's output never moved last_activity"
        await asyncio.sleep(0.2)
