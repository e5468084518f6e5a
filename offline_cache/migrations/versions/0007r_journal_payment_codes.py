"""Replication journal for the payment-code tables: pay_trades and payments_owed (hospital mode:
finance sees owed shares and open trades of every window). Existing rows are journaled once.

Revision ID: 0007r
Revises: 0007y
Create Date: 2026-12-04
"""

from alembic import op

from offline_cache import replication

revision = "0007r"
down_revision = "0007y"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    replication.ensure_triggers(conn)
    replication.backfill(conn, tables=("pay_trades", "payments_owed"))


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
