"""The dashboard page at ``{base_url}ccmanager``: every session at a glance.

A plain Jupyter page (no JupyterLab needed), so ``jupyter ccmanager`` can open
it and a person can watch and steer sessions from any browser. The HTML is a
shell: the bundle ``static/dashboard.js`` (built from ``js/src``) draws the
list, lists sessions over REST, keeps it live from jupyter_server's event bus
(``api/events/subscribe``) and opens terminals with the widget's own
xterm.js code.

The page embeds no token: it relies on the login cookie, and its writes echo
the ``_xsrf`` cookie as ``X-XSRFToken`` (Jupyter's rule for cookie-
authenticated requests), which is why rendering touches ``self.xsrf_token``.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import FileFindHandler, JupyterHandler
from tornado import web

from jupyter_ccmanager._version import __version__
from jupyter_ccmanager.server.handlers.base import AUTH_RESOURCE

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
#: The same URL ExtensionApp's ``static_paths`` would give the extension's files.
STATIC_URL = "static/jupyter_ccmanager/"
BUNDLE = "dashboard.js"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Sessions · Jupyter CCManager</title>
<link rel="icon" href="{favicon}">
<script id="jupyter-config-data" type="application/json">{config}</script>
<style>html,body{{margin:0;height:100%}}body{{font-family:system-ui,sans-serif}}</style>
</head>
<body>
<div id="ccm-dashboard"><noscript>This page needs JavaScript.</noscript></div>
<script type="module" src="{bundle}"></script>
</body>
</html>
"""


class DashboardHandler(JupyterHandler):
    """Serves the dashboard page; sessions run code, so it needs ``terminals``."""

    auth_resource = AUTH_RESOURCE

    @web.authenticated
    @authorized
    def get(self) -> None:
        # Sets the _xsrf cookie now: the page's first write must not be refused.
        _ = self.xsrf_token
        config = {"baseUrl": self.base_url, "appVersion": __version__}
        ws_url = self.settings.get("websocket_url") or ""
        if ws_url:
            config["wsUrl"] = ws_url.rstrip("/") + self.base_url
        self.set_header("Cache-Control", "no-store")
        self.finish(
            PAGE.format(
                config=_script_json(config),
                bundle=html.escape(self.base_url + STATIC_URL + BUNDLE + "?v=" + bundle_version()),
                favicon=html.escape(self.base_url + "static/favicons/favicon.ico"),
            )
        )


_version_cache: dict[tuple[int, int], str] = {}


def bundle_version() -> str:
    """A content hash of the bundle, so browsers never run a stale one after a rebuild.

    Keyed on mtime and size, so ``npm run build -- --watch`` during development
    is picked up without a server restart, and the file is hashed only when it changes.
    """
    path = STATIC_DIR / BUNDLE
    try:
        stat = path.stat()
    except OSError:
        return __version__
    key = (stat.st_mtime_ns, stat.st_size)
    if key not in _version_cache:
        _version_cache.clear()
        _version_cache[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return _version_cache[key]


def _script_json(value: Any) -> str:
    """JSON safe inside ``<script>``: no ``</script>`` or ``<!--`` can end it early."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")


#: The page and the built bundles, relative to the server's base_url.
default_handlers: list[tuple[str, type[Any], dict[str, Any]] | tuple[str, type[Any]]] = [
    (r"/ccmanager/?", DashboardHandler),
    (rf"/{STATIC_URL}(.*)", FileFindHandler, {"path": [str(STATIC_DIR)]}),
]
