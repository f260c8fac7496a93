"""``ccm.dashboard()`` on the kernel side: the fallback table and the view's refresh message.

What the widget shows in a browser is tested in ``tests/browser/test_dashboard_widget.py``.
"""

from __future__ import annotations

from typing import Any

from jupyter_ccmanager.widgets.dashboard import DashboardWidget, sessions_html


def test_sessions_html_escapes_and_orders() -> None:
    text = sessions_html(
        [
            {"id": "a", "name": "<b>x</b>", "state": "idle", "agent": "shell"},
            {"id": "b", "name": "w", "state": "waiting", "state_detail": "permission"},
        ]
    )
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>" not in text
    assert text.index("waiting (permission)") < text.index("&lt;b&gt;")
    assert sessions_html([]) == "<p>No sessions.</p>"


def test_refresh_message_fills_fallback_html() -> None:
    class FakeClient:
        url = "http://x/"

        def run(self, plan: Any) -> Any:
            plan.close()
            return [{"id": "s1", "name": "one", "state": "stopped", "agent": "shell"}]

    widget = DashboardWidget(connection=FakeClient())  # type: ignore[arg-type]
    try:
        widget._on_view_message(widget, {"type": "refresh"}, [])
        assert "one" in widget.fallback_html and 'data-state="stopped"' in widget.fallback_html
    finally:
        widget.close()
