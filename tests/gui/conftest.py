"""GUI test fixtures: the real window on the real embedded training platform (127.0.0.1), a real
SQLite store in tmp, Chinese translations loaded.

* Every Qt message of warning level or above fails the test unless it matches ``ALLOWED_QT``
  (our own ``qInstallMessageHandler``; pytest-qt's capture is switched off for tests/gui).
* A test fails when it leaves threads running (``threading.enumerate()``) or busy
  ``QThreadPool`` threads (tests/threads.py; tests/integration has the same guard).
* Leak scan (issue #8): every window's data directory (store, receipts, Z reports, exports) is
  recorded with ``tests.leaksession.record_root`` and the session logs to a masked DEBUG log file as
  the real window does (``client.logging_setup``), recorded too; when the session ends,
  tests/conftest.py's ``pytest_sessionfinish`` scans them all with
  ``client.security.leakscan.scan_tree`` and fails the session on a finding (the embedded training
  platform's own directory — the central platform's database — is left out).
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QEventLoop, QThreadPool, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from tests import leaksession
from tests.threads import assert_no_threads_left, snapshot

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


SESSION_LOGS: dict = {}


def record_leak_root(data_dir: Path) -> None:
    """A window's data directory, scanned when the session ends (tests/leaksession.py)."""
    leaksession.record_root(data_dir)


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
    leaksession.record_root(log_dir)
    leaksession.add_secrets(CASHIER_PASSWORD, "Practice-0001")   # passwords the GUI tests set
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
    before = snapshot()
    yield
    assert_no_threads_left(before)      # tests/threads.py, shared with tests/integration
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


def sign_in(qtbot, win, code: str = CASHIER, password: str | None = None,
            opening_float: Decimal | None = Decimal("200.00")) -> None:
    """Sign in through the window's OperatorService (audited) as the sign-in dialog does; an initial
    password is changed first (to CASHIER_PASSWORD), like the forced change dialog. The shift is
    opened with ``opening_float`` as the 开班 dialog does; None = the cashier cancelled 开班."""
    service = win.state.operator_service
    if password is None:
        password = cashier_password(win.state) if code == CASHIER else \
            {SUPERVISOR: SUPERVISOR_PASSWORD, SUPERVISOR_B: SUPERVISOR_B_PASSWORD}[code]
    session = service.sign_in(code, password)
    op = session.operator
    if session.must_change_password:
        op = service.change_password(code, password, CASHIER_PASSWORD)
    with qtbot.waitSignal(win.step_done, timeout=15000, check_params_cb=lambda s: s == "sign_in"):
        win.complete_sign_in(op, opening_float=opening_float)
    # QTest's key events carry no window-system timestamp, so the scanner filter times them when they are
    # processed: let the post-sign-in warm-up imports finish first (on real hardware the X11 stamps keep a
    # scan whole even while the GUI thread is busy — tests/gui/test_gui_scanner.py)
    qtbot.waitUntil(lambda: win._warmup is None or win._warmup.done.is_set(), timeout=30000)
    # the window learns its shift from the database worker (shift_open)
    if opening_float is not None:
        qtbot.waitUntil(lambda: win.shift_id is not None, timeout=10000)
    else:
        qtbot.waitUntil(lambda: "班" in win.st_shift.text() or "shift" in win.st_shift.text().lower(), timeout=10000)
        qtbot.wait(200)


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


def wait_drained(qtbot, win, timeout: int = 20000) -> None:
    """Until the window's queued items (the e-invoice upload of a settlement …) are sent: nothing blocks
    a shift close. Each round asks the connectivity monitor, as the window does every few seconds."""
    def drained() -> bool:
        with expect_step(qtbot, win, "connectivity", timeout=10000) as r:
            win.check_connectivity()
        st = win.conn_status
        return bool(r.get("ok")) and st is not None and st.reachable and st.unresolved == 0
    qtbot.waitUntil(drained, timeout=timeout)


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

