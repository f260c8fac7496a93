"""A viewer that attaches after the replay buffer overflowed sees what one that
watched from the start sees.

Real programs (vim, less, htop, a colour shell, the real claude CLI) run in a
session with a small replay buffer. Viewer A records everything from offset 0;
once the output has overflowed the buffer, viewer B attaches late and gets the
server's snapshot plus the raw bytes from its offset. Both byte streams go into
headless xterm.js terminals of the session's size (tests/helpers/xterm.py) and
are compared cell by cell at the same stream offset, before and after the
program quits. For the figures, a third terminal gets what the server sent
before the snapshot existed: the raw tail from the buffer's start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_ccmanager.server.demo.api import FakeAnthropic, Text, claude_env, prepare_home
from tests.helpers.api import Api
from tests.helpers.require import require_claude
from tests.helpers.waiting import auntil, wait_state
from tests.helpers.ws import Viewer, open_viewer
from tests.helpers.xterm import Screen, render, require_xterm

# More than one PTY read (a read appends up to 128 KiB): a buffer smaller than one
# read drops bytes before the screen model can parse them.
BUFFER = 160 * 1024
COLS, ROWS = 80, 24
MAX_WRONG = COLS * ROWS // 100  # acceptance: at most 1 % of the cells

#: program -> phase -> (cells wrong with a raw tail, whether its buffer and modes were
#: right, cells wrong with the snapshot)
TABLE: dict[str, dict[str, tuple[int, bool, int]]] = {}


@pytest.fixture
def ccm_config() -> dict[str, Any]:
    return {"replay_buffer_bytes": BUFFER}


@pytest.fixture(autouse=True)
def _xterm() -> None:
    require_xterm()


@pytest.fixture(scope="module", autouse=True)
def _print_table() -> Any:
    yield
    if TABLE:
        lines = [
            "",
            f"late attach after overflow: cells wrong of {COLS * ROWS} "
            "(raw tail [buffer+modes ok?] -> snapshot)",
        ]
        for program, phases in TABLE.items():
            cells = "  ".join(
                f"{p}: {raw} [{'ok' if ok else 'WRONG'}] -> {snap}"
                for p, (raw, ok, snap) in phases.items()
            )
            lines.append(f"  {program:<12} {cells}")
        print("\n".join(lines))


async def _drain(viewer: Viewer) -> None:
    try:
        while await viewer.read_one(3600):
            pass
    except Exception as err:  # kept for the assertion that follows
        viewer.messages.append({"type": "drain-error", "error": repr(err)})


@contextlib.asynccontextmanager
async def reading(viewer: Viewer) -> AsyncIterator[Viewer]:
    """Keep reading ``viewer`` in the background (a viewer that never falls behind)."""
    task = asyncio.ensure_future(_drain(viewer))
    try:
        yield viewer
    finally:
        viewer.ws.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Recorder:
    """Every byte a session prints, copied in-process as it is appended.

    Viewer A for claude: the CLI writes a long reply in one burst larger than the
    small test buffer, faster than any WebSocket viewer is sent it, so a viewer
    from offset 0 gets a ``gap`` (as it should). This records the same stream
    without that race."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.output = bytearray()
        self.messages: list[dict[str, Any]] = []
        self.start = 0
        assert session.buffer.start == 0
        self.output += session.buffer.read(0, session.buffer.end)[1]
        session.output_listeners.append(self._on_output)

    def _on_output(self, session: Any) -> None:
        start, data = session.buffer.read(len(self.output), 1 << 30)
        assert start == len(self.output), "the recorder missed bytes"
        self.output += data

    @property
    def end(self) -> int:
        return len(self.output)


