"""Database, configuration, secret store, log and export files are created owner-only (0600 files
in 0700 directories), including the SQLite WAL side files and rotated logs."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from client.fsutil import write_private_file
from client.logging_setup import setup_logging
from client.secrets import SecretStore
from client.services import audit
from offline_cache.store import backup, open_store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_store_config_logs_and_secrets_owner_only(tmp_path):
    old = os.umask(0o022)                      # a typical permissive umask must not matter
    try:
        data = tmp_path / "site" / "data"
        store = open_store(data / "medsettle.sqlite3")
        try:
            audit.record(store, "0001", "signin", {"window": "w01"})   # forces WAL writes
            assert _mode(data) == 0o700 and _mode(data.parent) == 0o700
            for name in ("medsettle.sqlite3", "medsettle.sqlite3-wal", "medsettle.sqlite3-shm"):
                p = data / name
                if p.exists():
                    assert _mode(p) == 0o600, name
            b = backup(store, data / "backups")
            assert _mode(b) == 0o600 and _mode(b.parent) == 0o700
        finally:
            store.close()

        cfg = write_private_file(tmp_path / "conf" / "site.toml", '[site]\nfixmedins_code = "H31011800001"\n')
        assert _mode(cfg) == 0o600 and _mode(cfg.parent) == 0o700

        log_path = setup_logging(data / "logs", "INFO", window_id="w01", max_bytes=300, backup_count=2)
        try:
            for i in range(20):
                logging.getLogger("tests.files").info("line %d %s", i, "x" * 40)
            files = sorted((data / "logs").glob("medsettle-w01.log*"))
            assert log_path in files and len(files) >= 2          # rolled over at least once
            assert all(_mode(f) == 0o600 for f in files) and _mode(data / "logs") == 0o700
        finally:
            root = logging.getLogger()
            for h in [h for h in root.handlers if getattr(h, "_medsettle_handler", False)]:
                root.removeHandler(h)
                h.close()

        secrets = SecretStore(data, backend="file")
        secrets.set("gateway", "s3cr3t-value-for-test")
        for p in data.rglob("*"):
            if p.is_file() and p.suffix != ".log" and "backups" not in p.parts:
                assert _mode(p) & 0o077 == 0, p
        assert "s3cr3t-value-for-test" not in "".join(
            p.read_text("utf-8", "replace") for p in data.rglob("*.json"))
    finally:
        os.umask(old)
