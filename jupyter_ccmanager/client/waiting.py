"""Wait for a session to reach a state: WebSocket first, polling as fallback.

The session's WebSocket pushes ``{"type": "state"}`` the moment the state
changes, so waiting on it reacts instantly without hammering the REST API.
If the socket cannot be opened or drops (proxy without WebSocket support,
server restart), the wait carries on by polling ``GET sessions/{id}`` with a
gently growing interval, so a wait never fails just because the fast path did.

This is async only; sync callers run it on the client's background loop
(:meth:`Client.run_coroutine`), never on the kernel's own loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection, Mapping
from typing import Any

from jupyter_ccmanager.client.transport import Call, Client
from jupyter_ccmanager.errors import CCManagerError, SessionEnded, SessionNotFound, Timeout

__all__ = ["ENDED_STATES", "STATES", "wait_for_state"]

STATES = ("starting", "idle", "busy", "waiting", "exited", "stopped")
#: States a session does not leave by itself: waiting for others is futile.
ENDED_STATES = frozenset({"exited", "stopped"})

_POLL_FIRST = 0.1
_POLL_MAX = 1.0


def _cap(left: float | None, default: float) -> float:
    """An HTTP timeout that does not outlive the wait's deadline."""
    return default if left is None else max(0.05, min(left, default))


class _SocketUnavailable(Exception):
    """The WebSocket path failed or closed; fall back to polling."""


def check_states(states: Collection[str]) -> frozenset[str]:
    """Validate state names early: a typo would otherwise wait until the timeout."""
    if not states:
        raise ValueError(f"wait_for needs at least one state, e.g. 'idle'; states: {STATES}")
    unknown = [s for s in states if s not in STATES]
    if unknown:
        raise ValueError(f"unknown state(s) {unknown}; valid states: {', '.join(STATES)}")
    return frozenset(states)


def _reached(model: Mapping[str, Any], state: str, wanted: frozenset[str]) -> str | None:
    """The state if it is wanted; raise SessionEnded if it can no longer change."""
    if state in wanted:
        return state
    if state in ENDED_STATES:
        name = model.get("name") or model.get("id")
        extra = f", exit code {model['exit_code']}" if model.get("exit_code") is not None else ""
        raise SessionEnded(
            None,
            f"Session {name!r} is {state}{extra}; it will not become "
            f"{' or '.join(sorted(wanted))} (resume() it first).",
            None,
            state=state,
        )
    return None


async def wait_for_state(
    client: Client,
    session_id: str,
    states: Collection[str],
    timeout: float | None = 300,
) -> str:
    """Return the first wanted state the session is in (now or later).

    Raises :class:`Timeout` after ``timeout`` seconds (``None``: no limit),
    :class:`SessionEnded` if it exits or stops first, :class:`SessionNotFound`
    if it is deleted.
    """
    wanted = check_states(states)
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    call = Call("GET", ("sessions", session_id), timeout=_cap(timeout, client.timeout))
    model = (await client.arequest(call)).json()
    last = [model.get("state", "")]

    def remaining() -> float | None:
        if deadline is None:
            return None
        left = deadline - loop.time()
        if left <= 0:
            raise Timeout(
                None,
                f"Session {model.get('name') or session_id!r} did not become "
                f"{' or '.join(sorted(wanted))} within {timeout:g} s (state: {last[0]}).",
            )
        return left

    found = _reached(model, last[0], wanted)
    if found:
        return found
    try:
        return await _via_socket(client, session_id, model, wanted, remaining, last)
    except _SocketUnavailable:
        pass
    return await _via_polling(client, session_id, wanted, remaining, last)


async def _via_socket(
    client: Client,
    session_id: str,
    model: Mapping[str, Any],
    wanted: frozenset[str],
    remaining: Any,
    last: list[str],
) -> str:
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError, websocket_connect

    # Start at the current end of output: only state changes matter here,
    # replaying the whole buffer would be wasted bytes.
    url = client.ws_url(session_id, model.get("offset"))
    timeout = remaining() or client.timeout
    request = HTTPRequest(
        url,
        headers=client.headers(),
        connect_timeout=min(timeout, client.timeout),
        request_timeout=min(timeout, client.timeout),
        validate_cert=client.verify,
    )
    try:
        conn = await websocket_connect(request)
    except (HTTPClientError, OSError, StreamClosedError, asyncio.TimeoutError) as e:
        raise _SocketUnavailable from e
    position = model.get("offset") or 0
    try:
        while True:
            try:
                msg = await asyncio.wait_for(conn.read_message(), remaining())
            except asyncio.TimeoutError:
                remaining()  # raises Timeout once the deadline has passed
                continue
            if msg is None:
                raise _SocketUnavailable
            if isinstance(msg, bytes):
                position += len(msg)
                # Acknowledge output so server-side flow control never pauses us.
                try:
                    await conn.write_message(json.dumps({"type": "ack", "offset": position}))
                except (WebSocketClosedError, StreamClosedError) as e:
                    raise _SocketUnavailable from e
                continue
            try:
                data = json.loads(msg)
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            if data.get("type") == "hello" and isinstance(data.get("offset"), int):
                position = data["offset"]
            elif data.get("type") == "gap" and isinstance(data.get("to"), int):
                position = max(position, data["to"])
            found = await _handle_message(client, session_id, data, wanted, last)
            if found is not None:
                return found
    finally:
        conn.close()


async def _handle_message(
    client: Client,
    session_id: str,
    data: Mapping[str, Any],
    wanted: frozenset[str],
    last: list[str],
) -> str | None:
    """React to one JSON message; return the wanted state once reached."""
    kind = data.get("type")
    if kind in ("hello", "session") and isinstance(data.get("session"), dict):
        model = data["session"]
    elif kind == "state":
        model = {"id": session_id, **data}
        if model.get("state") in ENDED_STATES - wanted:
            # Fetch the full model so the error can name it and its exit code.
            model = (await client.arequest(Call("GET", ("sessions", session_id)))).json()
    elif kind == "exit":
        # The state message may follow; ask to be sure rather than guess.
        model = (await client.arequest(Call("GET", ("sessions", session_id)))).json()
    elif kind == "deleted":
        raise SessionNotFound(None, f"Session {session_id!r} was deleted while waiting.", 404)
    elif kind == "error":
        # Errors on this socket answer our own messages (acks); the REST API
        # is the safer judge of the state from here on.
        raise _SocketUnavailable(data.get("code"))
    else:
        return None
    state = str(model.get("state", ""))
    if state:
        last[0] = state
    return _reached(model, state, wanted)


async def _via_polling(
    client: Client,
    session_id: str,
    wanted: frozenset[str],
    remaining: Any,
    last: list[str],
) -> str:
    interval = _POLL_FIRST
    while True:
        left = remaining()
        await asyncio.sleep(interval if left is None else min(interval, left))
        left = remaining()
        call = Call("GET", ("sessions", session_id), timeout=_cap(left, client.timeout))
        try:
            model = (await client.arequest(call)).json()
        except CCManagerError as e:
            if e.code in ("CONNECTION_FAILED", "CLIENT_TIMEOUT"):
                continue  # a restarting server; keep trying until the deadline
            raise
        last[0] = str(model.get("state", ""))
        found = _reached(model, last[0], wanted)
        if found:
            return found
        interval = min(interval * 1.5, _POLL_MAX)
