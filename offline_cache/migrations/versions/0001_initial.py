"""Initial schema of the MedSettle local store (hand-written; do not edit once released).

Revision ID: 0001
Revises:
Create Date: 2026-11-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name, nullable=False):
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "catalog_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admdvs", sa.String(6), nullable=False),
        sa.Column("med_list_codg", sa.String(50), nullable=False),
        sa.Column("list_type", sa.String(3), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("spec", sa.String(200), nullable=True),
        sa.Column("unit", sa.String(20), nullable=True),
        sa.Column("chrgitm_lv", sa.String(3), nullable=True),
        sa.Column("med_chrgitm_type", sa.String(6), nullable=True),
        sa.Column("selfpay_prop", sa.Text(), nullable=True),
        sa.Column("pric_uplmt_amt", sa.Text(), nullable=True),
        sa.Column("pric", sa.Text(), nullable=True),
        sa.Column("barcode", sa.String(32), nullable=True),
        sa.Column("begndate", sa.Date(), nullable=True),
        sa.Column("enddate", sa.Date(), nullable=True),
        sa.Column("vali_flag", sa.String(1), nullable=False),
        sa.Column("ver", sa.String(20), nullable=True),
        sa.Column("rid", sa.String(40), nullable=True),
        sa.Column("pinyin_initials", sa.String(200), nullable=False),
        sa.Column("pinyin_full", sa.String(800), nullable=False),
        sa.Column("name_grams", sa.Text(), nullable=False),
        sa.Column("initials_grams", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_items"),
        sa.UniqueConstraint("admdvs", "med_list_codg", name="uq_catalog_items_admdvs_med_list_codg"),
    )
    op.create_index("ix_catalog_items_admdvs_barcode", "catalog_items", ["admdvs", "barcode"])
    op.create_index("ix_catalog_items_admdvs_name", "catalog_items", ["admdvs", "name"])
    op.create_index("ix_catalog_items_admdvs_pinyin_initials", "catalog_items", ["admdvs", "pinyin_initials"])
    op.create_index("ix_catalog_items_admdvs_pinyin_full", "catalog_items", ["admdvs", "pinyin_full"])

    # Search indexes: external-content FTS5 tables kept in sync by triggers (any writer stays consistent).
    # trigram (substrings >= 3 characters): catalog_fts over names, catalog_pyfts over pinyin initials
    # (separate tables so a query never reads another column's doclists). unicode61 over pre-computed
    # 1-2 character grams: 1-2 character substrings (trigram cannot match fewer than 3 characters).
    # Full pinyin is searched by prefix through its b-tree index only. columnsize=0: no bm25 ranking.
    op.execute("CREATE VIRTUAL TABLE catalog_fts USING fts5(name, content='catalog_items', "
               "content_rowid='id', tokenize='trigram', columnsize=0)")
    op.execute("CREATE VIRTUAL TABLE catalog_pyfts USING fts5(pinyin_initials, content='catalog_items', "
               "content_rowid='id', tokenize='trigram', columnsize=0)")
    op.execute("CREATE VIRTUAL TABLE catalog_grams USING fts5(name_grams, initials_grams, "
               "content='catalog_items', content_rowid='id', tokenize='unicode61', columnsize=0)")
    ins = """
          INSERT INTO catalog_fts(rowid, name) VALUES (new.id, new.name);
          INSERT INTO catalog_pyfts(rowid, pinyin_initials) VALUES (new.id, new.pinyin_initials);
          INSERT INTO catalog_grams(rowid, name_grams, initials_grams)
            VALUES (new.id, new.name_grams, new.initials_grams);"""
    dele = """
          INSERT INTO catalog_fts(catalog_fts, rowid, name) VALUES ('delete', old.id, old.name);
          INSERT INTO catalog_pyfts(catalog_pyfts, rowid, pinyin_initials)
            VALUES ('delete', old.id, old.pinyin_initials);
          INSERT INTO catalog_grams(catalog_grams, rowid, name_grams, initials_grams)
            VALUES ('delete', old.id, old.name_grams, old.initials_grams);"""
    op.execute(f"CREATE TRIGGER catalog_items_ai AFTER INSERT ON catalog_items BEGIN {ins}\n        END")
    op.execute(f"CREATE TRIGGER catalog_items_ad AFTER DELETE ON catalog_items BEGIN {dele}\n        END")
    op.execute("CREATE TRIGGER catalog_items_au AFTER UPDATE OF name, pinyin_initials, name_grams, "
               f"initials_grams ON catalog_items BEGIN {dele}{ins}\n        END")

    op.create_table(
        "policy_bundles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(6), nullable=False),
        sa.Column("ver", sa.String(20), nullable=False),
        sa.Column("issued_at", sa.String(32), nullable=True),
        sa.Column("body_json", sa.Text(), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        _ts("verified_at", True),
        _ts("fetched_at"),
        sa.PrimaryKeyConstraint("id", name="pk_policy_bundles"),
        sa.UniqueConstraint("insuplc_admdvs", "ver", name="uq_policy_bundles_insuplc_admdvs_ver"),
    )

    op.create_table(
        "persons",
        sa.Column("psn_no", sa.String(30), nullable=False),
        sa.Column("psn_cert_type", sa.String(3), nullable=True),
        sa.Column("certno", sa.String(50), nullable=False),
        sa.Column("psn_name", sa.String(50), nullable=False),
        sa.Column("gend", sa.String(6), nullable=True),
        sa.Column("brdy", sa.Date(), nullable=True),
        sa.Column("insuinfo_json", sa.Text(), nullable=False),
        sa.Column("idetinfo_json", sa.Text(), nullable=False),
        sa.Column("filing_json", sa.Text(), nullable=True),
        sa.Column("card_no", sa.String(20), nullable=True),
        sa.Column("card_sn", sa.String(40), nullable=True),
        sa.Column("ytd_json", sa.Text(), nullable=True),
        _ts("fetched_at"),
        sa.PrimaryKeyConstraint("psn_no", name="pk_persons"),
    )
    op.create_index("ix_persons_certno", "persons", ["certno"])
    op.create_index("ix_persons_card_no", "persons", ["card_no"])

    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opter", sa.String(20), nullable=False),
        sa.Column("opter_name", sa.String(50), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        _ts("locked_until", True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_operators"),
        sa.UniqueConstraint("opter", name="uq_operators_opter"),
        sa.CheckConstraint("role IN ('cashier', 'supervisor', 'admin')", name="ck_operators_role"),
    )

    op.create_table(
        "signins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opter", sa.String(20), nullable=False),
        sa.Column("sign_no", sa.String(30), nullable=False),
        sa.Column("sign_date", sa.Date(), nullable=False),
        _ts("sign_time"),
        _ts("signed_out_at", True),
        sa.PrimaryKeyConstraint("id", name="pk_signins"),
    )
    op.create_index("ix_signins_opter_sign_date", "signins", ["opter", "sign_date"])

    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opter", sa.String(20), nullable=False),
        _ts("opened_at"),
        _ts("closed_at", True),
        sa.Column("float_amt", sa.Integer(), nullable=False),
        sa.Column("counted_json", sa.Text(), nullable=True),
        sa.Column("forced_by", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_shifts"),
    )
    op.create_index("ix_shifts_opter", "shifts", ["opter"])

    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("psn_no", sa.String(30), nullable=False),
        sa.Column("insutype", sa.String(6), nullable=True),
        sa.Column("insuplc_admdvs", sa.String(6), nullable=True),
        sa.Column("mdtrt_cert_type", sa.String(3), nullable=True),
        sa.Column("mdtrt_id", sa.String(30), nullable=True),
        sa.Column("ipt_otp_no", sa.String(30), nullable=True),
        sa.Column("med_type", sa.String(6), nullable=True),
        _ts("begntime"),
        _ts("endtime", True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reg_msgid", sa.String(30), nullable=True),
        sa.Column("mdtrt_msgid", sa.String(30), nullable=True),
        sa.Column("upload_msgid", sa.String(30), nullable=True),
        sa.Column("cancel_msgid", sa.String(30), nullable=True),
        sa.Column("opter", sa.String(20), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_visits"),
        sa.CheckConstraint("kind IN ('outpatient', 'inpatient')", name="ck_visits_kind"),
        sa.CheckConstraint("state IN ('open', 'registered', 'uploaded', 'settled', 'reversed', 'cancelled')",
                           name="ck_visits_state"),
    )
    op.create_index("ix_visits_psn_no", "visits", ["psn_no"])
    op.create_index("ix_visits_mdtrt_id", "visits", ["mdtrt_id"])

    op.create_table(
        "fee_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("feedetl_sn", sa.String(30), nullable=False),
        sa.Column("med_list_codg", sa.String(50), nullable=False),
        sa.Column("medins_list_codg", sa.String(150), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("spec", sa.String(200), nullable=True),
        sa.Column("cnt", sa.Text(), nullable=False),
        sa.Column("pric", sa.Text(), nullable=False),
        sa.Column("det_item_fee_sumamt", sa.Integer(), nullable=False),
        sa.Column("chrg_bchno", sa.String(30), nullable=True),
        _ts("fee_ocur_time", True),
        sa.Column("bilg_dept_codg", sa.String(30), nullable=True),
        sa.Column("bilg_dept_name", sa.String(100), nullable=True),
        sa.Column("bilg_dr_codg", sa.String(30), nullable=True),
        sa.Column("bilg_dr_name", sa.String(50), nullable=True),
        sa.Column("uploaded", sa.Boolean(), nullable=False),
        sa.Column("pric_uplmt_amt", sa.Text(), nullable=True),
        sa.Column("selfpay_prop", sa.Text(), nullable=True),
        sa.Column("fulamt_ownpay_amt", sa.Integer(), nullable=True),
        sa.Column("overlmt_amt", sa.Integer(), nullable=True),
        sa.Column("preselfpay_amt", sa.Integer(), nullable=True),
        sa.Column("inscp_scp_amt", sa.Integer(), nullable=True),
        sa.Column("chrgitm_lv", sa.String(3), nullable=True),
        sa.Column("med_chrgitm_type", sa.String(6), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_fee_lines"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name="fk_fee_lines_visit_id_visits",
                                ondelete="RESTRICT"),
        sa.UniqueConstraint("visit_id", "feedetl_sn", name="uq_fee_lines_visit_id_feedetl_sn"),
    )

    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("msgid", sa.String(30), nullable=False),
        sa.Column("infno", sa.String(4), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("setl_id", sa.String(30), nullable=True),
        sa.Column("mdtrt_id", sa.String(30), nullable=True),
        sa.Column("medfee_sumamt", sa.Integer(), nullable=True),
        sa.Column("fund_pay_sumamt", sa.Integer(), nullable=True),
        sa.Column("acct_pay", sa.Integer(), nullable=True),
        sa.Column("psn_cash_pay", sa.Integer(), nullable=True),
        sa.Column("setlinfo_json", sa.Text(), nullable=True),
        sa.Column("setldetail_json", sa.Text(), nullable=True),
        sa.Column("preview_json", sa.Text(), nullable=True),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("revoke_msgid", sa.String(30), nullable=True),
        sa.Column("opter", sa.String(20), nullable=True),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("print_count", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_settlements"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name="fk_settlements_visit_id_visits",
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name="fk_settlements_shift_id_shifts",
                                ondelete="RESTRICT"),
        sa.UniqueConstraint("msgid", name="uq_settlements_msgid"),
        sa.CheckConstraint("state IN ('prepared', 'sent', 'unknown', 'confirmed', 'reversed', 'failed', "
                           "'provisional')", name="ck_settlements_state"),
    )
    op.create_index("ix_settlements_visit_id", "settlements", ["visit_id"])
    op.create_index("ix_settlements_setl_id", "settlements", ["setl_id"])

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(12), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("tendered", sa.Integer(), nullable=True),
        sa.Column("change", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(64), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.ForeignKeyConstraint(["settlement_id"], ["settlements.id"],
                                name="fk_payments_settlement_id_settlements", ondelete="RESTRICT"),
        sa.CheckConstraint("method IN ('cash', 'bank_card', 'wechat', 'alipay', 'ecny', 'account')",
                           name="ck_payments_method"),
    )
    op.create_index("ix_payments_settlement_id", "payments", ["settlement_id"])

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("einvoice_code", sa.String(20), nullable=False),
        sa.Column("einvoice_number", sa.String(20), nullable=False),
        sa.Column("random_number", sa.String(20), nullable=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("related_invoice_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("body_json", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("issued_at", True),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.ForeignKeyConstraint(["settlement_id"], ["settlements.id"],
                                name="fk_invoices_settlement_id_settlements", ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["related_invoice_id"], ["invoices.id"],
                                name="fk_invoices_related_invoice_id_invoices", ondelete="RESTRICT"),
        sa.UniqueConstraint("einvoice_code", "einvoice_number", name="uq_invoices_einvoice_code_einvoice_number"),
        sa.CheckConstraint("kind IN ('normal', 'red')", name="ck_invoices_kind"),
        sa.CheckConstraint("state IN ('allocated', 'issued', 'failed', 'cancelled')", name="ck_invoices_state"),
    )
    op.create_index("ix_invoices_settlement_id", "invoices", ["settlement_id"])

    op.create_table(
        "invoice_ranges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("einvoice_code", sa.String(20), nullable=False),
        sa.Column("start_no", sa.String(20), nullable=False),
        sa.Column("end_no", sa.String(20), nullable=False),
        sa.Column("next_no", sa.String(20), nullable=False),
        sa.Column("window_id", sa.String(20), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_ranges"),
        sa.UniqueConstraint("einvoice_code", "start_no", name="uq_invoice_ranges_einvoice_code_start_no"),
    )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("chain", sa.String(64), nullable=True),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("server_ref", sa.String(64), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
        sa.CheckConstraint("state IN ('pending', 'sending', 'acked', 'failed', 'needs_review')",
                           name="ck_outbox_state"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_state_id", "outbox", ["state", "id"])
    op.create_index("ix_outbox_chain_id", "outbox", ["chain", "id"])

    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(50), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_events"),
        sa.UniqueConstraint("hash", name="uq_audit_events_hash"),
    )
    # Append-only at the SQL level. (Dropping the triggers is possible for whoever owns the file;
    # offline_cache.audit.verify_chain still detects edits made that way.)
    op.execute("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
               "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
    op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
               "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")

    op.create_table(
        "sync_state",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("ver", sa.String(40), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("in_progress", sa.Boolean(), nullable=False),
        sa.Column("target_ver", sa.String(40), nullable=True),
        sa.Column("detail_json", sa.Text(), nullable=True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("name", name="pk_sync_state"),
    )

    op.create_table(
        "adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("opter", sa.String(20), nullable=True),
        _ts("created_at"),
        _ts("done_at", True),
        sa.PrimaryKeyConstraint("id", name="pk_adjustments"),
        sa.ForeignKeyConstraint(["settlement_id"], ["settlements.id"],
                                name="fk_adjustments_settlement_id_settlements", ondelete="RESTRICT"),
        sa.CheckConstraint("direction IN ('refund', 'charge')", name="ck_adjustments_direction"),
        sa.CheckConstraint("state IN ('pending', 'done', 'cancelled')", name="ck_adjustments_state"),
    )
    op.create_index("ix_adjustments_settlement_id", "adjustments", ["settlement_id"])


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
