from tests.pgfixtures import hospital, pg_db, pg_server  # noqa: F401 - fixtures
