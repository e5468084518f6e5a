"""pay_trades and payments_owed: payment-code charges through the aggregate-payment gateway (issue 18).

New tables only (no existing table is rebuilt). docs/payments.md describes the state machine.

Revision ID: 0007y
Revises: 0007z
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from offline_cache.types import Money

revision = "0007y"
down_revision = "0007z"
branch_labels = None
depends_on = None

STATES = ("prepared", "sent", "paying", "unknown", "paid", "failed", "reversed", "refunded")


def upgrade() -> None:
    op.create_table(
        "pay_trades",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("out_trade_no", sa.String(32), nullable=False),
        sa.Column("settlement_id", sa.Integer, sa.ForeignKey("settlements.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("code_masked", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("amount", Money, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("transaction_id", sa.String(64)),
        sa.Column("err_code", sa.String(32)),
        sa.Column("err_msg", sa.String(256)),
        sa.Column("refunded", Money, nullable=False),
        sa.Column("refund_json", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in STATES) + ")", name="ck_pay_trades_state"),
        sa.UniqueConstraint("out_trade_no", name="uq_pay_trades_out_trade_no"),
    )
    op.create_index("ix_pay_trades_settlement_id", "pay_trades", ["settlement_id"])
    op.create_index("ix_pay_trades_code_hash", "pay_trades", ["code_hash"])
    op.create_table(
        "payments_owed",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("settlement_id", sa.Integer, sa.ForeignKey("settlements.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("amount", Money, nullable=False),
        sa.Column("reason", sa.String(256), nullable=False),
        sa.Column("out_trade_no", sa.String(32)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("resolved_at", sa.DateTime),
        sa.Column("resolved_by", sa.String(20)),
    )
    op.create_index("ix_payments_owed_settlement_id", "payments_owed", ["settlement_id"])


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
