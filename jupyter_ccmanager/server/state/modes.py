"""Terminal state the screen emulator (avt) does not keep, tracked from the same text.

avt keeps the screen, both buffers, cursor, pen, charsets, margins and the
cursor-keys, origin, wrap and insert modes, and serializes them. What a viewer
also needs to behave like one that watched from the start is not in avt: mouse
tracking and its encoding, bracketed paste, focus reports, the keypad mode, the
cursor style and the window title. Without them a late viewer of vim or htop
types raw escape sequences for mouse clicks and pastes. This tracker notes only
those, with regular expressions over the decoded text (C speed, no per-byte
Python), and re-emits them for a snapshot.

Sequences split across two feeds are handled by carrying the text from the last
ESC over to the next feed; every tracked sequence sets a value (it is
idempotent), so seeing one twice changes nothing.
"""

from __future__ import annotations

import re

#: Mouse tracking modes: one is active at a time (xterm.js keeps one protocol).
MOUSE = frozenset({9, 1000, 1002, 1003})
#: Mouse report encodings: one is active at a time.
ENCODING = frozenset({1005, 1006, 1015, 1016})
#: Plain on/off private modes avt does not keep: focus reports, bracketed paste,
#: keypad (DECNKM), reverse video, reverse wrap, cursor blink, alternate scroll.
FLAGS = frozenset({1004, 2004, 66, 5, 45, 12, 1007})

CARRY = 4096  # longest unfinished sequence carried to the next feed (a title)

# One literal prefix (ESC) for the whole pattern, so the regex engine skips from
# ESC to ESC instead of trying every alternative at every character (6x faster).
# 8-bit C1 forms are not followed: in UTF-8 output they are two-byte characters.
_SEQUENCE = re.compile(
    r"\x1b(?:"
    r"\[\?([\d;]*)([hl])"  # DECSET / DECRST
    r"|([=>c])"  # keypad application / numeric, RIS
    r"|\]([02]);([^\x07\x1b]*)(?:\x07|\x1b\\)"  # title
    r"|\[(\d*) q"  # DECSCUSR cursor style
    r"|\[!p"  # DECSTR soft reset
    r")"
)


class ModeTracker:
    """The private modes, keypad mode, cursor style and title set so far."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.mouse: int | None = None
        self.encoding: int | None = None
        self.flags: set[int] = set()
        self.keypad = False  # ESC = (DECKPAM)
        self.cursor_style: int | None = None
        self.title: str | None = None
        self._carry = ""

    def feed(self, text: str) -> None:
        if self._carry:
            text = self._carry + text
            self._carry = ""
        if "\x1b" not in text:
            return
        for match in _SEQUENCE.finditer(text):
            self._apply(match)
        last = text.rfind("\x1b")
        if last >= 0 and len(text) - last <= CARRY:
            self._carry = text[last:]

    def _apply(self, match: re.Match[str]) -> None:
        params, action, esc, title_kind, title, style = match.groups()
        if action is not None:
            on = action == "h"
            for part in params.split(";"):
                if part.isdigit():
                    self._private(int(part), on)
        elif esc == "=":
            self.keypad = True
        elif esc == ">":
            self.keypad = False
        elif esc == "c":
            self.reset()
        elif title_kind is not None:
            self.title = title
        elif style is not None:
            self.cursor_style = int(style or 0) or None
        else:  # DECSTR
            self.keypad = False

    def _private(self, mode: int, on: bool) -> None:
        if mode in MOUSE:
            self.mouse = mode if on else None
        elif mode in ENCODING:
            self.encoding = mode if on else None
        elif mode in FLAGS:
            if on:
                self.flags.add(mode)
            else:
                self.flags.discard(mode)

    def sequences(self) -> str:
        """Escape sequences that set these modes on a freshly reset terminal."""
        out: list[str] = []
        if self.title:
            out.append(f"\x1b]2;{self.title}\x07")
        on = sorted(self.flags)
        if self.mouse is not None:
            on.append(self.mouse)
        if self.encoding is not None:
            on.append(self.encoding)
        out.extend(f"\x1b[?{mode}h" for mode in on)
        if self.keypad:
            out.append("\x1b=")
        if self.cursor_style is not None:
            out.append(f"\x1b[{self.cursor_style} q")
        return "".join(out)
