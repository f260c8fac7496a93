"""Answering what a waiting agent asks, with the agent's own keys.

The answer is checked against the question the client saw (its ``serial``),
typed only while nobody else has typed since the question appeared (a person
answering in the terminal wins, the API call gets 409), and the call returns
once the session has left *that* waiting: ``busy`` as the tool runs, ``idle``
after a "no", or ``waiting`` for the next question (a new serial).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from jupyter_ccmanager.server.errors import Conflict, InvalidRequest, Timeout
from jupyter_ccmanager.server.prompt import ENTER_DELAY, run_prompt
from jupyter_ccmanager.server.state.pending import option_number
from jupyter_ccmanager.server.state.states import EXITED, IDLE, STOPPED, WAITING

if TYPE_CHECKING:
    from jupyter_ccmanager.server.agents.profiles import AgentProfile
    from jupyter_ccmanager.server.requests import AnswerRequest
    from jupyter_ccmanager.server.session import Session

#: How long the agent may take to show it took the answer.
LEAVE_TIMEOUT = 30.0


def check_answer(session: Session, request: AnswerRequest) -> tuple[dict[str, Any], int]:
    """The pending question and the option number the answer picks; refusals change nothing."""
    pending = session.pending()
    if pending is None:
        raise Conflict("NOT_WAITING", f"Session {session.name} is not waiting for an answer.")
    if request.serial is not None and request.serial != pending["serial"]:
        raise Conflict(
            "ANSWER_CHANGED",
            f"Session {session.name} asks something else now: "
            f"{pending['message'] or pending['kind']}",
        )
    if session.last_input > session.state.since:
        raise Conflict(
            "NOT_WAITING", f"Someone is answering session {session.name} in its terminal already."
        )
    number = option_number(pending, request.choice)
    if number is None:
        keys = ", ".join(o["key"] for o in pending["options"]) or "none are shown yet"
        raise InvalidRequest(
            "INVALID_CHOICE", f"{request.choice!r} is not an option here; the options: {keys}."
        )
    return pending, number


async def answer(
    session: Session, profile: AgentProfile, request: AnswerRequest, pending: dict[str, Any],
    number: int,
) -> dict[str, Any]:  # fmt: skip
    """Type the option's keys (and ``text``), wait until the question is gone."""
    state = session.state
    serial = pending["serial"]
    session.last_agent_reply = None
    session.write(profile.select.format(n=number).encode())
    left = await state.wait(lambda: state.serial != serial, LEAVE_TIMEOUT)
    if not left:
        raise Timeout("TIMEOUT", f"Session {session.name} did not take the answer.")
    if request.text:  # e.g. what to do instead, after a "no": the agent's next prompt
        await asyncio.sleep(ENTER_DELAY)
        return await run_prompt(session, request.text, request.timeout, request.wait)
    if not request.wait:
        return {"state": state.value, "state_detail": state.detail, "reply": None}
    ended = (IDLE, WAITING, EXITED, STOPPED)
    if not await state.wait(lambda: state.value in ended, request.timeout):
        raise Timeout("TIMEOUT", f"Session {session.name} is still {state.value}.")
    return {"state": state.value, "state_detail": state.detail, "reply": session.last_agent_reply}
