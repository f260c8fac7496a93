"""Everything that watches one session's output: screen model, state signals.

The manager attaches one :class:`SessionWatch` per session. It picks the
state source by the agent profile: screen rules and hooks for agents that
have rules (claude), plain output activity for the rest.
"""

from __future__ import annotations

from typing import Any

from jupyter_ccmanager.server.agents.profiles import AgentProfile
from jupyter_ccmanager.server.errors import Conflict
from jupyter_ccmanager.server.session import Session
from jupyter_ccmanager.server.state.activity import ActivityMonitor
from jupyter_ccmanager.server.state.detector import ScreenReader, StateDetector, hook_target
from jupyter_ccmanager.server.state.pending import asking_hook, build_pending
from jupyter_ccmanager.server.state.screen import ScreenFeeder, ScreenModel
from jupyter_ccmanager.server.state.states import BUSY, WAITING


class SessionWatch:
    """Screen model (optional) and state detection for one session."""

    def __init__(self, session: Session, profile: AgentProfile, screen: bool = True) -> None:
        self.session = session
        self.profile = profile
        self._shown_pending: dict[str, Any] | None = None  # what viewers were last told
        session.pending_source = self.pending
        self.feeder: ScreenFeeder | None = None
        self.reader: ScreenReader | None = None  # renders the screen only when it changed
        self.detector: StateDetector | None = None
        self.activity: ActivityMonitor | None = None
        if screen:
            model = ScreenModel(session.buffer, session.cols, session.rows)
            self.feeder = ScreenFeeder(model, self._on_screen_update, self._updates_wanted)
            self.reader = ScreenReader(self.feeder)
            session.output_listeners.append(self.feeder.on_output)
            session.before_append.append(self.feeder.before_append)
        if profile.rules and self.feeder is not None:
            self.detector = StateDetector(session, profile, self.feeder, self.reader)
        elif not profile.claude:
            self.activity = ActivityMonitor(session)
        # claude without a screen model: hooks alone drive the state

    def on_spawn(self) -> None:
        """A (new) process started in the session."""
        if self.activity is not None:
            self.activity.on_spawn()
        if self.detector is not None:
            self.detector.on_spawn()
        if self.feeder is not None:  # the new process draws a fresh screen
            self.feeder.model.reset(self.session.buffer.end)
            self.feeder.on_output()

    def _updates_wanted(self) -> bool:
        """Whether screen updates must be parsed as output comes: for the detector
        (unless the hooks say busy and it has a reading scheduled) and for a
        waiting agent's question (options drawn later). A shell's screen waits
        for whoever reads it."""
        if self.session.state.value == WAITING:
            return True
        return self.detector is not None and self.detector.wants_updates()

    def _on_screen_update(self) -> None:
        if self.detector is not None:
            self.detector.evaluate()
        self._announce_pending()

    def on_hook(self, payload: dict[str, Any]) -> None:
        if self.detector is not None:
            self.detector.on_hook(payload)
        elif (target := hook_target(payload)) is not None and self.session.state.live:
            self.session.state.set(*target)
        self._announce_pending()

    def pending(self) -> dict[str, Any] | None:
        """What the waiting agent asks: the hook's tool call, the screen's options."""
        state = self.session.state
        if state.value != WAITING:
            return None
        lines = self.reader.lines() if self.reader is not None else []
        events = self.detector.events if self.detector is not None else []
        return build_pending(
            state.detail or "question", asking_hook(events), lines, self.profile, state.serial
        )

    def _announce_pending(self) -> None:
        """Viewers and the event bus hear when the question (or its options) changes.

        A state event already carries the model; this covers what arrives later
        (the hook's tool input, options drawn after the state changed).
        """
        if self.session.state.value != WAITING:
            self._shown_pending = None
            return
        pending = self.pending()
        if pending != self._shown_pending:
            self._shown_pending = pending
            self.session.notify_model()

    def resize(self, cols: int, rows: int) -> None:
        if self.feeder is not None and self.reader is not None:
            self.feeder.catch_up()
            self.feeder.model.resize(cols, rows)
            self.reader.invalidate()

    def screen_busy(self) -> bool:
        """Whether the screen still shows the agent working (e.g. after its Stop hook)."""
        detector = self.detector
        return detector is not None and (
            detector.screen_says()[0] == BUSY or detector.screen_settling()
        )

    def screen_shows(self, text: str) -> bool:
        """Whether the screen shows the end of ``text`` (the TUI echoed what was typed).

        Compared without white space: a TUI wraps and indents its input box.
        A long paste may show as a placeholder instead (Claude Code:
        ``[Pasted text #1 +12 lines]``). Without a screen model there is
        nothing to compare, so it answers yes.
        """
        if self.reader is None:
            return True
        shown = "".join("".join(self.reader.lines()).split())
        return "".join(text.split())[-16:] in shown or "[Pastedtext" in shown

    def screen(self) -> dict[str, Any]:
        """The current screen as text lines, cursor and state."""
        session = self.session
        if self.feeder is None or self.reader is None:
            raise Conflict("NO_SCREEN", "The screen model is disabled on this server.")
        lines = list(self.reader.lines())
        model = self.feeder.model
        return {
            "lines": lines,
            "cursor": model.cursor(),
            "cols": model.cols,
            "rows": model.rows,
            "offset": model.offset,
            "state": session.state.value,
            "state_detail": session.state.detail,
        }

    def snapshot(self) -> tuple[int, str] | None:
        """The screen as escape sequences and the offset they stand for (see
        :meth:`ScreenModel.snapshot`), parsed up to the buffer's end; None without
        a screen model."""
        if self.feeder is None:
            return None
        self.feeder.catch_up()
        return self.feeder.model.snapshot()

    def close(self) -> None:
        for part in (self.feeder, self.detector, self.activity):
            if part is not None:
                part.close()
