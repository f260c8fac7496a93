"""A tiny stand-in for the Anthropic Messages API, for demo mode and tests.

The real ``claude`` CLI talks to whatever ``ANTHROPIC_BASE_URL`` names, so
serving canned replies on 127.0.0.1 lets people without an API key (a Binder
visitor) see the real TUI behave, and lets tests drive the real CLI end to
end: idle, busy, permission prompts, interrupts, hooks, transcripts.

Only the standard library is used, so demo mode costs no extra dependency.

Usage::

    with FakeAnthropic() as api:
        prepare_home(home, [cwd])
        env = {**os.environ, **claude_env(api.url, home)}
        api.queue(Bash("touch /tmp/x/marker"), Text("Done."))
        ...  # run `claude` with env in cwd, type a prompt, answer "1. Yes"
        assert api.conversation()[-1]["messages"]

Scripted replies (``queue``) answer only *conversation* requests, those that
carry ``tools``; side requests (the conversation title, other tool-less
calls, token counts) get fixed answers and never consume the queue. With an
empty queue the server answers in demo mode, quoting the prompt; a prompt
``run: <command>`` gets a Bash tool call of ``<command>`` instead.

Run ``python -m jupyter_ccmanager.server.demo [--port N]`` to serve in the foreground.
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = [
    "DEMO_API_KEY",
    "ApiError",
    "Bash",
    "FakeAnthropic",
    "Text",
    "ToolUse",
    "claude_env",
    "prepare_home",
]

#: Looks like a real key (the CLI wants ``sk-ant-…``); the default key of a
#: ``FakeAnthropic`` in tests. Demo mode uses a random key per server instead.
DEMO_API_KEY = "sk-ant-api03-demo-mode-no-real-key-0000000000-CCMANAGERDEMOKEY00AA"

Json = dict[str, Any]


# -- reply kinds ---------------------------------------------------------------


@dataclass
class Text:
    """A text reply, streamed word by word.

    ``delay`` is the pause in seconds before each word, so a test can keep the
    CLI busy (spinner, ``esc to interrupt``) long enough to look or interrupt.
    """

    text: str
    delay: float = 0.0


@dataclass
class ToolUse:
    """A call of any CLI tool (``name`` as in the request's ``tools``).

    The CLI runs it (asking permission first when its rules say so) and sends
    the ``tool_result`` in its next request, which is answered like any other
    conversation request: the next queued reply, else the default text.
    """

    name: str
    input: Json = field(default_factory=dict)


class Bash(ToolUse):
    """A ``Bash`` tool call: the TUI asks "Do you want to proceed?", and after
    "1. Yes" really runs ``command`` in the session's cwd."""

    def __init__(self, command: str, description: str = "Run a shell command") -> None:
        super().__init__("Bash", {"command": command, "description": description})


@dataclass
class ApiError:
    """An HTTP error instead of a reply.

    The CLI shows a 4xx at once and ends the turn (``StopFailure`` hook). It
    retries 429/5xx/529 up to 10 times with back-off, each retry taking the
    next queued reply, so queue one ``ApiError`` per failed attempt.
    """

    status: int = 400
    message: str = "Demo mode: scripted API error"
    type: str = "invalid_request_error"


Reply = Text | ToolUse | ApiError


# -- reading requests ----------------------------------------------------------


def _blocks(message: Json) -> list[Json]:
    """A message's content as a list of blocks (the API allows a bare string)."""
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _last_user_blocks(body: Json) -> list[Json]:
    """Blocks of the newest ``user`` message (the CLI may append a ``system`` one)."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return _blocks(message)
    return []


def _typed_text(blocks: list[Json]) -> str:
    """What the person typed in one user message: its last text block that is not
    something the CLI injected (``<system-reminder>``, ``<command-name>``, ...)."""
    texts = [
        b.get("text", "").strip()
        for b in blocks
        if b.get("type") == "text" and not b.get("text", "").lstrip().startswith("<")
    ]
    return texts[-1] if texts else ""


def prompt_of(body: Json) -> str:
    """The prompt a conversation request answers, or ``""``.

    The CLI sends the typed text as the last text block of the newest user
    message, after ``<system-reminder>`` blocks it injects.
    """
    return _typed_text(_last_user_blocks(body))


def prompts_in(body: Json) -> list[str]:
    """Every prompt of the conversation, oldest first: the CLI sends the whole
    conversation (a resumed one too) in each request, as the real API gets it."""
    found = []
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            text = _typed_text(_blocks(message))
            if text:
                found.append(text)
    return found


def _tool_result_text(body: Json) -> str | None:
    """Text of the newest ``tool_result`` the request carries, else ``None``."""
    results = [b for b in _last_user_blocks(body) if b.get("type") == "tool_result"]
    if not results:
        return None
    content = results[-1].get("content")
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))
    return str(content or "")


#: A demo prompt ``run: <command>`` is answered with a Bash call of ``<command>``,
#: so people without a key can see (and answer) a real permission prompt.
_RUN_PROMPT = re.compile(r"run:\s*(\S.*)", re.S | re.I)


def _default_reply(body: Json) -> Text | ToolUse:
    """Demo mode's answer when nothing is queued: echo what happened.

    A prompt ``run: <command>`` asks to run ``<command>`` with the Bash tool
    (the CLI shows its permission prompt first); the tool's result is then
    echoed like everything else.
    """
    result = _tool_result_text(body)
    if result is not None:
        return Text(f"{DEMO} the tool returned: {result.strip()[:300]}")
    prompt = prompt_of(body)
    run = _RUN_PROMPT.fullmatch(prompt)
    if run:
        return Bash(run.group(1).strip(), "Demo mode: run the command you asked for")
    return Text(_memory_reply(prompt, prompts_in(body)) or f"{DEMO} you said: {prompt[:500]}")


DEMO = "Demo mode (no Anthropic API):"
_PREVIOUS = re.compile(
    r"(?i)\b(previous|last|earlier)\s+(question|prompt|message)\b|what did i (just )?(ask|say)"
)
_FIRST = re.compile(r"(?i)\bfirst\s+(question|prompt|message)\b")


def _memory_reply(prompt: str, prompts: list[str]) -> str | None:
    """Answer a question about the conversation from the conversation itself, so
    the demo shows what a resumed Claude conversation really remembers."""
    earlier = prompts[:-1] if prompts and prompts[-1] == prompt else prompts
    if _FIRST.search(prompt):
        which, found = "first", earlier[0] if earlier else None
    elif _PREVIOUS.search(prompt):
        which, found = "previous", earlier[-1] if earlier else None
    else:
        return None
    if found is None:
        return f"{DEMO} this conversation has no earlier question."
    return f"{DEMO} your {which} question was: {found[:500]}"


def _side_reply(body: Json) -> Text:
    """Answer a request without tools (e.g. the conversation title).

    The title request quotes the prompt in ``<session>…</session>`` and asks
    for JSON through ``output_config.format`` (``{"title": …}``); fill every
    required field of such a schema, else answer a few words of the text.
    """
    texts = [b.get("text", "") for b in _last_user_blocks(body) if b.get("type") == "text"]
    text = texts[-1] if texts else ""
    quoted = re.search(r"<session>(.*?)</session>", text, re.S)
    words = re.sub(r"<[^>]*>", " ", quoted.group(1) if quoted else text).split()[:5]
    summary = " ".join(words).capitalize() or "Demo session"
    fmt = (body.get("output_config") or {}).get("format") or {}
    if fmt.get("type") == "json_schema" and isinstance(fmt.get("schema"), dict):
        return Text(json.dumps(_fill(fmt["schema"], summary)))
    return Text(summary)


def _fill(schema: Json, text: str) -> Any:
    """A small value valid for a simple JSON schema (strings get ``text``)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: _fill(props.get(k) or {}, text) for k in schema.get("required") or props}
    defaults: dict[str, Any] = {
        "array": [],
        "boolean": False,
        "integer": 0,
        "number": 0,
        "null": None,
    }
    return defaults.get(kind, text) if isinstance(kind, str) else text


