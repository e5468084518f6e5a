"""Alembic environment for the hospital store. Run programmatically (hospital_store.admin.migrate):
the caller passes an open SQLAlchemy Connection in ``config.attributes["connection"]``.
The version table lives in the ``medsettle`` schema, beside the books."""

from alembic import context

from hospital_store import SCHEMA

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("hospital_store migrations run through hospital_store.admin.migrate(), not the alembic CLI")

context.configure(connection=connection, target_metadata=None, transactional_ddl=True,
                  version_table_schema=SCHEMA)
with context.begin_transaction():
    context.run_migrations()
