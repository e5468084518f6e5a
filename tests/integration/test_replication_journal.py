"""The replication journal in the window's SQLite store: triggers exist at head, journal every
change in the change's own transaction, and a rolled-back change leaves no entry."""

from __future__ import annotations

import sqlite3

from offline_cache import replication
from offline_cache.store import open_store


def test_every_journal_trigger_exists_at_head(tmp_path):
    store = open_store(tmp_path / "s.sqlite3")
    store.close()
    conn = sqlite3.connect(tmp_path / "s.sqlite3")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    conn.close()
    missing = set(replication.trigger_names()) - names
    assert not missing, f"a migration rebuilt a journaled table without ensure_triggers(): {missing}"


def test_changes_are_journaled_in_their_own_transaction(tmp_path):
    store = open_store(tmp_path / "s.sqlite3")
    store.close()
    conn = sqlite3.connect(tmp_path / "s.sqlite3")
    conn.execute("INSERT INTO shifts (opter, opened_at, float_amt) VALUES ('T001', '2026-12-04 08:00:00', '100.00')")
    conn.execute("UPDATE shifts SET float_amt = '120.00'")
    conn.commit()
    conn.execute("INSERT INTO shifts (opter, opened_at, float_amt) VALUES ('T002', '2026-12-04 08:00:00', '0.00')")
    conn.rollback()
    rows = conn.execute("SELECT seq, entity, local_id, op FROM replication_journal ORDER BY seq").fetchall()
    conn.close()
    assert [(e, i, o) for _s, e, i, o in rows] == [("shift", 1, "insert"), ("shift", 1, "update")]
    assert rows[0][0] < rows[1][0]


def test_two_stores_migrated_at_once_in_one_process(tmp_path):
    """A command's store and its background hospital pusher's may both need migrating at the same
    moment; Alembic's context is process-global, so migrations are serialised (store.MIGRATION_LOCK).
    Without it one store's operations ran on the other's connection ("no such table: persons")."""
    import threading

    errors, stores = [], []

    def open_one(i):
        try:
            stores.append(open_store(tmp_path / f"s{i}.sqlite3"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for s in stores:
        with s.read_connection() as c:
            names = {r[0] for r in c.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
        s.close()
        assert {"persons", "settlements", "replication_journal", "backsettlements"} <= names