# -- writing replies -----------------------------------------------------------


def _words(text: str) -> list[str]:
    """Split text into pieces that join back to exactly ``text``."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


class FakeAnthropic:
    """A Messages API on ``host:port`` answering with scripted replies.

    Thread-safe: the HTTP server runs in a daemon thread while the caller
    queues replies and inspects ``requests``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str = DEMO_API_KEY,
        keep: int = 200,
        max_body: int = 16 << 20,
    ) -> None:
        self.host = host
        self.port = port
        #: The only key accepted (``x-api-key`` or ``Authorization: Bearer``): anything
        #: else on this machine that finds the port gets 401. Demo mode makes it random.
        self.api_key = api_key
        #: Largest request body read; larger ones get 413 unread.
        self.max_body = max_body
        #: The newest ``keep`` ``POST …/messages`` bodies received, oldest first
        #: (bounded: a long demo must not grow the server; demo mode keeps none).
        self.requests: deque[Json] = deque(maxlen=keep)
        #: How many ``POST …/messages`` requests were answered (kept or not).
        self.served = 0
        self._queue: list[Reply] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Value for ``ANTHROPIC_BASE_URL`` (the real port once started)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeAnthropic:
        """Bind and serve in a daemon thread; returns ``self``."""
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, name="fake-anthropic", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def queue(self, *replies: Reply) -> None:
        """Script the next replies to conversation requests, in order."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """How many queued replies are still unused."""
        with self._lock:
            return len(self._queue)

    def conversation(self) -> list[Json]:
        """The received requests that carried tools: the real turns."""
        with self._lock:
            return [r for r in self.requests if r.get("tools")]

    def prompts(self) -> list[str]:
        """The prompt of each conversation request (``""`` for tool results)."""
        return [prompt_of(r) for r in self.conversation()]

    def _reply_for(self, body: Json) -> Reply:
        """Record ``body`` and choose its reply; side requests skip the queue."""
        is_turn = bool(body.get("tools") and body.get("messages"))
        with self._lock:
            self.served += 1
            self.requests.append(body)
            if is_turn and self._queue:
                return self._queue.pop(0)
        return _default_reply(body) if is_turn else _side_reply(body)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_demo{next(self._ids):04d}{uuid.uuid4().hex[:16]}"

    def message(self, body: Json, reply: Text | ToolUse) -> Json:
        """The complete Messages API response for ``reply``."""
        if isinstance(reply, ToolUse):
            block = {
                "type": "tool_use",
                "id": self._new_id("toolu"),
                "name": reply.name,
                "input": reply.input,
            }
        else:
            block = {"type": "text", "text": reply.text}
        return {
            "id": self._new_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": body.get("model") or "claude-demo",
            "content": [block],
            "stop_reason": "tool_use" if isinstance(reply, ToolUse) else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 10},
        }

    def events(self, body: Json, reply: Text | ToolUse) -> Iterator[tuple[str, Json, float]]:
        """The SSE events of ``reply`` as (event name, data, delay before it)."""
        message = self.message(body, reply)
        block = message["content"][0]
        head = {**message, "content": [], "stop_reason": None}
        head["usage"] = {"input_tokens": 10, "output_tokens": 1}
        if block["type"] == "tool_use":
            start = {**block, "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": json.dumps(block["input"])}]
            delay = 0.0
        else:
            start = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": w} for w in _words(block["text"])]
            delay = reply.delay if isinstance(reply, Text) else 0.0
        stop = {"stop_reason": message["stop_reason"], "stop_sequence": None}
        yield "message_start", {"type": "message_start", "message": head}, 0.0
        yield "content_block_start", {**_at0("content_block_start"), "content_block": start}, 0.0
        for delta in deltas:
            yield "content_block_delta", {**_at0("content_block_delta"), "delta": delta}, delay
        yield "content_block_stop", _at0("content_block_stop"), 0.0
        usage = {"output_tokens": len(deltas)}
        yield "message_delta", {"type": "message_delta", "delta": stop, "usage": usage}, 0.0
        yield "message_stop", {"type": "message_stop"}, 0.0


def _at0(kind: str) -> Json:
    """Start of a content-block event: every reply has one block, index 0."""
    return {"type": kind, "index": 0}


class _Handler(BaseHTTPRequestHandler):
    """HTTP side of ``FakeAnthropic``; ``api`` is set on a per-server subclass."""

    api: FakeAnthropic
    protocol_version = "HTTP/1.1"  # keep-alive for JSON; SSE responses close

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: test and demo output should stay readable."""

    def _json(self, status: int, data: Any) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if status >= 400:
            self.send_header("request-id", "req_demo")
        self.end_headers()
        self.wfile.write(payload)

    def do_HEAD(self) -> None:
        """Connectivity probes: say yes."""
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        """Probes and listings (e.g. ``/v1/models``): an empty, valid answer."""
        if not self._authorized():
            return
        if self.path.split("?")[0].rstrip("/").endswith("/models"):
            self._json(200, {"data": [], "has_more": False, "first_id": None, "last_id": None})
        else:
            self._json(200, {})

    def _authorized(self) -> bool:
        """The request carries this server's key; else it was answered with 401."""
        given = self.headers.get("x-api-key") or ""
        bearer = self.headers.get("Authorization") or ""
        if bearer.startswith("Bearer "):
            given = given or bearer[len("Bearer ") :]
        if hmac.compare_digest(given.encode(), self.api.api_key.encode()):
            return True
        error = {"type": "authentication_error", "message": "invalid x-api-key"}
        self._json(401, {"type": "error", "error": error})
        return False

    def _discard(self, length: int) -> None:
        """Read an oversized body in small pieces (memory stays flat), then hang up."""
        self.close_connection = True
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                break
            length -= len(chunk)

    def do_POST(self) -> None:
        """``/v1/messages`` (streaming or not), ``count_tokens``; else ``{}``."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= self.api.max_body:
            self._discard(length)
            error = {"type": "request_too_large", "message": "request body too large"}
            self._json(413, {"type": "error", "error": error})
            return
        data = self.rfile.read(length)
        if not self._authorized():
            return
        try:
            body = json.loads(data or b"{}")
        except (ValueError, RecursionError):
            body = None
        path = self.path.split("?")[0].rstrip("/")
        if not isinstance(body, dict):
            error = {"type": "invalid_request_error", "message": "body must be a JSON object"}
            self._json(400, {"type": "error", "error": error})
        elif path.endswith("/count_tokens"):
            self._json(200, {"input_tokens": 100})
        elif not path.endswith("/messages"):
            self._json(200, {})
        else:
            self._answer(body, self.api._reply_for(body))

    def _answer(self, body: Json, reply: Reply) -> None:
        if isinstance(reply, ApiError):
            error = {"type": reply.type, "message": reply.message}
            self._json(reply.status, {"type": "error", "error": error})
        elif not body.get("stream"):
            self._json(200, self.api.message(body, reply))
        else:
            self._stream(self.api.events(body, reply))

    def _stream(self, events: Iterable[tuple[str, Json, float]]) -> None:
        """Send server-sent events; stop quietly when the CLI hangs up (Esc)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            for name, data, delay in events:
                if delay:
                    time.sleep(delay)
                self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
                self.wfile.flush()
        except ConnectionError:
            pass


