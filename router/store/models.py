"""SQLAlchemy 2 models: the single source of truth for the schema (Alembic mirrors it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_tickets_source_external"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(32), default="generic")
    requester: Mapped[str | None] = mapped_column(String(255), nullable=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    thread_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(16), default="received", index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # indexed: reports and the ticket list select a time window
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    decisions: Mapped[list[Decision]] = relationship(
        back_populates="ticket", order_by="Decision.id"
    )
    drafts: Mapped[list[DraftRow]] = relationship(back_populates="ticket", order_by="DraftRow.id")


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    route: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str] = mapped_column(String(128))
    confidence: Mapped[float] = mapped_column(Float)
    runner_up: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    signals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    policy_name: Mapped[str] = mapped_column(String(128))
    policy_hash: Mapped[str] = mapped_column(String(64))
    classifier_version: Mapped[str] = mapped_column(String(128))
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    # the rollout mode in force (shadow | assist | auto); decisions stored before modes
    # existed were replied to, hence the server default
    mode: Mapped[str] = mapped_column(String(8), default="auto", server_default="auto")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="decisions")


class DraftRow(Base):
    """A generated draft and, once sent, the reply: backend, model, tokens, latency, cost."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    backend: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    accepted: Mapped[bool | None] = mapped_column(nullable=True)
    verifier: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # answer: a draft for this ticket; compare: the shadow comparison's hosted draft of a
    # locally answered ticket (never delivered, only judged against the agent's reply)
    purpose: Mapped[str] = mapped_column(String(16), default="answer", server_default="answer")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="drafts")


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # reply | escalation
    connector: Mapped[str] = mapped_column(String(32))
    ok: Mapped[bool] = mapped_column(default=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # set when the call returned; an attempt without it was cut off by a crash mid-call (the
    # vendor may have it): recorded, committed, before the call
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Outcome(Base):
    """Later facts about a ticket (kinds in ``router.outcomes``), written by record_outcome."""

    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("source", "event_id", name="uq_outcomes_source_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # who reported it (api, a connector name, follow-up) and the channel's own event id, so a
    # redelivered event is stored once
    source: Mapped[str] = mapped_column(String(32), default="api", server_default="api")
    event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DraftFeedback(Base):
    """What the agent did with one draft (router/rollout/feedback.py), judged once per draft
    from the first agent reply after it; route, intent, model and mode are copied so the
    promotion report groups without joins back through the decision history."""

    __tablename__ = "draft_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"),
                                          unique=True)
    outcome_id: Mapped[int | None] = mapped_column(
        ForeignKey("outcomes.id", ondelete="SET NULL"), nullable=True)  # the agent's reply
    kind: Mapped[str] = mapped_column(String(16))  # sent_as_is | edited | rewritten | ignored
    edit_distance: Mapped[float | None] = mapped_column(Float, nullable=True)
    similarity: Mapped[float | None] = mapped_column(Float, nullable=True)
    route: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str] = mapped_column(String(128), index=True)
    mode: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(16))  # answer | compare
    backend: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxRow(Base):
    """A task to run, written in the same transaction as the row it refers to.

    ``status``: ``pending`` (not yet handed to a worker), ``enqueued`` (on the broker),
    ``running`` (a worker holds the lease), ``done``. ``available_at`` is when the row next
    needs attention: a pending row is due then (a retry's back-off); an enqueued row is
    presumed lost then and re-sent (the wait doubles with each send, so a backlog is not
    multiplied); a running row's lease ends then unless its worker's heartbeat extends it.
    ``attempts`` counts sends to the broker, ``runs`` the runs a worker started: a row that
    keeps being started and never finishes (its step crashes the worker) is poison.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "available_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(String(32))  # a router.pipeline.workflow.Task
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # host:pid of the run (kept when done: which worker process ran it)
    owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KBEntry(Base):
    """An approved answer (or article chunk) the local model may ground its drafts on."""

    __tablename__ = "kb_entries"
    __table_args__ = (Index("ix_kb_entries_kb_intent", "kb", "intent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kb: Mapped[str] = mapped_column(String(64), default="default")
    source: Mapped[str] = mapped_column(String(255))  # file it came from
    ref: Mapped[str] = mapped_column(String(255))  # row number or file name inside the source
    title: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(128), nullable=True)
    category: Mapped[str | None] = mapped_column(String(128), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # a retired answer stays for the tickets that were answered with it, but is never retrieved
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookMessage(Base):
    """A signed webhook already accepted (``webhook-id``), kept for the replay window.

    A sender retries with the same id; a replay of a captured request carries it too. Either
    gets the first answer again instead of being processed twice, and the same id with a
    different body is refused. Rows older than the window are purged: the timestamp check
    already refuses those requests.
    """

    __tablename__ = "webhook_messages"
    __table_args__ = (
        UniqueConstraint("source", "message_id", name="uq_webhook_messages_source_message"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(255))
    body_sha256: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True
    )
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class MailCursor(Base):
    """How far ``deskroute email poll`` has read one IMAP folder.

    IMAP numbers a folder's messages with UIDs that only grow, valid while the folder's
    UIDVALIDITY stays the same. The cursor moves in the same transaction as the tickets made
    from the messages below it, so a crash between fetching and committing reads them again
    (and the Message-ID dedupe keeps a second read from making a second ticket).
    """

    __tablename__ = "mail_cursors"
    __table_args__ = (UniqueConstraint("mailbox", name="uq_mail_cursors_mailbox"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(255))  # user@host:port/folder
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)  # every UID up to this one is read
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
