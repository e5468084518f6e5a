"""The hospital store: one PostgreSQL database where every window's books meet.

Each window keeps writing its own SQLite store first (the offline edge); a replication journal in
that store (offline_cache migration 0006h) is pushed here in order, exactly once per
(window_id, seq). History is append-only: a settlement whose state changes arrives as a new
*version* row, the ``*_current`` views show the latest version, and no role may UPDATE or DELETE
history (grants + triggers). Row-level security lets a window's database role insert and read only
its own rows; the finance role reads everything and writes reconciliation results.

Modules: ``schema`` (names shared by migrations and code), ``db`` (connecting, with Chinese
errors), ``admin`` (init / migrate / windows / status for IT). Migrations live in
``hospital_store/migrations`` — their own Alembic chain, separate from the window store's.
"""

SCHEMA = "medsettle"
