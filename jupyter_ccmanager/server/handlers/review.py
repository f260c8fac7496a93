"""``GET sessions/{id}/diff``, ``POST sessions/{id}/commit``, ``POST sessions/{id}/merge``.

Reviewing and taking a worktree session's work over REST; git runs in
asyncio subprocesses (:mod:`jupyter_ccmanager.server.review`), so a large
diff or a slow merge never blocks the server.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_ccmanager.server import requests as rq
from jupyter_ccmanager.server.handlers.base import SESSION_ID, CCManagerHandler


class DiffHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.manager.get(session_id)
        query = rq.DiffQuery.parse(self.query())
        result = await self.manager.diff(session_id, query)
        if isinstance(result, str):
            self.finish(result, set_content_type="text/x-diff; charset=utf-8")
        else:
            self.write_json(result)


class CommitHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.manager.get(session_id)
        request = rq.CommitRequest.parse(self.json_body())
        self.write_json(await self.manager.commit(session_id, request))


class MergeHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.manager.get(session_id)
        request = rq.MergeRequest.parse(self.json_body())
        self.write_json(await self.manager.merge(session_id, request))


default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (rf"/sessions/{SESSION_ID}/diff", DiffHandler),
    (rf"/sessions/{SESSION_ID}/commit", CommitHandler),
    (rf"/sessions/{SESSION_ID}/merge", MergeHandler),
]
