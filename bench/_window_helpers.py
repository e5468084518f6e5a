"""Helpers for bench/window.py: drive the real cashier window offscreen, without pytest.

Waiting never calls ``QCoreApplication.processEvents`` in a Python loop (PySide6 6.12.0 loses a
reference to ``None`` on each call, see client/ui/qtcompat.py): :func:`wait_until` runs a nested
``QEventLoop`` that a ``QTimer`` polls and quits.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"          # always offscreen, whatever the caller's shell says
os.environ.setdefault("MEDSETTLE_NO_USER_DIRS", "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def result_line(payload: dict) -> None:
    """How a child process hands its figures to the parent (one JSON line on stdout)."""
    print("RESULT " + json.dumps(payload), flush=True)


def peak_rss_bytes() -> int:
    """High-water mark of this process's resident set: VmHWM from /proc/self/status.

    Not ``ru_maxrss``: Linux carries the pre-exec high-water mark over execve, so a child spawned by
    a big parent would report the parent's RSS at fork time."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # other systems (KiB on Linux)


def wait_until(pred, timeout_ms: int = 30_000, interval_ms: int = 1) -> bool:
    """Run the event loop until ``pred()`` is true (polled every ``interval_ms``) or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    if pred():
        return True
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(interval_ms)
    ok = [False]

    def check() -> None:
        if pred():
            ok[0] = True
            loop.quit()

    poll.timeout.connect(check)
    QTimer.singleShot(timeout_ms, loop.quit)
    poll.start()
    loop.exec()
    poll.stop()
    return ok[0] or bool(pred())


def idle(ms: int) -> None:
    """Let the event loop run for ``ms`` milliseconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def training_state(data_dir: Path, *, read_retries: int | None = None, platform_url: str | None = None):
    """``client.ui.app.start_training`` (embedded platform + training settings + state), optionally
    with another ``platform.read_retries`` (a site setting), or on a training platform already
    running elsewhere (``platform_url``, e.g. an :class:`ExternalPlatform`)."""
    from client.config import training_settings
    from client.ui.app import _platform_dir, build_state
    from training_platform.server import EmbeddedPlatform

    if platform_url is not None:
        return build_state(training_settings(platform_url, data_dir))
    if read_retries is None:
        from client.ui.app import start_training

        return start_training(data_dir)
    platform = EmbeddedPlatform(_platform_dir(data_dir)).start()
    try:
        s = training_settings(platform.url, data_dir)
        s = replace(s, platform=replace(s.platform, read_retries=read_retries))
        state = build_state(s, platform=platform)
    except BaseException:
        platform.stop()
        raise
    state.closers.insert(0, platform.stop)
    return state


def open_window(state):
    """The real MainWindow as run_window builds it (look applied, 1366x768, shown, exposed)."""
    from PySide6.QtWidgets import QApplication

    from client.ui.app import _apply_look, make_application
    from client.ui.mainwindow import MainWindow

    app, translators = make_application(["medsettle-bench"], lang="zh_CN")
    _apply_look(app, state.settings)
    win = MainWindow(state)
    win._bench_translators = translators          # keep them alive as long as the window
    win.resize(1366, 768)
    win.show()
    wait_until(lambda: win.windowHandle() is not None and win.windowHandle().isExposed(), 10_000)
    win.activateWindow()
    wait_until(lambda: QApplication.activeWindow() is win, 2_000)
    return app, win


class StepWaiter:
    """Collects ``step_done`` / ``step_failed`` of the window."""

    def __init__(self, win):
        self.done: list[str] = []
        self.failed: list[tuple[str, str]] = []
        win.step_done.connect(self.done.append)
        win.step_failed.connect(lambda s, m: self.failed.append((s, m)))

    def wait(self, step: str, timeout_ms: int = 60_000) -> bool:
        """True when ``step`` finished, False when it failed; raises on timeout."""
        start_done, start_failed = self.done.count(step), sum(1 for s, _ in self.failed if s == step)

        def ready() -> bool:
            return self.done.count(step) > start_done or sum(1 for s, _ in self.failed if s == step) > start_failed

        if not wait_until(ready, timeout_ms):
            raise TimeoutError(f"step {step} did not finish in {timeout_ms} ms")
        return self.done.count(step) > start_done

    def reset_counts(self) -> None:
        self.done.clear()
        self.failed.clear()


CASHIER_PASSWORD = "Kassen-2026!"      # what the bench sets at the training cashier's forced change


