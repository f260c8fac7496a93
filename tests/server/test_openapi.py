"""``server/rest-api.yml``: a valid OpenAPI 3.1 document, in step with the routes, and enforced.

Every test server loads :mod:`tests.helpers.openapi`, which checks each REST
response against the document; the suite's ``openapi_log`` fixture fails any
test whose responses do not match. These tests check the document itself,
that it lists exactly the routes the app serves (with their methods), and
that the check does catch a wrong response, in the in-process server and in
a launcher's subprocess, and fails the test that received it.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from tornado import web
from tornado.routing import PathMatches

from jupyter_ccmanager.server.handlers import API_ROOT, api_handlers
from jupyter_ccmanager.server.handlers.base import NotFoundHandler
from tests.helpers import openapi
from tests.helpers.api import Api
from tests.helpers.launcher import JupyterServer
from tests.helpers.paths import REPO

METHODS = ("get", "post", "put", "patch", "delete")


def test_spec_is_valid_openapi_3_1() -> None:
    spec = openapi.spec()
    assert spec["openapi"].startswith("3.1")
    errors = [e.message for e in OpenAPIV31SpecValidator(spec).iter_errors()]
    assert errors == []


def templates(pattern: str) -> list[str]:
    """The spec paths a route pattern (relative to the API root) stands for."""
    pattern = pattern.removesuffix("$").removesuffix("/?")
    alternatives = re.search(r"\(\?P<(\w+)>([\w|]+)\)", pattern)
    if alternatives:  # a fixed set of words, e.g. the actions: one spec path each
        return [
            t
            for word in alternatives.group(2).split("|")
            for t in templates(pattern.replace(alternatives.group(0), word))
        ]
    return [re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)]


def test_templates_expand_the_actions() -> None:
    pattern = r"/sessions/(?P<session_id>[A-Za-z0-9_-]{1,64})/(?P<action>resize|stop)"
    assert templates(pattern) == ["/sessions/{session_id}/resize", "/sessions/{session_id}/stop"]
    assert templates(r"/sessions/?") == ["/sessions"]


def handler_methods(handler: type[Any]) -> set[str]:
    """The HTTP methods a handler class implements."""
    return {m for m in METHODS if getattr(handler, m, None) is not getattr(web.RequestHandler, m)}


def served_routes(router: Any) -> list[tuple[str, type[Any]]]:
    """Every (path regex, handler class) a tornado router serves, nested routers included."""
    found: list[tuple[str, type[Any]]] = []
    for rule in router.rules:
        if hasattr(rule.target, "rules"):
            found += served_routes(rule.target)
        elif isinstance(rule.matcher, PathMatches) and isinstance(rule.target, type):
            found.append((rule.matcher.regex.pattern, rule.target))
    return found


def test_every_route_is_in_the_spec_and_the_reverse(jp_serverapp: Any, jp_base_url: str) -> None:
    prefix = f"{jp_base_url}{API_ROOT}"
    routes = [(p, h) for p, h in api_handlers() if h is not NotFoundHandler]
    # the running app serves exactly these under the API root (and the JSON 404 last)
    served = {
        (p.removesuffix("$"), h)
        for p, h in served_routes(jp_serverapp.web_app.default_router)
        if p.startswith(prefix)
    }
    expected = {(jp_base_url.rstrip("/") + p, h) for p, h in api_handlers()}
    assert served == expected

    in_app: dict[str, set[str]] = {}
    root = f"/{API_ROOT}"
    for pattern, handler in routes:
        for template in templates(pattern.removeprefix(root)):
            in_app.setdefault(template, set()).update(handler_methods(handler))
    in_spec = {
        path: {m for m in item if m in METHODS} for path, item in openapi.spec()["paths"].items()
    }
    assert sorted(set(in_app) - set(in_spec)) == [], "routes the spec does not describe"
    assert sorted(set(in_spec) - set(in_app)) == [], "spec paths the app does not serve"
    assert in_app == in_spec, "methods differ"


# -- the check catches a wrong response ------------------------------------------------


def test_check_finds_what_is_wrong() -> None:
    json = "application/json"
    assert openapi.check("GET", "/stats", 200, json, b'{"sessions": "many"}')
    assert openapi.check("GET", "/sessions", 200, json, b'[{"id": "x"}]'), "a partial model"
    assert openapi.check("GET", "/stats", 418, json, b'{"code": "X", "message": "m"}')
    assert openapi.check("PUT", "/stats", 200, json, b"{}"), "no such operation"
    assert openapi.check("GET", "/stats", 200, "text/html", b"<html></html>")
    assert openapi.check("GET", "/sessions/abc", 404, json, b'{"code": "NOT_FOUND"}')
    # and what is right passes
    assert openapi.check("GET", "/sessions", 200, json, b"[]") == []
    assert openapi.check("DELETE", "/sessions/abc", 204, "", b"") == []
    error = b'{"code": "NO_SUCH_ROUTE", "message": "No such API path"}'
    assert openapi.check("GET", "/nothing-here", 404, json, error) == []


WRONG_STATS = {"sessions": "many"}


async def test_in_process_server_reports_a_wrong_response(
    api: Api, manager: Any, monkeypatch: pytest.MonkeyPatch, openapi_log: openapi.ResponseLog
) -> None:
    status, _ = await api.call("GET", "sessions")
    assert status == 200
    (record,) = openapi_log.records()
    assert (record["method"], record["status"], record["problems"]) == ("GET", 200, [])
    assert record["path"].endswith("/ccmanager/api/sessions")

    monkeypatch.setattr(manager, "stats", lambda: WRONG_STATS)
    status, body = await api.call("GET", "stats")
    assert (status, body) == (200, WRONG_STATS)
    problems = openapi_log.problems()
    assert problems and all("GET /" in p and "/ccmanager/api/stats -> 200" in p for p in problems)
    assert any("'many' is not of type 'integer'" in p for p in problems), problems
    openapi_log.forget()  # provoked on purpose: the fixture must not fail this test
    assert openapi_log.problems() == []


def test_launched_server_reports_a_wrong_response(
    tmp_path: Path, openapi_log: openapi.ResponseLog
) -> None:
    patch = (
        "from jupyter_ccmanager.server.manager import CCSessionManager\n"
        f"CCSessionManager.stats = lambda self: {WRONG_STATS!r}\n"
    )
    with JupyterServer(tmp_path, preamble=patch) as server:
        assert server.api("GET", "sessions").json() == []
        assert server.api("GET", "stats").json() == WRONG_STATS
    records = openapi_log.records()
    paths = [r["path"] for r in records]
    assert "/ccmanager/api/sessions" in paths and "/ccmanager/api/stats" in paths
    problems = openapi_log.problems()
    assert any("'many' is not of type 'integer'" in p for p in problems), records
    openapi_log.forget()


def test_a_test_that_got_a_wrong_response_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite's own fixtures, in a pytest run of one test that gets a wrong answer."""
    pytester.makeconftest("from tests.conftest import *  # noqa: F403\n")
    pytester.makepyfile(
        test_wrong=textwrap.dedent(
            f"""
            async def test_gets_wrong_stats(api, manager, monkeypatch):
                monkeypatch.setattr(manager, "stats", lambda: {WRONG_STATS!r})
                status, body = await api.call("GET", "stats")
                assert (status, body) == (200, {WRONG_STATS!r})
            """
        )
    )
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # `tests` imports in the inner run
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*responses that do not match rest-api.yml:*",
            "*GET /*/ccmanager/api/stats -> 200*'many' is not of type 'integer'*",
        ]
    )
