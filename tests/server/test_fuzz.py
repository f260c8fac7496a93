"""Schemathesis against a live ``jupyter server``, driven by ``server/rest-api.yml``.

Every operation of the spec gets generated requests, valid ones (positive) and
ones that break the schema (negative), twice: once on whatever session id the
generator makes up, once on a real running session. Each response must be no
5xx, a status the spec lists for that operation, of its content type and
schema, and every error a JSON ``{code, message}``. Meanwhile a thread keeps
asking ``/api/status``, which must keep answering (no probe without an answer
in 5 s; the latencies are reported, not asserted); afterwards
a new session still streams over its WebSocket.

What is constrained, so the fuzz is hostile to the server and not to the machine:
the real session runs ``cat`` (typed input is echoed, never executed); a
generated ``command`` runs ``true`` instead of its first word (its other
strings still go through validation); the server allows 4 sessions; prompt
``timeout`` is capped at 2 s; the real session is never deleted. ``cwd`` is
fuzzed freely: outside the root it must be refused.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.helpers.launcher import JupyterServer
from tests.helpers.openapi import SPEC_PATH
from tests.helpers.paths import ARTIFACTS
from tests.helpers.probe import StatusProbe
from tests.helpers.ws import Viewer

#: Examples per operation, mode and id kind: 15 operations (all but ws) x 2 x 2 x this.
EXAMPLES = 40
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance,
]  # fmt: skip
REPORT = ARTIFACTS / "fuzz" / "schemathesis.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with JupyterServer(
        tmp, "--CCSessionManager.max_sessions=4", "--CCSessionManager.stop_timeout=1",
        "--CCManagerApp.demo_mode=off",
    ) as running:  # fmt: skip
        yield running


def _constrain(case: Any, real_id: str | None) -> bool:
    """Make ``case`` harmless to the machine; False if it must not be sent at all."""
    op = case.operation
    body = case.body if isinstance(case.body, dict) else None
    if (
        real_id is not None
        and op.method.upper() == "DELETE"
        and op.path == "/sessions/{session_id}"
    ):
        return False
    if body is not None:
        command = body.get("command")
        if isinstance(command, list) and command and isinstance(command[0], str):
            body["command"] = ["true", *command[1:]]
        if op.path.endswith("/prompt") and isinstance(body.get("timeout"), (int, float)):
            body["timeout"] = min(body["timeout"], 2)
    return True


def _error_shape(status: int, content_type: str, text: str) -> str | None:
    """Why an error response is not ``{code, message}`` JSON (None if it is)."""
    if status < 400:
        return None
    if not content_type.startswith("application/json"):
        return f"{status} is {content_type!r}, not JSON: {text[:200]!r}"
    try:
        body = json.loads(text)
    except ValueError:
        return f"{status} body is not JSON: {text[:200]!r}"
    if not (isinstance(body, dict) and isinstance(body.get("code"), str)
            and isinstance(body.get("message"), str)):  # fmt: skip
        return f"{status} body is not {{code, message}}: {text[:200]!r}"
    return None


#: What was sent when: (perf_counter at start, seconds, "METHOD path status"), for the report.
Sent = list[tuple[float, float, str]]


def _fuzz(
    op: Any, mode: GenerationMode, server: JupyterServer, real_id: str | None,
    tally: Counter[str], sent: Sent,
) -> Callable[[], None]:  # fmt: skip
    fixed = {"session_id": real_id} if real_id is not None and "{session_id}" in op.path else None
    strategy = op.as_strategy(generation_mode=mode, path_parameters=fixed)
    session = requests.Session()

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    def run(case: Any) -> None:
        if not _constrain(case, real_id):
            return
        began = time.perf_counter()
        response = case.call(
            base_url=server.url_for("ccmanager/api"), session=session, headers=server.headers,
            timeout=30,
        )  # fmt: skip
        what = f"{op.method.upper()} {case.formatted_path} -> {response.status_code}"
        sent.append((began, time.perf_counter() - began, what))
        tally[f"{response.status_code}"] += 1
        tally["requests"] += 1
        case.validate_response(response, checks=CHECKS, headers=server.headers)
        problem = _error_shape(
            response.status_code,
            (response.headers.get("content-type") or [""])[0],
            response.content.decode(errors="replace"),
        )
        assert problem is None, f"{op.method.upper()} {op.path}: {problem}"

    return run


def test_schemathesis_finds_no_5xx_and_every_error_is_code_message(server: JupyterServer) -> None:
    schema = schemathesis.openapi.from_path(SPEC_PATH)
    target = server.create(command=["cat"], name="fuzz-target")["id"]
    tally: Counter[str] = Counter()
    sent: Sent = []
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if not op.path.endswith("/ws")]  # see test_ws_fuzz
    with StatusProbe(server) as probe:
        for op in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for real_id in (None, target):
                    if real_id is not None and "{session_id}" not in op.path:
                        continue
                    try:
                        _fuzz(op, mode, server, real_id, tally, sent)()
                    except Unsatisfiable:  # nothing to negate (e.g. GET stats has no input)
                        tally["ungenerated"] += 1
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({
        "operations": len(operations), "tally": dict(tally),
        "status_probes": probe.count, "status_worst_s": round(probe.worst, 3),
        "slow_status": [
            {"latency": round(latency, 3), "during": [
                f"{what} ({took:.3f} s)" for at, took, what in sent
                if at < start + latency and at + took > start
            ]} for start, latency in probe.slow(0.25)
        ],
        "slowest_requests": [
            f"{what} ({took:.3f} s)" for _, took, what in sorted(sent, key=lambda s: -s[1])[:10]
        ],
    }, indent=1))  # fmt: skip
    print(f"schemathesis: {dict(tally)}; /api/status worst {probe.worst:.3f} s of {probe.count}")
    assert tally["requests"] >= 1000, tally
    assert not probe.failures, f"{probe.failures} /api/status probes got no answer within 5 s"
    asyncio.run(_still_streams(server))


async def _still_streams(server: JupyterServer) -> None:
    """After the fuzz: clear the sessions, start one, and see its output over the socket."""
    for model in server.sessions():
        server.api("DELETE", f"sessions/{model['id']}", params={"force": "1"})
    sid = server.create(command=["cat"], name="after-fuzz")["id"]
    url = server.ws_url + f"ccmanager/api/sessions/{sid}/ws"
    ws = await websocket_connect(HTTPRequest(url, headers=server.headers))
    viewer = Viewer(ws)
    await viewer.until(lambda v: v.hello is not None)
    viewer.send_json(type="input", data="still-streaming\r")
    await viewer.until_output(b"still-streaming")
    viewer.close()
