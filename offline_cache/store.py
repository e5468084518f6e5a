"""Opening the local SQLite store: PRAGMAs, integrity check, Alembic migrations, backups, restore.

``open_store(path)`` is the only way the application obtains a database. It

1. creates the file owner-only (0600, parent directories 0700) when asked to;
2. runs a read-only preflight on a plain ``sqlite3`` connection: ``PRAGMA quick_check`` and the
   Alembic revision — a corrupt / non-SQLite file raises ``StoreCorrupt``, a revision this program
   does not know raises ``StoreTooNew``; nothing has been written at that point;
3. builds the SQLAlchemy engine; every pooled connection gets ``journal_mode=WAL``,
   ``synchronous=FULL``, ``busy_timeout`` and ``foreign_keys=ON``; transactions start with
   ``BEGIN IMMEDIATE`` (writers) so lock waits happen at BEGIN, never half-way through;
4. probes the write lock (``StoreLocked`` if another process holds it past the timeout);
5. backs the file up (sqlite3 backup API) before migrating an existing database, then runs the
   Alembic chain to head in one transaction (SQLite DDL is transactional).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from .errors import StoreCorrupt, StoreError, StoreLocked, StoreNotFound, StoreTooNew

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_BUSY_TIMEOUT_MS = 5000
BACKUP_GLOB = "medsettle-*.sqlite3"

_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_CORRUPT, _SQLITE_NOTADB = 5, 6, 11, 26


# --------------------------------------------------------------------------- alembic helpers


def alembic_config(connection: Connection | None = None):
    """An Alembic Config built in code (no alembic.ini): script_location = offline_cache/migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _script_directory():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


