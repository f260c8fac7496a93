"""What every handler under ``{base_url}ccmanager/api/`` shares.

Each handler authenticates (Jupyter token or cookie, XSRF on cookie writes),
authorizes against the ``terminals`` resource (sessions run code), parses its
input completely into a typed request, and only then calls the manager. The
manager's domain errors become ``{code, message}`` JSON with the status
:data:`STATUS` gives their kind; no traceback ever reaches a client.
"""

from __future__ import annotations

import getpass
import json
import logging
from http.client import responses
from typing import Any

from jupyter_server.auth.identity import IdentityProvider
from jupyter_server.base.handlers import APIHandler
from tornado import web

from jupyter_ccmanager.server import validation as v
from jupyter_ccmanager.server.errors import (
    Busy,
    Conflict,
    Forbidden,
    InvalidRequest,
    ManagerError,
    NotFound,
    Timeout,
    TooLarge,
)
from jupyter_ccmanager.server.manager import CCSessionManager

log = logging.getLogger(__name__)

AUTH_RESOURCE = "terminals"

#: HTTP status for each kind of domain error.
STATUS: dict[type[ManagerError], int] = {
    InvalidRequest: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Busy: 429,
    Timeout: 504,
}

#: Query arguments jupyter_server itself reads; never "unknown filters".
SERVER_QUERY_ARGS = frozenset({"token", "_xsrf", "no_track_activity"})


def status_of(err: ManagerError) -> int:
    for kind in type(err).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


class JSONErrors(web.RequestHandler):
    """Errors as ``{code, message}`` JSON, never Jupyter's HTML error page: for the REST
    handlers and for the WebSocket's refused handshakes alike."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ManagerError):
            status_code, payload = status_of(exc), exc.to_json()
        elif isinstance(exc, web.HTTPError):
            status_code = exc.status_code
            reason = responses.get(status_code, "Error")
            code = reason.upper().replace(" ", "_").replace("-", "_")
            payload = {"code": code, "message": exc.log_message or reason}
        else:
            if exc is not None:
                log.error("ccmanager: unexpected error in %s", self.request.path, exc_info=exc)
            status_code = 500
            payload = {"code": "INTERNAL", "message": "Internal server error (see the server log)."}
        self.clear()
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))


class CCManagerHandler(JSONErrors, APIHandler):
    """Shared plumbing: the manager, JSON bodies, ``{code, message}`` errors."""

    auth_resource = AUTH_RESOURCE

    @property
    def manager(self) -> CCSessionManager:
        manager: CCSessionManager = self.settings["ccmanager"]
        return manager

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
        name = getattr(self.current_user, "username", None)
        return name if isinstance(name, str) else None

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object (``{}`` when empty)."""
        return v.parse_json_object(self.request.body or b"")

    def query(self) -> dict[str, str]:
        """The query arguments (last value of each), without jupyter_server's own."""
        return {
            k: self.get_query_argument(k)
            for k in self.request.arguments
            if k not in SERVER_QUERY_ARGS
        }

    def write_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(value))

    def _handle_request_exception(self, e: BaseException) -> None:
        # A domain error is an expected outcome: answer it without a stack trace in the log.
        if isinstance(e, ManagerError):
            if not self._finished:
                self.send_error(status_of(e), exc_info=(type(e), e, None))
            return
        super()._handle_request_exception(e)


class NotFoundHandler(CCManagerHandler):
    """Unknown paths under the API answer JSON, not an HTML page."""

    def _not_found(self, *args: Any) -> None:
        raise NotFound("NO_SUCH_ROUTE", f"No such API path: {self.request.path}")

    get = post = patch = put = delete = web.authenticated(_not_found)


#: A session id in a route (ids are URL-safe tokens).
SESSION_ID = r"(?P<session_id>[A-Za-z0-9_-]{1,64})"
