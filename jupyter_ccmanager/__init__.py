"""jupyter_ccmanager: run, watch and steer many Claude Code sessions from Jupyter.

The server extension lives in :mod:`jupyter_ccmanager.app`; the kernel-side
API (``ccm.start()``, ``ccm.sessions()``, ...) is importable from here.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import CCManagerApp

    return [{"module": "jupyter_ccmanager.app", "app": CCManagerApp}]


__all__ = ["__version__"]
