"""Typed requests: each client body parsed once, at the edge, into a value.

Handlers (REST and WebSocket) turn a JSON body into one of these dataclasses
with ``parse``; everything a body can get wrong (unknown fields, types,
ranges, sizes, fields that exclude each other) is refused there with an
:class:`~jupyter_ccmanager.server.errors.InvalidRequest`. The manager takes
only these values, and checks only what needs the server's state (is the
agent known, is the name free, is the cwd inside the root).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from jupyter_ccmanager.server import validation as v
from jupyter_ccmanager.server.state.states import STATES

Body = dict[str, Any]


def _fields(body: Body, allowed: frozenset[str]) -> Body:
    v.check_fields(body, set(allowed))
    return body


@dataclass(frozen=True)
class Policy:
    """Permission rules for a claude session, given to the CLI as its own settings.

    ``allow``/``deny`` are Claude Code permission rules (``"Bash(git status:*)"``,
    ``"Read"``), ``permission_mode`` its ``--permission-mode``.
    """

    FIELDS: ClassVar[frozenset[str]] = frozenset({"allow", "deny", "permission_mode"})
    MODES: ClassVar[tuple[str, ...]] = ("default", "acceptEdits", "plan", "bypassPermissions")

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    permission_mode: str | None = None

    @classmethod
    def parse(cls, value: Any) -> Policy:
        if not isinstance(value, dict):
            raise v.bad_request("'policy' must be an object.", "INVALID_TYPE")
        v.check_fields(value, set(cls.FIELDS))
        mode = v.get_str(value, "permission_mode", max_len=32)
        if mode is not None and mode not in cls.MODES:
            raise v.bad_request(f"'permission_mode' must be one of {', '.join(cls.MODES)}.",
                                "INVALID_VALUE")  # fmt: skip
        rules = {}
        for name in ("allow", "deny"):
            items = v.get_str_list(value, name) or []
            if any(not rule.strip() or len(rule) > 1024 for rule in items):
                raise v.bad_request(f"'{name}' rules must be non-empty strings.", "INVALID_VALUE")
            rules[name] = tuple(items)
        return cls(allow=rules["allow"], deny=rules["deny"], permission_mode=mode)

    def to_json(self) -> dict[str, Any]:
        return {"allow": list(self.allow), "deny": list(self.deny),
                "permission_mode": self.permission_mode}  # fmt: skip


@dataclass(frozen=True)
class CreateRequest:
    """``POST sessions``."""

    FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"name", "agent", "command", "args", "cwd", "env", "cols", "rows", "key", "labels",
         "worktree", "policy"}
    )  # fmt: skip

    name: str | None = None
    agent: str | None = None
    command: list[str] | None = None
    args: list[str] = field(default_factory=list)
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    cols: int | None = None
    rows: int | None = None
    key: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    worktree: bool = False
    policy: Policy | None = None

    @classmethod
    def parse(cls, body: Body) -> CreateRequest:
        _fields(body, cls.FIELDS)
        name = v.get_str(body, "name", max_len=64)
        agent = v.get_str(body, "agent", max_len=64)
        command = v.get_str_list(body, "command")
        if command is not None:
            if agent not in (None, "command"):
                raise v.bad_request("Give either 'agent' or 'command', not both.")
            if not command:
                raise v.bad_request("'command' must not be empty.", "INVALID_VALUE")
            agent = "command"
        cols, rows = v.get_size(body)
        return cls(
            name=v.check_name(name) if name is not None else None,
            agent=agent,
            command=command,
            args=v.get_str_list(body, "args") or [],
            cwd=v.get_str(body, "cwd", max_len=4096, nul=False),
            env=v.get_str_dict(body, "env", key_re=v.ENV_NAME_RE) or {},
            cols=cols,
            rows=rows,
            key=v.get_str(body, "key", max_len=256, nul=False),
            labels=v.get_str_dict(body, "labels") or {},
            worktree=v.get_bool(body, "worktree"),
            policy=Policy.parse(body["policy"]) if body.get("policy") is not None else None,
        )


@dataclass(frozen=True)
class UpdateRequest:
    """``PATCH sessions/{id}``: rename, relabel."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"name", "labels"})

    name: str | None = None
    labels: dict[str, str] | None = None

    @classmethod
    def parse(cls, body: Body) -> UpdateRequest:
        _fields(body, cls.FIELDS)
        name = v.get_str(body, "name", max_len=64)
        return cls(
            name=v.check_name(name) if name is not None else None,
            labels=v.get_str_dict(body, "labels"),
        )


