"""webhook messages: accepted webhook ids, kept for the replay window

Revision ID: 0003_webhook_messages
Revises: 0002_outcome_sources_kb_retire
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_webhook_messages"
down_revision = "0002_outcome_sources_kb_retire"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "message_id", name="uq_webhook_messages_source_message"),
    )
    with op.batch_alter_table("webhook_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_messages_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_messages_received_at"))
    op.drop_table("webhook_messages")
