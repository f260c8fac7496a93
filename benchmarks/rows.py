"""The result table: one row per comparison, with its target (if it has one).

A row compares one of our figures (a median over runs) with a baseline from
the same run: terminado, the raw PTY ceiling, or our own server with the
screen model off. Targets are the issue's; a row without one is information.
"""

from __future__ import annotations

from dataclasses import dataclass

from .common import Results

TERM, RAW, OFF, CMD = "terminado", "raw PTY", "screen off", "command hooks"


@dataclass
class Target:
    """``kind``: ``ratio>=`` / ``ratio<=`` (ours / baseline) or ``<=`` (ours alone)."""

    kind: str
    value: float
    text: str

    def met(self, ours: float, base: float | None) -> bool | None:
        if self.kind == "<=":
            return ours <= self.value
        if base is None or base == 0:
            return None
        ratio = ours / base
        return ratio >= self.value if self.kind == "ratio>=" else ratio <= self.value


@dataclass
class Row:
    group: str
    label: str
    unit: str
    ours: str  # results key
    base: str | None = None  # results key of the baseline
    base_name: str = TERM
    target: Target | None = None
    digits: int = 1


def _throughput_rows() -> list[Row]:
    rows = []
    names = {"ascii": "ASCII flood", "lines": "short lines", "utf8": "UTF-8 text"}
    targets = {
        ("ascii", TERM): Target("ratio>=", 1.0, "≥ 1.0x terminado"),
        ("ascii", RAW): Target("ratio>=", 0.9, "≥ 0.9x raw PTY"),
        ("utf8", TERM): Target("ratio>=", 1.5, "≥ 1.5x terminado"),
    }
    for key, name in names.items():
        ours = f"throughput.{key}.ccmanager.mbps"
        for base, base_name in (
            (f"throughput.{key}.terminado.mbps", TERM),
            (f"throughput.{key}.raw.mbps", RAW),
        ):
            label = f"Throughput, {name} (vs {base_name})"
            rows.append(
                Row(
                    "throughput",
                    label,
                    "MB/s",
                    ours,
                    base,
                    base_name,
                    targets.get((key, base_name)),
                )
            )
    for key, name in names.items():
        target = Target("<=", 1.02, "≤ 1.02") if key == "utf8" else None
        rows.append(
            Row(
                "throughput",
                f"Wire bytes per payload byte, {name}",
                "B/B",
                f"throughput.{key}.ccmanager.wire",
                f"throughput.{key}.terminado.wire",
                target=target,
                digits=3,
            )
        )
    for key, name in names.items():
        rows.append(
            Row(
                "throughput",
                f"Server CPU per MB, {name}",
                "ms/MB",
                f"throughput.{key}.ccmanager.cpu_per_mb_ms",
                f"throughput.{key}.terminado.cpu_per_mb_ms",
                target=Target("ratio<=", 0.6, "≤ 0.6x terminado"),
                digits=2,
            )
        )
    return rows


def _latency_rows() -> list[Row]:
    rows = []
    conditions = {
        "idle": "idle",
        "reader": "flood + reading viewer",
        "stalled": "flood + stalled viewer",
    }
    for key, name in conditions.items():
        for pct in ("p50", "p99"):
            target = (
                Target("ratio<=", 1.0, "≤ terminado") if key != "idle" and pct == "p99" else None
            )
            rows.append(
                Row(
                    "latency",
                    f"Echo latency {pct}, {name}",
                    "ms",
                    f"latency.{key}.ccmanager.{pct}",
                    f"latency.{key}.terminado.{pct}",
                    target=target,
                    digits=2,
                )
            )
    rows.append(
        Row(
            "latency",
            "Flood rate the reading viewer got during those echoes",
            "MB/s",
            "latency.reader.ccmanager.flood_mbps",
            "latency.reader.terminado.flood_mbps",
        )
    )
    return rows


def rows(replay_buffer_mib: float = 8.0) -> list[Row]:
    """Every row of the table, in order."""
    limit = 2 * replay_buffer_mib
    return [
        *_throughput_rows(),
        *_latency_rows(),
        Row("rss", "Server RSS growth, stalled viewer during a long flood", "MiB",
            "rss.ccmanager.growth", "rss.terminado.growth",
            target=Target("<=", limit, f"≤ {limit:g} MiB (2x buffer)")),
        Row("replay", "Reconnect replay of a full 8 MiB buffer, time to last byte", "ms",
            "replay.ccmanager.ms", "replay.terminado.ms",
            target=Target("<=", 100.0, "≤ 100 ms")),
        Row("sessions", "50 sessions: create latency p50", "ms",
            "sessions.ccmanager.create_p50", "sessions.terminado.create_p50"),
        Row("sessions", "50 sessions: create latency p99", "ms",
            "sessions.ccmanager.create_p99", "sessions.terminado.create_p99"),
        Row("sessions", "50 sessions: server RSS per idle session", "MB",
            "sessions.ccmanager.rss_per_session", "sessions.terminado.rss_per_session",
            target=Target("<=", 2.0, "≤ 2 MB"), digits=2),
        Row("sessions", "50 sessions: stop all", "s",
            "sessions.ccmanager.stop_all", "sessions.terminado.stop_all", digits=2),
        Row("screen", "Claude-like redraw stream: server CPU (screen on vs off)", "% core",
            "screen.redraw.on.cpu_pct", "screen.redraw.off.cpu_pct", OFF),
        Row("screen", "100 MB flood throughput (screen on vs off)", "MB/s",
            "screen.flood.on.mbps", "screen.flood.off.mbps", OFF,
            target=Target("ratio>=", 0.9, "≥ 0.9x (loss < 10 %)")),
        Row("claude", "Real claude CLIs streaming: server CPU per busy session", "% core",
            "claude.ccmanager.cpu_pct", "claude.terminado.cpu_pct",
            target=Target("ratio<=", 1.5, "≤ 1.5x terminado"), digits=2),
        Row("claude", "Real claude CLIs: Enter → `state` busy, p50 (http vs command hooks)",
            "ms", "claude.ccmanager.busy_p50", "claude.command.busy_p50", CMD, digits=0),
        Row("claude", "Real claude CLIs: Enter → `state` busy, p99 (http vs command hooks)",
            "ms", "claude.ccmanager.busy_p99", "claude.command.busy_p99", CMD, digits=0),
        Row("claude", "Real claude CLIs: server CPU per busy session (http vs command hooks)",
            "% core", "claude.ccmanager.cpu_pct", "claude.command.cpu_pct", CMD, digits=2),
        Row("claude", "One hook event: CPU (http: server; command: hookcmd.py + server)", "ms",
            "claude.hook.http.cpu_ms", "claude.hook.command.cpu_ms", CMD, digits=2),
        Row("claude", "One hook event: post to answered, median", "ms",
            "claude.hook.http.ms", "claude.hook.command.ms", CMD, digits=1),
    ]  # fmt: skip


def evaluate(row: Row, results: Results) -> tuple[float | None, float | None, bool | None]:
    """(ours, baseline, target met) from the medians; ``met`` is None without a target."""
    ours = results.median(row.ours)
    base = results.median(row.base) if row.base else None
    if ours is None or row.target is None:
        return ours, base, None
    return ours, base, row.target.met(ours, base)
