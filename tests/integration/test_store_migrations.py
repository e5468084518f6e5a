"""Alembic chain: upgrade an old database with data (backup first), and models == migrated schema."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from offline_cache.models import Base, Person, Settlement
from offline_cache.store import backup_name, migrate, open_store


def _make_0001_db_with_data(path):
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine, "0001")
    engine.dispose()
    c = sqlite3.connect(str(path))
    c.execute("INSERT INTO persons(psn_no, certno, psn_name, insuinfo_json, idetinfo_json, fetched_at) "
              "VALUES ('33042119850315001601', '330421198503150016', '沈明', '[]', '[]', '2026-11-05 09:00:00')")
    c.execute("INSERT INTO visits(id, kind, psn_no, begntime, state, created_at, updated_at) "
              "VALUES (1, 'outpatient', '33042119850315001601', '2026-11-05 09:01:00', 'settled', "
              "'2026-11-05 09:01:00', '2026-11-05 09:05:00')")
    c.execute("INSERT INTO settlements(id, visit_id, msgid, infno, state, medfee_sumamt, psn_cash_pay, provisional, "
              "offline, print_count, created_at, updated_at) VALUES (1, 1, 'H31011800001202611050901000001', '2207', "
              "'confirmed', 123005, 10, 0, 0, 1, '2026-11-05 09:02:00', '2026-11-05 09:03:00')")
    c.execute("INSERT INTO catalog_items(admdvs, med_list_codg, name, vali_flag, pinyin_initials, pinyin_full, "
              "name_grams, initials_grams) VALUES ('310118', 'XJ01', '头孢克洛胶囊', '1', 'tbkljn', "
              "'toubaokeluojiaonang', '头 孢 头孢', 'tb')")
    c.commit()
    c.close()


def test_upgrade_old_database_with_data_backs_up_first(tmp_path):
    path = tmp_path / "db.sqlite3"
    _make_0001_db_with_data(path)
    bdir = tmp_path / "backups"
    store = open_store(path, backup_dir=bdir)
    try:
        assert store.revision == "0002"
        # backup written before migrating, named with the old revision, holding the old schema + data
        assert store.auto_backup is not None and store.auto_backup.parent == bdir
        assert store.auto_backup.name.startswith("medsettle-0001-") and store.auto_backup.suffix == ".sqlite3"
        b = sqlite3.connect(str(store.auto_backup))
        assert b.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert b.execute("SELECT psn_name FROM persons").fetchall() == [("沈明",)]
        assert "phone" not in [r[1] for r in b.execute("PRAGMA table_info(persons)")]
        b.close()
        # data intact after the upgrade, new column usable, money exact
        with store.session() as s:
            p = s.get(Person, "33042119850315001601")
            assert p.psn_name == "沈明" and p.phone is None
            p.phone = "13800000000"
            st = s.scalars(select(Settlement)).one()
            assert st.medfee_sumamt == Decimal("1230.05") and st.psn_cash_pay == Decimal("0.10")
        with store.read_connection() as c:
            idx = [r[1] for r in c.exec_driver_sql("PRAGMA index_list(settlements)")]
            assert "ix_settlements_state" in idx
            # FTS built by 0001's trigger still answers after the upgrade
            assert c.exec_driver_sql("SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH 'name : \"克洛胶\"'"
                                     ).fetchall() == [(1,)]
    finally:
        store.close()
    # re-open at head: no further backup
    store = open_store(path, backup_dir=bdir)
    assert store.auto_backup is None
    store.close()
    assert len(list(bdir.glob("medsettle-*.sqlite3"))) == 1


def test_fresh_database_is_not_backed_up(tmp_path):
    store = open_store(tmp_path / "db.sqlite3", backup_dir=tmp_path / "b")
    assert store.auto_backup is None and not (tmp_path / "b").exists()
    store.close()


def test_models_match_the_migrated_schema(tmp_path):
    store = open_store(tmp_path / "db.sqlite3")
    fts = ("catalog_fts", "catalog_pyfts", "catalog_grams")

    def include(obj, name, type_, reflected, compare_to):
        return not (type_ == "table" and name and (name.startswith(fts) or name == "alembic_version"))

    try:
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": True})
            diffs = compare_metadata(ctx, Base.metadata)
            conn.rollback()
        assert diffs == []
    finally:
        store.close()


def test_backup_name_format():
    n = backup_name("0002")
    assert n.startswith("medsettle-0002-") and n.endswith(".sqlite3")
