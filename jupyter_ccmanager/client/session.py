""":class:`Session`: the kernel's handle on one server-side PTY session.

A handle holds the session id, the client, and the last model it saw
(``s.model``); it owns nothing, so handles are cheap, many may point at the
same session, and one survives kernel restarts by ``ccm.get(name)``. Reading
:attr:`Session.state` always asks the server; ``repr()`` never does.

Each blocking method ``x`` has a coroutine twin ``ax`` (``wait_for`` →
``await_for``, the ``state`` property → ``astate()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from jupyter_ccmanager.client.answering import AnsweringMixin, OnWaiting
from jupyter_ccmanager.client.review import ReviewMixin
from jupyter_ccmanager.client.transport import NO_TIMEOUT, Call, Client, Plan
from jupyter_ccmanager.client.waiting import check_states, wait_for_state

__all__ = ["OutputChunk", "Session", "p_model"]

#: Extra HTTP time beyond a prompt's own timeout, so the server's TIMEOUT
#: answer arrives before the client gives up on the request.
_PROMPT_GRACE = 30.0
#: What ``wait_for()`` without states waits for: done, or needs a person.
DEFAULT_WAIT_STATES = ("idle", "waiting")


class OutputChunk(NamedTuple):
    """Raw output from ``offset`` (inclusive) to ``end_offset`` (exclusive).

    ``offset`` can be larger than requested when older bytes have left the
    server's replay buffer. Pass ``end_offset`` to the next
    :meth:`Session.read_output` to tail the output without gaps.
    """

    data: bytes
    offset: int
    end_offset: int

    @property
    def text(self) -> str:
        """The bytes decoded as UTF-8 (undecodable bytes become U+FFFD)."""
        return self.data.decode("utf-8", errors="replace")


def p_model(session_id: str) -> Plan[dict[str, Any]]:
    """Plan: fetch a session model."""
    model: dict[str, Any] = (yield Call("GET", ("sessions", session_id))).json()
    return model


def p_list(
    state: str | None = None, key: str | None = None, user: str | None = None
) -> Plan[list[dict[str, Any]]]:
    """Plan: the session models the server shows, optionally filtered."""
    query = {"state": state, "key": key, "user": user}
    models: list[dict[str, Any]] = (yield Call("GET", ("sessions",), query)).json()
    return models


def _screen_text(screen: Mapping[str, Any]) -> str:
    lines = [str(line).rstrip() for line in screen.get("lines") or []]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _in_kernel() -> bool:
    """True inside an IPython kernel (where widgets can actually render)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Session(ReviewMixin, AnsweringMixin):
    """Handle on one session. Get one from ``ccm.start()``, ``ccm.get()``, ``ccm.sessions()``."""

    def __init__(self, client: Client, model: Mapping[str, Any]) -> None:
        self._client = client
        self.model: dict[str, Any] = dict(model)
        #: The full answer of the last :meth:`prompt` (``state``, ``state_detail``, ``reply``).
        self.last_prompt_result: dict[str, Any] | None = None

    # -- identity and cached fields ------------------------------------------

    @property
    def id(self) -> str:
        """The server's id for this session (stable, URL-safe)."""
        return str(self.model["id"])

    @property
    def name(self) -> str:
        """The session's name as last seen (rename with :meth:`update`)."""
        return str(self.model.get("name") or "")

    @property
    def client(self) -> Client:
        """The connection this handle uses."""
        return self._client

    def __repr__(self) -> str:
        m = self.model
        return (
            f"<Session {self.name!r} id={self.id} agent={m.get('agent')} "
            f"state={m.get('state')}{'/' + m['state_detail'] if m.get('state_detail') else ''}>"
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Session)
            and other.id == self.id
            and other._client.url == self._client.url
        )

    def __hash__(self) -> int:
        return hash((self._client.url, self.id))

    # -- plans --------------------------------------------------------------------

    def _path(self, *more: str) -> tuple[str, ...]:
        return ("sessions", self.id, *more)

    def _remember(self, model: Any) -> None:
        if isinstance(model, dict) and model.get("id") == self.id:
            self.model = model

    def _p_refresh(self) -> Plan[dict[str, Any]]:
        model = yield from p_model(self.id)
        self._remember(model)
        return dict(model)

    def _p_post(self, action: str, body: Any = None, timeout: float | None = None) -> Plan[Any]:
        data = (yield Call("POST", self._path(action), body=body, timeout=timeout)).json()
        self._remember(data)
        return data

    def _p_output(self, offset: int) -> Plan[OutputChunk]:
        reply = yield Call("GET", self._path("output"), {"offset": offset})
        start = reply.int_header("X-CCM-Offset")
        start = offset if start is None else start
        end = reply.int_header("X-CCM-End-Offset")
        return OutputChunk(reply.body, start, start + len(reply.body) if end is None else end)

    def _p_screen(self) -> Plan[dict[str, Any]]:
        screen: dict[str, Any] = (yield Call("GET", self._path("screen"))).json()
        if isinstance(screen, dict) and screen.get("state"):
            self.model["state"] = screen["state"]
            self.model["state_detail"] = screen.get("state_detail")
        return screen

    def _p_prompt(self, text: str, timeout: float | None, wait: bool) -> Plan[str]:
        body: dict[str, Any] = {"text": text, "wait": wait}
        if timeout is not None:
            body["timeout"] = timeout
        http_timeout = NO_TIMEOUT if timeout is None else timeout + _PROMPT_GRACE
        result = yield from self._p_post("prompt", body, timeout=http_timeout)
        self.last_prompt_result = result
        if isinstance(result, dict) and result.get("state"):
            self.model["state"] = result["state"]
            self.model["state_detail"] = result.get("state_detail")
        return str((result or {}).get("reply") or "")

    def _p_update(self, name: str | None, labels: Mapping[str, Any] | None) -> Plan[None]:
        body = {k: v for k, v in {"name": name, "labels": labels}.items() if v is not None}
        self._remember((yield Call("PATCH", self._path(), body=body)).json())

    def _p_delete(self, force: bool) -> Plan[None]:
        yield Call("DELETE", self._path(), {"force": True if force else None})

    # -- state ----------------------------------------------------------------------

    @property
    def state(self) -> str:
        """Current state, fetched now: starting, idle, busy, waiting, exited, stopped."""
        return str(self.info()["state"])

    async def astate(self) -> str:
        """Coroutine twin of :attr:`state`."""
        return str((await self.ainfo())["state"])

    def info(self) -> dict[str, Any]:
        """The session model, fetched now (also refreshes :attr:`model`)."""
        return self._client.run(self._p_refresh())

    async def ainfo(self) -> dict[str, Any]:
        """Coroutine twin of :meth:`info`."""
        return await self._client.arun(self._p_refresh())

    def wait_for(self, *states: str, timeout: float | None = 300) -> str:
        """Block until the session is in one of ``states``; return that state.

        Without states, waits for ``"idle"`` or ``"waiting"`` (done, or needs
        you). Returns at once if already there. Raises :class:`Timeout` after
        ``timeout`` seconds (``None``: wait forever), :class:`SessionEnded` if
        it exits or stops first. Uses the session's WebSocket (instant), or
        polling if that is unavailable; runs off the kernel's event loop.
        """
        wanted = check_states(states or DEFAULT_WAIT_STATES)
        state = self._client.run_coroutine(
            lambda: wait_for_state(self._client, self.id, wanted, timeout)
        )
        self.model["state"] = state
        return state

    async def await_for(self, *states: str, timeout: float | None = 300) -> str:
        """Coroutine twin of :meth:`wait_for` (``a`` + ``wait_for``)."""
        wanted = check_states(states or DEFAULT_WAIT_STATES)
        state = await wait_for_state(self._client, self.id, wanted, timeout)
        self.model["state"] = state
        return state

    # -- input --------------------------------------------------------------------

    def send(self, text: str) -> None:
        """Type ``text`` into the terminal as-is (add ``"\\r"`` to press Enter)."""
        self._client.run(self._p_post("input", {"data": text}))

    async def asend(self, text: str) -> None:
        """Coroutine twin of :meth:`send`."""
        await self._client.arun(self._p_post("input", {"data": text}))

    def prompt(
        self,
        text: str,
        timeout: float | None = 600,
        wait: bool = True,
        on_waiting: OnWaiting | None = None,
    ) -> str:
        """Submit a prompt, wait until the agent is idle or waiting, return its reply.

        The full answer (``state``, ``state_detail``, ``reply``) is kept in
        :attr:`last_prompt_result`: check ``state == "waiting"`` to see that the
        agent stopped to ask something. ``wait=False`` only submits.
        Raises :class:`Timeout` if no answer within ``timeout`` seconds.

        ``on_waiting(session, pending)`` decides each question as it comes: return
        ``True`` (approve), ``False`` (deny), an option key or label, or a
        ``(choice, text)`` pair; ``None`` leaves the agent waiting and returns.
        """
        reply = self._client.run(self._p_prompt(text, timeout, wait))
        if on_waiting is None or not wait:
            return reply
        return self._answer_as_they_come(reply, on_waiting, timeout)

    async def aprompt(
        self,
        text: str,
        timeout: float | None = 600,
        wait: bool = True,
        on_waiting: OnWaiting | None = None,
    ) -> str:
        """Coroutine twin of :meth:`prompt` (``on_waiting`` may be a coroutine function)."""
        reply = await self._client.arun(self._p_prompt(text, timeout, wait))
        if on_waiting is None or not wait:
            return reply
        return await self._aanswer_as_they_come(reply, on_waiting, timeout)

    def interrupt(self) -> None:
        """Interrupt the current work (Ctrl-C, or Esc for Claude, as the agent expects)."""
        self._client.run(self._p_post("interrupt"))

    async def ainterrupt(self) -> None:
        """Coroutine twin of :meth:`interrupt`."""
        await self._client.arun(self._p_post("interrupt"))

    def resize(self, cols: int, rows: int) -> None:
        """Set the terminal size in character cells."""
        self._client.run(self._p_post("resize", {"cols": int(cols), "rows": int(rows)}))

    async def aresize(self, cols: int, rows: int) -> None:
        """Coroutine twin of :meth:`resize`."""
        await self._client.arun(self._p_post("resize", {"cols": int(cols), "rows": int(rows)}))

    # -- output ---------------------------------------------------------------------

    def screen(self) -> str:
        """What the terminal shows now, as text (trailing blanks trimmed)."""
        return _screen_text(self._client.run(self._p_screen()))

    async def ascreen(self) -> str:
        """Coroutine twin of :meth:`screen`."""
        return _screen_text(await self._client.arun(self._p_screen()))

    def screen_lines(self) -> list[str]:
        """The screen's rows exactly as the server reports them."""
        return list(self._client.run(self._p_screen()).get("lines") or [])

    async def ascreen_lines(self) -> list[str]:
        """Coroutine twin of :meth:`screen_lines`."""
        return list((await self._client.arun(self._p_screen())).get("lines") or [])

    def output(self, offset: int = 0) -> str:
        """Raw output since ``offset`` (escape sequences included) decoded as UTF-8."""
        return self.read_output(offset).text

    async def aoutput(self, offset: int = 0) -> str:
        """Coroutine twin of :meth:`output`."""
        return (await self.aread_output(offset)).text

    def output_bytes(self, offset: int = 0) -> bytes:
        """Raw output bytes since ``offset``, exactly as the PTY produced them."""
        return self.read_output(offset).data

    async def aoutput_bytes(self, offset: int = 0) -> bytes:
        """Coroutine twin of :meth:`output_bytes`."""
        return (await self.aread_output(offset)).data

    def read_output(self, offset: int = 0) -> OutputChunk:
        """Output bytes with their absolute offsets, for tailing without gaps."""
        return self._client.run(self._p_output(offset))

    async def aread_output(self, offset: int = 0) -> OutputChunk:
        """Coroutine twin of :meth:`read_output`."""
        return await self._client.arun(self._p_output(offset))

    # -- lifecycle ----------------------------------------------------------------

    def stop(self, force: bool = False) -> None:
        """Stop the process (gracefully; ``force`` kills at once); it stays resumable."""
        self._client.run(self._p_post("stop", {"force": bool(force)}))

    async def astop(self, force: bool = False) -> None:
        """Coroutine twin of :meth:`stop`."""
        await self._client.arun(self._p_post("stop", {"force": bool(force)}))

    def resume(self) -> None:
        """Restart a stopped or exited session (Claude continues the same conversation)."""
        self._client.run(self._p_post("resume"))

    async def aresume(self) -> None:
        """Coroutine twin of :meth:`resume`."""
        await self._client.arun(self._p_post("resume"))

    def update(self, name: str | None = None, labels: Mapping[str, Any] | None = None) -> None:
        """Rename the session and/or replace its labels."""
        self._client.run(self._p_update(name, labels))

    async def aupdate(
        self, name: str | None = None, labels: Mapping[str, Any] | None = None
    ) -> None:
        """Coroutine twin of :meth:`update`."""
        await self._client.arun(self._p_update(name, labels))

    def delete(self, force: bool = False) -> None:
        """Stop the process if running and forget the session on the server."""
        self._client.run(self._p_delete(force))

    async def adelete(self, force: bool = False) -> None:
        """Coroutine twin of :meth:`delete`."""
        await self._client.arun(self._p_delete(force))

    # -- display ----------------------------------------------------------------------

    def widget(self) -> Any:
        """A live terminal widget on this session (to place in layouts)."""
        try:
            from jupyter_ccmanager.widgets.terminal import TerminalWidget
        except ImportError as e:
            raise ImportError(
                "The terminal widget needs anywidget, ipywidgets and jupyter_ccmanager's "
                f"built JavaScript (jupyter_ccmanager/static): {e}"
            ) from e
        return TerminalWidget(session_id=self.id, connection=self._client)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """Show the live terminal in a notebook, plain text anywhere else.

        Returns a bundle dict, or ``(data, metadata)`` as anywidget does.
        """
        text = {"text/plain": repr(self)}
        if not _in_kernel():
            return text
        try:
            bundle = self.widget()._repr_mimebundle_(include=include, exclude=exclude)
        except Exception:  # a display hook must never raise; text is a fine fallback
            return text
        if isinstance(bundle, tuple) and len(bundle) == 2 and isinstance(bundle[0], dict):
            return {**bundle[0], **text}, bundle[1]
        return {**bundle, **text} if isinstance(bundle, dict) else text
