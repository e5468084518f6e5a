"""policy_bundles: site data imported by IT (issuer, validity, source file, checksum).

Policy bundles are no longer fetched with the invented transaction 9901 by default: IT imports the
files the hospital maintains from the regional offices' published parameters (``medsettle policy
import``). Each bundle records its issuer (发布机构), validity dates, where it came from (``import`` /
``9901``), the source file name, the SHA-256 of the file, who imported it and when. Rows written
before this revision came from 9901: ``source`` = '9901', no validity dates (valid on every date).

Revision ID: 0006p
Revises: 0006m
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006p"
down_revision = "0006m"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policy_bundles") as b:
        b.add_column(sa.Column("issuer", sa.String(100), nullable=True))
        b.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        b.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
        b.add_column(sa.Column("source", sa.String(10), nullable=False, server_default="9901"))
        b.add_column(sa.Column("source_file", sa.String(255), nullable=True))
        b.add_column(sa.Column("sha256", sa.String(64), nullable=True))
        b.add_column(sa.Column("imported_by", sa.String(30), nullable=True))
    op.create_index("ix_policy_bundles_place_valid", "policy_bundles", ["insuplc_admdvs", "valid_from"])


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
