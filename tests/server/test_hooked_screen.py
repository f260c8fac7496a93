# ruff: noqa: RUF001 (the TUI's own characters)
"""While the hooks say busy, the state detector does not render the screen on every tick.

Rendering the screen to text was most of a busy claude session's server cost
(57 % of the samples in a profile of four). A real program here draws a
Claude-like busy frame every 30 ms; once a hook said busy, the screen is read
at most about once a second, yet it still notices what hooks miss: the frames
stop (an Esc interrupt fires no Stop hook) and the session goes idle.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_ccmanager.server.agents.claude_rules import CLAUDE_REGION, CLAUDE_RULES
from tests.helpers.api import Api
from tests.helpers.waiting import auntil, wait_state

#: An idle prompt box; after a line is typed, busy frames (spinner, "esc to
#: interrupt") every 30 ms until a file appears, then the idle box again.
TUI = r"""
import os, sys, time
stop, out = sys.argv[1], sys.stdout
rule = "─" * 60
box = f"\x1b[H\x1b[2J{rule}\r\n❯ \r\n{rule}\r\n  ? for shortcuts\r\n"
out.write(box); out.flush()
sys.stdin.readline()
i = 0
while not os.path.exists(stop):
    out.write(f"\x1b[H\x1b[2K✻ Working… ({i // 30}s · ↓ {i} tokens)\r\n{rule}\r\n❯ \r\n"
              f"{rule}\r\n\x1b[2K  esc to interrupt\r\n")
    out.flush()
    i += 1
    time.sleep(0.03)
out.write(box); out.flush()
sys.stdin.readline()
"""


@pytest.fixture
def stop_file(tmp_path: Path) -> Path:
    return tmp_path / "stop-drawing"


@pytest.fixture
def ccm_config(tmp_path: Path, stop_file: Path) -> dict[str, Any]:
    script = tmp_path / "tui.py"
    script.write_text(TUI)
    agent = {
        "argv": [sys.executable, str(script), str(stop_file)],
        "claude": True,
        "rules": CLAUDE_RULES,
        "region": CLAUDE_REGION,
        "idle_debounce": 0.3,
    }
    return {"agents": {"hooked": agent}}


async def test_busy_hook_screen_read_rarely_but_still_read(
    api: Api, manager: Any, stop_file: Path
) -> None:
    model = await api.create(agent="hooked")
    sid = model["id"]
    session, watch = manager.get(sid), manager.watches[sid]
    headers = {"X-CCM-Hook-Secret": session.hook_secret}

    async def hook(event: str) -> None:
        body = {"hook_event_name": event, "session_id": "x"}
        status, _ = await api.call("POST", "sessions", sid, "hook", body=body, headers=headers)
        assert status == 204

    await hook("SessionStart")
    await wait_state(api, sid, "idle", timeout=30)
    ticks = 0
    update = watch.feeder.on_update

    def counted() -> None:
        nonlocal ticks
        ticks += 1
        update()

    await api.send(sid, "go\r")
    await hook("UserPromptSubmit")
    await wait_state(api, sid, "busy", timeout=30)
    watch.feeder.on_update = counted
    renders = watch.reader.renders
    await auntil(lambda: ticks >= 30, timeout=60, what="30 screen updates")
    rendered = watch.reader.renders - renders
    assert rendered <= ticks // 5 + 1, f"{rendered} renders in {ticks} screen updates"
    assert (await api.get(sid))["state"] == "busy"
    stop_file.touch()  # the frames stop and no Stop hook comes (an interrupt)
    idle = await wait_state(api, sid, "idle", timeout=30)
    assert idle["state"] == "idle", "the screen is still read while the hooks say busy"
    await api.call("DELETE", "sessions", sid)
