from __future__ import annotations

import time

import pytest

from connectors.base import SignatureError
from connectors.signing import sign, signed_headers, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"id":"t1","body":"hello"}'


def test_signature_round_trip_returns_the_webhook_id() -> None:
    assert verify(SECRET, signed_headers(SECRET, "msg_1", BODY), BODY) == "msg_1"


def test_known_standard_webhooks_vector() -> None:
    # Example from the Standard Webhooks spec (svix): same secret, id, timestamp and payload.
    body = b'{"test": 2432232314}'
    sig = sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_tampered_body_is_refused() -> None:
    headers = signed_headers(SECRET, "msg_1", BODY)
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, headers, BODY.replace(b"hello", b"hellO"))


def test_wrong_secret_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify("another-secret", signed_headers(SECRET, "m", BODY), BODY)


def test_replayed_old_timestamp_is_refused() -> None:
    old = signed_headers(SECRET, "m", BODY, now=time.time() - 301)
    with pytest.raises(SignatureError, match="replay window"):
        verify(SECRET, old, BODY)


def test_missing_headers_are_refused() -> None:
    with pytest.raises(SignatureError, match="missing"):
        verify(SECRET, {"webhook-id": "m"}, BODY)


def test_any_of_several_signatures_may_match() -> None:
    h = signed_headers(SECRET, "m", BODY)
    h["webhook-signature"] = "v1,AAAA " + h["webhook-signature"]
    assert verify(SECRET, h, BODY) == "m"
