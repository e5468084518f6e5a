"""GUI test fixtures: the real window on the real embedded training platform (127.0.0.1), a real
SQLite store in tmp, Chinese translations loaded.

* Every Qt message of warning level or above fails the test unless it matches ``ALLOWED_QT``
  (our own ``qInstallMessageHandler``; pytest-qt's capture is switched off for tests/gui).
* A test fails when it leaves threads running (``threading.enumerate()``) or busy
  ``QThreadPool`` threads.
* Leak scan (issue #8): every window's data directory (store, receipts, Z reports, exports) is
  recorded in :data:`LEAK_ROOTS` and the session logs to a masked DEBUG log file as the real window
  does (``client.logging_setup``); ``test_zz_leakscan.py``, collected last, scans them all with
  ``client.security.leakscan.scan_tree`` (the embedded training platform's own directory — the
  central platform's database — is left out).
"""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QEventLoop, QThreadPool, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

ALLOWED_QT = [
    re.compile(r"This plugin does not support propagateSizeHints\(\)"),     # offscreen platform plugin
    re.compile(r"This plugin does not support raise\(\)"),
    re.compile(r"This plugin does not support grabbing the keyboard"),
    re.compile(r"QFont::setPointSizeF: Point size <= 0"),
]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.no_qt_log)
            item.add_marker(pytest.mark.gui)


# data directories the windows of this session used (scanned by test_zz_leakscan.py)
LEAK_ROOTS: list[Path] = []
SESSION_LOGS: dict = {}
PLATFORM_DIR_NAME = "training-platform"     # client.ui.app._platform_dir: the central platform's data


def record_leak_root(data_dir: Path) -> None:
    data_dir = Path(data_dir)
    if data_dir not in LEAK_ROOTS:
        LEAK_ROOTS.append(data_dir)


@pytest.fixture(scope="session", autouse=True)
def _session_log(tmp_path_factory):
    """The masked rotating DEBUG log of the real window (client.logging_setup) for the whole GUI
    session, so the leak scan sees what the window would write to its log."""
    import logging

    from client.logging_setup import _MARK, setup_logging

    root = logging.getLogger()
    level = root.level
    log_dir = tmp_path_factory.mktemp("gui-logs")
    SESSION_LOGS["dir"] = log_dir
    SESSION_LOGS["file"] = setup_logging(log_dir, "DEBUG", window_id="gui-tests")
    yield log_dir
    for h in list(root.handlers):
        if getattr(h, _MARK, False):
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


@pytest.fixture(scope="session")
def qapp_args():
    return ["medsettle-tests"]


@pytest.fixture(scope="session", autouse=True)
def _zh_translations(qapp):
    from client.ui.i18n import install_translators
    from client.ui.qtcompat import check_binding

    check_binding()   # a known-crashing PySide6 fails the session at once, not hours into it
    install_translators(qapp, "zh_CN")
    yield


@pytest.fixture(autouse=True)
def qt_messages_fail():
    """Fail on unexpected Qt warnings/criticals."""
    bad: list[str] = []

    def handler(mode, context, message):
        if mode == QtMsgType.QtFatalMsg:
            sys.stderr.write(f"Qt fatal: {message}\n")
        if mode in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            if not any(r.search(message) for r in ALLOWED_QT):
                bad.append(f"{mode.name}: {message}")

    previous = qInstallMessageHandler(handler)
    yield bad
    qInstallMessageHandler(previous)
    assert not bad, "unexpected Qt warnings:\n" + "\n".join(bad)


@pytest.fixture(autouse=True)
def no_threads_left():
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 5
    while True:
        left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"threads left running: {[t.name for t in left]}"
    pool = QThreadPool.globalInstance()
    pool.waitForDone(2000)
    assert pool.activeThreadCount() == 0


@pytest.fixture(scope="session")
def platform_template(tmp_path_factory):
    """A training data directory with the platform initialised and the local catalogue synced,
    built once and copied for each test (keeps the GUI tests fast)."""
    from client.services.sync import SyncService
    from client.ui.app import start_training

    root = tmp_path_factory.mktemp("template")
    state = start_training(root)
    try:
        SyncService(state.ctx).run()
    finally:
        state.close()
    return root


@pytest.fixture
def app_state(platform_template, tmp_path):
    import shutil

    from client.ui.app import start_training

    data = tmp_path / "data"
    shutil.copytree(platform_template, data)
    record_leak_root(data)
    state = start_training(data)
    yield state
    state.close()


