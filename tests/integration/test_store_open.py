"""open_store: PRAGMAs, file modes, corruption, locking, too-new databases, backups, restore."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import time

import pytest

from offline_cache.errors import StoreCorrupt, StoreLocked, StoreNotFound, StoreTooNew
from offline_cache.store import backup, head_revision, known_revisions, open_store, restore


def _mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _fill(store, n=3000):
    with store.connection() as c:
        c.exec_driver_sql(
            "INSERT INTO sync_state(name, ver, page, in_progress, updated_at) VALUES (?, ?, ?, 0, '2026-11-05 10:00:00')",
            [(f"stream-{i:05d}-" + "x" * 40, str(i), i) for i in range(n)])


def test_pragmas_on_every_connection(tmp_path):
    store = open_store(tmp_path / "db.sqlite3")
    try:
        raws = [store.engine.raw_connection() for _ in range(3)]  # three distinct pooled connections
        try:
            for raw in raws:
                cur = raw.driver_connection.cursor()
                assert cur.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                assert cur.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
                assert cur.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
                assert cur.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        finally:
            for raw in raws:
                raw.close()
        assert store.revision == head_revision() and head_revision() in known_revisions()
    finally:
        store.close()


def test_files_and_directories_are_owner_only(tmp_path):
    path = tmp_path / "a" / "b" / "db.sqlite3"
    store = open_store(path)
    try:
        _fill(store, 10)
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and _mode(wal) == 0o600
        (tmp_path / "bk").mkdir()
        dest = backup(store, tmp_path / "bk")
        assert dest.name.startswith(f"medsettle-{head_revision()}-") and _mode(dest) == 0o600
    finally:
        store.close()


def test_missing_file_without_create(tmp_path):
    with pytest.raises(StoreNotFound) as ei:
        open_store(tmp_path / "none.sqlite3", create=False)
    assert "找不到本机数据库文件" in str(ei.value)
    assert not (tmp_path / "none.sqlite3").exists()


def test_non_sqlite_file_is_corrupt(tmp_path):
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is a text file, not a database\n" * 200)
    before = _sha(path)
    with pytest.raises(StoreCorrupt) as ei:
        open_store(path, backup_dir=tmp_path / "backups")
    msg = str(ei.value)
    assert "不是 MedSettle 数据库" in msg and "medsettle restore" in msg
    assert _sha(path) == before


def test_garbage_in_the_middle_is_corrupt_and_names_the_backup(tmp_path):
    path = tmp_path / "db.sqlite3"
    bdir = tmp_path / "backups"
    store = open_store(path, backup_dir=bdir)
    _fill(store)
    good = backup(store, bdir)
    store.close()
    size = path.stat().st_size
    assert size > 64 * 4096
    with open(path, "r+b") as fh:  # overwrite 8 pages in the middle with garbage
        fh.seek((size // 2) // 4096 * 4096)
        fh.write(os.urandom(8 * 4096))
    with pytest.raises(StoreCorrupt) as ei:
        open_store(path, backup_dir=bdir)
    msg = str(ei.value)
    assert "已损坏" in msg and "medsettle restore" in msg and str(good) in msg

    # restore the named backup; the damaged file is kept aside, the store opens again with its data
    result = restore(good, path)
    assert result.replaced is not None and result.replaced.exists()
    assert _mode(path) == 0o600
    store = open_store(path, backup_dir=bdir)
    with store.read_connection() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM sync_state").scalar() == 3000
    store.close()


def test_restore_refuses_a_corrupt_backup(tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    dest = tmp_path / "db.sqlite3"
    store = open_store(dest)
    store.close()
    before = _sha(dest)
    with pytest.raises(StoreCorrupt) as ei:
        restore(bad, dest)
    assert "不能用于恢复" in str(ei.value)
    assert _sha(dest) == before


def test_locked_database_raises_store_locked_within_timeout(tmp_path):
    path = tmp_path / "db.sqlite3"
    open_store(path).close()
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.monotonic()
        with pytest.raises(StoreLocked) as ei:
            open_store(path, busy_timeout_ms=300)
        elapsed = time.monotonic() - t0
        assert 0.25 <= elapsed < 5
        assert "正被另一个程序占用" in str(ei.value) and "重试" in str(ei.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    open_store(path, busy_timeout_ms=300).close()  # free again → opens


def test_too_new_database_is_refused_and_unchanged(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = open_store(path)
    _fill(store, 50)
    store.close()
    c = sqlite3.connect(str(path))
    c.execute("UPDATE alembic_version SET version_num = '9999'")
    c.commit()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    before = _sha(path)
    files_before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(StoreTooNew) as ei:
        open_store(path, backup_dir=tmp_path / "backups")
    assert "数据库版本(9999)比本程序新，请升级 MedSettle 后再打开" in str(ei.value)
    assert ei.value.revision == "9999"
    assert _sha(path) == before
    assert not (tmp_path / "backups").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == \
        [n for n in files_before if not n.endswith(("-wal", "-shm"))]


def test_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    c = sqlite3.connect(str(path))
    c.execute("CREATE TABLE t(x)")
    c.commit()
    c.close()
    before = _sha(path)
    with pytest.raises(StoreCorrupt):
        open_store(path)
    assert _sha(path) == before
