"""Errors raised by the local store. Every message is Chinese, says what happened and what to do."""

from __future__ import annotations


class StoreError(Exception):
    """Base class. ``str(err)`` is the Chinese message shown to the cashier / IT user."""

    def __init__(self, message: str, *, path: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.detail = detail  # technical detail (English/sqlite text) for logs, never the only message


class StoreCorrupt(StoreError):
    """The file is not a SQLite database, or ``PRAGMA quick_check`` failed."""


class StoreLocked(StoreError):
    """Another process held a lock on the database past ``busy_timeout``."""


class StoreTooNew(StoreError):
    """The database was written by a newer MedSettle (unknown Alembic revision); nothing was modified."""

    def __init__(self, message: str, *, revision: str, path: str | None = None):
        super().__init__(message, path=path, detail=f"unknown alembic revision {revision!r}")
        self.revision = revision


class StoreNotFound(StoreError):
    """``open_store(create=False)`` on a path that does not exist."""
