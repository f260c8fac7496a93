"""``POST sessions/{id}/hook``: an event from the session's own agent CLI.

This route does not take the user's Jupyter token (the CLI must not hold
it): it is authenticated by the per-session secret the agent was started
with (:mod:`jupyter_ccmanager.server.agents.hooks`), which is worthless for
anything but reporting this session's state.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import allow_unauthenticated
from tornado import web

from jupyter_ccmanager.server import validation as v
from jupyter_ccmanager.server.agents.hooks import SECRET_HEADER
from jupyter_ccmanager.server.handlers.base import SESSION_ID, CCManagerHandler

MAX_HOOK_BODY = 1 << 20


class HookHandler(CCManagerHandler):
    def check_xsrf_cookie(self) -> None:
        """Authenticated by the per-session secret header, never by cookies."""

    @allow_unauthenticated
    async def post(self, session_id: str) -> None:
        secret = self.request.headers.get(SECRET_HEADER, "")
        self.manager.check_hook_secret(session_id, secret)
        payload = v.parse_json_object(self.request.body or b"", max_bytes=MAX_HOOK_BODY)
        self.manager.on_hook(session_id, payload)
        self.set_status(204)
        self.finish()


default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (rf"/sessions/{SESSION_ID}/hook", HookHandler),
]
