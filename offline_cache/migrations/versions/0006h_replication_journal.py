"""Replication journal for hospital mode: triggers record every change of the books
(settlements, payments, invoices, shifts, adjustments, audit events) for the hospital store.

Existing rows are journaled once, so a window that joins hospital mode sends its history too.
The operators' role check admits ``finance`` (财务: the institution's day end and finance view).

Revision ID: 0006h
Revises: 0006c
Create Date: 2026-12-04
"""

from alembic import op

from offline_cache import replication

revision = "0006h"
down_revision = "0006c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operators", recreate="always") as b:
        b.drop_constraint("ck_operators_role", type_="check")
        b.create_check_constraint("role", "role IN ('cashier', 'supervisor', 'admin', 'finance')")
    conn = op.get_bind()
    replication.ensure_triggers(conn)
    replication.backfill(conn)


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
