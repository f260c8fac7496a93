"""The Jupyter server extension: configuration, routes and lifecycle.

``pip install .`` drops an auto-enable file into ``etc/jupyter``, so a plain
``jupyter server`` or ``jupyter lab`` loads this extension; ``jupyter
ccmanager`` starts a server with it and opens the dashboard. Session
settings live on the manager class (``c.CCSessionManager.max_sessions``);
the app keeps what it builds itself: the store and demo mode.
"""

from __future__ import annotations

import logging
import os

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.serverapp import ServerApp
from traitlets import Float, Int, Type, Unicode, default

from jupyter_ccmanager._version import __version__
from jupyter_ccmanager.server.demo import mode as demomode
from jupyter_ccmanager.server.events import SessionEvents
from jupyter_ccmanager.server.handlers import api_handlers, dashboard
from jupyter_ccmanager.server.manager import CCSessionManager
from jupyter_ccmanager.server.store.sqlite import SessionStore
from jupyter_ccmanager.server.store.writer import Persistence
from jupyter_ccmanager.server.terminal_panel import TerminalPanel

#: Parent of every module logger of the package (``logging.getLogger(__name__)``).
PACKAGE_LOGGER = "jupyter_ccmanager"


class CCManagerApp(ExtensionApp):
    """Run, watch and steer many Claude Code sessions from Jupyter."""

    name = "jupyter_ccmanager"
    app_name = "Jupyter CCManager"
    description = __doc__
    version = __version__
    extension_url = "/ccmanager"
    load_other_extensions = True
    classes = [CCSessionManager]

    session_manager_class = Type(
        default_value=CCSessionManager,
        klass=CCSessionManager,
        config=True,
        help="The class that owns the sessions (a subclass of CCSessionManager).",
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

    @property
    def _server(self) -> ServerApp:
        """The ServerApp this extension runs in (always set once it initializes)."""
        assert self.serverapp is not None
        return self.serverapp

    @default("db_path")
    def _default_db_path(self) -> str:
        from jupyter_core.paths import jupyter_data_dir

        return os.path.join(jupyter_data_dir(), "ccmanager", "sessions.sqlite")

    def initialize_settings(self) -> None:
        # One log for the whole server side: the server's own (its handler,
        # format and level), not the extension app's separate logger.
        self.log = self._server.log
        self._adopt_package_loggers()
        demo = None
        if demomode.wanted(self.demo_mode.lower()):
            demo = demomode.DemoMode(os.path.join(os.path.dirname(self.db_path), "demo-home"))
            self.log.warning(
                "ccmanager: DEMO MODE: claude sessions use a local stand-in API at %s "
                "(canned answers). Set ANTHROPIC_API_KEY or --CCManagerApp.demo_mode=off "
                "for real Claude.",
                demo.api.url,
            )
        store = SessionStore(self.db_path)
        self.manager = self.session_manager_class(
            root_dir=self._server.root_dir,
            server_url=self._server.connection_url,
            persistence=Persistence(store, self.persist_tail_bytes, self.persist_interval),
            demo=demo,
            parent=self,
            log=self.log,
        )
        self.settings["ccmanager"] = self.manager
        self.manager.event_listeners.append(SessionEvents(self._server.event_logger))
        self.manager.event_listeners.append(
            TerminalPanel(self._server.web_app.settings, self.manager)
        )
        self._export_connection()

    def _adopt_package_loggers(self) -> None:
        """Route every module logger of the package into the server's log (its
        handler, format and level), as jupyter_server does for tornado's."""
        logger = logging.getLogger(PACKAGE_LOGGER)
        logger.propagate = True
        logger.parent = self.log
        logger.setLevel(self.log.level)

    def _export_connection(self) -> None:
        """Tell kernels this server starts where to find it (they inherit os.environ)."""
        url = self._server.connection_url
        os.environ["JUPYTER_CCMANAGER_URL"] = url
        token = getattr(self._server.identity_provider, "token", "") or ""
        if token:
            os.environ["JUPYTER_CCMANAGER_TOKEN"] = token

    def initialize_handlers(self) -> None:
        self.handlers.extend(api_handlers())
        self.handlers.extend(dashboard.default_handlers)

    async def stop_extension(self) -> None:
        await self.manager.shutdown()


main = launch_new_instance = CCManagerApp.launch_instance
