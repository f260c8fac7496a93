"""Authentication, authorization, XSRF and origin checks, as jupyter_server does them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from tests.helpers.api import Api


@pytest.fixture
def base(jp_http_port: int, jp_base_url: str) -> str:
    return f"127.0.0.1:{jp_http_port}{jp_base_url}"


async def login_cookie(jp_fetch: Any) -> str:
    """The cookie a browser gets after logging in with the token."""
    resp = await jp_fetch("api", "me")
    cookies = [c.split(";")[0] for c in resp.headers.get_list("Set-Cookie")]
    assert any(c.startswith("username-") for c in cookies), cookies
    return "; ".join(cookies)


async def fetch(url: str, **kw: Any) -> tuple[int, Any]:
    try:
        resp = await AsyncHTTPClient().fetch(HTTPRequest(url, **kw))
    except HTTPClientError as err:
        resp = err.response
    body = resp.body or b""
    return resp.code, json.loads(body) if body else None


async def test_rest_requires_auth(api: Api, manager: Any, base: str) -> None:
    for headers in ({}, {"Authorization": "token wrong"}):
        status, err = await fetch(f"http://{base}ccmanager/api/sessions", headers=headers)
        assert status == 403 and err["code"] == "FORBIDDEN", err
        status, err = await fetch(
            f"http://{base}ccmanager/api/sessions", method="POST", body="{}", headers=headers
        )
        assert status == 403
    assert manager.sessions == {}


async def test_cookie_writes_need_xsrf(api: Api, manager: Any, base: str, jp_fetch: Any) -> None:
    cookie = await login_cookie(jp_fetch)
    url = f"http://{base}ccmanager/api/sessions"
    status, models = await fetch(url, headers={"Cookie": cookie})
    assert status == 200 and models == []  # cookie auth works for reads
    status, err = await fetch(url, method="POST", body="{}", headers={"Cookie": cookie})
    assert status == 403 and "xsrf" in err["message"].lower()
    assert manager.sessions == {}
    headers = {"Cookie": f"{cookie}; _xsrf=0123abcd", "X-XSRFToken": "0123abcd"}
    status, model = await fetch(url, method="POST", body="{}", headers=headers)
    assert status == 201 and model["state"] in ("starting", "busy", "idle")


async def test_ws_cross_origin_refused_for_cookie_auth(
    api: Api, base: str, jp_fetch: Any, jp_http_port: int
) -> None:
    cookie = await login_cookie(jp_fetch)
    model = await api.create()
    url = f"ws://{base}ccmanager/api/sessions/{model['id']}/ws"
    for headers in ({}, {"Authorization": "token wrong"}):
        with pytest.raises(HTTPClientError) as err:
            await websocket_connect(HTTPRequest(url, headers=headers))
        assert err.value.code == 403
    with pytest.raises(HTTPClientError) as err:
        await websocket_connect(
            HTTPRequest(url, headers={"Cookie": cookie, "Origin": "http://evil.example"})
        )
    assert err.value.code == 403
    origin = f"http://127.0.0.1:{jp_http_port}"
    ok = await websocket_connect(HTTPRequest(url, headers={"Cookie": cookie, "Origin": origin}))
    assert json.loads(await ok.read_message())["type"] == "hello"
    ok.close()


class TestAuthorization:
    """A user without the `terminals` permission can neither list nor attach."""

    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any]) -> dict[str, Any]:
        return {
            **jp_server_config,
            "ServerApp": {**jp_server_config["ServerApp"], "authorizer_class": NoTerminals},
        }

    async def test_forbidden_without_terminals_permission(self, api: Api, manager: Any) -> None:
        status, err = await api.call("GET", "sessions")
        assert status == 403 and err["code"] == "FORBIDDEN"
        status, err = await api.call("POST", "sessions", body={})
        assert status == 403 and manager.sessions == {}


class NoTerminals(Authorizer):
    """Allows everything but the `terminals` resource."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "terminals"
