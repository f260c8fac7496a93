"""``starting`` lasts until the program has printed and gone quiet, however long that takes.

A shell under a ``.bashrc`` that sleeps prints nothing for seconds; keys typed
meanwhile are echoed by the terminal, not by the shell. Neither is a prompt:
the session must stay ``starting`` until the shell's own first output has
settled, so waiting for ``idle`` after a start waits for the prompt.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers.api import Api
from tests.helpers.waiting import wait_output, wait_state

SLOW_BASHRC = "sleep 3\nPS1='ready$ '\n"


def slow_home(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "slow-home"
    home.mkdir()
    (home / ".bashrc").write_text(SLOW_BASHRC)
    return {"HOME": str(home)}


async def test_idle_only_at_the_first_quiet_prompt(api: Api, tmp_path: Path) -> None:
    model = await api.create(command=["bash", "-i"], env=slow_home(tmp_path))
    sid = model["id"]
    await api.send(sid, "echo typed-$((6*7))\r")  # typed ahead: echoed by the terminal
    idle = await wait_state(api, sid, "idle", timeout=60)
    status, screen = await api.call("GET", "sessions", sid, "screen")
    assert status == 200
    text = "\n".join(screen["lines"])
    assert "typed-42" in text.replace("typed-$((6*7))", ""), text  # the command ran
    assert text.rstrip().endswith("ready$"), text  # and the next prompt is there
    history = [h["state"] for h in idle["state_history"]]
    assert history == ["starting", "idle"], history
    await api.call("DELETE", "sessions", sid)


async def test_enter_makes_an_idle_shell_busy_at_once(api: Api, tmp_path: Path) -> None:
    """``send("...\\r")`` then ``wait_for("idle")`` waits for the answer, not the old idle."""
    model = await api.create(command=["bash", "-i"], env={"HOME": str(tmp_path)})
    sid = model["id"]
    await wait_state(api, sid, "idle", timeout=60)
    await api.send(sid, "sleep 1; echo done-$((40+2))\r")
    assert (await api.get(sid))["state"] == "busy", "busy from the Enter on"
    await wait_state(api, sid, "idle", timeout=60)
    await wait_output(api, sid, b"done-42")  # there already: it ended the busy spell
    await api.call("DELETE", "sessions", sid)
