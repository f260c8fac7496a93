"""Shared fixtures: a real in-process Jupyter server (pytest-jupyter) with the extension.

Fixtures only; what tests share as code lives in :mod:`tests.helpers`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import openapi
from tests.helpers.api import Api
from tests.helpers.require import local_claude_path

pytest_plugins = ["pytest_jupyter.jupyter_server", "pytester"]


@pytest.fixture(autouse=True, scope="session")
def _local_claude_on_path() -> Iterator[None]:
    """.ci/run installs the real CLI in .claude-cli/; tests (and the servers and kernels
    they start) find it on PATH like users do."""
    before = os.environ.get("PATH", "")
    os.environ["PATH"] = local_claude_path(before)
    yield
    os.environ["PATH"] = before


@pytest.fixture(autouse=True)
def _no_leaked_server_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process servers export their URL and token to os.environ (for kernels);
    keep one test's server from leaking into the next."""
    for name in ("JUPYTER_CCMANAGER_URL", "JUPYTER_CCMANAGER_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def openapi_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[openapi.ResponseLog]:
    """Every REST response of every test server during the test, checked against
    rest-api.yml; any that does not match fails the test (at teardown)."""
    own = tmp_path_factory.mktemp("openapi") / "responses.jsonl"
    monkeypatch.setenv(openapi.LOG_ENV, str(own))  # the in-process server's log
    log = openapi.ResponseLog(own)
    yield log
    problems = log.problems()
    if problems:
        pytest.fail(
            "responses that do not match rest-api.yml:\n" + "\n".join(problems),
            pytrace=False,
        )


@pytest.fixture
def ccm_config() -> dict[str, Any]:
    """Per-test settings (CCManagerApp or CCSessionManager traits); a test module overrides it."""
    return {}


@pytest.fixture
def jp_server_config(ccm_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The in-process server: the extension, Lab's terminals and the OpenAPI checker;
    ``ccm_config`` on CCManagerApp (its own traits) or CCSessionManager (the rest)."""
    app_traits = {"demo_mode", "db_path", "persist_tail_bytes", "persist_interval"}
    return {
        "ServerApp": {
            "jpserver_extensions": {
                "jupyter_ccmanager": True,
                "jupyter_server_terminals": True,
                openapi.EXTENSION: True,
            },
        },
        "CCManagerApp": {
            "demo_mode": "off",
            "db_path": str(tmp_path / "ccm.sqlite"),
            **{k: v for k, v in ccm_config.items() if k in app_traits},
        },
        "CCSessionManager": {
            "default_agent": "shell",
            "stop_timeout": 2.0,
            **{k: v for k, v in ccm_config.items() if k not in app_traits},
        },
    }


@pytest.fixture
def api(jp_fetch: Any) -> Api:
    return Api(jp_fetch)


@pytest.fixture
def manager(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["ccmanager"]
