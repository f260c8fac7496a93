"""Agent state from two signals: the agent's own hooks, and screen rules.

Hooks (Claude Code's UserPromptSubmit, PermissionRequest, Stop, ...) are exact
and immediate but miss some transitions (an Esc interrupt fires no Stop; the
API-key and trust screens fire nothing). Screen rules see everything the user
sees but lag the bytes a little and change with the CLI's UI. So:

- a hook sets the state at once, and the screen is not allowed to contradict
  it for ``HOOK_GRACE`` seconds (the screen may still show the old frame);
- a screen that matches a ``waiting`` or ``busy`` rule sets that state;
- a screen that matches nothing counts as idle once the output has been still
  for the profile's debounce (and, after a hook said "waiting", only after a
  longer grace: a stale waiting is better than a false idle);
- a Stop hook's idle waits (``STOP_SETTLE`` at most) while the screen still
  shows the turn ending (``settling`` rules: Claude runs its stop hooks under a
  spinner) or is still being drawn (output within ``STOP_QUIET``: an http hook
  comes before the TUI has drawn the reply), so whoever waited for idle reads
  the finished screen, not the spinner.

What it costs: rendering the screen to text is the expensive part (a profile
of four busy claude sessions found 57 % of the server's time there), so the
screen is rendered only when it changed (:class:`ScreenReader`), and while the
hooks say busy, which they do exactly, the rules are read at most once per
``HOOKED_BUSY_INTERVAL``, and while the output keeps flowing only once it
pauses (or every ``HOOKED_BUSY_MAX``): the screen then only has to catch what
hooks miss (an Esc interrupt fires no Stop; the TUI then stops drawing).
Between those readings the screen is not even parsed (:meth:`wants_updates`):
each reading catches it up from the replay buffer in one go.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from jupyter_ccmanager.server.agents.profiles import AgentProfile
from jupyter_ccmanager.server.session import Session
from jupyter_ccmanager.server.state.screen import ScreenFeeder
from jupyter_ccmanager.server.state.states import BUSY, IDLE, LIVE_STATES, STARTING, WAITING

HOOK_GRACE = 1.0
WAITING_GRACE = 3.0
#: An agent with hooks counts as started only at its SessionStart hook (keys typed
#: earlier can be lost), unless that hook has not come after this many seconds.
START_HOOK_WAIT = 10.0
SCREEN_LINES = 24  # rules look at the bottom of the screen only
#: Longest wait, after a hook said idle, for the screen to stop showing the turn's end.
STOP_SETTLE = 3.0
#: After a Stop hook, idle also waits (STOP_SETTLE at most) until the output has been
#: still this long: an http hook arrives before the TUI has drawn the turn's end.
STOP_QUIET = 0.3
#: While the hooks say busy, the screen rules are read at most this often (seconds) ...
HOOKED_BUSY_INTERVAL = 1.0
#: ... and while the output also keeps coming (the spinner animates: still working),
#: only after it paused this long, or at the latest every HOOKED_BUSY_MAX seconds.
HOOKED_BUSY_QUIET = 0.5
HOOKED_BUSY_MAX = 5.0

#: Hook event → (state, detail); Notification is keyed by its notification_type.
HOOK_STATES: dict[str, tuple[str, str | None]] = {
    "SessionStart": (IDLE, None),
    "UserPromptSubmit": (BUSY, None),
    "PreToolUse": (BUSY, None),
    "PostToolUse": (BUSY, None),
    "PermissionRequest": (WAITING, "permission"),
    "Stop": (IDLE, None),
    "Notification:permission_prompt": (WAITING, "permission"),
    "Notification:elicitation_dialog": (WAITING, "question"),
    "Notification:idle_prompt": (IDLE, None),
}


def hook_target(payload: dict[str, Any]) -> tuple[str, str | None] | None:
    """The state a hook payload announces, if any."""
    event = str(payload.get("hook_event_name", ""))
    if event == "Notification":
        event = f"Notification:{payload.get('notification_type', '')}"
    return HOOK_STATES.get(event)


def compile_rules(rules: dict[str, list[dict[str, str]]]) -> list[tuple[str, str | None, Any]]:
    """``[(state, detail, compiled regex)]``, waiting rules first."""
    compiled = []
    for state in (WAITING, BUSY):
        for rule in rules.get(state, []):
            compiled.append((state, rule.get("detail"), re.compile(rule["pattern"], re.MULTILINE)))
    return compiled


def bottom_lines(lines: list[str]) -> list[str]:
    """The last ``SCREEN_LINES`` lines down to the last non-blank one (a fresh
    screen draws at the top; its bottom is blank)."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines[-SCREEN_LINES:]


