"""A latency probe: ``GET api/status`` of a server, again and again, from a thread.

The fuzz tests run it while they throw input at the server: the server must
keep answering (within 0.5 s) however hostile that input is. The probe records
every answer's latency; a request that fails counts as one that took forever.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import requests

from tests.helpers.launcher import JupyterServer


class StatusProbe:
    """``with StatusProbe(server) as probe: ...``; then ``probe.worst``, ``probe.count``."""

    def __init__(self, server: JupyterServer, interval: float = 0.1) -> None:
        self.url = server.url_for("api/status")
        self.headers = server.headers
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (perf_counter at start, latency)
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="status-probe", daemon=True)

    def _run(self) -> None:
        with requests.Session() as session:
            while not self._stop.wait(self.interval):
                began = time.perf_counter()
                try:
                    ok = session.get(self.url, headers=self.headers, timeout=10).status_code == 200
                except requests.RequestException as err:
                    ok, why = False, repr(err)
                else:
                    why = "not 200"
                self.samples.append((began, time.perf_counter() - began))
                if not ok:
                    self.failures.append(why)

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
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(30)
