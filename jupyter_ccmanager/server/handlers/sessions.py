"""REST handlers for sessions: list, create, one session, its actions, output, screen.

Routes are the module-level :data:`default_handlers`, relative to
``{base_url}ccmanager/api``. Every handler parses its request into a typed
value (:mod:`jupyter_ccmanager.server.requests`) and calls the manager.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_ccmanager.server import requests as rq
from jupyter_ccmanager.server.handlers.base import SESSION_ID, CCManagerHandler
from jupyter_ccmanager.server.manager import CCSessionManager


class SessionsHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(self.manager.list_models(rq.ListQuery.parse(self.query())))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        request = rq.CreateRequest.parse(self.json_body())
        model = await self.manager.create(request, user=self.username)
        self.set_header("Location", self.request.path.rstrip("/") + "/" + model["id"])
        self.write_json(model, status=201)


class SessionHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.write_json(self.manager.model(session_id))

    @web.authenticated
    @authorized
    async def patch(self, session_id: str) -> None:
        self.manager.get(session_id)
        request = rq.UpdateRequest.parse(self.json_body())
        self.write_json(self.manager.update(session_id, request))

    @web.authenticated
    @authorized
    async def delete(self, session_id: str) -> None:
        force = self.get_query_argument("force", "0") in ("1", "true", "yes")
        await self.manager.delete(session_id, force=force)
        self.set_status(204)
        self.finish()


class InputHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.manager.get(session_id)
        request = rq.InputRequest.parse(self.json_body())
        self.write_json({"offset": self.manager.write(session_id, request.data)})


Action = Callable[[CCSessionManager, str, dict[str, Any]], Awaitable[dict[str, Any]]]


async def _resize(m: CCSessionManager, sid: str, body: dict[str, Any]) -> dict[str, Any]:
    return m.resize(sid, rq.ResizeRequest.parse(body))


async def _interrupt(m: CCSessionManager, sid: str, body: dict[str, Any]) -> dict[str, Any]:
    rq.InterruptRequest.parse(body)
    return m.interrupt(sid)


async def _stop(m: CCSessionManager, sid: str, body: dict[str, Any]) -> dict[str, Any]:
    return await m.stop(sid, force=rq.StopRequest.parse(body).force)


async def _resume(m: CCSessionManager, sid: str, body: dict[str, Any]) -> dict[str, Any]:
    return await m.resume(sid, rq.ResumeRequest.parse(body))


#: ``POST sessions/{id}/<action>``: each answers the session's model.
ACTIONS: dict[str, Action] = {
    "resize": _resize,
    "interrupt": _interrupt,
    "stop": _stop,
    "resume": _resume,
}


class ActionHandler(CCManagerHandler):
    """resize, interrupt, stop, resume: one body in, the session's model out."""

    @web.authenticated
    @authorized
    async def post(self, session_id: str, action: str) -> None:
        self.manager.get(session_id)  # an unknown session is 404 before a bad body is 400
        self.write_json(await ACTIONS[action](self.manager, session_id, self.json_body()))


class OutputHandler(CCManagerHandler):
    """Raw bytes from an offset; headers say where they start and end."""

    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.manager.get(session_id)
        query = rq.OutputQuery.parse(self.query())
        start, data = self.manager.output(session_id, query)
        self.set_header("X-CCM-Offset", str(start))
        self.set_header("X-CCM-End-Offset", str(start + len(data)))
        self.set_header("X-CCM-Dropped", str(max(0, start - query.offset)))
        self.finish(data, set_content_type="application/octet-stream")


class ScreenHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.write_json(self.manager.screen(session_id))


class StatsHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(self.manager.stats())


_ACTION = "(?P<action>" + "|".join(ACTIONS) + ")"

default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (r"/sessions/?", SessionsHandler),
    (rf"/sessions/{SESSION_ID}/?", SessionHandler),
    (rf"/sessions/{SESSION_ID}/input", InputHandler),
    (rf"/sessions/{SESSION_ID}/{_ACTION}", ActionHandler),
    (rf"/sessions/{SESSION_ID}/output", OutputHandler),
    (rf"/sessions/{SESSION_ID}/screen", ScreenHandler),
    (r"/stats", StatsHandler),
]
