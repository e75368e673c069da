"""E-mail contract tests: what is read and ignored (auto-replies, bounces, our own mail), quote
and signature stripping, threading, the inbound-parse webhook (Postmark JSON, basic auth) and
replies/escalations sent to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from connectors.base import AgentReply, FollowUp, Ignored, NewTicket, SignatureError
from connectors.email import ids
from connectors.email.connector import EmailConnector
from connectors.email.outgoing import reply_message, team_message
from connectors.email.settings import EmailSettings
from router.domain import OutgoingReply
from router.store import models as m
from router.store.db import unit_of_work
from tests.contract.conftest import count
from tests.contract.fakes import mail as fm

INBOUND_PASSWORD = "pm-hook-7Kq2vX9wLr4Tz8Nc"


def settings(**over: Any) -> EmailSettings:
    values: dict[str, Any] = {"email_from": fm.FROM, "email_escalate_to": fm.ESCALATE_TO,
                              "email_inbound_password": INBOUND_PASSWORD,
                              "email_timeout_seconds": 5}
    return EmailSettings(**{**values, **over})


def read(raw: bytes, **over: Any) -> Any:
    return EmailConnector(settings(**over)).read_raw(raw)


# --- what is read and what is ignored -------------------------------------------------------


@pytest.mark.parametrize(("headers", "sender", "event", "why"), [
    ({"Auto-Submitted": "auto-replied"}, None, "auto-reply", "Auto-Submitted"),
    ({"Auto-Submitted": "auto-generated"}, None, "auto-reply", "Auto-Submitted"),
    ({"Precedence": "bulk"}, None, "auto-reply", "Precedence: bulk"),
    ({"Precedence": "junk"}, None, "auto-reply", "Precedence: junk"),
    ({"Precedence": "list"}, None, "auto-reply", "Precedence: list"),
    ({"X-Autoreply": "yes"}, None, "auto-reply", "X-Autoreply"),
    ({"X-Autorespond": "Out of office"}, None, "auto-reply", "X-Autorespond"),
    ({}, "Mail Delivery System <MAILER-DAEMON@mx.customer.example>", "bounce", "mailer-daemon"),
    ({}, "postmaster@customer.example", "bounce", "postmaster"),
    ({"Return-Path": "<>"}, None, "bounce", "Return-Path"),
    ({}, fm.FROM, "own", "own mail"),
    ({}, fm.ESCALATE_TO, "own", "own mail"),
    ({"X-Deskroute-Ticket": "12"}, None, "own", "own mail"),
    ({"X-Loop": "support@shop.example"}, None, "own", "loop"),
])
def test_automatic_mail_bounces_and_our_own_mail_are_ignored_with_a_reason(
        headers: dict[str, str], sender: str | None, event: str, why: str) -> None:
    raw = fm.mail("I am out of the office until Monday.", headers=headers,
                  **({"sender": sender} if sender else {}))
    got = read(raw)
    assert isinstance(got, Ignored), got
    assert got.event == event and why.lower() in got.reason.lower(), got


def test_a_delivery_status_report_is_a_bounce() -> None:
    raw = (b"From: Mail System <mailer@mx.customer.example>\r\nTo: support@shop.example\r\n"
           b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
           b" boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n"
           b"--b--\r\n")
    got = read(raw)
    assert isinstance(got, Ignored) and got.event == "bounce", got


def test_auto_submitted_no_and_our_own_message_id_domain_elsewhere_are_read() -> None:
    got = read(fm.mail("Where is my parcel?", headers={"Auto-Submitted": "no"}))
    assert isinstance(got, NewTicket), got
    # a Message-ID shaped like ours but from another domain is not ours
    fake = "deskroute." + "a" * 32 + ".1.reply.abcdef12@elsewhere.example"
    assert isinstance(read(fm.mail("Hello?", message_id=fake)), NewTicket)


def test_our_own_reply_coming_back_is_ignored_by_its_message_id() -> None:
    ours = ids.our_message_id(thread_id="f" * 32, ticket_id=3, kind="reply", external_id="x",
                              domain="shop.example")[1:-1]
    got = read(fm.mail("Thanks for your message.", message_id=ours,
                       sender="Someone <relay@forwarder.example>"))
    assert isinstance(got, Ignored) and got.event == "own", got


def test_quoted_history_and_signature_are_stripped_from_plain_text() -> None:
    body = ("Thanks, but the parcel still has not arrived.\nCan you check again?\n\n"
            "-- \nAnn Example\nCustomer Corp\n\n"
            "On Mon, 3 Feb 2025 at 10:00, Shop Support <support@shop.example> wrote:\n"
            "> It ships today.\n> Regards\n")
    got = read(fm.mail(body))
    assert isinstance(got, NewTicket)
    assert got.ticket.body == ("Thanks, but the parcel still has not arrived.\n"
                               "Can you check again?")
    assert "It ships today" in got.ticket.metadata["email_original"]  # kept for the team


def test_html_only_mail_drops_the_gmail_quote_and_a_sent_from_line() -> None:
    raw = fm.mail("", html=("<div>My card was charged twice.</div><div><br></div>"
                            "<div>Sent from my iPhone</div>"
                            "<div class=\"gmail_quote\">On Mon, Bob wrote:<blockquote>old "
                            "text</blockquote></div>"))
    got = read(raw)
    assert isinstance(got, NewTicket)
    assert got.ticket.body == "My card was charged twice."


def test_threading_follow_ups_by_references_and_in_reply_to() -> None:
    first = read(fm.mail("Where is order 7?", message_id="root-1@customer.example",
                         subject="Order 7"))
    assert isinstance(first, NewTicket)
    assert first.ticket.thread_id == ids.thread_key("root-1@customer.example")
    # Our reply's id carries the thread: a client that only sends In-Reply-To stays in it.
    ours = ids.our_message_id(thread_id=first.ticket.thread_id, ticket_id=1, kind="reply",
                              external_id=first.ticket.external_id, domain="shop.example")
    only_irt = read(fm.mail("Still nothing.", subject="Re: Order 7",
                            in_reply_to=ours[1:-1]))
    by_refs = read(fm.mail("Any news?", subject="RE: Re: Order 7", in_reply_to="other@x",
                           references=["root-1@customer.example", ours[1:-1]]))
    plain_refs = read(fm.mail("Hello again", references=["root-1@customer.example", "m2@x"]))
    for got in (only_irt, by_refs, plain_refs):
        assert isinstance(got, FollowUp), got
        assert got.ticket.thread_id == first.ticket.thread_id
    assert by_refs.ticket.subject == "Order 7"  # reply prefixes off for the classifier
    assert by_refs.ticket.metadata["email_subject"] == "RE: Re: Order 7"


def test_reply_to_is_the_address_answered_and_a_missing_message_id_gets_a_stable_key() -> None:
    raw = fm.mail("Please call me back.", headers={"Reply-To": "Ann <ann.private@home.example>"})
    raw = b"\r\n".join(line for line in raw.split(b"\r\n")
                       if not line.lower().startswith(b"message-id"))
    first, again = read(raw), read(raw)
    assert isinstance(first, NewTicket)
    assert first.ticket.metadata["email_reply_to"] == "ann.private@home.example"
    assert first.ticket.requester == "ann@customer.example"
    assert first.ticket.external_id.startswith("sha256:")
    assert first.ticket.external_id == again.ticket.external_id


# --- agent feedback: the team's reply to the customer ----------------------------------------

AGENT_REPLY = ("Hi Ann,\n\nYes, we accept PayPal at checkout.\n\nBest regards,\nAgnes\n-- \n"
               "Shop Support | shop.example\n\nOn Mon, 3 Feb 2025, Shop Support "
               "<support@shop.example> wrote:\n> Suggested reply: Yes, we accept PayPal.\n")


def _our_mails(kind: str) -> list[bytes]:
    """deskroute's own reply (or team note) for a ticket: as it leaves, with all its markers
    but one taken off (a relay that strips X- headers, one that rewrites the id), and last
    with none left."""
    first = _ticket(fm.mail("Do you accept PayPal?", message_id="q1@customer.example"))
    out = _out(first, "Yes, we accept PayPal.", kind=kind)
    msg = reply_message(settings(), out) if kind == "reply" else team_message(settings(), out,
                                                                               kind)
    markers = ("X-Deskroute-Ticket", "Message-ID", "Auto-Submitted")
    variants = [msg.as_bytes()]
    for keep in (*markers, None):  # None: all three taken off (the last one)
        copy = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
        for name in set(markers) - {keep}:
            del copy[name]
        if keep != "Message-ID":
            copy["Message-ID"] = "<relay-rewrote-it@mx.shop.example>"
        variants.append(copy.as_bytes())
    return variants


def test_a_reply_from_the_support_address_in_a_thread_is_an_agent_reply() -> None:
    first = _ticket(fm.mail("Do you accept PayPal?", message_id="q1@customer.example"))
    note = ids.our_message_id(thread_id=first.thread_id, ticket_id=7, kind="note",
                              external_id=first.external_id, domain="shop.example")[1:-1]
    # the agent answers deskroute's suggestion (In-Reply-To our note) to the customer
    got = read(fm.mail(AGENT_REPLY, sender=fm.FROM, to="Ann <ann@customer.example>",
                       message_id="agent-1@shop.example", in_reply_to=note,
                       references=["q1@customer.example", note]))
    assert isinstance(got, AgentReply), got
    assert got.thread_id == first.thread_id and got.event_id == "agent-1@shop.example"
    # greeting and sign-off stay (judging sets them aside), quote and signature go
    assert got.text == "Hi Ann,\n\nYes, we accept PayPal at checkout.\n\nBest regards,\nAgnes"
    # an agent's own address, listed or by domain, answering the customer's mail directly
    for agents in ("agnes@shop.example", "Bob <bob@shop.example>, @shop.example"):
        got = read(fm.mail(AGENT_REPLY, sender="Agnes <Agnes@Shop.example>",
                           to="ann@customer.example", in_reply_to="q1@customer.example",
                           references=["q1@customer.example"]),
                   email_agent_addresses=agents)
        assert isinstance(got, AgentReply) and got.thread_id == first.thread_id, got


@pytest.mark.parametrize(("sender", "to", "threaded", "why"), [
    (fm.FROM, "ann@customer.example", False, "answering no conversation"),
    (fm.FROM, fm.ESCALATE_TO, True, "among the team"),
    ("agnes@shop.example", f"{fm.ESCALATE_TO}, support@shop.example", True, "among the team"),
    (fm.ESCALATE_TO, "ann@customer.example", True, "escalation address"),
])
def test_the_teams_mail_that_is_no_reply_to_a_customer_is_ignored(
        sender: str, to: str, threaded: bool, why: str) -> None:
    thread: dict[str, Any] = {"in_reply_to": "q1@customer.example"} if threaded else {}
    got = read(fm.mail(AGENT_REPLY, sender=sender, to=to, **thread),
               email_agent_addresses="agnes@shop.example")
    assert isinstance(got, Ignored) and got.event == "own" and why in got.reason, got


@pytest.mark.parametrize("kind", ["reply", "note", "escalation"])
def test_deskroutes_own_mail_is_never_an_agent_reply(kind: str) -> None:
    """Any one of its three markers is enough (X-Deskroute-Ticket, our Message-ID,
    Auto-Submitted), even with the support address as sender and a customer as recipient."""
    *ours, bare = _our_mails(kind)
    for raw in ours:
        got = read(raw, email_agent_addresses="@shop.example")
        assert isinstance(got, Ignored) and got.event in ("own", "auto-reply"), got
    if kind == "reply":  # the markers are what tells it from an agent's reply
        assert isinstance(read(bare), AgentReply)


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "message"), [
    ("imap_url", "http://imap.example.com", "scheme must be one of"),
    ("imap_url", "imaps://user:pw@imap.example.com", "not in the URL"),
    ("smtp_url", "smtps://smtp.example.com/path", "no path"),
    ("email_from", "not an address", "not an e-mail address"),
    ("email_agent_addresses", "agnes@shop.example, agents", "neither an e-mail address"),
    ("email_agent_addresses", "@localhost", "neither an e-mail address"),
    ("email_inbound_password", "changeme-changeme-changeme", "placeholder"),
    ("email_inbound_password", "short", "at least 16"),
])
def test_bad_settings_are_refused_naming_what_is_wrong(field: str, value: str,
                                                       message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(**{field: value})


def test_a_password_is_never_sent_in_clear_except_to_this_machine() -> None:
    with pytest.raises(ValidationError, match="in clear"):
        settings(smtp_url="smtp://smtp.example.com", smtp_user="u", smtp_password="p")
    with pytest.raises(ValidationError, match="in clear"):
        settings(imap_url="imap://imap.example.com", imap_user="u", imap_password="p")
    ok = settings(smtp_url="smtp://127.0.0.1:2525", smtp_user="u", smtp_password="p",
                  imap_url="imaps://imap.example.com/Support")
    assert str(ok.server("imap")) == "imaps://imap.example.com:993/Support"
    assert ok.server("smtp") is not None and ok.server("smtp").port == 2525  # type: ignore[union-attr]


# --- inbound-parse webhook (Postmark) -------------------------------------------------------


def postmark(text: str = "Do you ship to Canada?", *, message_id: str = "pm-1@customer.example",
             headers: list[dict[str, str]] | None = None, **over: Any) -> bytes:
    """Postmark's documented inbound JSON shape (the fields deskroute reads and a few more)."""
    payload: dict[str, Any] = {
        "FromName": "Ann Example", "MessageStream": "inbound", "From": "ann@customer.example",
        "FromFull": {"Email": "ann@customer.example", "Name": "Ann Example", "MailboxHash": ""},
        "To": "\"Shop Support\" <support@shop.example>",
        "ToFull": [{"Email": "support@shop.example", "Name": "Shop Support", "MailboxHash": ""}],
        "Cc": "", "CcFull": [], "Bcc": "", "BccFull": [], "OriginalRecipient":
        "support@shop.example", "Subject": "Shipping", "MessageID":
        "73e6d360-66eb-11e1-8e72-a8904824019b", "ReplyTo": "", "MailboxHash": "",
        "Date": "Fri, 1 Aug 2025 16:45:32 -04:00", "TextBody": text,
        "HtmlBody": f"<p>{text}</p>", "StrippedTextReply": "", "Tag": "",
        "Headers": [{"Name": "X-Spam-Status", "Value": "No"},
                    {"Name": "Message-ID", "Value": f"<{message_id}>"}, *(headers or [])],
        "Attachments": [],
    }
    payload.update(over)
    return json.dumps(payload).encode()


