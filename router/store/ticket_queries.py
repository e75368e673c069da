"""Read-side queries for people looking at tickets: the filtered list and the drill-down.

Kept apart from ``repo`` (the pipeline's writes) because nothing here changes state; the API
and the dashboard call the same functions, so a filter means the same on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from router.store import models as m


@dataclass(frozen=True)
class TicketFilter:
    state: str | None = None
    route: str | None = None
    intent: str | None = None
    channel: str | None = None
    q: str | None = None  # words in the subject, the body, the external id or the requester
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class TicketRow:
    id: int
    source: str
    external_id: str
    channel: str
    state: str
    subject: str
    body: str
    reason: str | None
    created_at: datetime
    route: str | None
    intent: str | None
    confidence: float | None


def _latest_decisions() -> Select:
    D = m.Decision
    latest = select(D.ticket_id, func.max(D.id).label("decision_id")).group_by(D.ticket_id)
    return latest


def list_tickets(session: Session, flt: TicketFilter, *, limit: int = 50, offset: int = 0
                 ) -> tuple[int, list[TicketRow]]:
    """``(total matching, one page newest first)``."""
    T, D = m.Ticket, m.Decision
    latest = _latest_decisions().subquery("latest")
    base = (select(T.id).select_from(T)
            .outerjoin(latest, latest.c.ticket_id == T.id)
            .outerjoin(D, D.id == latest.c.decision_id))
    if flt.state:
        base = base.where(T.state == flt.state)
    if flt.route:
        base = base.where(D.route == flt.route)
    if flt.intent:
        base = base.where(D.intent == flt.intent)
    if flt.channel:
        base = base.where(T.channel == flt.channel)
    if flt.since:
        base = base.where(T.created_at >= flt.since)
    if flt.until:
        base = base.where(T.created_at < flt.until)
    for word in (flt.q or "").split():
        like = contains_pattern(word)
        base = base.where(or_(*(func.lower(c).like(like, escape="\\") for c in (
            T.subject, T.body, T.external_id, func.coalesce(T.requester, "")))))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = base.add_columns(
        T.source, T.external_id, T.channel, T.state, T.subject, T.body, T.reason, T.created_at,
        D.route, D.intent, D.confidence,
    ).order_by(T.id.desc()).limit(limit).offset(offset)
    rows = [TicketRow(*r) for r in session.execute(page)]
    return int(total), rows


def contains_pattern(word: str) -> str:
    """A case-folded ``LIKE`` pattern (escape ``\\``) matching ``word`` anywhere."""
    w = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{w}%"


def drafts_of(session: Session, ticket_id: int) -> list[m.DraftRow]:
    return list(session.scalars(
        select(m.DraftRow).where(m.DraftRow.ticket_id == ticket_id).order_by(m.DraftRow.id)))


def deliveries_of(session: Session, ticket_id: int) -> list[m.DeliveryAttempt]:
    return list(session.scalars(
        select(m.DeliveryAttempt).where(m.DeliveryAttempt.ticket_id == ticket_id)
        .order_by(m.DeliveryAttempt.id)))


def outcomes_of(session: Session, ticket_id: int) -> list[m.Outcome]:
    return list(session.scalars(
        select(m.Outcome).where(m.Outcome.ticket_id == ticket_id).order_by(m.Outcome.id)))


def kb_entries(session: Session, ids: list[int]) -> list[m.KBEntry]:
    if not ids:
        return []
    return list(session.scalars(select(m.KBEntry).where(m.KBEntry.id.in_(ids))
                                .order_by(m.KBEntry.id)))


def distinct_values(session: Session) -> dict[str, list[str]]:
    """The states, routes, intents and channels that occur (for filter drop-downs)."""
    T, D = m.Ticket, m.Decision
    return {
        "state": sorted(str(x) for x in session.scalars(select(T.state).distinct())),
        "route": sorted(str(x) for x in session.scalars(select(D.route).distinct())),
        "intent": sorted(str(x) for x in session.scalars(select(D.intent).distinct())),
        "channel": sorted(str(x) for x in session.scalars(select(T.channel).distinct())),
    }
