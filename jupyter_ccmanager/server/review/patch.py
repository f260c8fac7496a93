"""A ``git diff`` unified patch, as data: files with status, line counts and hunks.

Only what git itself writes is parsed (``diff --git`` headers, ``new file
mode``/``deleted file mode``/``rename from``/``rename to``, ``Binary files``
and ``@@`` hunks), with ``core.quotePath=false`` so names come unescaped.
Rendering is left to real renderers (diff2html in the browser).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class Hunk:
    header: str
    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    lines: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FileDiff:
    path: str
    old_path: str | None = None
    status: str = "modified"  # added, modified, deleted, renamed
    binary: bool = False
    added: int = 0
    removed: int = 0
    hunks: list[Hunk] = field(default_factory=list)

    def to_json(self, hunks: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "old_path": self.old_path,
            "status": self.status,
            "binary": self.binary,
            "added": self.added,
            "removed": self.removed,
        }
        if hunks:
            data["hunks"] = [h.to_json() for h in self.hunks]
        return data


def _unprefix(name: str) -> str:
    name = name.rstrip("\t")
    return name[2:] if name[:2] in ("a/", "b/") else name


def _header_paths(line: str) -> tuple[str, str]:
    """``diff --git a/X b/Y``: X and Y (for names without spaces, and equal-name entries)."""
    rest = line[len("diff --git ") :]
    half = len(rest) // 2
    if rest[half : half + 1] == " " and rest[:half][2:] == rest[half + 1 :][2:]:
        return _unprefix(rest[:half]), _unprefix(rest[half + 1 :])
    old, _, new = rest.partition(" b/")
    return _unprefix(old), new


def parse_patch(text: str) -> list[FileDiff]:
    """Files of a ``git diff -M`` patch, in git's order."""
    files: list[FileDiff] = []
    current: FileDiff | None = None
    hunk: Hunk | None = None
    for line in text.split("\n"):
        if line.startswith("diff --git "):
            old, new = _header_paths(line)
            current = FileDiff(path=new, old_path=old if old != new else None)
            files.append(current)
            hunk = None
            continue
        if current is None:
            continue
        if hunk is not None and line[:1] in (" ", "+", "-", "\\"):
            hunk.lines.append(line)
            if line.startswith("+"):
                current.added += 1
            elif line.startswith("-"):
                current.removed += 1
            continue
        match = _HUNK.match(line)
        if match:
            a, b, c, d = match.groups()
            hunk = Hunk(line, int(a), int(b or 1), int(c), int(d or 1))
            current.hunks.append(hunk)
        elif line.startswith("new file mode"):
            current.status = "added"
        elif line.startswith("deleted file mode"):
            current.status = "deleted"
        elif line.startswith("rename from "):
            current.status, current.old_path = "renamed", line[len("rename from ") :]
        elif line.startswith("rename to "):
            current.path = line[len("rename to ") :]
        elif line.startswith("+++ ") and line != "+++ /dev/null":
            current.path = _unprefix(line[4:])
        elif line.startswith("Binary files ") or line == "GIT binary patch":
            current.binary = True
    for f in files:
        if f.status != "renamed":
            f.old_path = None  # only a rename has a second name
    return files
