"""Crash handler: an uncaught exception (main thread or worker thread) leaves a masked crash report
in the log directory; with a QApplication up, a modal Chinese dialog names the report."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading

import pytest

from client import crash
from tests.integration.ops_helpers import ROOT, cli_env

CERTNO = "330421198503150016"
SECRET = "SECRET-VALUE-abcdef123456"

_SCRIPT = f"""
import sys, threading
from client import crash
from client.logging_setup import register_secret, setup_logging
log_dir = sys.argv[1]
setup_logging(log_dir)
crash.install(log_dir)
register_secret({SECRET!r})
def work():
    raise ValueError("worker failed for certno {CERTNO}")
t = threading.Thread(target=work, name="net-worker")
t.start(); t.join()
raise RuntimeError("settlement view broke for {CERTNO} with key {SECRET}")
"""


def test_uncaught_exceptions_write_masked_crash_reports(tmp_path):
    logs = tmp_path / "logs"
    r = subprocess.run([sys.executable, "-c", _SCRIPT, str(logs)], cwd=ROOT, env=cli_env(), capture_output=True,
                       text=True, encoding="utf-8", timeout=60)
    assert r.returncode == 1
    reports = sorted(logs.glob("crash-*.txt"))
    assert len(reports) == 2, list(logs.iterdir())
    texts = [p.read_text(encoding="utf-8") for p in reports]
    both = "\n".join(texts) + r.stderr + (logs / "medsettle.log").read_text(encoding="utf-8")
    assert CERTNO not in both and SECRET not in both
    assert "330421********0016" in both
    main = next(t for t in texts if "RuntimeError" in t)
    worker = next(t for t in texts if "ValueError" in t)
    assert "thread: net-worker" in worker
    for t in (main, worker):
        assert "version: 0.1.0" in t and "platform:" in t and "Traceback" in t
    if os.name == "posix":
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in reports)
    assert "uncaught exception" in (logs / "medsettle.log").read_text(encoding="utf-8")


_FATAL_SCRIPT = """
import faulthandler, os, sys
from client import crash
if os.name == "posix":
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # no core file for a planned crash
crash.install(sys.argv[1], dialog=False)
crash.install(sys.argv[1], dialog=False)               # idempotent: one file, still armed
def read_the_card_buffer():
    faulthandler._read_null()                          # a segmentation fault, as a broken driver would
read_the_card_buffer()
"""


def test_a_fatal_error_leaves_a_traceback_in_the_fault_log(tmp_path):
    """A segmentation fault never reaches sys.excepthook: faulthandler writes the Python traceback to
    <log_dir>/crash-faults.log before the process dies."""
    logs = tmp_path / "logs"
    r = subprocess.run([sys.executable, "-c", _FATAL_SCRIPT, str(logs)], cwd=ROOT, env=cli_env(), capture_output=True,
                       text=True, encoding="utf-8", timeout=60)
    assert r.returncode != 0, (r.stdout, r.stderr)
    if os.name == "posix":
        assert r.returncode == -signal.SIGSEGV, (r.returncode, r.stderr)
    text = (logs / crash.FAULT_LOG_NAME).read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in text or "Windows fatal exception" in text, text
    assert "Current thread" in text and "read_the_card_buffer" in text, text
    assert list(logs.glob("crash-*.txt")) == []         # no Python-level report: the hooks never ran


@pytest.fixture
def installed(tmp_path):
    crash.install(tmp_path / "logs", quiet=True)
    yield tmp_path / "logs"
    crash.uninstall()


def test_install_and_uninstall_restore_previous_hooks(tmp_path):
    before = (sys.excepthook, threading.excepthook)
    crash.install(tmp_path, quiet=True)
    assert sys.excepthook is not before[0] and threading.excepthook is not before[1]
    crash.install(tmp_path, quiet=True)          # idempotent
    crash.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def test_dialog_is_shown_when_qt_is_up(installed, qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen = {}

    def close_box():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen["title"], seen["text"] = box.windowTitle(), box.text()
            box.done(0)
        else:
            QTimer.singleShot(20, close_box)

    QTimer.singleShot(20, close_box)
    try:
        raise KeyError(f"card {CERTNO}")
    except KeyError:
        sys.excepthook(*sys.exc_info())
    report = crash.last_report()
    assert report is not None and report.parent == installed and report.is_file()
    assert seen["title"] == "MedSettle 程序错误"
    assert "程序遇到意外错误" in seen["text"] and str(report) in seen["text"]
    assert CERTNO not in report.read_text(encoding="utf-8")
