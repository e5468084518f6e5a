"""MedSettle local store: SQLite (WAL, synchronous=FULL) via SQLAlchemy 2 + Alembic.

Public API (see docs/store.md):
    open_store(path, *, create=True, backup_dir=None, busy_timeout_ms=5000) -> Store
    backup(store, dest) -> Path;  restore(src, dest) -> RestoreResult
    StoreError, StoreCorrupt, StoreLocked, StoreTooNew, StoreNotFound
    offline_cache.models   (ORM classes), offline_cache.types (Money, DecimalText)
    offline_cache.catalog  (upsert_catalog_rows, search, get_item, Item, UpsertResult)
    offline_cache.outbox   (enqueue, claim_next, mark_acked/failed/needs_review, requeue, reset_sending, ...)
    offline_cache.audit    (append, verify_chain, head)
    offline_cache.sync     (get_sync_state, set_sync_state, apply_catalog_page, begin_sync, finish_sync)
Heavy modules are imported lazily so ``import offline_cache`` stays cheap.
"""

from __future__ import annotations

from .errors import StoreCorrupt, StoreError, StoreLocked, StoreNotFound, StoreTooNew

__all__ = ["StoreCorrupt", "StoreError", "StoreLocked", "StoreNotFound", "StoreTooNew", "Store", "open_store",
           "backup", "restore", "RestoreResult", "head_revision"]


def __getattr__(name: str):
    if name in ("Store", "open_store", "backup", "restore", "RestoreResult", "head_revision"):
        from . import store

        return getattr(store, name)
    raise AttributeError(name)
