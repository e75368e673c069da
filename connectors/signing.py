"""Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature).

signature = base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), sent as ``v1,<sig>``;
a ``whsec_``-prefixed secret carries the key in base64, any other string is the key itself
(``connectors.secrets.secret_key``). Headers are read with ``connectors.webhook_auth``: a
malformed one is a ``SignatureError`` (401), never a crash.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from connectors.base import SignatureError
from connectors.secrets import MIN_SECRET_CHARS, WeakSecretError, secret_key
from connectors.webhook_auth import check_fresh, hmac_b64, require, same, timestamp

MAX_SIGNATURES = 8


def sign(secret: str, msg_id: str, ts: int, body: bytes) -> str:
    payload = f"{msg_id}.{ts}.".encode() + body
    return "v1," + hmac_b64(secret_key(secret), payload, "sha256")


def signed_headers(
    secret: str, msg_id: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    ts = int(now if now is not None else time.time())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
    }


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, tolerance: int = 300,
    now: float | None = None,
) -> str:
    """Return the webhook id, or raise ``SignatureError`` saying why it is refused.

    A secret too weak to be a key (settings refuse those at start-up) verifies nothing:
    with an empty key anyone can compute the signature.
    """
    try:
        key_length = len(secret_key(secret))
    except WeakSecretError as exc:
        raise SignatureError("the configured webhook secret is not usable") from exc
    if key_length < MIN_SECRET_CHARS:
        raise SignatureError("the configured webhook secret is too short to verify anything")
    msg_id = require(headers, "webhook-id", max_chars=255)
    ts = timestamp(require(headers, "webhook-timestamp", max_chars=32), "webhook-timestamp")
    sig_header = require(headers, "webhook-signature", max_chars=1024)
    check_fresh(ts, tolerance, now, "webhook-timestamp")
    expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
    for candidate in sig_header.split()[:MAX_SIGNATURES]:
        version, _, value = candidate.partition(",")
        if version == "v1" and same(value, expected):
            return msg_id
    raise SignatureError("signature does not match")
