# ruff: noqa: RUF001 (the TUI's own characters)
"""A screen nobody needs at the moment costs no parsing ticks and no renders.

Rendering the screen to text was most of a busy claude session's server cost
(57 % of the samples in a profile of four). A real program here draws a
Claude-like busy frame every 30 ms; once a hook said busy, the screen is
neither parsed per tick nor rendered per frame, yet it still notices what hooks
miss: the frames stop (an Esc interrupt fires no Stop hook) and the session
goes idle. A shell's screen is parsed only when someone reads it, or when its
backlog grows past ``LAZY_LAG``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_ccmanager.server.agents.claude_rules import CLAUDE_REGION, CLAUDE_RULES
from jupyter_ccmanager.server.state.screen import LAZY_LAG
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
    await api.send(sid, "go\r")
    await hook("UserPromptSubmit")
    await wait_state(api, sid, "busy", timeout=30)
    await auntil(lambda: frames(session, 0) >= 3, timeout=30, what="the first busy frames")
    start, ticks, renders = session.buffer.end, watch.feeder.ticks, watch.reader.renders
    await auntil(lambda: frames(session, start) >= 100, timeout=120, what="100 busy frames")
    ticked = watch.feeder.ticks - ticks
    rendered = watch.reader.renders - renders
    # Fed per tick (every 50 ms) and read per frame, this would be ~60 and ~100.
    assert ticked <= 10, f"{ticked} parsing ticks in 100 frames while the hooks say busy"
    assert rendered <= 10, f"{rendered} renders in 100 frames while the hooks say busy"
    assert (await api.get(sid))["state"] == "busy"
    stop_file.touch()  # the frames stop and no Stop hook comes (an interrupt)
    idle = await wait_state(api, sid, "idle", timeout=30)
    assert idle["state"] == "idle", "the screen is still read while the hooks say busy"
    await api.call("DELETE", "sessions", sid)


def frames(session: Any, since: int) -> int:
    """Busy frames drawn since buffer offset ``since``."""
    _, data = session.buffer.read(since, session.buffer.capacity)
    return int(data.count(b"esc to interrupt"))


async def test_shell_screen_parsed_only_when_read_or_far_behind(api: Api, manager: Any) -> None:
    model = await api.create(command=["/bin/sh"])
    sid = model["id"]
    watch = manager.watches[sid]
    feeder = watch.feeder
    await api.send(sid, "echo lazy-$((6 * 7))\r")
    await auntil(lambda: b"lazy-42" in manager.get(sid).buffer.read(0, 1 << 20)[1], what="echo")
    # The read that brought the echo ran the output listeners: no parsing is due.
    assert feeder.model.lag > 0 and feeder._timer is None, "a shell nobody reads is parsed"
    assert "lazy-42" in await api.screen_text(sid)  # a read catches up first
    assert feeder.model.lag == 0
    # A backlog past LAZY_LAG is parsed in the background, without a reader.
    long_line = f"head -c {3 * LAZY_LAG} /dev/zero | tr '\\0' x; echo; echo done-$((1 + 1))\r"
    await api.send(sid, long_line)
    await auntil(
        lambda: b"done-2" in manager.get(sid).buffer.read(0, 8 << 20)[1], what="the long line"
    )
    await auntil(lambda: feeder.model.lag < LAZY_LAG, timeout=60, what="the backlog parsed")
    assert feeder.ticks > 0
    await api.call("DELETE", "sessions", sid)
