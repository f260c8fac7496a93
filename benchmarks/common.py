"""What every benchmark group shares: the run context, results and statistics."""

from __future__ import annotations

import contextlib
import math
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .server import BenchServer

T = TypeVar("T")

PROTOCOLS = ("ccmanager", "terminado")
MB = 1e6
MiB = 1 << 20


class Results:
    """Samples by key (one per run, or many for latencies), plus free-text notes."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.notes: dict[str, str] = {}

    def add(self, key: str, value: float) -> None:
        self.samples[key].append(float(value))

    def median(self, key: str) -> float | None:
        values = self.samples.get(key)
        return statistics.median(values) if values else None

    def has(self, prefix: str) -> bool:
        return any(key.startswith(prefix) for key in self.samples)


@dataclass
class Context:
    """One invocation of ``python -m benchmarks``."""

    tmp: Path
    runs: int = 3
    smoke: bool = False
    preamble: str = ""  # --patch: code the servers run before starting
    results: Results = field(default_factory=Results)
    _servers: int = 0

    @property
    def pause(self) -> float:
        """Factor for settling pauses: shorter in smoke mode, where nothing is measured."""
        return 0.2 if self.smoke else 1.0

    def size(self, full: T, smoke: T) -> T:
        """``full`` in a real run, ``smoke`` in ``--smoke`` mode."""
        return smoke if self.smoke else full

    @contextlib.contextmanager
    def server(self, *args: str, config: dict[str, Any] | None = None) -> Iterator[BenchServer]:
        """A fresh server process for one group (or one run of a memory benchmark)."""
        self._servers += 1
        tmp = self.tmp / f"server{self._servers}"
        with BenchServer(tmp, *args, config=config, preamble=self.preamble) as server:
            yield server


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def nonce() -> int:
    """A number for an end marker that the typed command itself does not contain."""
    import random

    return random.randrange(10_000, 99_999)
