"""Zendesk contract: signatures, what each webhook means, and the REST calls deskroute makes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors.base import (
    AgentReply,
    ChannelOutcome,
    FollowUp,
    Ignored,
    NewTicket,
    SignatureError,
    UpstreamError,
)
from connectors.zendesk import signature
from connectors.zendesk.connector import ZendeskConnector
from connectors.zendesk.settings import ZendeskSettings
from router.domain import OutcomeKind, OutgoingReply
from router.store import models as m
from tests.contract.conftest import count
from tests.contract.fakes.zendesk import AGENT_ID, EMAIL, SECRET, TOKEN, FakeZendesk


@pytest.fixture
def zd() -> Iterator[FakeZendesk]:
    with FakeZendesk() as fake:
        yield fake


def settings_for(zd: FakeZendesk, **extra: object) -> ZendeskSettings:
    return ZendeskSettings(webhook_secret=SECRET, base_url=zd.url, email=EMAIL, api_token=TOKEN,
                           escalation_group_id="360001", retry_backoff_seconds=0.01,
                           retry_max_wait_seconds=2, timeout_seconds=2, **extra)  # type: ignore[arg-type]


def out(tid: int | str, text: str, *, kind: str = "reply", external: str | None = None,
        reason: str = "") -> OutgoingReply:
    return OutgoingReply(ticket_id=1, external_id=external or str(tid), text=text, kind=kind,
                         reason=reason, thread_id=str(tid))


# --- signatures -------------------------------------------------------------------------------


def test_published_example_vector_and_the_documented_formula() -> None:
    """Zendesk's verification page shows secret HRkRd4…, body ``{"say": "hello"}``, timestamp
    2021-07-25T10:00:00Z and signature tRDSF7…. That vector was computed over body followed by
    timestamp (the order an older version of the page gave); the page and every maintained
    client now sign timestamp + body, which is what deskroute verifies. The vector still pins
    the parts that matter: the secret string itself (not base64-decoded) is the HMAC-SHA256
    key and the digest is base64."""
    secret, body, ts = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=", b'{"say": "hello"}', \
        "2021-07-25T10:00:00Z"
    published = "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw="
    assert signature.hmac_b64(secret.encode(), body + ts.encode(), "sha256") == published
    expected = base64.b64encode(hmac.new(secret.encode(), ts.encode() + body,
                                         hashlib.sha256).digest()).decode()
    assert signature.sign(secret, ts, body) == expected
    now = 1627207200.0  # 2021-07-25T10:00:00Z
    signature.verify(secret, {signature.SIGNATURE_HEADER: expected,
                              signature.TIMESTAMP_HEADER: ts}, body, now=now)
    with pytest.raises(SignatureError):  # the old body+timestamp order is refused
        signature.verify(secret, {signature.SIGNATURE_HEADER: published,
                                  signature.TIMESTAMP_HEADER: ts}, body, now=now)


BODY = b'{"type":"zen:event-type:ticket.created","detail":{"id":"5158"}}'


def _headers(body: bytes = BODY, now: float = 1_700_000_000.0) -> dict[str, str]:
    return signature.signed_headers(SECRET, body, now=now)


@settings(max_examples=60, deadline=None)
@given(pos=st.integers(min_value=0, max_value=len(BODY) - 1), delta=st.integers(1, 255))
def test_any_changed_body_byte_is_refused(pos: int, delta: int) -> None:
    h = _headers()
    changed = bytearray(BODY)
    changed[pos] = (changed[pos] + delta) % 256
    with pytest.raises(SignatureError):
        signature.verify(SECRET, h, bytes(changed), now=1_700_000_000.0)


@settings(max_examples=60, deadline=None)
@given(which=st.sampled_from([signature.SIGNATURE_HEADER, signature.TIMESTAMP_HEADER]),
       data=st.data())
def test_any_changed_signature_or_timestamp_character_is_refused(which: str,
                                                                  data: st.DataObject) -> None:
    h = _headers()
    value = h[which]
    pos = data.draw(st.integers(0, len(value) - 1))
    new_char = data.draw(st.characters(min_codepoint=33, max_codepoint=126).filter(
        lambda c: c != value[pos]))
    h[which] = value[:pos] + new_char + value[pos + 1:]
    with pytest.raises(SignatureError):
        signature.verify(SECRET, h, BODY, now=1_700_000_000.0)


@settings(max_examples=40, deadline=None)
@given(age=st.integers(min_value=301, max_value=10**7), future=st.booleans())
def test_stale_or_future_timestamps_are_refused(age: int, future: bool) -> None:
    sent = 1_700_000_000.0
    now = sent - age if future else sent + age
    with pytest.raises(SignatureError, match="replay window"):
        signature.verify(SECRET, _headers(now=sent), BODY, now=now)


def test_missing_or_garbled_headers_are_refused_not_crashing() -> None:
    c = ZendeskConnector(ZendeskSettings(webhook_secret=SECRET))
    for headers in ({}, {signature.SIGNATURE_HEADER: "x"},
                    {**_headers(now=time.time()), signature.TIMESTAMP_HEADER: "yesterday"},
                    {**_headers(now=time.time()), signature.SIGNATURE_HEADER: "é" * 10},
                    {**_headers(now=time.time()), signature.TIMESTAMP_HEADER: "9" * 400}):
        with pytest.raises(SignatureError):
            c.verify(headers, BODY)
    with pytest.raises(SignatureError, match="DESKROUTE_ZENDESK_WEBHOOK_SECRET"):
        ZendeskConnector(ZendeskSettings()).verify(_headers(now=time.time()), BODY)


def test_a_short_or_placeholder_secret_is_refused_naming_the_setting() -> None:
    for bad in ("changeme", "short"):
        with pytest.raises(ValueError, match="webhook_secret"):  # the field is named
            ZendeskSettings(webhook_secret=bad)  # type: ignore[arg-type]


# --- what each webhook means ------------------------------------------------------------------


def test_ticket_created_is_a_new_ticket_keyed_by_the_ticket_id(zd: FakeZendesk) -> None:
    tid = zd.open_ticket("Order", "<p>Where is my order #NW-48213?</p>")
    event = ZendeskConnector(settings_for(zd)).parse({}, FakeZendesk.signed(
        zd.event("created", tid))[0])
    assert isinstance(event, NewTicket)
    t = event.ticket
    assert (t.source, t.external_id, t.thread_id, t.subject) == ("zendesk", str(tid), str(tid),
                                                                 "Order")
    assert t.body == "Where is my order #NW-48213?"


def test_customer_comment_is_a_follow_up_and_the_first_comment_dedupes_with_created(
        zd: FakeZendesk) -> None:
    c = ZendeskConnector(settings_for(zd))
    tid = zd.open_ticket("Order", "Where is my order?")
    first = zd.tickets[tid]["comments"][0]["id"]
    again = c.parse({}, FakeZendesk.signed(zd.event("comment_added", tid, first))[0])
    assert isinstance(again, NewTicket) and again.ticket.external_id == str(tid)
    cid = zd.add_comment(tid, zd.tickets[tid]["requester_id"], "It still has not arrived.")
    follow = c.parse({}, FakeZendesk.signed(zd.event("comment_added", tid, cid))[0])
    assert isinstance(follow, FollowUp)
    assert follow.ticket.external_id == f"{tid}:{cid}" and follow.ticket.thread_id == str(tid)
    assert follow.ticket.body == "It still has not arrived."


def test_notes_and_deskroutes_own_replies_are_ignored_an_agents_reply_is_read(
        zd: FakeZendesk) -> None:
    c = ZendeskConnector(settings_for(zd))
    tid = zd.open_ticket("Order", "Where is my order?")
    assert c.reply(out(tid, "It ships tomorrow.")).ok
    own = zd.tickets[tid]["comments"][-1]["id"]
    note = zd.add_comment(tid, zd.tickets[tid]["requester_id"], "private?", public=False)
    agent_note = zd.add_comment(tid, AGENT_ID, "Draft looks fine", public=False)
    reasons = {}
    for cid in (own, note, agent_note):
        ev = c.parse({}, FakeZendesk.signed(zd.event("comment_added", tid, cid))[0])
        assert isinstance(ev, Ignored)
        reasons[cid] = ev.reason
    assert "deskroute" in reasons[own]
    assert "internal note" in reasons[note] and "internal note" in reasons[agent_note]
    agent = zd.add_comment(tid, AGENT_ID, "Checking with the warehouse.")
    ev = c.parse({}, FakeZendesk.signed(zd.event("comment_added", tid, agent))[0])
    assert isinstance(ev, AgentReply)
    assert (ev.thread_id, ev.text, ev.event_id) == (str(tid), "Checking with the warehouse.",
                                                    f"{tid}:{agent}")
    other = c.parse({}, FakeZendesk.signed(zd.event("priority_changed", tid))[0])
    assert isinstance(other, Ignored) and "not read" in other.reason


def test_trigger_webhook_fetches_the_newest_public_comment(zd: FakeZendesk) -> None:
    c = ZendeskConnector(settings_for(zd))
    tid = zd.open_ticket("Refund", "I want my money back")
    first = c.parse({}, b'{"ticket_id": "%d"}' % tid)
    assert isinstance(first, NewTicket) and first.ticket.external_id == str(tid)
    assert first.ticket.subject == "Refund" and first.ticket.body == "I want my money back"
    cid = zd.add_comment(tid, zd.tickets[tid]["requester_id"], "Any news?")
    later = c.parse({}, b'{"ticket_id": "%d"}' % tid)
    assert isinstance(later, FollowUp) and later.ticket.external_id == f"{tid}:{cid}"
    agent = zd.add_comment(tid, AGENT_ID, "We are on it.")
    by_agent = c.parse({}, b'{"ticket_id": "%d"}' % tid)
    assert isinstance(by_agent, AgentReply) and by_agent.event_id == f"{tid}:{agent}"
    assert isinstance(c.parse({}, b'{"ticket_id": "999999"}'), Ignored)  # deleted since


def test_a_comment_without_text_in_the_event_is_fetched(zd: FakeZendesk) -> None:
    tid = zd.open_ticket("Order", "Where is my order?")
    cid = zd.add_comment(tid, zd.tickets[tid]["requester_id"], "Tracking says lost.")
    payload = zd.event("comment_added", tid, cid)
    payload["event"]["comment"]["body"] = ""
    ev = ZendeskConnector(settings_for(zd)).parse({}, FakeZendesk.signed(payload)[0])
    assert isinstance(ev, FollowUp) and ev.ticket.body == "Tracking says lost."
    assert zd.calls("GET", r"/comments\.json$")


def test_fetch_failure_is_an_upstream_error_so_zendesk_redelivers(zd: FakeZendesk) -> None:
    tid = zd.open_ticket("Order", "Where is my order?")
    zd.fail_next(3, status=500)
    with pytest.raises(UpstreamError):
        ZendeskConnector(settings_for(zd)).parse({}, b'{"ticket_id": "%d"}' % tid)


# --- REST calls deskroute makes ---------------------------------------------------------------


def test_reply_is_a_public_comment_on_the_right_ticket(zd: FakeZendesk) -> None:
    other = zd.open_ticket("Other", "unrelated")
    tid = zd.open_ticket("Order", "Where is my order?")
    result = ZendeskConnector(settings_for(zd)).reply(
        out(tid, "It ships tomorrow.", external=f"{tid}:123"))
    assert result.ok and result.status_code == 200 and result.vendor_ref
    assert zd.public_replies(tid) == ["It ships tomorrow."] and zd.public_replies(other) == []
    assert zd.tickets[tid]["status"] == "pending"
    put = zd.calls("PUT", rf"/api/v2/tickets/{tid}\.json")[0]
    assert put.json == {"ticket": {"comment": {"body": "It ships tomorrow.", "public": True},
                                   "status": "pending"}}


def test_note_is_private(zd: FakeZendesk) -> None:
    tid = zd.open_ticket("Order", "Where is my order?")
    assert ZendeskConnector(settings_for(zd)).note(out(tid, "FYI", kind="note")).ok
    assert zd.notes(tid) == ["FYI"] and zd.public_replies(tid) == []


def test_escalation_adds_note_group_open_status_and_tag_keeping_existing_tags(
        zd: FakeZendesk) -> None:
    tid = zd.open_ticket("Legal", "I will sue you", tags=["vip", "billing"])
    r = ZendeskConnector(settings_for(zd)).escalate(
        out(tid, "Escalated by deskroute: legal_threat", kind="escalation"))
    assert r.ok, r.error
    t = zd.tickets[tid]
    assert t["tags"] == ["vip", "billing", "deskroute_escalated"]
    assert t["group_id"] == 360001 and t["status"] == "open"
    assert zd.notes(tid) == ["Escalated by deskroute: legal_threat"]
    assert zd.public_replies(tid) == []


def test_missing_api_credentials_fail_the_delivery_naming_the_settings() -> None:
    r = ZendeskConnector(ZendeskSettings(webhook_secret=SECRET)).reply(out(1, "hi"))
    assert not r.ok and not r.retryable and "DESKROUTE_ZENDESK_API_TOKEN" in (r.error or "")


def test_wrong_token_is_a_non_retryable_401(zd: FakeZendesk) -> None:
    tid = zd.open_ticket("Order", "Where?")
    bad = settings_for(zd).model_copy(update={"api_token": SecretStr("x" * 32)})
    r = ZendeskConnector(bad).reply(out(tid, "hi"))
    assert r.status_code == 401 and not r.retryable


# --- through the API --------------------------------------------------------------------------


def test_webhooks_through_the_api(zd: FakeZendesk, app_for, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    client = app_for(zendesk=settings_for(zd))
    tid = zd.open_ticket("Order", "Where is my order?")
    body, headers = FakeZendesk.signed(zd.event("created", tid))
    first = client.post("/webhooks/zendesk", content=body, headers=headers)
    assert first.status_code == 202 and first.json()["kind"] == "ticket"
    again = client.post("/webhooks/zendesk", content=body, headers=headers)
    assert again.json() == {**first.json(), "duplicate": True}
    forged = client.post("/webhooks/zendesk", content=body.replace(b"Order", b"Orden"),
                         headers=headers)
    assert forged.status_code == 401
    cid = zd.add_comment(tid, AGENT_ID, "On it")
    body, headers = FakeZendesk.signed(zd.event("comment_added", tid, cid))
    reply = client.post("/webhooks/zendesk", content=body, headers=headers)
    assert reply.status_code == 202, reply.text
    assert reply.json()["kind"] == "agent_reply"
    assert reply.json()["ticket_id"] == first.json()["ticket_id"]
    assert client.post("/webhooks/zendesk", content=body, headers=headers).json()["duplicate"]
    assert count(sqlite_url, m.Ticket) == 1 and count(sqlite_url, m.Outcome) == 1
    other = zd.open_ticket("Other", "Not seen by deskroute")
    cid = zd.add_comment(other, AGENT_ID, "Hello")
    body, headers = FakeZendesk.signed(zd.event("comment_added", other, cid))
    unknown = client.post("/webhooks/zendesk", content=body, headers=headers)
    assert unknown.status_code == 200 and unknown.json()["ignored"] is True


@pytest.mark.parametrize(("previous", "current", "outcome"), [
    ("OPEN", "SOLVED", OutcomeKind.RESOLVED), ("pending", "closed", OutcomeKind.RESOLVED),
    ("SOLVED", "OPEN", OutcomeKind.REOPENED), ("Closed", "New", OutcomeKind.REOPENED),
    ("NEW", "OPEN", None), ("OPEN", "PENDING", None), ("SOLVED", "CLOSED", None),
])
def test_status_changes_are_outcomes_only_when_resolved_or_reopened(
        zd: FakeZendesk, previous: str, current: str, outcome: OutcomeKind | None) -> None:
    tid = zd.open_ticket("Order", "Where is my order?")
    event = ZendeskConnector(settings_for(zd)).parse({}, FakeZendesk.signed(
        zd.status_event(tid, previous, current, event_id="ev-1"))[0])
    if outcome is None:
        assert isinstance(event, Ignored)
    else:
        assert event == ChannelOutcome(thread_id=str(tid), outcome=outcome, event_id="ev-1")


def test_a_status_set_by_deskroutes_own_reply_is_not_a_resolution(zd: FakeZendesk) -> None:
    # with DESKROUTE_ZENDESK_REPLY_STATUS=solved, deskroute's reply itself solves the ticket:
    # counting that as "confirmed by the customer" would inflate the resolution rate
    from tests.contract.fakes.zendesk import BOT_ID

    tid = zd.open_ticket("Order", "Where is my order?")
    connector = ZendeskConnector(settings_for(zd))
    by_bot = connector.parse({}, FakeZendesk.signed(
        zd.status_event(tid, "OPEN", "SOLVED", actor=BOT_ID))[0])
    assert isinstance(by_bot, Ignored) and "own API user" in by_bot.reason
    by_agent = connector.parse({}, FakeZendesk.signed(
        zd.status_event(tid, "OPEN", "SOLVED", event_id="ev-2"))[0])
    assert by_agent == ChannelOutcome(thread_id=str(tid), outcome=OutcomeKind.RESOLVED,
                                      event_id="ev-2")


def test_solved_and_reopened_through_the_api_are_recorded_once_each(
        zd: FakeZendesk, app_for, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from router.store.db import unit_of_work

    client = app_for(zendesk=settings_for(zd))
    tid = zd.open_ticket("Order", "Where is my order?")
    body, headers = FakeZendesk.signed(zd.event("created", tid))
    ticket_id = client.post("/webhooks/zendesk", content=body, headers=headers).json()[
        "ticket_id"]
    solved = FakeZendesk.signed(zd.status_event(tid, "OPEN", "SOLVED"))
    for _ in range(3):  # Zendesk redelivers: one outcome
        res = client.post("/webhooks/zendesk", content=solved[0], headers=solved[1])
        assert res.status_code == 202 and res.json()["ticket_id"] == ticket_id
        assert res.json()["kind"] == "outcome"
    reopened = FakeZendesk.signed(zd.status_event(tid, "SOLVED", "OPEN"))
    assert client.post("/webhooks/zendesk", content=reopened[0],
                       headers=reopened[1]).json()["duplicate"] is False
    with unit_of_work(sqlite_url) as s:
        kinds = [o.kind for o in s.scalars(select(m.Outcome).order_by(m.Outcome.id))]
        sources = {o.source for o in s.scalars(select(m.Outcome))}
    assert kinds == ["resolved", "reopened"] and sources == {"zendesk"}
    other = zd.open_ticket("Other", "Not seen by deskroute")
    unknown = FakeZendesk.signed(zd.status_event(other, "OPEN", "SOLVED"))
    res = client.post("/webhooks/zendesk", content=unknown[0], headers=unknown[1])
    assert res.status_code == 200 and res.json()["ignored"] is True


def test_a_bad_vendor_secret_stops_the_app_at_start_up(monkeypatch: pytest.MonkeyPatch,
                                                        sqlite_url: str) -> None:
    from pydantic import ValidationError

    from router.api.app import create_app
    from router.cli.errors import user_message

    monkeypatch.setenv("DESKROUTE_HELPSCOUT_SECRET", "hunter2")
    with pytest.raises(ValidationError) as err:
        create_app(database_url=sqlite_url, embedded_worker=False)
    message = user_message(err.value) or ""
    assert message.startswith("invalid setting DESKROUTE_HELPSCOUT_SECRET: is 7 bytes; at "
                              "least 16 are needed; generate one with"), message
    assert "\n" not in message
