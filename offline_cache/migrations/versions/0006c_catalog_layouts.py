"""Catalogues in their real files: national columns on catalog_items; 1318 limits, 1319 ratios and
the 1307/1309 disease lists in their own tables.

* ``catalog_items`` gains the national fields the window shows from the real 1301/1302/1303/1305/
  1306 files (``dosform``, ``prodentp_name``, ``wubi``, ``pinyin``, ``lmt_used_flag``) and
  ``extra_json`` (kind-specific columns, non-empty values only). Its ``chrgitm_lv`` /
  ``med_chrgitm_type`` now come from 1312 only, ``pric_uplmt_amt`` from 1318, ``selfpay_prop``
  from 1319 (a file never writes them).
* ``hilist_lmtpric`` (1318 医保目录限价信息) and ``hilist_selfpay`` (1319 医保目录先自付比例信息):
  the rows as the platform sends them, one per ``rid``.
* ``catalog_dise`` (1307 疾病与诊断, 1309 门诊慢特病种): one row per (infno, code).

Revision ID: 0006c
Revises: 0006o
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006c"
down_revision = "0006o"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_items") as b:
        b.add_column(sa.Column("dosform", sa.String(100), nullable=True))
        b.add_column(sa.Column("prodentp_name", sa.String(200), nullable=True))
        b.add_column(sa.Column("wubi", sa.String(100), nullable=True))
        b.add_column(sa.Column("pinyin", sa.String(100), nullable=True))
        b.add_column(sa.Column("lmt_used_flag", sa.String(1), nullable=True))
        b.add_column(sa.Column("extra_json", sa.Text, nullable=True))
    for table, cols in (
        ("hilist_lmtpric", [sa.Column("hilist_lmtpric_type", sa.String(6)), sa.Column("overlmt_dspo_way", sa.String(6)),
                            sa.Column("hilist_pric_uplmt_amt", sa.Text())]),
        ("hilist_selfpay", [sa.Column("selfpay_prop_psn_type", sa.String(6)), sa.Column("selfpay_prop_type", sa.String(6)),
                            sa.Column("selfpay_prop", sa.Text())]),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("admdvs", sa.String(6), nullable=False),
            sa.Column("rid", sa.String(40), nullable=False),
            sa.Column("hilist_code", sa.String(50), nullable=False),
            *cols,
            sa.Column("insu_admdvs", sa.String(6)),
            sa.Column("begndate", sa.Date),
            sa.Column("enddate", sa.Date),
            sa.Column("vali_flag", sa.String(3)),
            sa.Column("updt_time", sa.String(19)),
            sa.Column("poolarea_no", sa.String(6)),
            sa.UniqueConstraint("admdvs", "rid", name=f"uq_{table}_admdvs_rid"),
        )
        op.create_index(f"ix_{table}_admdvs_hilist_code", table, ["admdvs", "hilist_code"])
    op.create_table(
        "catalog_dise",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("infno", sa.String(4), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("vali_flag", sa.String(3)),
        sa.Column("rid", sa.String(40)),
        sa.Column("ver", sa.String(20)),
        sa.Column("extra_json", sa.Text),
        sa.UniqueConstraint("infno", "code", name="uq_catalog_dise_infno_code"),
    )


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
