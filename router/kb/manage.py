"""Listing, editing and retiring approved answers (the API and the dashboard call these).

An edit changes the entry's content hash, and retiring sets ``retired_at``; both change the
knowledge base's fingerprint, so running workers reload it on their next refresh check
(``DESKROUTE_KB_REFRESH_SECONDS``). A retired entry is never retrieved again but stays in the
store, because tickets answered with it still point at it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from router.kb.importers import EntryData
from router.store.models import KBEntry, utcnow
from router.store.ticket_queries import contains_pattern


class KBEntryError(ValueError):
    """An unknown entry or an edit that would leave it empty."""


@dataclass(frozen=True)
class KBFilter:
    q: str | None = None
    intent: str | None = None
    kb: str | None = None
    include_retired: bool = False


def list_entries(session: Session, flt: KBFilter, *, limit: int = 50, offset: int = 0
                 ) -> tuple[int, list[KBEntry]]:
    stmt = select(KBEntry)
    if not flt.include_retired:
        stmt = stmt.where(KBEntry.retired_at.is_(None))
    if flt.intent:
        stmt = stmt.where(KBEntry.intent == flt.intent)
    if flt.kb:
        stmt = stmt.where(KBEntry.kb == flt.kb)
    for word in (flt.q or "").split():
        like = contains_pattern(word)
        stmt = stmt.where(or_(*(func.lower(c).like(like, escape="\\")
                                for c in (KBEntry.title, KBEntry.question, KBEntry.answer))))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(KBEntry.id).limit(limit).offset(offset))
    return int(total), list(rows)


def get_entry(session: Session, entry_id: int) -> KBEntry:
    row = session.get(KBEntry, entry_id)
    if row is None:
        raise KBEntryError(f"knowledge-base entry {entry_id} not found")
    return row


def update_entry(session: Session, entry_id: int, *, title: str | None = None,
                 question: str | None = None, answer: str | None = None,
                 intent: str | None = None) -> KBEntry:
    row = get_entry(session, entry_id)
    if answer is not None and not answer.strip():
        raise KBEntryError("an approved answer cannot be empty; retire the entry instead")
    row.title = row.title if title is None else title.strip()
    row.question = row.question if question is None else question.strip()
    row.answer = row.answer if answer is None else answer.strip()
    row.intent = row.intent if intent is None else (intent.strip() or None)
    row.content_hash = EntryData(ref=row.ref, question=row.question, answer=row.answer
                                 ).content_hash
    row.updated_at = utcnow()
    session.flush()
    return row


def retire_entry(session: Session, entry_id: int, *, retired: bool = True) -> KBEntry:
    """Retire (or, with ``retired=False``, restore) an entry."""
    row = get_entry(session, entry_id)
    row.retired_at = (row.retired_at or utcnow()) if retired else None
    row.updated_at = utcnow()
    session.flush()
    return row
