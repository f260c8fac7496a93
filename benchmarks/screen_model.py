"""``python -m benchmarks.screen_model``: the screen model's parse speed and snapshot cost.

Feeds the same colourful, cursor-addressed output (a TUI redrawing at random
places, like htop or Claude Code's spinner lines) to the server's
:class:`ScreenModel` (avt) and, when it is installed, to pyte (the model before
#12), and times one ``lines()`` and one ``snapshot()`` of a 120x40 screen; then
the model's speed on a flood of short lines (``yes``: a scroll per 2 bytes, the
emulator's worst case). Not
part of ``python -m benchmarks``: it starts no server, it measures one object.
"""

from __future__ import annotations

import importlib.util
import random
import time
from typing import Any

from jupyter_ccmanager.server.replay import ReplayBuffer
from jupyter_ccmanager.server.state.screen import ScreenModel

COLS, ROWS = 120, 40


def tui_output(size: int, seed: int = 1) -> bytes:
    """About ``size`` bytes of coloured text written at random cursor positions."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        row, col, colour = rng.randint(1, ROWS), rng.randint(1, COLS - 20), rng.randint(0, 255)
        part = f"\x1b[{row};{col}H\x1b[38;5;{colour}m\x1b[1mword {total}\x1b[0m ·"
        parts.append(part)
        total += len(part.encode())
    return "".join(parts).encode()


def best(runs: int, fn: Any) -> float:
    """Fastest of ``runs`` timings of ``fn()`` in seconds (the least disturbed one)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def fed_model(data: bytes) -> ScreenModel:
    """A fresh :class:`ScreenModel` that has parsed ``data``."""
    buffer = ReplayBuffer(len(data) + 1)
    model = ScreenModel(buffer, COLS, ROWS)
    buffer.append(data)
    model.feed_all()
    return model


def feed_rate(data: bytes) -> float:
    """MB/s at which :class:`ScreenModel` parses ``data`` (best of 3)."""
    return len(data) / best(3, lambda: fed_model(data)) / 1e6


def measure_avt(data: bytes) -> dict[str, float]:
    model = fed_model(data)
    return {
        "feed MB/s": feed_rate(data),
        "lines() ms": best(20, lambda: (model._changed(), model.lines())) * 1e3,
        "snapshot ms": best(20, model.snapshot) * 1e3,
    }


def measure_pyte(data: bytes) -> dict[str, float] | None:
    if importlib.util.find_spec("pyte") is None:
        return None
    import pyte  # the model before #12; no longer a dependency

    screen = pyte.Screen(COLS, ROWS)

    def feed() -> None:
        screen.reset()
        pyte.ByteStream(screen).feed(data)

    return {
        "feed MB/s": len(data) / best(1, feed) / 1e6,
        "lines() ms": best(20, lambda: [line.rstrip() for line in screen.display]) * 1e3,
    }


def main() -> None:
    data = tui_output(2 << 20)
    print(f"{len(data) / 1e6:.1f} MB of cursor-addressed colour output, {COLS}x{ROWS}")
    for name, result in (("avt", measure_avt(data)), ("pyte", measure_pyte(data[: 256 << 10]))):
        if result is None:
            print(f"{name:5} not installed")
            continue
        print(f"{name:5} " + "  ".join(f"{k} {v:.3g}" for k, v in result.items()))
    lines = feed_rate(b"y\r\n" * 1_000_000)
    print(f"avt   short lines (yes) feed MB/s {lines:.3g}")


if __name__ == "__main__":
    main()