def rule_region(lines: list[str], separator: Any | None) -> str:
    """The bottom of the screen that rules read: below the last separator line."""
    lines = bottom_lines(lines)
    if separator is not None:
        for index in range(len(lines) - 1, -1, -1):
            if separator.match(lines[index]):
                lines = lines[index + 1 :]
                break
    return "\n".join(lines)


def match_screen(rules: list[tuple[str, str | None, Any]], text: str) -> tuple[str, str | None]:
    """The state a screen shows by the rules alone (idle when nothing matches)."""
    for state, detail, pattern in rules:
        if pattern.search(text):
            return state, detail
    return IDLE, None


class ScreenReader:
    """The screen's text lines, rendered again only when the screen changed.

    The screen is a function of the bytes parsed into it, its resets and its
    size, so ``(offset, resets, generation)`` is a change counter that costs
    nothing to read; ``invalidate`` (after a resize) bumps ``generation``.
    ``renders`` counts the real renders (for tests and profiles).
    """

    def __init__(self, feeder: ScreenFeeder) -> None:
        self.feeder = feeder
        self.generation = 0
        self.renders = 0
        self._key: tuple[int, int, int] | None = None
        self._lines: list[str] = []

    def key(self) -> tuple[int, int, int]:
        model = self.feeder.model
        return model.offset, model.resets, self.generation

    def lines(self) -> list[str]:
        """The screen now (parsing any backlog first). Shared: do not modify it."""
        self.feeder.catch_up()
        key = self.key()
        if key != self._key:
            self._lines = self.feeder.model.lines()
            self._key = key
            self.renders += 1
        return self._lines

    def invalidate(self) -> None:
        self.generation += 1


