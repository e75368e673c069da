"""E-mail end to end through the real pipeline (classifier, llama.cpp, verifier), with the
inbox on a real Dovecot and the replies received by a real SMTP server: a mail is answered in
its thread, an out-of-office answering that reply is ignored, the customer's follow-up is
routed with the thread's context to the team, and a poller killed between fetching and
committing neither loses a mail nor answers one twice."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.email import ids
from connectors.email.connector import EmailConnector
from connectors.email.settings import EmailSettings
from connectors.registry import Registry
from router.mailbox_poll import poll_once
from router.pipeline.services import Services
from router.store import repo
from router.store.db import unit_of_work
from router.worker.runner import drain
from tests.contract.fakes import mail as fm
from tests.contract.test_email_poll import KILL_BEFORE_COMMIT, _poll_process

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::ResourceWarning")]


def _settings(imap: fm.Dovecot, smtp: fm.FakeSMTP) -> EmailSettings:
    return EmailSettings(imap_url=imap.url, imap_user=fm.IMAP_USER,
                         imap_password=fm.IMAP_PASSWORD, smtp_url=smtp.url,
                         email_from=fm.FROM, email_escalate_to=fm.ESCALATE_TO,
                         email_timeout_seconds=10)


def _ticket(url: str, ticket_id: int) -> dict[str, Any]:
    with unit_of_work(url) as s:
        t = repo.get_ticket(s, ticket_id)
        assert t is not None
        d = repo.latest_decision(s, ticket_id)
        return {"state": t.state, "reason": t.reason, "thread_id": t.thread_id,
                "route": d.route if d else None, "reasons": list(d.reasons) if d else []}


def test_mail_answered_in_thread_then_the_follow_up_goes_to_the_team_with_context(
        imap: fm.Dovecot, smtp: fm.FakeSMTP, pipeline_env: str) -> None:
    url = pipeline_env
    settings = _settings(imap, smtp)
    conn = EmailConnector(settings)
    services = Services(database_url=url, connectors=Registry({"email": settings}))
    imap.deliver(fm.mail("Do you accept PayPal?", subject="Payment",
                         message_id="pay-1@customer.example"))
    polled = poll_once(conn, url=url)
    [first] = polled.created
    drain(services=services, url=url)
    view = _ticket(url, first)
    assert view["state"] == "delivered", view
    [answer] = smtp.messages
    msg = answer.msg
    assert answer.rcpt_tos == ["ann@customer.example"] and "paypal" in answer.text.lower()
    assert msg["Subject"] == "Re: Payment" and msg["In-Reply-To"] == "<pay-1@customer.example>"
    assert msg["References"] == "<pay-1@customer.example>"
    ours = msg["Message-ID"].strip()[1:-1]
    assert ids.ours(ours, "shop.example") == view["thread_id"]

    # The customer's auto-responder answers our reply; then the customer writes back.
    imap.deliver(fm.mail("I am out of the office until Monday.", subject="Re: Payment",
                         in_reply_to=ours, headers={"Auto-Submitted": "auto-replied"}))
    imap.deliver(fm.mail("That didn't help, PayPal is still not offered at checkout.\n\n"
                         "On Mon, Shop Support wrote:\n> Yes, we accept PayPal.",
                         subject="Re: Payment", message_id="pay-2@customer.example",
                         in_reply_to=ours, references=["pay-1@customer.example", ours]))
    polled = poll_once(conn, url=url)
    assert len(polled.ignored) == 1 and "Auto-Submitted" in polled.ignored[0]["reason"]
    [follow] = polled.created
    drain(services=services, url=url)
    view = _ticket(url, follow)
    assert view["thread_id"] == _ticket(url, first)["thread_id"]
    assert view["route"] == "human" and any("follow-up" in r for r in view["reasons"]), view
    assert view["state"] == "escalated", view
    assert len(smtp.messages) == 2  # the forward; no second answer to the customer
    forward = smtp.messages[1]
    assert forward.rcpt_tos == [fm.ESCALATE_TO]
    assert forward.msg["Subject"] == f"[deskroute #{follow}] Escalated: Payment"
    assert forward.msg["Reply-To"] == "ann@customer.example"
    assert forward.msg["In-Reply-To"] == "<pay-2@customer.example>"
    assert "follow-up" in forward.text and "PayPal is still not offered" in forward.text


def test_a_poller_killed_before_its_commit_loses_nothing_and_answers_once(
        imap: fm.Dovecot, smtp: fm.FakeSMTP, pipeline_env: str) -> None:
    url = pipeline_env
    settings = _settings(imap, smtp)
    services = Services(database_url=url, connectors=Registry({"email": settings}))
    poll_once(EmailConnector(settings), url=url)  # the folder is known: read what arrives
    asked = {"crash-1@customer.example": "Do you accept PayPal?",
             "crash-2@customer.example": "I will sue you, my lawyer is ready."}
    for message_id, text in asked.items():
        imap.deliver(fm.mail(text, message_id=message_id))
    killed = _poll_process(imap, url, KILL_BEFORE_COMMIT)
    assert killed.returncode != 0 and drain(services=services, url=url) == 0
    assert smtp.messages == []
    assert _poll_process(imap, url).returncode == 0
    assert _poll_process(imap, url).returncode == 0  # nothing new the second time
    drain(services=services, url=url)
    answered: dict[str, list[str]] = {}
    for got in smtp.messages:
        answered.setdefault(got.msg["In-Reply-To"].strip("<>"), []).extend(got.rcpt_tos)
    assert answered == {"crash-1@customer.example": ["ann@customer.example"],
                        "crash-2@customer.example": [fm.ESCALATE_TO]}, answered


def test_only_the_customer_is_answered_in_a_thread_others_go_to_a_person(
        imap: fm.Dovecot, smtp: fm.FakeSMTP, pipeline_env: str) -> None:
    """In a known thread the bot answers its customer (whatever the case of the address or
    the display name); a listed agent's mail stays agent feedback; mail from anyone else (a
    colleague of the customer, an agent writing from an address not listed) is stored as a
    follow-up and escalated with the reason, never answered."""
    url = pipeline_env
    settings = _settings(imap, smtp).model_copy(
        update={"email_agent_addresses": "agnes@shop.example"})
    conn = EmailConnector(settings)
    services = Services(database_url=url, connectors=Registry({"email": settings}))
    imap.deliver(fm.mail("Do you accept PayPal?", subject="Payment",
                         message_id="pay-1@customer.example"))
    [first] = poll_once(conn, url=url).created
    drain(services=services, url=url)
    assert _ticket(url, first)["state"] == "delivered"
    [answer] = smtp.messages
    ours = answer.msg["Message-ID"].strip()[1:-1]
    thread = ["pay-1@customer.example", ours]

    # The customer again, from the same address written differently: answered as before.
    imap.deliver(fm.mail("Do you accept PayPal?", subject="Re: Payment",
                         sender="Ann Smith (work) <ANN@Customer.Example>",
                         message_id="pay-2@customer.example", in_reply_to=ours,
                         references=thread))
    [again] = poll_once(conn, url=url).created
    drain(services=services, url=url)
    assert _ticket(url, again)["state"] == "delivered", _ticket(url, again)
    assert len(smtp.messages) == 2 and smtp.messages[1].rcpt_tos == ["ann@customer.example"]

    # A listed agent answers Ann: agent feedback, no ticket.
    imap.deliver(fm.mail("Yes, PayPal is offered at checkout.", subject="Re: Payment",
                         sender="Agnes <agnes@shop.example>", to="ann@customer.example",
                         message_id="agent-1@shop.example", in_reply_to="pay-2@customer.example",
                         references=[*thread, "pay-2@customer.example"]))
    polled = poll_once(conn, url=url)
    assert polled.created == [] and polled.ignored[0]["reason"] == \
        f"agent reply recorded on ticket {again}", polled

    # Ann's colleague, and an agent from an address nobody listed (support in Cc): stored as
    # follow-ups in the thread, escalated to the team with the reason, answered by no bot.
    others = {"Bob <Bob@Customer.Example>": "bob@customer.example",
              "Agnes Private <agnes.home@mail.example>": "agnes.home@mail.example"}
    for n, sender in enumerate(others, start=3):
        imap.deliver(fm.mail("Do you accept PayPal?", subject="Re: Payment", sender=sender,
                             to="ann@customer.example", headers={"Cc": fm.FROM},
                             message_id=f"pay-{n}@customer.example", in_reply_to=ours,
                             references=thread))
    created = poll_once(conn, url=url).created
    assert len(created) == 2
    drain(services=services, url=url)
    for ticket_id, address in zip(created, others.values(), strict=True):
        view = _ticket(url, ticket_id)
        assert view["thread_id"] == _ticket(url, first)["thread_id"]
        assert view["route"] == "human" and view["state"] == "escalated", view
        assert f"sender {address} is not this conversation's customer" in view["reason"], view
    sent = smtp.messages[2:]
    assert [m.rcpt_tos for m in sent] == [[fm.ESCALATE_TO]] * 2  # the team; nobody else
    assert all("is not this conversation's customer" in m.text for m in sent)
