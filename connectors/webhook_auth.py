"""Small pieces every vendor's webhook check shares: header reads, HMACs, constant-time compares.

A header that is missing, not ASCII or absurdly long is a refused request (401), never an
exception that would surface as a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from pydantic import SecretStr

from connectors.base import SignatureError

MAX_HEADER_CHARS = 512


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header value, or None when absent, empty, too long or not ASCII."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            value = value.strip()
            if not value or len(value) > MAX_HEADER_CHARS or not value.isascii():
                return None
            return value
    return None


def require(headers: Mapping[str, str], name: str) -> str:
    value = header(headers, name)
    if value is None:
        raise SignatureError(f"missing or malformed {name} header")
    return value


def secret_value(secret: SecretStr | None, variable: str) -> str:
    """The configured secret; without one every webhook is refused (never accepted unsigned)."""
    if secret is None:
        raise SignatureError(f"{variable} is not set: refusing unauthenticated webhooks")
    return secret.get_secret_value()


def expect(headers: Mapping[str, str], name: str, expected: str) -> None:
    """Header ``name`` must equal ``expected`` (a signature or a token), in constant time."""
    if not same(require(headers, name), expected):
        raise SignatureError(f"{name} does not match")


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
