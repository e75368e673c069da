"""How the report counts one ticket — the same SQL facts, filtered to that ticket."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from router.reports.facts import ticket_facts
from router.reports.settings import ReportSettings
from router.reports.window import Window


def ticket_resolution(session: Session, ticket_id: int, settings: ReportSettings) -> str:
    """``confirmed`` | ``assumed`` | ``negative`` | ``escalated`` | ``open`` | ``pending``."""
    s = settings
    facts = ticket_facts(session, Window(), {}, timedelta(hours=s.resolution_quiet_hours),
                         ticket_id=ticket_id)
    row = session.execute(select(facts.c.finished, facts.c.confirmed, facts.c.assumed,
                                 facts.c.negative, facts.c.escalated)).first()
    if row is None or not row.finished:
        return "pending"
    if row.confirmed:
        return "confirmed"
    if row.negative:
        return "negative"
    if row.assumed:
        return "assumed"
    return "escalated" if row.escalated else "open"
