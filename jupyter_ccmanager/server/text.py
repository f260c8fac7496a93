"""Plain text from terminal output, keeping the columns a program positioned it in.

A TUI does not always print spaces: Claude Code's renderer moves the cursor
over them (``ESC[1C``, ``ESC[9G``), so deleting escape sequences glues words
together ("yousaid:hello"). This renders line by line instead: cursor moves
along a line become spaces, ``\\r`` returns to the line's start (later text
overwrites), erase-line truncates. Vertical cursor moves are not followed (use
the screen model for a full-screen picture); that is enough for a reply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

#: CSI with its parameters and final byte; OSC strings; two-byte escapes.
_ESCAPE = re.compile(r"\x1b(?:\[([0-?]*)[ -/]*([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_TOKENS = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])|[\r\n\b]|[^\x1b\r\n\b]+"
)


class _Line:
    def __init__(self) -> None:
        self.cells: list[str] = []
        self.col = 0

    def put(self, text: str) -> None:
        for char in text:
            if not char.isprintable():
                continue
            if self.col < len(self.cells):
                self.cells[self.col] = char
            else:
                self.cells.extend(" " * (self.col - len(self.cells)))
                self.cells.append(char)
            self.col += 1

    def text(self) -> str:
        return "".join(self.cells).rstrip()


def _count(params: str) -> int:
    head = params.split(";", 1)[0]
    return int(head) if head.isdigit() and int(head) > 0 else 1


def render_lines(data: bytes) -> list[str]:
    """The lines ``data`` prints, as a terminal would lay them out horizontally."""
    lines = [_Line()]
    for token in _TOKENS.findall(data.decode("utf-8", "replace")):
        line = lines[-1]
        if token == "\n":
            lines.append(_Line())
        elif token == "\r":
            line.col = 0
        elif token == "\b":
            line.col = max(line.col - 1, 0)
        elif token.startswith("\x1b"):
            match = _ESCAPE.fullmatch(token)
            params, final = (match.group(1) or "", match.group(2)) if match else ("", "")
            if final == "C":  # cursor forward
                line.col += _count(params)
            elif final == "D":  # cursor back
                line.col = max(line.col - _count(params), 0)
            elif final in ("G", "`"):  # cursor to column (1-based)
                line.col = _count(params) - 1
            elif final == "K" and params in ("", "0"):  # erase to the end of the line
                del line.cells[line.col :]
            elif final == "K" and params == "2":
                line.cells = []
        else:
            line.put(token)
    return [line.text() for line in lines]


def reply_lines(
    lines: Iterable[str],
    prompt: str,
    chrome: Sequence[re.Pattern[str]] = (),
    end: re.Pattern[str] | None = None,
) -> list[str]:
    """The reply part of a turn's lines: after the first echo of ``prompt``, without
    ``chrome`` lines (spinners, "Baked for 2s") or the TUI's reply bullet, up to
    the first ``end`` line (the rule over a prompt box) that follows reply text."""
    lines = list(lines)
    wanted = prompt.strip()
    echo = next((i for i, line in enumerate(lines) if wanted and wanted in line), None)
    if echo is not None:
        lines = lines[echo + 1 :]
    kept: list[str] = []
    for line in lines:
        if end is not None and end.match(line):
            if any(k.strip() for k in kept):
                break
            kept = []  # the box the prompt was typed in, not the reply
            continue
        if any(pattern.search(line) for pattern in chrome):
            continue
        kept.append(line[2:] if line.startswith(("● ", "⏺ ")) else line)
    return kept
