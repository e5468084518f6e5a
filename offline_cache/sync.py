"""Resumable download state (``sync_state``) and the atomic "apply a page + advance ver" helper.

Stream names are free text chosen by the sync service, e.g. ``catalog:1301:310118``.
``apply_catalog_page`` validates the page first, then writes the rows AND the new ``ver`` / ``page``
in ONE transaction: a crash at any moment leaves either the old state (page not applied) or the new
one, never a half-applied page with an advanced version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from .catalog import UpsertResult, prepare_rows, upsert_prepared
from .jsonutil import canonical_json

_KEEP = object()


@dataclass(frozen=True)
class SyncStateInfo:
    name: str
    ver: str | None
    page: int | None
    in_progress: bool
    target_ver: str | None
    detail: dict | None
    updated_at: datetime


_COLS = "name, ver, page, in_progress, target_ver, detail_json, updated_at"


def _info(r) -> SyncStateInfo:
    upd = r[6] if isinstance(r[6], datetime) else datetime.fromisoformat(r[6])
    return SyncStateInfo(r[0], r[1], r[2], bool(r[3]), r[4], json.loads(r[5]) if r[5] else None, upd)


def get_sync_state(source, name: str) -> SyncStateInfo | None:
    """``source`` is a Store (own read transaction) or a Core Connection / Session (caller's)."""
    sql = f"SELECT {_COLS} FROM sync_state WHERE name = ?"
    if hasattr(source, "read_connection"):
        with source.read_connection() as conn:
            r = conn.exec_driver_sql(sql, (name,)).fetchone()
    else:
        conn = source.connection() if hasattr(source, "get_bind") else source
        r = conn.exec_driver_sql(sql, (name,)).fetchone()
    return _info(r) if r else None


def set_sync_state(conn, name: str, *, ver=_KEEP, page=_KEEP, in_progress=_KEEP, target_ver=_KEEP,
                   detail=_KEEP, now: datetime | None = None) -> SyncStateInfo:
    """Create or update a stream's state on a Core Connection in the caller's transaction.
    Fields not given keep their value."""
    if hasattr(conn, "get_bind"):  # a Session
        conn = conn.connection()
    cur = conn.exec_driver_sql(f"SELECT {_COLS} FROM sync_state WHERE name = ?", (name,)).fetchone()
    old = _info(cur) if cur else SyncStateInfo(name, None, None, False, None, None, datetime.now())
    new = (
        name,
        old.ver if ver is _KEEP else ver,
        old.page if page is _KEEP else page,
        int(old.in_progress if in_progress is _KEEP else bool(in_progress)),
        old.target_ver if target_ver is _KEEP else target_ver,
        (canonical_json(old.detail) if old.detail is not None else None) if detail is _KEEP
        else (None if detail is None else canonical_json(detail)),
        (now or datetime.now()).isoformat(sep=" "),
    )
    conn.exec_driver_sql(
        f"INSERT INTO sync_state ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
        "ver = excluded.ver, page = excluded.page, in_progress = excluded.in_progress, "
        "target_ver = excluded.target_ver, detail_json = excluded.detail_json, updated_at = excluded.updated_at",
        new)
    return _info(new)


def begin_sync(store, name: str, *, target_ver: str | None = None) -> SyncStateInfo:
    with store.connection() as conn:
        return set_sync_state(conn, name, in_progress=True, target_ver=target_ver)


def finish_sync(store, name: str) -> SyncStateInfo:
    with store.connection() as conn:
        return set_sync_state(conn, name, in_progress=False, page=None, target_ver=None)


def apply_catalog_page(store, *, name: str, admdvs: str, rows: Iterable[Mapping], ver: str,
                       page: int | None = None, done: bool = False) -> UpsertResult:
    """Upsert one downloaded page and advance the stream to ``ver`` (and ``page``) atomically.
    Raises CatalogRowError (Chinese) before writing anything if a row is invalid."""
    prepared = prepare_rows(rows, admdvs)
    with store.connection() as conn:
        result = upsert_prepared(conn, prepared)
        set_sync_state(conn, name, ver=ver, page=page, in_progress=not done)
    return result
