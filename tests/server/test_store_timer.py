"""The store's one timer: no wake-ups while nothing changed, one per interval however many
sessions stream (the PTY path only marks them dirty)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.api import Api
from tests.helpers.waiting import auntil, wait_output, wait_state

INTERVAL = 0.2


@pytest.fixture
def ccm_config() -> dict[str, Any]:
    return {"persist_interval": INTERVAL}


async def test_quiet_store_sleeps_and_busy_sessions_share_one_tick(api: Api, manager: Any) -> None:
    store = manager.persistence
    quiet = await api.create(command=["sh", "-c", "echo quiet-ready; exec cat"])
    await wait_output(api, quiet["id"], b"quiet-ready")
    await wait_state(api, quiet["id"], "idle")
    await auntil(lambda: not store.dirty and store._timer is None, what="the store at rest")
    assert store._timer is None, "nothing dirty: no timer armed"
    loud = "while :; do echo tick; sleep 0.01; done"
    models = [await api.create(command=["sh", "-c", loud]) for _ in range(4)]
    for m in models:
        await wait_output(api, m["id"], b"tick")
    reads = 0

    def counted(session: Any, *rest: Any) -> None:
        nonlocal reads
        reads += 1
        mark(session, *rest)

    mark, store.mark = store.mark, counted
    start = store.wakeups
    await auntil(lambda: reads >= 200, timeout=60, what="200 reads of busy sessions")
    ticks = store.wakeups - start
    store.mark = mark
    assert 1 <= ticks <= reads // 10, f"{ticks} store wake-ups for {reads} PTY reads"
    for m in models:
        await api.call("DELETE", "sessions", m["id"])
