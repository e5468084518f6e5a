"""The hospital schema on a real PostgreSQL server: migration, roles, RLS, append-only history."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hospital_store import admin, db

W_PW = "window-pass-0001"


def test_migrate_creates_head_and_is_repeatable(hospital):
    srv, name, engine = hospital
    assert db.current_revision(engine) == db.head_revision()
    before, after = admin.migrate(engine)
    assert before == after == db.head_revision()


def _window_engine(srv, name, window_id):
    return db.connect(srv.url(name, admin.window_role_name(window_id), W_PW))


def _journal(conn, window_id, seq):
    conn.execute(text("INSERT INTO medsettle.journal (window_id, seq, entity, local_id, op, captured_at, data) "
                      "VALUES (:w, :s, 'settlement', '1', 'insert', now(), '{}')"), {"w": window_id, "s": seq})


def test_window_role_sees_and_writes_only_its_own_rows(hospital):
    srv, name, engine = hospital
    admin.add_window(engine, "A1", W_PW)
    admin.add_window(engine, "B1", W_PW)
    a, b = _window_engine(srv, name, "A1"), _window_engine(srv, name, "B1")
    with a.begin() as c:
        _journal(c, "A1", 1)
    with b.begin() as c:
        _journal(c, "B1", 1)
        # B cannot see A's row
        assert c.execute(text("SELECT window_id FROM medsettle.journal")).scalars().all() == ["B1"]
    # B cannot insert a row claiming to be A
    with pytest.raises(Exception) as ei, b.begin() as c:
        _journal(c, "A1", 2)
    assert "row-level security" in str(ei.value)
    # B cannot update or delete A's rows (no privilege), nor its own
    for stmt in ("UPDATE medsettle.journal SET op = 'update'", "DELETE FROM medsettle.journal"):
        with pytest.raises(Exception) as ei, b.begin() as c:
            c.execute(text(stmt))
        assert db.explain(ei.value).code == "hospital_forbidden"
    # and A's row is unchanged
    with engine.connect() as c:
        rows = c.execute(text("SELECT window_id, seq, op FROM medsettle.journal ORDER BY window_id")).all()
    assert [tuple(r) for r in rows] == [("A1", 1, "insert"), ("B1", 1, "insert")]
    a.dispose()
    b.dispose()


def test_history_is_append_only_even_for_the_owner(hospital):
    srv, name, engine = hospital
    admin.add_window(engine, "A1", W_PW)
    with engine.begin() as c:
        _journal(c, "A1", 1)
    with pytest.raises(Exception) as ei, engine.begin() as c:
        c.execute(text("DELETE FROM medsettle.journal"))
    assert "只能追加" in str(ei.value)
    with pytest.raises(Exception) as ei, engine.begin() as c:
        c.execute(text("TRUNCATE medsettle.journal CASCADE"))
    assert "只能追加" in str(ei.value)


def test_finance_reads_all_but_writes_only_reconciliations(hospital):
    srv, name, engine = hospital
    admin.add_window(engine, "A1", W_PW)
    admin.add_window(engine, "B1", W_PW)
    admin.add_finance(engine, "fin_test", "finance-pass-01")
    for w in ("A1", "B1"):
        with _window_engine(srv, name, w).begin() as c:
            _journal(c, w, 1)
    fin = db.connect(srv.url(name, "fin_test", "finance-pass-01"))
    with fin.begin() as c:
        assert sorted(c.execute(text("SELECT window_id FROM medsettle.journal")).scalars()) == ["A1", "B1"]
        c.execute(text("INSERT INTO medsettle.reconciliations (stmt_date, clean, report) VALUES ('2026-12-04', true, '{}')"))
    with pytest.raises(Exception) as ei, fin.begin() as c:
        _journal(c, "A1", 9)
    assert db.explain(ei.value).code == "hospital_forbidden"
    fin.dispose()


def test_connect_failures_are_told_in_chinese(hospital):
    srv, name, engine = hospital
    admin.add_window(engine, "A1", W_PW)
    with pytest.raises(db.HospitalAuthFailed) as ei:
        db.connect(srv.url(name, admin.window_role_name("A1"), "wrong-password-x"))
    assert "用户名或密码不对" in ei.value.message and "wrong-password-x" not in ei.value.message
    with pytest.raises(db.HospitalUnavailable) as ei:
        db.connect(f"postgresql+psycopg://x:y@127.0.0.1:{srv.port + 1 if srv.port < 65535 else 1}/{name}")
    assert "连不上医院库" in ei.value.message
    # an empty database: not initialised
    from pytest_postgresql.janitor import DatabaseJanitor

    from tests import pgserver

    with DatabaseJanitor(user=pgserver.SUPERUSER, password=pgserver.SUPERPASS, host=srv.host, port=srv.port,
                         dbname="hs_empty"):
        with pytest.raises(db.HospitalSchemaMissing) as ei:
            db.connect(srv.url("hs_empty"))
        assert "hospital init" in ei.value.message
    # a revision this program does not know: newer
    with engine.begin() as c:
        c.execute(text("UPDATE medsettle.alembic_version SET version_num = 'h9999'"))
    with pytest.raises(db.HospitalSchemaNew) as ei:
        db.connect(srv.url(name))
    assert "升级本窗口" in ei.value.message


def test_migration_from_h0001_keeps_the_books(pg_db):
    """A hospital store at the first revision with a window's rows is upgraded to head by the
    product's migrate; every row is still there, the roles still see only their own."""
    srv, name = pg_db
    engine = db.make_engine(srv.url(name))
    admin.migrate(engine, target="h0001")
    assert db.current_revision(engine) == "h0001"
    admin.add_window(engine, "A1", W_PW)
    with _window_engine_nocheck(srv, name, "A1").begin() as c:
        for seq in (1, 2, 3):
            _journal(c, "A1", seq)
    # a window of this program refuses the old schema (IT must migrate), in Chinese
    with pytest.raises(db.HospitalSchemaOld) as ei:
        _window_engine(srv, name, "A1")
    assert "hospital migrate" in ei.value.message
    before, after = admin.migrate(engine)
    assert (before, after) == ("h0001", db.head_revision())
    with _window_engine(srv, name, "A1").connect() as c:
        assert c.execute(text("SELECT seq FROM medsettle.journal ORDER BY seq")).scalars().all() == [1, 2, 3]
        assert c.execute(text("SELECT count(*) FROM medsettle.catalog_files")).scalar() == 0
    engine.dispose()


def _window_engine_nocheck(srv, name, window_id):
    return db.connect(srv.url(name, admin.window_role_name(window_id), W_PW), check=False)
