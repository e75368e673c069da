"""Zendesk webhook signatures.

Zendesk signs ``timestamp + raw body`` with HMAC-SHA256 under the webhook's signing secret
(the secret string itself is the key) and sends the base64 digest in
``X-Zendesk-Webhook-Signature``, the timestamp (ISO 8601, e.g. ``2021-07-25T10:00:00Z``) in
``X-Zendesk-Webhook-Signature-Timestamp``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

from connectors.base import SignatureError
from connectors.webhook_auth import expect, hmac_b64, require

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac_b64(secret.encode(), timestamp.encode() + body, "sha256")


def timestamp_of(when: float) -> str:
    return datetime.fromtimestamp(int(when), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    ts = timestamp_of(time.time() if now is None else now)
    return {SIGNATURE_HEADER: sign(secret, ts, body), TIMESTAMP_HEADER: ts,
            "content-type": "application/json"}


def _parse_timestamp(raw: str) -> float:
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, tolerance: int = 300,
           now: float | None = None) -> None:
    """Raise ``SignatureError`` saying why, unless the request is Zendesk's and recent."""
    require(headers, SIGNATURE_HEADER)
    timestamp = require(headers, TIMESTAMP_HEADER)
    current = time.time() if now is None else now
    if abs(current - _parse_timestamp(timestamp)) > tolerance:
        raise SignatureError(f"{TIMESTAMP_HEADER} outside the replay window")
    expect(headers, SIGNATURE_HEADER, sign(secret, timestamp, body))
