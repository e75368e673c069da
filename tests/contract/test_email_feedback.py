"""Agent feedback by e-mail, end to end: the real pipeline in ``assist`` (classifier, knowledge
base, verifier) reads the support inbox on a real Dovecot and sends its suggestions to the team
through a real SMTP server; the agents' replies to the customers, copied to the support inbox,
are compared with the drafts like a helpdesk agent's comment. deskroute's own mail in the same
inbox stays ignored, and the same reply read twice counts once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.email.connector import EmailConnector
from connectors.email.settings import EmailSettings
from connectors.registry import Registry
from router.mailbox_poll import poll_once
from router.pipeline.services import Services
from router.store import models as m
from router.store.db import unit_of_work
from router.worker.runner import drain
from tests.contract.fakes import mail as fm
from tests.rollout_policy import use_mode

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::ResourceWarning")]

CUSTOMER = "Ann <ann@customer.example>"


def _feedback(url: str) -> dict[int, str]:
    with unit_of_work(url) as s:
        return {fb.ticket_id: fb.kind for fb in s.scalars(select(m.DraftFeedback))}


def _drafts(url: str) -> dict[int, str]:
    with unit_of_work(url) as s:
        return {d.ticket_id: d.text for d in s.scalars(select(m.DraftRow).where(
            m.DraftRow.accepted.is_(True), m.DraftRow.purpose == "answer"))}


def test_agents_replies_from_the_support_inbox_are_judged_against_the_drafts(
        imap: fm.Dovecot, smtp: fm.FakeSMTP, pipeline_env: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = pipeline_env
    use_mode(monkeypatch, tmp_path, "assist")
    settings = EmailSettings(imap_url=imap.url, imap_user=fm.IMAP_USER,
                             imap_password=fm.IMAP_PASSWORD, smtp_url=smtp.url,
                             email_from=fm.FROM, email_escalate_to=fm.ESCALATE_TO,
                             email_agent_addresses="agnes@shop.example",
                             email_timeout_seconds=10)
    conn = EmailConnector(settings)
    services = Services(database_url=url, connectors=Registry({"email": settings}))
    poll_once(conn, url=url)  # the folder is known: read what arrives
    imap.deliver(fm.mail("Do you accept PayPal?", subject="Payment",
                         message_id="pay-1@customer.example"))
    imap.deliver(fm.mail("Can I pay with PayPal?", subject="Paying",
                         message_id="pay-2@customer.example"))
    first, second = poll_once(conn, url=url).created
    drain(services=services, url=url)
    notes = {int(n.msg["X-Deskroute-Ticket"]): n for n in smtp.messages}
    assert set(notes) == {first, second}  # a suggestion each, to the team; nothing to Ann
    assert all(n.rcpt_tos == [fm.ESCALATE_TO] for n in notes.values())
    drafts = _drafts(url)

    # From the support address: the agent answers deskroute's suggestion to the customer,
    # sending the draft as it is (greeting and sign-off added) above the quoted suggestion.
    note_id = notes[first].msg["Message-ID"].strip()[1:-1]
    as_is = fm.mail(f"Hi Ann,\n\n{drafts[first]}\n\nBest regards,\nAgnes\n\n"
                    f"On Mon, Shop Support wrote:\n> {notes[first].text[:60]}",
                    subject="Re: Payment", sender=fm.FROM, to=CUSTOMER,
                    message_id="agent-1@shop.example", in_reply_to=note_id,
                    references=["pay-1@customer.example", note_id])
    # From an agent's own address, answering the customer's mail directly, edited.
    edited = fm.mail(drafts[second].replace("PayPal", "PayPal and Apple Pay", 1),
                     subject="Re: Paying", sender="Agnes <agnes@shop.example>", to=CUSTOMER,
                     message_id="agent-2@shop.example", in_reply_to="pay-2@customer.example",
                     references=["pay-2@customer.example"])
    assert drafts[second] != drafts[second].replace("PayPal", "PayPal and Apple Pay", 1)
    uids = [imap.deliver(as_is), imap.deliver(notes[first].raw), imap.deliver(edited),
            imap.deliver(as_is)]  # deskroute's own note in the inbox; the reply seen twice
    polled = poll_once(conn, url=url)
    reasons = {i["uid"]: i["reason"] for i in polled.ignored}
    assert polled.created == [] and polled.refused == [], polled
    assert reasons[uids[0]] == f"agent reply recorded on ticket {first}"
    assert "Auto-Submitted" in reasons[uids[1]]  # our own mail, not a reply
    assert reasons[uids[2]] == f"agent reply recorded on ticket {second}"
    assert reasons[uids[3]] == f"agent reply already recorded on ticket {first}"
    assert uids[1] not in imap.seen()  # ignored mail stays unread

    drain(services=services, url=url)
    assert _feedback(url) == {first: "sent_as_is", second: "edited"}
    assert len(smtp.messages) == 2  # judging sends nothing
    assert poll_once(conn, url=url).fetched == 0  # read once; a re-read changes nothing
    with unit_of_work(url) as s:
        replies = s.scalars(select(m.Outcome).where(m.Outcome.kind == "agent_reply")).all()
        assert sorted((r.ticket_id, r.event_id) for r in replies) == [
            (first, "agent-1@shop.example"), (second, "agent-2@shop.example")]
