"""The REST API of the in-process test server (over pytest-jupyter's ``jp_fetch``)."""

from __future__ import annotations

import json
from typing import Any

from tornado.httpclient import HTTPClientError


class Api:
    """Small helper over jp_fetch that returns (status, json) instead of raising."""

    def __init__(self, fetch: Any) -> None:
        self.fetch = fetch

    async def call(
        self, method: str, *parts: str, body: Any = None, raw: bytes | None = None, **kw: Any
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is None and method in ("POST", "PATCH"):
            data = b""
        try:
            resp = await self.fetch("ccmanager", "api", *parts, method=method, body=data, **kw)
        except HTTPClientError as err:
            resp = err.response
            assert resp is not None, err
        text = resp.body or b""
        ctype = resp.headers.get("Content-Type", "")
        if "json" in ctype and text:
            return resp.code, json.loads(text)
        return resp.code, text

    async def create(self, **body: Any) -> dict[str, Any]:
        status, model = await self.call("POST", "sessions", body=body)
        assert status == 201, model
        return model

    async def get(self, session_id: str) -> dict[str, Any]:
        status, model = await self.call("GET", "sessions", session_id)
        assert status == 200, model
        return model

    async def send(self, session_id: str, data: str) -> None:
        status, reply = await self.call(
            "POST", "sessions", session_id, "input", body={"data": data}
        )
        assert status == 200, reply

    async def screen_text(self, session_id: str) -> str:
        """The session's screen as one string."""
        status, screen = await self.call("GET", "sessions", session_id, "screen")
        assert status == 200, screen
        return "\n".join(screen["lines"])
