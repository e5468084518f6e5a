"""`medsettle backup` / `medsettle restore` on real SQLite files.

Backups and restores that race another process (a writer, a window holding the database) run as
separate processes; the refusals of bad arguments and bad backups run in process
(``client.cli.main(argv)``, tests/integration/cli_inproc.py) with the same assertions.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from offline_cache.store import head_revision, open_store
from tests.integration.cli_inproc import medsettle_inproc
from tests.integration.ops_helpers import ROOT, cli_env, medsettle


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    store = open_store(d / "medsettle.sqlite3")
    with store.connection() as c:
        c.execute(text("INSERT INTO persons(psn_no, certno, psn_name, insuinfo_json, idetinfo_json, fetched_at) "
                       "VALUES ('P1', '330421198503150016', '沈明', '[]', '[]', '2026-11-05 09:00:00')"))
    store.close()
    return d


def _names(db) -> list[str]:
    c = sqlite3.connect(str(db))
    try:
        return [r[0] for r in c.execute("SELECT psn_name FROM persons ORDER BY psn_no")]
    finally:
        c.close()


def _add_person(db, psn_no, name):
    store = open_store(db)
    with store.connection() as c:
        c.execute(text("INSERT INTO persons(psn_no, certno, psn_name, insuinfo_json, idetinfo_json, fetched_at) "
                       "VALUES (:p, '330421198503150016', :n, '[]', '[]', '2026-11-05 09:00:00')"), {"p": psn_no, "n": name})
    store.close()


def test_backup_default_location_is_private_and_restorable(data, tmp_path):
    r = medsettle("backup", "--data", str(data))
    assert r.returncode == 0, r.stderr
    path = data.parent / r.stdout.strip().splitlines()[-1]
    assert path.parent == data / "backups" and path.name.startswith(f"medsettle-{head_revision()}-")
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _names(path) == ["沈明"]
    c = sqlite3.connect(str(path))
    assert c.execute("PRAGMA journal_mode").fetchone() == ("delete",)   # one self-contained file
    c.close()

    _add_person(data / "medsettle.sqlite3", "P2", "王芳")      # business after the backup
    assert _names(data / "medsettle.sqlite3") == ["沈明", "王芳"]
    r = medsettle("restore", str(path), "--data", str(data), "--yes")
    assert r.returncode == 0, r.stderr
    assert _names(data / "medsettle.sqlite3") == ["沈明"]
    replaced = list(data.glob("medsettle.sqlite3.replaced-*"))
    assert [p for p in replaced if not p.name.endswith(("-wal", "-shm"))], "current DB kept before replacing"
    kept = next(p for p in replaced if not p.name.endswith(("-wal", "-shm")))
    assert "王芳" in _names(kept)


def test_backup_is_consistent_while_another_process_writes(data, tmp_path):
    """Online backup while a writer process commits rows in a loop: the copy passes quick_check and
    holds a prefix of the writer's rows (each committed transaction wholly or not at all)."""
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from sqlalchemy import text\n"
        "from offline_cache.store import open_store\n"
        "s = open_store(sys.argv[1])\n"
        "print('ready', flush=True)\n"
        "for i in range(400):\n"
        "    with s.connection() as c:\n"
        "        c.execute(text(\"INSERT INTO persons(psn_no, certno, psn_name, insuinfo_json, idetinfo_json, \"\n"
        "                       \"fetched_at) VALUES (:p, 'x', 'n', '[]', '[]', '2026-01-01')\"), {'p': f'W{i:04d}'})\n"
        "        c.execute(text(\"UPDATE persons SET card_no = :p WHERE psn_no = 'P1'\"), {'p': f'W{i:04d}'})\n"
        "    time.sleep(0.002)\n"
        "s.close()\n"), str(data / "medsettle.sqlite3")], cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(0.1)
        out = tmp_path / "online.sqlite3"
        r = medsettle("backup", "--data", str(data), "--out", str(out))
        assert r.returncode == 0, r.stderr
    finally:
        writer.wait(timeout=60)
    c = sqlite3.connect(str(out))
    try:
        assert c.execute("PRAGMA quick_check").fetchone() == ("ok",)
        rows = [r[0] for r in c.execute("SELECT psn_no FROM persons WHERE psn_no LIKE 'W%' ORDER BY psn_no")]
        assert rows == [f"W{i:04d}" for i in range(len(rows))]           # a prefix, no gaps
        last = c.execute("SELECT card_no FROM persons WHERE psn_no = 'P1'").fetchone()[0]
        assert last == (rows[-1] if rows else None)                       # both statements of a txn, or none
    finally:
        c.close()


def test_backup_refuses_to_overwrite_and_missing_store(data, tmp_path):
    existing = tmp_path / "exists.sqlite3"
    existing.write_bytes(b"keep me")
    r = medsettle_inproc("backup", "--data", str(data), "--out", str(existing))
    assert r.returncode == 2 and "不会覆盖" in r.stderr and existing.read_bytes() == b"keep me"
    r = medsettle_inproc("backup", "--data", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "找不到本机数据库" in r.stderr and "Traceback" not in r.stderr


def test_restore_refuses_bad_backups_without_touching_the_store(data, tmp_path):
    before = (data / "medsettle.sqlite3").read_bytes()
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    r = medsettle_inproc("restore", str(garbage), "--data", str(data), "--yes")
    assert r.returncode == 2 and "不能用于恢复" in r.stderr and "Traceback" not in r.stderr

    newer = tmp_path / "newer.sqlite3"
    r = medsettle_inproc("backup", "--data", str(data), "--out", str(newer))
    assert r.returncode == 0, r.stderr
    c = sqlite3.connect(str(newer))
    c.execute("UPDATE alembic_version SET version_num = '9999'")
    c.commit()
    c.close()
    r = medsettle_inproc("restore", str(newer), "--data", str(data), "--yes")
    assert r.returncode == 2 and "比本程序新" in r.stderr and "升级 MedSettle" in r.stderr

    r = medsettle_inproc("restore", str(tmp_path / "missing.sqlite3"), "--data", str(data), "--yes")
    assert r.returncode == 2 and "找不到备份文件" in r.stderr
    r = medsettle_inproc("restore", str(newer), "--data", str(data))            # no --yes, no terminal
    assert r.returncode == 2 and "--yes" in r.stderr
    assert (data / "medsettle.sqlite3").read_bytes() == before
    assert not list(data.glob("*.replaced-*"))


def test_restore_refuses_while_the_window_holds_the_database_open(data, tmp_path):
    good = tmp_path / "good.sqlite3"
    assert medsettle("backup", "--data", str(data), "--out", str(good)).returncode == 0
    # a process that opened the store like the window does and then sits idle
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys\n"
        "from offline_cache.store import open_store\n"
        "s = open_store(sys.argv[1])\n"
        "with s.read_connection() as c:\n"
        "    c.exec_driver_sql('SELECT count(*) FROM persons').fetchall()\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "s.close()\n"), str(data / "medsettle.sqlite3")], cwd=ROOT, env=cli_env(), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        r = medsettle("restore", str(good), "--data", str(data), "--yes")
        assert r.returncode == 2, r.stdout
        assert "正在被使用" in r.stderr and "关闭" in r.stderr
        assert not list(data.glob("*.replaced-*"))
    finally:
        holder.communicate("\n", timeout=30)
    r = medsettle("restore", str(good), "--data", str(data), "--yes")   # closed now: allowed
    assert r.returncode == 0, r.stderr