def basic(user: str = "deskroute", password: str = INBOUND_PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}


@pytest.fixture
def api(app_for: Callable[..., TestClient]) -> TestClient:
    return app_for(email=settings())


@pytest.mark.parametrize("headers", [
    {"Content-Type": "application/json"},
    basic(password="pm-hook-7Kq2vX9wLr4Tz8Nd"),
    basic(user="postmark"),
    {"Authorization": "Bearer " + INBOUND_PASSWORD},
    {"Authorization": "Basic !!!notbase64"},
    {"Authorization": "Basic " + base64.b64encode(INBOUND_PASSWORD.encode()).decode()},
])
def test_inbound_parse_with_bad_basic_auth_is_401_and_stores_nothing(
        api: TestClient, sqlite_url: str, headers: dict[str, str]) -> None:
    r = api.post("/email/inbound", content=postmark(), headers=headers)
    assert r.status_code == 401, r.text
    assert count(sqlite_url, m.Ticket) == 0


def test_inbound_parse_without_a_configured_password_refuses_everything(
        app_for: Callable[..., TestClient], sqlite_url: str) -> None:
    client = app_for(email=settings(email_inbound_password=None))
    r = client.post("/email/inbound", content=postmark(), headers=basic())
    assert r.status_code == 401 and "DESKROUTE_EMAIL_INBOUND_PASSWORD" in r.text
    assert count(sqlite_url, m.Ticket) == 0


