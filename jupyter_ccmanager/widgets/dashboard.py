"""``ccm.dashboard()``: a live table of the server's sessions in a notebook cell.

The browser side is the bundle ``static/dashboard-widget.js`` (built from
``js/src/dashboard-widget.js``), which reuses the dashboard page's modules: in
JupyterLab / Notebook 7 each view lists sessions over REST and follows the
server's event bus itself, with the page's token, and offers create / stop /
resume / delete and a terminal per row. Nothing goes through the kernel.

Front ends without a Jupyter page config (VS Code, Colab...) give a view no
way to reach the server; there the view explains that and asks the kernel for
a plain HTML listing (:func:`sessions_html`), which the kernel puts into the
``fallback_html`` trait.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from jupyter_ccmanager.widgets import bundle

if TYPE_CHECKING:
    from jupyter_ccmanager.client.transport import Client

__all__ = ["DashboardWidget", "sessions_html"]


_COLUMNS = ("State", "Name", "Agent", "Folder", "Last activity", "Id")


class DashboardWidget(anywidget.AnyWidget):
    """Every session of the server with its live state; display it in a cell.

    ``height`` is the CSS height of the terminal that opens under the table
    when a row is clicked. ``connection`` (a :class:`~jupyter_ccmanager.client.transport.Client`)
    is used only for the plain listing shown where the front end cannot reach
    the server; when omitted, the server is discovered the first time it is needed.
    """

    _esm = bundle.esm("dashboard-widget.js")

    height = traitlets.Unicode("380px").tag(sync=True)
    #: The kernel's HTML listing, filled when a view without page config asks for it.
    fallback_html = traitlets.Unicode("").tag(sync=True)

    def __init__(self, *, connection: Client | None = None, **kwargs: Any) -> None:
        bundle.require("dashboard-widget.js")
        super().__init__(**kwargs)
        self._connection = connection
        self.on_msg(self._on_view_message)

    def refresh_fallback(self) -> None:
        """List the sessions now and update the plain table (errors are shown in it)."""
        from jupyter_ccmanager.client.session import p_list
        from jupyter_ccmanager.client.transport import Client
        from jupyter_ccmanager.errors import CCManagerError

        try:
            if self._connection is None:
                self._connection = Client.discover()
            models = self._connection.run(p_list())
        except CCManagerError as err:
            self.fallback_html = (
                f"<p><strong>Could not list sessions:</strong> {html.escape(str(err))}</p>"
            )
            return
        self.fallback_html = sessions_html(models)

    def _on_view_message(self, _widget: Any, content: Any, _buffers: list[Any]) -> None:
        if isinstance(content, dict) and content.get("type") == "refresh":
            self.refresh_fallback()


def sessions_html(models: Iterable[Mapping[str, Any]]) -> str:
    """A plain HTML table of session models (everything escaped), waiting ones first."""
    rank = {"waiting": 0, "stopped": 2, "exited": 2}
    rows = sorted(
        models,
        key=lambda m: (rank.get(str(m.get("state")), 1), str(m.get("created_at") or "")),
    )
    if not rows:
        return "<p>No sessions.</p>"
    head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
    body = "".join(_row(m) for m in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _row(m: Mapping[str, Any]) -> str:
    state = str(m.get("state") or "unknown")
    label = state + (f" ({m['state_detail']})" if m.get("state_detail") else "")
    cells = [
        f'<span class="ccm-badge" data-state="{html.escape(state)}">{html.escape(label)}</span>',
        *(
            html.escape(str(m.get(k) or ""))
            for k in ("name", "agent", "cwd", "last_activity", "id")
        ),
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