def authenticate(win, code: str = "0001"):
    """The sign-in dialog's checks without the dialog: ``OperatorService.sign_in`` with the training
    cashier's current password and, at the first sign-in, the forced change of the initial password
    (``Train-0001`` → :data:`CASHIER_PASSWORD`). Returns the operator."""
    service = win.state.operator_service
    op = win.state.operators.get_operator(code)
    password = "Train-0001" if op.must_change_password else CASHIER_PASSWORD
    session = service.sign_in(code, password)
    if session.must_change_password:
        return service.change_password(code, password, CASHIER_PASSWORD)
    return session.operator


def sign_in(win, steps: StepWaiter, code: str = "0001") -> None:
    from decimal import Decimal

    win.complete_sign_in(authenticate(win, code), opening_float=Decimal("200.00"))   # 开班 with its float
    steps.wait("sign_in", 30_000)
    for _ in range(600):                    # the shift is opened on the database worker
        if win.shift_id is not None:
            break
        idle(50)


class ExternalPlatform:
    """The training platform in its OWN process (``medsettle sandbox serve --port 0``), as a real
    window sees the central platform: remote, not competing for this process's GIL."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.proc = None
        self.url = ""

    def start(self) -> ExternalPlatform:
        import subprocess

        code = ("import sys; from client.cli import main; "
                f"raise SystemExit(main(['sandbox', 'serve', '--port', '0', '--data', {str(self.data_dir)!r}]))")
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        import re
        import tempfile

        self._err = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=self._err,
                                     text=True, env=env, cwd=str(ROOT))
        line = self.proc.stdout.readline()          # the start line (or EOF when it failed)
        m = re.search(r"http://127\.0\.0\.1:\d+", line)
        if m:
            self.url = m.group(0)
            return self
        self.stop()
        self._err.seek(0)
        raise RuntimeError(f"training platform process did not start: {line}{self._err.read()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except Exception:  # noqa: BLE001 - last resort for a stuck child
                self.proc.kill()
                self.proc.wait(5)


def training_people(platform_dir: Path, limit: int = 60) -> list[dict]:
    """(certno, ecqr, name) of the training platform's people, in store order."""
    conn = sqlite3.connect(f"file:{Path(platform_dir) / 'platform.sqlite3'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT certno, ecqr, doc FROM people ORDER BY rowid LIMIT ?", (limit,)).fetchall()
    finally:
        conn.close()
    out = []
    for certno, ecqr, doc in rows:
        d = json.loads(doc)
        name = (d.get("baseinfo") or {}).get("psn_name") or d.get("psn_name") or d.get("name") or ""
        out.append({"certno": certno, "ecqr": ecqr, "name": name})
    return out


class PaintProbe:
    """Event filter on a label: the perf_counter() of the first Paint while its text is ``expected``."""

    def __init__(self, label):
        from PySide6.QtCore import QEvent, QObject

        probe = self

        class _F(QObject):
            def eventFilter(self, obj, event):  # noqa: N802 - Qt override
                if (event.type() == QEvent.Type.Paint and probe.expected is not None and probe.painted_at is None
                        and obj.text() == probe.expected):
                    probe.painted_at = time.perf_counter()
                return False

        self.label = label
        self.expected: str | None = None
        self.painted_at: float | None = None
        self.text_at: float | None = None
        self._filter = _F()
        label.installEventFilter(self._filter)

    def arm(self, expected: str) -> None:
        self.expected = expected
        self.painted_at = None
        self.text_at = None

    def shown(self) -> bool:
        if self.text_at is None and self.label.text() == self.expected:
            self.text_at = time.perf_counter()
        return self.painted_at is not None

    def remove(self) -> None:
        self.label.removeEventFilter(self._filter)


def scan(text: str) -> float:
    """Type ``text`` + Enter like a keyboard-wedge scanner into the focused widget; returns the
    perf_counter() taken just before the Enter key event is delivered."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    for ch in text:
        QTest.keyClick(QApplication.focusWidget() or QApplication.activeWindow(), ch)
    target = QApplication.focusWidget() or QApplication.activeWindow()
    t0 = time.perf_counter()
    QTest.keyClick(target, Qt.Key.Key_Return)
    return t0


def type_slowly(text: str, gap_ms: int = 80) -> None:
    """A person typing (gaps above the scanner's inter-key threshold): every key reaches the field."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        target = QApplication.focusWidget() or QApplication.activeWindow()
        # QTest.keyClick asserts on non-ASCII characters: send the events an input method would
        key = Qt.Key(ord(ch.upper())) if ch.isascii() and ch.isalnum() else Qt.Key.Key_unknown
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(target, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))
        idle(gap_ms)


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(len(v) - 1, int(k) + 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)