def test_postmark_inbound_is_stored_once_and_answered_200(api: TestClient,
                                                          sqlite_url: str) -> None:
    r = api.post("/email/inbound", content=postmark(), headers=basic())
    assert r.status_code == 200, r.text  # Postmark retries anything but 200
    assert r.json()["kind"] == "ticket" and r.json()["duplicate"] is False
    again = api.post("/email/inbound", content=postmark(), headers=basic())
    assert again.status_code == 200 and again.json()["duplicate"] is True
    view = api.get(f"/tickets/{r.json()['ticket_id']}").json()
    assert view["source"] == "email" and view["body"] == "Do you ship to Canada?"
    assert view["external_id"] == "pm-1@customer.example"
    # the generic intake path answers the same mail as the same ticket
    same = api.post("/webhooks/email", content=postmark(), headers=basic())
    assert same.status_code == 202 and same.json()["ticket_id"] == r.json()["ticket_id"]
    assert count(sqlite_url, m.Ticket) == 1


def test_postmark_auto_reply_and_follow_up(api: TestClient, sqlite_url: str) -> None:
    ooo = api.post("/email/inbound", headers=basic(), content=postmark(
        "I am away.", message_id="ooo@customer.example",
        headers=[{"Name": "Auto-Submitted", "Value": "auto-replied"}]))
    assert ooo.status_code == 200 and "Auto-Submitted" in ooo.json()["reason"]
    first = api.post("/email/inbound", content=postmark(), headers=basic()).json()
    follow = api.post("/email/inbound", headers=basic(), content=postmark(
        "Thanks! And to Mexico?\n\nOn Fri, Shop wrote:\n> Yes we do.",
        message_id="pm-2@customer.example",
        headers=[{"Name": "In-Reply-To", "Value": "<pm-1@customer.example>"},
                 {"Name": "References", "Value": "<pm-1@customer.example>"}])).json()
    assert follow["kind"] == "follow_up" and follow["thread_id"] == first["thread_id"]
    assert api.get(f"/tickets/{follow['ticket_id']}").json()["body"] == "Thanks! And to Mexico?"
    assert count(sqlite_url, m.Ticket) == 2


