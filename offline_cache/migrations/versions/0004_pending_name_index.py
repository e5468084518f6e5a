"""Deferred catalogue search index: a catalogue name may be *pending* (search columns NULL).

A catalogue download commits its rows with their names first and builds the names' search index
(pinyin, grams, the three FTS5 indexes) afterwards, in one pass (``offline_cache.catalog.
index_pending_names``). For that:

* the derived columns of ``catalog_names`` become nullable (NULL = not indexed yet); the table is
  rebuilt by Alembic's batch mode with the same ids, so the FTS5 external-content indexes (keyed by
  rowid) stay valid without a rebuild;
* the FTS5 triggers index a name only once its ``pinyin_initials`` is set, and the UPDATE trigger
  removes the old entries only of a name that was indexed (an FTS5 'delete' of entries that were
  never inserted would corrupt the index);
* a partial index ``ix_catalog_names_pending`` finds the pending names.

Existing names all carry their search columns (0003 computed them), so none is pending after this.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_IS_INDEXED = "{row}.pinyin_initials IS NOT NULL"
_INS = """
          INSERT INTO catalog_fts(rowid, name) SELECT new.id, new.name WHERE {c};
          INSERT INTO catalog_pyfts(rowid, pinyin_initials) SELECT new.id, new.pinyin_initials WHERE {c};
          INSERT INTO catalog_grams(rowid, name_grams, initials_grams)
            SELECT new.id, new.name_grams, new.initials_grams WHERE {c};""".format(c=_IS_INDEXED.format(row="new"))
_DEL = """
          INSERT INTO catalog_fts(catalog_fts, rowid, name) SELECT 'delete', old.id, old.name WHERE {c};
          INSERT INTO catalog_pyfts(catalog_pyfts, rowid, pinyin_initials)
            SELECT 'delete', old.id, old.pinyin_initials WHERE {c};
          INSERT INTO catalog_grams(catalog_grams, rowid, name_grams, initials_grams)
            SELECT 'delete', old.id, old.name_grams, old.initials_grams WHERE {c};""".format(c=_IS_INDEXED.format(row="old"))


def upgrade() -> None:
    for trg in ("catalog_names_ai", "catalog_names_ad", "catalog_names_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trg}")
    with op.batch_alter_table("catalog_names", recreate="always") as batch:
        batch.alter_column("pinyin_initials", existing_type=sa.String(200), nullable=True)
        batch.alter_column("pinyin_full", existing_type=sa.String(800), nullable=True)
        batch.alter_column("name_grams", existing_type=sa.Text(), nullable=True)
        batch.alter_column("initials_grams", existing_type=sa.Text(), nullable=True)
    op.create_index("ix_catalog_names_pending", "catalog_names", ["id"],
                    sqlite_where=sa.text("pinyin_initials IS NULL"))
    op.execute(f"CREATE TRIGGER catalog_names_ai AFTER INSERT ON catalog_names BEGIN {_INS}\n        END")
    op.execute(f"CREATE TRIGGER catalog_names_ad AFTER DELETE ON catalog_names BEGIN {_DEL}\n        END")
    # delete the old entries first, then insert the new ones (same rowid)
    op.execute(f"CREATE TRIGGER catalog_names_au AFTER UPDATE ON catalog_names BEGIN {_DEL}{_INS}\n        END")


def downgrade() -> None:
    raise NotImplementedError("MedSettle never downgrades a store; restore a backup instead")
