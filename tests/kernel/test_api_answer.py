"""The kernel API for answering a waiting claude session: ``s.pending``, ``s.approve()``,
``s.deny()``, ``s.answer()``, ``s.prompt(..., on_waiting=...)``, ``ccm.start(policy=...)``.

Real server, real ``claude`` CLI, fake Messages API (see test_api.py for the threading).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import jupyter_ccmanager as ccm
from jupyter_ccmanager.client.transport import Client
from jupyter_ccmanager.server.demo.api import Bash, FakeAnthropic, Text
from tests.kernel.test_api import (  # noqa: F401 (fixtures)
    _fresh_default,
    claude_vars,
    client,
    fake_api,
    server_url,
    token,
)

pytestmark = pytest.mark.claude
to_thread = asyncio.to_thread


async def test_on_waiting_decides_each_permission_as_it_comes(
    client: Client,  # noqa: F811
    fake_api: FakeAnthropic,  # noqa: F811
    claude_vars: dict[str, str],  # noqa: F811
    jp_root_dir: Path,
) -> None:
    s = await to_thread(ccm.start, agent="claude", cwd=str(jp_root_dir), env=claude_vars)
    assert await to_thread(s.wait_for, timeout=90) == "idle"
    assert await to_thread(lambda: s.pending) is None
    with pytest.raises(ccm.NotWaiting):
        await to_thread(s.approve)
    keep, drop = Path(jp_root_dir) / "keep", Path(jp_root_dir) / "drop"
    fake_api.queue(Bash(f"touch {keep}"), Bash(f"touch {drop}"), Text("never sent"))
    asked: list[dict[str, Any]] = []

    def decide(session: ccm.Session, pending: dict[str, Any]) -> bool:
        assert session is s
        asked.append(pending)
        return str(pending["input"]["command"]).endswith("keep")

    await to_thread(s.prompt, "make two files", timeout=90, on_waiting=decide)
    assert [p["input"]["command"] for p in asked] == [f"touch {keep}", f"touch {drop}"]
    assert all(p["tool"] == "Bash" and p["kind"] == "permission" for p in asked)
    assert asked[0]["serial"] != asked[1]["serial"]
    assert keep.exists() and not drop.exists()
    assert s.last_prompt_result and s.last_prompt_result["state"] == "idle"
    await to_thread(s.stop)


async def test_approve_deny_and_policy(
    client: Client,  # noqa: F811
    fake_api: FakeAnthropic,  # noqa: F811
    claude_vars: dict[str, str],  # noqa: F811
    jp_root_dir: Path,
) -> None:
    policy = {"allow": ["Bash(mkdir:*)"], "deny": [], "permission_mode": None}
    s = await ccm.astart(agent="claude", cwd=str(jp_root_dir), env=claude_vars, policy=policy)
    assert s.model["policy"] == policy
    assert await s.await_for(timeout=90) == "idle"
    made = Path(jp_root_dir) / "made-dir"
    fake_api.queue(Bash(f"mkdir {made}"), Text("Made."))
    assert await s.aprompt("make a dir", timeout=90) == "Made."
    assert made.is_dir(), "allowed by the policy: no question"

    marker = Path(jp_root_dir) / "approved"
    fake_api.queue(Bash(f"touch {marker}"), Text("Approved and done."))
    await s.aprompt("touch it", timeout=90)
    assert (await s.apending() or {}).get("tool") == "Bash"
    result = await s.aapprove(wait=True)
    assert result["reply"] == "Approved and done." and marker.exists()

    fake_api.queue(Bash(f"rm {marker}"), Text("Then I will leave it."))
    await s.aprompt("remove it", timeout=90)
    result = await to_thread(s.deny, "leave the file alone", wait=True)
    assert result["reply"] == "Then I will leave it." and marker.exists()
    assert "leave the file alone" in fake_api.prompts()[-1]
    with pytest.raises(ccm.NotWaiting):
        await s.adeny()
    await s.astop()
