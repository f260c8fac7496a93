"""REST handlers under ``{base_url}ccmanager/api/``.

Each handler authenticates (Jupyter token or cookie, XSRF on cookie writes),
authorizes against the ``terminals`` resource (sessions run code), validates
its input completely, and only then calls the manager. Errors are always
``{code, message}`` JSON; no traceback ever reaches a client.
"""

from __future__ import annotations

import getpass
import json
from http.client import responses
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.auth.identity import IdentityProvider
from jupyter_server.base.handlers import APIHandler
from tornado import web

from . import validation as v
from .state import STATES
from .validation import RequestError

if TYPE_CHECKING:
    from .manager import SessionManager

AUTH_RESOURCE = "terminals"

CREATE_FIELDS = {
    "name", "agent", "command", "args", "cwd", "env", "cols", "rows",
    "key", "labels", "worktree",
}  # fmt: skip


class CCManagerHandler(APIHandler):
    """Shared plumbing: the manager, JSON bodies, ``{code, message}`` errors."""

    auth_resource = AUTH_RESOURCE

    @property
    def manager(self) -> SessionManager:
        return self.settings["ccmanager"]

    @property
    def username(self) -> str | None:
        """Who owns a new session.

        jupyter_server's default identity provider invents a random anonymous
        user for each token-authenticated request, which would make
        per-user limits meaningless; on such a single-user server the owner
        is the account the server runs as. Real identity providers
        (JupyterHub) name real users.
        """
        if type(self.identity_provider).__module__ == IdentityProvider.__module__:
            return getpass.getuser()
        return getattr(self.current_user, "username", None)

    def json_body(self, allowed: set[str]) -> dict[str, Any]:
        body = v.parse_json_object(self.request.body or b"")
        v.check_fields(body, allowed)
        return body

    def write_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(value))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, RequestError):
            status_code, payload = exc.status, exc.to_json()
        elif isinstance(exc, web.HTTPError):
            status_code = exc.status_code
            reason = responses.get(status_code, "Error")
            code = reason.upper().replace(" ", "_").replace("-", "_")
            payload = {"code": code, "message": exc.log_message or reason}
        else:
            if exc is not None:
                self.log.error("ccmanager: unexpected error in %s", self.request.path, exc_info=exc)
            status_code = 500
            payload = {"code": "INTERNAL", "message": "Internal server error (see the server log)."}
        self.clear()
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def _handle_request_exception(self, e: BaseException) -> None:
        # RequestError is an expected outcome: answer it without a stack trace in the log.
        if isinstance(e, RequestError):
            if not self._finished:
                self.send_error(e.status, exc_info=(type(e), e, None))
            return
        super()._handle_request_exception(e)


class SessionsHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        allowed = {"state", "key", "user"}
        unknown = set(self.request.arguments) - allowed - {"token", "_xsrf", "no_track_activity"}
        if unknown:
            raise v.bad_request(
                f"Unknown filter(s): {', '.join(sorted(unknown))}.", "UNKNOWN_FIELD"
            )
        state = self.get_query_argument("state", None)
        if state is not None and state not in STATES:
            raise v.bad_request(f"Unknown state {state!r}; one of {', '.join(STATES)}.")
        models = self.manager.list_models(
            state=state,
            key=self.get_query_argument("key", None),
            user=self.get_query_argument("user", None),
        )
        self.write_json(models)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body(CREATE_FIELDS)
        session = await self.manager.create(body, user=self.username)
        self.set_header("Location", self.request.path.rstrip("/") + "/" + session.id)
        self.write_json(session.model(), status=201)


class SessionHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.write_json(self.manager.get(session_id).model())

    @web.authenticated
    @authorized
    async def patch(self, session_id: str) -> None:
        session = self.manager.get(session_id)
        body = self.json_body({"name", "labels"})
        name = v.get_str(body, "name", max_len=64)
        labels = v.get_str_dict(body, "labels")
        self.manager.update(session, name=name, labels=labels)
        self.write_json(session.model())

    @web.authenticated
    @authorized
    async def delete(self, session_id: str) -> None:
        session = self.manager.get(session_id)
        force = self.get_query_argument("force", "0") in ("1", "true", "yes")
        await self.manager.delete(session, force=force)
        self.set_status(204)
        self.finish()


class InputHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        session = self.manager.get(session_id)
        body = self.json_body({"data"})
        data = v.get_str(body, "data", max_len=v.MAX_TEXT)
        if data is None:
            raise v.bad_request("'data' is required.", "INVALID_VALUE")
        session.write(data.encode("utf-8", "surrogateescape"))
        self.write_json({"offset": session.buffer.end})


class ResizeHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        session = self.manager.get(session_id)
        cols, rows = v.get_size(self.json_body({"cols", "rows"}), required=True)
        session.resize(cols, rows)
        self.write_json(session.model())


class InterruptHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        session = self.manager.get(session_id)
        self.json_body(set())
        self.manager.interrupt(session)
        self.write_json(session.model())


class StopHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        session = self.manager.get(session_id)
        force = v.get_bool(self.json_body({"force"}), "force")
        await self.manager.stop(session, force=force)
        self.write_json(session.model())


class ResumeHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        session = self.manager.get(session_id)
        await self.manager.resume(session, self.json_body({"env", "cols", "rows"}))
        self.write_json(session.model())


class OutputHandler(CCManagerHandler):
    """Raw bytes from an offset; headers say where they start and end."""

    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        session = self.manager.get(session_id)
        offset = _int_arg(self.get_query_argument("offset", "0"), "offset")
        limit = _int_arg(self.get_query_argument("limit", str(16 << 20)), "limit")
        start, data = session.buffer.read(offset, max(limit, 0))
        self.set_header("X-CCM-Offset", str(start))
        self.set_header("X-CCM-End-Offset", str(start + len(data)))
        self.set_header("X-CCM-Dropped", str(max(0, start - offset)))
        self.finish(data, set_content_type="application/octet-stream")


class ScreenHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.write_json(self.manager.screen(self.manager.get(session_id)))


class StatsHandler(CCManagerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(self.manager.stats())


def _int_arg(raw: str, name: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise v.bad_request(f"'{name}' must be a non-negative integer.", "INVALID_VALUE") from None
    if value < 0:
        raise v.bad_request(f"'{name}' must be a non-negative integer.", "INVALID_VALUE")
    return value


class NotFoundHandler(CCManagerHandler):
    """Unknown paths under the API answer JSON, not an HTML page."""

    def _not_found(self, *args: Any) -> None:
        raise RequestError(404, "NO_SUCH_ROUTE", f"No such API path: {self.request.path}")

    get = post = patch = put = delete = web.authenticated(_not_found)


_ID = r"(?P<session_id>[A-Za-z0-9_-]{1,64})"


def api_handlers(base: str) -> list[tuple[str, type, dict[str, Any]] | tuple[str, type]]:
    """Routes, relative to the server's base_url (``base`` is ``ccmanager/api``)."""
    from .hooks import HookHandler
    from .prompt import PromptHandler
    from .ws import SessionWebSocket

    return [
        (rf"/{base}/sessions/?", SessionsHandler),
        (rf"/{base}/sessions/{_ID}/?", SessionHandler),
        (rf"/{base}/sessions/{_ID}/input", InputHandler),
        (rf"/{base}/sessions/{_ID}/resize", ResizeHandler),
        (rf"/{base}/sessions/{_ID}/interrupt", InterruptHandler),
        (rf"/{base}/sessions/{_ID}/stop", StopHandler),
        (rf"/{base}/sessions/{_ID}/resume", ResumeHandler),
        (rf"/{base}/sessions/{_ID}/output", OutputHandler),
        (rf"/{base}/sessions/{_ID}/screen", ScreenHandler),
        (rf"/{base}/sessions/{_ID}/prompt", PromptHandler),
        (rf"/{base}/sessions/{_ID}/hook", HookHandler),
        (rf"/{base}/sessions/{_ID}/ws", SessionWebSocket),
        (rf"/{base}/stats", StatsHandler),
        (rf"/{base}/.*", NotFoundHandler),
    ]
