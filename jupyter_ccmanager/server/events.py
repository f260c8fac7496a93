"""Session events on jupyter_server's event bus (jupyter_events).

Any client subscribed at ``{base_url}api/events/subscribe`` sees sessions
appear, change state and go away, with the full model attached, so a
dashboard needs no polling and no socket of ours. Emitting is a dict build
and a schema check per *state change* (not per output byte).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_ccmanager.server.session import Session

SCHEMA_ID = "https://events.jupyter.org/jupyter_ccmanager/session/v1"
SCHEMA_PATH = Path(__file__).parent / "event_schemas" / "session.yaml"

#: Session/manager messages that become events, by message type.
ACTIONS = {
    "created": "created",
    "state": "state",
    "session": "updated",
    "clients": "updated",
    "exit": "exited",
    "resumed": "resumed",
    "deleted": "deleted",
    "committed": "committed",
    "merged": "merged",
}
#: Message fields passed on as they are (commit and merge results).
EXTRA = ("commit", "into", "strategy")


class SessionEvents:
    """Registers the schema and turns manager events into bus events."""

    def __init__(self, event_logger: Any) -> None:
        self.logger = event_logger
        if SCHEMA_ID not in getattr(event_logger.schemas, "schema_ids", []):
            event_logger.register_event_schema(SCHEMA_PATH)

    def __call__(self, session: Session, message: dict[str, Any]) -> None:
        action = ACTIONS.get(message.get("type", ""))
        if action is None:
            return
        data: dict[str, Any] = {
            "action": action,
            "session_id": session.id,
            "name": session.name,
            "state": session.state.value,
            "state_detail": session.state.detail,
        }
        data.update({k: message[k] for k in EXTRA if k in message})
        if action != "deleted":
            data["session"] = session.model()
        self.logger.emit(schema_id=SCHEMA_ID, data=data)
