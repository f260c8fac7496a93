"""Offsets never silently mean other bytes: a viewer holding one across a kill -9 restart is told.

A real ``jupyter server`` subprocess is killed with SIGKILL while the last output
is not yet in the store (``persist_interval`` is long), restarted and the session
resumed: the restored output ends before what the viewer saw, and the resumed
process writes new bytes at the offsets the viewer already holds.
"""

from __future__ import annotations

import signal
from pathlib import Path

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from jupyter_ccmanager.server.session import session_members
from tests.helpers.launcher import JupyterServer
from tests.helpers.waiting import until, wait_gone
from tests.helpers.ws import Viewer


async def _viewer(server: JupyterServer, sid: str, query: str = "") -> Viewer:
    url = server.ws_url + f"ccmanager/api/sessions/{sid}/ws{query}"
    viewer = Viewer(await websocket_connect(HTTPRequest(url, headers=server.headers)))
    await viewer.until(lambda v: v.hello is not None)
    return viewer


async def test_viewer_holding_an_offset_across_kill9_is_told_and_gets_resumed_output(
    tmp_path: Path,
) -> None:
    server = JupyterServer(tmp_path, "--CCManagerApp.persist_interval=3600").start()
    try:
        sid = server.create(name="crashy")["id"]
        viewer = await _viewer(server, sid)
        stream = viewer.hello["stream"]
        assert viewer.hello["reset"] is False and viewer.hello["session"]["stream"] == stream
        viewer.type("seq 1 20000; echo unsaved-$((6*7))\r")
        await viewer.until_output(b"unsaved-42\r\n")
        held = viewer.end  # what the viewer has seen: its offset to resume from
        viewer.close()
        pids = session_members(server.session("crashy")["pid"])
    finally:
        server.stop(signal.SIGKILL)
    wait_gone(pids)
    with JupyterServer(tmp_path, "--CCManagerApp.persist_interval=3600") as again:
        restored = again.api("GET", f"sessions/{sid}").json()
        assert restored["stream"] != stream, "restored output is a new stream"
        assert restored["offset"] < held, "the crash lost the unsaved tail (the premise)"
        assert again.api("POST", f"sessions/{sid}/resume", {}).status_code == 200
        again.api("POST", f"sessions/{sid}/input", {"data": "seq 1 30000; echo resumed-$((7*7))\r"})
        until(lambda: b"resumed-49" in again.output(sid), what="resumed output")
        assert again.api("GET", f"sessions/{sid}").json()["offset"] > held, (
            "new bytes now sit at offsets the viewer holds: a clamp would silently skip them"
        )
        # The viewer comes back with its offset and stream: told, and served from the start.
        back = await _viewer(again, sid, f"?offset={held}&stream={stream}")
        assert back.hello["reset"] is True and back.hello["stream"] == restored["stream"]
        start = back.hello["offset"]
        await back.until_output(b"resumed-49\r\n")
        assert bytes(back.output) == again.output(sid, start)[: len(back.output)]
        back.close()
        # Its own stream and an offset within it: no reset, nothing lost or repeated.
        here = again.api("GET", f"sessions/{sid}").json()["offset"]
        same = await _viewer(again, sid, f"?offset={here}&stream={restored['stream']}")
        assert same.hello["reset"] is False and same.hello["offset"] == here
        same.close()
        # An offset beyond the end (a client that sends no stream) is told too.
        old = await _viewer(again, sid, f"?offset={here + 10**6}")
        assert old.hello["reset"] is True and old.hello["offset"] == start
        old.close()
        bad = again.api("GET", f"sessions/{sid}/ws?stream=no%20such")
        assert bad.status_code == 400, bad.text
