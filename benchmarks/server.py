"""The benchmarks' server: the suite's one launcher, plus what the benchmarks measure and call.

:class:`BenchServer` is :class:`tests.helpers.launcher.JupyterServer` (a real
``jupyter server`` subprocess with jupyter_ccmanager and
jupyter_server_terminals, its own runtime, data, config and HOME directories
in a temporary folder, a random token and a free port on 127.0.0.1) with the
server's resource use, an async REST client, and both our sessions and
terminado terminals running the same shell (:data:`SHELL`), so the two
protocols do the same work. It measures the product as shipped: no OpenAPI
checker is loaded (``openapi=False``).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import psutil
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from tests.helpers.launcher import JupyterServer, free_port

__all__ = ["SHELL", "BenchServer", "free_port"]

#: The shell both protocols run: no rc files, so prompts and timing are the same.
SHELL = ["bash", "--norc", "--noprofile"]


class BenchServer(JupyterServer):
    """``with BenchServer(tmp, "--CCSessionManager.screen_model=False") as server: ...``.

    ``config`` is written to ``jupyter_server_config.json`` in the server's
    own config directory (for values awkward on a command line). ``preamble``
    is Python code the server process runs before starting (``--patch``: to
    measure a proposed change without editing the package).
    """

    def __init__(
        self,
        tmp: Path,
        *args: str,
        config: dict[str, Any] | None = None,
        preamble: str = "",
    ) -> None:
        terminado = json.dumps({"shell_command": SHELL})
        super().__init__(
            tmp, f"--ServerApp.terminado_settings={terminado}", *args,
            env={"LANG": "C.UTF-8"}, config=config, preamble=preamble, openapi=False,
        )  # fmt: skip
        self.ps: psutil.Process | None = None
        self._http: AsyncHTTPClient | None = None

    def start(self) -> BenchServer:
        """Start the server and wait until it answers ``api/status``."""
        super().start()
        self.ps = psutil.Process(self.pid)
        return self

    def stop(self, *args: Any, **kw: Any) -> int | None:
        """SIGTERM, then SIGKILL if the server does not exit within 30 s."""
        if self._http is not None:
            self._http.close()
            self._http = None
        return super().stop(*args, **kw)

    def __enter__(self) -> BenchServer:
        return self.start()

    # ------------------------------------------------------------- metrics
    def rss(self) -> int:
        """The server process's resident memory, in bytes."""
        assert self.ps is not None
        return int(self.ps.memory_info().rss)

    def cpu(self) -> float:
        """User + system CPU seconds of the server process itself (not its children)."""
        assert self.ps is not None
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    # ---------------------------------------------------------------- REST
    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """``method path`` under the server's base URL; the decoded JSON answer (or None)."""
        if self._http is None:
            self._http = AsyncHTTPClient(force_instance=True, max_clients=64)
        req = HTTPRequest(
            self.url + path,
            method=method,
            headers={**self.headers, "Content-Type": "application/json"},
            body=None if body is None and method in ("GET", "DELETE") else json.dumps(body or {}),
            request_timeout=120,
        )
        resp = await self._http.fetch(req)
        return json.loads(resp.body) if resp.body else None

    async def post_raw(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST ``body`` to a full ``url`` without the user's token (as an agent's hook does)."""
        if self._http is None:
            self._http = AsyncHTTPClient(force_instance=True, max_clients=64)
        req = HTTPRequest(
            url, method="POST", body=body, request_timeout=30,
            headers={**headers, "Content-Type": "application/json"},
        )  # fmt: skip
        resp = await self._http.fetch(req, raise_error=False)
        return int(resp.code)

    async def create_session(self, **body: Any) -> dict[str, Any]:
        """A new ccmanager session (the benchmark shell unless ``body`` says otherwise)."""
        if "agent" not in body and "command" not in body:
            body["command"] = SHELL
        return dict(await self.request("POST", "ccmanager/api/sessions", body))

    async def get_session(self, session_id: str) -> dict[str, Any]:
        return dict(await self.request("GET", f"ccmanager/api/sessions/{session_id}"))

    async def type_session(self, session_id: str, text: str) -> None:
        await self.request("POST", f"ccmanager/api/sessions/{session_id}/input", {"data": text})

    async def delete_session(self, session_id: str) -> None:
        await self.request("DELETE", f"ccmanager/api/sessions/{session_id}")

    async def create_terminal(self) -> str:
        """A new terminado terminal (running :data:`SHELL`); its name."""
        return str((await self.request("POST", "api/terminals", {}))["name"])

    async def delete_terminal(self, name: str) -> None:
        await self.request("DELETE", f"api/terminals/{name}")

    async def settle(self, seconds: float = 0.3) -> None:
        """Let the server finish deferred work (timers, reaping) before a reading."""
        await asyncio.sleep(seconds)
