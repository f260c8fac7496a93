"""Prompting an agent: type a prompt, wait for the turn to end, find the reply.

Waiting is event-driven (state changes wake the request), so a long turn
holds one coroutine and nothing else. The reply comes from the agent's
transcript when it writes one (Claude Code's JSONL, located through its hooks
or its config folder), else from the output the turn produced.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jupyter_ccmanager.server.agents.transcript import config_dir, last_reply, transcript_path
from jupyter_ccmanager.server.errors import Conflict, Timeout
from jupyter_ccmanager.server.state.states import BUSY, EXITED, IDLE, STOPPED, WAITING

if TYPE_CHECKING:
    from jupyter_ccmanager.server.session import Session

#: Pause between the text and Enter, so a TUI does not take Enter as part of a paste.
ENTER_DELAY = 0.15
#: How long a turn may take to show that it started (hook or screen) before we stop waiting for it.
START_GRACE = 10.0
TRANSCRIPT_TRIES = 10
SETTLE_WAIT = 3.0  # longest wait for an idle agent's screen to stop showing work
#: Longest wait for the typed text to show before Enter is pressed anyway.
ECHO_WAIT = 5.0

_ANSI = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


async def run_prompt(
    session: Session,
    text: str,
    timeout: float,
    wait: bool,
    screen_busy: Callable[[], bool] = lambda: False,
    echoed: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Type ``text`` + Enter; with ``wait``, return once the agent is idle or waiting.

    The state turns idle at the agent's Stop hook, a moment before its screen
    is ready for input (it still runs the hook); text typed then would join
    the finishing turn, so typing waits for the screen to settle too.

    Enter is pressed once the text shows (``echoed``; without it, once any
    output follows the text): a TUI still taking in a paste when Enter
    arrives reads it as part of the paste, and the prompt never starts (seen
    with Claude Code on a loaded machine).
    """
    state = session.state
    loop = asyncio.get_running_loop()
    settle_until = loop.time() + SETTLE_WAIT
    while state.value == IDLE and screen_busy() and loop.time() < settle_until:
        await asyncio.sleep(0.05)
    if state.value == WAITING:
        raise Conflict(
            "SESSION_WAITING",
            f"Session {session.name} is waiting for a person ({state.detail}); answer it first.",
        )
    start_serial, start_offset = state.serial, session.buffer.end
    session.last_agent_reply = None
    session.write(text.encode("utf-8", "surrogateescape"))
    typed_at = session.buffer.end
    shown = echoed or (lambda: session.buffer.end > typed_at)
    echo_until = loop.time() + ECHO_WAIT
    while not shown() and session.running and loop.time() < echo_until:
        await asyncio.sleep(0.05)
    await asyncio.sleep(ENTER_DELAY)
    session.write(b"\r")
    if not wait:
        return {"state": state.value, "state_detail": state.detail, "reply": None}

    deadline = loop.time() + timeout
    ended = (EXITED, STOPPED)
    # 1. the turn starts: busy or waiting after our Enter (a fast turn may already be over)
    await state.wait(
        lambda: state.seen_since(start_serial, (BUSY, WAITING, *ended)),
        min(START_GRACE, timeout),
    )
    # 2. the turn ends: idle, waiting for a person, or the process is gone
    done = await state.wait(
        lambda: state.value in (IDLE, WAITING, *ended), max(deadline - loop.time(), 0)
    )
    if not done:
        raise Timeout("TIMEOUT", f"No reply within {timeout:g}s; the session is {state.value}.")
    return {
        "state": state.value,
        "state_detail": state.detail,
        "reply": await reply_for(session, text, start_offset),
    }


async def reply_for(session: Session, text: str, since_offset: int) -> str:
    """The agent's answer, from the best source it has.

    1. the Stop hook's ``last_assistant_message`` for this turn;
    2. the transcript (written a moment after the turn ends: retried briefly);
    3. the output since the prompt, without escape sequences.
    """
    if session.last_agent_reply is not None:
        return session.last_agent_reply
    if session.agent_session_id:
        path = session.transcript_path or transcript_path(
            config_dir(session.env), session.cwd, session.agent_session_id
        )
        for _ in range(TRANSCRIPT_TRIES):
            reply = last_reply(path, text)
            if reply is not None:
                return reply
            await asyncio.sleep(0.1)
    _, data = session.buffer.read(since_offset, 1 << 20)
    plain = _ANSI.sub(b"", data).replace(b"\r\n", b"\n").replace(b"\r", b"")
    lines = plain.decode("utf-8", "replace").split("\n")
    if lines and text.strip() and text.strip() in lines[0]:
        lines = lines[1:]  # the echo of the prompt itself
    return "\n".join(lines).strip()