class StateDetector:
    """Drives one agent session's state from hooks and its screen."""

    def __init__(
        self,
        session: Session,
        profile: AgentProfile,
        feeder: ScreenFeeder,
        reader: ScreenReader | None = None,
    ) -> None:
        self.session = session
        self.feeder = feeder
        self.reader = reader or ScreenReader(feeder)
        self._said: tuple[tuple[int, int, int], tuple[str, str | None], bool] | None = None
        self.evaluated_at = 0.0
        self.rules = compile_rules(profile.rules)
        self.settling = [re.compile(r["pattern"], re.M) for r in profile.rules.get("settling", [])]
        self.idle_pending_until = 0.0  # a hook said idle; the screen has not settled yet
        self.separator = re.compile(profile.region) if profile.region else None
        self.debounce = profile.idle_debounce
        self.hook_state: tuple[str, str | None] | None = None
        self.hook_at = 0.0
        self.events: list[dict[str, Any]] = []  # recent hook payloads (bounded)
        self.expects_start_hook = profile.claude
        self.spawned_at = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None

    def on_spawn(self) -> None:
        self.spawned_at = time.monotonic()
        self.hook_state, self.hook_at = None, 0.0
        self.idle_pending_until = 0.0

    # ------------------------------------------------------------------ hooks
    def on_hook(self, payload: dict[str, Any]) -> None:
        self.events = [*self.events[-19:], payload]
        target = hook_target(payload)
        if target is None or not self.session.state.live:
            return
        if target[0] == IDLE and self.session.state.value == STARTING:
            # SessionStart comes before the TUI has drawn: idle once it has (evaluate).
            self.hook_state = target
            self.evaluate()
            return
        self.hook_state, self.hook_at = target, time.monotonic()
        self.idle_pending_until = 0.0
        if target[0] == IDLE and self._turn_still_ending():
            self.idle_pending_until = self.hook_at + STOP_SETTLE
            self._later(0.05)
            return
        self.session.state.set(*target)

    # ----------------------------------------------------------------- screen
    def screen_says(self) -> tuple[str, str | None]:
        """What the rules read on the screen right now (parsing any backlog first)."""
        return self._read()[0]

    def _read(self) -> tuple[tuple[str, str | None], bool]:
        """(what the rules read, whether anything is drawn), worked out once per screen."""
        lines = self.reader.lines()
        key = self.reader.key()
        if self._said is None or self._said[0] != key:
            said = match_screen(self.rules, rule_region(lines, self.separator))
            self._said = key, said, any(line.strip() for line in lines)
        return self._said[1], self._said[2]

    def screen_settling(self) -> bool:
        """Whether the screen still shows a turn ending (a spinner, stop hooks running)."""
        if not self.settling:
            return False
        text = "\n".join(bottom_lines(self.reader.lines()))
        return any(pattern.search(text) for pattern in self.settling)

    def _turn_still_ending(self) -> bool:
        """After a Stop hook: the screen still shows the turn ending, or is still drawing."""
        quiet = time.monotonic() - self.feeder.last_output
        return quiet < STOP_QUIET or self.screen_settling()

    def _hooked_busy_wait(self, now: float) -> float:
        """Seconds until the rules may be read again: > 0 only while the hooks say busy
        (the screen then catches only what hooks miss, and once a second is soon enough)."""
        if self.hook_state != (BUSY, None) or self.session.state.value != BUSY:
            return 0.0
        paused_at = self.feeder.last_output + HOOKED_BUSY_QUIET
        soonest = max(self.evaluated_at + HOOKED_BUSY_INTERVAL, paused_at)
        return min(soonest, self.evaluated_at + HOOKED_BUSY_MAX) - now

    def wants_updates(self) -> bool:
        """Whether each screen update should reach :meth:`evaluate`: not while the hooks
        say busy and the next reading is already scheduled (it catches the screen up
        itself), so a busy agent's screen is parsed once per reading, not per tick."""
        return self._timer is None or self._hooked_busy_wait(time.monotonic()) <= 0

    def evaluate(self) -> None:
        """Re-read the screen (called after each screen update and by timers)."""
        state = self.session.state
        if state.value not in LIVE_STATES:
            return
        now = time.monotonic()
        if self.idle_pending_until:
            if now < self.idle_pending_until and self._turn_still_ending():
                self._later(0.1)
                return
            self.idle_pending_until = 0.0
            self.hook_at = now  # the screen may lag the idle a moment: keep the hook's word
            state.set(IDLE)
            return
        wait = self._hooked_busy_wait(now)
        if wait > 0:
            if self._timer is None:  # a screen update must not push the next reading back
                self._later(wait)
            return
        self.evaluated_at = now
        (seen, detail), drawn = self._read()
        if state.value == STARTING and not drawn:
            return  # nothing drawn yet, no prompt to type at (the first output re-evaluates)
        since_hook = now - self.hook_at
        if seen == WAITING:
            state.set(WAITING, detail)
            return
        if since_hook < HOOK_GRACE:
            self._later(HOOK_GRACE - since_hook)
            return
        if seen == BUSY:
            state.set(BUSY)
            return
        if state.value == STARTING and self.expects_start_hook and self.hook_state is None:
            waited = now - self.spawned_at
            if waited < START_HOOK_WAIT:
                self._later(min(0.5, START_HOOK_WAIT - waited))
                return
        quiet = now - self.feeder.last_output
        if quiet < self.debounce or self.feeder.model.lag:
            self._later(max(self.debounce - quiet, 0.05))
            return
        hook_waiting = state.value == WAITING and self.hook_state == (WAITING, state.detail)
        if hook_waiting and since_hook < WAITING_GRACE:
            self._later(WAITING_GRACE - since_hook)
            return
        state.set(IDLE)

    def _later(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self.evaluate()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