@pytest.fixture
def window(qtbot, app_state):
    from client.ui.app import _apply_look
    from client.ui.mainwindow import MainWindow

    _apply_look(QApplication.instance(), app_state.settings)
    win = MainWindow(app_state)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    CURRENT["window"] = win
    yield win
    CURRENT.clear()
    win.shutdown()


# The training accounts (client.services.operators.TRAINING_ACCOUNTS, docs/security.md): 0001 must
# change its initial password at the first sign-in; the tests then use CASHIER_PASSWORD.
CASHIER, CASHIER_INITIAL, CASHIER_PASSWORD = "0001", "Train-0001", "Kassen-2026!"
SUPERVISOR, SUPERVISOR_PASSWORD = "0009", "Train-0009"
SUPERVISOR_B, SUPERVISOR_B_PASSWORD = "0008", "Train-0008"


def cashier_password(state) -> str:
    """0001's current password: the initial one until the forced change, then CASHIER_PASSWORD."""
    op = state.operators.get_operator(CASHIER)
    return CASHIER_INITIAL if op.must_change_password else CASHIER_PASSWORD


def sign_in(qtbot, win, code: str = CASHIER, password: str | None = None) -> None:
    """Sign in through the window's OperatorService (audited) as the sign-in dialog does; an initial
    password is changed first (to CASHIER_PASSWORD), like the forced change dialog."""
    service = win.state.operator_service
    if password is None:
        password = cashier_password(win.state) if code == CASHIER else \
            {SUPERVISOR: SUPERVISOR_PASSWORD, SUPERVISOR_B: SUPERVISOR_B_PASSWORD}[code]
    session = service.sign_in(code, password)
    op = session.operator
    if session.must_change_password:
        op = service.change_password(code, password, CASHIER_PASSWORD)
    with qtbot.waitSignal(win.step_done, timeout=15000, check_params_cb=lambda s: s == "sign_in"):
        win.complete_sign_in(op)


class expect_step:  # noqa: N801 - used as a context manager
    """``with expect_step(qtbot, win, "settle") as r: <trigger>`` waits until the window reports the
    step done (``r["ok"]``) or failed (``r["failed"]`` = message)."""

    def __init__(self, qtbot, win, step: str, timeout: int = 30000):
        self.qtbot, self.win, self.step, self.timeout = qtbot, win, step, timeout
        self.result: dict = {}

    def _done(self, s):
        if s == self.step:
            self.result["ok"] = True

    def _failed(self, s, msg):
        if s == self.step:
            self.result["failed"] = msg

    def __enter__(self):
        self.win.step_done.connect(self._done)
        self.win.step_failed.connect(self._failed)
        return self.result

    def __exit__(self, exc_type, *exc):
        try:
            if exc_type is None:
                self.qtbot.waitUntil(lambda: bool(self.result), timeout=self.timeout)
        finally:
            self.win.step_done.disconnect(self._done)
            self.win.step_failed.disconnect(self._failed)
        return False


def focus_widget():
    return QApplication.focusWidget()


def scanner_types(qtbot, text: str, gap_ms: int = 0, suffix: bool = True) -> None:
    """Type ``text`` into whatever has focus like a keyboard-wedge scanner (tiny gaps) or a person."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    for ch in text:
        target = QApplication.focusWidget() or QApplication.activeWindow() or CURRENT.get("window")
        QTest.keyClick(target, ch)
        if gap_ms:
            qtbot.wait(gap_ms)
    if suffix:
        target = QApplication.focusWidget() or QApplication.activeWindow() or CURRENT.get("window")
        QTest.keyClick(target, Qt.Key.Key_Return)


CURRENT: dict = {}


def press(key, modifier=None) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    win = CURRENT.get("window")
    if win is not None and QApplication.activeModalWidget() is None and QApplication.activeWindow() is not win:
        win.activateWindow()
        QEventLoop().processEvents()   # not QApplication.processEvents(): leaks None refs in PySide6 6.12
    target = QApplication.focusWidget() or QApplication.activeWindow() or win
    QTest.keyClick(target, key, modifier or Qt.KeyboardModifier.NoModifier)


def training_person(state, certno: str) -> dict:
    import json
    import sqlite3

    db = Path(state.platform.data_dir) / "platform.sqlite3"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        ecqr, doc = conn.execute("SELECT ecqr, doc FROM people WHERE certno = ?", (certno,)).fetchone()
    finally:
        conn.close()
    d = json.loads(doc)
    d["ecqr"] = ecqr
    return d
