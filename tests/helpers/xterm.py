"""Headless xterm.js for tests: what a browser viewer would show for some bytes.

Runs tests/helpers/xterm_headless.mjs (``@xterm/headless`` from js/node_modules)
once for any number of terminals and returns their cells, active buffer, cursor
and modes, so tests can compare two viewers cell by cell.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.helpers.paths import REPO

RUNNER = REPO / "tests" / "helpers" / "xterm_headless.mjs"
PACKAGE = REPO / "js" / "node_modules" / "@xterm" / "headless"


@dataclass
class Screen:
    """What one headless xterm shows."""

    cells: list[list[list[str]]]
    text: list[str]
    buffer: str
    cursor: dict[str, Any]
    modes: dict[str, Any]
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(row) for row in self.cells)

    def mismatches(self, other: Screen) -> int:
        """Cells that differ in character or in attributes that show (sizes must match)."""
        assert len(self.cells) == len(other.cells), "different row counts"
        return sum(
            a != b
            for row_a, row_b in zip(self.cells, other.cells, strict=True)
            for a, b in zip(row_a, row_b, strict=True)
        )

    def diff(self, other: Screen, limit: int = 20) -> list[tuple[int, int, list[str], list[str]]]:
        """The first ``limit`` differing cells: (row, column, this cell, other cell)."""
        found = [
            (y, x, a, b)
            for y, (row_a, row_b) in enumerate(zip(self.cells, other.cells, strict=True))
            for x, (a, b) in enumerate(zip(row_a, row_b, strict=True))
            if a != b
        ]
        return found[:limit]


def require_xterm() -> None:
    if shutil.which("node") is None or not PACKAGE.exists():
        pytest.skip("needs node and @xterm/headless (cd js && npm install)")


def render(*terms: tuple[int, int, list[bytes]]) -> list[Screen]:
    """``(cols, rows, chunks)`` per terminal → what each shows after all its chunks."""
    require_xterm()
    spec = {
        "terms": [
            {"cols": cols, "rows": rows, "chunks": [base64.b64encode(c).decode() for c in chunks]}
            for cols, rows, chunks in terms
        ]
    }
    out = subprocess.run(
        ["node", str(RUNNER)],
        input=json.dumps(spec).encode(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return [Screen(**screen) for screen in json.loads(out.stdout)]
