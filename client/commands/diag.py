"""`medsettle diag`: a support bundle (zip) for IT staff — never the database, never a secret.

    medsettle diag [--out FILE.zip] [--config FILE] [--data DIR] [--window ID] [--log-days N]

The zip holds:

* ``summary.txt`` — a human-readable overview (Chinese headings), the same facts as below;
* ``versions.json`` — MedSettle, Python, Qt/PySide6 (read from package metadata — Qt is not
  loaded), reportlab, SQLAlchemy, Alembic, SQLite, zbar, platform, frozen or not;
* ``config.json`` — the effective configuration via :func:`client.config.redacted` (secret
  references shown as ``***``), the config file path, errors and warnings of ``config check``.
  The site file itself is *not* copied (an operator might have pasted a secret into it; the
  redacted view is what support needs);
* ``store.json`` — path, size, Alembic revision, ``PRAGMA integrity_check``, row counts per table
  and the newest backups (names, sizes, times) — read through a read-only connection;
* ``logs/`` — the log files of the last ``--log-days`` days (default 7) and crash reports
  (``crash-*.txt``, the faulthandler log ``crash-faults.log``), each
  passed through :func:`client.logging_setup.mask_log_text` again (older lines were masked when
  written, this also catches anything logged before masking rules were extended). The values of
  the secrets the configuration names are read from the secret store *only* to register them with
  the masker, so they come out as ``***`` wherever they appear.

Excluded by construction: ``*.sqlite3`` (and -wal/-shm), ``secrets/`` (``store.json``,
``machine.key``), ``api/`` state, the site TOML. The zip is created owner-only (0600).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 2
STORE_FILE = "medsettle.sqlite3"
MAX_LOG_BYTES = 20 * 1024 * 1024     # per bundle; the newest files first
LOG_PATTERNS = ("medsettle*.log*", "crash-*.txt", "crash-faults.log")


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("diag", parents=[common], help="生成诊断包（配置、日志、版本、数据库状态；不含数据库和密钥）",
                              description="生成发给信息科/厂商的诊断包 zip：脱敏后的配置与日志、版本信息、数据库统计。"
                                          "不包含数据库文件和任何密钥。")
    p.add_argument("--out", metavar="FILE.zip", help="诊断包路径（默认：当前目录 medsettle-diag-<时间>.zip）")
    p.add_argument("--log-days", type=int, default=7, metavar="N", help="包含最近 N 天的日志（默认 7）")
    p.set_defaults(func=run)


# ---------------------------------------------------------------------------------------------
# collectors (each returns plain JSON-able data and never raises)
# ---------------------------------------------------------------------------------------------

def _dist_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


def collect_versions() -> dict[str, Any]:
    from client import __version__

    out: dict[str, Any] = {
        "medsettle": __version__,
        "python": sys.version.split()[0],
        "python_impl": platform.python_implementation(),
        "frozen": bool(getattr(sys, "frozen", False)),
        "executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "sqlite": sqlite3.sqlite_version,
    }
    for key, dist in (("pyside6", "PySide6-Essentials"), ("pyside6_full", "PySide6"), ("sqlalchemy", "SQLAlchemy"),
                      ("alembic", "alembic"), ("reportlab", "reportlab"), ("requests", "requests"),
                      ("werkzeug", "werkzeug"), ("pyzbar", "pyzbar"), ("pillow", "pillow"),
                      ("platformdirs", "platformdirs"), ("keyring", "keyring")):
        v = _dist_version(dist)
        if v:
            out[key] = v
    # Qt's own version without loading Qt (a broken Qt install must not break diagnostics):
    # PySide6 wheels pin Qt to the same version number.
    if "pyside6" in out or "pyside6_full" in out:
        out["qt"] = out.get("pyside6") or out.get("pyside6_full")
    for mod, attr, key in (("reportlab", "Version", "reportlab"), ("sqlalchemy", "__version__", "sqlalchemy"),
                           ("alembic", "__version__", "alembic")):
        if key not in out:   # frozen builds may lack dist metadata
            try:
                out[key] = getattr(__import__(mod), attr)
            except Exception:  # noqa: BLE001
                pass
    try:
        import pyzbar.zbar_library as zl

        out["zbar_library"] = getattr(zl, "_medsettle_loaded_from", "") or "system"
    except Exception as exc:  # noqa: BLE001
        out["zbar_library"] = f"unavailable: {type(exc).__name__}: {exc}"
    return out


def collect_config(args: argparse.Namespace) -> tuple[dict[str, Any], Path | None, Path | None]:
    """(config info, data dir, log dir)."""
    from client.config import check_config, cli_overrides, default_data_dir, default_log_dir, redacted

    info: dict[str, Any] = {}
    data_dir: Path | None = None
    log_dir: Path | None = None
    try:
        report = check_config(getattr(args, "config", None), window=getattr(args, "window", None),
                              overrides=cli_overrides(args))
        info["source"] = str(report.source) if report.source else None
        info["errors"] = [str(e) for e in report.errors]
        info["warnings"] = [str(w) for w in report.warnings]
        if report.settings is not None:
            s = report.settings
            info["window_id"] = s.window_id
            info["effective"] = redacted(s)
            info["data_dir"] = str(s.data_dir)
            info["log_dir"] = str(s.log_dir)
            info["secret_refs"] = sorted(s.secret_refs())   # key paths only, never names or values
            data_dir, log_dir = Path(s.data_dir), Path(s.log_dir)
            _register_secret_values(s)
    except Exception as exc:  # noqa: BLE001
        info["error"] = f"{type(exc).__name__}: {exc}"
    if getattr(args, "data", None):
        data_dir = Path(args.data)
        log_dir = log_dir or data_dir / "logs"
    if data_dir is None:
        data_dir = default_data_dir()
    if log_dir is None:
        log_dir = default_log_dir()
    info.setdefault("data_dir", str(data_dir))
    info.setdefault("log_dir", str(log_dir))
    return info, data_dir, log_dir


def _register_secret_values(settings: Any) -> None:
    """Register the values of the configured secrets with the log masker, so that a secret that
    ever reached a log line (or was pasted into a file) comes out as ``***`` in the bundle."""
    from client.logging_setup import register_secret

    try:
        from client.secrets import SecretStore

        store = SecretStore(settings.data_dir)
        for name in settings.secret_refs().values():
            try:
                register_secret(store.get(name))
            except Exception:  # noqa: BLE001 - a missing/locked secret must not stop diagnostics
                continue
    except Exception:  # noqa: BLE001
        pass


def collect_store(data_dir: Path) -> dict[str, Any]:
    db = data_dir / STORE_FILE
    out: dict[str, Any] = {"path": str(db), "exists": db.is_file()}
    if not db.is_file():
        return out
    out["size_bytes"] = db.stat().st_size
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        out["wal_bytes"] = wal.stat().st_size
    try:
        from urllib.parse import quote

        conn = sqlite3.connect(f"file:{quote(str(db))}?mode=ro", uri=True, timeout=5, isolation_level=None)
    except sqlite3.Error as exc:
        out["error"] = str(exc)
        return out
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        out["integrity_check"] = [r[0] for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            out["alembic_revision"] = row[0] if row else None
        counts = {}
        for t in tables:
            if "_fts" in t or t.startswith("catalog_grams") or t == "alembic_version":
                continue
            try:
                counts[t] = conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            except sqlite3.Error as exc:
                counts[t] = f"error: {exc}"
        out["row_counts"] = counts
        if "settlements" in tables:
            out["settlements_by_state"] = dict(conn.execute(
                "SELECT state, count(*) FROM settlements GROUP BY state").fetchall())
        out["journal_mode"] = conn.execute("PRAGMA journal_mode").fetchone()[0]
    except sqlite3.Error as exc:
        out["error"] = str(exc)
    finally:
        conn.close()
    try:
        from offline_cache.store import head_revision

        out["program_head_revision"] = head_revision()
    except Exception as exc:  # noqa: BLE001
        out["program_head_revision"] = f"error: {exc}"
    bdir = data_dir / "backups"
    if bdir.is_dir():
        files = sorted(bdir.glob("medsettle-*.sqlite3"), key=lambda p: p.stat().st_mtime, reverse=True)
        out["backups"] = [{"name": p.name, "size_bytes": p.stat().st_size,
                           "mtime": datetime.fromtimestamp(p.stat().st_mtime).isoformat(timespec="seconds")}
                          for p in files[:10]]
        out["backup_count"] = len(files)
    return out


def _log_files(log_dir: Path, days: int) -> list[Path]:
    if not log_dir.is_dir():
        return []
    cutoff = time.time() - days * 86400
    found: dict[Path, float] = {}
    for pattern in LOG_PATTERNS:
        for p in log_dir.glob(pattern):
            if p.is_file() and p.stat().st_mtime >= cutoff:
                found[p] = p.stat().st_mtime
    return sorted(found, key=lambda p: found[p], reverse=True)


def _is_forbidden(path: Path) -> bool:
    name = path.name.lower()
    return (".sqlite3" in name or name.endswith((".db", ".key", ".toml")) or name == "store.json"
            or "secrets" in {part.lower() for part in path.parts})


def _summary(versions: dict, config: dict, store: dict, logs: list[str]) -> str:
    lines = [f"MedSettle 诊断包  生成时间：{datetime.now().isoformat(timespec='seconds')}", "",
             "== 版本 =="]
    lines += [f"  {k}: {v}" for k, v in versions.items()]
    lines += ["", "== 配置 ==", f"  配置文件：{config.get('source') or '（未找到）'}",
              f"  窗口：{config.get('window_id') or '—'}", f"  数据目录：{config.get('data_dir')}",
              f"  日志目录：{config.get('log_dir')}"]
    for e in config.get("errors", []):
        lines.append(f"  ✗ {e}")
    for w in config.get("warnings", []):
        lines.append(f"  ! {w}")
    lines += ["", "== 本机数据库 ==", f"  文件：{store.get('path')}（{'存在' if store.get('exists') else '不存在'}）"]
    if store.get("exists"):
        lines += [f"  大小：{store.get('size_bytes', 0) / 1024 / 1024:.1f} MB",
                  f"  版本：{store.get('alembic_revision')}（本程序：{store.get('program_head_revision')}）",
                  f"  完整性检查：{'; '.join(store.get('integrity_check', [])) or store.get('error', '')}",
                  f"  结算记录：{store.get('settlements_by_state', {})}",
                  f"  备份：{store.get('backup_count', 0)} 个"]
    lines += ["", f"== 日志（{len(logs)} 个文件，已脱敏）=="] + [f"  {n}" for n in logs]
    return "\n".join(lines) + "\n"


def build_bundle(args: argparse.Namespace, out: Path) -> tuple[Path, list[str]]:
    """Write the zip to ``out``; returns (path, names inside)."""
    from client.fsutil import PRIVATE_FILE_MODE
    from client.logging_setup import mask_log_text

    versions = collect_versions()
    config, data_dir, log_dir = collect_config(args)
    store = collect_store(data_dir) if data_dir else {}
    days = max(1, int(getattr(args, "log_days", 7) or 7))
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, PRIVATE_FILE_MODE)
    names: list[str] = []
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as z:
            budget = MAX_LOG_BYTES
            log_names = []
            for p in _log_files(log_dir, days) if log_dir else []:
                if _is_forbidden(p) or budget <= 0:
                    continue
                data = p.read_bytes()[-budget:]
                budget -= len(data)
                text = mask_log_text(data.decode("utf-8", errors="replace"))
                z.writestr(f"logs/{p.name}", text)
                log_names.append(p.name)
            z.writestr("versions.json", json.dumps(versions, ensure_ascii=False, indent=1))
            z.writestr("config.json", mask_log_text(json.dumps(config, ensure_ascii=False, indent=1)))
            z.writestr("store.json", json.dumps(store, ensure_ascii=False, indent=1))
            z.writestr("summary.txt", mask_log_text(_summary(versions, config, store, log_names)))
            names = z.namelist()
        if os.name == "posix":
            os.chmod(tmp, PRIVATE_FILE_MODE)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return out, names


def run(args: argparse.Namespace) -> int:
    out = Path(args.out) if getattr(args, "out", None) else \
        Path.cwd() / f"medsettle-diag-{datetime.now().strftime('%Y%m%d-%H%M%S')}.zip"
    if out.suffix.lower() != ".zip":
        sys.stderr.write("诊断包文件名须以 .zip 结尾，例如 --out D:\\diag.zip\n")
        return EXIT_FAILED
    if not out.parent.is_dir():
        sys.stderr.write(f"目录不存在：{out.parent}，请先创建或换一个位置。\n")
        return EXIT_FAILED
    try:
        path, names = build_bundle(args, out.absolute())
    except OSError as exc:
        sys.stderr.write(f"无法写入诊断包 {out}：{exc.strerror or exc}。请检查磁盘空间和目录权限。\n")
        return EXIT_FAILED
    sys.stdout.write(f"诊断包已生成（{len(names)} 个文件，不含数据库和密钥）：\n{path}\n")
    return EXIT_OK
