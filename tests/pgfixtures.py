"""Fixtures for hospital mode (imported by the conftest of each test folder that needs them): one real PostgreSQL server per test session (tests/pgserver.py),
a fresh database per test (pytest-postgresql's DatabaseJanitor), the schema migrated by the
product's own ``hospital_store.admin.migrate``."""

from __future__ import annotations

import itertools

import pytest

from tests import pgserver

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server():
    why = pgserver.available()
    if why:
        pytest.fail(f"hospital-mode tests need a PostgreSQL server: {why}")
    srv = pgserver.PgServer().init().start()
    yield srv
    srv.cleanup()


@pytest.fixture
def pg_db(pg_server):
    """(server, dbname): an empty database, dropped afterwards."""
    from pytest_postgresql.janitor import DatabaseJanitor

    name = f"hs_test_{next(_counter)}"
    jan = DatabaseJanitor(user=pgserver.SUPERUSER, password=pgserver.SUPERPASS, host=pg_server.host,
                          port=pg_server.port, dbname=name)
    jan.init()
    yield pg_server, name
    if not pg_server.running():
        pg_server.start()
    jan.drop()


@pytest.fixture
def hospital(pg_db):
    """A migrated hospital store: (server, dbname, admin engine)."""
    from hospital_store import admin, db

    srv, name = pg_db
    engine = db.make_engine(srv.url(name))
    admin.migrate(engine)
    yield srv, name, engine
    engine.dispose()
