"""visits.opsp_dise_code / opsp_dise_name: the 门诊慢特病 disease a med_type 14 visit is settled under
(issue 19 scope 2), kept so that a later 2203 (补结算, recovery) sends the same disease.

Revision ID: 0007z
Revises: 0006h
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007z"
down_revision = "0006h"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # add_column only (no table rebuild): visits has no replication triggers to restore
    op.add_column("visits", sa.Column("opsp_dise_code", sa.String(30), nullable=True))
    op.add_column("visits", sa.Column("opsp_dise_name", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visits") as b:
        b.drop_column("opsp_dise_name")
        b.drop_column("opsp_dise_code")
