"""Tenders the window does not charge itself (issue 18 scope 2): the real window, training platform and
gateway on 127.0.0.1, real SQLite.

* Bank card (Alt+2): F9 asks for the POS terminal slip's 参考号 — typed at human speed, Enter — and the
  payment is booked with it; a reference left empty settles nothing.
* WeChat (Alt+3) with the aggregate-payment gateway on: F9 does NOT book a "微信" payment that moved no
  money — the window asks for the patient's code to be scanned, and nothing is sent to the platform.

The amount due is the platform's psn_cash_pay shown at presettle (SHEN_MING's bill)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import expect_step, press, sign_in, type_keys, when_modal
from tests.gui.test_gui_counter import _confirm_prechecks
from tests.gui.test_gui_owed_refund import _books
from tests.gui.test_gui_paycode import _payledger, _presettled


def _settlements(state) -> int:
    with state.ctx.store.read_connection() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM settlements WHERE state = 'confirmed'").scalar()


def test_gui_bank_card_is_booked_with_the_terminal_reference(qtbot, window, app_state):
    from client.ui.tenders import ReferenceDialog

    sign_in(qtbot, window)
    due = _presettled(qtbot, window, app_state)
    press(Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.payment.method() == "bank_card")     # Qt clicks a button's shortcut after 100 ms
    assert QApplication.focusWidget() is window.payment.tendered        # the amount can be typed next
    # 1) the cashier presses Esc in the reference dialog: nothing is settled (asked before 事前提醒)
    when_modal(ReferenceDialog, lambda d: d.reject())
    with expect_step(qtbot, window, "settle") as r:
        press(Qt.Key.Key_F9)
    assert r.get("failed") == "no reference" and _settlements(app_state) == 0
    # 2) a too-short reference is refused in the dialog, then the slip's number is typed
    seen: list = []

    def type_ref(d: ReferenceDialog):
        type_keys(qtbot, "12\r", "human")
        seen.append(d.error.text())
        d.ref.clear()
        type_keys(qtbot, "POS202612040031\r", "human")
    _confirm_prechecks(qtbot)
    when_modal(ReferenceDialog, type_ref)
    with expect_step(qtbot, window, "settle") as r:
        press(Qt.Key.Key_F9)
    assert r.get("ok"), r
    assert seen and "参考号" in seen[0], seen
    sid = window.record["settlement_id"]
    assert _books(app_state, sid) == [("bank_card", int(due * 100), "POS202612040031")]
    assert _payledger(app_state)["trades"] == []                     # the gateway was not involved


def test_gui_wechat_without_a_scan_is_not_booked(qtbot, window, app_state):
    sign_in(qtbot, window)
    _presettled(qtbot, window, app_state)
    press(Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.payment.method() == "wechat")
    with expect_step(qtbot, window, "settle") as r:
        press(Qt.Key.Key_F9)
    assert r.get("failed") == "scan the code"
    assert "扫描" in window.message_text.text() and "付款码" in window.message_text.text()
    assert _settlements(app_state) == 0 and _payledger(app_state)["trades"] == []
