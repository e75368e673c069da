"""Help Scout contract: X-HelpScout-Signature, events, OAuth2 refresh, replies and hand-off."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import (
    AgentReply,
    ChannelOutcome,
    FollowUp,
    Ignored,
    Inbound,
    NewTicket,
    PayloadError,
    SignatureError,
    UpstreamError,
)
from connectors.helpscout.connector import HelpScoutConnector, sign
from connectors.helpscout.settings import HelpScoutSettings
from router.domain import OutcomeKind, OutgoingReply
from router.store import models as m
from tests.contract.conftest import count, refused_then_accepted
from tests.contract.fakes.helpscout import (
    AGENT_ID,
    APP_ID,
    APP_SECRET,
    BOT_ID,
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


def event(hs: FakeHelpScout, cid: int, name: str) -> tuple[dict[str, str], bytes]:
    body, headers = FakeHelpScout.signed(hs.payload(cid), name)
    return headers, body


ME = ("GET", "/v2/users/me")


def test_without_the_setting_deskroutes_own_user_is_asked_once_of_the_api(
        hs: FakeHelpScout) -> None:
    """No DESKROUTE_HELPSCOUT_USER_ID: deskroute's replies are written by the user the token
    acts as (Help Scout's default), which ``GET /v2/users/me`` names — asked once, the first
    time an event needs it, however many events (and threads) then need it."""
    c = HelpScoutConnector(settings_for(hs))
    cid = hs.start("Q", "<p>Where is my order?</p>")
    assert c.reply(out(cid, "It ships today.")).ok  # no "user": written by the token's user
    assert not hs.calls(*ME)  # replying does not need it
    hs.me_delay = 0.05  # the threads below ask at the same time
    got: list[Inbound] = []
    start = threading.Barrier(6)

    def parse_own_reply() -> None:
        start.wait()
        got.append(c.parse(*event(hs, cid, "convo.agent.reply.created")))

    workers = [threading.Thread(target=parse_own_reply) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(got) == 6 and all(isinstance(g, Ignored) and "deskroute" in g.reason
                                 for g in got), got
    hs.set_status(cid, "closed", by=BOT_ID)  # DESKROUTE_HELPSCOUT_REPLY_STATUS=closed
    own_close = c.parse(*event(hs, cid, "convo.status"))
    assert isinstance(own_close, Ignored) and "deskroute" in own_close.reason
    tid = hs.add_thread(cid, "message", "<p>Sorry, it ships tomorrow.</p>")  # an agent
    agent = c.parse(*event(hs, cid, "convo.agent.reply.created"))
    assert isinstance(agent, AgentReply) and agent.event_id == f"{cid}:{tid}"
    hs.set_status(cid, "closed", by=AGENT_ID)
    closed = c.parse(*event(hs, cid, "convo.status"))
    assert isinstance(closed, ChannelOutcome) and closed.outcome == OutcomeKind.RESOLVED
    assert len(hs.calls(*ME)) == 1


def test_the_setting_wins_and_nothing_is_asked(hs: FakeHelpScout) -> None:
    """DESKROUTE_HELPSCOUT_USER_ID names deskroute's user: replies go out as it, and a reply
    by the token's own user is then someone else's (an agent's), with no /users/me call."""
    c = HelpScoutConnector(settings_for(hs, user_id=str(AGENT_ID)))
    cid = hs.start("Q", "<p>Where is my order?</p>")
    assert c.reply(out(cid, "It ships today.")).ok
    assert hs.calls("POST", "/reply")[-1].json["user"] == AGENT_ID
    own = c.parse(*event(hs, cid, "convo.agent.reply.created"))
    assert isinstance(own, Ignored) and "deskroute" in own.reason
    hs.add_thread(cid, "message", "<p>Sent by the app's owner by hand</p>",
                  {"id": BOT_ID, "type": "user", "email": "owner@acme.example"})
    owner = c.parse(*event(hs, cid, "convo.agent.reply.created"))
    assert isinstance(owner, AgentReply) and owner.text == "Sent by the app's owner by hand"
    hs.set_status(cid, "closed", by=BOT_ID)
    assert isinstance(c.parse(*event(hs, cid, "convo.status")), ChannelOutcome)
    assert not hs.calls(*ME)


def test_without_api_credentials_nothing_is_deskroutes_own(hs: FakeHelpScout) -> None:
    """No app id/secret: deskroute cannot have replied or closed anything, so nothing is
    asked and an embedded agent reply is an agent's."""
    c = HelpScoutConnector(HelpScoutSettings(secret=SECRET))  # type: ignore[arg-type]
    cid = hs.start("Q", "<p>q</p>")
    hs.add_thread(cid, "message", "<p>agent answer</p>",
                  {"id": BOT_ID, "type": "user", "email": "bot@acme.example"})
    assert isinstance(c.parse(*event(hs, cid, "convo.agent.reply.created")), AgentReply)
    hs.set_status(cid, "closed", by=BOT_ID)
    assert isinstance(c.parse(*event(hs, cid, "convo.status")), ChannelOutcome)
    assert not hs.requests


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


@pytest.mark.parametrize("fault", ["unavailable", "no_id"])
def test_users_me_failing_is_a_503_storing_nothing_then_recovers(
        fault: str, hs: FakeHelpScout, app_for, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    """The own-user lookup is a vendor read like any other: when it fails the webhook is
    answered 503 (Help Scout redelivers), nothing is recorded, and nothing is cached — the
    redelivery asks again and is read right."""
    client = app_for(helpscout=settings_for(hs))
    cid = hs.start("Order", "<p>Where is my order?</p>")
    body, headers = FakeHelpScout.signed(hs.payload(cid), "convo.created")
    created = client.post("/webhooks/helpscout", content=body, headers=headers)
    assert created.status_code == 202, created.text
    assert HelpScoutConnector(settings_for(hs)).reply(out(cid, "It ships today.")).ok
    if fault == "unavailable":  # a wait too long for a webhook to spend: no second try
        hs.fail_next(status=503, headers={"Retry-After": "7"}, only="GET /v2/users/me")
    else:  # an answer without the user's id is no answer
        hs.fail_next(status=200, body={"firstName": "Desk"}, only="GET /v2/users/me")
    body, headers = FakeHelpScout.signed(hs.payload(cid), "convo.agent.reply.created")
    failed = client.post("/webhooks/helpscout", content=body, headers=headers)
    assert failed.status_code == 503, failed.text
    if fault == "unavailable":
        assert failed.headers["retry-after"] == "7"
    assert count(sqlite_url, m.Outcome) == 0
    again = client.post("/webhooks/helpscout", content=body, headers=headers)
    assert again.status_code == 200 and again.json()["ignored"] is True, again.text
    assert "deskroute" in again.json()["reason"]
    hs.add_thread(cid, "message", "<p>Tomorrow, sorry.</p>")  # an agent's reply
    body, headers = FakeHelpScout.signed(hs.payload(cid), "convo.agent.reply.created")
    agent = client.post("/webhooks/helpscout", content=body, headers=headers)
    assert agent.status_code == 202 and agent.json()["kind"] == "agent_reply", agent.text
    assert count(sqlite_url, m.Outcome) == 1
    assert len(hs.calls(*ME)) == 2  # the failure was not cached, the success was


def test_users_me_failing_is_an_upstream_error_for_parse(hs: FakeHelpScout) -> None:
    c = HelpScoutConnector(settings_for(hs))
    cid = hs.start("Q", "<p>q</p>")
    hs.set_status(cid, "closed", by=BOT_ID)
    hs.fail_next(2, status=500, only="GET /v2/users/me")
    with pytest.raises(UpstreamError, match="users/me"):
        c.parse(*event(hs, cid, "convo.status"))
    own = c.parse(*event(hs, cid, "convo.status"))
    assert isinstance(own, Ignored) and "deskroute" in own.reason