def test_postmark_agent_reply_is_recorded_once_on_the_conversation(
        api: TestClient, sqlite_url: str) -> None:
    first = api.post("/email/inbound", content=postmark(), headers=basic()).json()
    agent = postmark(
        "Hi Ann, yes: we ship to Canada in 5-7 days.\n\nOn Fri, Ann wrote:\n> Canada?",
        message_id="agent-pm@shop.example", From="support@shop.example", FromFull={
            "Email": "support@shop.example", "Name": "Shop Support"},
        To="ann@customer.example",
        headers=[{"Name": "In-Reply-To", "Value": "<pm-1@customer.example>"},
                 {"Name": "References", "Value": "<pm-1@customer.example>"}])
    got = api.post("/email/inbound", content=agent, headers=basic())
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["kind"] == "agent_reply" and body["ticket_id"] == first["ticket_id"], body
    assert body["duplicate"] is False
    again = api.post("/email/inbound", content=agent, headers=basic()).json()
    assert again["duplicate"] is True and again["ticket_id"] == first["ticket_id"]
    assert count(sqlite_url, m.Ticket) == 1  # the team's reply is no ticket
    with unit_of_work(sqlite_url) as s:
        [reply] = s.scalars(select(m.Outcome).where(m.Outcome.kind == "agent_reply")).all()
        assert (reply.note, reply.source, reply.event_id) == (
            "Hi Ann, yes: we ship to Canada in 5-7 days.", "email", "agent-pm@shop.example")


