""":class:`Diff`: what a worktree session changed, for code and for notebook display.

``s.diff()`` returns one. Code reads :attr:`Diff.files` (path, status,
added/removed line counts, hunks) and :attr:`Diff.patch` (the unified diff);
a notebook shows it as a readable coloured diff. The kernel has no diff2html
(that renders in the browser dashboard), so the HTML here is the patch
itself, escaped, one coloured line per line: nothing to load, nothing that
can run.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

__all__ = ["Diff"]

_STYLE = {
    "+": "background:#e6ffec;color:#1a7f37",
    "-": "background:#ffebe9;color:#cf222e",
    "@": "background:#ddf4ff;color:#0550ae",
    "d": "font-weight:bold;background:#f6f8fa;color:#24292f;border-top:1px solid #d0d7de",
}
_STATUS_MARK = {"added": "A", "modified": "M", "deleted": "D", "renamed": "R"}


class Diff:
    """The changes of a worktree session since its base commit (uncommitted work included)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = dict(data)
        #: One dict per file: path, old_path, status, binary, added, removed, hunks.
        self.files: list[dict[str, Any]] = list(self.data.get("files") or [])
        #: The unified diff (``git diff -M`` of base commit and the worktree's files).
        self.patch: str = str(self.data.get("patch") or "")
        self.base_commit: str | None = self.data.get("base_commit")
        self.branch: str | None = self.data.get("branch")
        self.base_branch: str | None = self.data.get("base_branch")

    @property
    def added(self) -> int:
        return int(self.data.get("added") or 0)

    @property
    def removed(self) -> int:
        return int(self.data.get("removed") or 0)

    def __bool__(self) -> bool:
        return bool(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def summary(self) -> str:
        """One line per file (``M path  +3 -1``) under a total line."""
        head = (
            f"{self.branch or '?'} vs {(self.base_commit or '?')[:10]}"
            f" ({self.base_branch or 'detached'}): {len(self.files)} file(s),"
            f" +{self.added} -{self.removed}"
        )
        lines = [head]
        for f in self.files:
            name = f"{f.get('old_path')} -> {f['path']}" if f.get("old_path") else f["path"]
            counts = "binary" if f.get("binary") else f"+{f.get('added', 0)} -{f.get('removed', 0)}"
            lines.append(f"  {_STATUS_MARK.get(f.get('status', ''), '?')} {name}  {counts}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Diff {self.summary().splitlines()[0]}>"

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = []
        for line in self.patch.splitlines():
            kind = "d" if line.startswith("diff --git") else line[:1]
            if line.startswith(("+++", "---")):
                kind = ""
            style = _STYLE.get(kind, "")
            rows.append(f'<div style="{style}">{html.escape(line) or "&nbsp;"}</div>')
        summary = html.escape(self.summary())
        body = "".join(rows) or "<div><i>No changes.</i></div>"
        return (
            '<div class="ccm-diff" style="font-family:monospace;font-size:12px;'
            'white-space:pre;overflow-x:auto">'
            f'<div style="font-weight:bold;margin-bottom:4px">{summary}</div>{body}</div>'
        )
