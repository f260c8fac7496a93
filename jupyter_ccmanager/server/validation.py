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
MAX_SIZE = 1000  # largest terminal dimension


def bad_request(message: str, code: str = "BAD_REQUEST") -> InvalidRequest:
    return InvalidRequest(code, message)


def parse_json_object(body: bytes, max_bytes: int = 2 * MAX_TEXT) -> dict[str, Any]:
    """Decode a JSON object body; empty bodies count as ``{}``."""
    if len(body) > max_bytes:
        raise TooLarge("PAYLOAD_TOO_LARGE", f"Request body over {max_bytes} bytes.")
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise bad_request(f"Body is not valid JSON: {err}", "INVALID_JSON") from None
    if not isinstance(value, dict):
        raise bad_request("Body must be a JSON object.", "INVALID_JSON")
    return value


def check_fields(body: dict[str, Any], allowed: set[str]) -> None:
    """Refuse unknown fields: a typo must not be silently ignored."""
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise bad_request(
            f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}.",
            "UNKNOWN_FIELD",
        )


def get_str(body: dict[str, Any], field: str, *, max_len: int = 4096) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"'{field}' must be a string.", "INVALID_TYPE")
    if len(value) > max_len:
        raise TooLarge("PAYLOAD_TOO_LARGE", f"'{field}' is over {max_len} characters.")
    return value


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
    cols = get_number(body, "cols", low=2, high=MAX_SIZE)
    rows = get_number(body, "rows", low=1, high=MAX_SIZE)
    if required and (cols is None or rows is None):
        raise bad_request("'cols' and 'rows' are required.", "INVALID_VALUE")
    return cols, rows


def get_str_list(body: dict[str, Any], field: str, *, max_items: int = 256) -> list[str] | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"'{field}' must be a list of strings.", "INVALID_TYPE")
    if len(value) > max_items or any(len(v) > 8192 or "\0" in v for v in value):
        raise bad_request(f"'{field}' is too long or contains NUL bytes.", "INVALID_VALUE")
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
    return value


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise bad_request(
            "Names are 1-64 characters of letters, digits, '.', '_' and '-', "
            "starting with a letter or digit.",
            "INVALID_NAME",
        )
    return name
