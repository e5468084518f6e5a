"""验密 at the window (issue #15 scope 3): where the region checks the patient's password, F9 opens the
password dialog; the patient types six digits (never shown: password echo); the platform checks them
with its own key (training_platform.password). A wrong password is refused by the platform, nothing is
charged and the cashier can let the patient try again; the password appears in no log, no store, no
screen text.

周丽 (310118196804120067) is insured in Qingpu and settles at the Qingpu training hospital: same
province, so the password is checked ("跨省异地不验密" exempts only cross-province patients). Her
training password (docs/demo-data.md): the six digits before the check digit, reversed:
310118196804120067 → 412006 → 600214. Her bill (tests/gui/test_gui_counter_keys.py): 68.86 in all,
fund 68.86 × 0.60 = 41.316 → 41.32, cash 27.54; 50.00 handed over → change 22.46.
"""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.gui.conftest import CURRENT, expect_step, press, record_leak_root, sign_in, type_keys, when_modal

ZHOU_LI, RIGHT, WRONG = "310118196804120067", "600214", "123456"


@pytest.fixture
def pw_window(qtbot, platform_template, tmp_path):
    from client.ui.app import _apply_look, start_training
    from client.ui.mainwindow import MainWindow

    data = tmp_path / "data"
    shutil.copytree(platform_template, data)
    record_leak_root(data)
    state = start_training(data, password_check=True)
    _apply_look(QApplication.instance(), state.settings)
    win = MainWindow(state)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    CURRENT["window"] = win
    yield win, state
    CURRENT.clear()
    win.shutdown()
    state.close()


def _identify_and_presettle(qtbot, win) -> None:
    from client.ui.dialogs import IdEntryDialog

    def fill(dlg):
        dlg.activateWindow()
        dlg.edit.setFocus()
        for ch in ZHOU_LI:
            QTest.keyClick(QApplication.focusWidget() or dlg.edit, ch)
            qtbot.wait(40)
        QTest.keyClick(QApplication.focusWidget() or dlg.edit, Qt.Key.Key_Return)
    when_modal(IdEntryDialog, fill)
    with expect_step(qtbot, win, "identify") as r:
        press(Qt.Key.Key_F3)
    assert r.get("ok"), r
    assert win.patient.name.text() == "周丽"
    for step, key in (("his", Qt.Key.Key_F4), ("presettle", Qt.Key.Key_F5)):
        with expect_step(qtbot, win, step) as r:
            press(key)
        assert r.get("ok"), r
    assert win.payment.due_amount() == Decimal("27.54")


def _settle_with(qtbot, win, password: str, seen: list) -> dict:
    from client.ui.dialogs import PatientPasswordDialog

    def fill(dlg):
        dlg.activateWindow()
        dlg.edit.setFocus()
        assert dlg.edit.echoMode() == QLineEdit.EchoMode.Password
        for ch in password:
            QTest.keyClick(QApplication.focusWidget() or dlg.edit, ch)
            qtbot.wait(90)                       # the patient, at human speed
        seen.append(dlg.edit.displayText())
        QTest.keyClick(QApplication.focusWidget() or dlg.edit, Qt.Key.Key_Return)
    when_modal(PatientPasswordDialog, fill)
    with expect_step(qtbot, win, "settle") as r:
        win.payment.tendered.setFocus()
        win.payment.tendered.selectAll()
        type_keys(qtbot, "50", "human")
        press(Qt.Key.Key_F9)
    return r


def _ledger(state) -> list[tuple]:
    with state.ctx.store.read_connection() as conn:
        return conn.exec_driver_sql("SELECT state, psn_cash_pay FROM settlements ORDER BY id").fetchall()


def test_the_patient_types_the_password_wrong_then_right(qtbot, pw_window):
    win, state = pw_window
    sign_in(qtbot, win)
    _identify_and_presettle(qtbot, win)
    seen: list[str] = []
    r = _settle_with(qtbot, win, WRONG, seen)
    assert "failed" in r, r
    assert "参保人密码校验失败" in win.message_text.text()            # the platform's words
    assert [s for s, _ in _ledger(state)] == ["failed"]              # nothing charged, nothing paid
    assert not win.case_settled
    r = _settle_with(qtbot, win, RIGHT, seen)
    assert r.get("ok"), r
    assert [s for s, _ in _ledger(state)] == ["failed", "confirmed"]
    assert win.payment.change.text() == "¥ 22.46" and "已结算" in win.confirmation.text()
    # the password was never on screen, and is nowhere on disk
    assert all(WRONG not in t and RIGHT not in t for t in seen) and len(seen) == 2
    assert RIGHT not in win.message_text.text() + win.confirmation.text()
    for path in (state.settings.data_dir).rglob("*"):
        if path.is_file() and path.suffix != ".pem":
            data = path.read_bytes()
            assert RIGHT.encode() not in data and WRONG.encode() not in data, path


def test_no_password_no_settlement(qtbot, pw_window):
    """Esc at the password dialog: not settled, the case stays, the cashier is told why."""
    from client.ui.dialogs import PatientPasswordDialog

    win, state = pw_window
    sign_in(qtbot, win)
    _identify_and_presettle(qtbot, win)

    def cancel(dlg):
        QTest.keyClick(dlg, Qt.Key.Key_Escape)
    when_modal(PatientPasswordDialog, cancel)
    with expect_step(qtbot, win, "settle") as r:
        win.payment.tendered.setFocus()
        type_keys(qtbot, "50", "human")
        press(Qt.Key.Key_F9)
    assert "failed" in r
    assert "患者没有输入密码" in win.message_text.text()
    assert _ledger(state) == [] and not win.case_settled
