""":class:`AnsweringMixin`: what a waiting agent asks, and answering it from the kernel.

``s.pending`` is the question (``{kind, tool, input, message, options, serial}``,
``None`` unless the session is ``waiting``); ``s.approve()``, ``s.deny()`` and
``s.answer(choice)`` answer it with the agent's own keys (``POST answer``), and
``s.prompt(..., on_waiting=decide)`` lets a program decide each question as it
comes, so a notebook drives permissions with no terminal typing.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from jupyter_ccmanager.client.transport import Call, Client, Plan

__all__ = ["AnsweringMixin", "Decision", "OnWaiting"]

#: Longest wait for a reported question's options to be drawn before deciding anyway.
OPTIONS_WAIT = 10.0
#: What ``on_waiting`` returns: True (approve), False (deny), a choice, (choice, text), None.
Decision = bool | str | tuple[str, str] | None
OnWaiting = Callable[[Any, dict[str, Any]], Decision | Awaitable[Decision]]
_HTTP_GRACE = 30.0  # beyond the server's own timeout, so its TIMEOUT answer arrives first
_LEAVE_TIMEOUT = 30.0  # how long the server waits for the agent to take an answer


def _choice(decision: Decision) -> tuple[str, str | None] | None:
    if decision is None:
        return None
    if isinstance(decision, bool):
        return ("yes" if decision else "no"), None
    if isinstance(decision, tuple):
        return str(decision[0]), str(decision[1])
    return str(decision), None


class AnsweringMixin:
    """The answering methods of :class:`~jupyter_ccmanager.client.session.Session`."""

    if TYPE_CHECKING:
        _client: Client
        model: dict[str, Any]
        last_prompt_result: dict[str, Any] | None

        def _path(self, *more: str) -> tuple[str, ...]: ...
        def _remember(self, model: Any) -> None: ...
        def info(self) -> dict[str, Any]: ...
        async def ainfo(self) -> dict[str, Any]: ...

    @property
    def pending(self) -> dict[str, Any] | None:
        """What the agent asks now (fetched now); ``None`` unless it is ``waiting``."""
        pending: dict[str, Any] | None = self.info().get("pending")
        return pending

    async def apending(self) -> dict[str, Any] | None:
        """Coroutine twin of :attr:`pending`."""
        pending: dict[str, Any] | None = (await self.ainfo()).get("pending")
        return pending

    def _p_answer(
        self, choice: str, text: str | None, serial: int | None, wait: bool, timeout: float
    ) -> Plan[dict[str, Any]]:
        body = {"choice": choice, "text": text, "serial": serial, "wait": wait,
                "timeout": timeout}  # fmt: skip
        http_timeout = (timeout if wait or text else _LEAVE_TIMEOUT) + _HTTP_GRACE
        call = Call("POST", self._path("answer"), timeout=http_timeout,
                    body={k: v for k, v in body.items() if v is not None})  # fmt: skip
        result: dict[str, Any] = (yield call).json()
        self._remember(result.get("session"))
        return result

    def answer(
        self,
        choice: str,
        text: str | None = None,
        *,
        serial: int | None = None,
        wait: bool = False,
        timeout: float = 600,
    ) -> dict[str, Any]:
        """Answer the pending question with an option's ``key``, number or label.

        Returns ``{state, state_detail, reply, session}`` once the agent has left that
        question (with ``wait=True``, once its turn has ended, with the ``reply``).
        ``serial`` (from :attr:`pending`) makes sure it is still that question.
        ``text`` is typed afterwards as the agent's next prompt. Raises
        :class:`NotWaiting` (someone answered first), :class:`AnswerChanged`,
        :class:`InvalidChoice`.
        """
        return self._client.run(self._p_answer(choice, text, serial, wait, timeout))

    async def aanswer(
        self,
        choice: str,
        text: str | None = None,
        *,
        serial: int | None = None,
        wait: bool = False,
        timeout: float = 600,
    ) -> dict[str, Any]:
        """Coroutine twin of :meth:`answer`."""
        return await self._client.arun(self._p_answer(choice, text, serial, wait, timeout))

    def approve(self, always: bool = False, **kw: Any) -> dict[str, Any]:
        """Say yes to the pending permission (``always``: and don't ask again for it)."""
        return self.answer("always" if always else "yes", **kw)

    async def aapprove(self, always: bool = False, **kw: Any) -> dict[str, Any]:
        """Coroutine twin of :meth:`approve`."""
        return await self.aanswer("always" if always else "yes", **kw)

    def deny(self, message: str | None = None, **kw: Any) -> dict[str, Any]:
        """Say no; ``message`` tells the agent what to do instead (its next prompt)."""
        return self.answer("no", message, **kw)

    async def adeny(self, message: str | None = None, **kw: Any) -> dict[str, Any]:
        """Coroutine twin of :meth:`deny`."""
        return await self.aanswer("no", message, **kw)

    # -- prompt(..., on_waiting=...) ----------------------------------------------

    def _remaining(self, deadline: float | None) -> float:
        return 600.0 if deadline is None else max(deadline - time.monotonic(), 0.1)

    def _shown_pending(self) -> dict[str, Any] | None:
        """The pending question once its options are on screen: a permission hook
        reports the question a moment before the dialog (and its options) is drawn."""
        pending = self.pending
        until = time.monotonic() + OPTIONS_WAIT
        while pending is not None and not pending.get("options") and time.monotonic() < until:
            time.sleep(0.1)
            pending = self.pending
        return pending

    async def _ashown_pending(self) -> dict[str, Any] | None:
        """Coroutine twin of :meth:`_shown_pending`."""
        pending = await self.apending()
        until = time.monotonic() + OPTIONS_WAIT
        while pending is not None and not pending.get("options") and time.monotonic() < until:
            await asyncio.sleep(0.1)
            pending = await self.apending()
        return pending

    def _answer_as_they_come(self, reply: str, decide: OnWaiting, timeout: float | None) -> str:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (self.last_prompt_result or {}).get("state") == "waiting":
            pending = self._shown_pending()
            if pending is None:
                break
            decision = decide(self, pending)
            if inspect.isawaitable(decision):
                raise TypeError("on_waiting returned an awaitable: use aprompt() for coroutines")
            chosen = _choice(decision)
            if chosen is None:
                break
            result = self.answer(chosen[0], chosen[1], serial=pending["serial"], wait=True,
                                 timeout=self._remaining(deadline))  # fmt: skip
            self.last_prompt_result = result
            reply = str(result.get("reply") or "")
        return reply

    async def _aanswer_as_they_come(
        self, reply: str, decide: OnWaiting, timeout: float | None
    ) -> str:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (self.last_prompt_result or {}).get("state") == "waiting":
            pending = await self._ashown_pending()
            if pending is None:
                break
            decision = decide(self, pending)
            if inspect.isawaitable(decision):
                decision = await decision
            chosen = _choice(decision)
            if chosen is None:
                break
            result = await self.aanswer(chosen[0], chosen[1], serial=pending["serial"],
                                        wait=True, timeout=self._remaining(deadline))  # fmt: skip
            self.last_prompt_result = result
            reply = str(result.get("reply") or "")
        return reply
