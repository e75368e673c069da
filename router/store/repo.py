"""Repositories hold all SQL. They flush, never commit: the task or request boundary commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from router.domain import (
    NEGATIVE_OUTCOMES,
    Decision,
    Draft,
    InboundTicket,
    TicketState,
    Verdict,
)
from router.store import models as m
from router.store.db import inserted_id
from router.store.models import utcnow
from router.store.outbox import add_outboxes


@dataclass(frozen=True)
class StoredTicket:
    """What the webhook answers with: the row's id, state and thread, and whether it is new."""

    id: int
    state: str
    thread_id: str | None
    created: bool


def insert_or_ignore(session: Session, table: type[m.Base], unique: list[str]) -> Any:
    """``INSERT ... ON CONFLICT (unique) DO NOTHING`` on PostgreSQL and SQLite alike: a
    concurrent delivery of the same key waits for the other transaction and then inserts
    nothing, without a savepoint or a SELECT first."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(cast(Table, table.__table__)).on_conflict_do_nothing(index_elements=unique)


def store_ticket(session: Session, ticket: InboundTicket) -> StoredTicket:
    """:func:`store_tickets` for one ticket."""
    return store_tickets(session, [ticket])[0]


def store_tickets(session: Session, tickets: Sequence[InboundTicket]) -> list[StoredTicket]:
    """Insert-or-ignore each ticket on (source, external_id) and queue a ``decide`` task for
    each new one; the answers in the order given.

    The webhooks' hot path (``router.api.webhooks`` stores the webhooks that arrive together
    in one transaction): one multi-row INSERT for the tickets (a SELECT more where some were
    already stored) and one for their outbox rows, so a crash between commit and enqueue loses
    nothing. The same key twice in one call: the first is new, the second its duplicate.
    SQLAlchemy Core, not the ORM: no identity map or unit of work per request.
    """
    t = m.Ticket.__table__.c
    stmt = insert_or_ignore(session, m.Ticket, ["source", "external_id"])
    rows = [{
        "source": ticket.source, "external_id": ticket.external_id, "channel": ticket.channel,
        "requester": ticket.requester, "subject": ticket.subject, "body": ticket.body,
        "language": ticket.language, "thread_id": ticket.thread_id,
        "state": TicketState.RECEIVED.value, "meta": dict(ticket.metadata),
    } for ticket in tickets]
    # in key order: two transactions storing overlapping tickets take their locks in the same
    # order (no deadlock between two API processes in a redelivery storm)
    rows.sort(key=lambda values: (values["source"], values["external_id"]))
    new: dict[tuple[str, str], int] = {}
    if session.get_bind().dialect.insert_returning:  # one statement for all (insertmanyvalues)
        for row in session.execute(stmt.returning(t.id, t.source, t.external_id), rows):
            new[(row.source, row.external_id)] = int(row.id)
    else:  # SQLite before 3.35: no RETURNING (see inserted_id)
        for values in rows:
            row_id = inserted_id(session, stmt.values(values), t.id)
            if row_id is not None:
                new[(str(values["source"]), str(values["external_id"]))] = row_id
    add_outboxes(session, "decide", list(new.values()))
    answers: list[StoredTicket] = []
    first: set[tuple[str, str]] = set()
    for ticket in tickets:
        key = (ticket.source, ticket.external_id)
        if key in new and key not in first:
            first.add(key)
            answers.append(StoredTicket(new[key], TicketState.RECEIVED.value, ticket.thread_id,
                                        created=True))
            continue
        # already stored: a redelivery, a concurrent one that won, or an earlier one of these
        row = session.execute(select(t.id, t.state, t.thread_id).where(
            t.source == ticket.source, t.external_id == ticket.external_id)).one()
        answers.append(StoredTicket(row.id, row.state, row.thread_id, created=False))
    return answers


def insert_ticket(session: Session, ticket: InboundTicket) -> tuple[m.Ticket, bool]:
    """:func:`store_ticket`, returning the ORM row (for callers off the webhook's hot path)."""
    stored = store_ticket(session, ticket)
    row = session.get(m.Ticket, stored.id)
    assert row is not None  # just inserted or found, in this transaction
    return row, stored.created


def find_ticket(session: Session, source: str, external_id: str) -> m.Ticket | None:
    return session.scalar(
        select(m.Ticket).where(m.Ticket.source == source, m.Ticket.external_id == external_id)
    )


def get_ticket(session: Session, ticket_id: int, *, lock: bool = False) -> m.Ticket | None:
    stmt = select(m.Ticket).where(m.Ticket.id == ticket_id)
    if lock:  # FOR NO KEY UPDATE: rows referring to the ticket can still be inserted meanwhile
        stmt = stmt.with_for_update(key_share=True)
    return session.scalar(stmt)


def previous_in_thread(session: Session, ticket: m.Ticket) -> m.Ticket | None:
    """The latest earlier ticket of the same thread (for conversation-aware routing)."""
    return _earlier_in_thread(session, ticket, latest=True)


def first_in_thread(session: Session, ticket: m.Ticket) -> m.Ticket | None:
    """The earliest ticket of the same thread (whose requester is the conversation's
    customer), or None when ``ticket`` opens the thread."""
    return _earlier_in_thread(session, ticket, latest=False)


def _earlier_in_thread(session: Session, ticket: m.Ticket, *, latest: bool) -> m.Ticket | None:
    if not ticket.thread_id:
        return None
    return session.scalar(
        select(m.Ticket)
        .where(
            m.Ticket.thread_id == ticket.thread_id,
            m.Ticket.source == ticket.source,
            m.Ticket.id < ticket.id,
        )
        .order_by(m.Ticket.id.desc() if latest else m.Ticket.id)
        .limit(1)
    )


def latest_in_thread(session: Session, source: str, thread_id: str) -> m.Ticket | None:
    """The newest ticket of a vendor conversation (the customer message an agent answers)."""
    return session.scalar(
        select(m.Ticket)
        .where(m.Ticket.source == source, m.Ticket.thread_id == thread_id)
        .order_by(m.Ticket.id.desc())
        .limit(1)
    )


def set_state(session: Session, ticket: m.Ticket, state: TicketState, reason: str | None = None):
    ticket.state = state.value
    if reason is not None:
        ticket.reason = reason
    session.flush()


def latest_decision(session: Session, ticket_id: int) -> m.Decision | None:
    return session.scalar(
        select(m.Decision)
        .where(m.Decision.ticket_id == ticket_id)
        .order_by(m.Decision.id.desc())
        .limit(1)
    )


def latest_draft(session: Session, ticket_id: int) -> m.DraftRow | None:
    """The ticket's latest answer draft (a shadow comparison's draft is never one)."""
    return session.scalar(
        select(m.DraftRow)
        .where(m.DraftRow.ticket_id == ticket_id, m.DraftRow.purpose == "answer")
        .order_by(m.DraftRow.id.desc())
        .limit(1)
    )


def add_decision(session: Session, ticket_id: int, d: Decision, latency_ms: float) -> m.Decision:
    row = m.Decision(
        ticket_id=ticket_id,
        route=d.route.value,
        intent=d.intent,
        confidence=float(d.confidence),
        runner_up=d.runner_up,
        reasons=list(d.reasons),
        signals=[asdict(s) for s in d.signals],
        policy_name=d.policy_name,
        policy_hash=d.policy_hash,
        classifier_version=d.classifier_version,
        latency_ms=latency_ms,
        mode=d.mode.value,
    )
    session.add(row)
    session.flush()
    return row


def add_draft(
    session: Session, ticket_id: int, draft: Draft, verdict: Verdict | None = None,
    *, purpose: str = "answer",
) -> m.DraftRow:
    row = m.DraftRow(
        ticket_id=ticket_id,
        backend=draft.backend,
        model=draft.model,
        text=draft.text,
        prompt_tokens=draft.prompt_tokens,
        completion_tokens=draft.completion_tokens,
        latency_ms=draft.latency_ms,
        cost_usd=draft.cost_usd,
        # a comparison draft is never a candidate for delivery; its verdict stays in verifier
        accepted=None if verdict is None or purpose != "answer" else verdict.accepted,
        verifier={} if verdict is None else {
            "accepted": verdict.accepted, "score": verdict.score, "reasons": list(verdict.reasons)
        },
        meta=dict(draft.meta),
        purpose=purpose,
    )
    session.add(row)
    session.flush()
    return row


def add_delivery(
    session: Session,
    ticket_id: int,
    *,
    kind: str,
    connector: str,
    ok: bool,
    status_code: int | None = None,
    error: str | None = None,
) -> m.DeliveryAttempt:
    """A finished delivery attempt (see :func:`begin_delivery` for one about to be made)."""
    row = m.DeliveryAttempt(
        ticket_id=ticket_id, kind=kind, connector=connector, ok=ok,
        status_code=status_code, error=error, finished_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def begin_delivery(session: Session, ticket_id: int, *, kind: str,
                   connector: str) -> m.DeliveryAttempt:
    """An attempt about to be made: stored (and committed by the caller) before the call, so
    a crash during the call leaves it unfinished instead of unknown."""
    row = m.DeliveryAttempt(ticket_id=ticket_id, kind=kind, connector=connector, ok=False,
                            error="in progress")
    session.add(row)
    session.flush()
    return row


def finish_delivery(session: Session, attempt_id: int, *, ok: bool,
                    status_code: int | None = None, error: str | None = None) -> None:
    session.execute(update(m.DeliveryAttempt).where(m.DeliveryAttempt.id == attempt_id)
                    .values(ok=ok, status_code=status_code, error=error, finished_at=utcnow())
                    .execution_options(synchronize_session=False))


def unfinished_delivery(session: Session, ticket_id: int, *, kind: str,
                        after_id: int = 0) -> m.DeliveryAttempt | None:
    """An attempt that was started and never finished: its worker died during the call, so
    the vendor may or may not have the message."""
    return session.scalar(
        select(m.DeliveryAttempt).where(
            m.DeliveryAttempt.ticket_id == ticket_id, m.DeliveryAttempt.kind == kind,
            m.DeliveryAttempt.id > after_id, m.DeliveryAttempt.finished_at.is_(None))
        .order_by(m.DeliveryAttempt.id.desc()).limit(1))


def delivery_attempts(
    session: Session, ticket_id: int, *, kind: str | None = None, after_id: int = 0
) -> list[m.DeliveryAttempt]:
    """A ticket's delivery attempts in order (of one ``kind``; newer than ``after_id``)."""
    stmt = select(m.DeliveryAttempt).where(
        m.DeliveryAttempt.ticket_id == ticket_id, m.DeliveryAttempt.id > after_id
    )
    if kind is not None:
        stmt = stmt.where(m.DeliveryAttempt.kind == kind)
    return list(session.scalars(stmt.order_by(m.DeliveryAttempt.id)))


def failed_deliveries(session: Session, limit: int = 200) -> list[m.Ticket]:
    """Tickets whose delivery ended ``failed`` (an operator's to retry), oldest first."""
    return list(session.scalars(
        select(m.Ticket).where(m.Ticket.state == TicketState.FAILED.value)
        .order_by(m.Ticket.id).limit(limit)
    ))


def add_outcome(
    session: Session, ticket_id: int, kind: str, value: float | None = None,
    note: str | None = None, *, source: str = "api", event_id: str | None = None,
) -> m.Outcome:
    """Insert-or-ignore on (source, event_id); call ``router.outcomes.record_outcome``, which
    validates the kind and value first."""
    if event_id is not None:
        seen = outcome_by_event(session, source, event_id)
        if seen is not None:
            return seen
    row = m.Outcome(ticket_id=ticket_id, kind=kind, value=value, note=note, source=source,
                    event_id=event_id)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same event delivered twice at once: the other one won
        seen = outcome_by_event(session, source, event_id or "")
        if seen is None:
            raise
        return seen
    return row


def outcome_by_event(session: Session, source: str, event_id: str) -> m.Outcome | None:
    return session.scalar(
        select(m.Outcome).where(m.Outcome.source == source, m.Outcome.event_id == event_id)
    )


UNSAFE_OUTCOMES = tuple(sorted(k.value for k in NEGATIVE_OUTCOMES))
LOCAL_BACKENDS = ("slm", "template")


def local_answer_outcomes(
    session: Session, classifier_versions: set[str] | None = None
) -> list[tuple[float, str, bool]]:
    """``(confidence, intent, safe)`` for tickets answered locally that have a known outcome.

    Safe = marked ``resolved`` and no negative outcome; unsafe = any of
    ``router.domain.NEGATIVE_OUTCOMES`` (reopened, not helpful, edited or overridden by an
    agent, later taken over by a person) — the same definition the report uses. Tickets
    without either are left out: nobody knows yet. Only each ticket's latest decision counts,
    and with ``classifier_versions`` only decisions made by those versions.
    """
    latest = (
        select(m.Decision.ticket_id, func.max(m.Decision.id).label("decision_id"))
        .group_by(m.Decision.ticket_id)
        .subquery()
    )
    query = (
        select(m.Decision.ticket_id, m.Decision.confidence, m.Decision.intent)
        .join(latest, latest.c.decision_id == m.Decision.id)
        .join(m.Ticket, m.Ticket.id == m.Decision.ticket_id)
        .where(m.Decision.route == "slm", m.Ticket.state == TicketState.DELIVERED.value)
    )
    if classifier_versions is not None:
        query = query.where(m.Decision.classifier_version.in_(sorted(classifier_versions)))
    decided = {tid: (float(conf), intent) for tid, conf, intent in session.execute(query)}
    answered_by: dict[int, str] = {}  # last accepted draft: a hosted fallback is not local
    for tid, backend in session.execute(
        select(m.DraftRow.ticket_id, m.DraftRow.backend)
        .where(m.DraftRow.ticket_id.in_(list(decided)), m.DraftRow.accepted.is_(True))
        .order_by(m.DraftRow.id)
    ):
        answered_by[tid] = backend
    decided = {t: v for t, v in decided.items() if answered_by.get(t) in LOCAL_BACKENDS}
    kinds: dict[int, set[str]] = {}
    for tid, kind in session.execute(
        select(m.Outcome.ticket_id, m.Outcome.kind).where(
            m.Outcome.ticket_id.in_(list(decided))
        )
    ):
        kinds.setdefault(tid, set()).add(kind)
    rows = []
    for tid, (confidence, intent) in sorted(decided.items()):
        seen = kinds.get(tid, set())
        if seen & set(UNSAFE_OUTCOMES):
            rows.append((confidence, intent, False))
        elif "resolved" in seen:
            rows.append((confidence, intent, True))
    return rows


def decision_confidences(session: Session, classifier_versions: set[str]) -> list[float]:
    """Classifier confidence of each ticket's latest decision by these classifier versions, any
    route: the live traffic's confidences (``deskroute calibrate`` measures its share from them)."""
    latest = (
        select(func.max(m.Decision.id).label("decision_id"))
        .group_by(m.Decision.ticket_id)
        .subquery()
    )
    query = (
        select(m.Decision.confidence)
        .join(latest, latest.c.decision_id == m.Decision.id)
        .where(m.Decision.classifier_version.in_(sorted(classifier_versions)))
    )
    return [float(c) for (c,) in session.execute(query)]


def tickets_since(session: Session, since: datetime | None) -> list[m.Ticket]:
    stmt = select(m.Ticket).order_by(m.Ticket.id)
    if since is not None:
        stmt = stmt.where(m.Ticket.created_at >= since)
    return list(session.scalars(stmt))