# -- pointing the CLI at it ----------------------------------------------------


def claude_env(fake_url: str, home: str | Path, api_key: str = DEMO_API_KEY) -> dict[str, str]:
    """Environment that points the real CLI at ``fake_url`` with a private HOME.

    Merge it over ``os.environ`` (PATH, TERM, …). HOME is replaced so the
    user's own ``~/.claude.json`` and ``~/.claude/`` are never read or written.
    """
    return {
        "ANTHROPIC_BASE_URL": fake_url,
        "ANTHROPIC_API_KEY": api_key,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "HOME": str(home),
    }


def prepare_home(
    home: str | Path,
    cwds: Iterable[str | Path] = (),
    approve_key: bool = True,
    trust: bool = True,
    api_key: str = DEMO_API_KEY,
) -> Path:
    """Write ``HOME/.claude.json`` so the CLI starts straight at its prompt.

    Onboarding is marked done (without it the CLI checks api.anthropic.com
    itself, ignoring ANTHROPIC_BASE_URL, and exits offline). ``approve_key``
    pre-approves ``api_key`` (else: "Do you want to use this API key?", whose
    default is "No"); ``trust`` marks each cwd trusted (else: the trust
    dialog, shown first). An existing file is updated, not replaced, so this
    can be called again for new cwds. Returns the file's path.
    """
    path = Path(home) / ".claude.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    config: Json = json.loads(path.read_text()) if path.exists() else {}
    config["hasCompletedOnboarding"] = True
    responses = config.setdefault("customApiKeyResponses", {"approved": [], "rejected": []})
    tail = api_key[-20:]
    for answer in ("approved", "rejected"):
        responses[answer] = [k for k in responses.get(answer, []) if k != tail]
    if approve_key:
        responses["approved"].append(tail)
    projects = config.setdefault("projects", {})
    for cwd in cwds:
        projects.setdefault(str(Path(cwd).resolve()), {})["hasTrustDialogAccepted"] = trust
    path.write_text(json.dumps(config, indent=2))
    return path


def main(argv: list[str] | None = None) -> None:
    """Serve in the foreground until Ctrl-C, printing the URL first."""
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_ccmanager.server.demo",
        description="Fake Anthropic Messages API for the claude CLI (demo mode).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args(argv)
    with FakeAnthropic(args.host, args.port) as api:
        print(api.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