@pytest.mark.integration
def test_postmark_follow_up_from_someone_else_in_the_thread_is_escalated_not_answered(
        app_for: Callable[..., TestClient], smtp: fm.FakeSMTP, pipeline_env: str) -> None:
    """The real pipeline behind the inbound endpoint: the customer's follow-ups are answered
    (the address in any case, any display name); a colleague's mail in the thread, the
    support address in Cc, is stored as a follow-up and escalated with the reason."""
    from connectors.registry import Registry
    from router.pipeline.services import Services
    from router.worker.runner import drain

    url = pipeline_env
    conf = settings(smtp_url=smtp.url)
    api = app_for(url, email=conf)
    services = Services(database_url=url, connectors=Registry({"email": conf}))
    thread = [{"Name": "In-Reply-To", "Value": "<pm-1@customer.example>"},
              {"Name": "References", "Value": "<pm-1@customer.example>"}]
    posted = {}
    for name, over in (
            ("first", {}),
            ("own", {"message_id": "pm-2@customer.example", "headers": thread,
                     "From": "ANN@Customer.Example",
                     "FromFull": {"Email": "ANN@Customer.Example", "Name": "Ann at work"}}),
            ("other", {"message_id": "pm-3@customer.example", "headers": thread,
                       "From": "bob@customer.example", "To": "ann@customer.example",
                       "FromFull": {"Email": "Bob@Customer.Example", "Name": "Bob"},
                       "Cc": fm.FROM})):
        r = api.post("/email/inbound", headers=basic(), content=postmark(
            "Do you accept PayPal?", Subject="Payment", **over))
        assert r.status_code == 200, r.text
        posted[name] = r.json()
        drain(services=services, url=url)
    first, own, other = posted["first"], posted["own"], posted["other"]
    assert own["kind"] == other["kind"] == "follow_up"
    assert own["thread_id"] == other["thread_id"] == first["thread_id"]
    views = {k: api.get(f"/tickets/{t['ticket_id']}").json()
             for k, t in (("first", first), ("own", own), ("other", other))}
    assert views["first"]["state"] == views["own"]["state"] == "delivered", [
        (v["state"], v.get("reason")) for v in views.values()]
    assert views["other"]["state"] == "escalated", views["other"]
    assert "sender bob@customer.example is not this conversation's customer" in \
        views["other"]["reason"]
    sent = sorted((m.msg["In-Reply-To"], tuple(m.rcpt_tos)) for m in smtp.messages)
    assert sent == [("<pm-1@customer.example>", ("ann@customer.example",)),
                    ("<pm-2@customer.example>", ("ann@customer.example",)),
                    ("<pm-3@customer.example>", (fm.ESCALATE_TO,))], sent