class Late:
    """Viewer A from the start, viewer B attached late, and the raw tail of old."""

    def __init__(self, manager: Any, sid: str, a: Viewer | Recorder) -> None:
        self.session = manager.get(sid)
        self.a = a
        self.b: Viewer | None = None
        self.tail_start = 0

    async def settled(self) -> None:
        """A has every byte the session printed so far."""
        buffer = self.session.buffer
        try:
            await auntil(lambda: self.a.end >= buffer.end, 30, "viewer A caught up")
        except AssertionError:
            kinds = [m["type"] if m["type"] != "drain-error" else m for m in self.a.messages]
            raise AssertionError((self.a.end, buffer.start, buffer.end, kinds)) from None
        gaps = [m for m in self.a.messages if m["type"] == "gap"]
        assert not gaps, f"viewer A fell behind: {gaps}"

    async def overflow(self, step: Callable[[], Awaitable[None]], beyond: int = 4096) -> None:
        """Run ``step`` until the buffer has dropped more than ``beyond`` bytes."""
        for _ in range(400):
            if self.session.buffer.start > beyond:
                return
            await step()
        raise AssertionError(f"no overflow: buffer starts at {self.session.buffer.start}")

    def attach(self, b: Viewer) -> None:
        assert b.hello is not None
        assert b.hello["replay"] == "snapshot" and b.hello["dropped"] is True, b.hello
        self.b = b
        self.tail_start = self.session.buffer.start

    async def compare(self, program: str, phase: str) -> tuple[Screen, Screen]:
        """A's and B's screens at the same offset; records and checks the figures."""
        assert self.b is not None and self.b.hello is not None
        await self.settled()
        end = self.a.end
        await self.b.until(lambda v: v.end >= end, 30)
        k = self.b.start
        stream_a = bytes(self.a.output[:end])
        stream_b = [self.b.hello["snapshot"].encode(), bytes(self.b.output[: end - k])]
        raw_tail = stream_a[self.tail_start :]
        a, b, tail = render(
            (COLS, ROWS, [stream_a]), (COLS, ROWS, stream_b), (COLS, ROWS, [raw_tail])
        )
        wrong = a.mismatches(b)
        same_state = tail.buffer == a.buffer and tail.modes == a.modes
        TABLE.setdefault(program, {})[phase] = (a.mismatches(tail), same_state, wrong)
        assert wrong <= MAX_WRONG, (program, phase, wrong, a.diff(b), a.text, b.text)
        assert b.buffer == a.buffer, (program, phase)
        assert b.modes == a.modes, (program, phase)
        assert b.cursor == a.cursor, (program, phase)
        return a, b


async def start_shell(
    api: Api, jp_ws_fetch: Any, manager: Any, tmp: Path
) -> tuple[str, Late, Viewer]:
    model = await api.create(
        command=["bash", "--noprofile", "--norc"],
        cwd=str(tmp),
        env={"PS1": "$ ", "LANG": "C.UTF-8"},
        cols=COLS,
        rows=ROWS,
    )
    a = await open_viewer(jp_ws_fetch, model["id"], offset=0)
    assert a.hello is not None and a.hello["replay"] == "bytes"
    late = Late(manager, model["id"], a)
    return model["id"], late, a


async def typed(api: Api, late: Late, sid: str, keys: str) -> None:
    """Type ``keys`` and wait until the program has answered with output."""
    before = late.session.buffer.end
    await api.send(sid, keys)
    await auntil(lambda: late.session.buffer.end > before, 20, f"output after {keys!r}")
    await late.settled()


async def screen_lines(api: Api, sid: str) -> list[str]:
    status, screen = await api.call("GET", "sessions", sid, "screen")
    assert status == 200, screen
    return list(screen["lines"])


async def wait_prompt(api: Api, late: Late, after: int = 0) -> None:
    """The shell's prompt is the last thing printed, after offset ``after``."""
    buffer = late.session.buffer
    await auntil(
        lambda: buffer.end > after and buffer.tail(64)[1].endswith(b"$ "), 30, "the prompt"
    )
    await late.settled()


async def run_line(api: Api, late: Late, sid: str, line: str) -> None:
    """Type a line (a shell command, or what ends a program) and wait for the prompt."""
    after = late.session.buffer.end + len(line)
    await api.send(sid, line)
    await wait_prompt(api, late, after)


def text_file(tmp: Path) -> Path:
    path = tmp / "sample.py"
    path.write_text(
        "".join(
            f"def f{i}(x):\n    return x * {i}  # line {i} of a long file\n\n" for i in range(3000)
        )
    )
    return path


def colour_file(tmp: Path) -> Path:
    path = tmp / "colours.txt"
    path.write_text(
        "".join(
            f"\x1b[1;3{i % 8}mline {i}\x1b[0m \x1b[4{(i + 3) % 8}mbg\x1b[0m "
            f"\x1b[38;5;{i % 256}mfancy\x1b[0m\n"
            for i in range(4000)
        )
    )
    return path


