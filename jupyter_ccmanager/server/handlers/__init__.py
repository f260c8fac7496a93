"""The HTTP edge of the server: REST and WebSocket handlers, and the dashboard page.

Each module keeps its routes in a module-level ``default_handlers`` list,
relative to the API root; :func:`api_handlers` puts them under it, in order,
with the JSON 404 for everything else last.
"""

from __future__ import annotations

from typing import Any

from jupyter_ccmanager.server.handlers import hook, prompt, review, sessions, websocket
from jupyter_ccmanager.server.handlers.base import NotFoundHandler

API_ROOT = "ccmanager/api"

Route = tuple[str, type[Any]]


def api_handlers(root: str = API_ROOT) -> list[Route]:
    """Every API route under ``/{root}`` (relative to the server's base_url)."""
    routes: list[Route] = []
    for module in (sessions, prompt, review, hook, websocket):
        routes += [(f"/{root}{pattern}", handler) for pattern, handler in module.default_handlers]
    routes.append((rf"/{root}/.*", NotFoundHandler))
    return routes
