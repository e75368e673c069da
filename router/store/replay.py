"""SQL for the webhook replay window (``webhook_messages``). Flushes, never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from router.store import models as m
from router.store.db import inserted_id
from router.store.repo import insert_or_ignore


def find_message(session: Session, source: str, message_id: str) -> m.WebhookMessage | None:
    return session.scalar(
        select(m.WebhookMessage).where(
            m.WebhookMessage.source == source, m.WebhookMessage.message_id == message_id
        )
    )


def record_message(
    session: Session, source: str, message_id: str, body_sha256: str, ticket_id: int | None
) -> str:
    """Insert-or-ignore on (source, message_id); returns the body digest stored for the id:
    ``body_sha256`` itself, or the first delivery's when the id was already used (a
    redelivery, or a concurrent one that won). The caller refuses a different digest."""
    w = m.WebhookMessage.__table__.c
    stmt = insert_or_ignore(session, m.WebhookMessage, ["source", "message_id"]).values(
        source=source, message_id=message_id, body_sha256=body_sha256, ticket_id=ticket_id)
    if inserted_id(session, stmt, w.id) is not None:
        return body_sha256
    return str(session.scalar(select(w.body_sha256).where(
        w.source == source, w.message_id == message_id)))


def purge_messages(session: Session, received_before: datetime) -> int:
    """Forget ids older than the replay window (their timestamps are refused anyway)."""
    result = session.execute(
        delete(m.WebhookMessage).where(m.WebhookMessage.received_at < received_before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