def test_a_raw_message_can_be_posted_as_message_rfc822(api: TestClient) -> None:
    raw = fm.mail("Is the blue model back in stock?", message_id="raw-1@customer.example")
    r = api.post("/email/inbound", content=raw,
                 headers={**basic(), "Content-Type": "message/rfc822"})
    assert r.status_code == 200 and r.json()["kind"] == "ticket", r.text
    assert api.get(f"/tickets/{r.json()['ticket_id']}").json()["external_id"] == \
        "raw-1@customer.example"


def test_malformed_postmark_payload_is_422_naming_the_field(api: TestClient) -> None:
    r = api.post("/email/inbound", content=postmark(Headers=[{"Value": "x"}]), headers=basic())
    assert r.status_code == 422 and r.json()["detail"]["field"].startswith("Headers"), r.text
    r = api.post("/email/inbound", content=postmark(From="", FromFull=None), headers=basic())
    assert r.status_code == 422 and r.json()["detail"]["field"] == "From", r.text


def test_verify_reads_basic_auth_in_constant_time_and_refuses_non_ascii() -> None:
    conn = EmailConnector(settings())
    conn.verify(basic(), b"{}")
    with pytest.raises(SignatureError):
        conn.verify({"Authorization": "Basic w6k6w6k="}, b"{}")  # "é:é"


# --- outbound over SMTP ---------------------------------------------------------------------


def _ticket(raw: bytes) -> Any:
    got = read(raw)
    assert isinstance(got, NewTicket | FollowUp)
    return got.ticket


def _out(ticket: Any, text: str, ticket_id: int = 41, kind: str = "reply") -> OutgoingReply:
    return OutgoingReply(ticket_id=ticket_id, external_id=ticket.external_id, text=text,
                         kind=kind, thread_id=ticket.thread_id, metadata=ticket.metadata)