# Key speeds of the counter: a keyboard-wedge scanner (≤ 10 ms a key) and a person (60–150 ms a key).
SPEEDS = {"scanner": (2, 8), "human": (60, 150)}


def type_keys(qtbot, text: str, speed: str = "human", *, seed: int = 7) -> None:
    """Type ``text`` into whatever has focus, one key click at a time, with gaps drawn from
    :data:`SPEEDS` (seeded: the same gaps every run). The last key is NOT followed by a pause, so the
    next key (an F-key, Enter) comes right after it, as a cashier presses it."""
    import random

    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtTest import QTest

    lo, hi = SPEEDS[speed]
    rng = random.Random(seed)
    win = CURRENT.get("window")
    if win is not None and QApplication.activeModalWidget() is None and QApplication.activeWindow() is not win:
        win.activateWindow()                     # a closed dialog leaves no active window offscreen
        QEventLoop().processEvents()
    if speed == "scanner":
        _scanner_burst(text, rng, lo, hi)
        return
    for i, ch in enumerate(text):
        if i:
            qtbot.wait(rng.randint(lo, hi))
        target = QApplication.focusWidget() or QApplication.activeWindow() or CURRENT.get("window")
        if ch == "\r":
            QTest.keyClick(target, Qt.Key.Key_Return)
        elif ord(ch) < 128:
            QTest.keyClick(target, ch)
        else:   # full-width digits of a Chinese input method: QTest only types ASCII
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(target, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


_STAMP = [0]


def _scanner_burst(text: str, rng, lo: int, hi: int) -> None:
    """A scanner's burst as the window system delivers it: every key event carries its press time
    (X11 stamps them), ``lo``–``hi`` ms apart, and the events are processed back to back. A loaded
    machine may process them late (the GUI thread is busy, the test process is descheduled), but the
    stamps keep the scanner's real gaps — this is what ``ScannerFilter`` times a burst by, so the
    test's outcome no longer depends on how fast the CI machine happens to be."""
    import time

    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent

    stamp = max(_STAMP[0] + 200, int(time.monotonic() * 1000))   # bursts never run together
    for i, ch in enumerate(text):
        if i:
            stamp += rng.randint(lo, hi)
        target = QApplication.focusWidget() or QApplication.activeWindow() or CURRENT.get("window")
        if ch == "\r":
            key, txt = Qt.Key.Key_Return, "\r"
        elif ord(ch) < 128:
            key, txt = (ord(ch.upper()) if ch.isalpha() else ord(ch)), ch
        else:   # full-width digits of a Chinese input method
            key, txt = Qt.Key.Key_unknown, ch
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            ev = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, txt)
            ev.setTimestamp(stamp)
            QApplication.sendEvent(target, ev)
    _STAMP[0] = stamp


_TEST_GENERATION = [0]


@pytest.fixture(autouse=True)
def _modal_watch_generation():
    yield
    _TEST_GENERATION[0] += 1


def when_modal(cls, fill, name: str = "", *, attempts: int = 500):
    """Call ``fill(dialog)`` once, when the next modal dialog of type ``cls`` (and object name
    ``name``, if given) opens (exec() blocks the test). Gives up after ``attempts`` × 20 ms, so it
    never leaks into the next test. Returns a list that receives the dialog."""
    from PySide6.QtCore import QTimer

    seen: list = []
    tries = [0]
    generation = _TEST_GENERATION[0]

    def poll():
        if _TEST_GENERATION[0] != generation:
            return                       # the test that armed it is over: never touch the next test's dialogs
        w = QApplication.activeModalWidget()
        if isinstance(w, cls) and (not name or w.objectName() == name) and w not in seen:
            seen.append(w)
            fill(w)
        elif not seen and tries[0] < attempts:
            tries[0] += 1
            QTimer.singleShot(20, poll)
    QTimer.singleShot(20, poll)
    return seen


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

from tests.pgfixtures import hospital, pg_db, pg_server  # noqa: E402,F401 - hospital-mode fixtures
