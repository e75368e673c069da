"""Small pieces every webhook check shares: header reads, timestamps, HMACs, constant-time
compares.

A header that is missing, not printable ASCII or absurdly long is a refused request (401),
never an exception that would surface as a 500: servers decode header bytes as latin-1, so a
non-ASCII byte arrives as a non-ASCII character, and ``hmac.compare_digest`` raises a
``TypeError`` on non-ASCII ``str``. A timestamp of 401 digits overflowed a float.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping

from pydantic import SecretStr

from connectors.base import SignatureError

MAX_HEADER_CHARS = 512
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")
_UNIX_SECONDS = re.compile(r"^\d{1,12}$")


def header(headers: Mapping[str, str], name: str,
           max_chars: int = MAX_HEADER_CHARS) -> str | None:
    """Case-insensitive header value, or None when absent, empty, too long or not printable
    ASCII."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            value = value.strip()
            if not value or len(value) > max_chars or not _PRINTABLE_ASCII.match(value):
                return None
            return value
    return None


def require(headers: Mapping[str, str], name: str, max_chars: int = MAX_HEADER_CHARS) -> str:
    value = header(headers, name, max_chars)
    if value is None:
        raise SignatureError(f"missing or malformed {name} header")
    return value


def timestamp(raw: str, name: str = "timestamp") -> int:
    """Unix seconds written as 1-12 ASCII digits (no sign, spaces, underscores or exponent)."""
    if not _UNIX_SECONDS.match(raw):
        raise SignatureError(f"{name} is not a Unix time in seconds")
    return int(raw)


def check_fresh(ts: float, tolerance: int, now: float | None = None,
                name: str = "timestamp") -> None:
    """Refuse a timestamp outside ``now ± tolerance`` (a replay, or a wrong clock)."""
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        raise SignatureError(f"{name} outside the replay window")


def hmac_b64(key: bytes, message: bytes, digest: str) -> str:
    return base64.b64encode(hmac.new(key, message, getattr(hashlib, digest)).digest()).decode()


def hmac_hex(key: bytes, message: bytes, digest: str) -> str:
    return hmac.new(key, message, getattr(hashlib, digest)).hexdigest()


def same(given: str, expected: str) -> bool:
    """Constant-time equality of two ASCII strings (anything else is simply unequal)."""
    try:
        return hmac.compare_digest(given.encode("ascii"), expected.encode("ascii"))
    except UnicodeEncodeError:
        return False


def secret_value(secret: SecretStr | None, variable: str) -> str:
    """The configured secret; without one every webhook is refused (never accepted unsigned)."""
    if secret is None:
        raise SignatureError(f"{variable} is not set: refusing unauthenticated webhooks")
    return secret.get_secret_value()


def expect(headers: Mapping[str, str], name: str, expected: str) -> None:
    """Header ``name`` must equal ``expected`` (a signature or a token), in constant time."""
    if not same(require(headers, name), expected):
        raise SignatureError(f"{name} does not match")
