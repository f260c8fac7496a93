"""Kernel-side client logic that needs no Jupyter server.

Discovery order, error mapping and URL building are pure functions of their
inputs. The transport tests talk to a tiny canned-response HTTP stub on
127.0.0.1: it stands in for the network (what bytes arrive, how fast), not
for the jupyter_ccmanager server, whose behaviour the integration tests check
against the real thing.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from jupyter_ccmanager import api
from jupyter_ccmanager.client.discovery import discover, normalize_base_url
from jupyter_ccmanager.client.transport import Call, Client
from jupyter_ccmanager.errors import (
    AgentNotFound,
    CCManagerError,
    ConnectionFailed,
    InvalidRequest,
    LimitExceeded,
    PermissionDenied,
    ServerNotFound,
    SessionEnded,
    SessionNotFound,
    Timeout,
    error_from_response,
)

# -- error mapping ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, "NOT_FOUND", SessionNotFound),
        (409, "MAX_SESSIONS", LimitExceeded),
        (409, "MAX_SESSIONS_PER_USER", LimitExceeded),
        (400, "BAD_REQUEST", InvalidRequest),
        (400, "INVALID_NAME", InvalidRequest),
        (400, "UNKNOWN_FIELD", InvalidRequest),
        (400, "AGENT_NOT_FOUND", AgentNotFound),
        (424, "AGENT_NOT_FOUND", AgentNotFound),
        (504, "TIMEOUT", Timeout),
        (403, "FORBIDDEN", PermissionDenied),
    ],
)
def test_known_codes_map_to_typed_errors(status: int, code: str, cls: type) -> None:
    body = json.dumps({"code": code, "message": "Maximum 4 sessions supported."})
    err = error_from_response(status, body.encode())
    assert type(err) is cls
    assert (err.code, err.message, err.status) == (code, "Maximum 4 sessions supported.", status)
    assert code in str(err) and "Maximum 4" in str(err)


def test_unknown_code_keeps_code_on_base_class() -> None:
    err = error_from_response(409, b'{"code": "ALREADY_RUNNING", "message": "busy"}')
    assert type(err) is CCManagerError
    assert err.code == "ALREADY_RUNNING" and err.status == 409


def test_errors_are_also_builtin_exceptions() -> None:
    assert isinstance(error_from_response(504, b'{"code":"TIMEOUT","message":"x"}'), TimeoutError)
    assert isinstance(error_from_response(404, b'{"code":"NOT_FOUND","message":"x"}'), LookupError)
    assert isinstance(ConnectionFailed(None, "x"), ConnectionError)
    assert ConnectionFailed(None, "x").code == "CONNECTION_FAILED"


def test_bodies_without_code() -> None:
    # Jupyter's own JSON errors (raised before our handlers) have no code.
    err = error_from_response(403, b'{"message": "Forbidden", "reason": null}')
    assert type(err) is PermissionDenied and err.message == "Forbidden"
    # A proxy's HTML page.
    err = error_from_response(502, b"<html>Bad gateway</html>", "http://h/x", "Bad Gateway")
    assert type(err) is CCManagerError and err.code == "HTTP_502"
    assert "http://h/x" in err.message
    # Bare 404: the route does not exist, i.e. the extension is not enabled.
    err = error_from_response(404, b"<html>404</html>", "http://h/ccmanager/api/sessions")
    assert type(err) is ServerNotFound and "extension" in err.message


def test_errors_pickle() -> None:
    for err in (
        LimitExceeded("MAX_SESSIONS", "too many", 409),
        SessionEnded(None, "gone", None, state="exited"),
    ):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and vars(back) == vars(err)


# -- URLs -----------------------------------------------------------------------------


def test_url_building_with_base_url() -> None:
    c = Client("http://127.0.0.1:8888/user/x", "tok")
    assert c.url == "http://127.0.0.1:8888/user/x/"
    assert c.api_url == "http://127.0.0.1:8888/user/x/ccmanager/api/"
    url = c.url_for(("sessions", "a b/c?", "output"), {"offset": 5, "skip": None, "force": True})
    assert url == (
        "http://127.0.0.1:8888/user/x/ccmanager/api/sessions/a%20b%2Fc%3F/output?offset=5&force=1"
    )
    assert (
        c.ws_url("abc", 42) == "ws://127.0.0.1:8888/user/x/ccmanager/api/sessions/abc/ws?offset=42"
    )
    assert c.ws_url("abc") == "ws://127.0.0.1:8888/user/x/ccmanager/api/sessions/abc/ws"
    assert Client("https://hub.example/user/x/").ws_url("s").startswith("wss://hub.example/user/x/")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("localhost:8888", "http://localhost:8888/"),
        ("http://0.0.0.0:8888/lab?token=abc", "http://127.0.0.1:8888/lab/"),
        ("http://[::]:9000/", "http://127.0.0.1:9000/"),
        ("http://h:1/user/x/ccmanager/api/", "http://h:1/user/x/"),
        (" https://h/ ", "https://h/"),
    ],
)
def test_normalize_base_url(raw: str, expected: str) -> None:
    assert normalize_base_url(raw) == expected


def test_normalize_rejects_other_schemes() -> None:
    with pytest.raises(ValueError, match="scheme"):
        normalize_base_url("ftp://h/")


def test_headers_and_repr_hide_nothing_but_the_token() -> None:
    c = Client("http://h:1/", "s3cret")
    assert c.headers() == {"Authorization": "token s3cret"}
    assert Client("http://h:1/").headers() == {}
    assert "s3cret" not in repr(c)
    assert "s3cret" not in repr(discover("http://h:1/", "s3cret", environ={}))


# -- discovery -------------------------------------------------------------------------


def _server(pid: int, port: int, token: str = "t", **kw: Any) -> dict[str, Any]:
    return {
        "url": f"http://localhost:{port}/",
        "hostname": "localhost",
        "port": port,
        "sock": "",
        "secure": False,
        "base_url": "/",
        "token": token,
        "pid": pid,
        **kw,
    }


def _no_servers() -> list[dict[str, Any]]:
    return []


def test_explicit_arguments_win() -> None:
    env = {"JUPYTER_CCMANAGER_URL": "http://env:1/", "JUPYTER_CCMANAGER_TOKEN": "envtok"}
    info = discover("http://explicit:2/base", "tok", environ=env, list_servers=_no_servers)
    assert (info.url, info.token) == ("http://explicit:2/base/", "tok")


def test_env_exported_by_the_extension() -> None:
    env = {"JUPYTER_CCMANAGER_URL": "http://127.0.0.1:8888/u/", "JUPYTER_CCMANAGER_TOKEN": "et"}
    info = discover(environ=env, list_servers=lambda: pytest.fail("must not list servers"))
    assert (info.url, info.token) == ("http://127.0.0.1:8888/u/", "et")
    # An explicit token overrides the exported one.
    assert discover(token="mine", environ=env, list_servers=_no_servers).token == "mine"


def test_explicit_url_never_gets_another_servers_token() -> None:
    env = {"JUPYTER_CCMANAGER_URL": "http://localhost:8888/", "JUPYTER_CCMANAGER_TOKEN": "et"}
    same = discover("http://127.0.0.1:8888", environ=env, list_servers=_no_servers)
    assert same.token == "et"  # loopback spellings are the same server
    other = discover("http://elsewhere:8888/", environ=env, list_servers=_no_servers)
    assert other.token == ""
    listed = discover(
        "http://localhost:9999/", environ={}, list_servers=lambda: [_server(1, 9999, "lt")]
    )
    assert listed.token == "lt"


def test_running_server_matched_on_parent_pid() -> None:
    servers = [_server(111, 8001, "a"), _server(222, 8002, "b"), _server(333, 8003, "c")]
    info = discover(environ={"JPY_PARENT_PID": "222"}, list_servers=lambda: servers)
    assert (info.url, info.token) == ("http://localhost:8002/", "b")
    assert "222" in info.source


def test_single_running_server_used_without_pid_match() -> None:
    servers = [_server(111, 8001, "a", hostname="0.0.0.0", base_url="/user/me/")]
    info = discover(environ={"JPY_PARENT_PID": "999"}, list_servers=lambda: servers)
    assert (info.url, info.token) == ("http://127.0.0.1:8001/user/me/", "a")


def test_ambiguous_running_servers_are_an_error() -> None:
    servers = [_server(111, 8001), _server(222, 8002)]
    with pytest.raises(ServerNotFound) as exc:
        discover(environ={"JPY_PARENT_PID": "999"}, list_servers=lambda: servers)
    msg = exc.value.message
    assert "8001" in msg and "8002" in msg and "999" in msg and "ccm.connect(" in msg


def test_unix_socket_servers_are_skipped() -> None:
    servers = [_server(111, 0, sock="/tmp/jp.sock"), _server(222, 8002, "b")]
    assert discover(environ={}, list_servers=lambda: servers).url == "http://localhost:8002/"


def test_jupyterhub() -> None:
    hub = {
        "JUPYTERHUB_API_TOKEN": "hubtok",
        "JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:8888/user/alice/",
        "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/",
    }
    info = discover(environ=hub, list_servers=_no_servers)
    assert (info.url, info.token) == ("http://127.0.0.1:8888/user/alice/", "hubtok")
    # A single-user server's own record has no token: the hub token authenticates.
    servers = [_server(5, 8888, "", base_url="/user/alice/")]
    assert discover(environ=hub, list_servers=lambda: servers).token == "hubtok"


def test_nothing_found_says_what_was_tried() -> None:
    with pytest.raises(ServerNotFound) as exc:
        discover(environ={}, list_servers=_no_servers)
    msg = exc.value.message
    for needle in ("JUPYTER_CCMANAGER_URL", "list_running_servers", "JUPYTERHUB", "ccm.connect("):
        assert needle in msg


def test_broken_server_listing_does_not_hide_other_steps() -> None:
    def broken() -> list[dict[str, Any]]:
        raise OSError("runtime dir unreadable")

    hub = {"JUPYTERHUB_API_TOKEN": "h", "JUPYTERHUB_SERVICE_URL": "http://127.0.0.1:1/user/a/"}
    assert discover(environ=hub, list_servers=broken).token == "h"


def test_real_list_running_servers_with_runtime_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default lister reads jpserver-*.json files of live processes."""
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    for name, pid, port in (("a", os.getpid(), 8101), ("b", os.getppid(), 8102)):
        record = _server(pid, port, f"tok-{name}")
        (tmp_path / f"jpserver-{pid}.json").write_text(json.dumps(record))
    monkeypatch.setenv("JPY_PARENT_PID", str(os.getppid()))
    for var in ("JUPYTER_CCMANAGER_URL", "JUPYTER_CCMANAGER_TOKEN", "JUPYTERHUB_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    info = discover()
    assert (info.url, info.token) == ("http://localhost:8102/", "tok-b")


# -- transport against a canned HTTP stub ----------------------------------------------

Route = Callable[[dict[str, Any]], tuple[int, dict[str, str], bytes]]


def _json(status: int, value: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(value).encode()


MODEL = {"id": "s1", "name": "alpha", "agent": "shell", "state": "idle", "key": "task-7"}


class Stub:
    """Canned answers keyed by (method, path); records every request it sees."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                req = {
                    "method": self.command,
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self.rfile.read(length) if length else b"",
                }
                stub.requests.append(req)
                route = stub.routes.get((self.command, parts.path))
                status, headers, body = (
                    route(req) if route else _json(404, {"code": "NOT_FOUND", "message": "no"})
                )
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/user/x/"
        self.api = "/user/x/ccmanager/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def route(self, method: str, path: str, answer: Route) -> None:
        self.routes[(method, self.api + path)] = answer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub() -> Iterator[Stub]:
    s = Stub()
    s.route("GET", "sessions/s1", lambda r: _json(200, MODEL))
    s.route("GET", "sessions", lambda r: _json(200, [MODEL]))
    yield s
    s.close()


@pytest.fixture
def client(stub: Stub) -> Client:
    return Client(stub.url, "tok", timeout=5)


async def test_sync_calls_work_inside_a_running_loop(stub: Stub, client: Client) -> None:
    asyncio.get_running_loop()  # this test body runs on an event loop, like ipykernel
    s = api.get("s1", client=client)
    assert (s.id, s.name) == ("s1", "alpha")
    assert s.state == "idle"
    assert [x.id for x in api.sessions(client=client)] == ["s1"]
    # The async twins, on this loop.
    assert (await api.aget("s1", client=client)).name == "alpha"
    assert await s.astate() == "idle"


async def test_get_falls_back_to_name_then_key(stub: Stub, client: Client) -> None:
    assert api.get("alpha", client=client).id == "s1"
    assert (await api.aget("task-7", client=client)).id == "s1"
    with pytest.raises(SessionNotFound, match="nope"):
        api.get("nope", client=client)
    # Non-id strings never become a URL path: only the list is fetched.
    stub.requests.clear()
    for weird in ("", "..", "a/b"):
        with pytest.raises(SessionNotFound):
            api.get(weird, client=client)
    assert {r["path"] for r in stub.requests} == {stub.api + "sessions"}


def test_requests_carry_auth_xsrf_and_clean_bodies(
    stub: Stub, client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub.route("POST", "sessions", lambda r: _json(201, {**MODEL, **json.loads(r["body"])}))
    monkeypatch.chdir(tmp_path)
    s = api.start(name="beta", agent="shell", env={"N": 1}, client=client)
    req = stub.requests[-1]
    assert req["headers"]["authorization"] == "token tok"
    assert req["headers"]["content-type"] == "application/json"
    xsrf = req["headers"]["x-xsrftoken"]
    assert req["headers"]["cookie"] == f"_xsrf={xsrf}"
    body = json.loads(req["body"])
    # cwd "." is the kernel's directory, resolved client-side; unset fields are left out.
    assert body == {"name": "beta", "agent": "shell", "cwd": str(tmp_path), "env": {"N": "1"}}
    assert s.name == "beta"


def test_typed_errors_from_the_wire(stub: Stub, client: Client) -> None:
    stub.route(
        "POST",
        "sessions",
        lambda r: _json(409, {"code": "MAX_SESSIONS", "message": "Maximum 4 sessions supported."}),
    )
    with pytest.raises(LimitExceeded) as exc:
        api.start(client=client)
    assert exc.value.status == 409 and "Maximum 4" in exc.value.message


async def test_async_typed_errors(stub: Stub, client: Client) -> None:
    stub.route("POST", "sessions", lambda r: _json(400, {"code": "INVALID_NAME", "message": "bad"}))
    with pytest.raises(InvalidRequest):
        await api.astart(name="??", client=client)


def test_output_offsets_from_headers(stub: Stub, client: Client) -> None:
    def output(req: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        assert req["query"] == {"offset": ["10"]}
        headers = {"X-CCM-Offset": "12", "X-CCM-End-Offset": "16"}
        return 200, {**headers, "Content-Type": "application/octet-stream"}, b"h\xc3\xa9\xff"

    stub.route("GET", "sessions/s1/output", output)
    s = api.get("s1", client=client)
    chunk = s.read_output(10)
    assert (chunk.data, chunk.offset, chunk.end_offset) == (b"h\xc3\xa9\xff", 12, 16)
    assert s.output(10) == "hé\ufffd"
    assert s.output_bytes(10) == b"h\xc3\xa9\xff"


def test_prompt_keeps_full_result_and_http_timeout_exceeds_wait(stub: Stub, client: Client) -> None:
    def prompt(req: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        time.sleep(0.3)  # longer than the client's default timeout below
        return _json(200, {"state": "waiting", "state_detail": "permission", "reply": "ok"})

    stub.route("POST", "sessions/s1/prompt", prompt)
    s = api.get("s1", client=client)
    client.timeout = 0.1
    assert s.prompt("hi", timeout=1) == "ok"
    assert json.loads(stub.requests[-1]["body"]) == {"text": "hi", "wait": True, "timeout": 1}
    assert s.last_prompt_result == {"state": "waiting", "state_detail": "permission", "reply": "ok"}
    assert "waiting/permission" in repr(s)


def test_client_timeout_and_connection_failure(stub: Stub, client: Client) -> None:
    stub.route("GET", "slow", lambda r: (time.sleep(0.5), _json(200, {}))[1])
    with pytest.raises(Timeout) as exc:
        client.request(Call("GET", ("slow",), timeout=0.1))
    assert exc.value.code == "CLIENT_TIMEOUT"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connection refused
        dead = Client(f"http://127.0.0.1:{port}/")
        with pytest.raises(ConnectionFailed, match=str(port)):
            dead.request(Call("GET", ("sessions",)))


async def test_async_connection_failure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = Client(f"http://127.0.0.1:{sock.getsockname()[1]}/")
        with pytest.raises(ConnectionFailed):
            await dead.arequest(Call("GET", ("sessions",)))


# -- wait_for: no WebSocket on the stub, so this is the polling fallback ------------------


def _state_sequence(*states: str) -> Route:
    it = iter(states)
    last = [states[0]]

    def answer(req: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        last[0] = next(it, last[0])
        return _json(200, {**MODEL, "state": last[0], "exit_code": 3})

    return answer


async def test_wait_for_polls_when_no_websocket(stub: Stub, client: Client) -> None:
    s = api.Session(client, MODEL)
    stub.route("GET", "sessions/s1", _state_sequence("busy", "busy", "waiting"))
    # Sync wait from a thread whose event loop is running: runs on the background loop.
    assert s.wait_for("idle", "waiting", timeout=10) == "waiting"
    stub.route("GET", "sessions/s1", _state_sequence("busy", "idle"))
    assert await s.await_for(timeout=10) == "idle"  # default: idle or waiting


def test_wait_for_timeout_and_ended(stub: Stub, client: Client) -> None:
    s = api.Session(client, MODEL)
    stub.route("GET", "sessions/s1", _state_sequence("busy"))
    with pytest.raises(Timeout, match="busy"):
        s.wait_for("idle", timeout=0.3)
    stub.route("GET", "sessions/s1", _state_sequence("busy", "exited"))
    with pytest.raises(SessionEnded) as exc:
        s.wait_for("idle", timeout=10)
    assert exc.value.state == "exited" and "exit code 3" in exc.value.message
    assert s.wait_for("exited", timeout=10) == "exited"
    with pytest.raises(ValueError, match="idel"):
        s.wait_for("idel")


def test_session_repr_is_offline_and_display_falls_back_to_text(client: Client) -> None:
    s = api.Session(client, {**MODEL, "state": "busy"})
    assert repr(s) == "<Session 'alpha' id=s1 agent=shell state=busy>"
    # Outside a kernel no widget is built: plain text only.
    assert s._repr_mimebundle_() == {"text/plain": repr(s)}
    assert s == api.Session(client, MODEL) and len({s, api.Session(client, MODEL)}) == 1


def test_display_in_a_kernel_uses_the_widget_bundle(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_ccmanager.client import session as remote

    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "m"}}

    class FakeWidget:  # anywidget answers (data, metadata)
        def _repr_mimebundle_(self, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
            return {**view, "text/plain": "widget"}, {}

    s = api.Session(client, MODEL)
    monkeypatch.setattr(remote, "_in_kernel", lambda: True)
    monkeypatch.setattr(api.Session, "widget", lambda self: FakeWidget())
    assert s._repr_mimebundle_() == ({**view, "text/plain": repr(s)}, {})

    def broken(self: Any) -> Any:
        raise RuntimeError("bundle missing")

    monkeypatch.setattr(api.Session, "widget", broken)
    assert s._repr_mimebundle_() == {"text/plain": repr(s)}
