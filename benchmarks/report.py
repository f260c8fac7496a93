"""The report: machine description, the table of figures and ratios, notes, raw samples."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version

import psutil

from .common import Results
from .rows import Row, evaluate, rows


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> list[tuple[str, str]]:
    """What the figures were measured on."""
    return [
        ("CPU", cpu_model()),
        ("cores", f"{os.cpu_count()} logical ({psutil.cpu_count(logical=False)} physical)"),
        ("RAM", f"{psutil.virtual_memory().total / 2**30:.1f} GiB"),
        ("load average", "{:.2f} / {:.2f} / {:.2f} (1 / 5 / 15 min)".format(*os.getloadavg())),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("tornado", _version("tornado")),
        ("terminado", _version("terminado")),
        ("jupyter_server", _version("jupyter_server")),
        ("jupyter_server_terminals", _version("jupyter_server_terminals")),
        ("jupyter_ccmanager", _version("jupyter_ccmanager")),
    ]


def _fmt(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def table_rows(results: Results, groups: list[str]) -> list[list[str]]:
    """``[label, ccmanager, baseline, ratio, target, met]`` for every row of ``groups``."""
    out = []
    for row in rows():
        if row.group not in groups:
            continue
        ours, base, met = evaluate(row, results)
        ratio = "—" if ours is None or not base else f"{ours / base:.2f}x"
        base_text = f"{_fmt(base, row.digits)} ({row.base_name})" if row.base else "—"
        status = {True: "met", False: "**missed**", None: "—"}[met]
        out.append([
            f"{row.label} [{row.unit}]", _fmt(ours, row.digits), base_text, ratio,
            row.target.text if row.target else "—", status,
        ])  # fmt: skip
    return out


def markdown_table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def render(
    results: Results,
    groups: list[str],
    *,
    runs: int,
    smoke: bool,
    seconds: float,
    failures: list[str],
    info: list[tuple[str, str]],
    patch: str = "",
) -> str:
    """The whole report as Markdown."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    mode = "smoke (tiny sizes, not a measurement)" if smoke else f"{runs} runs, medians"
    parts = [
        "# Benchmarks: jupyter_ccmanager vs jupyter_server_terminals (terminado)",
        "",
        f"`{' '.join(['python -m benchmarks', *sys.argv[1:]])}` — {now}, {mode},"
        f" {seconds:.0f} s in all.",
        "",
        markdown_table(["machine", ""], [[k, v] for k, v in info]),
        "",
        markdown_table(
            ["benchmark", "ccmanager", "baseline", "ratio", "target", "status"],
            table_rows(results, groups),
        ),
        "",
    ]
    busy = [float(v.split()[0]) for k, v in results.notes.items() if k.startswith("busy.")]
    if busy and max(busy) >= 15:
        parts += [
            f"**Note:** other work was running on this machine (up to {max(busy):.0f} % CPU at "
            "the start of a group), so these figures are noisier than on an idle machine.",
            "",
        ]
    if patch:
        parts += [f"Servers ran with a patch (`--patch`): `{patch.strip()[:200]}`", ""]
    if failures:
        parts += [f"**Failed groups:** {', '.join(failures)} (see the log).", ""]
    if results.notes:
        parts += ["Notes:", ""]
        parts += [f"- `{key}`: `{value}`" for key, value in sorted(results.notes.items())]
        parts.append("")
    parts += ["<details><summary>Every sample (one per run)</summary>", ""]
    for key in sorted(results.samples):
        values = ", ".join(f"{v:.4g}" for v in results.samples[key])
        parts.append(f"- `{key}`: {values}")
    parts += ["", "</details>", ""]
    return "\n".join(parts)


def summary(results: Results, groups: list[str]) -> str:
    """A compact plain-text table for the terminal."""
    body = table_rows(results, groups)
    widths = [max(len(r[i]) for r in body) for i in range(6)] if body else [0] * 6
    lines = []
    for cells in body:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip())
    return "\n".join(lines)


__all__ = ["Row", "machine", "render", "summary"]
