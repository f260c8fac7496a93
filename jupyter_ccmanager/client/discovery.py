"""Find the Jupyter server (URL + token) that the kernel should talk to.

A notebook user should be able to type ``ccm.start()`` without knowing the
server's port or token, so the kernel looks, in order, at:

1. explicit ``url``/``token`` arguments (``ccm.connect(url, token)``);
2. ``JUPYTER_CCMANAGER_URL`` + ``JUPYTER_CCMANAGER_TOKEN``, which the server
   extension exports to the kernels it starts (the common, cheap path);
3. ``jupyter_server.serverapp.list_running_servers()``: the server whose
   ``pid`` equals ``JPY_PARENT_PID`` (jupyter_client sets it to the server's pid
   in every kernel it launches), else the only server running;
4. under JupyterHub, ``JUPYTERHUB_SERVICE_URL`` (where the single-user server
   listens) with ``JUPYTERHUB_API_TOKEN`` (the server owner's token, which the
   single-user server accepts).

``JUPYTERHUB_API_URL`` is deliberately not used to guess a host: it names the
hub's own API (often ``http://127.0.0.1:8081/hub/api``), not the proxy that
routes ``/user/<name>/``, so a URL built from it would fail later with a far
more confusing error than :class:`ServerNotFound` does now.

Importing ``jupyter_server.serverapp`` costs over a second, so step 3 imports it
lazily and only when steps 1-2 found nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from jupyter_ccmanager.errors import ServerNotFound

__all__ = ["ServerInfo", "discover", "normalize_base_url"]

ENV_URL = "JUPYTER_CCMANAGER_URL"
ENV_TOKEN = "JUPYTER_CCMANAGER_TOKEN"
API_SUFFIX = "ccmanager/api/"
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]", "*"}

ServerLister = Callable[[], Iterable[Mapping[str, Any]]]


@dataclass(frozen=True)
class ServerInfo:
    """Where the server is: ``url`` is its base URL (with ``base_url``, ending in ``/``)."""

    url: str
    token: str
    source: str

    def __repr__(self) -> str:  # never print the token
        return f"ServerInfo(url={self.url!r}, token={'***' if self.token else ''!r}, " + (
            f"source={self.source!r})"
        )


def normalize_base_url(url: str) -> str:
    """Canonical server base URL: scheme, loopback for wildcard hosts, trailing ``/``.

    Accepts what people paste: ``localhost:8888``, a URL with ``?token=...``,
    or one already ending in ``ccmanager/api/`` (stripped, so both the
    server's base URL and the API root work as ``JUPYTER_CCMANAGER_URL``).
    """
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {parts.scheme!r} in {url!r} (use http/https)")
    netloc = parts.netloc
    if parts.hostname is None or parts.hostname in _WILDCARD_HOSTS:
        # A server bound to 0.0.0.0 / :: is reachable on loopback.
        netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
    path = parts.path or "/"
    if not path.endswith("/"):
        path += "/"
    if path.endswith("/" + API_SUFFIX):
        path = path[: -len(API_SUFFIX)]
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def _url_from_server_info(info: Mapping[str, Any]) -> str:
    """Build a connectable URL from a ``jpserver-*.json`` record.

    The record's ``url`` replaces wildcard IPs by ``socket.gethostname()``,
    which often does not resolve inside containers; host + port + base_url
    with loopback for wildcards is more reliable.
    """
    port = info.get("port")
    if not port:
        return normalize_base_url(str(info["url"]))
    host = str(info.get("hostname") or "")
    if host in _WILDCARD_HOSTS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    scheme = "https" if info.get("secure") else "http"
    base = str(info.get("base_url") or "/")
    return normalize_base_url(f"{scheme}://{host}:{port}{base}")


def _list_running_servers() -> list[Mapping[str, Any]]:
    from jupyter_server.serverapp import list_running_servers

    return list(list_running_servers())


_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _same_server(a: str, b: str) -> bool:
    """Same scheme, port and path, with every loopback spelling counted equal."""

    def key(url: str) -> tuple[str, str | None, int | None, str]:
        parts = urlsplit(normalize_base_url(url))
        host = parts.hostname
        return (parts.scheme, "loopback" if host in _LOOPBACK else host, parts.port, parts.path)

    try:
        return key(a) == key(b)
    except ValueError:
        return False


def _pick_running(
    servers: list[Mapping[str, Any]], parent_pid: str | None
) -> tuple[Mapping[str, Any] | None, str]:
    """Choose a server record; the second item explains the outcome."""
    usable = [s for s in servers if not s.get("sock")]
    skipped = len(servers) - len(usable)
    note = f" ({skipped} on a UNIX socket, not supported)" if skipped else ""
    if parent_pid:
        for info in usable:
            if str(info.get("pid")) == parent_pid.strip():
                return info, f"server with pid {parent_pid} (JPY_PARENT_PID)"
    if len(usable) == 1:
        return usable[0], "the only running server"
    if not usable:
        return None, f"no running server found{note}"
    urls = ", ".join(f"{_url_from_server_info(s)} (pid {s.get('pid')})" for s in usable)
    pid_note = (
        f"none has pid {parent_pid} (JPY_PARENT_PID)" if parent_pid else "JPY_PARENT_PID unset"
    )
    return None, f"{len(usable)} servers running, {pid_note}: {urls}{note}"


def discover(
    url: str | None = None,
    token: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    list_servers: ServerLister | None = None,
) -> ServerInfo:
    """Locate the server; raise :class:`ServerNotFound` saying everything tried.

    ``token=None`` means "find it"; ``token=""`` means "send no token" (a
    server with authentication disabled). An explicit token without a URL
    overrides the token of whatever server is discovered.
    """
    env = os.environ if environ is None else environ
    lister = list_servers or _list_running_servers
    hub_token = env.get("JUPYTERHUB_API_TOKEN", "")
    tried: list[str] = []
    servers: list[Mapping[str, Any]] | None = None

    def running() -> list[Mapping[str, Any]]:
        nonlocal servers
        if servers is None:
            try:
                servers = list(lister())
            except Exception as e:  # a broken runtime dir must not hide steps 4+
                tried.append(f"list_running_servers() failed: {e!r}")
                servers = []
        return servers

    if url:
        base = normalize_base_url(url)
        if token is None:
            token = _token_for(base, env, running)
        return ServerInfo(base, token, "explicit url")
    tried.append("no url argument")

    env_url = env.get(ENV_URL)
    if env_url:
        return ServerInfo(
            normalize_base_url(env_url),
            token if token is not None else env.get(ENV_TOKEN, ""),
            f"${ENV_URL}",
        )
    tried.append(f"${ENV_URL} not set")

    info, why = _pick_running(running(), env.get("JPY_PARENT_PID"))
    if info is not None:
        found_token = token if token is not None else str(info.get("token") or "") or hub_token
        return ServerInfo(_url_from_server_info(info), found_token, why)
    tried.append(f"list_running_servers(): {why}")

    hub_url = env.get("JUPYTERHUB_SERVICE_URL")
    if hub_url and (hub_token or token is not None):
        return ServerInfo(
            normalize_base_url(hub_url),
            token if token is not None else hub_token,
            "$JUPYTERHUB_SERVICE_URL",
        )
    tried.append("not under JupyterHub ($JUPYTERHUB_SERVICE_URL / $JUPYTERHUB_API_TOKEN unset)")

    raise ServerNotFound(
        None,
        "Could not find the Jupyter server running jupyter_ccmanager. Tried: "
        + "; ".join(tried)
        + ". Pass it explicitly: ccm.connect(url='http://127.0.0.1:8888/', token='...') "
        "(`jupyter server list` shows running servers with their tokens).",
    )


def _token_for(
    base: str, env: Mapping[str, str], running: Callable[[], list[Mapping[str, Any]]]
) -> str:
    """Token for an explicitly given URL, only from sources tied to that URL.

    Never sends a token meant for one server to another, hence the URL checks.
    """
    env_url = env.get(ENV_URL)
    if env_url and _same_server(env_url, base):
        return env.get(ENV_TOKEN, "")
    hub_url = env.get("JUPYTERHUB_SERVICE_URL")
    if hub_url and _same_server(hub_url, base):
        return env.get("JUPYTERHUB_API_TOKEN", "")
    for info in running():
        if not info.get("sock") and _same_server(_url_from_server_info(info), base):
            return str(info.get("token") or "")
    return ""
