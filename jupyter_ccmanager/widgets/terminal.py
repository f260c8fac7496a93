"""Notebook widgets (anywidget): a live terminal on one session.

The browser side is the bundle ``static/widget.js`` built from ``js/src``. In
JupyterLab / Notebook 7 each view opens the session's WebSocket itself; where
the page has no Jupyter config (VS Code, Colab...) or ``transport="comm"``, the
views talk to the kernel over the widget's comm and the kernel relays to the
server (:mod:`jupyter_ccmanager.widgets.relay`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import anywidget
import traitlets

from jupyter_ccmanager.widgets import bundle
from jupyter_ccmanager.widgets.relay import CommRelay, RelayConnection

__all__ = ["TerminalWidget"]


TRANSPORTS = ("auto", "websocket", "comm")


class TerminalWidget(anywidget.AnyWidget):
    """A live xterm.js terminal attached to one session.

    ``session_id`` names the session; ``transport`` is ``"auto"`` (the page's
    server WebSocket, falling back to the kernel relay), ``"websocket"`` or
    ``"comm"``; ``height`` is a CSS length. ``connection`` tells the kernel
    relay where the server is (anything with ``ws_url(session_id, offset)``
    and ``headers()``, such as :class:`jupyter_ccmanager.client.transport.Client`); when
    omitted, the server is discovered the first time a view needs the relay.
    """

    _esm = bundle.esm("widget.js")

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
        bundle.require("widget.js")
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
        value = str(proposal["value"])
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
            from jupyter_ccmanager.client.transport import Client

            self._connection = Client.discover()
        return self._connection

    def _send_to_views(self, content: dict[str, Any], buffers: list[bytes] | None) -> None:
        self.send(content, buffers=buffers)

    def _on_view_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if isinstance(content, dict):
            self._relay.handle(self.session_id, content, buffers or [])
