"""Session events on jupyter_server's event bus (/api/events/subscribe)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from jupyter_ccmanager.server.events import SCHEMA_ID
from tests.helpers.api import Api


async def next_events(ws: Any, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(events) < count:
        msg = await asyncio.wait_for(ws.read_message(), max(deadline - loop.time(), 0.01))
        event = json.loads(msg)
        if event.get("schema_id") == SCHEMA_ID:
            events.append(event)
    return events


async def test_lifecycle_events(api: Api, jp_ws_fetch: Any) -> None:
    ws = await jp_ws_fetch("api", "events", "subscribe")
    model = await api.create(command=["sh", "-c", "read x; exit 3"], name="evented")
    created = (await next_events(ws, 1))[0]
    assert created["action"] == "created" and created["session_id"] == model["id"]
    assert created["name"] == "evented" and created["session"]["agent"] == "command"
    await api.send(model["id"], "go\r")
    seen: list[dict[str, Any]] = []
    while not any(e["action"] == "exited" for e in seen):
        seen += await next_events(ws, 1)
    assert any(e["action"] == "state" for e in seen)
    exited = next(e for e in seen if e["action"] == "exited")
    assert exited["session"]["exit_code"] == 3
    status, _ = await api.call("DELETE", "sessions", model["id"])
    assert status == 204
    while True:
        event = (await next_events(ws, 1))[0]
        if event["action"] == "deleted":
            break
    assert event["session_id"] == model["id"] and "session" not in event
    ws.close()
