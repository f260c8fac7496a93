"""Notebook widgets (anywidget): a live terminal on one session.

The browser side is the bundle ``static/widget.js`` built from ``js/src``. In
JupyterLab / Notebook 7 each view opens the session's WebSocket itself; where
the page has no Jupyter config (VS Code, Colab...) or ``transport="comm"``, the
views talk to the kernel over the widget's comm and the kernel relays to the
server (:mod:`jupyter_ccmanager.relay`).
"""

from __future__ import annotations

import asyncio
import pathlib
from typing import Any

import anywidget
import traitlets

from .relay import CommRelay, RelayConnection

__all__ = ["TerminalWidget"]

_BUNDLE = pathlib.Path(__file__).parent / "static" / "widget.js"
_BUNDLE_MISSING = (
    f"jupyter_ccmanager's JavaScript bundle is missing ({_BUNDLE}). Install the package with "
    "`pip install .` (or `pip install -e .`) from the source tree so that the bundle is built "
    "(this needs Node.js and npm), or run `npm install && npm run build` in js/."
)
# anywidget reads `_esm` when the class is defined; a placeholder keeps
# `import jupyter_ccmanager.widget` working without the bundle, and creating a
# widget then raises the clear error above.
_PLACEHOLDER_ESM = """
export default {
  render({ el }) { el.textContent = "jupyter_ccmanager: JavaScript bundle missing"; },
};
"""

TRANSPORTS = ("auto", "websocket", "comm")


class TerminalWidget(anywidget.AnyWidget):
    """A live xterm.js terminal attached to one session.

    ``session_id`` names the session; ``transport`` is ``"auto"`` (the page's
    server WebSocket, falling back to the kernel relay), ``"websocket"`` or
    ``"comm"``; ``height`` is a CSS length. ``connection`` tells the kernel
    relay where the server is (anything with ``ws_url(session_id, offset)``
    and ``headers()``, such as :class:`jupyter_ccmanager.client.Client`); when
    omitted, the server is discovered the first time a view needs the relay.
    """

    _esm = _BUNDLE if _BUNDLE.is_file() else _PLACEHOLDER_ESM

    session_id = traitlets.Unicode("").tag(sync=True)
    transport = traitlets.Unicode("auto").tag(sync=True)
    height = traitlets.Unicode("420px").tag(sync=True)

    def __init__(
        self,
        session_id: str = "",
        *,
        connection: RelayConnection | None = None,
        **kwargs: Any,
    ) -> None:
        if not _BUNDLE.is_file():
            raise RuntimeError(_BUNDLE_MISSING)
        super().__init__(session_id=session_id, **kwargs)
        self._connection = connection
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None  # outside a kernel cell; the relay uses the loop of its caller
        self._relay = CommRelay(self._resolve_connection, self._send_to_views, loop)
        self.on_msg(self._on_view_message)

    @traitlets.validate("transport")
    def _check_transport(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if value not in TRANSPORTS:
            raise traitlets.TraitError(f"transport must be one of {TRANSPORTS}, not {value!r}")
        return value

    def close(self) -> None:
        """Close the widget and every socket the kernel relays for its views."""
        relay = getattr(self, "_relay", None)
        if relay is not None:
            relay.close()
        super().close()

    def _resolve_connection(self) -> RelayConnection:
        if self._connection is None:
            from .client import Client

            self._connection = Client.discover()
        return self._connection

    def _send_to_views(self, content: dict[str, Any], buffers: list[bytes] | None) -> None:
        self.send(content, buffers=buffers)

    def _on_view_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if isinstance(content, dict):
            self._relay.handle(self.session_id, content, buffers or [])
