"""One session: a PTY process (spawned by terminado), its replay buffer and its viewers.

The data path is deliberately short: the event loop calls :meth:`_on_readable`
when the PTY has bytes; it reads them in large non-blocking reads, appends
them to the :class:`ReplayBuffer` once, and wakes every viewer. Viewers pull
from the buffer at their own pace (see ``ws.py``), so reading the PTY
never waits for anyone. Anything slow (screen parsing, persistence) is a
*listener* that is told "new bytes up to offset N" and does its work later.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import secrets
import signal
import time
from collections.abc import Callable
from typing import Any, Protocol

from jupyter_ccmanager.server import validation as v
from jupyter_ccmanager.server.errors import Busy, Conflict, InvalidRequest, ManagerError
from jupyter_ccmanager.server.procs import SessionPty, kill_session, session_members, start_time
from jupyter_ccmanager.server.queries import OutputQueries, has_keys
from jupyter_ccmanager.server.replay import ReplayBuffer
from jupyter_ccmanager.server.sizing import SizeOwnership
from jupyter_ccmanager.server.state.states import (
    BUSY,
    EXITED,
    IDLE,
    STARTING,
    STOPPED,
    WAITING,
    SessionState,
    utcnow_iso,
)

log = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024  # bytes asked for per os.read (PTYs hand out far less)
#: Bytes read per wake-up before yielding to the loop. Larger reads raise flood
#: throughput a little but hold the loop longer: at 1 MiB, keystroke echo in
#: *other* sessions reached p99 ~135 ms during a flood; at 64 KiB ~20 ms
#: (benchmarks/RESULTS.md). Smaller chunks also keep glibc's heap from growing.
READ_BUDGET = 64 * 1024
#: Fair reads: while another session has just read a little (an echo, a prompt),
#: within FAIR_WINDOW seconds, a flooding session reads at most FAIR_BUDGET per
#: wake-up, so it holds the loop less between the small session's steps (an
#: echo takes a few loop turns: socket → PTY, PTY → buffer, buffer → socket).
FAIR_BUDGET = 4 * 1024  # one read: what terminado reads per wake-up
FAIR_WINDOW = 0.5
SMALL_READ = 1024  # a drained read this small, by a session not flooding, is interactive


class _Fairness:
    """What every session's reader shares: the last small read, and whose."""

    small_at = 0.0
    small_fd = -1


MAX_INPUT_BACKLOG = 1 << 20  # input bytes held while the child is not reading
QUIT_KEY_PAUSE = 0.25  # between quit keys, so a TUI reads them as separate presses


class Viewer(Protocol):
    """Something attached to a session: a WebSocket, a terminado client, ..."""

    def on_output(self) -> None:
        """New bytes are in the replay buffer (pull them from there)."""

    def on_event(self, message: dict[str, Any]) -> None:
        """A control message (state, resize, exit, session) to pass on."""


