"""Alembic chain: upgrade an old database with data (backup first), and models == migrated schema."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from offline_cache.catalog import (
    index_pending_names,
    pending_names,
    search,
    search_columns,
    upsert_catalog_rows,
)
from offline_cache.models import Base, Payment, Person, Settlement
from offline_cache.store import backup_name, head_revision, migrate, open_store

HEAD = "0008a"   # the newest migration: a new one updates this on purpose


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
    c.execute("INSERT INTO shifts(id, opter, opened_at, float_amt) VALUES (1, 'T001', '2026-11-05 08:00:00', 20000)")
    c.execute("INSERT INTO payments(id, settlement_id, method, amount, tendered, change, created_at) "
              "VALUES (1, 1, 'cash', 10, 5000, 4990, '2026-11-05 09:03:00')")
    c.execute("INSERT INTO catalog_items(admdvs, med_list_codg, name, vali_flag, pinyin_initials, pinyin_full, "
              "name_grams, initials_grams) VALUES ('310118', 'XJ01', '头孢克洛胶囊', '1', 'tbkljn', "
              "'toubaokeluojiaonang', '头 孢 头孢', 'tb')")
    c.commit()
    c.close()


D = date(2026, 11, 5)

_ITEM_COLS = ("id", "admdvs", "med_list_codg", "name", "spec", "pric", "barcode", "begndate", "enddate", "vali_flag",
              "ver", "rid")


def _make_0002_db_with_catalogue(path):
    """A 0002 store with catalogue rows written the 0002 way (derived columns per row, FTS by trigger)."""
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine, "0002")
    engine.dispose()
    c = sqlite3.connect(str(path))
    rows = []
    for i in range(300):
        name = ("头孢克洛胶囊", "阿莫西林胶囊", "注射用头孢曲松钠", "门诊诊查费", "维生素B6片")[i % 5]
        adm = "320509" if i % 50 == 7 else "310118"
        rows.append((adm, f"C{i:05d}", name, "0.25g*12粒", f"{i % 90 + 1}.50", f"69{i:011d}" if i % 3 == 0 else None,
                     "2020-01-01", "2021-12-31" if i % 10 == 9 else None, "0" if i % 25 == 4 else "1", "V1", f"R{i}",
                     *search_columns(name)))
    c.executemany("INSERT INTO catalog_items(admdvs, med_list_codg, name, spec, pric, barcode, begndate, enddate, "
                  "vali_flag, ver, rid, pinyin_initials, pinyin_full, name_grams, initials_grams) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    c.execute("INSERT INTO sync_state(name, ver, page, in_progress, updated_at) "
              "VALUES ('catalog:1301:310118', 'V1', NULL, 0, '2026-11-05 09:00:00')")
    c.commit()
    before = c.execute(f"SELECT {', '.join(_ITEM_COLS)} FROM catalog_items ORDER BY id").fetchall()
    c.close()
    return before


def test_upgrade_0002_catalogue_rebuilds_search_over_distinct_names(tmp_path):
    path = tmp_path / "db.sqlite3"
    before = _make_0002_db_with_catalogue(path)
    store = open_store(path, backup_dir=tmp_path / "b")
    try:
        assert store.revision == head_revision() == HEAD and store.auto_backup.name.startswith("medsettle-0002-")
        with store.read_connection() as c:
            after = c.exec_driver_sql(f"SELECT {', '.join(_ITEM_COLS)} FROM catalog_items ORDER BY id").fetchall()
            assert [tuple(r) for r in after] == before          # same ids, same data
            names = c.exec_driver_sql("SELECT name FROM catalog_names ORDER BY id").fetchall()
            assert [n for (n,) in names] == ["头孢克洛胶囊", "阿莫西林胶囊", "注射用头孢曲松钠", "门诊诊查费", "维生素B6片"]
            assert c.exec_driver_sql("SELECT count(*) FROM catalog_items c JOIN catalog_names n "
                                     "ON n.id = c.name_id AND n.name = c.name").scalar_one() == 300
            for t in ("catalog_fts", "catalog_pyfts", "catalog_grams"):
                c.exec_driver_sql(f"INSERT INTO {t}({t}) VALUES ('integrity-check')")
            assert c.exec_driver_sql("SELECT ver FROM sync_state").fetchall() == [("V1",)]
        # every search tier answers from the rebuilt index, validity and region still filter
        valid_a = {r[2] for r in before if r[1] == "310118" and r[9] == "1" and r[8] is None}
        res = search(store, "310118", "头孢", at=D, limit=1000)      # name prefix + substring (grams)
        assert {i.med_list_codg for i in res} == {r[2] for r in before if "头孢" in r[3]} & valid_a
        assert {i.match for i in res} == {"name_prefix", "name"}
        assert {i.med_list_codg for i in search(store, "310118", "克洛胶", at=D, limit=1000)} == {
            r[2] for r in before if r[3] == "头孢克洛胶囊"} & valid_a
        res = search(store, "310118", "tbqs", at=D, limit=1000)      # initials substring (zsytbqsn)
        assert res and {i.name for i in res} == {"注射用头孢曲松钠"} and {i.match for i in res} == {"initials"}
        assert search(store, "310118", "amoxi", at=D)[0].match == "pinyin_prefix"
        assert {i.name for i in search(store, "310118", "b6", at=D)} == {"维生素B6片"}
        assert [i.med_list_codg for i in search(store, "320509", "C00007", at=D)] == ["C00007"]
        # and new pages keep using the migrated names
        r = upsert_catalog_rows(store, [{"med_list_codg": "NEW1", "name": "阿莫西林胶囊", "pric": "1.00"}],
                                admdvs="310118")
        assert r.inserted == 1
        with store.read_connection() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM catalog_names").scalar_one() == 5
    finally:
        store.close()


def _fts_ok(c) -> None:
    for t in ("catalog_fts", "catalog_pyfts", "catalog_grams"):
        c.exec_driver_sql(f"INSERT INTO {t}({t}) VALUES ('integrity-check')")


def test_upgrade_0003_names_keep_their_index_and_new_names_can_be_pending(tmp_path):
    path = tmp_path / "db.sqlite3"
    _make_0002_db_with_catalogue(path)
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine, "0003")
    engine.dispose()
    c = sqlite3.connect(str(path))
    names_before = c.execute("SELECT * FROM catalog_names ORDER BY id").fetchall()
    c.close()
    store = open_store(path, backup_dir=tmp_path / "b")
    try:
        assert store.revision == HEAD and store.auto_backup.name.startswith("medsettle-0003-")
        with store.read_connection() as c:
            # the table was rebuilt with the same ids and values: the FTS5 indexes (by rowid) still match
            assert [tuple(r) for r in c.exec_driver_sql("SELECT * FROM catalog_names ORDER BY id")] == names_before
            _fts_ok(c)
            idx = {r[1]: r[4] for r in c.exec_driver_sql("PRAGMA index_list(catalog_names)")}
            assert idx["ix_catalog_names_pending"] == 1                  # partial
        assert pending_names(store) == 0
        assert {i.name for i in search(store, "310118", "tbqs", at=D)} == {"注射用头孢曲松钠"}
        # a download writes its names pending: found by name prefix, not by pinyin / substring, until indexed
        upsert_catalog_rows(store, [{"med_list_codg": "NEW1", "name": "蒙脱石散", "pric": "1.00"},
                                    {"med_list_codg": "NEW2", "name": "阿莫西林胶囊", "pric": "2.00"}],
                            admdvs="310118", build_index=False)
        assert pending_names(store) == 1
        assert [i.match for i in search(store, "310118", "蒙脱石", at=D)] == ["name_prefix"]
        assert search(store, "310118", "mtss", at=D) == [] and search(store, "310118", "脱石", at=D) == []
        with store.read_connection() as c:
            _fts_ok(c)
        res = index_pending_names(store)
        assert (res.names, pending_names(store)) == (1, 0)
        assert [i.match for i in search(store, "310118", "mtss", at=D)] == ["initials_prefix"]
        assert [i.match for i in search(store, "310118", "脱石", at=D)] == ["name"]
        assert [i.match for i in search(store, "310118", "脱石散", at=D)] == ["name"]
        with store.connection() as c:
            _fts_ok(c)
            # the UPDATE trigger replaces the entries of an indexed name (delete old, insert new)
            c.exec_driver_sql("UPDATE catalog_names SET pinyin_initials = 'qqq' WHERE name = '蒙脱石散'")
            _fts_ok(c)
        assert [i.name for i in search(store, "310118", "qqq", at=D)] == ["蒙脱石散"]
    finally:
        store.close()


def test_upgrade_old_database_with_data_backs_up_first(tmp_path):
    path = tmp_path / "db.sqlite3"
    _make_0001_db_with_data(path)
    bdir = tmp_path / "backups"
    store = open_store(path, backup_dir=bdir)
    try:
        assert store.revision == head_revision() == HEAD
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
            # 0005: the payment keeps its amounts; written before shifts were tracked per payment
            pay = s.scalars(select(Payment)).one()
            assert (pay.amount, pay.tendered, pay.change, pay.shift_id) == (Decimal("0.10"), Decimal("50.00"),
                                                                            Decimal("49.90"), None)
        with store.read_connection() as c:
            idx = [r[1] for r in c.exec_driver_sql("PRAGMA index_list(settlements)")]
            assert "ix_settlements_state" in idx
            # 0003 rebuilt the search index over the distinct names: the old row is found again
            assert c.exec_driver_sql("SELECT n.name FROM catalog_fts f JOIN catalog_names n ON n.id = f.rowid "
                                     "WHERE catalog_fts MATCH 'name : \"克洛胶\"'").fetchall() == [("头孢克洛胶囊",)]
        assert [i.med_list_codg for i in search(store, "310118", "克洛胶", at=D)] == ["XJ01"]
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
    fts = ("catalog_fts", "catalog_pyfts", "catalog_grams")  # FTS5 virtual + shadow tables (not in the models)

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


def test_upgrade_0006c_keeps_catalogue_rows_and_adds_the_terms_tables(tmp_path):
    """0006c: a row written through the dict path (no national fields) keeps its class and ratio and has
    NULL national columns after a reopen; the 1318 / 1319 / disease tables exist."""
    import sqlite3

    from offline_cache.catalog import get_item, upsert_catalog_rows

    path = tmp_path / "db.sqlite3"
    store = open_store(path)
    upsert_catalog_rows(store, [{"admdvs": "310118", "med_list_codg": "X1", "name": "头孢克洛胶囊", "chrgitm_lv": "01",
                                 "selfpay_prop": "0.10", "ver": "1"}], admdvs="310118")
    store.close()
    store = open_store(path)
    try:
        it = get_item(store, "310118", "X1")
        assert (it.chrgitm_lv, str(it.selfpay_prop), it.dosform, it.extra_json) == ("01", "0.10", None, None)
    finally:
        store.close()
    c = sqlite3.connect(path)
    try:
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        c.close()
    assert {"hilist_lmtpric", "hilist_selfpay", "catalog_dise"} <= tables
