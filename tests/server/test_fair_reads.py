"""Fair reads: a flooding session reads less per wake-up while another session is typed in.

A flood alone is read in large bites (throughput); once another session has a
small read (an echo), the flood gets one read per wake-up, as terminado reads,
so the echo does not wait behind it. Sizes are checked, never times.
"""

from __future__ import annotations

from typing import Any

from jupyter_ccmanager.server import session as session_module
from tests.helpers.api import Api
from tests.helpers.waiting import auntil, wait_output


async def test_flood_reads_one_chunk_per_wake_up_while_another_session_echoes(
    api: Api, manager: Any
) -> None:
    echo = await api.create(command=["sh", "-c", "echo echo-ready; exec cat >/dev/null"])
    await wait_output(api, echo["id"], b"echo-ready")
    flood = await api.create(command=["sh", "-c", "base64 /dev/zero"])
    session = manager.get(flood["id"])
    appends: list[tuple[int, bool]] = []  # (bytes, typed into the other session lately)
    append = session._append
    typing = False

    def counted(data: bytes) -> None:
        appends.append((len(data), typing))
        append(data)

    session._append = counted
    alone = lambda: max((n for n, t in appends if not t), default=0)  # noqa: E731
    await auntil(lambda: alone() > session_module.FAIR_BUDGET, what="a large read, alone")
    for i in range(20):
        await api.send(echo["id"], "x")
        await auntil(lambda i=i: manager.get(echo["id"]).buffer.end > 12 + i, what="the echo")
        typing = True  # from the first echo read on
    typed = [n for n, t in appends if t]
    assert len(typed) > 20, "the flood kept being read while the other session echoed"
    assert max(typed) <= session_module.FAIR_BUDGET, max(typed)
    await api.call("DELETE", "sessions", flood["id"])
    await api.call("DELETE", "sessions", echo["id"])