@dataclass(frozen=True)
class InputRequest:
    """``POST sessions/{id}/input``, and the WebSocket's ``input`` message."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"data"})

    data: bytes

    @classmethod
    def parse(cls, body: Body, max_len: int = v.MAX_TEXT) -> InputRequest:
        _fields(body, cls.FIELDS)
        data = v.get_str(body, "data", max_len=max_len)
        if data is None:
            raise v.bad_request("'data' is required.", "INVALID_VALUE")
        return cls(data.encode("utf-8"))  # get_str refused what has no UTF-8


@dataclass(frozen=True)
class ResizeRequest:
    """``POST sessions/{id}/resize``, and the WebSocket's ``resize`` message."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"cols", "rows"})

    cols: int
    rows: int

    @classmethod
    def parse(cls, body: Body) -> ResizeRequest:
        _fields(body, cls.FIELDS)
        cols, rows = v.get_size(body, required=True)
        assert cols is not None and rows is not None  # required=True
        return cls(cols, rows)


@dataclass(frozen=True)
class InterruptRequest:
    """``POST sessions/{id}/interrupt``: no fields."""

    FIELDS: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def parse(cls, body: Body) -> InterruptRequest:
        _fields(body, cls.FIELDS)
        return cls()


@dataclass(frozen=True)
class StopRequest:
    """``POST sessions/{id}/stop``."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"force"})

    force: bool = False

    @classmethod
    def parse(cls, body: Body) -> StopRequest:
        _fields(body, cls.FIELDS)
        return cls(force=v.get_bool(body, "force"))


@dataclass(frozen=True)
class ResumeRequest:
    """``POST sessions/{id}/resume``: the environment is never stored, so it comes again."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"env", "cols", "rows"})

    env: dict[str, str] = field(default_factory=dict)
    cols: int | None = None
    rows: int | None = None

    @classmethod
    def parse(cls, body: Body) -> ResumeRequest:
        _fields(body, cls.FIELDS)
        cols, rows = v.get_size(body)
        return cls(
            env=v.get_str_dict(body, "env", key_re=v.ENV_NAME_RE) or {}, cols=cols, rows=rows
        )


@dataclass(frozen=True)
class PromptRequest:
    """``POST sessions/{id}/prompt``."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"text", "timeout", "wait"})
    DEFAULT_TIMEOUT: ClassVar[float] = 600.0

    text: str
    timeout: float = DEFAULT_TIMEOUT
    wait: bool = True

    @classmethod
    def parse(cls, body: Body) -> PromptRequest:
        _fields(body, cls.FIELDS)
        text = v.get_str(body, "text", max_len=v.MAX_TEXT)
        if not text:
            raise v.bad_request("'text' is required.", "INVALID_VALUE")
        timeout = v.get_number(body, "timeout", low=0.1, high=86400, integer=False)
        return cls(
            text=text,
            timeout=float(timeout) if timeout is not None else cls.DEFAULT_TIMEOUT,
            wait=v.get_bool(body, "wait", default=True),
        )


@dataclass(frozen=True)
class AnswerRequest:
    """``POST sessions/{id}/answer``: pick one of the pending question's options."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"choice", "text", "serial", "wait", "timeout"})
    DEFAULT_TIMEOUT: ClassVar[float] = 600.0

    choice: str
    text: str | None = None  # typed after the choice (Claude: what to do instead of a "no")
    serial: int | None = None  # the question's serial as the client saw it
    wait: bool = False  # also wait for the turn to end (idle, or the next question)
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def parse(cls, body: Body) -> AnswerRequest:
        _fields(body, cls.FIELDS)
        choice = v.get_str(body, "choice", max_len=256)
        if not choice or not choice.strip():
            raise v.bad_request("'choice' is required: one of the pending options.",
                                "INVALID_VALUE")  # fmt: skip
        serial = v.get_number(body, "serial", low=0, high=2**53)
        timeout = v.get_number(body, "timeout", low=0.1, high=86400, integer=False)
        return cls(
            choice=choice,
            text=v.get_str(body, "text", max_len=v.MAX_TEXT) or None,
            serial=int(serial) if serial is not None else None,
            wait=v.get_bool(body, "wait"),
            timeout=float(timeout) if timeout is not None else cls.DEFAULT_TIMEOUT,
        )


