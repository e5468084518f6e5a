"""backsettlements: offline full self-pay visits queued for 补结算 (事后结算) and their progress.

One row per offline self-pay settlement of an insured patient (UNIQUE ``selfpay_settlement_id``:
a visit is queued — and so settled afterwards — at most once). The drain
(``client.services.backsettle``) commits the msgid of every request to ``step_msgid`` before the
request leaves; the 2207 itself is an ordinary ``settlements`` row (``settlement_id``) that the
recovery service resolves when its answer is lost. The refund of everything the platform paid is
an ``adjustments`` row (``adjustment_id``).

Revision ID: 0006o
Revises: 0006p
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006o"
down_revision = "0006p"
branch_labels = None
depends_on = None

STATES = ("queued", "identified", "registered", "uploaded", "settling", "refund_owed", "done", "declined",
          "refused")


def upgrade() -> None:
    op.create_table(
        "backsettlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selfpay_settlement_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("psn_no", sa.String(30), nullable=False),
        sa.Column("insutype", sa.String(6), nullable=True),
        sa.Column("insuplc_admdvs", sa.String(6), nullable=True),
        sa.Column("mdtrt_cert_type", sa.String(3), nullable=True),
        sa.Column("mdtrt_cert_no", sa.String(50), nullable=True),
        sa.Column("card_sn", sa.String(40), nullable=True),
        sa.Column("mdtrt_id", sa.String(30), nullable=True),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("step_infno", sa.String(5), nullable=True),
        sa.Column("step_msgid", sa.String(30), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("refund_amount", sa.Integer(), nullable=True),
        sa.Column("refund_method", sa.String(12), nullable=True),
        sa.Column("adjustment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backsettlements"),
        sa.ForeignKeyConstraint(["selfpay_settlement_id"], ["settlements.id"],
                                name="fk_backsettlements_selfpay_settlement_id_settlements", ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name="fk_backsettlements_visit_id_visits",
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["settlement_id"], ["settlements.id"],
                                name="fk_backsettlements_settlement_id_settlements", ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["adjustment_id"], ["adjustments.id"],
                                name="fk_backsettlements_adjustment_id_adjustments", ondelete="RESTRICT"),
        sa.CheckConstraint("state IN (" + ", ".join(repr(s) for s in STATES) + ")", name="ck_backsettlements_state"),
        sa.UniqueConstraint("selfpay_settlement_id", name="uq_backsettlements_selfpay_settlement_id"),
    )
    op.create_index("ix_backsettlements_state", "backsettlements", ["state"])


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
