"""Intercom contract: X-Hub-Signature, notification topics, replies, notes, team hand-off."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import AgentReply, FollowUp, Ignored, NewTicket, SignatureError
from connectors.intercom.connector import IntercomConnector, sign
from connectors.intercom.settings import IntercomSettings
from router.domain import OutgoingReply
from tests.contract.conftest import refused_then_accepted
from tests.contract.fakes.intercom import (
    ACCESS_TOKEN,
    AGENT_ADMIN,
    BOT_ADMIN,
    CLIENT_SECRET,
    TEAM,
    FakeIntercom,
)


@pytest.fixture
def ic() -> Iterator[FakeIntercom]:
    with FakeIntercom() as fake:
        yield fake


def settings_for(ic: FakeIntercom) -> IntercomSettings:
    return IntercomSettings(client_secret=CLIENT_SECRET, access_token=ACCESS_TOKEN,  # type: ignore[arg-type]
                            admin_id=BOT_ADMIN, base_url=ic.url, escalation_team_id=TEAM,
                            retry_backoff_seconds=0.01, timeout_seconds=2)


def out(cid: str, text: str) -> OutgoingReply:
    return OutgoingReply(ticket_id=1, external_id=cid, text=text, kind="reply", thread_id=cid)


BODY = b'{"type":"notification_event","topic":"conversation.user.created","data":{}}'


def test_signature_is_sha1_hex_of_the_raw_body_with_the_client_secret() -> None:
    """Intercom documents the recipe but publishes no worked example (body, secret and
    signature): the expected value comes from the recipe, computed with ``hmac`` itself."""
    expected = "sha1=" + hmac.new(CLIENT_SECRET.encode(), BODY, hashlib.sha1).hexdigest()
    assert sign(CLIENT_SECRET, BODY) == expected and len(expected) == 45
    c = IntercomConnector(IntercomSettings(client_secret=CLIENT_SECRET))  # type: ignore[arg-type]
    c.verify({"x-hub-signature": expected}, BODY)
    for bad in ({}, {"X-Hub-Signature": expected.removeprefix("sha1=")},
                {"X-Hub-Signature": expected.upper()}, {"X-Hub-Signature": "sha1=" + "é" * 40}):
        with pytest.raises(SignatureError):
            c.verify(bad, BODY)
    with pytest.raises(SignatureError, match="DESKROUTE_INTERCOM_CLIENT_SECRET"):
        IntercomConnector(IntercomSettings()).verify({"X-Hub-Signature": expected}, BODY)


@settings(max_examples=80, deadline=None)
@given(data=st.data(), in_body=st.booleans())
def test_any_changed_body_byte_or_signature_character_is_refused(data: st.DataObject,
                                                                 in_body: bool) -> None:
    c = IntercomConnector(IntercomSettings(client_secret=CLIENT_SECRET))  # type: ignore[arg-type]
    sig = sign(CLIENT_SECRET, BODY)
    if in_body:
        pos = data.draw(st.integers(0, len(BODY) - 1))
        changed = bytearray(BODY)
        changed[pos] = (changed[pos] + data.draw(st.integers(1, 255))) % 256
        body = bytes(changed)
    else:
        pos = data.draw(st.integers(0, len(sig) - 1))
        char = data.draw(st.sampled_from("0123456789abcdef=s").filter(lambda ch: ch != sig[pos]))
        sig, body = sig[:pos] + char + sig[pos + 1:], BODY
    with pytest.raises(SignatureError):
        c.verify({"X-Hub-Signature": sig}, body)


def test_user_created_is_a_new_ticket_and_user_replied_a_follow_up(ic: FakeIntercom) -> None:
    c = IntercomConnector(settings_for(ic))
    cid = ic.start("<p>Where is my <b>order</b>?</p>", subject="<p>Order</p>")
    new = c.parse({}, FakeIntercom.signed(ic.notification("conversation.user.created", cid))[0])
    assert isinstance(new, NewTicket)
    assert (new.ticket.external_id, new.ticket.thread_id, new.ticket.body,
            new.ticket.subject, new.ticket.requester) == (
        cid, cid, "Where is my order?", "Order", "ann@customer.example")
    pid = ic.add_part(cid, "<p>Still nothing.</p>")
    follow = c.parse({}, FakeIntercom.signed(
        ic.notification("conversation.user.replied", cid))[0])
    assert isinstance(follow, FollowUp)
    assert follow.ticket.external_id == f"{cid}:{pid}" and follow.ticket.body == "Still nothing."


def test_teammate_parts_own_replies_and_pings_are_ignored_an_admin_reply_is_read(
        ic: FakeIntercom) -> None:
    c = IntercomConnector(settings_for(ic))
    cid = ic.start("<p>Hi</p>")
    assert c.reply(out(cid, "Hello!")).ok
    own = c.parse({}, FakeIntercom.signed(ic.notification("conversation.user.replied", cid))[0])
    assert isinstance(own, Ignored) and "deskroute" in own.reason
    own_admin = c.parse({}, FakeIntercom.signed(
        ic.notification("conversation.admin.replied", cid))[0])
    assert isinstance(own_admin, Ignored) and "deskroute" in own_admin.reason
    pid = ic.add_part(cid, "<p>I'll check</p>", author_type="admin", author_id=AGENT_ADMIN)
    teammate = c.parse({}, FakeIntercom.signed(
        ic.notification("conversation.user.replied", cid))[0])
    assert isinstance(teammate, Ignored) and "admin" in teammate.reason
    admin_reply = c.parse({}, FakeIntercom.signed(
        ic.notification("conversation.admin.replied", cid))[0])
    assert isinstance(admin_reply, AgentReply)
    assert (admin_reply.text, admin_reply.event_id) == ("I'll check", f"{cid}:{pid}")
    ic.add_part(cid, "<p>internal</p>", author_type="admin", author_id=AGENT_ADMIN,
                part_type="note")
    assert isinstance(c.parse({}, FakeIntercom.signed(  # the newest comment, not the note
        ic.notification("conversation.admin.replied", cid, last_parts=2))[0]), AgentReply)
    other = c.parse({}, FakeIntercom.signed(ic.notification("conversation.admin.snoozed",
                                                             cid))[0])
    assert isinstance(other, Ignored) and "not read" in other.reason
    ping = c.parse({}, b'{"type": "notification_event", "topic": "ping", "data": {"item": {}}}')
    assert isinstance(ping, Ignored) and ping.reason == "ping"
    bot_started = ic.start("<p>Welcome!</p>", author="bot")
    bot = c.parse({}, FakeIntercom.signed(
        ic.notification("conversation.user.created", bot_started))[0])
    assert isinstance(bot, Ignored)


def test_reply_and_note_are_sent_as_the_configured_admin(ic: FakeIntercom) -> None:
    c = IntercomConnector(settings_for(ic))
    other, cid = ic.start("<p>other</p>"), ic.start("<p>Hi</p>")
    r = c.reply(out(cid, "Yes, we ship to Spain.\nTwo days."))
    assert r.ok and r.vendor_ref
    assert ic.parts(cid, "comment") == ["Yes, we ship to Spain.<br>Two days."]
    assert ic.parts(other, "comment") == []
    assert c.note(out(cid, "internal")).ok and ic.parts(cid, "note") == ["internal"]
    call = ic.calls("POST", rf"/conversations/{cid}/reply")[0]
    assert call.json["admin_id"] == BOT_ADMIN and call.json["type"] == "admin"
    assert call.headers["intercom-version"] == "2.11"


def test_hand_off_tags_assigns_the_team_and_leaves_a_note(ic: FakeIntercom) -> None:
    c = IntercomConnector(settings_for(ic))
    cid = ic.start("<p>I want a human</p>", tags=["vip"])
    r = c.escalate(out(cid, "Escalated by deskroute: human_request"))
    assert r.ok, r.error
    conv = ic.conversations[cid]
    assert ic.tag_names(cid) == ["vip", "deskroute_escalated"]
    assert conv["team_assignee_id"] == TEAM
    assert ic.parts(cid, "note") == ["Escalated by deskroute: human_request"]
    assert ic.parts(cid, "comment") == []
    c.escalate(out(cid, "again"))  # the tag id is looked up once per process
    assert len(ic.calls("POST", r"^/tags$")) == 1


def test_unknown_team_fails_before_the_note(ic: FakeIntercom) -> None:
    s = settings_for(ic).model_copy(update={"escalation_team_id": "404"})
    cid = ic.start("<p>hi</p>")
    r = IntercomConnector(s).escalate(out(cid, "note"))
    assert not r.ok and r.status_code == 400 and not r.retryable
    assert ic.parts(cid, "note") == []


def test_rate_limit_reset_header_is_honoured(ic: FakeIntercom) -> None:
    import time

    cid = ic.start("<p>hi</p>")
    ic.fail_next(1, status=429, headers={"X-RateLimit-Reset": str(int(time.time()) + 1)},
                 only="reply")
    r = IntercomConnector(settings_for(ic)).reply(out(cid, "ok"))
    assert r.ok and ic.parts(cid, "comment") == ["ok"]
    assert len(ic.calls("POST", "reply")) == 2


# --- through the API --------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["forged_body", "bad", "missing", "other_secret", "bare_hex"])
def test_bad_signature_through_the_api_is_401_and_stores_nothing(
        case: str, ic: FakeIntercom, app_for, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    client = app_for(intercom=settings_for(ic))
    cid = ic.start("<p>Where is my order?</p>")
    body, headers = FakeIntercom.signed(ic.notification("conversation.user.created", cid))
    sent, signed = body, dict(headers)
    if case == "forged_body":
        sent = body.replace(b"Where is my order?", b"Where is my refund")
    elif case == "bad":
        headers["X-Hub-Signature"] = "sha1=" + "0" * 40
    elif case == "missing":
        headers.pop("X-Hub-Signature")
    elif case == "other_secret":
        headers["X-Hub-Signature"] = sign("another-apps-client-secret-01", body)
    else:
        headers["X-Hub-Signature"] = headers["X-Hub-Signature"].removeprefix("sha1=")
    assert sent == body or case == "forged_body"
    refused_then_accepted(client, "/webhooks/intercom", sqlite_url, (sent, headers), (body, signed))