_REVISION_RE = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN_RE = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(None|[\"']([^\"']+)[\"'])", re.M)


def _revision_graph() -> dict[str, str | None]:
    """revision → down_revision, read from the migration files' text.

    Opening a store happens at every start; importing Alembic only to learn the revision ids costs
    0.6–1 s, so they are read directly (a test checks this equals Alembic's own view). Alembic is
    imported only when a migration actually has to run."""
    graph: dict[str, str | None] = {}
    for f in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        text = f.read_text(encoding="utf-8")
        rev, down = _REVISION_RE.search(text), _DOWN_RE.search(text)
        if rev and down:
            graph[rev.group(1)] = down.group(2)
    return graph


def head_revision() -> str:
    graph = _revision_graph()
    heads = set(graph) - {d for d in graph.values() if d}
    if len(heads) != 1:
        return _script_directory().get_current_head()   # let Alembic explain a branched history
    return heads.pop()


def known_revisions() -> set[str]:
    return set(_revision_graph())


# Alembic keeps the running migration's context in module globals (``alembic.context``, ``op``):
# two migrations at once in one process (a command's store and its background hospital pusher's,
# both opening a store that needs upgrading) would run each other's operations on the wrong
# connection. Every migration in this process takes this lock.
MIGRATION_LOCK = threading.RLock()


def migrate(store_or_engine, revision: str = "head") -> None:
    """Run ``alembic upgrade <revision>`` on an engine (tests use it to build old-schema files)."""
    from alembic import command

    engine = store_or_engine.engine if isinstance(store_or_engine, Store) else store_or_engine
    with MIGRATION_LOCK, engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


# --------------------------------------------------------------------------- messages / errors


def latest_backup(backup_dir: Path | None) -> Path | None:
    if backup_dir is None or not Path(backup_dir).is_dir():
        return None
    files = sorted(Path(backup_dir).glob(BACKUP_GLOB), key=lambda p: (p.stat().st_mtime, p.name))
    return files[-1] if files else None


def _restore_hint(backup_dir: Path | None) -> str:
    latest = latest_backup(backup_dir)
    if latest is not None:
        return (f"请联系信息科用最近的备份恢复：\n  medsettle restore \"{latest}\"\n"
                f"（备份目录：{backup_dir}）。恢复后，备份时间之后办理的业务须按对账（3201/3202）结果核对补录。")
    return (f"备份目录（{backup_dir}）中没有自动备份，请联系信息科用其他备份（如每日备份）恢复：\n"
            "  medsettle restore <备份文件>")


def _corrupt(path: Path, backup_dir: Path | None, detail: str) -> StoreCorrupt:
    return StoreCorrupt(
        f"本机数据库文件已损坏，不能继续使用：{path}\n请先停止收费，不要删除该文件。{_restore_hint(backup_dir)}",
        path=str(path), detail=detail)


def _not_a_db(path: Path, backup_dir: Path | None, detail: str) -> StoreCorrupt:
    return StoreCorrupt(
        f"文件不是 MedSettle 数据库（不是 SQLite 文件或文件头已损坏）：{path}\n"
        f"请检查配置中的数据目录是否正确；如果这就是本机数据库，说明它已损坏。{_restore_hint(backup_dir)}",
        path=str(path), detail=detail)


def _locked(path: Path, timeout_ms: int, detail: str) -> StoreLocked:
    return StoreLocked(
        f"数据库正被另一个程序占用（等待 {timeout_ms / 1000:g} 秒后仍被锁定）：{path}\n"
        "请关闭其他正在运行的 MedSettle 窗口或命令后重试；如果确认没有其他程序在运行，请重启电脑后再试，"
        "仍不行请联系信息科。", path=str(path), detail=detail)


def _too_new(path: Path, rev: str) -> StoreTooNew:
    return StoreTooNew(
        f"数据库版本({rev})比本程序新，请升级 MedSettle 后再打开。本程序没有修改该数据库：{path}",
        revision=rev, path=str(path))


def _sqlite_error(exc: BaseException) -> sqlite3.Error | None:
    if isinstance(exc, sqlite3.Error):
        return exc
    if isinstance(exc, sa_exc.DBAPIError) and isinstance(exc.orig, sqlite3.Error):
        return exc.orig
    return None


def translate_error(exc: BaseException, path: Path, backup_dir: Path | None,
                    timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> StoreError | None:
    """Map a sqlite3 / SQLAlchemy error to a StoreError with a Chinese message (None if unrelated)."""
    err = _sqlite_error(exc)
    if err is None:
        return None
    code = (getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF
    text = str(err)
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in text:
        return _locked(path, timeout_ms, text)
    if code == _SQLITE_NOTADB or "file is not a database" in text:
        return _not_a_db(path, backup_dir, text)
    if code == _SQLITE_CORRUPT or "malformed" in text:
        return _corrupt(path, backup_dir, text)
    return StoreError(f"无法打开或写入本机数据库：{path}（{text}）。请检查磁盘空间和文件权限，仍不行请联系信息科。",
                      path=str(path), detail=text)


# --------------------------------------------------------------------------- file helpers


def _ensure_private_dir(directory: Path) -> None:
    """Create missing directories with mode 0700 (existing directories are left as they are)."""
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    for d in reversed(missing):
        d.mkdir(mode=0o700)
        os.chmod(d, 0o700)


def _create_private_file(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _ro_connect(path: Path, timeout_ms: int) -> sqlite3.Connection:
    uri = f"file:{quote(str(path))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout_ms / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
    return conn


def _quick_check(conn: sqlite3.Connection) -> list[str]:
    rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    return [] if rows == ["ok"] else rows


def _sqlite_copy(src: sqlite3.Connection, dest: Path) -> Path:
    """Copy a live database with the sqlite3 backup API into ``dest`` atomically (tmp + replace), 0600."""
    _ensure_private_dir(dest.parent)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    _create_private_file(tmp)
    try:
        dst = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # a self-contained single file
            problems = _quick_check(dst)
            if problems:
                raise StoreCorrupt(f"备份文件校验失败，请重试或联系信息科：{dest}", path=str(dest),
                                   detail="; ".join(problems[:5]))
        finally:
            dst.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return dest


def _timestamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def backup_name(revision: str | None) -> str:
    return f"medsettle-{revision or 'empty'}-{_timestamp()}.sqlite3"


# --------------------------------------------------------------------------- Store


@dataclass(frozen=True)
class Preflight:
    revision: str | None
    tables: frozenset[str]


class Store:
    """An open local database. Use ``session()`` for ORM writes, ``connection()`` for Core writes."""

    def __init__(self, path: Path, engine: Engine, backup_dir: Path, revision: str,
                 busy_timeout_ms: int, auto_backup: Path | None):
        self.path = path
        self.engine = engine
        self.backup_dir = backup_dir
        self.revision = revision
        self.busy_timeout_ms = busy_timeout_ms
        self.auto_backup = auto_backup  # backup written before the migration run by open_store, if any
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_engine = engine.execution_options(sqlite_begin="DEFERRED")

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE): commits on normal exit, rolls back on exception."""
        with self._sessions() as s, s.begin():
            yield s

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read transaction (BEGIN DEFERRED, consistent snapshot); always rolled back."""
        with Session(self._read_engine, expire_on_commit=False) as s:
            try:
                yield s
            finally:
                s.rollback()

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core write transaction (BEGIN IMMEDIATE) committed on normal exit."""
        with self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core read transaction (BEGIN DEFERRED); always rolled back."""
        with self._read_engine.connect() as conn:
            try:
                yield conn
            finally:
                conn.rollback()

    def translate(self, exc: BaseException) -> StoreError | None:
        return translate_error(exc, self.path, self.backup_dir, self.busy_timeout_ms)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}, revision={self.revision!r})"


def _preflight(path: Path, backup_dir: Path, timeout_ms: int) -> Preflight:
    try:
        conn = _ro_connect(path, timeout_ms)
    except sqlite3.Error as exc:
        raise translate_error(exc, path, backup_dir, timeout_ms) from exc
    try:
        problems = _quick_check(conn)
        if problems:
            raise _corrupt(path, backup_dir, "quick_check: " + "; ".join(problems[:5]))
        tables = frozenset(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"))
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return Preflight(revision, tables)
    except sqlite3.Error as exc:
        raise translate_error(exc, path, backup_dir, timeout_ms) from exc
    finally:
        conn.close()


def _make_engine(path: Path, timeout_ms: int) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": timeout_ms / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
            mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"journal_mode is {mode!r}, WAL required")
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA foreign_keys = ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def open_store(path: Path | str, *, create: bool = True, backup_dir: Path | str | None = None,
               busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Store:
    """Open (and create / migrate) the store at ``path``. Raises StoreError subclasses (Chinese)."""
    path = Path(path).expanduser().absolute()
    backup_dir = Path(backup_dir).expanduser().absolute() if backup_dir else path.parent / "backups"
    if path.is_dir():
        raise _not_a_db(path, backup_dir, "path is a directory")
    if not path.exists():
        if not create:
            raise StoreNotFound(f"找不到本机数据库文件：{path}\n请检查配置中的数据目录；如需从备份恢复："
                                "medsettle restore <备份文件>", path=str(path))
        _ensure_private_dir(path.parent)
        _create_private_file(path)

    pre = _preflight(path, backup_dir, busy_timeout_ms)
    known = known_revisions()
    if pre.revision is not None and pre.revision not in known:
        raise _too_new(path, pre.revision)
    if pre.revision is None and pre.tables - {"alembic_version"}:
        raise _not_a_db(path, backup_dir, f"foreign tables without alembic_version: {sorted(pre.tables)[:5]}")

    engine = _make_engine(path, busy_timeout_ms)
    try:
        with engine.begin():  # write-lock probe: BEGIN IMMEDIATE ... COMMIT
            pass
        head = head_revision()
        auto_backup = None
        if pre.revision != head:
            if pre.revision is not None:
                raw = engine.raw_connection()
                try:
                    auto_backup = _sqlite_copy(raw.driver_connection, backup_dir / backup_name(pre.revision))
                finally:
                    raw.close()
            migrate(engine, "head")
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists() and stat.S_IMODE(side.stat().st_mode) & 0o077:
                os.chmod(side, 0o600)
    except StoreError:
        engine.dispose()
        raise
    except (sqlite3.Error, sa_exc.DBAPIError) as exc:
        engine.dispose()
        err = translate_error(exc, path, backup_dir, busy_timeout_ms)
        raise err from exc
    return Store(path, engine, backup_dir, head, busy_timeout_ms, auto_backup)


# --------------------------------------------------------------------------- backup / restore


def backup(store: Store, dest: Path | str) -> Path:
    """Online backup (sqlite3 backup API). ``dest`` is a file, or a directory to put a named file in."""
    dest = Path(dest).expanduser().absolute()
    if dest.is_dir():
        dest = dest / backup_name(store.revision)
    raw = store.engine.raw_connection()
    try:
        return _sqlite_copy(raw.driver_connection, dest)
    except sqlite3.Error as exc:
        raise store.translate(exc) from exc
    finally:
        raw.close()


@dataclass(frozen=True)
class RestoreResult:
    dest: Path
    replaced: Path | None  # where the previous file was moved (kept as evidence), if there was one
    revision: str | None


def restore(src: Path | str, dest: Path | str, *, busy_timeout_ms: int = 2000) -> RestoreResult:
    """Replace the database at ``dest`` by the backup ``src`` (validated first). The store must be closed.

    The previous ``dest`` (and its -wal/-shm) is renamed to ``<name>.replaced-<timestamp>``, never deleted.
    """
    src = Path(src).expanduser().absolute()
    dest = Path(dest).expanduser().absolute()
    if not src.is_file():
        raise StoreNotFound(f"找不到备份文件：{src}，请确认路径。", path=str(src))
    try:
        conn = _ro_connect(src, busy_timeout_ms)
    except sqlite3.Error as exc:
        raise StoreCorrupt(f"备份文件无法打开，不能用于恢复：{src}。请选择另一个备份。", path=str(src),
                           detail=str(exc)) from exc
    try:
        try:
            problems = _quick_check(conn)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            rev = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                rev = row[0] if row else None
        except sqlite3.Error as exc:
            raise StoreCorrupt(f"备份文件已损坏或不是数据库，不能用于恢复：{src}。请选择另一个备份。",
                               path=str(src), detail=str(exc)) from exc
        if problems:
            raise StoreCorrupt(f"备份文件完整性检查未通过，不能用于恢复：{src}。请选择另一个备份。",
                               path=str(src), detail="; ".join(problems[:5]))
        if rev is None:
            raise StoreCorrupt(f"文件不是 MedSettle 数据库备份：{src}。请选择正确的备份文件。", path=str(src))
        if rev not in known_revisions():
            raise StoreTooNew(f"备份文件的数据库版本({rev})比本程序新，请升级 MedSettle 后再恢复。", revision=rev,
                              path=str(src))

        replaced = None
        if dest.exists():
            _check_not_in_use(dest, busy_timeout_ms)
            stamp = _timestamp()
            replaced = dest.with_name(f"{dest.name}.replaced-{stamp}")
            os.replace(dest, replaced)
            for suffix in ("-wal", "-shm"):
                side = dest.with_name(dest.name + suffix)
                if side.exists():
                    os.replace(side, replaced.with_name(replaced.name + suffix))
        _sqlite_copy(conn, dest)
        return RestoreResult(dest, replaced, rev)
    finally:
        conn.close()


def _check_not_in_use(dest: Path, timeout_ms: int) -> None:
    """Refuse to replace a database another process is writing (best effort; corrupt files pass)."""
    try:
        c = sqlite3.connect(str(dest), timeout=timeout_ms / 1000, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        c.execute("BEGIN EXCLUSIVE")
        c.execute("ROLLBACK")
    except sqlite3.Error as exc:
        err = translate_error(exc, dest, None, timeout_ms)
        if isinstance(err, StoreLocked):
            raise StoreLocked(f"数据库正在被使用，不能恢复：{dest}。请先关闭所有 MedSettle 窗口和命令，再执行恢复。",
                              path=str(dest), detail=str(exc)) from exc
    finally:
        c.close()
