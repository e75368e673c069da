"""rollout: the mode of each decision, draft purposes, what agents did with drafts

Revision ID: 0005_rollout
Revises: 0004_mail_cursors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_rollout"
down_revision = "0004_mail_cursors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mode", sa.String(length=8), server_default="auto",
                                      nullable=False))
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=16), server_default="answer",
                                      nullable=False))
    op.create_table(
        "draft_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("edit_distance", sa.Float(), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=128), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["outcome_id"], ["outcomes.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id"),
    )
    with op.batch_alter_table("draft_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_feedback_ticket_id"), ["ticket_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_draft_feedback_intent"), ["intent"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("draft_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_feedback_intent"))
        batch_op.drop_index(batch_op.f("ix_draft_feedback_ticket_id"))
    op.drop_table("draft_feedback")
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("purpose")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("mode")
