"""Help Scout contract: X-HelpScout-Signature, events, OAuth2 refresh, replies and hand-off."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import AgentReply, FollowUp, Ignored, NewTicket, PayloadError, SignatureError
from connectors.helpscout.connector import HelpScoutConnector, sign
from connectors.helpscout.settings import HelpScoutSettings
from router.domain import OutgoingReply
from tests.contract.conftest import refused_then_accepted
from tests.contract.fakes.helpscout import (
    APP_ID,
    APP_SECRET,
    CUSTOMER_ID,
    SECRET,
    TEAM_ID,
    FakeHelpScout,
)


@pytest.fixture
def hs() -> Iterator[FakeHelpScout]:
    with FakeHelpScout() as fake:
        yield fake


def settings_for(hs: FakeHelpScout, **extra: object) -> HelpScoutSettings:
    values: dict[str, object] = {
        "secret": SECRET, "app_id": APP_ID, "app_secret": APP_SECRET, "base_url": hs.url,
        "escalation_assignee_id": str(TEAM_ID), "retry_backoff_seconds": 0.01,
        "timeout_seconds": 2, **extra}
    return HelpScoutSettings(**values)  # type: ignore[arg-type]


def out(cid: int, text: str, customer: int | None = CUSTOMER_ID) -> OutgoingReply:
    meta = {"helpscout_customer_id": str(customer)} if customer else {}
    return OutgoingReply(ticket_id=1, external_id=str(cid), text=text, kind="reply",
                         thread_id=str(cid), metadata=meta)


BODY = b'{"id": 880001, "subject": "Hi"}'


def test_signature_is_base64_hmac_sha1_of_the_raw_body() -> None:
    """Help Scout documents the recipe but publishes no worked example (body, secret and
    signature): the expected value comes from the recipe, computed with ``hmac`` itself."""
    expected = base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha1).digest()).decode()
    assert sign(SECRET, BODY) == expected
    c = HelpScoutConnector(HelpScoutSettings(secret=SECRET))  # type: ignore[arg-type]
    c.verify({"x-helpscout-signature": expected}, BODY)
    for bad in ({}, {"X-HelpScout-Signature": expected.rstrip("=")},
                {"X-HelpScout-Signature": "ü" + expected[1:]}):
        with pytest.raises(SignatureError):
            c.verify(bad, BODY)
    with pytest.raises(SignatureError, match="DESKROUTE_HELPSCOUT_SECRET"):
        HelpScoutConnector(HelpScoutSettings()).verify({"X-HelpScout-Signature": expected}, BODY)


@settings(max_examples=80, deadline=None)
@given(data=st.data(), in_body=st.booleans())
def test_any_changed_body_byte_or_signature_character_is_refused(data: st.DataObject,
                                                                 in_body: bool) -> None:
    c = HelpScoutConnector(HelpScoutSettings(secret=SECRET))  # type: ignore[arg-type]
    sig, body = sign(SECRET, BODY), BODY
    if in_body:
        pos = data.draw(st.integers(0, len(BODY) - 1))
        changed = bytearray(BODY)
        changed[pos] = (changed[pos] + data.draw(st.integers(1, 255))) % 256
        body = bytes(changed)
    else:
        pos = data.draw(st.integers(0, len(sig) - 1))
        char = data.draw(st.characters(min_codepoint=33, max_codepoint=126).filter(
            lambda ch: ch != sig[pos]))
        sig = sig[:pos] + char + sig[pos + 1:]
    with pytest.raises(SignatureError):
        c.verify({"X-HelpScout-Signature": sig}, body)


@pytest.mark.parametrize("embed", [True, False])
def test_created_and_customer_reply(hs: FakeHelpScout, embed: bool) -> None:
    c = HelpScoutConnector(settings_for(hs))
    cid = hs.start("Shipping", "<p>Do you ship to <b>Spain</b>?</p>")
    new = c.parse(*reversed(FakeHelpScout.signed(hs.payload(cid, embed), "convo.created")))
    assert isinstance(new, NewTicket)
    t = new.ticket
    assert (t.external_id, t.thread_id, t.subject, t.body, t.requester) == (
        str(cid), str(cid), "Shipping", "Do you ship to Spain?", "ann@customer.example")
    assert t.metadata["helpscout_customer_id"] == str(CUSTOMER_ID)
    tid = hs.add_thread(cid, "customer", "<p>And to Portugal?</p><blockquote>old</blockquote>")
    follow = c.parse(*reversed(FakeHelpScout.signed(hs.payload(cid, embed),
                                                    "convo.customer.reply.created")))
    assert isinstance(follow, FollowUp)
    assert follow.ticket.external_id == f"{cid}:{tid}" and follow.ticket.body == "And to Portugal?"
    assert bool(hs.calls("GET", "/threads")) is not embed  # fetched only when not embedded


def test_agent_replies_notes_and_agent_started_conversations_are_ignored(
        hs: FakeHelpScout) -> None:
    c = HelpScoutConnector(settings_for(hs))
    cid = hs.start("Q", "<p>q</p>")
    for event in ("convo.note.created", "convo.assigned"):
        ev = c.parse(*reversed(FakeHelpScout.signed(hs.payload(cid), event)))
        assert isinstance(ev, Ignored) and event in ev.reason
    none_yet = c.parse(*reversed(FakeHelpScout.signed(hs.payload(cid),
                                                      "convo.agent.reply.created")))
    assert isinstance(none_yet, Ignored)
    tid = hs.add_thread(cid, "message", "<p>agent answer</p>")
    reply = c.parse(*reversed(FakeHelpScout.signed(hs.payload(cid), "convo.agent.reply.created")))
    assert isinstance(reply, AgentReply)
    assert (reply.thread_id, reply.text, reply.event_id) == (str(cid), "agent answer",
                                                             f"{cid}:{tid}")
    late = c.parse(*reversed(FakeHelpScout.signed(hs.payload(cid), "convo.customer.reply.created")))
    assert isinstance(late, Ignored)
    outbound = hs.start("Renewal", "<p>Your plan renews</p>", started_by="user")
    ev = c.parse(*reversed(FakeHelpScout.signed(hs.payload(outbound), "convo.created")))
    assert isinstance(ev, Ignored) and "agent" in ev.reason
    with pytest.raises(PayloadError):
        c.parse({}, b"{}")


def test_reply_to_the_conversations_customer_and_note(hs: FakeHelpScout) -> None:
    c = HelpScoutConnector(settings_for(hs))
    other, cid = hs.start("O", "<p>o</p>"), hs.start("Q", "<p>q</p>")
    r = c.reply(out(cid, "Yes, we do."))
    assert r.ok and r.status_code == 201 and r.vendor_ref
    assert hs.threads_of(cid, "message") == ["Yes, we do."]
    assert hs.threads_of(other, "message") == []
    assert hs.conversations[cid]["status"] == "pending"
    no_meta = c.reply(out(cid, "Again", customer=None))  # customer read from the API
    assert no_meta.ok
    assert c.note(out(cid, "internal")).ok and hs.threads_of(cid, "note") == ["internal"]


def test_escalation_keeps_tags_assigns_reopens_and_notes(hs: FakeHelpScout) -> None:
    c = HelpScoutConnector(settings_for(hs))
    cid = hs.start("Legal", "<p>I will sue</p>", tags=["vip", "billing"])
    hs.conversations[cid]["status"] = "pending"
    r = c.escalate(out(cid, "Escalated by deskroute: legal_threat"))
    assert r.ok, r.error
    conv = hs.conversations[cid]
    assert hs.tag_names(cid) == ["vip", "billing", "deskroute-escalated"]
    assert conv["assignee"]["id"] == TEAM_ID and conv["status"] == "active"
    assert hs.threads_of(cid, "note") == ["Escalated by deskroute: legal_threat"]


def test_oauth_token_is_reused_then_refreshed_when_revoked(hs: FakeHelpScout) -> None:
    c = HelpScoutConnector(settings_for(hs))
    cid = hs.start("Q", "<p>q</p>")
    assert c.reply(out(cid, "one")).ok and c.reply(out(cid, "two")).ok
    assert len(hs.calls("POST", "oauth2/token")) == 1
    token_call = hs.calls("POST", "oauth2/token")[0]
    assert b"grant_type=client_credentials" in token_call.body
    hs.revoke_tokens()
    assert c.reply(out(cid, "three")).ok
    assert len(hs.calls("POST", "oauth2/token")) == 2
    assert hs.threads_of(cid, "message") == ["one", "two", "three"]


def test_expired_token_is_refreshed_before_use() -> None:
    with FakeHelpScout(expires_in=30) as hs:  # below the refresh margin: never reused
        c = HelpScoutConnector(settings_for(hs))
        cid = hs.start("Q", "<p>q</p>")
        assert c.reply(out(cid, "one")).ok and c.reply(out(cid, "two")).ok
        assert len(hs.calls("POST", "oauth2/token")) == 2


def test_bad_app_secret_fails_the_delivery_without_leaking_it(
        hs: FakeHelpScout, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-app-secret-0123456789"
    c = HelpScoutConnector(settings_for(hs, app_secret=wrong))
    r = c.reply(out(hs.start("Q", "<p>q</p>"), "hi"))
    assert not r.ok and r.status_code == 401 and "oauth token" in (r.error or "")
    assert wrong not in caplog.text and wrong not in (r.error or "")
    assert wrong not in repr(c.settings)


# --- through the API --------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["forged_body", "bad", "missing", "other_secret", "hex"])
def test_bad_signature_through_the_api_is_401_and_stores_nothing(
        case: str, hs: FakeHelpScout, app_for, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    client = app_for(helpscout=settings_for(hs))
    cid = hs.start("Order", "<p>Where is my order?</p>")
    body, headers = FakeHelpScout.signed(hs.payload(cid), "convo.created")
    sent, signed = body, dict(headers)
    if case == "forged_body":
        sent = body.replace(b"Where is my order?", b"Where is my refund")
    elif case == "bad":
        headers["X-HelpScout-Signature"] = base64.b64encode(b"\0" * 20).decode()
    elif case == "missing":
        headers.pop("X-HelpScout-Signature")
    elif case == "other_secret":
        headers["X-HelpScout-Signature"] = sign("another-apps-webhook-secret", body)
    else:  # the right digest, hex instead of base64
        headers["X-HelpScout-Signature"] = base64.b64decode(
            headers["X-HelpScout-Signature"]).hex()
    assert sent == body or case == "forged_body"
    refused_then_accepted(client, "/webhooks/helpscout", sqlite_url, (sent, headers),
                          (body, signed))
