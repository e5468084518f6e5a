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
"""

from __future__ import annotations

import logging
import os
import platform
import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType

__all__ = ["format_report", "install", "uninstall", "write_report"]

log = logging.getLogger("medsettle.crash")

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


def install(log_dir: str | os.PathLike[str], *, dialog: bool = True, quiet: bool = False) -> None:
    """Install the hooks (idempotent; calling again updates log_dir/options)."""
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


def uninstall() -> None:
    """Restore the hooks that were there before :func:`install`."""
    with _lock:
        if sys.excepthook is _excepthook:
            sys.excepthook = _state.get("prev_excepthook") or sys.__excepthook__  # type: ignore[assignment]
        if threading.excepthook is _thread_excepthook:
            threading.excepthook = _state.get("prev_thread_excepthook") or threading.__excepthook__  # type: ignore[assignment]
        _state.clear()


def last_report() -> Path | None:
    return _state.get("last_report")  # type: ignore[return-value]
