"""SQL for the webhook replay window (``webhook_messages``). Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    """:func:`record_messages` for one webhook-id."""
    return record_messages(session, [Message(source, message_id, body_sha256, ticket_id)])[0]


@dataclass(frozen=True)
class Message:
    """A webhook-id to remember: who sent it, the digest of its body, the ticket it made."""

    source: str
    message_id: str
    body_sha256: str
    ticket_id: int | None


def record_messages(session: Session, messages: Sequence[Message]) -> list[str]:
    """Insert-or-ignore each on (source, message_id); returns, in order, the body digest stored
    for each id: its own, or the first delivery's when the id was already used (a redelivery,
    a concurrent one that won, or an earlier one of these). The caller refuses a different
    digest. One multi-row INSERT (a SELECT more for ids already stored)."""
    w = m.WebhookMessage.__table__.c
    stmt = insert_or_ignore(session, m.WebhookMessage, ["source", "message_id"])
    rows: list[dict[str, Any]] = sorted(({"source": msg.source, "message_id": msg.message_id,
                    "body_sha256": msg.body_sha256, "ticket_id": msg.ticket_id}
                   for msg in messages),  # key order: the lock order of store_tickets
                  key=lambda values: (values["source"], values["message_id"]))
    stored: dict[tuple[str, str], str] = {}
    if session.get_bind().dialect.insert_returning:
        for row in session.execute(stmt.returning(w.source, w.message_id, w.body_sha256), rows):
            stored[(row.source, row.message_id)] = str(row.body_sha256)
    else:  # SQLite before 3.35: no RETURNING (see inserted_id)
        for values in rows:
            if inserted_id(session, stmt.values(values), w.id) is not None:
                stored[(values["source"], values["message_id"])] = values["body_sha256"]
    for msg in messages:
        key = (msg.source, msg.message_id)
        if key not in stored:
            stored[key] = str(session.scalar(select(w.body_sha256).where(
                w.source == msg.source, w.message_id == msg.message_id)))
    return [stored[(msg.source, msg.message_id)] for msg in messages]


def purge_messages(session: Session, received_before: datetime) -> int:
    """Forget ids older than the replay window (their timestamps are refused anyway)."""
    result = session.execute(
        delete(m.WebhookMessage).where(m.WebhookMessage.received_at < received_before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