async def attach_late_then_end(
    api: Api, jp_ws_fetch: Any, late: Late, sid: str, program: str, end: str, phase: str = "quit"
) -> tuple[Screen, Screen]:
    """Viewer B attaches late; A and B are compared while ``program`` runs and after
    ``end`` is typed; ``GET screen`` then equals A's screen. A's two screens."""
    async with reading(await open_viewer(jp_ws_fetch, sid, offset=0)) as b:
        late.attach(b)
        running, _ = await late.compare(program, "running")
        await run_line(api, late, sid, end)
        ended, _ = await late.compare(program, phase)
        assert await screen_lines(api, sid) == [line.rstrip() for line in ended.text]
    return running, ended


async def test_vim(api: Api, jp_ws_fetch: Any, manager: Any, jp_root_dir: Path) -> None:
    tmp_path = jp_root_dir
    sid, late, a = await start_shell(api, jp_ws_fetch, manager, tmp_path)
    async with reading(a):
        await wait_prompt(api, late)
        path = text_file(tmp_path)
        await typed(
            api, late, sid, f"vim -u NONE -N -i NONE -c 'syntax on' -c 'set number' {path.name}\r"
        )
        await late.overflow(lambda: typed(api, late, sid, "\x06"))  # Ctrl-F: a page down
        running, ended = await attach_late_then_end(api, jp_ws_fetch, late, sid, "vim", "\x1b:q!\r")
        assert (running.buffer, ended.buffer) == ("alternate", "normal")


async def test_less(api: Api, jp_ws_fetch: Any, manager: Any, jp_root_dir: Path) -> None:
    tmp_path = jp_root_dir
    sid, late, a = await start_shell(api, jp_ws_fetch, manager, tmp_path)
    async with reading(a):
        await wait_prompt(api, late)
        path = colour_file(tmp_path)
        await typed(api, late, sid, f"less -R {path.name}\r")
        await late.overflow(lambda: typed(api, late, sid, " "))
        running, _ = await attach_late_then_end(api, jp_ws_fetch, late, sid, "less", "q")
        assert running.buffer == "alternate"


async def test_htop(api: Api, jp_ws_fetch: Any, manager: Any, jp_root_dir: Path) -> None:
    tmp_path = jp_root_dir
    sid, late, a = await start_shell(api, jp_ws_fetch, manager, tmp_path)
    async with reading(a):
        await wait_prompt(api, late)
        await typed(api, late, sid, "htop -d 2\r")

        async def refreshed() -> None:
            # Ctrl-L: a full redraw (htop's own refreshes draw only what changed, too
            # little to overflow the buffer in 400 steps on a loaded machine).
            before = late.session.buffer.end
            await api.send(sid, "\x0c")
            await auntil(lambda: late.session.buffer.end > before, 20, "an htop redraw")

        await late.overflow(refreshed)
        running, _ = await attach_late_then_end(api, jp_ws_fetch, late, sid, "htop", "q")
        assert running.buffer == "alternate" and running.modes["mouseTrackingMode"] != "none"


COLOUR_SCRIPT = r"""
for i in $(seq 1 1500); do
  printf '\033[1;3%dmline %d\033[0m \033(0lqqk\033(B %s%s%s\n' \
    $((i % 8)) $i "$(tput setaf 2)" green "$(tput sgr0)"
done
ls --color=always -la /usr/bin | head -200
printf '\033(0lqqqqqqk\nx  box x\nmqqqqqqj\033(B\n'
"""


async def test_colour_shell(api: Api, jp_ws_fetch: Any, manager: Any, jp_root_dir: Path) -> None:
    tmp_path = jp_root_dir
    sid, late, a = await start_shell(api, jp_ws_fetch, manager, tmp_path)
    async with reading(a):
        await wait_prompt(api, late)
        (tmp_path / "colours.sh").write_text(COLOUR_SCRIPT)
        await run_line(api, late, sid, "bash colours.sh\r")
        # Switch to the line-drawing charset and bold red, then print enough for that
        # switch to leave the buffer: a late viewer must still draw the same way.
        await run_line(api, late, sid, "printf '\\033[1;31m\\033(0'; seq 1 40000\r")
        assert late.session.buffer.start > 0, "the output overflowed the buffer"
        _, ended = await attach_late_then_end(
            api, jp_ws_fetch, late, sid, "colour shell", "echo lqqk\r", phase="after"
        )
        assert "┌──┐" in "\n".join(ended.text)


