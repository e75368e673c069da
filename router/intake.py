"""The one validation layer between a parsed ticket and the store.

Whatever a connector parsed, the ticket is checked here against what the store can hold,
identically on SQLite and PostgreSQL: string lengths from the columns themselves (SQLite would
store a 300-character requester that PostgreSQL refuses), no NUL character (PostgreSQL text
cannot hold one), no lone surrogate, metadata as bounded, finite JSON. A failure is a
:class:`~connectors.base.PayloadError` naming the field (the API answers 422); a sender that
gets a 5xx retries forever.

Text a model or a guard will read (subject, body, requester) is normalised here, once
(:mod:`router.guard.normalize`): the store holds exactly what redaction, the signals, the
classifier and the verifier see.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from connectors.base import PayloadError
from connectors.payload import check_text, check_value
from router.domain import InboundTicket
from router.guard.normalize import normalize_text
from router.store.models import Ticket

MAX_TEXT_CHARS = 100_000  # subject and body are TEXT columns: bounded here, not by the store
_NORMALISED = ("subject", "body", "requester")
_FIELDS = ("source", "external_id", "channel", "requester", "subject", "body", "language",
           "thread_id")


def column_limit(field: str) -> int:
    """The longest value the ``tickets`` column for ``field`` holds (TEXT: MAX_TEXT_CHARS)."""
    length = getattr(Ticket.__table__.c[field].type, "length", None)
    return int(length) if length else MAX_TEXT_CHARS


def prepare_ticket(
    ticket: InboundTicket, names: Mapping[str, str] | None = None
) -> InboundTicket:
    """The ticket as it will be stored: normalised, or ``PayloadError`` naming the field.

    ``names`` maps ticket fields to what the channel's payload calls them (the generic hook
    calls ``external_id`` ``id``), so the error names a field the sender knows.
    """
    names = names or {}
    changes: dict[str, Any] = {}
    for field in _FIELDS:
        value = getattr(ticket, field)
        if value is None:
            continue
        name = names.get(field, field)
        if not isinstance(value, str):
            raise PayloadError(name, "must be a string")
        check_text(value, name)
        if field in _NORMALISED:
            value = normalize_text(value).strip()
            changes[field] = value
        check_text(value, name, max_chars=column_limit(field))
    if not changes.get("body"):
        raise PayloadError(names.get("body", "body"), "is empty once invisible characters "
                           "and spaces are removed")
    if not ticket.external_id.strip():
        raise PayloadError(names.get("external_id", "external_id"), "is empty")
    check_value(ticket.metadata, names.get("metadata", "metadata"))
    return dataclasses.replace(ticket, **changes)
