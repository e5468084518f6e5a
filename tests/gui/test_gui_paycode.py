"""Payment codes at the counter (issue 18): the real window, the training platform's payment gateway on
127.0.0.1, real SQLite. The code arrives at scanner speed while the share is due → paid → settled, the
confirmation names the channel and trade no; USERPAYING shows 等待患者输入密码 and Esc cancels (撤销)."""

from __future__ import annotations

import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import expect_step, press, scanner_types, sign_in, training_person
from tests.gui.test_gui_counter import SHEN_MING, _confirm_prechecks


def _presettled(qtbot, win, state):
    person = training_person(state, SHEN_MING)
    win.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.search)
    with expect_step(qtbot, win, "identify") as r:
        scanner_types(qtbot, person["ecqr"])
    assert r.get("ok"), r
    with expect_step(qtbot, win, "his") as r:
        press(Qt.Key.Key_F4)
    assert r.get("ok"), r
    with expect_step(qtbot, win, "presettle") as r:
        press(Qt.Key.Key_F5)
    assert r.get("ok"), r
    return win.payment.due_amount()


def _payledger(state) -> dict:
    return requests.get(state.settings.platform.url + "/admin/payledger", timeout=10).json()


def test_gui_scanned_payment_code_pays_and_settles(qtbot, window, app_state):
    sign_in(qtbot, window)
    due = _presettled(qtbot, window, app_state)
    _confirm_prechecks(qtbot)
    with expect_step(qtbot, window, "settle") as r:
        scanner_types(qtbot, "134567890123456700")          # the payment code at scanner speed + Enter
    assert r.get("ok"), r
    rec = window.record
    [tr] = rec["pay_trades"]
    [gw] = _payledger(app_state)["trades"]
    assert tr["state"] == "paid" and tr["amount"] == f"{due:.2f}" == gw["total_fee"]
    assert tr["transaction_id"] == gw["transaction_id"]
    assert tr["transaction_id"] in window.confirmation.text() and "微信支付" in window.confirmation.text()
    assert window.payment.tendered.text() == ""            # nothing of the scan leaked into the field


def test_gui_userpaying_shows_waiting_and_esc_cancels(qtbot, window, app_state):
    sign_in(qtbot, window)
    _presettled(qtbot, window, app_state)
    _confirm_prechecks(qtbot)
    waits: list = []
    window.pay_waiting.connect(waits.append)
    with expect_step(qtbot, window, "settle") as r:
        scanner_types(qtbot, "134567890123456796")          # USERPAYING, the patient never confirms
        qtbot.waitUntil(lambda: bool(waits), timeout=15000)
        assert "等待患者输入密码" in window.st_busy.text()
        press(Qt.Key.Key_Escape)
    assert r.get("ok"), r                                    # settled; the share is owed, not charged
    [tr] = window.record["pay_trades"]
    assert tr["state"] == "reversed" and "收费员取消" in tr["err_msg"] and window.record["owed"]
    [gw] = _payledger(app_state)["trades"]
    assert gw["trade_state"] == "REVOKED"


def test_gui_training_menu_arms_a_lost_payment_answer(qtbot, window, app_state):
    """培训 → the gateway charges but the answer is lost: the window queries, books it once, settles."""
    sign_in(qtbot, window)
    with expect_step(qtbot, window, "training_fault") as r:
        window.training_actions["train_pay_drop"].trigger()
    assert r.get("ok"), r
    _presettled(qtbot, window, app_state)
    _confirm_prechecks(qtbot)
    with expect_step(qtbot, window, "settle") as r:
        scanner_types(qtbot, "134567890123456722")
    assert r.get("ok"), r
    [tr] = window.record["pay_trades"]
    ledger = _payledger(app_state)["trades"]
    assert tr["state"] == "paid" and len(ledger) == 1 and ledger[0]["trade_state"] == "SUCCESS"