@pytest.mark.claude
@pytest.mark.parametrize("ccm_config", [{"replay_buffer_bytes": 256 * 1024}])
async def test_claude(
    api: Api,
    jp_ws_fetch: Any,
    manager: Any,
    tmp_path: Path,
    jp_root_dir: Path,
    ccm_config: dict[str, Any],
) -> None:
    require_claude()
    home = tmp_path / "home"
    prepare_home(home, [jp_root_dir])
    with FakeAnthropic() as fake:
        env = claude_env(fake.url, home)
        model = await api.create(agent="claude", env=env, cols=COLS, rows=ROWS)
        sid = model["id"]
        late = Late(manager, sid, Recorder(manager.get(sid)))
        await wait_state(api, sid, "idle", timeout=60)
        reply = "\n".join(
            f"Line {i}: the quick brown fox jumps over the lazy dog." for i in range(6000)
        )
        fake.queue(Text(reply))
        status, result = await api.call(
            "POST",
            "sessions",
            sid,
            "prompt",
            body={"text": "Print many lines."},
            request_timeout=120,
        )
        assert status == 200, result
        # The reply is in the transcript first; the CLI then draws it.
        await auntil(lambda: late.session.buffer.start > 0, 60, "the reply overflowing")

        async def drawn() -> bool:
            return "5999" in await api.screen_text(sid)

        await auntil(drawn, 60, "the reply's last line on screen")
        await wait_state(api, sid, "idle", timeout=60)
        async with reading(await open_viewer(jp_ws_fetch, sid, offset=0)) as b:
            late.attach(b)
            await late.compare("claude", "idle")

            # Ctrl-C until it quits, as a person would ("Press Ctrl-C again to exit"
            # lasts a moment only): "/exit" + Enter can pick another entry of the
            # command menu when the menu lags behind the typing.
            async def pressed_until_exited() -> bool:
                status, _ = await api.call("POST", "sessions", sid, "input", body={"data": "\x03"})
                return status == 409  # NOT_RUNNING: it has exited

            await auntil(pressed_until_exited, 90, "claude to exit on Ctrl-C", interval=0.4)
            await b.until_message("exit", timeout=90)
            await late.compare("claude", "exited")


async def test_lab_terminal_panel_opens_on_the_snapshot(
    api: Api, jp_ws_fetch: Any, manager: Any, jp_root_dir: Path
) -> None:
    """JupyterLab's terminal panel (terminado protocol) is a late viewer too: its
    replay is the screen, not a raw tail that starts mid-stream."""
    sid, late, a = await start_shell(api, jp_ws_fetch, manager, jp_root_dir)
    async with reading(a):
        await wait_prompt(api, late)
        path = text_file(jp_root_dir)
        await typed(api, late, sid, f"less {path.name}\r")
        await late.overflow(lambda: typed(api, late, sid, " "))
        end = late.session.buffer.end
        lab = await jp_ws_fetch("terminals", "websocket", (await api.get(sid))["terminal_name"])
        try:
            assert json.loads(await lab.read_message()) == ["setup", {}]
            kind, replay = json.loads(await lab.read_message())
            assert kind == "stdout" and replay.startswith("\x1bc")
            assert late.session.buffer.end == end, "less printed nothing meanwhile"
            await late.settled()
            whole, panel, tail = render(
                (COLS, ROWS, [bytes(a.output[:end])]),
                (COLS, ROWS, [replay.encode()]),
                (COLS, ROWS, [bytes(a.output[late.session.buffer.start : end])]),
            )
            TABLE.setdefault("lab panel", {})["less"] = (
                whole.mismatches(tail),
                tail.buffer == whole.buffer and tail.modes == whole.modes,
                whole.mismatches(panel),
            )
            assert whole.mismatches(panel) <= MAX_WRONG, whole.diff(panel)
            assert (panel.buffer, panel.modes, panel.cursor) == (
                whole.buffer,
                whole.modes,
                whole.cursor,
            )
        finally:
            lab.close()
