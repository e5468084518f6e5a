"""`medsettle backup` and `medsettle restore`: copy the local store out and back in.

    medsettle backup  [--out FILE|DIR] [--data DIR] [--config FILE]
    medsettle restore FILE [--data DIR] [--config FILE] [--yes]

``backup`` is a consistent *online* copy made with the SQLite backup API (the window may keep
running; a settlement committed during the copy is either wholly in it or not at all). The file is
created owner-only (0600) and checked with ``quick_check``; its path is printed on stdout (the last
line), so scripts can pick it up. Default destination: ``<data_dir>/backups/medsettle-<rev>-<time>.sqlite3``.

``restore`` validates FILE first — ``quick_check`` must pass, it must carry an Alembic revision
this program knows (a backup from a *newer* MedSettle is refused) — then refuses while any
other connection has the database open, even idle (the window or another command must be closed
first; see :func:`database_in_use`), moves the current database aside as ``medsettle.sqlite3.replaced-<time>``
(never deleted) and copies the backup in. A backup of an older schema is upgraded the next time the
store is opened (with the usual automatic pre-upgrade backup). Without ``--yes`` it asks for
confirmation on an interactive terminal.

Exit codes: 0 done, 2 refused/failed (Chinese message on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_REFUSED = 2
STORE_FILE = "medsettle.sqlite3"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    b = subparsers.add_parser("backup", parents=[common], help="备份本机数据库（可在收费时进行）",
                              description="在线备份本机数据库（SQLite 备份接口，收费窗口可不关闭）。成功后输出备份文件路径。")
    b.add_argument("--out", metavar="FILE|DIR", help="备份文件或目录（默认：数据目录下的 backups/）")
    b.set_defaults(func=run_backup)
    r = subparsers.add_parser("restore", parents=[common], help="用备份文件恢复本机数据库（须先关闭收费窗口）",
                              description="用备份文件替换本机数据库。先校验备份；当前数据库改名保留，不会删除。")
    r.add_argument("file", metavar="FILE", help="备份文件（medsettle backup 或自动备份生成的 .sqlite3）")
    r.add_argument("--yes", action="store_true", help="不再询问确认（脚本使用）")
    r.set_defaults(func=run_restore)


def data_dir_from_args(args: argparse.Namespace) -> Path:
    """--data, else the site file's data directory, else the default data directory."""
    from client.config import check_config, cli_overrides, default_data_dir

    if getattr(args, "data", None):
        return Path(args.data)
    report = check_config(getattr(args, "config", None), window=getattr(args, "window", None),
                          overrides=cli_overrides(args))
    if report.settings is not None:
        return Path(report.settings.data_dir)
    return default_data_dir()


def _err(msg: str) -> int:
    sys.stderr.write(msg.rstrip("\n") + "\n")
    return EXIT_REFUSED


def run_backup(args: argparse.Namespace) -> int:
    from offline_cache.errors import StoreError
    from offline_cache.store import backup, open_store

    data_dir = data_dir_from_args(args)
    db = data_dir / STORE_FILE
    if not db.is_file():
        return _err(f"找不到本机数据库：{db}\n请检查 --data 或站点配置中的数据目录。")
    out = Path(args.out) if getattr(args, "out", None) else data_dir / "backups"
    if getattr(args, "out", None) is None:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
    elif not out.exists() and not out.parent.is_dir():
        return _err(f"备份目标所在的目录不存在：{out.parent}，请先创建或换一个位置。")
    if out.exists() and out.is_file():
        return _err(f"备份文件已存在，不会覆盖：{out}\n请换一个文件名，或指定一个目录。")
    try:
        # open_store never writes to an up-to-date store except the lock probe; an old store is
        # upgraded first (with its own automatic backup), exactly as the window would do.
        store = open_store(db, create=False)
    except StoreError as exc:
        return _err(exc.message)
    try:
        path = backup(store, out)
    except StoreError as exc:
        return _err(exc.message)
    finally:
        store.close()
    size = path.stat().st_size
    sys.stdout.write(f"备份完成（数据库版本 {store.revision}，{size / 1024 / 1024:.1f} MB）：\n{path}\n")
    return EXIT_OK


def database_in_use(path: Path, timeout_s: float = 2.0) -> str:
    """'' when no other connection (any process) has ``path`` open, else a short English reason.

    In WAL mode ``BEGIN EXCLUSIVE`` succeeds even while another process keeps the database open
    (it is the same as IMMEDIATE there), so an idle window would not be noticed. With
    ``PRAGMA locking_mode=EXCLUSIVE`` the first transaction must take the exclusive lock on the
    database file itself, which fails while any other connection has it open.
    """
    import sqlite3

    if not path.exists():
        return ""
    try:
        c = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        c.execute("PRAGMA locking_mode = EXCLUSIVE")
        c.execute("BEGIN EXCLUSIVE")
        c.execute("ROLLBACK")
        return ""
    except sqlite3.OperationalError as exc:
        text = str(exc)
        return text if "locked" in text or "busy" in text else ""   # a corrupt file is restore()'s business
    except sqlite3.DatabaseError:
        return ""
    finally:
        c.close()


def run_restore(args: argparse.Namespace) -> int:
    from offline_cache.errors import StoreError
    from offline_cache.store import restore

    data_dir = data_dir_from_args(args)
    dest = data_dir / STORE_FILE
    src = Path(args.file)
    if not getattr(args, "yes", False):
        if not sys.stdin or not sys.stdin.isatty():
            return _err("恢复会替换本机数据库。请确认后加 --yes 再运行（非交互方式必须加 --yes）。")
        sys.stdout.write(f"将用备份 {src}\n替换本机数据库 {dest}\n当前数据库会改名保留。继续吗？输入 yes 确认：")
        sys.stdout.flush()
        if sys.stdin.readline().strip().lower() not in ("yes", "y", "是"):
            return _err("已取消，没有做任何修改。")
    busy = database_in_use(dest)
    if busy:
        return _err(f"数据库正在被使用，不能恢复：{dest}\n请先关闭所有 MedSettle 收费窗口和正在运行的 medsettle 命令，"
                    f"再执行恢复。（{busy}）")
    try:
        result = restore(src, dest)
    except StoreError as exc:
        return _err(exc.message)
    kept = f"\n原数据库已改名保留：{result.replaced}" if result.replaced else ""
    sys.stdout.write(f"恢复完成（备份的数据库版本 {result.revision}）：{result.dest}{kept}\n"
                     "请核对备份时间之后办理的业务：打开收费窗口后按对账（3201/3202）结果补录。\n")
    return EXIT_OK
