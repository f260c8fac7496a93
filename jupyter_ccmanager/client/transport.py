"""HTTP transport to the jupyter_ccmanager REST API, sync and async.

Why two transports: the kernel's main thread already runs an asyncio loop
(ipykernel), so sync calls cannot drive that loop (no ``asyncio.run``, no
``run_until_complete``, and tornado's sync ``HTTPClient`` spins a loop of its
own that refuses to run inside a running one). Sync calls therefore use
``urllib.request`` (stdlib, blocking, loop-free); async twins use tornado's
``AsyncHTTPClient`` on the caller's loop. Work that needs a loop but is called
synchronously (a WebSocket wait) runs on a private background loop thread,
never on the kernel's.

Every API operation is written once as a *plan*: a generator that yields
:class:`Call` objects and receives :class:`Reply` objects (or has the typed
error thrown into it), returning the operation's result. :meth:`Client.run`
and :meth:`Client.arun` drive the same plan with either transport, so the
sync and async APIs cannot drift apart.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import secrets
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from jupyter_ccmanager.client.discovery import API_SUFFIX, discover, normalize_base_url
from jupyter_ccmanager.errors import CCManagerError, ConnectionFailed, Timeout, error_from_response

__all__ = ["NO_TIMEOUT", "Call", "Client", "Plan", "Reply"]

T = TypeVar("T")

#: Default HTTP timeout (seconds) for ordinary calls; long waits pass their own.
DEFAULT_TIMEOUT = 30.0
#: Stand-in for "no timeout": tornado treats ``None`` as its 20 s default.
NO_TIMEOUT = 7 * 24 * 3600.0


@dataclass(frozen=True)
class Call:
    """One REST request, relative to ``{base_url}ccmanager/api/``.

    ``path`` holds raw segments (``("sessions", sid, "input")``); each is
    percent-encoded on use, so ids, names and keys can never break the URL.
    ``timeout=None`` uses the client's default.
    """

    method: str
    path: tuple[str, ...]
    query: Mapping[str, Any] | None = None
    body: Any = None
    timeout: float | None = None


@dataclass
class Reply:
    """A successful (2xx) answer; ``headers`` keys are lower-case."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str = ""

    def json(self) -> Any:
        """Decode the JSON body (``None`` for an empty body such as a 204)."""
        return json.loads(self.body) if self.body else None

    def int_header(self, name: str) -> int | None:
        """An integer header such as ``X-CCM-Offset``, or ``None`` if absent."""
        value = self.headers.get(name.lower())
        return int(value) if value not in (None, "") else None


#: A plan: yields calls, receives replies, returns the result.
Plan = Generator[Call, Reply, T]


