"""The cashier window end to end: real window, real embedded training platform on 127.0.0.1, real
SQLite store, zh_CN translations. Keyboard only (scanner timing for the e-voucher, F-keys, Enter)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import (
    CASHIER,
    CASHIER_PASSWORD,
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
    expect_step,
    press,
    scanner_types,
    sign_in,
    training_person,
    when_modal,
)

SHEN_MING = "330421198503150016"      # 沈明, Jiashan (demo zone), outpatient HIS charges
INPATIENT = "320509194610059681"      # Wujiang resident with a pending inpatient bill (med_type 21) here


def _when_modal(qtbot, cls, fill):
    """Fill the next modal dialog of type ``cls`` when it opens (exec() blocks the test)."""
    when_modal(cls, fill)


def _outpatient_settled(qtbot, win, state) -> dict:
    person = training_person(state, SHEN_MING)
    win.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.search)
    with expect_step(qtbot, win, "identify") as r:
        scanner_types(qtbot, person["ecqr"])              # the scanner types the e-voucher + Enter
    assert r.get("ok"), r
    assert win.search.text() == ""                        # nothing of the scan leaked into the field
    assert win.patient.name.text() == "沈明"
    assert win.patient.certno.text() == "330421********0016"
    assert "示范区" in win.patient.status_badge.text()
    with expect_step(qtbot, win, "his") as r:
        press(Qt.Key.Key_F4)
    assert r.get("ok"), r
    assert win.charges.rowCount() >= 3
    with expect_step(qtbot, win, "presettle") as r:
        press(Qt.Key.Key_F5)
    assert r.get("ok"), r
    assert QApplication.focusWidget() is win.payment.tendered
    due = win.payment.due_amount()
    assert due is not None and due > 0
    assert win.charges.has_split()                       # per-line split shown after upload
    assert win.state.counter.trial.prechecks                # 事前提醒 (目录外, 超限价, 丙类 …) shown in a dialog
    confirmed = _confirm_prechecks(qtbot)
    with expect_step(qtbot, win, "settle") as r:
        scanner_types(qtbot, "1000", gap_ms=0)            # short: typed into the field, Enter settles
    assert r.get("ok"), r
    assert confirmed and "事前提醒" in confirmed[0]
    return win.record


def _confirm_prechecks(qtbot) -> list:
    """Press Enter on the 事前提醒 dialog when it opens (keyboard only); returns its text."""
    from PySide6.QtTest import QTest

    from client.ui.dialogs import PrecheckDialog

    seen: list = []

    def enter(box):
        if not seen:
            seen.append(box.windowTitle() + box.grouped_text())
            QTest.keyClick(box, Qt.Key.Key_Return)
    _when_modal(qtbot, PrecheckDialog, enter)
    return seen


def test_gui_outpatient_keyboard_only(qtbot, window, app_state):
    sign_in(qtbot, window)
    record = _outpatient_settled(qtbot, window, app_state)
    assert record["state"] == "confirmed"
    info = record["setlinfo"]
    assert Decimal(info["medfee_sumamt"]) == Decimal(info["fund_pay_sumamt"]) + Decimal(info["acct_pay"]) \
        + Decimal(info["psn_cash_pay"])
    cash = [p for p in record["payments"] if p["method"] == "cash"]
    assert cash and Decimal(cash[0]["tendered"]) == Decimal("1000.00")
    assert Decimal(cash[0]["change"]) == Decimal("1000.00") - Decimal(info["psn_cash_pay"])
    pdf = Path(record["_receipt_path"])
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    # the print was counted (invoicing.begin_print) before it was produced: an original, not 补打
    assert record["flags"] == {"training": True, "offline": False, "reprint": False, "print_count": 0}
    with app_state.ctx.store.read_connection() as conn:
        assert conn.exec_driver_sql("SELECT print_count FROM settlements WHERE id = ?",
                                    (record["settlement_id"],)).scalar_one() == 1
    assert "培训模式" in window.windowTitle()
    assert window.training_banner.isVisible()
    # the trace ("why this amount") is the engine's
    assert record["preview"]["trace"]


def test_gui_slow_typing_is_not_a_scan(qtbot, window, app_state):
    sign_in(qtbot, window)
    person = training_person(app_state, SHEN_MING)
    window.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)
    scans = []
    window.scanner.scanned.connect(lambda s, raw: scans.append(raw))
    scanner_types(qtbot, person["ecqr"][:12], gap_ms=120, suffix=False)   # a person typing
    qtbot.wait(150)
    assert scans == []
    assert window.search.text() == person["ecqr"][:12]                    # every key reached the field
    assert window.person is None


def test_gui_inpatient_discharge(qtbot, window, app_state):
    sign_in(qtbot, window)
    person = training_person(app_state, INPATIENT)
    window.table.setFocus()
    with expect_step(qtbot, window, "identify") as r:
        scanner_types(qtbot, person["ecqr"])
    assert r.get("ok"), r
    press(Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert window.kind == "inpatient"
    from client.ui.dialogs import HisBillsDialog

    ticked: dict = {}

    def take(d: HisBillsDialog):        # her inpatient bill and an outpatient one: the inpatient one is ticked
        ticked["rows"] = [d.rows_text()[r][5] for r in d.checked_rows()]
        d.accept()
    _when_modal(qtbot, HisBillsDialog, take)
    with expect_step(qtbot, window, "his") as r:
        press(Qt.Key.Key_F4)
    assert r.get("ok"), r
    assert ticked["rows"] == ["21 普通住院"]
    assert window.state.counter.kind == "inpatient"
    assert window.charges.rowCount() > 50
    with expect_step(qtbot, window, "presettle", timeout=60000) as r:
        press(Qt.Key.Key_F5)
    assert r.get("ok"), r
    confirmed = _confirm_prechecks(qtbot)
    with expect_step(qtbot, window, "settle", timeout=60000) as r:
        press(Qt.Key.Key_F9)                                 # no tendered amount: exact cash; Enter on 事前提醒
    assert r.get("ok"), r
    assert confirmed and "住院诊查费" in confirmed[0]
    assert window.record["infno"] == "2304"
    assert window.record["state"] == "confirmed"


def _choose_today(qtbot) -> None:
    """Enter on 今日结算 (F12 / Ctrl+R choose from it): the settlement just made is preselected."""
    from client.ui.dialogs import TodaySettlementsDialog

    _when_modal(qtbot, TodaySettlementsDialog, lambda d: d.accept())


def _fill_supervisor(code, password):
    from client.ui.dialogs import SupervisorDialog

    def fill(dlg: SupervisorDialog):
        dlg.code.setText(code)
        dlg.password.setText(password)
        dlg.reason.setText("患者要求退费")
        dlg.accept()
        if dlg.isVisible():            # refused: remember the error and cancel
            fill.errors.append(dlg.error.text())
            dlg.reject()
    fill.errors = []
    return SupervisorDialog, fill


def test_gui_reversal_needs_a_different_supervisor(qtbot, window, app_state):
    sign_in(qtbot, window)
    record = _outpatient_settled(qtbot, window, app_state)
    # 1) cancelled dialog: nothing happens
    from client.ui.dialogs import SupervisorDialog

    _choose_today(qtbot)
    _when_modal(qtbot, SupervisorDialog, lambda d: d.reject())
    with expect_step(qtbot, window, "reverse") as r:
        press(Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert r.get("failed") == "not authorized"
    # 2) the cashier's own credentials are refused
    cls, fill = _fill_supervisor(CASHIER, CASHIER_PASSWORD)
    _choose_today(qtbot)
    _when_modal(qtbot, cls, fill)
    with expect_step(qtbot, window, "reverse") as r:
        press(Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert r.get("failed") == "not authorized"
    assert fill.errors and "不能为自己的操作授权" in fill.errors[0]
    assert app_state.desk.last_settlement()["state"] == "confirmed"
    # 3) the supervisor authorizes: reversed at the platform (2208)
    cls, fill = _fill_supervisor(SUPERVISOR, SUPERVISOR_PASSWORD)
    _choose_today(qtbot)
    _when_modal(qtbot, cls, fill)
    with expect_step(qtbot, window, "reverse") as r:
        press(Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert r.get("ok"), (r, fill.errors)
    rec = app_state.desk.last_settlement()
    assert rec["setl_id"] == record["setl_id"]
    assert rec["state"] == "reversed"
    assert rec["reversal"]["authorization"]["authorized_by"] == "0009"


def test_gui_reprint_marked(qtbot, window, app_state):
    import subprocess

    sign_in(qtbot, window)
    _outpatient_settled(qtbot, window, app_state)
    cls, fill = _fill_supervisor(SUPERVISOR, SUPERVISOR_PASSWORD)
    _choose_today(qtbot)
    _when_modal(qtbot, cls, fill)
    with expect_step(qtbot, window, "reprint") as r:
        press(Qt.Key.Key_F12)
    assert r.get("ok"), (r, fill.errors)
    rec = window.last_print
    assert rec["flags"]["reprint"] is True and rec["flags"]["print_count"] == 1     # 补打（第1次）
    text = subprocess.run(["pdftotext", rec["_receipt_path"], "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "补打（第1次）" in text and "培训模式" in text


def test_gui_platform_error_shown_verbatim(qtbot, window, app_state):
    sign_in(qtbot, window)
    message = "培训平台模拟故障：该参保人本月结算次数已达上限（测试）"
    resp = requests.post(app_state.platform.url + "/admin/fault",
                         json={"mode": "refuse", "infno": "2207", "message": message}, timeout=5)
    assert resp.status_code == 200, resp.text
    try:
        with pytest.raises(AssertionError):
            _outpatient_settled(qtbot, window, app_state)
    finally:
        requests.post(app_state.platform.url + "/admin/fault", json={"clear": True}, timeout=5)
    assert window.message.isVisible()
    shown = window.message_text.text()
    assert message in shown                                   # verbatim
    assert "处理" in shown or "再试" in shown or "联系" in shown   # plus a plain hint of what to do
    rows = app_state.ctx.store.engine.connect().exec_driver_sql(
        "SELECT state, preview_json FROM settlements").fetchall()
    assert [r[0] for r in rows] == ["failed"]
    assert json.loads(rows[0][1])["error"]["err_msg"] == message


def test_gui_review_answer_and_warn_msg_shown_verbatim(qtbot, window, app_state):
    """2207 answered infcode 0 with an err_msg (and a warn_msg at 2206): settled, marked 待复核 in the
    title and status line, the platform's words shown verbatim in the message area."""
    sign_in(qtbot, window)
    warn, review = "培训：本次按个人账户支付（测试）", "培训：结算成功，但电子凭证状态待核实（测试）"
    url = app_state.platform.url + "/admin/fault"
    requests.post(url, json={"mode": "warn-msg", "infno": "2206", "next": 1, "message": warn}, timeout=5)
    requests.post(url, json={"mode": "success-with-err-msg", "infno": "2207", "next": 1, "message": review},
                  timeout=5)
    try:
        record = _outpatient_settled(qtbot, window, app_state)
    finally:
        requests.post(url, json={"clear": True}, timeout=5)
    assert record["state"] == "confirmed" and record["review"]["err_msg"] == review
    shown = window.message_text.text()
    assert window.message.isVisible() and review in shown and warn in shown
    assert window.st_busy.text() == window.tr("Settled — needs review: check with the platform. Esc: next patient.")
