"""Crash handler: an uncaught exception leaves a masked crash report and, in the window, a dialog.

``install(log_dir)`` sets ``sys.excepthook`` and ``threading.excepthook``. On an uncaught exception
it

1. writes ``<log_dir>/crash-<yyyyMMdd-HHmmss>-<pid>.txt`` (0600): version, time, platform,
   frozen/source, thread, and the traceback *with local variables omitted* — every line passed
   through :func:`client.logging_setup.mask_log_text` (ID numbers, card data, e-voucher tokens and
   registered secrets are masked), so the report can be attached to a ticket;
2. logs the same masked text at CRITICAL on the ``medsettle.crash`` logger (the rotating log);
3. when a ``QApplication`` exists and we are on its thread, shows a modal Chinese message box
   naming the report file (Qt is imported lazily, only if ``PySide6`` is already loaded — this
   module never pulls Qt into a headless command);
4. chains to the previous hook (the default prints to stderr) unless ``quiet=True``.

``KeyboardInterrupt`` is passed straight to the previous hook. The handler never raises: a failure
while writing the report falls back to stderr.

A fatal error that never reaches Python (a segmentation fault in Qt or a C library, an abort, a
stack overflow) cannot run these hooks, so ``install`` also enables :mod:`faulthandler` on
``<log_dir>/crash-faults.log`` (owner-only, appended to, kept open for the life of the process —
the fault handler writes to the file descriptor from inside the signal handler). It holds the
Python traceback of every thread at the moment of the crash: file names, line numbers and function
names only, no values.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import platform
import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType

__all__ = ["FAULT_LOG_NAME", "fault_log_path", "format_report", "install", "uninstall", "write_report"]

log = logging.getLogger("medsettle.crash")

FAULT_LOG_NAME = "crash-faults.log"

_state: dict[str, object] = {}
_lock = threading.Lock()


def format_report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
                  thread_name: str | None = None) -> str:
    """The masked crash report text."""
    from client import __version__
    from client.logging_setup import mask_log_text

    lines = [
        "MedSettle 崩溃报告 (crash report)",
        f"time: {datetime.now().isoformat(timespec='seconds')}",
        f"version: {__version__}",
        f"python: {sys.version.split()[0]} ({platform.python_implementation()})",
        f"platform: {platform.platform()}",
        f"frozen: {bool(getattr(sys, 'frozen', False))}",
        f"pid: {os.getpid()}",
        f"thread: {thread_name or threading.current_thread().name}",
        "",
    ]
    body = "".join(traceback.format_exception(exc_type, exc, tb))
    return mask_log_text("\n".join(lines) + body)


def write_report(log_dir: str | os.PathLike[str], text: str) -> Path:
    from client.fsutil import ensure_private_dir, write_private_file

    directory = ensure_private_dir(log_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = directory / f"crash-{stamp}-{os.getpid()}.txt"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"crash-{stamp}-{os.getpid()}-{n}.txt"
    return write_private_file(path, text)


def _show_dialog(report: Path | None) -> None:
    """A modal message box when a QApplication runs and we are on its thread."""
    if "PySide6.QtWidgets" not in sys.modules:
        return
    try:
        from PySide6.QtCore import QThread
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance()
        if app is None or QThread.currentThread() is not app.thread():
            return
        where = f"\n\n错误报告已保存到：\n{report}" if report else ""
        box = QMessageBox(QMessageBox.Icon.Critical, "MedSettle 程序错误",
                          "程序遇到意外错误。已提交的结算不受影响（已保存在本机数据库）。\n"
                          "请记下当前患者和操作，重新启动 MedSettle 后按提示核对未完成的业务；"
                          "如果反复出现，请运行 medsettle diag 生成诊断包并联系信息科。" + where)
        box.exec()
    except Exception:  # noqa: BLE001 - the dialog is best effort
        log.exception("could not show the crash dialog")


def _handle(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
            thread_name: str | None) -> Path | None:
    log_dir = _state.get("log_dir")
    report_path: Path | None = None
    try:
        text = format_report(exc_type, exc, tb, thread_name)
    except Exception:  # noqa: BLE001
        text = "MedSettle crash report (formatting failed)\n" + "".join(
            traceback.format_exception_only(exc_type, exc))
    try:
        if log_dir is not None:
            report_path = write_report(log_dir, text)  # type: ignore[arg-type]
    except Exception as write_exc:  # noqa: BLE001
        try:
            sys.stderr.write(f"无法写入错误报告：{write_exc}\n")
        except Exception:  # noqa: BLE001
            pass
    try:
        log.critical("uncaught exception (report: %s)\n%s", report_path, text)
    except Exception:  # noqa: BLE001
        pass
    if _state.get("dialog", True):
        _show_dialog(report_path)
    _state["last_report"] = report_path
    return report_path


def _excepthook(exc_type, exc, tb) -> None:
    prev = _state.get("prev_excepthook") or sys.__excepthook__
    if issubclass(exc_type, KeyboardInterrupt):
        prev(exc_type, exc, tb)  # type: ignore[operator]
        return
    _handle(exc_type, exc, tb, None)
    if not _state.get("quiet"):
        try:
            from client.logging_setup import mask_log_text

            sys.stderr.write(mask_log_text("".join(traceback.format_exception(exc_type, exc, tb))))
        except Exception:  # noqa: BLE001
            prev(exc_type, exc, tb)  # type: ignore[operator]


def _thread_excepthook(args) -> None:  # threading.ExceptHookArgs
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else None
    _handle(args.exc_type, args.exc_value, args.exc_traceback, name)
    if not _state.get("quiet"):
        try:
            from client.logging_setup import mask_log_text

            sys.stderr.write(f"Exception in thread {name}:\n" + mask_log_text("".join(
                traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))))
        except Exception:  # noqa: BLE001
            pass


def _open_fault_log(log_dir: Path):
    """``<log_dir>/crash-faults.log`` opened for appending, owner-only."""
    from client.fsutil import ensure_private_dir

    path = ensure_private_dir(log_dir) / FAULT_LOG_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o600)
    if os.name == "posix":
        os.fchmod(fd, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8")


def _enable_faulthandler(log_dir: Path) -> None:
    """Point faulthandler at the fault log of ``log_dir`` (same directory again: nothing to do)."""
    path = log_dir / FAULT_LOG_NAME
    current = _state.get("fault_file")
    if current is not None and _state.get("fault_path") == path and faulthandler.is_enabled():
        return
    f = _open_fault_log(log_dir)
    if "fault_was_enabled" not in _state:
        _state["fault_was_enabled"] = faulthandler.is_enabled()
    faulthandler.enable(file=f, all_threads=True)
    _state["fault_file"], _state["fault_path"] = f, path
    if current is not None:
        current.close()  # type: ignore[attr-defined]


def _disable_faulthandler() -> None:
    f = _state.get("fault_file")
    if f is None:
        return
    faulthandler.disable()
    if _state.get("fault_was_enabled") and sys.__stderr__ is not None:
        try:  # it was on before install (python -X faulthandler, pytest): back to the process's stderr
            faulthandler.enable(file=sys.__stderr__, all_threads=True)
        except (OSError, ValueError, AttributeError):
            pass
    f.close()  # type: ignore[attr-defined]


def fault_log_path() -> Path | None:
    """The file faulthandler writes to since :func:`install`, or None before."""
    return _state.get("fault_path")  # type: ignore[return-value]


def install(log_dir: str | os.PathLike[str], *, dialog: bool = True, quiet: bool = False) -> None:
    """Install the hooks and enable faulthandler on ``<log_dir>/crash-faults.log`` (idempotent;
    calling again updates log_dir/options — a new log_dir moves the fault log there).

    The fault log is best effort: an unwritable log directory leaves the Python hooks installed
    and raises the OSError to the caller only after they are in place."""
    with _lock:
        if sys.excepthook is not _excepthook:
            _state["prev_excepthook"] = sys.excepthook
            sys.excepthook = _excepthook
        if threading.excepthook is not _thread_excepthook:
            _state["prev_thread_excepthook"] = threading.excepthook
            threading.excepthook = _thread_excepthook
        _state["log_dir"] = Path(log_dir)
        _state["dialog"] = dialog
        _state["quiet"] = quiet
        _enable_faulthandler(Path(log_dir))


def uninstall() -> None:
    """Restore the hooks that were there before :func:`install`; faulthandler is disabled (or, if
    it was enabled before, pointed back at the process's stderr) and the fault log closed."""
    with _lock:
        if sys.excepthook is _excepthook:
            sys.excepthook = _state.get("prev_excepthook") or sys.__excepthook__  # type: ignore[assignment]
        if threading.excepthook is _thread_excepthook:
            threading.excepthook = _state.get("prev_thread_excepthook") or threading.__excepthook__  # type: ignore[assignment]
        _disable_faulthandler()
        _state.clear()


def last_report() -> Path | None:
    return _state.get("last_report")  # type: ignore[return-value]
