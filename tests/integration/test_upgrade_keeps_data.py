"""Upgrades keep data: a store written by the previous release (Alembic 0001) is opened by this
release through the `medsettle` CLI, upgraded to head with a pre-upgrade backup, and every row of
it (persons, visits, settlements, payments, catalogue + its FTS index) is still there."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from sqlalchemy import select

from offline_cache.models import CatalogItem, Payment, Person, Settlement
from offline_cache.store import head_revision, open_store
from tests.integration.ops_helpers import CERTNO, make_0001_store, medsettle


def test_cli_upgrade_of_previous_schema_keeps_data_and_backs_up_first(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    db = data / "medsettle.sqlite3"
    make_0001_store(db)
    assert head_revision() != "0001"

    # the new release's first command on the old store: `medsettle backup` opens (→ upgrades) it
    r = medsettle("backup", "--data", str(data), "--out", str(tmp_path / "after.sqlite3"))
    assert r.returncode == 0, r.stderr
    pre = sorted((data / "backups").glob("medsettle-0001-*.sqlite3"))
    assert len(pre) == 1, list((data / "backups").iterdir())
    b = sqlite3.connect(str(pre[0]))
    try:   # the pre-upgrade backup is the old schema with the old data
        assert b.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert b.execute("SELECT count(*) FROM settlements").fetchone() == (1,)
        assert "phone" not in [row[1] for row in b.execute("PRAGMA table_info(persons)")]
    finally:
        b.close()

    store = open_store(db, create=False)
    try:
        assert store.revision == head_revision() and store.auto_backup is None   # already upgraded
        with store.read_session() as s:
            p = s.get(Person, "33042119850315001601")
            assert (p.psn_name, p.certno, p.card_no, p.phone) == ("沈明", CERTNO, "K12345678", None)
            st = s.scalars(select(Settlement)).one()
            assert (st.setl_id, st.state, st.medfee_sumamt, st.fund_pay_sumamt, st.psn_cash_pay) == (
                "S3101182026000001", "confirmed", Decimal("1230.05"), Decimal("1000.00"), Decimal("230.05"))
            pay = s.scalars(select(Payment)).one()
            assert (pay.amount, pay.tendered, pay.change) == (Decimal("230.05"), Decimal("300.00"), Decimal("69.95"))
            assert sorted(s.scalars(select(CatalogItem.med_list_codg))) == ["XJ01", "XJ02"]
        with store.read_connection() as c:
            hits = c.exec_driver_sql("SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH '\"克洛胶\"'").fetchall()
            assert len(hits) == 1
            assert c.exec_driver_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        store.close()

    # the explicit backup taken by the new release is at head and holds the same rows
    a = sqlite3.connect(str(tmp_path / "after.sqlite3"))
    try:
        assert a.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
        assert a.execute("SELECT psn_name FROM persons").fetchall() == [("沈明",)]
    finally:
        a.close()


def test_restoring_a_previous_schema_backup_is_upgraded_again(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    old = tmp_path / "old-backup.sqlite3"
    make_0001_store(old)
    store = open_store(data / "medsettle.sqlite3")   # a current, empty store
    store.close()

    r = medsettle("restore", str(old), "--data", str(data), "--yes")
    assert r.returncode == 0, r.stderr
    assert "恢复完成" in r.stdout and "0001" in r.stdout
    assert list(data.glob("medsettle.sqlite3.replaced-*")), "the replaced database is kept"
    store = open_store(data / "medsettle.sqlite3", create=False)
    try:
        assert store.revision == head_revision()
        assert store.auto_backup is not None and store.auto_backup.name.startswith("medsettle-0001-")
        with store.read_session() as s:
            assert s.get(Person, "33042119850315001601").psn_name == "沈明"
    finally:
        store.close()
