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
