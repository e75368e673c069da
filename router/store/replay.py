"""SQL for the webhook replay window (``webhook_messages``). Flushes, never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from router.store import models as m


def find_message(session: Session, source: str, message_id: str) -> m.WebhookMessage | None:
    return session.scalar(
        select(m.WebhookMessage).where(
            m.WebhookMessage.source == source, m.WebhookMessage.message_id == message_id
        )
    )


def record_message(
    session: Session, source: str, message_id: str, body_sha256: str, ticket_id: int | None
) -> m.WebhookMessage:
    """Insert-or-get on (source, message_id): a concurrent delivery of the same id may win."""
    row = m.WebhookMessage(source=source, message_id=message_id, body_sha256=body_sha256,
                           ticket_id=ticket_id)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = find_message(session, source, message_id)
        if existing is None:
            raise
        return existing
    return row


def purge_messages(session: Session, received_before: datetime) -> int:
    """Forget ids older than the replay window (their timestamps are refused anyway)."""
    result = session.execute(
        delete(m.WebhookMessage).where(m.WebhookMessage.received_at < received_before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