#: A branch name as ``into`` may give it (git check-ref-format decides the rest).
BRANCH_RE = re.compile(r"^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,255}$")


@dataclass(frozen=True)
class DiffQuery:
    """``GET sessions/{id}/diff?format=json|stat|patch``."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"format"})
    FORMATS: ClassVar[tuple[str, ...]] = ("json", "stat", "patch")

    format: str = "json"

    @classmethod
    def parse(cls, query: dict[str, str]) -> DiffQuery:
        unknown = set(query) - cls.FIELDS
        if unknown:
            raise v.bad_request(f"Unknown argument(s): {', '.join(sorted(unknown))}.",
                                "UNKNOWN_FIELD")  # fmt: skip
        fmt = query.get("format", "json")
        if fmt not in cls.FORMATS:
            raise v.bad_request(f"'format' must be one of {', '.join(cls.FORMATS)}.",
                                "INVALID_VALUE")  # fmt: skip
        return cls(format=fmt)


@dataclass(frozen=True)
class CommitRequest:
    """``POST sessions/{id}/commit``: commit everything in the worktree."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"message"})

    message: str

    @classmethod
    def parse(cls, body: Body) -> CommitRequest:
        _fields(body, cls.FIELDS)
        message = v.get_str(body, "message", max_len=65536)
        if not message or not message.strip():
            raise v.bad_request("'message' is required.", "INVALID_VALUE")
        return cls(message)


@dataclass(frozen=True)
class MergeRequest:
    """``POST sessions/{id}/merge``: take the session's work into a branch."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"into", "strategy", "commit", "message"})
    STRATEGIES: ClassVar[tuple[str, ...]] = ("merge", "squash", "rebase")

    into: str | None = None
    strategy: str = "merge"
    commit: bool = False  # commit uncommitted work first (else 409 WORKTREE_DIRTY)
    message: str | None = None  # of the merge/squash (and of that first commit)

    @classmethod
    def parse(cls, body: Body) -> MergeRequest:
        _fields(body, cls.FIELDS)
        into = v.get_str(body, "into", max_len=255)
        if into is not None and not BRANCH_RE.match(into):
            raise v.bad_request(f"'into' is not a branch name: {into!r}.", "INVALID_BRANCH")
        strategy = v.get_str(body, "strategy", max_len=16) or "merge"
        if strategy not in cls.STRATEGIES:
            raise v.bad_request(f"'strategy' must be one of {', '.join(cls.STRATEGIES)}.",
                                "INVALID_VALUE")  # fmt: skip
        message = v.get_str(body, "message", max_len=65536)
        return cls(into=into, strategy=strategy, commit=v.get_bool(body, "commit"),
                   message=message if message and message.strip() else None)  # fmt: skip


@dataclass(frozen=True)
class ListQuery:
    """``GET sessions`` filters."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"state", "key", "user"})

    state: str | None = None
    key: str | None = None
    user: str | None = None

    @classmethod
    def parse(cls, query: dict[str, str]) -> ListQuery:
        unknown = set(query) - cls.FIELDS
        if unknown:
            raise v.bad_request(
                f"Unknown filter(s): {', '.join(sorted(unknown))}.", "UNKNOWN_FIELD"
            )
        state = query.get("state")
        if state is not None and state not in STATES:
            raise v.bad_request(f"Unknown state {state!r}; one of {', '.join(STATES)}.")
        return cls(state=state, key=query.get("key"), user=query.get("user"))


@dataclass(frozen=True)
class OutputQuery:
    """``GET sessions/{id}/output``: raw bytes from ``offset``, at most ``limit``."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"offset", "limit"})
    DEFAULT_LIMIT: ClassVar[int] = 16 << 20

    offset: int = 0
    limit: int = DEFAULT_LIMIT

    @classmethod
    def parse(cls, query: dict[str, str]) -> OutputQuery:
        return cls(
            offset=_non_negative(query.get("offset", "0"), "offset"),
            limit=_non_negative(query.get("limit", str(cls.DEFAULT_LIMIT)), "limit"),
        )


def _non_negative(raw: str, name: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise v.bad_request(f"'{name}' must be a non-negative integer.", "INVALID_VALUE")
    return value
