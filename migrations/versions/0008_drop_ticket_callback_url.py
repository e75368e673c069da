"""drop tickets.callback_url: never set by any connector (the generic hook's callback is the
setting DESKROUTE_CALLBACK_URL)

Revision ID: 0008_drop_ticket_callback_url
Revises: 0007_escalating_state
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_drop_ticket_callback_url"
down_revision = "0007_escalating_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("callback_url")


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callback_url", sa.Text(), nullable=True))
