"""A latency probe: ``GET api/status`` of a server, again and again, from its own process.

The fuzz tests run it while they throw input at the server: the server must
keep answering however hostile that input is. A probe that gets no answer
within ``timeout`` (5 s: a stalled loop, not a slow machine) fails; the
latencies themselves are reported, never asserted, because on a loaded
machine they measure the machine as much as the server. The probe is a
separate process, so that what the test itself computes (schemathesis
generating cases holds the GIL for long stretches) never delays a probe and
gets blamed on the server. Each line it prints is one probe: the start on the
system's monotonic clock (``time.perf_counter``, comparable across processes
on Linux), the latency, and whether the answer was a 200; a request that
fails counts as one that took its whole timeout.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from types import TracebackType

from tests.helpers.launcher import JupyterServer

SCRIPT = r"""
import sys, time, requests
url, token, interval, limit = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
session = requests.Session()
while True:
    began = time.perf_counter()
    try:
        ok = session.get(url, headers={"Authorization": "token " + token}, timeout=limit).ok
    except requests.RequestException:
        ok = False
    print(f"{began} {time.perf_counter() - began} {int(ok)}", flush=True)
    time.sleep(interval)
"""


class StatusProbe:
    """``with StatusProbe(server) as probe: ...``; then ``probe.worst``, ``probe.count``."""

    def __init__(self, server: JupyterServer, interval: float = 0.1, timeout: float = 5.0) -> None:
        self.argv = [
            sys.executable, "-c", SCRIPT, server.url_for("api/status"), server.token,
            str(interval), str(timeout),
        ]  # fmt: skip
        self.samples: list[tuple[float, float]] = []  # (start, latency)
        self.failures = 0
        self._proc: subprocess.Popen[str] | None = None

    @property
    def worst(self) -> float:
        return max((latency for _, latency in self.samples), default=0.0)

    @property
    def count(self) -> int:
        return len(self.samples)

    def slow(self, limit: float) -> list[tuple[float, float]]:
        """The probes slower than ``limit``: (start, latency), on ``time.perf_counter``."""
        return [sample for sample in self.samples if sample[1] >= limit]

    def __enter__(self) -> StatusProbe:
        self._proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGTERM)
        out, _ = self._proc.communicate(timeout=30)
        for line in out.splitlines():
            with contextlib.suppress(ValueError):
                began, latency, ok = line.split()
                self.samples.append((float(began), float(latency)))
                self.failures += ok != "1"
