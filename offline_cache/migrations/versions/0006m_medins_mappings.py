"""medins_mappings: the hospital's own item codes and their 3301 目录对照 (issue 16 scope 5).

Revision ID: 0006m
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006m"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "medins_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fixmedins_hilist_id", sa.String(30), nullable=False),
        sa.Column("fixmedins_hilist_name", sa.String(200), nullable=False),
        sa.Column("med_list_codg", sa.String(50), nullable=False),
        sa.Column("list_type", sa.String(30), nullable=False),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=False),
        sa.Column("spec", sa.String(200), nullable=True),
        sa.Column("prcunt", sa.String(100), nullable=True),
        sa.Column("pric", sa.Text(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("err_msg", sa.Text(), nullable=True),
        sa.Column("msgid", sa.String(30), nullable=True),
        sa.Column("answer_json", sa.Text(), nullable=True),
        sa.Column("prev_med_list_codg", sa.String(50), nullable=True),
        sa.Column("prev_list_type", sa.String(30), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_medins_mappings"),
        sa.UniqueConstraint("fixmedins_hilist_id", name="uq_medins_mappings_fixmedins_hilist_id"),
        sa.CheckConstraint("state IN ('pending', 'uploaded', 'refused', 'revoked')", name="ck_medins_mappings_state"),
    )


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
