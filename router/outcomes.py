"""Recording what happened to a ticket after deskroute answered it.

Outcomes come from three places: ``POST /tickets/{id}/outcomes`` (support tools, agents),
connector events (a helpdesk reports a status change or a satisfaction rating) and the
pipeline itself (a follow-up in the same thread reopens a resolved ticket, or says the answer
did not help). All of them go
through :func:`record_outcome`, so a kind, the CSAT scale or a redelivered event means the same
thing whoever reported it. The kinds and their meaning (``OutcomeKind``, ``CSAT_SCALE``,
``NEGATIVE_OUTCOMES``) live in ``router.domain``; docs/METRICS.md explains how the report reads
them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from router.domain import CSAT_SCALE, REOPENING_OUTCOMES, OutcomeKind
from router.pipeline.workflow import Task
from router.store import models as m
from router.store import outbox, repo


class OutcomeError(ValueError):
    """A bad outcome (unknown kind, value off the scale, unknown ticket): a 4xx, never a row."""


def validate_outcome(kind: str, value: float | None) -> OutcomeKind:
    """The kind as an enum, after checking that ``value`` fits it."""
    try:
        k = OutcomeKind(kind)
    except ValueError:
        known = ", ".join(x.value for x in OutcomeKind)
        raise OutcomeError(f"unknown outcome kind {kind!r}; expected one of {known}") from None
    lo, hi = CSAT_SCALE
    if k is OutcomeKind.CSAT:
        if value is None or not lo <= value <= hi:
            raise OutcomeError(f"csat needs a value from {lo} to {hi} (got {value})")
    elif k is OutcomeKind.AGENT_EDIT:
        if value is not None and not 0.0 <= value <= 1.0:
            raise OutcomeError(f"agent_edit value is the share of text changed, 0..1 (got {value})")
    elif value is not None:
        raise OutcomeError(f"{k.value} takes no value (got {value})")
    return k


def record_outcome(
    session: Session,
    ticket_id: int,
    kind: str,
    value: float | None = None,
    note: str | None = None,
    source: str = "api",
    event_id: str | None = None,
) -> m.Outcome:
    """Store one outcome for a ticket (flushes; the caller's boundary commits).

    ``source`` says who reported it (``api``, a connector name, ``follow-up``). With
    ``event_id`` (the channel's own event or rating id) a redelivered event returns the row
    stored the first time instead of counting twice. Raises :class:`OutcomeError` for an
    unknown ticket, an unknown kind or a value the kind does not allow.
    """
    k = validate_outcome(kind, value)
    if k is OutcomeKind.AGENT_REPLY:
        raise OutcomeError("agent_reply is recorded with record_agent_reply (it needs the text)")
    if repo.get_ticket(session, ticket_id) is None:
        raise OutcomeError(f"ticket {ticket_id} not found")
    return repo.add_outcome(session, ticket_id, k.value, value, note, source=source,
                            event_id=event_id)


def record_agent_reply(session: Session, ticket_id: int, text: str, *, source: str = "api",
                       event_id: str | None = None) -> m.Outcome:
    """Store an agent's public reply on a ticket and queue its comparison with the draft.

    The comparison needs the sentence encoder, so it runs in a worker (the ``feedback`` task),
    never in the request; a redelivered event (same ``event_id``) is stored once.
    """
    if not text or not text.strip():
        raise OutcomeError("agent_reply needs the text the agent sent")
    if repo.get_ticket(session, ticket_id) is None:
        raise OutcomeError(f"ticket {ticket_id} not found")
    seen = repo.outcome_by_event(session, source, event_id) if event_id else None
    if seen is not None:
        return seen
    row = repo.add_outcome(session, ticket_id, OutcomeKind.AGENT_REPLY.value, None, text,
                           source=source, event_id=event_id)
    outbox.add_outbox(session, Task.FEEDBACK.value, ticket_id)
    return row


def record_thread_reply(session: Session, source: str, thread_id: str, text: str,
                        event_id: str) -> tuple[m.Ticket, bool] | None:
    """An agent's reply a channel reported on a conversation: recorded on its newest ticket
    (the customer message it answers). Returns that ticket and whether the reply is new, or
    None when deskroute has no ticket in the conversation."""
    ticket = repo.latest_in_thread(session, source, thread_id)
    if ticket is None:
        return None
    seen = repo.outcome_by_event(session, source, event_id)
    record_agent_reply(session, ticket.id, text, source=source, event_id=event_id)
    return ticket, seen is None


@dataclass(frozen=True)
class ThreadOutcome:
    """What became of an outcome a channel reported on a conversation: recorded on ``ticket``
    (``new`` false for a redelivered event), or ``skipped`` with the reason."""

    ticket: m.Ticket | None
    new: bool = False
    skipped: str | None = None


def is_resolved(session: Session, ticket_id: int) -> bool:
    """Resolved now, as the report counts it: a ``resolved`` outcome after the last reopening
    (``reopened`` / ``not_helpful``)."""
    def last(kinds: list[str]) -> int | None:
        return session.scalar(select(func.max(m.Outcome.id)).where(
            m.Outcome.ticket_id == ticket_id, m.Outcome.kind.in_(kinds)))

    resolved = last([OutcomeKind.RESOLVED.value])
    reopening = last([k.value for k in REOPENING_OUTCOMES])
    return resolved is not None and (reopening is None or resolved > reopening)


def record_reopening(session: Session, ticket: m.Ticket, *, source: str, event_id: str,
                     note: str | None = None) -> ThreadOutcome:
    """A ``reopened`` outcome on ``ticket``, once per ``event_id``, and only when the ticket is
    resolved at that moment: a reopening of one that was not resolved is skipped. Whoever
    reports it (a helpdesk's status event, a customer's follow-up in the thread), a resolved
    conversation the customer came back to is counted reopened once."""
    if repo.outcome_by_event(session, source, event_id) is not None:
        return ThreadOutcome(ticket, new=False)
    if not is_resolved(session, ticket.id):
        return ThreadOutcome(ticket, skipped="not resolved before: not a reopening")
    record_outcome(session, ticket.id, OutcomeKind.REOPENED.value, note=note, source=source,
                   event_id=event_id)
    return ThreadOutcome(ticket, new=True)


def record_thread_outcome(session: Session, source: str, thread_id: str, kind: OutcomeKind,
                          event_id: str, value: float | None = None, *,
                          status_only: bool = False) -> ThreadOutcome:
    """An outcome a channel reported on a conversation, recorded on its newest ticket once per
    ``event_id``. A reopening goes through :func:`record_reopening` (skipped unless the ticket
    is resolved, so a customer's follow-up and the helpdesk's reopen event count once). With
    ``status_only`` (the channel told the new status, not the old) a resolution of a ticket
    already resolved is skipped too: nothing changed that the report counts."""
    ticket = repo.latest_in_thread(session, source, thread_id)
    if ticket is None:
        return ThreadOutcome(None, skipped="outcome on a conversation deskroute has no "
                                           "ticket for")
    if kind is OutcomeKind.REOPENED:
        return record_reopening(session, ticket, source=source, event_id=event_id)
    if repo.outcome_by_event(session, source, event_id) is not None:
        return ThreadOutcome(ticket, new=False)
    if status_only and kind is OutcomeKind.RESOLVED and is_resolved(session, ticket.id):
        return ThreadOutcome(ticket, skipped="already resolved")
    record_outcome(session, ticket.id, kind.value, value, source=source, event_id=event_id)
    return ThreadOutcome(ticket, new=True)
