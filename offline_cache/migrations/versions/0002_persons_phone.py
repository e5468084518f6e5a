"""persons.phone and an index on settlements.state (day-end and recovery scans).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("persons", sa.Column("phone", sa.String(20), nullable=True))
    op.create_index("ix_settlements_state", "settlements", ["state"])


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