class Session:
    """A named, addressable PTY process with a replay buffer.

    A session outlives its process: after exit or stop it keeps its model and
    output, and :meth:`spawn` can start a new process into the same buffer.
    """

    def __init__(
        self,
        *,
        id: str,
        name: str,
        agent: str,
        argv: list[str],
        cwd: str,
        env: dict[str, str],
        cols: int = 120,
        rows: int = 40,
        key: str | None = None,
        labels: dict[str, str] | None = None,
        user: str | None = None,
        buffer_bytes: int = 8 << 20,
        on_event: Callable[[Session, dict[str, Any]], None] | None = None,
    ) -> None:
        self.id = id
        self.name = name
        self.agent = agent
        self.argv = argv
        self.base_argv = list(argv)  # argv before agent flags (what a resume relaunches)
        self.cwd = cwd
        self.env = env  # never part of the model: it may hold API keys
        self.cols, self.rows = cols, rows
        self.key = key
        self.labels = dict(labels or {})
        self.user = user
        self.branch: str | None = None
        self.worktree_path: str | None = None
        self.base_commit: str | None = None  # the worktree's starting point (what diff compares to)
        self.base_branch: str | None = None  # where its work merges by default
        #: Tells what a ``waiting`` agent asks ({kind, tool, input, message, options,
        #: serial}); set by the session's watch, read only while waiting.
        self.pending_source: Callable[[], dict[str, Any] | None] | None = None
        self.last_input = 0.0  # time.time() of the last keys typed (not terminal replies)
        #: Permission rules given to the agent at creation ({allow, deny, permission_mode}).
        self.policy: dict[str, Any] | None = None
        self.agent_session_id: str | None = None
        self.terminal_name: str | None = None
        self.hook_secret: str | None = None  # authenticates the agent's hook calls
        self.transcript_path: str | None = None  # reported by the agent's hooks
        self.last_agent_reply: str | None = None  # the Stop hook's text for the last turn
        self.created_at = utcnow_iso()
        self.last_activity = time.time()
        self.exit_code: int | None = None
        self.buffer = ReplayBuffer(buffer_bytes)
        #: Names this byte stream: an offset means the same byte only within one stream.
        #: A session restored from the store gets a new one (its saved output may end
        #: before what viewers saw: after a kill -9, by up to ``persist_interval``).
        self.stream = secrets.token_urlsafe(9)
        self.queries = OutputQueries(self.buffer)  # terminal queries viewers may answer
        self.viewers: set[Viewer] = set()
        self.sizing = SizeOwnership(self.resize)  # which viewer's box sets the PTY size
        self.output_listeners: list[Callable[[Session], None]] = []
        #: Called with the size of each read before it is appended (and old bytes are
        #: dropped): the screen model parses what it would lose (state/screen.py).
        self.before_append: list[Callable[[int], None]] = []
        self.input_listeners: list[Callable[[Session, bytes], None]] = []
        self._on_event = on_event
        self.state = SessionState(on_change=self._state_changed)
        self.pty: SessionPty | None = None
        self.leader_pid: int | None = None  # kept after exit: its jobs may live on
        self.leader_start: int | None = None  # the leader's start time (pid reuse guard)
        self._fd: int | None = None
        self._input_backlog = bytearray()
        self._flooded_at = 0.0  # the last big read (fair reads)
        self._exit_waiter: asyncio.Task[None] | None = None
        self._final_state = EXITED  # STOPPED while a stop is under way
        self._end_reason = "stopped"  # or "deleted": what viewers are told at the exit
        self._exited = asyncio.Event()

    # ------------------------------------------------------------------ model
    @property
    def pid(self) -> int | None:
        return self.pty.ptyproc.pid if self.pty is not None and self._fd is not None else None

    @property
    def running(self) -> bool:
        return self._fd is not None

    def model(self) -> dict[str, Any]:
        """The JSON model every API returns (never the environment)."""
        return {
            "id": self.id,
            "name": self.name,
            "agent": self.agent,
            "command": list(self.argv),
            "cwd": self.cwd,
            "state": self.state.value,
            "state_detail": self.state.detail,
            "pid": self.pid,
            "exit_code": self.exit_code,
            "created_at": self.created_at,
            "last_activity": utcnow_iso(self.last_activity),
            "cols": self.cols,
            "rows": self.rows,
            "clients": len(self.viewers),
            "offset": self.buffer.end,
            "stream": self.stream,
            "buffer_bytes": len(self.buffer),
            "key": self.key,
            "labels": dict(self.labels),
            "branch": self.branch,
            "worktree_path": self.worktree_path,
            "base_commit": self.base_commit,
            "base_branch": self.base_branch,
            "pending": self.pending(),
            "policy": self.policy,
            "agent_session_id": self.agent_session_id,
            "user": self.user,
            "terminal_name": self.terminal_name,
            "terminal_queries": self.queries.open_count(),
            "state_history": list(self.state.history),
        }

    def pending(self) -> dict[str, Any] | None:
        """What the agent asks now (None unless ``waiting``)."""
        if self.state.value != WAITING or self.pending_source is None:
            return None
        return self.pending_source()

    # -------------------------------------------------------------- lifecycle
    def spawn(self) -> None:
        """Start the process in a new PTY (terminado's PtyWithClients)."""
        if self.running:
            raise Conflict("ALREADY_RUNNING", f"Session {self.name} is already running.")
        env = {**self.env, "COLUMNS": str(self.cols), "LINES": str(self.rows)}
        try:
            self.pty = SessionPty(self.argv, env, self.cwd, self.rows, self.cols)
        except OSError as err:  # includes what the child reported (chdir, exec)
            raise InvalidRequest("SPAWN_FAILED", f"Could not start {self.argv[0]}: {err}") from None
        self.leader_pid = self.pty.ptyproc.pid  # also the terminal session's id (setsid)
        self.leader_start = start_time(self.leader_pid)
        fd = self.pty.ptyproc.fd
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        self._fd = fd
        self.exit_code = None
        self._final_state = EXITED
        self._exited = asyncio.Event()
        self._input_backlog.clear()
        self.queries.reset()
        asyncio.get_running_loop().add_reader(fd, self._on_readable)
        self.state.set(STARTING)
        self.last_activity = time.time()

    def _on_readable(self) -> None:
        """Drain the PTY in large reads, append once, wake viewers once.

        The budget per wake-up is smaller while another session has just had a
        small read (see ``FAIR_BUDGET``): its echo must not wait behind our flood.
        """
        fd = self._fd
        if fd is None:
            return
        parts: list[bytes] = []
        size = 0
        eof = drained = False
        now = time.monotonic()
        fair = now - _Fairness.small_at < FAIR_WINDOW and _Fairness.small_fd != fd
        budget = FAIR_BUDGET if fair else READ_BUDGET
        while size < budget:
            try:
                data = os.read(fd, min(READ_CHUNK, budget - size))
            except BlockingIOError:
                drained = True
                break
            except OSError as err:  # EIO: the child side is closed
                if err.errno not in (errno.EIO, errno.EBADF):
                    log.warning("Reading session %s failed: %s", self.name, err)
                eof = True
                break
            if not data:
                eof = True
                break
            parts.append(data)
            size += len(data)
        if size >= FAIR_BUDGET or (not drained and not eof):
            self._flooded_at = now  # a big read, or more was waiting: this session floods
        elif 0 < size <= SMALL_READ and now - self._flooded_at > FAIR_WINDOW:
            _Fairness.small_at, _Fairness.small_fd = now, fd  # a flood's lull is no echo
        if parts:
            self._append(parts[0] if len(parts) == 1 else b"".join(parts))
        if eof:
            self._on_eof()

    def _append(self, data: bytes) -> None:
        for before in self.before_append:
            before(len(data))
        self.buffer.append(data)
        self.queries.noted(len(data))  # O(1): scanned only when an answer arrives
        self.last_activity = time.time()
        for viewer in list(self.viewers):
            viewer.on_output()
        for listener in self.output_listeners:
            listener(self)

    def _on_eof(self) -> None:
        """The PTY closed: stop reading and collect the exit status."""
        if self._fd is not None:
            asyncio.get_running_loop().remove_reader(self._fd)
        self._start_reaper()

    def check_alive(self) -> None:
        """Called periodically: notice a child that died while its PTY stays open."""
        if self.pty is not None and self._fd is not None and not self.pty.ptyproc.isalive():
            self._start_reaper()

    def _start_reaper(self) -> None:
        if self._exit_waiter is None or self._exit_waiter.done():
            self._exit_waiter = asyncio.ensure_future(self._reap(self._final_state))

    async def _reap(self, final_state: str, timeout: float | None = None) -> None:
        """Wait (without blocking the loop) for the child to die, then release the PTY."""
        pty = self.pty
        if pty is None:
            return
        delay = 0.005
        deadline = None if timeout is None else time.monotonic() + timeout
        while pty.ptyproc.isalive():
            if deadline is not None and time.monotonic() > deadline:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
        self._release(final_state)

    def _release(self, final_state: str) -> None:
        if self._fd is None or self.pty is None:
            return
        self._on_readable()  # the last bytes the child wrote
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._fd)
        loop.remove_writer(self._fd)
        proc = self.pty.ptyproc
        status = proc.exitstatus
        self.exit_code = status if status is not None else -(proc.signalstatus or 0)
        with contextlib.suppress(OSError):
            proc.fileobj.close()
        proc.closed = True  # keeps ptyprocess.__del__ from a blocking terminate()
        self._fd = None
        self.hook_secret = None  # the agent's hook calls end with its process
        self.last_activity = time.time()
        self.state.set(final_state)
        # Viewers word the end by why it came, not by the signal that did it:
        # a stop's SIGHUP (-1) or a delete's SIGKILL (-9) is no crash.
        reason = self._end_reason if final_state == STOPPED else "exited"
        self._emit(
            {"type": "exit", "exit_code": self.exit_code, "state": final_state, "reason": reason}
        )
        self._exited.set()

    async def stop(
        self,
        timeout: float,
        force: bool = False,
        final_state: str = STOPPED,
        quit_keys: list[str] | None = None,
        reason: str = "stopped",
    ) -> None:
        """Ask the program to quit (``quit_keys``, typed with short pauses), then
        SIGHUP+SIGTERM to the process group, SIGKILL after ``timeout``.

        Typing the agent's own quit keys first lets it finish writing its state
        (Claude Code loses the last turn of its transcript on SIGTERM).
        """
        if not self.running or self.pty is None:
            if self.leader_pid is not None:  # the leader exited; its jobs may not have
                kill_session(self.leader_pid, self.leader_start)
            if self.state.value not in (EXITED, STOPPED):
                self.state.set(final_state)
            return
        pid = self.pty.ptyproc.pid
        self._final_state = final_state
        self._end_reason = reason
        deadline = time.monotonic() + timeout
        if not force and quit_keys:
            for keys in quit_keys:
                with contextlib.suppress(ManagerError):
                    self.write(keys.encode())
                await asyncio.sleep(QUIT_KEY_PAUSE)
            await self._reap(final_state, timeout=max(deadline - time.monotonic(), 0.1))
        if not force and self.running:
            self._signal_group(pid, signal.SIGHUP)
            self._signal_group(pid, signal.SIGTERM)
            self._signal_group(pid, signal.SIGCONT)
            await self._reap(final_state, timeout=max(deadline - time.monotonic(), 0.5))
        if self.running:
            for member in session_members(pid):
                self._signal_group(member, signal.SIGKILL)
            await self._reap(final_state, timeout=10)
        # What the leader left behind (disowned jobs, jobs ignoring SIGHUP/SIGTERM)
        # never outlives a stop: SIGKILL every remaining member of its terminal session.
        if kill_session(pid, self.leader_start):
            log.info("ccmanager: killed leftover processes of session %s", self.name)
        if self._exit_waiter is not None:
            self._exit_waiter.cancel()

    @staticmethod
    def _signal_group(pid: int, sig: int) -> None:
        try:
            os.killpg(os.getpgid(pid), sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)

    async def wait_exited(self) -> None:
        await self._exited.wait()

    def restore(self, history: list[dict[str, Any]], output_start: int, output: bytes) -> None:
        """Become a saved record: ``stopped``, with its old history and output."""
        self.state = SessionState(on_change=self._state_changed, initial=STOPPED)
        saved = [h for h in history if isinstance(h, dict)][-(self.state.history.maxlen or 1) + 1 :]
        self.state.history.extendleft(reversed(saved))
        # Transitions keep counting from the saved ones: waiters compare serials
        # ("busy since my prompt?"), and an old "busy" must never count as new.
        serials = [h["serial"] for h in saved if isinstance(h.get("serial"), int)]
        self.state.serial = max(serials, default=0) + 1
        self.state.history[-1]["serial"] = self.state.serial
        self.buffer.restore(output_start, output)

    def append_notice(self, text: str) -> None:
        """A visible, dim separator line in the output (e.g. when a session resumes)."""
        self._append(f"\r\n\x1b[0;2m──── {text} ────\x1b[0m\r\n".encode())

    # ------------------------------------------------------------------ input
    def write(self, data: bytes) -> None:
        """Type ``data``; never blocks: what the child does not take yet is queued."""
        if self._fd is None:
            raise Conflict("NOT_RUNNING", f"Session {self.name} is not running.")
        if not data:
            return
        if len(self._input_backlog) + len(data) > MAX_INPUT_BACKLOG:
            raise Busy("INPUT_BACKLOG", "The process is not reading its input; try again later.")
        self.last_activity = time.time()
        for listener in self.input_listeners:
            listener(self, data)
        if not data.startswith((b"\x1b[", b"\x1b]", b"\x1bP")):  # a terminal's own replies
            self.last_input = self.last_activity
        if self._input_backlog:
            self._input_backlog += data
            return
        written = self._write_some(data)
        if written < len(data):
            self._input_backlog += data[written:]
            asyncio.get_running_loop().add_writer(self._fd, self._flush_input)

    def write_from_viewer(self, data: bytes, viewer: object | None = None) -> None:
        """Input from a viewer's terminal: answers that no open query waits for are
        dropped (replayed history, a second viewer's answer); the rest is typed.
        A viewer that types (more than answers) becomes the size owner."""
        if viewer is not None and self.running and has_keys(data):
            self.sizing.typed(viewer)
        data = self.queries.filter(data)
        if data:
            self.write(data)

    def _write_some(self, data: bytes | bytearray) -> int:
        try:
            return os.write(self._fd, data) if self._fd is not None else len(data)
        except BlockingIOError:
            return 0
        except OSError:  # the child is gone; the reader will notice
            return len(data)

    def _flush_input(self) -> None:
        written = self._write_some(self._input_backlog)
        del self._input_backlog[:written]
        if not self._input_backlog and self._fd is not None:
            asyncio.get_running_loop().remove_writer(self._fd)

    def resize(self, cols: int, rows: int) -> None:
        """Every path (REST, WebSocket, Lab's terminal panel, resume) ends here: one limit."""
        v.check_size(cols, rows)
        if (cols, rows) == (self.cols, self.rows):
            return
        self.cols, self.rows = cols, rows
        if self.pty is not None and self._fd is not None:
            with contextlib.suppress(OSError):
                self.pty.ptyproc.setwinsize(rows, cols)
        self._emit({"type": "resize", "cols": cols, "rows": rows})

    # ---------------------------------------------------------------- viewers
    def attach(self, viewer: Viewer) -> None:
        """Add a viewer; watching counts as activity (for culling)."""
        self.viewers.add(viewer)
        self._viewers_changed()

    def detach(self, viewer: Viewer) -> None:
        self.sizing.forget(viewer)
        if viewer in self.viewers:
            self.viewers.discard(viewer)
            self._viewers_changed()

    def _viewers_changed(self) -> None:
        """Tell the owner (not the viewers) how many viewers there are now."""
        self.last_activity = time.time()
        if self._on_event is not None:
            self._on_event(self, {"type": "clients", "clients": len(self.viewers)})

    def _state_changed(self, state: str, detail: str | None) -> None:
        self._emit({"type": "state", "state": state, "state_detail": detail})

    def _emit(self, message: dict[str, Any]) -> None:
        for viewer in list(self.viewers):
            viewer.on_event(message)
        if self._on_event is not None:
            self._on_event(self, message)

    def notify_model(self) -> None:
        """Tell viewers the model changed (rename, labels)."""
        self._emit({"type": "session", "session": self.model()})


__all__ = ["BUSY", "IDLE", "Session", "Viewer", "session_members"]
