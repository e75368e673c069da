"""Strict JSON for webhook payloads: what the store cannot hold is refused with the field.

Python's ``json`` accepts things our stores do not: ``NaN`` and ``Infinity`` (PostgreSQL's
JSON refuses them, SQLite stores them), integers of thousands of digits (a ``ValueError``
past 4,300 digits), lone UTF-16 surrogates (no UTF-8 encoding exists), NUL characters
(PostgreSQL text cannot hold them) and nesting deep enough to exhaust the recursion limit.
Each of those became a 500, which a signed sender retries forever. Every connector parses its
body with :func:`load_json` and checks values with :func:`check_value`, so each is a
:class:`~connectors.base.PayloadError` (422 naming the field) on every store alike.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from connectors.base import PayloadError

MAX_DEPTH = 32  # for a value such as metadata; a whole body may nest twice as deep
MAX_INT_DIGITS = 100  # parsing bound (int() of huge digit strings is quadratic); see check_value
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def _refuse_constant(name: str) -> Any:
    raise PayloadError("body", f"{name} is not a JSON number; send a finite number or null")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise PayloadError("body", f"integer of {len(text)} digits is too large")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise PayloadError("body", f"number {text[:20]} is out of range")
    return value


def load_json(body: bytes) -> Any:
    """Parse a webhook body as strict JSON (UTF-8), or raise ``PayloadError`` on ``body``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError("body", f"not UTF-8: {exc.reason} at byte {exc.start}") from exc
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_int=_parse_int,
                           parse_float=_parse_float)
    except json.JSONDecodeError as exc:
        raise PayloadError("body", f"not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise PayloadError("body", f"JSON nested deeper than {MAX_DEPTH} levels") from exc
    return check_value(value, "", max_depth=2 * MAX_DEPTH)


def check_text(value: str, field: str, *, max_chars: int | None = None) -> str:
    """A string the store can hold: no NUL, no lone surrogate, at most ``max_chars``."""
    bad = _BAD_CHARS.search(value)
    if bad is not None:
        what = "NUL character" if bad.group() == "\x00" else "lone UTF-16 surrogate"
        raise PayloadError(field, f"contains a {what} at position {bad.start()}")
    if max_chars is not None and len(value) > max_chars:
        raise PayloadError(field, f"longer than {max_chars} characters ({len(value)})")
    return value


def check_value(value: Any, field: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """A JSON value the store can hold: bounded depth, finite numbers, 64-bit integers, and
    keys and strings without NUL or lone surrogates. The error names the path (``metadata.a.0``;
    ``field=""`` is the whole body).
    """
    stack: list[tuple[Any, str, int]] = [(value, field, 1)]
    while stack:
        item, where, depth = stack.pop()
        path = where or "body"
        if isinstance(item, dict | list) and depth > max_depth:
            raise PayloadError(path[:80], f"nested deeper than {max_depth} levels")
        if isinstance(item, str):
            check_text(item, path)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if item.bit_length() > 63:
                raise PayloadError(path, "integer does not fit in 64 bits")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise PayloadError(path, "not a finite number")
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise PayloadError(path, "object keys must be strings")
                check_text(key, path)
                stack.append((child, _join(where, key[:40]), depth + 1))
        elif isinstance(item, list):
            stack.extend((child, _join(where, str(i)), depth + 1) for i, child in enumerate(item))
        else:
            raise PayloadError(path, f"{type(item).__name__} is not a JSON value")
    return value


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent else child
