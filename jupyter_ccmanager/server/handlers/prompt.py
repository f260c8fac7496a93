"""``POST sessions/{id}/prompt`` (type a prompt, wait for the turn to end, return the reply)
and ``POST sessions/{id}/answer`` (answer what a waiting agent asks)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_ccmanager.server.handlers.base import SESSION_ID, CCManagerHandler
from jupyter_ccmanager.server.requests import AnswerRequest, PromptRequest


class PromptHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.manager.get(session_id)
        request = PromptRequest.parse(self.json_body())
        self.write_json(await self.manager.prompt(session_id, request))


class AnswerHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.manager.get(session_id)
        request = AnswerRequest.parse(self.json_body())
        self.write_json(await self.manager.answer(session_id, request))


default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (rf"/sessions/{SESSION_ID}/prompt", PromptHandler),
    (rf"/sessions/{SESSION_ID}/answer", AnswerHandler),
]
