"""outbox leases and runs; delivery attempts recorded before the call

Revision ID: 0006_outbox_leases
Revises: 0005_rollout
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_outbox_leases"
down_revision = "0005_rollout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runs", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("owner", sa.String(length=255), nullable=True))
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    # every attempt made before this revision had returned when it was stored
    op.execute("UPDATE delivery_attempts SET finished_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("owner")
        batch_op.drop_column("runs")
