"""jupyter_ccmanager: run, watch and steer many Claude Code sessions from Jupyter.

The server extension lives in :mod:`jupyter_ccmanager.server.app`; the kernel-side
API is importable from here::

    import jupyter_ccmanager as ccm
    s = ccm.start(agent="shell")
    s.send("ls\\r"); s.wait_for("idle"); print(s.screen())
"""

from __future__ import annotations

from typing import Any

from jupyter_ccmanager._version import __version__
from jupyter_ccmanager.api import (
    OutputChunk,
    Session,
    aget,
    asessions,
    astart,
    astats,
    connect,
    dashboard,
    get,
    sessions,
    start,
    stats,
)
from jupyter_ccmanager.client.diff import Diff
from jupyter_ccmanager.errors import (
    AgentNotFound,
    AnswerChanged,
    CCManagerError,
    ConnectionFailed,
    InvalidChoice,
    InvalidRequest,
    LimitExceeded,
    MergeConflict,
    NotAWorktree,
    NothingToCommit,
    NothingToMerge,
    NotWaiting,
    PermissionDenied,
    ServerNotFound,
    SessionEnded,
    SessionNotFound,
    TargetDirty,
    Timeout,
    WorktreeDirty,
)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from jupyter_ccmanager.server.app import CCManagerApp

    return [{"module": "jupyter_ccmanager.server.app", "app": CCManagerApp}]


__all__ = [
    "AgentNotFound",
    "AnswerChanged",
    "CCManagerError",
    "ConnectionFailed",
    "Diff",
    "InvalidChoice",
    "InvalidRequest",
    "LimitExceeded",
    "MergeConflict",
    "NotAWorktree",
    "NotWaiting",
    "NothingToCommit",
    "NothingToMerge",
    "OutputChunk",
    "PermissionDenied",
    "ServerNotFound",
    "Session",
    "SessionEnded",
    "SessionNotFound",
    "TargetDirty",
    "Timeout",
    "WorktreeDirty",
    "__version__",
    "aget",
    "asessions",
    "astart",
    "astats",
    "connect",
    "dashboard",
    "get",
    "sessions",
    "start",
    "stats",
]
