"""payments.shift_id: the shift a payment (or refund) was taken in.

A refund made by a reversal belongs to the drawer of the shift that paid it out, not to the shift of
the original settlement; the shift's expected cash sums its payments by this column. Rows written
before this revision have no shift and are counted by the settlement's shift, as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as b:
        b.add_column(sa.Column("shift_id", sa.Integer, sa.ForeignKey("shifts.id", name="fk_payments_shift_id",
                                                                     ondelete="RESTRICT"), nullable=True))
    op.create_index("ix_payments_shift_id", "payments", ["shift_id"])


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