@dataclass(eq=False)
class Client:
    """A connection to one Jupyter server running jupyter_ccmanager.

    ``url`` is the server's base URL including its ``base_url``
    (``http://127.0.0.1:8888/user/x/``). The widget uses :meth:`ws_url` and
    :meth:`headers`; everything else is for :mod:`jupyter_ccmanager.api`.
    """

    url: str
    token: str = ""
    timeout: float = DEFAULT_TIMEOUT
    verify: bool = True
    source: str = "explicit"
    _xsrf: str = field(default_factory=lambda: secrets.token_hex(16), init=False, repr=False)

    def __post_init__(self) -> None:
        self.url = normalize_base_url(self.url)
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        # No ProxyHandler entries: the server is almost always on loopback,
        # and an http_proxy meant for the internet must not intercept it.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=context),
            _NoRedirect(),
        )

    @classmethod
    def discover(cls, url: str | None = None, token: str | None = None, **kw: Any) -> Client:
        """Find the server (see :mod:`jupyter_ccmanager.client.discovery`) and connect to it."""
        info = discover(url, token)
        return cls(info.url, info.token, source=info.source, **kw)

    def __repr__(self) -> str:  # never show the token
        return f"<ccmanager Client {self.url} ({self.source})>"

    # -- URLs and headers ------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The REST root, ``{base_url}ccmanager/api/``."""
        return self.url + API_SUFFIX

    def url_for(self, path: Sequence[str] | str, query: Mapping[str, Any] | None = None) -> str:
        """Absolute URL of an API path; ``None`` query values are dropped."""
        segments = [path] if isinstance(path, str) else list(path)
        url = self.api_url + "/".join(quote(str(s), safe="") for s in segments)
        params = {k: _query_value(v) for k, v in (query or {}).items() if v is not None}
        return url + ("?" + urlencode(params) if params else "")

    def ws_url(self, session_id: str, offset: int | None = None) -> str:
        """WebSocket URL of a session's stream, replaying from ``offset`` if given."""
        parts = urlsplit(self.url_for(("sessions", session_id, "ws"), {"offset": offset}))
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))

    def headers(self) -> dict[str, str]:
        """Authentication headers for any request to the server (HTTP or WebSocket)."""
        return {"Authorization": f"token {self.token}"} if self.token else {}

    def _http_headers(self, has_body: bool) -> dict[str, str]:
        headers = {**self.headers(), "Accept": "application/json"}
        # Token-authenticated requests skip Jupyter's XSRF check; a server with
        # auth disabled does not, so always double-submit a random XSRF token
        # (cookie == header is all tornado verifies).
        headers["Cookie"] = f"_xsrf={self._xsrf}"
        headers["X-XSRFToken"] = self._xsrf
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _timeout(self, call: Call) -> float:
        return self.timeout if call.timeout is None else call.timeout

    # -- sync transport (urllib) ---------------------------------------------

    def request(self, call: Call) -> Reply:
        """Perform one call synchronously; raise the typed error on failure.

        Safe inside a running event loop: it only blocks on a socket.
        """
        url = self.url_for(call.path, call.query)
        data = None if call.body is None else json.dumps(call.body).encode()
        if data is None and call.method in ("POST", "PUT", "PATCH"):
            data = b""
        req = urllib.request.Request(
            url, data=data, method=call.method, headers=self._http_headers(bool(data))
        )
        try:
            with self._opener.open(req, timeout=self._timeout(call)) as resp:
                headers = {k.lower(): v for k, v in resp.headers.items()}
                return Reply(resp.status, headers, resp.read(), url)
        except urllib.error.HTTPError as e:
            try:
                body = e.read()
            except (OSError, http.client.HTTPException):
                body = b""
            raise error_from_response(e.code, body, url, str(e.reason)) from None
        except urllib.error.URLError as e:
            raise _transport_error(e.reason, call, url, self._timeout(call)) from None
        except (OSError, http.client.HTTPException) as e:
            raise _transport_error(e, call, url, self._timeout(call)) from None

    def run(self, plan: Plan[T]) -> T:
        """Drive a plan with the sync transport."""
        return _drive(plan, self.request)

    # -- async transport (tornado) -------------------------------------------

    async def arequest(self, call: Call) -> Reply:
        """Coroutine twin of :meth:`request`, on the caller's event loop."""
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
        from tornado.iostream import StreamClosedError

        url = self.url_for(call.path, call.query)
        data = None if call.body is None else json.dumps(call.body).encode()
        if data is None and call.method in ("POST", "PUT", "PATCH"):
            data = b""
        timeout = self._timeout(call)
        request = HTTPRequest(
            url,
            method=call.method,
            headers=self._http_headers(bool(data)),
            body=data,
            connect_timeout=min(timeout, self.timeout),
            request_timeout=timeout,
            validate_cert=self.verify,
            follow_redirects=False,
        )
        # A private instance: the shared one caps concurrency at 10 requests,
        # and several long prompt() calls must not queue behind each other.
        http = AsyncHTTPClient(force_instance=True)
        try:
            resp = await http.fetch(request)
        except HTTPClientError as e:
            if e.code == 599 or e.response is None:
                raise _transport_error(e, call, url, timeout) from None
            raise error_from_response(e.code, e.response.body, url, e.message or "") from None
        except (OSError, StreamClosedError) as e:
            raise _transport_error(e, call, url, timeout) from None
        finally:
            http.close()
        headers = {k.lower(): v for k, v in resp.headers.get_all()}
        return Reply(resp.code, headers, resp.body or b"", url)

    async def arun(self, plan: Plan[T]) -> T:
        """Drive a plan with the async transport."""
        try:
            call = next(plan)
        except StopIteration as stop:
            result: T = stop.value
            return result
        while True:
            try:
                reply = await self.arequest(call)
            except CCManagerError as e:
                step = _step(plan, error=e)
            else:
                step = _step(plan, reply=reply)
            if isinstance(step, _Done):
                done: T = step.value
                return done
            call = step

    # -- running coroutines from sync code -----------------------------------

    def run_coroutine(self, factory: Callable[[], Awaitable[T]]) -> T:
        """Run ``factory()`` to completion on the background loop and return its result.

        For sync callers of loop-bound work (WebSocket waits). Ctrl-C in the
        kernel (KeyboardInterrupt while blocked here) cancels the coroutine.
        """
        return _background.run(factory)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Surface redirects as errors (like the async side does).

    An API call redirected elsewhere (a login page, a hub spawn page) would
    otherwise come back as HTML and fail as unreadable JSON.
    """

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _transport_error(exc: BaseException | str, call: Call, url: str, timeout: float) -> Exception:
    """Map a no-HTTP-answer failure to Timeout or ConnectionFailed."""
    text = str(exc)
    if isinstance(exc, TimeoutError) or "timeout" in text.lower() or "timed out" in text:
        return Timeout(
            "CLIENT_TIMEOUT", f"{call.method} {url} got no answer within {timeout:g} s", None
        )
    return ConnectionFailed(None, f"Cannot reach the Jupyter server at {url}: {text}", None)


@dataclass
class _Done:
    value: Any


def _step(
    plan: Plan[Any], reply: Reply | None = None, error: CCManagerError | None = None
) -> Call | _Done:
    """Advance a plan by one reply (or thrown error); return the next Call or _Done."""
    try:
        if error is not None:
            return plan.throw(error)
        assert reply is not None  # a step has either a reply or an error
        return plan.send(reply)
    except StopIteration as stop:
        return _Done(stop.value)


def _drive(plan: Plan[T], request: Callable[[Call], Reply]) -> T:
    try:
        call = next(plan)
    except StopIteration as stop:
        result: T = stop.value
        return result
    while True:
        try:
            reply = request(call)
        except CCManagerError as e:
            step = _step(plan, error=e)
        else:
            step = _step(plan, reply=reply)
        if isinstance(step, _Done):
            done: T = step.value
            return done
        call = step


class _BackgroundLoop:
    """One daemon thread running a private asyncio loop, started on first use.

    Recreated after ``fork`` (threads do not survive it).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if self._loop is None or self._pid != os.getpid() or not alive:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="jupyter-ccmanager-loop", daemon=True
                )
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
            return self._loop

    def run(self, factory: Callable[[], Awaitable[T]]) -> T:
        loop = self.loop()
        if threading.current_thread() is self._thread:
            raise RuntimeError("sync jupyter_ccmanager call made from its own background loop")

        async def wrapper() -> T:
            return await factory()

        future = asyncio.run_coroutine_threadsafe(wrapper(), loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise


_background = _BackgroundLoop()
