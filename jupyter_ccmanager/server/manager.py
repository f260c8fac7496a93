"""The session registry: create, find, limit, stop and forget sessions.

Handlers call the manager with typed requests (:mod:`.requests`); the manager
turns them into :class:`Session` processes, wires their state signals and
enforces limits. It owns the orderly shutdown of every process; its clocks
(liveness, activity, culling) are in :mod:`.monitor`. It raises domain errors
(:mod:`.errors`), never HTTP ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from traitlets import Bool, Dict, Enum, Float, Int, Unicode
from traitlets.config import LoggingConfigurable

from jupyter_ccmanager.server import launch, worktree
from jupyter_ccmanager.server import validation as v
from jupyter_ccmanager.server.agents.hooks import secret_matches
from jupyter_ccmanager.server.agents.profiles import AgentProfile, load_profiles
from jupyter_ccmanager.server.answer import answer, check_answer
from jupyter_ccmanager.server.errors import Conflict, Forbidden, ManagerError, NotFound
from jupyter_ccmanager.server.monitor import Monitor
from jupyter_ccmanager.server.prompt import run_prompt
from jupyter_ccmanager.server.requests import (
    AnswerRequest,
    CommitRequest,
    CreateRequest,
    DiffQuery,
    ListQuery,
    MergeRequest,
    OutputQuery,
    PromptRequest,
    ResizeRequest,
    ResumeRequest,
    UpdateRequest,
)
from jupyter_ccmanager.server.review import ops as review
from jupyter_ccmanager.server.session import Session
from jupyter_ccmanager.server.state.states import LIVE_STATES, STATES, STOPPED
from jupyter_ccmanager.server.state.watch import SessionWatch
from jupyter_ccmanager.server.store.restore import restore_sessions
from jupyter_ccmanager.server.store.writer import Persistence

if TYPE_CHECKING:
    from jupyter_ccmanager.server.demo.mode import DemoMode


class CCSessionManager(LoggingConfigurable):
    """Owns every session of one server: the registry, limits, lifecycle, shutdown.

    Configured like jupyter_server_terminals' ``TerminalManager``: the traits
    below (``c.CCSessionManager.max_sessions = 4``); the app picks the class
    with ``CCManagerApp.session_manager_class``. Handlers call the public
    methods here by session id, with typed requests; nothing else touches a
    session on a client's behalf.
    """

    default_agent = Unicode(
        "claude",
        config=True,
        help="Agent used when a create request names none: 'claude', 'shell' or a key of `agents`.",
    )
    agents = Dict(
        config=True,
        help="""Extra or overriding agent profiles, by name. Each is a dict with
        'argv' (list), and optionally 'env' (dict), 'interrupt' (keys typed by
        interrupt, e.g. "\\x1b" or "\\x03"), 'rules' ({"waiting": [{"pattern": regex,
        "detail": ...}], "busy": [{"pattern": regex}]}), 'idle_debounce' (seconds),
        'claude' (bool: session ids, hooks, --resume), 'install_hint' (message when
        argv[0] is missing).""",
    )
    max_sessions = Int(
        0,
        config=True,
        help="Most running sessions at once (0: no limit). Creating more answers 409 MAX_SESSIONS.",
    )
    max_sessions_per_user = Int(
        0,
        config=True,
        help="Most running sessions one user may have (0: no limit); 409 MAX_SESSIONS_PER_USER.",
    )
    replay_buffer_bytes = Int(
        8 << 20,
        config=True,
        help="Output bytes kept per session for viewers that (re)attach; older bytes are dropped.",
    )
    stop_timeout = Float(
        5.0,
        config=True,
        help="Seconds a stopping session gets after SIGHUP/SIGTERM before SIGKILL.",
    )
    cull_idle_timeout = Float(
        0.0,
        config=True,
        help="Stop sessions with no output, input or viewer for this many seconds (0: never).",
    )
    screen_model = Bool(
        True,
        config=True,
        help="Keep a server-side screen (avt) per session: needed for `screen`, for "
        "screen-based state rules and for replies of agents without transcripts.",
    )
    hook_transport = Enum(
        ["http", "command"],
        "http",
        config=True,
        help="How a claude session's hooks reach the server: 'http' (the CLI posts each "
        "event itself; SessionStart, which the CLI sends only to commands, stays a command) "
        "or 'command' (a Python process per event, hookcmd.py).",
    )
    query_answer_timeout = Float(
        3.0,
        config=True,
        help="Seconds a terminal query in a session's output (cursor position, device "
        "attributes, colours...) stays answerable by a viewer. Later answers, and every "
        "answer after the first, are dropped: they would be typed into the program.",
    )
    worktree_branch_template = Unicode(
        "feature/{name}",
        config=True,
        help="Branch name for a session's git worktree; {name} is the session name.",
    )
    worktree_dir = Unicode(
        ".worktrees",
        config=True,
        help="Folder, relative to the repository root, that holds session worktrees.",
    )

    def __init__(
        self,
        *,
        root_dir: str,
        server_url: str,
        persistence: Persistence | None = None,
        demo: DemoMode | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.root_dir = os.path.realpath(root_dir)
        self.server_url = server_url  # how agents on this machine reach the hook route
        self.profiles: dict[str, AgentProfile] = load_profiles(self.agents)
        self._warn_if_default_agent_missing()
        self.sessions: dict[str, Session] = {}
        self.started_at = time.time()
        self.event_listeners: list[Callable[[Session, dict[str, Any]], None]] = []
        self.watches: dict[str, SessionWatch] = {}
        self._pending: dict[str, Session] = {}
        self._locks: dict[str, asyncio.Lock] = {}  # one per session: lifecycle operations
        self._merge_lock = asyncio.Lock()  # merges move branches and checkouts: one at a time
        self._answering: set[str] = set()  # sessions whose answer is being typed
        self.demo = demo  # claude sessions use the stand-in API when set
        self.monitor = Monitor(
            self.sessions.values, self.live_sessions, self.stop, self.cull_idle_timeout
        )
        self.persistence = persistence
        if persistence is not None:
            for session in restore_sessions(
                persistence, root_dir, self._on_session_event, self.replay_buffer_bytes
            ):
                self._register(session, self._profile(session))

    # ----------------------------------------------------------------- lookup
    def get(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise NotFound("NOT_FOUND", f"No session with id {session_id!r}.")
        return session

    def list_models(self, query: ListQuery | None = None) -> list[dict[str, Any]]:
        q = query or ListQuery()
        sessions = sorted(self.sessions.values(), key=lambda s: s.created_at)
        return [
            s.model()
            for s in sessions
            if (q.state is None or s.state.value == q.state)
            and (q.key is None or s.key == q.key)
            and (q.user is None or s.user == q.user)
        ]

    def model(self, session_id: str) -> dict[str, Any]:
        return self.get(session_id).model()

    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.state.value in LIVE_STATES]

    def _warn_if_default_agent_missing(self) -> None:
        """Say at start, once, what the first create would answer (AGENT_NOT_FOUND):
        a new user reads the server log before they read an error in a cell."""
        profile = self.profiles.get(self.default_agent)
        if profile is None or not profile.argv:
            return
        try:
            profile.resolve_argv()
        except ManagerError as err:
            self.log.warning(
                "ccmanager: the default agent %r cannot start: %s", profile.name, err.message
            )

    def _profile(self, session: Session) -> AgentProfile:
        return self.profiles.get(session.agent) or self.profiles["command"]

    # ----------------------------------------------------------------- create
    async def create(self, request: CreateRequest, user: str | None = None) -> dict[str, Any]:
        """Check what needs the server's state, then spawn. Nothing changes on error."""
        cwd = self.resolve_cwd(request.cwd)
        agent = request.agent or self.default_agent
        profile = self.profiles.get(agent)
        if profile is None:
            raise v.bad_request(
                f"Unknown agent {agent!r}; known: {', '.join(sorted(self.profiles))}.",
                "UNKNOWN_AGENT",
            )
        if agent == "command" and not request.command:
            raise v.bad_request("Agent 'command' needs a 'command' argv list.", "INVALID_VALUE")
        name = request.name or self._generate_name()
        self._check_name_free(name)
        self._check_limits(user)
        base = profile.resolve_argv(request.args, argv=request.command)
        session = Session(
            id=self._new_id(), name=name, agent=agent, argv=base, cwd=cwd, env={},
            cols=request.cols or 120, rows=request.rows or 40, key=request.key,
            labels=request.labels, user=user, buffer_bytes=self.replay_buffer_bytes,
            on_event=self._on_session_event,
        )  # fmt: skip
        session.base_argv = base
        if request.policy is not None:
            if not profile.claude:
                raise v.bad_request(
                    f"'policy' is for claude sessions; agent {agent!r} has no permission rules.",
                    "POLICY_NOT_SUPPORTED",
                )
            session.policy = request.policy.to_json()
        self._pending[session.id] = session  # holds the name and a slot while git runs
        try:
            if request.worktree:
                await self._add_worktree(session)
            self._launch(session, profile, request.env)
        finally:
            self._pending.pop(session.id, None)
        self._emit(session, {"type": "created"})
        self.log.info("ccmanager: started session %s (%s) pid %s", session.name, agent, session.pid)
        return session.model()

    async def _add_worktree(self, session: Session) -> None:
        branch = self.worktree_branch_template.format(name=session.name)
        made = await worktree.add(
            session.cwd, session.name, branch, self.worktree_dir, inside=self.root_dir
        )
        session.cwd = session.worktree_path = made.path
        session.branch = made.branch
        session.base_commit, session.base_branch = made.base_commit, made.base_branch
        await worktree.write_meta(made.path, self._record(session))

    def _record(self, session: Session) -> dict[str, Any]:
        return {**session.model(), "base_argv": session.base_argv}

    def _launch(self, session: Session, profile: AgentProfile, env: dict[str, str]) -> None:
        """Spawn (or respawn) ``session`` and make sure it is registered and watched."""
        if self.demo is not None and profile.claude:
            env = {**self.demo.env_for(session.cwd), **env}
        launch.prepare(
            session, profile, launch.session_env(profile, env), self.server_url, self.hook_transport
        )
        session.spawn()
        self._register(session, profile)
        self.watches[session.id].on_spawn()
        if self.persistence is not None:
            self.persistence.soon()  # the store knows the new leader before a crash can hit

    def _register(self, session: Session, profile: AgentProfile) -> None:
        if session.id not in self.sessions:
            self.sessions[session.id] = session
            self.watches[session.id] = SessionWatch(session, profile, screen=self.screen_model)
            session.output_listeners.append(self._mark_dirty)
            session.queries.lifetime = self.query_answer_timeout
        self._mark_dirty(session)

    def lock(self, session: Session) -> asyncio.Lock:
        """The session's lifecycle lock: stop, resume, delete, commit and merge never overlap."""
        return self._locks.setdefault(session.id, asyncio.Lock())

    @contextlib.asynccontextmanager
    async def _lifecycle(self, session_id: str) -> AsyncIterator[Session]:
        """Hold the session's lifecycle lock: resume, stop and delete of one session run
        one at a time (a resume landing inside a delete's worktree removal would start
        a process with no record). Yields the session, looked up again once locked."""
        async with self.lock(self.get(session_id)):
            yield self.get(session_id)  # NotFound if a delete finished meanwhile

    async def resume(self, session_id: str, request: ResumeRequest) -> dict[str, Any]:
        """Relaunch a stopped or exited session in its cwd, into the same buffer."""
        async with self._lifecycle(session_id) as session:
            return await self._resume(session, request)

    async def _resume(self, session: Session, request: ResumeRequest) -> dict[str, Any]:
        if session.running:
            raise Conflict("ALREADY_RUNNING", f"Session {session.name} is running.")
        if not os.path.isdir(session.cwd):
            raise Conflict("CWD_GONE", f"{session.cwd} no longer exists.")
        self._check_limits(session.user)
        if request.cols and request.rows:
            session.resize(request.cols, request.rows)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        session.append_notice(f"resumed {stamp}")
        self._launch(session, self._profile(session), request.env)
        self._emit(session, {"type": "resumed"})
        self.log.info("ccmanager: resumed session %s pid %s", session.name, session.pid)
        return session.model()

    def resolve_cwd(self, cwd: str | None) -> str:
        """Relative paths resolve against the server root; nothing outside it is allowed."""
        path = os.path.realpath(os.path.join(self.root_dir, os.path.expanduser(cwd or ".")))
        if os.path.commonpath([path, self.root_dir]) != self.root_dir:
            raise Forbidden("CWD_OUTSIDE_ROOT", f"cwd {cwd!r} is outside the server root.")
        if not os.path.isdir(path) or not os.access(path, os.X_OK):
            raise v.bad_request(
                f"cwd {cwd!r} is not a directory that can be entered.", "INVALID_CWD"
            )
        return path

    def _check_name_free(self, name: str, exclude: Session | None = None) -> None:
        for other in [*self.sessions.values(), *self._pending.values()]:
            if other is not exclude and other.name == name:
                raise Conflict("NAME_TAKEN", f"A session named {name!r} already exists.")

    def _check_limits(self, user: str | None) -> None:
        live = self.live_sessions() + list(self._pending.values())
        limit = self.max_sessions
        if limit and len(live) >= limit:
            raise Conflict(
                "MAX_SESSIONS",
                f"Maximum {limit} sessions supported. Stop a session to create a new one.",
            )
        per_user = self.max_sessions_per_user
        if per_user and sum(1 for s in live if s.user == user) >= per_user:
            raise Conflict(
                "MAX_SESSIONS_PER_USER",
                f"Maximum {per_user} sessions per user. Stop one of yours to create a new one.",
            )

    def _new_id(self) -> str:
        while True:
            candidate = secrets.token_urlsafe(12)
            if candidate not in self.sessions:
                return candidate

    def _generate_name(self) -> str:
        prefix = f"feature-{datetime.date.today().isoformat()}-"
        pattern = re.compile(re.escape(prefix) + r"(\d+)$")
        used = [int(m.group(1)) for s in self.sessions.values() if (m := pattern.match(s.name))]
        return f"{prefix}{max(used, default=0) + 1:03d}"

    # ---------------------------------------------------------------- actions
    def update(self, session_id: str, request: UpdateRequest) -> dict[str, Any]:
        session = self.get(session_id)
        if request.name is not None:
            self._check_name_free(request.name, exclude=session)
            session.name = request.name
        if request.labels is not None:
            session.labels = dict(request.labels)
        session.notify_model()
        return session.model()

    def write(self, session_id: str, data: bytes) -> int:
        """Type ``data`` into the session; the output offset at that moment."""
        session = self.get(session_id)
        session.write(data)
        return session.buffer.end

    def write_from_viewer(self, session_id: str, data: bytes, viewer: object) -> None:
        """Type what a viewer's terminal sent; answers to no open query are dropped,
        and a viewer that types owns the PTY size (see ``sizing.py``)."""
        self.get(session_id).write_from_viewer(data, viewer)

    def request_size(
        self, session_id: str, viewer: object, request: ResizeRequest, take: bool = False
    ) -> bool:
        """A viewer's box size: applied if it owns the size, takes it, or no one owns it."""
        return self.get(session_id).sizing.request(viewer, request.cols, request.rows, take)

    def resize(self, session_id: str, request: ResizeRequest) -> dict[str, Any]:
        session = self.get(session_id)
        session.resize(request.cols, request.rows)
        return session.model()

    def interrupt(self, session_id: str) -> dict[str, Any]:
        session = self.get(session_id)
        session.write(self._profile(session).interrupt.encode())
        return session.model()

    def output(self, session_id: str, query: OutputQuery) -> tuple[int, bytes]:
        """Buffered output from ``query.offset``: (offset of the first byte, bytes)."""
        return self.get(session_id).buffer.read(query.offset, query.limit)

    async def prompt(self, session_id: str, request: PromptRequest) -> dict[str, Any]:
        session = self.get(session_id)
        watch = self.watches.get(session.id)
        profile = self._profile(session)
        chrome = [re.compile(r["pattern"], re.M) for r in profile.rules.get("chrome", [])]
        end = re.compile(profile.region) if profile.region else None
        if watch is None:
            return await run_prompt(
                session, request.text, request.timeout, request.wait, chrome=chrome, end=end
            )
        return await run_prompt(
            session,
            request.text,
            request.timeout,
            request.wait,
            watch.screen_busy,
            (lambda: watch.screen_shows(request.text)) if watch.feeder is not None else None,
            chrome=chrome,
            end=end,
        )

    async def answer(self, session_id: str, request: AnswerRequest) -> dict[str, Any]:
        """Answer what the waiting session asks; the first answer wins, others get 409."""
        session = self.get(session_id)
        pending, number = check_answer(session, request)  # no await before the keys: atomic
        if session.id in self._answering:
            raise Conflict("NOT_WAITING", f"Session {session.name} is being answered already.")
        self._answering.add(session.id)
        try:
            result = await answer(session, self._profile(session), request, pending, number)
        finally:
            self._answering.discard(session.id)
        return {**result, "session": session.model()}

    async def stop(self, session_id: str, force: bool = False) -> dict[str, Any]:
        async with self._lifecycle(session_id) as session:
            await self._stop(session, force=force)
            return session.model()

    async def _stop(self, session: Session, force: bool = False, reason: str = "stopped") -> None:
        quit_keys = self._profile(session).quit
        await session.stop(
            timeout=self.stop_timeout, force=force, quit_keys=quit_keys, reason=reason
        )

    async def delete(self, session_id: str, force: bool = False) -> None:
        """Stop, remove a clean worktree (never its branch), forget the session for good."""
        async with self._lifecycle(session_id) as session:
            await self._delete(session, force)
        self._locks.pop(session_id, None)

    async def _delete(self, session: Session, force: bool) -> None:
        path = session.worktree_path
        if path and not force:
            await worktree.ensure_clean(path)  # refuse before anything changes
        await self._stop(session, force=force, reason="deleted")
        if path:
            await worktree.remove(path, force=force)
        watch = self.watches.pop(session.id, None)
        if watch is not None:
            watch.close()
        self.sessions.pop(session.id, None)
        if self.persistence is not None:
            await self.persistence.forget(session.id)
        self._emit(session, {"type": "deleted", "id": session.id})
        self.log.info("ccmanager: deleted session %s", session.name)

    # ----------------------------------------------------------------- review
    async def diff(self, session_id: str, query: DiffQuery) -> dict[str, Any] | str:
        """What the session's worktree changed since its base (see :mod:`.review.ops`)."""
        return await review.session_diff(self.get(session_id), query.format)

    async def commit(self, session_id: str, request: CommitRequest) -> dict[str, Any]:
        session = self.get(session_id)
        async with self.lock(session):
            result = await review.session_commit(session, request)
        self._emit(session, {"type": "committed", "commit": result["commit"]})
        return result

    async def merge(self, session_id: str, request: MergeRequest) -> dict[str, Any]:
        session = self.get(session_id)
        async with self.lock(session), self._merge_lock:
            result = await review.session_merge(session, request)
            if session.worktree_path:
                await worktree.write_meta(session.worktree_path, self._record(session))
        if result["committed"]:
            self._emit(session, {"type": "committed", "commit": result["committed"]})
        event = {k: result[k] for k in ("commit", "into", "strategy")}
        self._emit(session, {"type": "merged", **event})
        return {**result, "session": session.model()}

    # ------------------------------------------------------------- monitoring
    def screen(self, session_id: str) -> dict[str, Any]:
        return self.watches[self.get(session_id).id].screen()

    def snapshot(self, session_id: str) -> tuple[int, str] | None:
        """The session's screen as escape sequences at an offset (late viewers)."""
        watch = self.watches.get(session_id)
        return watch.snapshot() if watch is not None else None

    def check_hook_secret(self, session_id: str, secret: str) -> None:
        """Refuse a hook call unless it carries this session's secret.

        Unknown sessions and wrong secrets get the same answer, so hook calls
        cannot be used to probe for session ids.
        """
        session = self.sessions.get(session_id)
        if session is None or not secret_matches(secret, session.hook_secret):
            raise Forbidden("HOOK_FORBIDDEN", "Unknown session or wrong hook secret.")

    def on_hook(self, session_id: str, payload: dict[str, Any]) -> None:
        """An event from the agent's own hooks (already authenticated)."""
        session = self.get(session_id)
        path = payload.get("transcript_path")
        if isinstance(path, str) and path.endswith(".jsonl"):
            session.transcript_path = path
        reply = payload.get("last_assistant_message")
        if payload.get("hook_event_name") == "Stop" and isinstance(reply, str):
            session.last_agent_reply = reply
        watch = self.watches.get(session.id)
        if watch is not None:
            watch.on_hook(payload)

    def _on_session_event(self, session: Session, message: dict[str, Any]) -> None:
        if message["type"] == "clients" and self.sessions.get(session.id) is not session:
            return  # deleted: its last viewers leaving is no news (no event after "deleted")
        watch = self.watches.get(session.id)
        if message["type"] == "resize" and watch is not None:
            watch.resize(message["cols"], message["rows"])
        self._emit(session, message)

    def _mark_dirty(self, session: Session) -> None:
        if self.persistence is not None and session.id in self.sessions:
            self.persistence.mark(session)

    def _emit(self, session: Session, message: dict[str, Any]) -> None:
        self._mark_dirty(session)
        for listener in list(self.event_listeners):
            try:
                listener(session, message)
            except Exception:  # a broken listener must not break the session
                self.log.exception("ccmanager: event listener failed")

    def stats(self) -> dict[str, Any]:
        counts = dict.fromkeys(STATES, 0)
        for s in self.sessions.values():
            counts[s.state.value] += 1
        return {
            "sessions": len(self.sessions),
            "states": counts,
            "clients": sum(len(s.viewers) for s in self.sessions.values()),
            "buffered_bytes": sum(len(s.buffer) for s in self.sessions.values()),
            "uptime": round(time.time() - self.started_at, 3),
            "demo_mode": self.demo is not None,
            "store": self.persistence.store.health() if self.persistence else {"enabled": False},
        }

    async def shutdown(self) -> None:
        """Save every session, stop every process (gracefully, then SIGKILL), save again."""
        self.monitor.close()
        if self.persistence is not None:
            await self.persistence.flush()
        running = [s for s in self.sessions.values() if s.running]
        if running:
            self.log.info("ccmanager: stopping %d session(s)", len(running))
            await asyncio.gather(
                *(
                    s.stop(self.stop_timeout, final_state=STOPPED, quit_keys=self._profile(s).quit)
                    for s in running
                ),
                return_exceptions=True,
            )
        if self.persistence is not None:
            await self.persistence.close()
        if self.demo is not None:
            self.demo.close()
