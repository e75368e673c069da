"""escalation is a state: tickets waiting for their escalation note move to 'escalating'

Revision ID: 0007_escalating_state
Revises: 0006_outbox_leases

Before, an escalation was a non-empty reason on a 'decided' ticket and its note went out
through the 'deliver' task. Data only: no schema change.
"""

from __future__ import annotations

from alembic import op

revision = "0007_escalating_state"
down_revision = "0006_outbox_leases"
branch_labels = None
depends_on = None

_WAITING = "state = 'decided' AND reason IS NOT NULL AND reason <> ''"


def upgrade() -> None:
    op.execute(f"UPDATE outbox SET task = 'escalate' WHERE task = 'deliver' AND status <> 'done' "
               f"AND ticket_id IN (SELECT id FROM tickets WHERE {_WAITING})")
    op.execute(f"UPDATE tickets SET state = 'escalating' WHERE {_WAITING}")


def downgrade() -> None:
    op.execute("UPDATE outbox SET task = 'deliver' WHERE task = 'escalate'")
    op.execute("UPDATE tickets SET state = 'decided' WHERE state = 'escalating'")