def test_reply_lands_in_the_customers_thread(smtp: fm.FakeSMTP) -> None:
    conn = EmailConnector(settings(smtp_url=smtp.url))
    first = _ticket(fm.mail("Do you accept PayPal?", subject="Payment",
                            message_id="q1@customer.example"))
    result = conn.reply(_out(first, "Yes, we accept PayPal at checkout."))
    assert result.ok and result.status_code == 250, result
    [got] = smtp.messages
    msg = got.msg
    assert got.mail_from == "support@shop.example" and got.rcpt_tos == ["ann@customer.example"]
    assert msg["Subject"] == "Re: Payment"
    assert msg["In-Reply-To"] == "<q1@customer.example>"
    assert msg["References"] == "<q1@customer.example>"
    assert msg["Auto-Submitted"] == "auto-replied" and msg["X-Deskroute-Ticket"] == "41"
    assert msg["Message-ID"].strip() == result.vendor_ref
    assert ids.ours(result.vendor_ref.strip("<>"), "shop.example") == first.thread_id
    assert got.text.strip() == "Yes, we accept PayPal at checkout."

    # The customer answers our reply; our next reply continues the same chain.
    follow = _ticket(fm.mail("And Klarna?", subject="Re: Payment",
                             message_id="q2@customer.example",
                             in_reply_to=result.vendor_ref.strip("<>"),
                             references=["q1@customer.example", result.vendor_ref.strip("<>")]))
    assert follow.thread_id == first.thread_id
    second = conn.reply(_out(follow, "Not yet.", ticket_id=42))
    assert second.ok
    msg2 = smtp.messages[1].msg
    assert msg2["Subject"] == "Re: Payment"  # no "Re: Re:"
    assert msg2["In-Reply-To"] == "<q2@customer.example>"
    assert msg2["References"].split() == ["<q1@customer.example>", result.vendor_ref.strip(),
                                          "<q2@customer.example>"]
    # our reply, should it reach the inbox, is not taken for a customer's mail
    assert isinstance(read(smtp.messages[1].raw), Ignored)


def test_escalation_is_forwarded_with_the_reasons_and_the_original(smtp: fm.FakeSMTP) -> None:
    conn = EmailConnector(settings(smtp_url=smtp.url))
    ticket = _ticket(fm.mail("I want a refund or I call my lawyer.\n\nOn Mon, X wrote:\n> old",
                             subject="Refund", message_id="angry@customer.example"))
    note = "Escalated by deskroute: legal_threat signal\nIntent: refund (confidence 0.91)"
    result = conn.escalate(_out(ticket, note, ticket_id=9, kind="escalation"))
    assert result.ok, result
    [got] = smtp.messages
    msg = got.msg
    assert got.rcpt_tos == [fm.ESCALATE_TO]
    assert msg["Subject"] == "[deskroute #9] Escalated: Refund"
    assert msg["Reply-To"] == "ann@customer.example"  # the agent's Reply goes to the customer
    assert msg["In-Reply-To"] == "<angry@customer.example>"
    assert msg["Auto-Submitted"] == "auto-generated"
    text = got.text
    assert "legal_threat" in text and "refund (confidence 0.91)" in text
    assert "From: Ann <ann@customer.example>" in text and "Subject: Refund" in text
    assert "I want a refund or I call my lawyer." in text and "> old" in text  # the original
    note_result = conn.note(_out(ticket, "Suggested: we can refund within 30 days", 9, "note"))
    assert note_result.ok and "Suggested reply: Refund" in smtp.messages[1].msg["Subject"]


def test_unconfigured_outbound_fails_naming_the_setting(smtp: fm.FakeSMTP) -> None:
    ticket = _ticket(fm.mail("Hello"))
    r = EmailConnector(settings()).reply(_out(ticket, "Hi"))
    assert not r.ok and not r.retryable and "DESKROUTE_SMTP_URL" in (r.error or "")
    r = EmailConnector(settings(smtp_url=smtp.url, email_escalate_to=None)).escalate(
        _out(ticket, "why", kind="escalation"))
    assert not r.ok and not r.retryable and "DESKROUTE_EMAIL_ESCALATE_TO" in (r.error or "")
    r = EmailConnector(settings(smtp_url=smtp.url, email_from=None)).reply(_out(ticket, "Hi"))
    assert not r.ok and "DESKROUTE_EMAIL_FROM" in (r.error or "")
    assert smtp.messages == []


