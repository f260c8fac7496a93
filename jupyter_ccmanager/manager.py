"""The session registry: create, find, limit, stop and forget sessions.

Handlers call the manager; the manager turns a validated request into a
:class:`Session`, wires its state signals, and enforces limits. It owns the
periodic liveness check and the orderly shutdown of every process.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from tornado.ioloop import PeriodicCallback
from traitlets.config import LoggingConfigurable

from . import launch, worktree
from . import validation as v
from .agents import AgentProfile
from .persistence import Persistence
from .restore import restore_sessions
from .session import Session
from .state import LIVE_STATES, STATES, STOPPED
from .validation import RequestError
from .watch import SessionWatch


class SessionManager(LoggingConfigurable):
    """Owns every session of one server. Configured by :class:`CCManagerApp`."""

    def __init__(
        self,
        *,
        app: Any,
        root_dir: str,
        profiles: dict[str, AgentProfile],
        persistence: Persistence | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.app = app  # the CCManagerApp: config traits are read from it live
        self.root_dir = os.path.realpath(root_dir)
        self.profiles = profiles
        self.sessions: dict[str, Session] = {}
        self.started_at = time.time()
        self.event_listeners: list[Callable[[Session, dict[str, Any]], None]] = []
        self.watches: dict[str, SessionWatch] = {}
        self._pending: dict[str, Session] = {}
        self.demo: Any = None  # a demomode.DemoMode when claude sessions use the stand-in API
        self._liveness = PeriodicCallback(self._check_alive, 1000)
        self._liveness.start()
        self._culler: PeriodicCallback | None = None
        self._culling: set[asyncio.Future[None]] = set()
        if app.cull_idle_timeout > 0:
            every = max(0.5, min(60.0, app.cull_idle_timeout / 2))
            self._culler = PeriodicCallback(self._cull, every * 1000)
            self._culler.start()
        self.persistence = persistence
        if persistence is not None:
            for session in restore_sessions(
                persistence, root_dir, self._on_session_event, app.replay_buffer_bytes
            ):
                self._register(session, self.profiles.get(session.agent) or profiles["command"])

    # ----------------------------------------------------------------- lookup
    def get(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise RequestError(404, "NOT_FOUND", f"No session with id {session_id!r}.")
        return session

    def list_models(
        self, state: str | None = None, key: str | None = None, user: str | None = None
    ) -> list[dict[str, Any]]:
        sessions = sorted(self.sessions.values(), key=lambda s: s.created_at)
        return [
            s.model()
            for s in sessions
            if (state is None or s.state.value == state)
            and (key is None or s.key == key)
            and (user is None or s.user == user)
        ]

    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.state.value in LIVE_STATES]

    # ----------------------------------------------------------------- create
    async def create(self, body: dict[str, Any], user: str | None = None) -> Session:
        """Validate a create request completely, then spawn. Nothing changes on error."""
        name = v.get_str(body, "name", max_len=64)
        agent = v.get_str(body, "agent", max_len=64)
        command = v.get_str_list(body, "command")
        args = v.get_str_list(body, "args") or []
        env = v.get_str_dict(body, "env", key_re=v.ENV_NAME_RE) or {}
        cols, rows = v.get_size(body)
        key = v.get_str(body, "key", max_len=256)
        labels = v.get_str_dict(body, "labels") or {}
        worktree = v.get_bool(body, "worktree")
        cwd = self.resolve_cwd(v.get_str(body, "cwd", max_len=4096))

        if command is not None:
            if agent not in (None, "command"):
                raise v.bad_request("Give either 'agent' or 'command', not both.")
            if not command:
                raise v.bad_request("'command' must not be empty.", "INVALID_VALUE")
            agent = "command"
        agent = agent or self.app.default_agent
        profile = self.profiles.get(agent)
        if profile is None:
            raise v.bad_request(
                f"Unknown agent {agent!r}; known: {', '.join(sorted(self.profiles))}.",
                "UNKNOWN_AGENT",
            )
        if agent == "command" and not command:
            raise v.bad_request("Agent 'command' needs a 'command' argv list.", "INVALID_VALUE")
        name = v.check_name(name) if name is not None else self._generate_name()
        self._check_name_free(name)
        self._check_limits(user)
        base = profile.resolve_argv(args, argv=command)
        session = Session(
            id=self._new_id(), name=name, agent=agent, argv=base, cwd=cwd, env={},
            cols=cols or 120, rows=rows or 40, key=key, labels=labels, user=user,
            buffer_bytes=self.app.replay_buffer_bytes, on_event=self._on_session_event,
        )  # fmt: skip
        session.base_argv = base
        self._pending[session.id] = session  # holds the name and a slot while git runs
        try:
            if worktree:
                await self._add_worktree(session)
            self._launch(session, profile, env)
        finally:
            self._pending.pop(session.id, None)
        self._emit(session, {"type": "created"})
        self.log.info("ccmanager: started session %s (%s) pid %s", session.name, agent, session.pid)
        return session

    async def _add_worktree(self, session: Session) -> None:
        branch = self.app.worktree_branch_template.format(name=session.name)
        path, branch = await worktree.add(session.cwd, session.name, branch, self.app.worktree_dir)
        session.cwd = session.worktree_path = path
        session.branch = branch
        await worktree.write_meta(path, self._record(session))

    def _record(self, session: Session) -> dict[str, Any]:
        return {**session.model(), "base_argv": session.base_argv}

    def _launch(self, session: Session, profile: AgentProfile, env: dict[str, str]) -> None:
        """Spawn (or respawn) ``session`` and make sure it is registered and watched."""
        if self.demo is not None and profile.claude:
            env = {**self.demo.env_for(session.cwd), **env}
        launch.prepare(session, profile, launch.session_env(profile, env), self.app.hook_base_url)
        session.spawn()
        self._register(session, profile)
        self.watches[session.id].on_spawn()

    def _register(self, session: Session, profile: AgentProfile) -> None:
        if session.id not in self.sessions:
            self.sessions[session.id] = session
            self.watches[session.id] = SessionWatch(session, profile, screen=self.app.screen_model)
            session.output_listeners.append(self._mark_dirty)
        self._mark_dirty(session)

    async def resume(self, session: Session, body: dict[str, Any]) -> None:
        """Relaunch a stopped or exited session in its cwd, into the same buffer."""
        env = v.get_str_dict(body, "env", key_re=v.ENV_NAME_RE) or {}
        cols, rows = v.get_size(body)
        if session.running:
            raise RequestError(409, "ALREADY_RUNNING", f"Session {session.name} is running.")
        if not os.path.isdir(session.cwd):
            raise RequestError(409, "CWD_GONE", f"{session.cwd} no longer exists.")
        self._check_limits(session.user)
        profile = self.profiles.get(session.agent) or self.profiles["command"]
        if cols and rows:
            session.resize(cols, rows)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        session.append_notice(f"resumed {stamp}")
        self._launch(session, profile, env)
        self._emit(session, {"type": "resumed"})
        self.log.info("ccmanager: resumed session %s pid %s", session.name, session.pid)

    def resolve_cwd(self, cwd: str | None) -> str:
        """Relative paths resolve against the server root; nothing outside it is allowed."""
        path = os.path.realpath(os.path.join(self.root_dir, os.path.expanduser(cwd or ".")))
        if os.path.commonpath([path, self.root_dir]) != self.root_dir:
            raise RequestError(403, "CWD_OUTSIDE_ROOT", f"cwd {cwd!r} is outside the server root.")
        if not os.path.isdir(path):
            raise v.bad_request(f"cwd {cwd!r} is not an existing directory.", "INVALID_CWD")
        return path

    def _check_name_free(self, name: str, exclude: Session | None = None) -> None:
        for other in [*self.sessions.values(), *self._pending.values()]:
            if other is not exclude and other.name == name:
                raise RequestError(409, "NAME_TAKEN", f"A session named {name!r} already exists.")

    def _check_limits(self, user: str | None) -> None:
        live = self.live_sessions() + list(self._pending.values())
        limit = self.app.max_sessions
        if limit and len(live) >= limit:
            raise RequestError(
                409,
                "MAX_SESSIONS",
                f"Maximum {limit} sessions supported. Stop a session to create a new one.",
            )
        per_user = self.app.max_sessions_per_user
        if per_user and sum(1 for s in live if s.user == user) >= per_user:
            raise RequestError(
                409,
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
    def update(
        self, session: Session, name: str | None = None, labels: dict[str, str] | None = None
    ) -> None:
        if name is not None:
            self._check_name_free(v.check_name(name), exclude=session)
        if name is not None:
            session.name = name
        if labels is not None:
            session.labels = dict(labels)
        session.notify_model()

    def interrupt(self, session: Session) -> None:
        session.write(self.profiles[session.agent].interrupt.encode())

    async def stop(self, session: Session, force: bool = False) -> None:
        quit_keys = self._quit(session)
        await session.stop(timeout=self.app.stop_timeout, force=force, quit_keys=quit_keys)

    def _quit(self, session: Session) -> list[str]:
        profile = self.profiles.get(session.agent)
        return profile.quit if profile is not None else []

    async def delete(self, session: Session, force: bool = False) -> None:
        """Stop, remove a clean worktree (never its branch), forget the session for good."""
        path = session.worktree_path
        if path and not force:
            await worktree.ensure_clean(path)  # refuse before anything changes
        await self.stop(session, force=force)
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

    def viewers_changed(self, session: Session) -> None:
        if self.sessions.get(session.id) is not session:
            return  # deleted: its last viewers leaving is no news (no event after "deleted")
        session.last_activity = time.time()  # for culling: watching counts as activity
        self._emit(session, {"type": "clients", "clients": len(session.viewers)})

    # ------------------------------------------------------------- monitoring
    def screen(self, session: Session) -> dict[str, Any]:
        return self.watches[session.id].screen()

    def screen_busy(self, session: Session) -> bool:
        watch = self.watches.get(session.id)
        return watch is not None and watch.screen_busy()

    def on_hook(self, session: Session, payload: dict[str, Any]) -> None:
        """An event from the agent's own hooks (already authenticated)."""
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

    def _check_alive(self) -> None:
        for session in list(self.sessions.values()):
            session.check_alive()

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
        self._liveness.stop()
        if self._culler is not None:
            self._culler.stop()
        if self.persistence is not None:
            await self.persistence.flush()
        running = [s for s in self.sessions.values() if s.running]
        if running:
            self.log.info("ccmanager: stopping %d session(s)", len(running))
            await asyncio.gather(
                *(
                    s.stop(self.app.stop_timeout, final_state=STOPPED, quit_keys=self._quit(s))
                    for s in running
                ),
                return_exceptions=True,
            )
        if self.persistence is not None:
            await self.persistence.close()
        if self.demo is not None:
            self.demo.close()

    # ---------------------------------------------------------------- culling
    def _cull(self) -> None:
        """Stop (resumably) live sessions that nobody watched or used for too long."""
        limit = self.app.cull_idle_timeout
        now = time.time()
        for session in self.live_sessions():
            if not session.viewers and now - session.last_activity > limit:
                self.log.info("ccmanager: culling idle session %s", session.name)
                task = asyncio.ensure_future(self.stop(session))
                self._culling.add(task)
                task.add_done_callback(self._culling.discard)
