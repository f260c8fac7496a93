"""Turning a session record into a process: argv, environment, agent flags.

Used for the first start and for every resume, so a resumed session runs
exactly as a fresh one would, plus the agent's way back into its
conversation (Claude Code: ``--resume <id>`` once the transcript exists).
"""

from __future__ import annotations

import os
import re
import uuid

from jupyter_ccmanager.server.agents.hooks import hook_settings, new_secret
from jupyter_ccmanager.server.agents.profiles import AgentProfile
from jupyter_ccmanager.server.agents.transcript import config_dir, transcript_path
from jupyter_ccmanager.server.session import Session

#: Variables of the server that sessions must not inherit: Jupyter's and JupyterHub's
#: tokens and secrets (JUPYTER_TOKEN, JUPYTERHUB_API_TOKEN, JPY_API_TOKEN,
#: JUPYTERHUB_OAUTH_ACCESS_TOKEN, JUPYTERHUB_COOKIE_SECRET, ...). A session runs
#: whatever its user types or its agent decides; the server's own credentials
#: would let it act as the server (or, under a hub, as the user on the hub).
PRIVATE_ENV = re.compile(r"^(JUPYTER|JUPYTERHUB|JPY)(_\w+)?_(TOKEN|SECRET)$")


def session_env(profile: AgentProfile, overrides: dict[str, str]) -> dict[str, str]:
    """The server's environment (minus its secrets), the profile's, then the caller's."""
    base = {k: val for k, val in os.environ.items() if not PRIVATE_ENV.match(k)}
    base.update({"TERM": "xterm-256color", "COLORTERM": "truecolor"})
    return {**base, **profile.env, **overrides}


def prepare(
    session: Session,
    profile: AgentProfile,
    env: dict[str, str],
    server_url: str,
    hook_transport: str = "http",
) -> None:
    """Set ``session.argv`` and ``session.env`` for the next spawn."""
    argv = profile.resolve_argv(argv=session.base_argv)
    if profile.claude:
        conversation = session.agent_session_id or str(uuid.uuid4())
        existing = session.transcript_path or transcript_path(
            config_dir(env), session.cwd, conversation
        )
        flag = "--resume" if os.path.exists(existing) else "--session-id"
        policy = session.policy or {}
        rules = {k: list(policy[k]) for k in ("allow", "deny") if policy.get(k)}
        hook_url = f"{server_url}ccmanager/api/sessions/{session.id}/hook"
        argv += [flag, conversation, "--settings", hook_settings(rules, hook_transport, hook_url)]
        if policy.get("permission_mode"):
            argv += ["--permission-mode", str(policy["permission_mode"])]
        session.agent_session_id = conversation
        session.hook_secret = new_secret()
        env = {
            **env,
            "CCM_HOOK_URL": hook_url,
            "CCM_HOOK_SECRET": session.hook_secret,
        }
    session.argv, session.env = argv, env
