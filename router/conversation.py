"""Conversation-aware routing: what earlier tickets in the same thread imply."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from connectors.email.settings import address_of
from router.domain import ConversationContext, OutcomeKind, Route, TicketState
from router.outcomes import record_outcome, record_reopening
from router.store import models as m
from router.store import repo

_NOT_HELPED = re.compile(
    r"\b(did(n'?t| not) (help|work|answer|solve|fix)|(does(n'?t| not)|still (does(n'?t| not)))"
    r" (help|work)|not helpful|useless (answer|reply)|that'?s not what i asked|"
    r"you (did(n'?t| not)|never) answer|still (not|no|the same|having|broken)|"
    r"same problem|problem (persists|is still))",
    re.IGNORECASE,
)


#: channels whose requester is the sender's e-mail address and whose threads anyone may write
#: in (a colleague in Cc, an agent from an address not in DESKROUTE_EMAIL_AGENT_ADDRESSES)
_ADDRESSED_CHANNELS = frozenset({"email"})


def says_not_helped(text: str) -> bool:
    return bool(_NOT_HELPED.search(text))


def foreign_sender(session: Session, ticket: m.Ticket) -> str | None:
    """The sender of an e-mail follow-up when it is not the conversation's customer (the
    requester of the thread's first ticket), as a bare lower-case address; None for the
    customer (display names and the address's case aside) and on other channels."""
    if ticket.source not in _ADDRESSED_CHANNELS:
        return None
    first = repo.first_in_thread(session, ticket)
    if first is None:
        return None
    customer = address_of(first.requester or "")
    sender = address_of(ticket.requester or "")
    if not customer or sender == customer:
        return None
    return sender or "(no address)"


def context_for(session: Session, ticket: m.Ticket, prev: m.Ticket | None) -> ConversationContext:
    """What ``prev``, the ticket before ``ticket`` in its thread (``repo.previous_in_thread``;
    None: ``ticket`` opens it), implies for routing ``ticket``."""
    if prev is None:
        return ConversationContext()
    decision = repo.latest_decision(session, prev.id)
    prev_route: Route | None = Route(decision.route) if decision else None
    if prev.state == TicketState.ESCALATED.value or prev.reason:
        prev_route = Route.HUMAN  # it ended with a person, so the thread stays with people
    return ConversationContext(
        previous_route=prev_route,
        previous_state=TicketState(prev.state),
        is_follow_up=True,
        not_helped=says_not_helped(ticket.body),
        foreign_sender=foreign_sender(session, ticket),
    )


def record_not_helped(session: Session, ticket: m.Ticket, prev: m.Ticket | None,
                      context: ConversationContext) -> bool:
    """A follow-up saying a local answer did not help reopens that answer's ticket.

    The ``not_helpful`` outcome is what ``deskroute calibrate --from-outcomes`` learns from.
    ``context`` is :func:`context_for`'s (a delivered ticket carries no escalation reason, so
    its ``previous_route`` is the route its decision took). Returns True when recorded.
    """
    if not (
        context.not_helped
        and not context.foreign_sender  # not the customer: their view is not the customer's
        and context.previous_state is TicketState.DELIVERED
        and context.previous_route is Route.SLM
        and prev is not None
    ):
        return False
    record_outcome(session, prev.id, OutcomeKind.NOT_HELPFUL, source="follow-up",
                   note=f"follow-up ticket {ticket.id} said it did not help",
                   event_id=f"ticket-{ticket.id}")
    return True


def record_reopened(session: Session, ticket: m.Ticket, prev: m.Ticket | None,
                    context: ConversationContext) -> bool:
    """A follow-up from the customer on a conversation the report counts as resolved reopens
    the earlier ticket (mail from someone else in the thread does not: ``context``'s
    ``foreign_sender``).

    Channels that send no reopen event (a customer's reply on a closed Intercom conversation,
    the generic hook, e-mail, Slack) are counted this way; where the helpdesk sends one too,
    :func:`router.outcomes.record_reopening` records whichever comes first and skips the other
    (the ticket is no longer resolved). Once per follow-up ticket however often it is
    processed. Returns True when recorded.
    """
    if prev is None or context.foreign_sender:
        return False
    done = record_reopening(session, prev, source="follow-up",
                            event_id=f"ticket-{ticket.id}:reopened",
                            note=f"follow-up ticket {ticket.id} on a resolved conversation")
    return done.new
