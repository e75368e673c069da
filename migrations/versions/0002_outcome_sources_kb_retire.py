"""outcome sources and event ids, KB edit/retire timestamps, ticket created_at index

Revision ID: 0002_outcome_sources_kb_retire
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_outcome_sources_kb_retire"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=32), server_default="api",
                                      nullable=False))
        batch_op.add_column(sa.Column("event_id", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint("uq_outcomes_source_event", ["source", "event_id"])
    with op.batch_alter_table("kb_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_created_at"))
    with op.batch_alter_table("kb_entries", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outcomes_source_event", type_="unique")
        batch_op.drop_column("event_id")
        batch_op.drop_column("source")
