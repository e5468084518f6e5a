"""Alembic environment for the local store. Run programmatically (offline_cache.store.migrate):
the caller passes an open SQLAlchemy Connection in ``config.attributes["connection"]``."""

from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("offline_cache migrations run through offline_cache.store.migrate(), not the alembic CLI")

context.configure(connection=connection, target_metadata=None, transactional_ddl=True, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
