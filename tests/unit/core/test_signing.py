from __future__ import annotations

import time

import pytest

from connectors.base import SignatureError
from connectors.signing import sign, signed_headers, verify
from connectors.webhook_auth import check_fresh, hmac_b64, same

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
        verify("another-secret-long-enough", signed_headers(SECRET, "m", BODY), BODY)


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


# --- defensive header parsing: every malformed header is a SignatureError, never a crash ----


def _with(**changes: str) -> dict[str, str]:
    headers = signed_headers(SECRET, "msg_1", BODY)
    headers.update({k.replace("_", "-"): v for k, v in changes.items()})
    return headers


@pytest.mark.parametrize("value", [
    "1" * 401, "+1700000000", " 1700000000", "1_700_000_000", "1e9", "-5", "0x10", "١٧٠٠٠٠٠٠٠٠",
    "1700000000.5", "",
])
def test_malformed_timestamps_are_refused(value: str) -> None:
    with pytest.raises(SignatureError):
        verify(SECRET, _with(webhook_timestamp=value), BODY)


@pytest.mark.parametrize("name,value", [
    ("webhook_signature", "v1,\u00ff\u00fe" + "A" * 40),   # a latin-1 byte as a server decodes it
    ("webhook_signature", "v1,ü"),
    ("webhook_id", "msg_\u00e9"),
    ("webhook_id", "m" * 256),
    ("webhook_signature", "v1," + "A" * 5000),
    ("webhook_id", "msg\x00"),
])
def test_non_ascii_oversized_or_control_headers_are_refused(name: str, value: str) -> None:
    with pytest.raises(SignatureError):
        verify(SECRET, _with(**{name: value}), BODY)


def test_a_signature_buried_after_many_candidates_is_not_searched_forever() -> None:
    headers = signed_headers(SECRET, "m", BODY)
    headers["webhook-signature"] = " ".join(["v1,AAAA"] * 20 + [headers["webhook-signature"]])
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, headers, BODY)


def test_header_lookup_is_case_insensitive() -> None:
    headers = {k.upper(): v for k, v in signed_headers(SECRET, "m", BODY).items()}
    assert verify(SECRET, headers, BODY) == "m"


@pytest.mark.parametrize("weak,key", [("whsec_", b""), ("whsec_QUJD", b"ABC"), ("", b""),
                                      ("a", b"a"), ("hunter2", b"hunter2")])
def test_a_weak_secret_verifies_nothing_even_when_the_signature_matches(weak: str,
                                                                        key: bytes) -> None:
    ts = int(time.time())
    forged = {"webhook-id": "m", "webhook-timestamp": str(ts),
              "webhook-signature": "v1," + hmac_b64(key, f"m.{ts}.".encode() + BODY, "sha256")}
    with pytest.raises(SignatureError, match="secret"):
        verify(weak, forged, BODY)


@pytest.mark.parametrize("weak", ["whsec_!!!!", "whsec_abc"])
def test_an_undecodable_whsec_secret_is_a_signature_error_not_a_crash(weak: str) -> None:
    with pytest.raises(SignatureError, match="secret"):
        verify(weak, signed_headers(SECRET, "m", BODY), BODY)


def test_same_signature_is_false_for_non_ascii_instead_of_raising() -> None:
    assert same("abc", "abc")
    assert not same("äbc", "abc")
    assert not same("abd", "abc")


@pytest.mark.parametrize("ts,now,ok", [(1000, 1300, True), (1000, 1301, False),
                                       (1301, 1000, False)])
def test_check_fresh_window_both_ways(ts: int, now: float, ok: bool) -> None:
    if ok:
        check_fresh(ts, 300, now)
    else:
        with pytest.raises(SignatureError, match="replay window"):
            check_fresh(ts, 300, now)
