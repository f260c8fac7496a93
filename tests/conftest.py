"""Shared fixtures: a real in-process Jupyter server (pytest-jupyter) with the extension."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

pytest_plugins = ["pytest_jupyter.jupyter_server"]

REPO = Path(__file__).resolve().parent.parent
LOCAL_CLAUDE = REPO / ".claude-cli" / "node_modules" / ".bin"
if LOCAL_CLAUDE.is_dir():
    # .ci/run installs the real CLI here; tests find it on PATH like users do.
    os.environ["PATH"] = f"{LOCAL_CLAUDE}{os.pathsep}{os.environ.get('PATH', '')}"

ARTIFACTS = REPO / "test-artifacts"


def require(available: bool, what: str) -> None:
    """Skip a test whose prerequisite is missing, or fail under CI (CCM_REQUIRE_ALL=1)."""
    if available:
        return
    if os.environ.get("CCM_REQUIRE_ALL"):
        pytest.fail(f"{what} is required (CCM_REQUIRE_ALL is set)")
    pytest.skip(f"{what} is not installed")


def require_claude() -> str:
    path = shutil.which("claude")
    require(path is not None, "the claude CLI (npm install @anthropic-ai/claude-code)")
    return str(path)


def require_chromium() -> str:
    require(os.path.exists("/usr/bin/chromium"), "/usr/bin/chromium (apt-get install chromium)")
    return "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _no_leaked_server_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process servers export their URL and token to os.environ (for kernels);
    keep one test's server from leaking into the next."""
    for name in ("JUPYTER_CCMANAGER_URL", "JUPYTER_CCMANAGER_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ccm_config() -> dict[str, Any]:
    """Per-test settings (CCManagerApp or CCSessionManager traits); a test module overrides it."""
    return {}


@pytest.fixture
def jp_server_config(ccm_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_ccmanager": True, "jupyter_server_terminals": True},
        },
        "CCManagerApp": {
            "demo_mode": "off",
            "stop_on_sigint": False,  # Ctrl-C stays pytest's
            "db_path": str(tmp_path / "ccm.sqlite"),
            **{k: v for k, v in ccm_config.items() if k in APP_TRAITS},
        },
        "CCSessionManager": {
            "default_agent": "shell",
            "stop_timeout": 2.0,
            **{k: v for k, v in ccm_config.items() if k not in APP_TRAITS},
        },
    }


#: Settings that stay on CCManagerApp; every other one is CCSessionManager's.
APP_TRAITS = {"demo_mode", "db_path", "persist_tail_bytes", "persist_interval", "stop_on_sigint"}


class Api:
    """Small helper over jp_fetch that returns (status, json) instead of raising."""

    def __init__(self, fetch: Any) -> None:
        self.fetch = fetch

    async def call(
        self, method: str, *parts: str, body: Any = None, raw: bytes | None = None, **kw: Any
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is None and method in ("POST", "PATCH"):
            data = b""
        try:
            resp = await self.fetch("ccmanager", "api", *parts, method=method, body=data, **kw)
        except HTTPClientError as err:
            resp = err.response
            assert resp is not None, err
        text = resp.body or b""
        ctype = resp.headers.get("Content-Type", "")
        if "json" in ctype and text:
            return resp.code, json.loads(text)
        return resp.code, text

    async def create(self, **body: Any) -> dict[str, Any]:
        status, model = await self.call("POST", "sessions", body=body)
        assert status == 201, model
        return model

    async def get(self, session_id: str) -> dict[str, Any]:
        status, model = await self.call("GET", "sessions", session_id)
        assert status == 200, model
        return model

    async def send(self, session_id: str, data: str) -> None:
        status, reply = await self.call(
            "POST", "sessions", session_id, "input", body={"data": data}
        )
        assert status == 200, reply


@pytest.fixture
def api(jp_fetch: Any) -> Api:
    return Api(jp_fetch)


@pytest.fixture
def manager(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["ccmanager"]
