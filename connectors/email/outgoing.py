"""The mails deskroute sends: a reply in the customer's thread, and a forward to the team.

A reply answers the customer's message (``In-Reply-To`` its Message-ID, ``References`` the
thread's ids then it, ``Re:`` subject), so every mail client files it in the conversation.
Every mail we send says it is automatic (``Auto-Submitted: auto-replied``, RFC 3834) and asks
Exchange not to answer it with an out-of-office (``X-Auto-Response-Suppress``), and carries
``X-Deskroute-Ticket``: the other side's bots stay quiet and our own poller ignores it.

An escalation goes to ``DESKROUTE_EMAIL_ESCALATE_TO`` with the reasons (the core's internal
note), then the customer's original message; ``Reply-To`` is the customer and the thread
headers are theirs, so an agent's *Reply* answers the customer in the same conversation.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from connectors.email import ids
from connectors.email.inbound import OUR_HEADER, bare_subject
from connectors.email.settings import EmailSettings
from router.domain import OutgoingReply

_ALREADY_REPLY = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)


class NotDeliverable(LookupError):
    """A mail that cannot be composed (no address to send to): not worth retrying."""


def _meta(reply: OutgoingReply) -> dict[str, Any]:
    return reply.metadata or {}


def _thread_headers(msg: EmailMessage, meta: dict[str, Any]) -> None:
    parent = meta.get("email_message_id")
    refs = [r for r in (meta.get("email_references") or []) if isinstance(r, str)]
    if parent:
        msg["In-Reply-To"] = f"<{parent}>"
        refs = [*refs, parent] if parent not in refs else refs
    if refs:
        msg["References"] = " ".join(f"<{r}>" for r in refs)


def _base(settings: EmailSettings, reply: OutgoingReply, kind: str) -> EmailMessage:
    if not settings.email_from:
        raise LookupError("DESKROUTE_EMAIL_FROM is not set: no address to send from")
    msg = EmailMessage()
    msg["From"] = settings.email_from
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = ids.our_message_id(
        thread_id=reply.thread_id or "", ticket_id=reply.ticket_id, kind=kind,
        external_id=reply.external_id, domain=settings.domain)
    msg[OUR_HEADER] = str(reply.ticket_id)
    msg["Auto-Submitted"] = "auto-replied" if kind == "reply" else "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    return msg


def reply_subject(subject: str) -> str:
    """``Re: <subject>``, without stacking a second ``Re:`` on an answer's subject."""
    subject = subject.strip()
    if not subject:
        return "Re: your message"
    return subject if _ALREADY_REPLY.match(subject) else f"Re: {subject}"


def reply_message(settings: EmailSettings, reply: OutgoingReply) -> EmailMessage:
    meta = _meta(reply)
    to = meta.get("email_reply_to")
    if not to:
        raise NotDeliverable(f"ticket {reply.ticket_id} has no address to reply to")
    msg = _base(settings, reply, "reply")
    msg["To"] = str(to)
    msg["Subject"] = reply_subject(str(meta.get("email_subject") or ""))
    _thread_headers(msg, meta)
    msg.set_content(reply.text)
    return msg


def team_message(settings: EmailSettings, reply: OutgoingReply, kind: str) -> EmailMessage:
    """An escalation (``kind="escalation"``) or a suggested draft (``"note"``) for the team."""
    if not settings.email_escalate_to:
        raise NotDeliverable("DESKROUTE_EMAIL_ESCALATE_TO is not set: nowhere to hand the "
                             "ticket to")
    meta = _meta(reply)
    msg = _base(settings, reply, kind)
    msg["To"] = settings.email_escalate_to
    customer = meta.get("email_reply_to")
    if customer:
        msg["Reply-To"] = str(customer)
    what = "Escalated" if kind == "escalation" else "Suggested reply"
    subject = bare_subject(str(meta.get("email_subject") or "")) or "(no subject)"
    msg["Subject"] = f"[deskroute #{reply.ticket_id}] {what}: {subject}"
    _thread_headers(msg, meta)
    lines = [reply.text.strip(), ""]
    if customer:
        lines += [f"Reply to this mail to answer the customer ({customer}) in their thread.", ""]
    lines += ["---------- Original message ----------"]
    for label, key in (("From", "email_from"), ("Date", "email_date"), ("To", "email_to"),
                       ("Cc", "email_cc"), ("Subject", "email_subject"),
                       ("Message-ID", "email_message_id")):
        if meta.get(key):
            lines.append(f"{label}: {meta[key]}")
    if meta.get("email_attachments"):
        lines.append(f"Attachments: {', '.join(map(str, meta['email_attachments']))}")
    lines += ["", str(meta.get("email_original") or "(the original text was not kept)")]
    msg.set_content("\n".join(lines))
    return msg
