"""The Jupyter server extension: configuration, routes and lifecycle.

``pip install .`` drops an auto-enable file into ``etc/jupyter``, so a plain
``jupyter server`` or ``jupyter lab`` loads this extension; ``jupyter
ccmanager`` starts a server with it and opens the dashboard.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Float, Int, Unicode, default

from . import demomode
from ._version import __version__
from .agents import load_profiles
from .dashboard import dashboard_handlers
from .events import SessionEvents
from .handlers import api_handlers
from .manager import SessionManager
from .persistence import Persistence
from .store import SessionStore
from .terminal_panel import TerminalPanel


class CCManagerApp(ExtensionApp):
    """Run, watch and steer many Claude Code sessions from Jupyter."""

    name = "jupyter_ccmanager"
    app_name = "Jupyter CCManager"
    description = __doc__
    version = __version__
    extension_url = "/ccmanager"
    load_other_extensions = True

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
        help="Keep a server-side screen (pyte) per session: needed for `screen`, for "
        "screen-based state rules and for replies of agents without transcripts.",
    )
    demo_mode = Unicode(
        "auto",
        config=True,
        help="Point claude sessions at the built-in stand-in Messages API (no API key needed): "
        "'on', 'off', or 'auto' (on when the server has no Anthropic credentials).",
    )
    db_path = Unicode(
        config=True,
        help="SQLite file that keeps session records across restarts.",
    )
    persist_tail_bytes = Int(
        256 * 1024,
        config=True,
        help="Output bytes per session kept in the store, shown again after a restart.",
    )
    persist_interval = Float(
        1.0,
        config=True,
        help="Seconds between store writes; a server killed with -9 loses at most this much.",
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

    @default("db_path")
    def _default_db_path(self) -> str:
        from jupyter_core.paths import jupyter_data_dir

        return os.path.join(jupyter_data_dir(), "ccmanager", "sessions.sqlite")

    def initialize_settings(self) -> None:
        store = SessionStore(self.db_path)
        self.manager = SessionManager(
            app=self,
            root_dir=self.serverapp.root_dir,
            profiles=load_profiles(self.agents),
            persistence=Persistence(store, self.persist_tail_bytes, self.persist_interval),
            parent=self,
            log=self.log,
        )
        if demomode.wanted(self.demo_mode.lower()):
            home = os.path.join(os.path.dirname(self.db_path), "demo-home")
            self.manager.demo = demomode.DemoMode(home)
            self.log.warning(
                "ccmanager: DEMO MODE: claude sessions use a local stand-in API at %s "
                "(canned answers). Set ANTHROPIC_API_KEY or --CCManagerApp.demo_mode=off "
                "for real Claude.",
                self.manager.demo.api.url,
            )
        self.settings["ccmanager"] = self.manager
        self.manager.event_listeners.append(SessionEvents(self.serverapp.event_logger))
        self.manager.event_listeners.append(
            TerminalPanel(self.serverapp.web_app.settings, self.manager)
        )
        self._export_connection()

    @property
    def hook_base_url(self) -> str:
        """The server's own URL, as agents on this machine reach it for hooks."""
        return self.serverapp.connection_url

    def _export_connection(self) -> None:
        """Tell kernels this server starts where to find it (they inherit os.environ)."""
        url = self.serverapp.connection_url
        os.environ["JUPYTER_CCMANAGER_URL"] = url
        token = getattr(self.serverapp.identity_provider, "token", "") or ""
        if token:
            os.environ["JUPYTER_CCMANAGER_TOKEN"] = token

    def initialize_handlers(self) -> None:
        self.handlers.extend(api_handlers("ccmanager/api"))
        self.handlers.extend(dashboard_handlers())

    async def stop_extension(self) -> None:
        await self.manager.shutdown()


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "jupyter_ccmanager.app", "app": CCManagerApp}]


main = launch_new_instance = CCManagerApp.launch_instance
