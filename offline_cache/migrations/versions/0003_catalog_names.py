"""Catalogue search over distinct names: ``catalog_names`` + FTS5 indexes over it.

Names repeat heavily in a catalogue (one generic name across specifications, manufacturers,
regions and versions), so the derived search columns (pinyin, grams) and the three FTS5 indexes
are kept once per DISTINCT name in ``catalog_names``; ``catalog_items`` keeps the NHSA ``name``
and a ``name_id``. Existing data is carried over: names (with the derived columns already stored
per row) are copied in first-seen order, ``catalog_items`` is rebuilt with ``name_id`` (same ids,
same rows) and the FTS5 indexes are rebuilt once from ``catalog_names``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-12
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ITEM_COLS = ("id", "admdvs", "med_list_codg", "list_type", "name", "spec", "unit", "chrgitm_lv",
              "med_chrgitm_type", "selfpay_prop", "pric_uplmt_amt", "pric", "barcode", "begndate", "enddate",
              "vali_flag", "ver", "rid")


def upgrade() -> None:
    # 1. the per-row search structures of 0001
    for trg in ("catalog_items_ai", "catalog_items_ad", "catalog_items_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trg}")
    for fts in ("catalog_fts", "catalog_pyfts", "catalog_grams"):
        op.execute(f"DROP TABLE IF EXISTS {fts}")

    # 2. distinct names with their derived search columns (copied from the first row carrying the name)
    op.create_table(
        "catalog_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("pinyin_initials", sa.String(200), nullable=False),
        sa.Column("pinyin_full", sa.String(800), nullable=False),
        sa.Column("name_grams", sa.Text(), nullable=False),
        sa.Column("initials_grams", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_names"),
        sa.UniqueConstraint("name", name="uq_catalog_names_name"),
    )
    op.execute("INSERT INTO catalog_names (name, pinyin_initials, pinyin_full, name_grams, initials_grams) "
               "SELECT name, pinyin_initials, pinyin_full, name_grams, initials_grams FROM catalog_items "
               "WHERE id IN (SELECT min(id) FROM catalog_items GROUP BY name) ORDER BY id")
    op.create_index("ix_catalog_names_pinyin_initials", "catalog_names", ["pinyin_initials"])
    op.create_index("ix_catalog_names_pinyin_full", "catalog_names", ["pinyin_full"])

    # 3. catalog_items rebuilt with name_id (same ids), without the per-row derived columns
    op.create_table(
        "catalog_items_0003",
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
        sa.Column("name_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_items"),
        sa.UniqueConstraint("admdvs", "med_list_codg", name="uq_catalog_items_admdvs_med_list_codg"),
    )
    cols = ", ".join(_ITEM_COLS)
    op.execute(f"INSERT INTO catalog_items_0003 ({cols}, name_id) SELECT {', '.join('c.' + c for c in _ITEM_COLS)}, "
               "n.id FROM catalog_items c JOIN catalog_names n ON n.name = c.name ORDER BY c.id")
    op.execute("DROP TABLE catalog_items")  # its indexes go with it
    op.execute("ALTER TABLE catalog_items_0003 RENAME TO catalog_items")
    op.create_index("ix_catalog_items_admdvs_barcode", "catalog_items", ["admdvs", "barcode"])
    op.create_index("ix_catalog_items_name_id_admdvs", "catalog_items", ["name_id", "admdvs"])

    # 4. FTS5 indexes over the distinct names (external content), kept in sync by triggers on
    # catalog_names (names are immutable: inserted once, never updated), rebuilt once here.
    op.execute("CREATE VIRTUAL TABLE catalog_fts USING fts5(name, content='catalog_names', "
               "content_rowid='id', tokenize='trigram', columnsize=0)")
    op.execute("CREATE VIRTUAL TABLE catalog_pyfts USING fts5(pinyin_initials, content='catalog_names', "
               "content_rowid='id', tokenize='trigram', columnsize=0)")
    # grams: every query is ONE 1-2 character token, so positions are not needed (detail=column)
    op.execute("CREATE VIRTUAL TABLE catalog_grams USING fts5(name_grams, initials_grams, "
               "content='catalog_names', content_rowid='id', tokenize='unicode61', columnsize=0, detail=column)")
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
    op.execute(f"CREATE TRIGGER catalog_names_ai AFTER INSERT ON catalog_names BEGIN {ins}\n        END")
    op.execute(f"CREATE TRIGGER catalog_names_ad AFTER DELETE ON catalog_names BEGIN {dele}\n        END")
    op.execute("CREATE TRIGGER catalog_names_au AFTER UPDATE ON catalog_names "
               f"BEGIN {dele}{ins}\n        END")
    for fts in ("catalog_fts", "catalog_pyfts", "catalog_grams"):
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
