"""mail cursors: how far the IMAP poller has read each folder

Revision ID: 0004_mail_cursors
Revises: 0003_webhook_messages
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_mail_cursors"
down_revision = "0003_webhook_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox", name="uq_mail_cursors_mailbox"),
    )


def downgrade() -> None:
    op.drop_table("mail_cursors")
