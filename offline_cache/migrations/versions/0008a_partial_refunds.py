"""partial_refunds: one supervised 部分退费 (partial refund) of a same-day outpatient settlement (issue 19).

A new table, journaled for the hospital store (offline_cache.replication). ``client.services.partial_refund`` describes the state machine; each step's msgid is
committed here before the request leaves the window.

Revision ID: 0008a
Revises: 0008b
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from offline_cache import replication
from offline_cache.types import Money

revision = "0008a"
down_revision = "0008b"
branch_labels = None
depends_on = None

STATES = ("prepared", "reversed", "fees_cancelled", "kept_uploaded", "presettled", "settled", "refunded",
          "invoiced", "cancelled")


def upgrade() -> None:
    op.create_table(
        "partial_refunds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("old_settlement_id", sa.Integer, sa.ForeignKey("settlements.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("new_settlement_id", sa.Integer, sa.ForeignKey("settlements.id", ondelete="RESTRICT")),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("step_infno", sa.String(5)),
        sa.Column("step_msgid", sa.String(30)),
        sa.Column("chrg_bchno", sa.String(30)),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("returns_json", sa.Text, nullable=False),
        sa.Column("kept_json", sa.Text, nullable=False),
        sa.Column("presettle_json", sa.Text),
        sa.Column("old_psn_cash_pay", Money, nullable=False),
        sa.Column("new_psn_cash_pay", Money),
        sa.Column("refund_amount", Money),
        sa.Column("plan_json", sa.Text),
        sa.Column("authorization_json", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("opter", sa.String(20)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in STATES) + ")", name="ck_partial_refunds_state"),
    )
    op.create_index("ix_partial_refunds_old_settlement_id", "partial_refunds", ["old_settlement_id"])
    op.create_index("ix_partial_refunds_state", "partial_refunds", ["state"])
    replication.ensure_triggers(op.get_bind())        # journaled for the hospital store (finance, Z report)


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
