"""The benchmarks still work: ``python -m benchmarks --smoke`` runs every group.

Smoke mode uses tiny sizes and one run; it proves the harness, the servers and
both protocols work end to end. Benchmarks are not tests: no figure or time is
asserted here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.claudecost import claude_path
from benchmarks.rows import rows
from tests.helpers.paths import REPO


@pytest.mark.timeout(1000)
def test_benchmarks_smoke(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,  # bounds a hang only: at load 8 the smoke took more than 300 s
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = out.read_text()
    assert "| benchmark | ccmanager | baseline | ratio | target | status |" in report
    for key in ("CPU", "cores", "RAM", "Python", "tornado", "terminado"):
        assert f"| {key} |" in report
    table = [line for line in report.splitlines() if line.startswith("| ")]
    for row in rows():
        if row.group == "claude" and claude_path() is None:
            assert "the claude CLI is not installed" in report
            continue
        line = next((t for t in table if t.startswith(f"| {row.label} [{row.unit}] |")), None)
        assert line is not None, f"row missing: {row.label}"
        ours = line.split(" | ")[1]
        assert ours != "—", f"no figure for: {row.label}"
