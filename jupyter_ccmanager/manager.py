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
import uuid
from collections.abc import Callable
from typing import Any

from tornado.ioloop import PeriodicCallback
from traitlets.config import LoggingConfigurable

from . import validation as v
from .agents import AgentProfile
from .hooks import hook_settings, new_secret
from .session import Session
from .state import LIVE_STATES, STATES, STOPPED
from .validation import RequestError
from .watch import SessionWatch

#: Variables of the server that sessions must not inherit.
PRIVATE_ENV = ("JUPYTER_CCMANAGER_TOKEN", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN")


class SessionManager(LoggingConfigurable):
    """Owns every session of one server. Configured by :class:`CCManagerApp`."""

    def __init__(
        self,
        *,
        app: Any,
        root_dir: str,
        profiles: dict[str, AgentProfile],
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
        self._liveness = PeriodicCallback(self._check_alive, 1000)
        self._liveness.start()

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
        if worktree:
            raise RequestError(501, "NOT_IMPLEMENTED", "Worktrees are not available yet.")
        if name is not None:
            self._check_name_free(v.check_name(name))
        self._check_limits(user)
        argv = (
            AgentProfile(name="command", argv=command).resolve_argv(args)
            if command
            else profile.resolve_argv(args)
        )

        session_id = self._new_id()
        env = self._session_env(profile, env)
        conversation = secret = None
        if profile.claude:
            conversation, secret = str(uuid.uuid4()), new_secret()
            argv += ["--session-id", conversation, "--settings", hook_settings()]
            hook_path = f"ccmanager/api/sessions/{session_id}/hook"
            env["CCM_HOOK_URL"] = self.app.hook_base_url + hook_path
            env["CCM_HOOK_SECRET"] = secret
        session = Session(
            id=session_id,
            name=name or self._generate_name(),
            agent=agent,
            argv=argv,
            cwd=cwd,
            env=env,
            cols=cols or 120,
            rows=rows or 40,
            key=key,
            labels=labels,
            user=user,
            buffer_bytes=self.app.replay_buffer_bytes,
            on_event=self._on_session_event,
        )
        session.agent_session_id, session.hook_secret = conversation, secret
        session.spawn()
        self.sessions[session.id] = session
        self.watches[session.id] = SessionWatch(session, profile, screen=self.app.screen_model)
        self.log.info("ccmanager: started session %s (%s) pid %s", session.name, agent, session.pid)
        return session

    def resolve_cwd(self, cwd: str | None) -> str:
        """Relative paths resolve against the server root; nothing outside it is allowed."""
        path = os.path.realpath(os.path.join(self.root_dir, os.path.expanduser(cwd or ".")))
        if os.path.commonpath([path, self.root_dir]) != self.root_dir:
            raise RequestError(403, "CWD_OUTSIDE_ROOT", f"cwd {cwd!r} is outside the server root.")
        if not os.path.isdir(path):
            raise v.bad_request(f"cwd {cwd!r} is not an existing directory.", "INVALID_CWD")
        return path

    def _check_name_free(self, name: str, exclude: Session | None = None) -> None:
        for other in self.sessions.values():
            if other is not exclude and other.name == name:
                raise RequestError(409, "NAME_TAKEN", f"A session named {name!r} already exists.")

    def _check_limits(self, user: str | None) -> None:
        live = self.live_sessions()
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

    def _session_env(self, profile: AgentProfile, env: dict[str, str]) -> dict[str, str]:
        base = {k: val for k, val in os.environ.items() if k not in PRIVATE_ENV}
        base.update({"TERM": "xterm-256color", "COLORTERM": "truecolor"})
        return {**base, **profile.env, **env}

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
        await session.stop(timeout=self.app.stop_timeout, force=force)

    async def delete(self, session: Session, force: bool = False) -> None:
        await session.stop(timeout=self.app.stop_timeout, force=force)
        watch = self.watches.pop(session.id, None)
        if watch is not None:
            watch.close()
        self.sessions.pop(session.id, None)
        self._emit(session, {"type": "deleted", "id": session.id})
        self.log.info("ccmanager: deleted session %s", session.name)

    def viewers_changed(self, session: Session) -> None:
        self._emit(session, {"type": "clients", "clients": len(session.viewers)})

    # ------------------------------------------------------------- monitoring
    def screen(self, session: Session) -> dict[str, Any]:
        return self.watches[session.id].screen()

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

    def _emit(self, session: Session, message: dict[str, Any]) -> None:
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
            "store": {"enabled": False},
        }

    async def shutdown(self) -> None:
        """Stop every process (gracefully, then SIGKILL) as the server exits."""
        self._liveness.stop()
        running = [s for s in self.sessions.values() if s.running]
        if running:
            self.log.info("ccmanager: stopping %d session(s)", len(running))
            await asyncio.gather(
                *(s.stop(timeout=self.app.stop_timeout, final_state=STOPPED) for s in running),
                return_exceptions=True,
            )
