"""Every REST response the suite receives, checked against ``server/rest-api.yml``.

Every test server loads this module, ``tests.helpers.openapi``, as a server
extension: the in-process one through ``jp_server_config``
(``ServerApp.jpserver_extensions``), the subprocesses of
:mod:`tests.helpers.launcher` through ``--ServerApp.jpserver_extensions=``
(with a ``PYTHONPATH`` under which ``tests`` imports). It adds a tornado
output transform that sees each response to ``ccmanager/api`` (status,
headers, body) and checks it against the OpenAPI document: the route and
method must be in it, the status must be one it lists, and a JSON body must
validate against that status's schema. Findings go, one JSON line per
response, to the file named by ``CCM_OPENAPI_LOG`` (in the server's
environment); the suite's autouse ``openapi_log`` fixture (a
:class:`ResponseLog`) reads the lines recorded while a test ran, from every
server, and fails the test if any has problems. Nothing of the server is
replaced: the transform only reads what the real handlers send.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from tornado import httputil
from tornado.web import OutputTransform

import jupyter_ccmanager.server

SPEC_PATH = Path(jupyter_ccmanager.server.__file__).with_name("rest-api.yml")
API_PREFIX = "ccmanager/api"
LOG_ENV = "CCM_OPENAPI_LOG"
#: The module name a server loads (``jpserver_extensions``).
EXTENSION = __name__


@dataclass(frozen=True)
class Operation:
    path: str  # the spec's template, e.g. /sessions/{session_id}
    regex: re.Pattern[str]
    method: str
    responses: dict[str, Any]


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


@lru_cache(maxsize=1)
def operations() -> list[Operation]:
    ops = []
    for template, item in spec()["paths"].items():
        regex = re.compile(
            "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "/?$"
        )
        for method, op in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                ops.append(Operation(template, regex, method.upper(), op["responses"]))
    return ops


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


@lru_cache(maxsize=1)
def _registry() -> Registry:
    return Registry().with_resource("urn:rest-api", Resource.from_contents(
        {**spec(), "$schema": "https://json-schema.org/draft/2020-12/schema"}
    ))  # fmt: skip


def check(method: str, api_path: str, status: int, content_type: str, body: bytes) -> list[str]:
    """What is wrong with one response (``api_path`` relative to the API root)."""
    found = [op for op in operations() if op.method == method and op.regex.match(api_path)]
    if not found:
        if status in (404, 405):  # the API's JSON answer for routes and methods it lacks
            return _errors(ERROR_SCHEMA, content_type, body, f"{method} {api_path} {status}")
        return [f"{method} {api_path}: no such operation in rest-api.yml"]
    op = found[0]
    response = op.responses.get(str(status))
    if response is None:
        return [f"{method} {op.path}: status {status} is not in rest-api.yml"]
    response = _resolve(response)
    media = (response.get("content") or {}).get(content_type.split(";")[0].strip())
    if media is None:
        if not body or status == 204:
            return []
        listed = sorted(response.get("content") or {})
        return [f"{method} {op.path} {status}: content type {content_type!r} not in {listed}"]
    if not content_type.startswith("application/json"):
        return []
    return _errors(media["schema"], content_type, body, f"{method} {op.path} {status}")


ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}


def _errors(schema: dict[str, Any], content_type: str, body: bytes, where: str) -> list[str]:
    if not content_type.startswith("application/json"):
        return [f"{where}: content type {content_type!r} is not JSON"]
    try:
        value = json.loads(body)
    except ValueError as err:
        return [f"{where}: body is not JSON: {err}"]
    validator = jsonschema.Draft202012Validator(
        _inline(schema), registry=_registry(), format_checker=jsonschema.FormatChecker()
    )
    return [f"{where}: {e.json_path}: {e.message}" for e in validator.iter_errors(value)]


def _inline(schema: Any) -> Any:
    """An inline schema with its ``#/components/...`` refs pointed into the spec."""
    if isinstance(schema, dict):
        return {
            k: ("urn:rest-api" + v if k == "$ref" and isinstance(v, str) else _inline(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_inline(v) for v in schema]
    return schema


class CheckingTransform(OutputTransform):
    """Collects each API response as it leaves the server and checks it once finished."""

    def __init__(self, request: httputil.HTTPServerRequest) -> None:
        super().__init__(request)
        self.request = request
        self.status = 0
        self.content_type = ""
        self.body: list[bytes] = []
        path = request.path
        marker = "/" + API_PREFIX
        self.api_path = path[path.index(marker) + len(marker) :] if marker in path else None

    def transform_first_chunk(
        self, status_code: int, headers: httputil.HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, httputil.HTTPHeaders, bytes]:
        self.status = status_code
        self.content_type = headers.get("Content-Type", "")
        self._take(chunk, finishing)
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        self._take(chunk, finishing)
        return chunk

    def _take(self, chunk: bytes, finishing: bool) -> None:
        if self.api_path is None or self.status == 101:
            return
        self.body.append(chunk)
        if finishing:
            problems = check(
                self.request.method or "", self.api_path, self.status, self.content_type,
                b"".join(self.body),
            )  # fmt: skip
            _record(self.request.method or "", self.request.path, self.status, problems)


def _record(method: str, path: str, status: int, problems: list[str]) -> None:
    target = os.environ.get(LOG_ENV)
    if target:
        line = {"method": method, "path": path, "status": status, "problems": problems}
        with open(target, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": __name__}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    serverapp.web_app.add_transform(CheckingTransform)


# -- reading the logs (in the test process) -------------------------------------------

#: Logs of the subprocess servers started so far (:mod:`tests.helpers.launcher` adds them).
_WATCHED: list[Path] = []


def watch(path: Path) -> None:
    """Include the log of another server in what :class:`ResponseLog` reads."""
    if path not in _WATCHED:
        _WATCHED.append(path)


def read(path: Path, offset: int = 0) -> list[dict[str, Any]]:
    """The records in one log from byte ``offset`` on (complete lines only)."""
    return _read(path, offset)[0]


def _read(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset
    complete = data[: data.rfind(b"\n") + 1]  # a server may be writing the last line now
    records = [json.loads(line) for line in complete.splitlines() if line.strip()]
    return records, offset + len(complete)


class ResponseLog:
    """The responses every test server recorded since this object was made (or :meth:`forget`).

    ``own`` is the log of the in-process server (its ``CCM_OPENAPI_LOG``); the
    logs of subprocess servers are found through :func:`watch`, including
    those of servers started later.
    """

    def __init__(self, own: Path) -> None:
        self.own = own
        self._offsets: dict[Path, int] = {}
        self.forget()

    def _paths(self) -> list[Path]:
        return [self.own, *_WATCHED]

    def forget(self) -> None:
        """Take what was recorded so far as seen (a test that sends wrong responses on purpose)."""
        for path in self._paths():
            self._offsets[path] = _read(path, self._offsets.get(path, 0))[1]

    def records(self) -> list[dict[str, Any]]:
        """Every response recorded since, from every server (``method, path, status, problems``)."""
        found: list[dict[str, Any]] = []
        for path in self._paths():
            found += _read(path, self._offsets.get(path, 0))[0]
        return found

    def problems(self) -> list[str]:
        """One line per finding: the request and what does not match the spec."""
        return [
            f"{r['method']} {r['path']} -> {r['status']}: {problem}"
            for r in self.records()
            for problem in r["problems"]
        ]
