"""Audit chain: append-only triggers and verify_chain detecting edit / delete / insert / swap."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError

from offline_cache import audit
from offline_cache.store import open_store


@pytest.fixture()
def store(tmp_path):
    s = open_store(tmp_path / "db.sqlite3")
    with s.session() as ses:
        for i in range(1, 6):
            audit.append(ses, actor="cashier01", action="settle", detail={"n": i, "amount": "12.30"})
    yield s
    s.close()


def _raw(store):
    c = sqlite3.connect(str(store.path), isolation_level=None)
    c.execute("DROP TRIGGER audit_events_no_update")
    c.execute("DROP TRIGGER audit_events_no_delete")
    return c


def test_chain_is_valid_and_head(store):
    assert audit.verify_chain(store) == (True, None, "")
    with store.read_session() as s:
        seq, h = audit.head(s)
        assert seq == 5 and len(h) == 64
        assert audit.verify_chain(s, expected_head=(seq, h)).ok


def test_triggers_forbid_update_and_delete(store):
    c = sqlite3.connect(str(store.path))
    for sql in ("UPDATE audit_events SET actor = 'x' WHERE seq = 2", "DELETE FROM audit_events WHERE seq = 2"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            c.execute(sql)
    c.close()
    with pytest.raises(IntegrityError), store.connection() as conn:
        conn.exec_driver_sql("DELETE FROM audit_events")


def test_detects_edit(store):
    c = _raw(store)
    c.execute("UPDATE audit_events SET detail_json = '{\"amount\":\"1.30\",\"n\":3}' WHERE seq = 3")
    c.close()
    ok, seq, reason = audit.verify_chain(store)
    assert (ok, seq) == (False, 3) and "被修改" in reason


def test_detects_delete(store):
    c = _raw(store)
    c.execute("DELETE FROM audit_events WHERE seq = 2")
    c.close()
    ok, seq, reason = audit.verify_chain(store)
    assert (ok, seq) == (False, 2) and "不连续" in reason


def test_detects_insert(store):
    c = _raw(store)
    c.execute("UPDATE audit_events SET seq = seq + 10 WHERE seq >= 3")
    c.execute("UPDATE audit_events SET seq = seq - 9 WHERE seq >= 13")
    prev = c.execute("SELECT hash FROM audit_events WHERE seq = 2").fetchone()[0]
    c.execute("INSERT INTO audit_events VALUES (3, '2026-11-05T10:00:00+08:00', 'x', 'refund', '{}', ?, ?)",
              (prev, "f" * 64))
    c.close()
    ok, seq, _ = audit.verify_chain(store)
    assert (ok, seq) == (False, 3)


def test_detects_swap(store):
    c = _raw(store)
    r2 = c.execute("SELECT time, actor, action, detail_json, prev_hash, hash FROM audit_events WHERE seq=2").fetchone()
    r4 = c.execute("SELECT time, actor, action, detail_json, prev_hash, hash FROM audit_events WHERE seq=4").fetchone()
    upd = "UPDATE audit_events SET time=?, actor=?, action=?, detail_json=?, prev_hash=?, hash=? WHERE seq=?"
    c.execute("UPDATE audit_events SET hash = 'tmp' WHERE seq = 4")  # hash is UNIQUE
    c.execute(upd, (*r4, 2))
    c.execute(upd, (*r2, 4))
    c.close()
    ok, seq, _ = audit.verify_chain(store)
    assert (ok, seq) == (False, 2)


def test_truncation_needs_the_external_head(store):
    with store.read_session() as s:
        recorded = audit.head(s)
    c = _raw(store)
    c.execute("DELETE FROM audit_events WHERE seq = 5")
    c.close()
    assert audit.verify_chain(store).ok  # a cut tail is a valid shorter chain...
    ok, seq, reason = audit.verify_chain(store, expected_head=recorded)
    assert (ok, seq) == (False, 5) and "链头" in reason  # ...but not the one recorded outside
