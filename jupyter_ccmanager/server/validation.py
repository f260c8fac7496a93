"""Checks for everything a client can send.

Request parsing goes through these helpers so that every malformed request
gets the same kind of answer: an :class:`~jupyter_ccmanager.server.errors.InvalidRequest`
(or ``TooLarge``) with a stable ``code`` and a human message, raised before
anything is changed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jupyter_ccmanager.server.errors import InvalidRequest, TooLarge

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")

MAX_TEXT = 1 << 20  # largest text field (input data, prompt) in characters

#: The one terminal size limit, checked on every path (REST, WebSocket, JupyterLab's
#: terminal panel, resume). Wide enough for any real screen (a 4K display at a small
#: font is ~400x120), small enough that a session's screen model (a row per line,
#: redrawn on every change) stays cheap: 500x200 is 100k cells, 1000x1000 was 1M.
MAX_COLS = 500
MAX_ROWS = 200
MIN_COLS = 2
MIN_ROWS = 1


def bad_request(message: str, code: str = "BAD_REQUEST") -> InvalidRequest:
    return InvalidRequest(code, message)


def parse_json_object(body: bytes, max_bytes: int = 2 * MAX_TEXT) -> dict[str, Any]:
    """Decode a JSON object body; empty bodies count as ``{}``."""
    if len(body) > max_bytes:
        raise TooLarge("PAYLOAD_TOO_LARGE", f"Request body over {max_bytes} bytes.")
    if not body.strip():
        return {}
    return _json_object(body)


def _json_object(text: bytes | str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except RecursionError:  # deeply nested arrays or objects
        raise bad_request("Body is nested too deeply.", "INVALID_JSON") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise bad_request(f"Body is not valid JSON: {err}", "INVALID_JSON") from None
    if not isinstance(value, dict):
        raise bad_request("Body must be a JSON object.", "INVALID_JSON")
    return value


def parse_json_message(text: str | bytes) -> dict[str, Any]:
    """A WebSocket text message: a JSON object, refused like a REST body."""
    return _json_object(text)


def check_text(value: str, field: str, *, nul: bool = True) -> str:
    """Refuse what cannot reach a process: lone surrogates (no UTF-8 for them) and,
    unless ``nul``, NUL bytes (argv, environment and paths end at the first NUL)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request(
            f"'{field}' is not valid Unicode text (a lone surrogate).", "INVALID_VALUE"
        ) from None
    if not nul and "\0" in value:
        raise bad_request(f"'{field}' contains a NUL character.", "INVALID_VALUE")
    return value


def check_size(cols: Any, rows: Any) -> tuple[int, int]:
    """The terminal size limit: integers in [MIN_COLS, MAX_COLS] x [MIN_ROWS, MAX_ROWS]."""
    limits = ((cols, "cols", MIN_COLS, MAX_COLS), (rows, "rows", MIN_ROWS, MAX_ROWS))
    for value, name, low, high in limits:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"'{name}' must be an integer.", "INVALID_TYPE")
        if not low <= value <= high:
            raise bad_request(f"'{name}' must be between {low} and {high}.", "INVALID_VALUE")
    return cols, rows


def check_fields(body: dict[str, Any], allowed: set[str]) -> None:
    """Refuse unknown fields: a typo must not be silently ignored."""
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise bad_request(
            f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}.",
            "UNKNOWN_FIELD",
        )


def get_str(
    body: dict[str, Any], field: str, *, max_len: int = 4096, nul: bool = True
) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"'{field}' must be a string.", "INVALID_TYPE")
    if len(value) > max_len:
        raise TooLarge("PAYLOAD_TOO_LARGE", f"'{field}' is over {max_len} characters.")
    return check_text(value, field, nul=nul)


def get_bool(body: dict[str, Any], field: str, default: bool = False) -> bool:
    value = body.get(field, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"'{field}' must be true or false.", "INVALID_TYPE")
    return value


def get_number(
    body: dict[str, Any], field: str, *, low: float, high: float, integer: bool = True
) -> Any:
    value = body.get(field)
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an integer" if integer else "a number"
        raise bad_request(f"'{field}' must be {kind}.", "INVALID_TYPE")
    if not low <= value <= high:
        raise bad_request(f"'{field}' must be between {low} and {high}.", "INVALID_VALUE")
    return value


def get_size(body: dict[str, Any], *, required: bool = False) -> tuple[int | None, int | None]:
    cols, rows = body.get("cols"), body.get("rows")
    if required and (cols is None or rows is None):
        raise bad_request("'cols' and 'rows' are required.", "INVALID_VALUE")
    check_size(MIN_COLS if cols is None else cols, MIN_ROWS if rows is None else rows)
    return cols, rows


def get_str_list(body: dict[str, Any], field: str, *, max_items: int = 256) -> list[str] | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"'{field}' must be a list of strings.", "INVALID_TYPE")
    if len(value) > max_items or any(len(v) > 8192 or "\0" in v for v in value):
        raise bad_request(f"'{field}' is too long or contains NUL bytes.", "INVALID_VALUE")
    for item in value:
        check_text(item, field)
    return value


def get_str_dict(
    body: dict[str, Any], field: str, *, max_items: int = 128, key_re: re.Pattern[str] | None = None
) -> dict[str, str] | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise bad_request(f"'{field}' must be an object of strings.", "INVALID_TYPE")
    if len(value) > max_items:
        raise bad_request(f"'{field}' has more than {max_items} entries.", "INVALID_VALUE")
    for k, v in value.items():
        if len(k) > 128 or len(v) > 32768 or "\0" in k or "\0" in v:
            raise bad_request(
                f"'{field}' has an oversized or NUL-containing entry.", "INVALID_VALUE"
            )
        if key_re is not None and not key_re.match(k):
            raise bad_request(f"'{field}' has an invalid key: {k!r}.", "INVALID_VALUE")
        check_text(k, field)
        check_text(v, field)
    return value


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise bad_request(
            "Names are 1-64 characters of letters, digits, '.', '_' and '-', "
            "starting with a letter or digit.",
            "INVALID_NAME",
        )
    return name