@pytest.mark.parametrize(("stage", "reply", "retryable"), [
    ("RCPT", "451 4.7.1 Greylisted, try again later", True),
    ("DATA", "452 4.3.1 Insufficient system storage", True),
    ("RCPT", "550 5.1.1 No such user", False),
    ("DATA", "554 5.7.1 Message refused", False),
])
def test_smtp_answers_map_to_retryable_or_final_failures(
        smtp: fm.FakeSMTP, stage: str, reply: str, retryable: bool) -> None:
    conn = EmailConnector(settings(smtp_url=smtp.url))
    smtp.fail_next(stage, reply)
    r = conn.reply(_out(_ticket(fm.mail("Hello")), "Hi"))
    assert not r.ok and r.retryable is retryable, r
    assert r.status_code == int(reply[:3]) and reply[:3] in (r.error or "")
    assert smtp.messages == []
    assert conn.reply(_out(_ticket(fm.mail("Hello")), "Hi")).ok  # the server is back


def test_no_smtp_server_is_a_retryable_failure() -> None:
    from tests.helpers_http import free_port

    conn = EmailConnector(settings(smtp_url=f"smtp://127.0.0.1:{free_port()}"))
    r = conn.reply(_out(_ticket(fm.mail("Hello")), "Hi"))
    assert not r.ok and r.retryable and "ConnectionRefusedError" in (r.error or ""), r


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    return fm.self_signed(tmp_path)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # TLS is below it
@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_tls_and_login_per_url_scheme(tls: str, cert: tuple[Path, Path]) -> None:
    with fm.FakeSMTP(tls=tls, cert=cert, auth=True) as server:
        good = settings(smtp_url=server.url, smtp_user=fm.SMTP_USER,
                        smtp_password=fm.SMTP_PASSWORD, email_ca_file=str(cert[0]))
        r = EmailConnector(good).reply(_out(_ticket(fm.mail("Hello")), "Hi"))
        assert r.ok, r
        assert server.logins == [fm.SMTP_USER] and len(server.messages) == 1
        wrong = good.model_copy(update={"smtp_password": good.smtp_password.__class__(
            "wrong-password-123")})
        r = EmailConnector(wrong).reply(_out(_ticket(fm.mail("Hello")), "Hi"))
        assert not r.ok and not r.retryable and "DESKROUTE_SMTP_PASSWORD" in (r.error or "")
        assert "wrong-password-123" not in (r.error or "")
        untrusted = good.model_copy(update={"email_ca_file": None})
        r = EmailConnector(untrusted).reply(_out(_ticket(fm.mail("Hello")), "Hi"))
        assert not r.ok and not r.retryable and "DESKROUTE_EMAIL_CA_FILE" in (r.error or ""), r
        assert len(server.messages) == 1


def test_starttls_url_against_a_server_without_starttls_is_refused(smtp: fm.FakeSMTP) -> None:
    url = smtp.url.replace("smtp://", "smtp+starttls://")
    r = EmailConnector(settings(smtp_url=url)).reply(_out(_ticket(fm.mail("Hello")), "Hi"))
    assert not r.ok and not r.retryable and "STARTTLS" in (r.error or ""), r
    assert smtp.messages == []


def test_header_line_breaks_and_huge_mails_cannot_break_the_store_or_the_reply(
        api: TestClient, smtp: fm.FakeSMTP) -> None:
    r = api.post("/email/inbound", headers=basic(), content=postmark(
        "x " * 60_000, Subject="Refund\r\nBcc: victim@example.com", message_id="big@c.example"))
    assert r.status_code == 200, r.text
    view = api.get(f"/tickets/{r.json()['ticket_id']}").json()
    assert view["subject"] == "Refund Bcc: victim@example.com"  # one line, no injected header
    assert len(view["body"]) <= 100_000 and view["body"].endswith("the mail is longer]")
    conn = EmailConnector(settings(smtp_url=smtp.url))
    ticket = _ticket(fm.mail("Hi", subject="Refund"))
    assert conn.reply(_out(ticket, "Hello")).ok
    assert smtp.messages[0].msg.get_all("Bcc") is None
    bad = dataclasses.replace(_out(ticket, "Hello"), metadata={
        **ticket.metadata, "email_reply_to": "a@b\r\nBcc: x@y"})
    r2 = conn.reply(bad)
    assert not r2.ok and not r2.retryable and "cannot compose" in (r2.error or ""), r2
    assert len(smtp.messages) == 1
