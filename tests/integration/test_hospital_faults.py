"""Hospital-store faults at a window, against a real PostgreSQL server: wrong credentials, a role
that may only read, a read-only server session, a schema newer than the program — each a clear
Chinese message, the local books untouched and the backlog kept for later."""

from __future__ import annotations

import json
import sqlite3

import psycopg
import pytest
from sqlalchemy import text

from hospital_store import admin, db
from tests.integration.cli_inproc import medsettle_inproc as medsettle

SHEN = "330421198503150016"
ROLE_PW = "window-role-pass-9"
FEES = [{"code": "XJ01CRA006A001010104041", "cnt": "24", "name": "头孢克洛胶囊"}, {"code": "001102000010000", "cnt": "1"}]


def _window(platform, srv, dbname, tmp_path, engine, *, user: str | None = None, password: str = ROLE_PW):
    admin.add_window(engine, "w09", ROLE_PW)
    d = tmp_path / "w09"
    url = f"postgresql+psycopg://{user or admin.window_role_name('w09')}@{srv.host}:{srv.port}/{dbname}"
    opts = ("--platform", platform.url, "--data", str(d), "--window", "w09", "--hospital", url)
    assert medsettle("config", "set-secret", "hospital-db", "--stdin", *opts, stdin=password + "\n").returncode == 0
    assert medsettle("sync", *opts, "--no-hilist").returncode == 0
    assert medsettle("shift", "open", *opts, "--operator", "T001", "--float", "0.00").returncode == 0
    fees = tmp_path / "fees.json"
    fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
    r = medsettle("checkout", *opts, "--certno", SHEN, "--fees", str(fees), "--med-type", "11", "--ack-warnings",
                  "--pay", "cash:500")
    assert r.returncode == 0, r.stderr              # the window settles whatever the hospital store does
    return d, opts, r


def _local_settled(d) -> int:
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    try:
        return conn.execute("SELECT count(*) FROM settlements WHERE state = 'confirmed'").fetchone()[0]
    finally:
        conn.close()


def _hospital_rows(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM medsettle.journal")).scalar()


def test_wrong_password_is_named_and_nothing_is_lost(platform, hospital, tmp_path):
    srv, dbname, engine = hospital
    d, opts, r = _window(platform, srv, dbname, tmp_path, engine, password="not-the-password")
    assert "医院库拒绝登录" in r.stderr and "not-the-password" not in r.stderr
    assert _local_settled(d) == 1 and _hospital_rows(engine) == 0
    p = medsettle("hospital", "push", *opts)
    assert p.returncode == 2 and json.loads(p.stdout)["backlog"] > 0
    # IT stores the right password: the backlog goes over, once
    assert medsettle("config", "set-secret", "hospital-db", "--stdin", *opts, stdin=ROLE_PW + "\n").returncode == 0
    p = medsettle("hospital", "push", *opts)
    assert p.returncode == 0 and json.loads(p.stdout)["backlog"] == 0
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM medsettle.settlements_current WHERE state = 'confirmed'")).scalar() == 1


def test_a_role_that_may_only_read_and_a_read_only_session(platform, hospital, tmp_path):
    srv, dbname, engine = hospital
    admin.add_finance(engine, "fin_ro", "finance-pass-09")
    # misconfigured: the window was given the finance (read) role
    d, opts, r = _window(platform, srv, dbname, tmp_path, engine, user="fin_ro", password="finance-pass-09")
    assert "没有这项权限" in r.stderr
    assert _local_settled(d) == 1 and _hospital_rows(engine) == 0
    # the window's own role, but the server session is read-only (a standby, maintenance)
    with engine.begin() as c:
        c.exec_driver_sql(f'ALTER ROLE "{admin.window_role_name("w09")}" SET default_transaction_read_only = on')
    url = f"postgresql+psycopg://{admin.window_role_name('w09')}@{srv.host}:{srv.port}/{dbname}"
    opts_ok = tuple(x if not x.startswith("postgresql") else url for x in opts)
    assert medsettle("config", "set-secret", "hospital-db", "--stdin", *opts_ok, stdin=ROLE_PW + "\n").returncode == 0
    p = medsettle("hospital", "push", *opts_ok)
    assert p.returncode == 2 and "医院库现在只读" in p.stderr
    with engine.begin() as c:
        c.exec_driver_sql(f'ALTER ROLE "{admin.window_role_name("w09")}" RESET default_transaction_read_only')
    p = medsettle("hospital", "push", *opts_ok)
    assert p.returncode == 0 and _hospital_rows(engine) > 0


def test_schema_newer_than_the_program_keeps_the_window_local(platform, hospital, tmp_path):
    srv, dbname, engine = hospital
    with engine.begin() as c:
        c.execute(text("UPDATE medsettle.alembic_version SET version_num = 'h9999'"))
    d, opts, r = _window(platform, srv, dbname, tmp_path, engine)
    assert "比本程序新" in r.stderr and _local_settled(d) == 1


@pytest.mark.parametrize("exc, code, words", [
    (psycopg.errors.DiskFull("could not extend file"), "hospital_full", "磁盘已满"),
    (psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"), "hospital_read_only", "只读"),
    (psycopg.errors.InsufficientPrivilege("permission denied for table journal"), "hospital_forbidden", "没有这项权限"),
])
def test_server_errors_by_sqlstate(exc, code, words):
    """The driver's own exception classes (the SQLSTATEs of PostgreSQL's appendix A) → Chinese."""
    err = db.explain(exc)
    assert err.code == code and words in err.message
