"""Inpatient stays with deposits (预交金, issue 19 scope 3): stays, stay_deposits; pay_trades may belong to
a deposit instead of a settlement (settlement_id nullable, deposit_id).

``stays``: one admission (2401 … 2402, mid-stay and final settlements) over the local ``visits`` row
that holds its fee lines and settlements. ``stay_deposits``: the deposit ledger of a stay — deposits
taken, refunded, applied to a settlement (the patient share paid from the deposit) and restored (a
2305 reversal gave an applied amount back). docs/settlement.md "Inpatient deposits" has the identities.

pay_trades is rebuilt by batch mode (SQLite cannot relax NOT NULL in place): its replication
triggers are installed again afterwards (offline_cache.replication).

Revision ID: 0008b
Revises: 0007r
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

from offline_cache import replication
from offline_cache.types import Money

revision = "0008b"
down_revision = "0007r"
branch_labels = None
depends_on = None

STAY_STATES = ("admitting", "admitted", "discharged", "settled", "cancelled")
DEPOSIT_KINDS = ("deposit", "refund", "applied", "restored")
DEPOSIT_STATES = ("pending", "done", "failed", "unknown")


def _in(col: str, values: tuple) -> str:
    return f"{col} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "stays",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("visit_id", sa.Integer, sa.ForeignKey("visits.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("ipt_no", sa.String(30), nullable=False),
        sa.Column("psn_no", sa.String(30), nullable=False),
        sa.Column("psn_name", sa.String(50), nullable=False),
        sa.Column("certno_masked", sa.String(50), nullable=False),
        sa.Column("insutype", sa.String(6), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(6), nullable=False),
        sa.Column("mdtrt_cert_type", sa.String(3), nullable=False),
        sa.Column("mdtrt_cert_no", sa.String(100), nullable=False),
        sa.Column("med_type", sa.String(6), nullable=False),
        sa.Column("dept_code", sa.String(30), nullable=False),
        sa.Column("dept_name", sa.String(100), nullable=False),
        sa.Column("bed", sa.String(30), nullable=False),
        sa.Column("dr_code", sa.String(30), nullable=False),
        sa.Column("dr_name", sa.String(50), nullable=False),
        sa.Column("diag_code", sa.String(30), nullable=False),
        sa.Column("diag_name", sa.String(100), nullable=False),
        sa.Column("begntime", sa.DateTime, nullable=False),
        sa.Column("endtime", sa.DateTime),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("person_json", sa.Text),
        sa.Column("changes_json", sa.Text),
        sa.Column("opter", sa.String(20)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(_in("state", STAY_STATES), name="ck_stays_state"),
        sa.UniqueConstraint("visit_id", name="uq_stays_visit_id"),
    )
    op.create_index("ix_stays_psn_no", "stays", ["psn_no"])
    op.create_index("ix_stays_ipt_no", "stays", ["ipt_no"])
    op.create_table(
        "stay_deposits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("stay_id", sa.Integer, sa.ForeignKey("stays.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("method", sa.String(12), nullable=False),
        sa.Column("amount", Money, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("receipt_no", sa.String(32)),
        sa.Column("out_trade_no", sa.String(32)),
        sa.Column("out_refund_no", sa.String(32)),
        sa.Column("settlement_id", sa.Integer, sa.ForeignKey("settlements.id", ondelete="RESTRICT")),
        sa.Column("related_id", sa.Integer),
        sa.Column("shift_id", sa.Integer, sa.ForeignKey("shifts.id", ondelete="RESTRICT")),
        sa.Column("opter", sa.String(20)),
        sa.Column("authorized_by", sa.String(20)),
        sa.Column("reason", sa.String(256)),
        sa.Column("err_msg", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(_in("kind", DEPOSIT_KINDS), name="ck_stay_deposits_kind"),
        sa.CheckConstraint(_in("state", DEPOSIT_STATES), name="ck_stay_deposits_state"),
        sa.CheckConstraint("amount > 0", name="ck_stay_deposits_positive"),
        sa.UniqueConstraint("receipt_no", name="uq_stay_deposits_receipt_no"),
    )
    op.create_index("ix_stay_deposits_stay_id", "stay_deposits", ["stay_id"])
    op.create_index("ix_stay_deposits_settlement_id", "stay_deposits", ["settlement_id"])
    op.create_index("ix_stay_deposits_shift_id", "stay_deposits", ["shift_id"])
    with op.batch_alter_table("pay_trades", recreate="always") as b:
        b.alter_column("settlement_id", existing_type=sa.Integer, nullable=True)
        b.add_column(sa.Column("deposit_id", sa.Integer, sa.ForeignKey("stay_deposits.id", name="fk_pay_trades_deposit_id",
                                                                       ondelete="RESTRICT"), nullable=True))
    op.create_index("ix_pay_trades_deposit_id", "pay_trades", ["deposit_id"])
    replication.ensure_triggers(op.get_bind())      # the rebuild dropped pay_trades' triggers


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
