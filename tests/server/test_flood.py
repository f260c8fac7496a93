"""A stalled viewer during a long flood must not grow the server's memory.

The server runs as its own process so its RSS can be read; the stalled viewer
is a raw socket that completes the WebSocket handshake and then never reads.
"""

from __future__ import annotations

from pathlib import Path

import psutil

from tests.helpers.launcher import JupyterServer
from tests.helpers.waiting import until
from tests.helpers.ws import stalled_viewer

FLOOD_BYTES = 300_000_000


def test_stalled_viewer_flood_keeps_rss_flat(tmp_path: Path) -> None:
    with JupyterServer(tmp_path) as server:
        proc = psutil.Process(server.pid)
        script = (
            f"read x; head -c {FLOOD_BYTES} /dev/zero | tr '\\0' a; echo; echo FLOOD-DONE; read y"
        )
        model = server.create(command=["sh", "-c", script])
        path = f"{server.base_url}ccmanager/api/sessions/{model['id']}/ws?token={server.token}"
        sock = stalled_viewer(server.port, path)
        until(
            lambda: server.api("GET", f"sessions/{model['id']}").json()["clients"] == 1,
            what="the stalled viewer attached",
        )
        before = proc.memory_info().rss
        peak = before
        assert server.api("POST", f"sessions/{model['id']}/input", {"data": "go\r"}).ok

        def flooded() -> bool:
            nonlocal peak
            peak = max(peak, proc.memory_info().rss)
            offset = server.api("GET", f"sessions/{model['id']}").json()["offset"]
            return offset >= FLOOD_BYTES

        # the flood goes through while the viewer is stalled
        until(flooded, timeout=600, what="the flood to go through")
        growth = (peak - before) / 2**20
        print(
            f"\nstalled viewer, {FLOOD_BYTES / 1e6:.0f} MB flood: server RSS {before / 2**20:.1f}"
            f" MiB -> peak {peak / 2**20:.1f} MiB (+{growth:.1f} MiB)"
        )
        (tmp_path / "rss.txt").write_text(f"{growth:.1f}")
        assert growth < 40, f"server RSS grew {growth:.1f} MiB"
        sock.close()
