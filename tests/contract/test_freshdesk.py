"""Freshdesk contract: shared-token check, rule webhooks, cleaned text, REST calls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import AgentReply, FollowUp, Ignored, NewTicket, SignatureError
from connectors.freshdesk.connector import FreshdeskConnector
from connectors.freshdesk.settings import FreshdeskSettings
from router.domain import OutgoingReply
from router.store import models as m
from tests.contract.conftest import count
from tests.contract.fakes.freshdesk import API_KEY, BOT_ID, TOKEN, FakeFreshdesk


@pytest.fixture
def fd() -> Iterator[FakeFreshdesk]:
    with FakeFreshdesk() as fake:
        yield fake


def settings_for(fd: FakeFreshdesk, **extra: object) -> FreshdeskSettings:
    return FreshdeskSettings(webhook_token=TOKEN, base_url=fd.url, api_key=API_KEY,  # type: ignore[arg-type]
                             escalation_group_id="42", retry_backoff_seconds=0.01,
                             timeout_seconds=2, **extra)  # type: ignore[arg-type]


def out(tid: int, text: str) -> OutgoingReply:
    return OutgoingReply(ticket_id=1, external_id=str(tid), text=text, kind="reply",
                         thread_id=str(tid))


H = {"X-Deskroute-Token": TOKEN}


def test_token_header_is_compared_and_required() -> None:
    c = FreshdeskConnector(FreshdeskSettings(webhook_token=TOKEN))  # type: ignore[arg-type]
    c.verify(H, b"{}")
    c.verify({"x-deskroute-token": TOKEN}, b"{}")  # header names are case-insensitive
    for bad in ({}, {"X-Deskroute-Token": ""}, {"X-Deskroute-Token": "é" + TOKEN[1:]}):
        with pytest.raises(SignatureError):
            c.verify(bad, b"{}")
    with pytest.raises(SignatureError, match="DESKROUTE_FRESHDESK_WEBHOOK_TOKEN"):
        FreshdeskConnector(FreshdeskSettings()).verify(H, b"{}")


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_any_changed_token_character_is_refused(data: st.DataObject) -> None:
    c = FreshdeskConnector(FreshdeskSettings(webhook_token=TOKEN))  # type: ignore[arg-type]
    pos = data.draw(st.integers(0, len(TOKEN) - 1))
    char = data.draw(st.characters(min_codepoint=33, max_codepoint=126).filter(
        lambda ch: ch != TOKEN[pos]))
    with pytest.raises(SignatureError):
        c.verify({"X-Deskroute-Token": TOKEN[:pos] + char + TOKEN[pos + 1:]}, b"{}")


def test_created_rule_reads_the_description_without_html(fd: FakeFreshdesk) -> None:
    tid = fd.open_ticket("Refund", "<div>Hello,<br>I want a <b>refund</b> for order 77.</div>")
    ev = FreshdeskConnector(settings_for(fd)).parse(
        H, b'{"ticket_id": "%d", "event": "created"}' % tid)
    assert isinstance(ev, NewTicket)
    t = ev.ticket
    assert (t.external_id, t.thread_id, t.subject, t.requester) == (
        str(tid), str(tid), "Refund", "ann@customer.example")
    assert t.body == "Hello,\nI want a refund for order 77."


def test_customer_reply_is_a_follow_up_with_quoted_history_removed(fd: FakeFreshdesk) -> None:
    tid = fd.open_ticket("Refund", "<div>I want a refund</div>")
    cid = fd.add_conversation(tid, (
        '<div>It still has not arrived.</div><div class="freshdesk_quote"><blockquote '
        'class="freshdesk_quote">On Mon, Support wrote:<br>We sent it.</blockquote></div>'),
        incoming=True)
    ev = FreshdeskConnector(settings_for(fd)).parse(
        H, b'{"freshdesk_webhook": {"ticket_id": %d, "event": "replied"}}' % tid)
    assert isinstance(ev, FollowUp)
    assert ev.ticket.external_id == f"{tid}:{cid}" and ev.ticket.thread_id == str(tid)
    assert ev.ticket.body == "It still has not arrived."


def test_own_replies_and_private_notes_are_ignored_an_agents_reply_is_read(
        fd: FakeFreshdesk) -> None:
    c = FreshdeskConnector(settings_for(fd))
    tid = fd.open_ticket("Refund", "<div>I want a refund</div>")
    assert c.reply(out(tid, "Refund issued.")).ok
    own = c.parse(H, b'{"ticket_id": "%d", "event": "replied"}' % tid)
    assert isinstance(own, Ignored) and "deskroute" in own.reason
    conv = fd.add_conversation(tid, "<p>call them</p>", incoming=False, user_id=BOT_ID + 1)
    agent = c.parse(H, b'{"ticket_id": "%d", "event": "replied"}' % tid)
    assert isinstance(agent, AgentReply)
    assert (agent.thread_id, agent.text, agent.event_id) == (str(tid), "call them",
                                                             f"{tid}:{conv}")
    fd.add_conversation(tid, "<p>internal</p>", incoming=False, private=True)
    note = c.parse(H, b'{"ticket_id": "%d"}' % tid)
    assert isinstance(note, Ignored) and "private" in note.reason
    gone = c.parse(H, b'{"ticket_id": "999999"}')
    assert isinstance(gone, Ignored) and "no longer exists" in gone.reason


def test_reply_note_and_escalation(fd: FakeFreshdesk) -> None:
    c = FreshdeskConnector(settings_for(fd))
    tid = fd.open_ticket("Legal", "<p>I will sue</p>", tags=["vip", "billing"])
    r = c.reply(out(tid, "Thanks <Ann>,\nwe are on it."))
    assert r.ok and r.status_code == 201 and r.vendor_ref
    assert fd.replies(tid) == ["Thanks &lt;Ann&gt;,<br>we are on it."]
    assert c.note(out(tid, "internal")).ok and fd.notes(tid) == ["internal"]
    esc = c.escalate(out(tid, "Escalated by deskroute: legal_threat"))
    assert esc.ok, esc.error
    t = fd.tickets[tid]
    assert t["tags"] == ["vip", "billing", "deskroute_escalated"]
    assert t["group_id"] == 42 and t["status"] == 2
    assert fd.notes(tid)[-1] == "Escalated by deskroute: legal_threat"
    put = fd.calls("PUT", rf"/api/v2/tickets/{tid}$")[0]
    assert put.json == {"status": 2, "tags": ["vip", "billing", "deskroute_escalated"],
                        "group_id": 42}


def test_reply_status_is_set_before_the_reply(fd: FakeFreshdesk) -> None:
    c = FreshdeskConnector(settings_for(fd, reply_status=3))
    tid = fd.open_ticket("Q", "<p>q</p>")
    assert c.reply(out(tid, "answer")).ok
    assert fd.tickets[tid]["status"] == 3
    assert [r.method for r in fd.requests] == ["PUT", "POST"]


def test_rate_limit_retry_after_is_honoured_inline(fd: FakeFreshdesk) -> None:
    tid = fd.open_ticket("Q", "<p>q</p>")
    fd.fail_next(1, status=429, headers={"Retry-After": "1"}, only="POST")
    r = FreshdeskConnector(settings_for(fd)).reply(out(tid, "answer"))
    assert r.ok and len(fd.calls("POST")) == 2 and fd.replies(tid) == ["answer"]


def test_rule_webhook_through_the_api(fd: FakeFreshdesk, app_for, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    client = app_for(freshdesk=settings_for(fd))
    tid = fd.open_ticket("Refund", "<p>I want a refund</p>")
    body = b'{"ticket_id": "%d", "event": "created"}' % tid
    assert client.post("/webhooks/freshdesk", content=body).status_code == 401
    first = client.post("/webhooks/freshdesk", content=body, headers=H)
    assert first.status_code == 202, first.text
    assert client.post("/webhooks/freshdesk", content=body, headers=H).json()["duplicate"]
    bad = client.post("/webhooks/freshdesk", content=b'{"ticket_id": "abc"}', headers=H)
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "ticket_id"
    assert count(sqlite_url, m.Ticket) == 1


def test_vendor_down_while_reading_the_message_is_503_and_stores_nothing(
        fd: FakeFreshdesk, app_for, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    client = app_for(freshdesk=settings_for(fd))
    tid = fd.open_ticket("Refund", "<p>I want a refund</p>")
    fd.fail_next(1, status=503, headers={"Retry-After": "7"}, only="GET")  # > 1 s: not waited
    r = client.post("/webhooks/freshdesk", content=b'{"ticket_id": "%d"}' % tid, headers=H)
    assert r.status_code == 503 and r.headers["retry-after"] == "7"
    assert count(sqlite_url, m.Ticket) == 0
    again = client.post("/webhooks/freshdesk", content=b'{"ticket_id": "%d"}' % tid, headers=H)
    assert again.status_code == 202  # Freshdesk's redelivery once the API is back
