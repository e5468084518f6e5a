"""The 住院 screen (Ctrl+H, client/ui/inpatient.py) with key events: the real window on the embedded
training platform (127.0.0.1), real SQLite, real PDFs.

Patient, fees and figures are those of tests/integration/test_inpatient_stay.py (its module docstring
has the hand-worked working, reused here unchanged): 张伟 (310118199001010036, Qingpu employee) in the
Qingpu training hospital, the demo HIS's stay ZY3101182026ST01, 5 days
(260.35, 4191.38, 122.16, 107.46, 132.83), deductible 1500 per admission, ratio 0.85.

  中途结算 days 1–2: total 4451.73, fund (4314.81 − 1500.00) × 0.85 = 2392.59, psn_cash_pay 2059.14
  final days 3–5:    total 362.45, fund 361.09 × 0.85 = 306.93, psn_cash_pay 55.52
  deposits cash 2000.00 (tendered 2100.00 → change 100.00) + WeChat code 3000.00 = 5000.00
  applied 2059.14 → balance 2940.86; applied 55.52 → surplus 2885.34, back to WeChat first (the code
  deposit 3000.00 ≥ 2885.34), 0.00 cash; 5000.00 − 2885.34 − 2114.66 = 0.00

Second test (the working of test_change_cancel_and_reversal_restores_the_deposit): deposit 500.00 cash,
day 1 only (260.35 < deductible 1500 → fund 0.00, psn_cash_pay 260.35), discharge refused while the HIS
has 26 lines (4553.83 = 4191.38 + 362.45) not uploaded; mid-stay settled from the deposit → balance
239.65; the supervisor reverses it (2305) → 500.00 restored; a 400.00 refund (supervisor) → 100.00 cash; the
same day-1 lines settled again (same figures, psn_cash_pay 260.35): deposit applied 100.00, 补收 160.35
in cash (200.00 handed over → change 39.65); 500.00 − 400.00 − (260.35 − 260.35 + 100.00) = 0.00.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from client.services.inpatient import find_stays, ledger_of, stay_record
from tests.gui.conftest import (
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
    expect_step,
    press,
    scanner_types,
    sign_in,
    training_person,
    type_keys,
    when_modal,
)
from tests.gui.test_gui_counter import _fill_supervisor

ZHANG = "310118199001010036"
WX_OK = "134567890123456700"


def _payledger(state) -> dict:
    return requests.get(state.settings.platform.url + "/admin/payledger", timeout=10).json()


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _open_screen(qtbot, win, state):
    person = training_person(state, ZHANG)
    win.table.setFocus()
    with expect_step(qtbot, win, "identify") as r:
        scanner_types(qtbot, person["ecqr"])
    assert r.get("ok"), r
    with expect_step(qtbot, win, "inpt_list") as r:
        press(Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert r.get("ok"), r
    screen = win.inpatient_screen
    assert QApplication.activeModalWidget() is screen and screen.isVisible()
    return screen


def _activate(qtbot, win) -> None:
    """Offscreen, a closed sub-dialog leaves no active window: the screen is made active again (a window
    manager does this on a real display), so that its F-keys reach it."""
    screen = getattr(win, "inpatient_screen", None)
    if screen is not None and screen.isVisible() and QApplication.activeModalWidget() is screen \
            and QApplication.activeWindow() is not screen:
        screen.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is screen, timeout=5000)


def _step(qtbot, win, step, key, modifier=None, timeout=60000):
    _activate(qtbot, win)
    with expect_step(qtbot, win, step, timeout=timeout) as r:
        press(key, modifier)
    assert r.get("ok"), r
    return r


def _admit_by_keys(qtbot, win, screen):
    """F2: the form comes prefilled from the HIS; the cashier retypes the bed (07) and goes through the
    fields with Enter at human speed; Enter in the last field admits (2401)."""
    from client.ui.inpatient import StayFormDialog

    seen = []

    def fill(dlg):
        seen.append({k: e.text() for k, e in dlg.edits.items()})
        type_keys(qtbot, "\r\r")                       # 科室编码 → 科室名称 → 床位
        dlg.edits["bed"].selectAll()
        type_keys(qtbot, "07\r\r\r\r\r\r")             # bed, then through doctor and diagnosis to the time
        type_keys(qtbot, "\r")                         # Enter in 入院时间 admits
    when_modal(StayFormDialog, fill)
    _step(qtbot, win, "inpt_admit", Qt.Key.Key_F2)
    assert seen and seen[0]["dept_name"] == "外科" and seen[0]["diag_code"] == "K80.100"
    assert seen[0]["dr_name"] == "韩立新"
    return screen.record


def _deposit_cash(qtbot, win, amount: str, tendered: str):
    from client.ui.inpatient import DepositDialog

    def fill(dlg):
        type_keys(qtbot, amount + "\r")
        type_keys(qtbot, tendered + "\r")
    when_modal(DepositDialog, fill)
    _step(qtbot, win, "inpt_deposit", Qt.Key.Key_F4)


def _deposit_code(qtbot, win, amount: str, code: str):
    from client.ui.inpatient import DepositDialog

    def fill(dlg):
        type_keys(qtbot, amount + "\r")                # the amount at human speed
        type_keys(qtbot, code + "\r", "scanner")       # the patient's code at scanner speed
    when_modal(DepositDialog, fill)
    _step(qtbot, win, "inpt_deposit", Qt.Key.Key_F4)


def test_gui_inpatient_stay_deposits_days_mid_and_final_settlement(qtbot, window, app_state):
    sign_in(qtbot, window)
    screen = _open_screen(qtbot, window, app_state)
    assert screen.record is None and "张伟" in screen.patient_line.text()
    rec = _admit_by_keys(qtbot, window, screen)
    sid = rec["stay_id"]
    assert rec["state"] == "admitted" and rec["ipt_no"] == "ZY3101182026ST01" and rec["bed"] == "07"
    assert "ZY3101182026ST01" in screen.header.text() and "在院" in screen.header.text()
    assert screen.list.rowCount() == 1 and screen.list.item(0, 0).text() == "ZY3101182026ST01"
    # 预交金: cash 2000.00 (2100.00 handed over → change 100.00), then WeChat 3000.00 scanned
    _deposit_cash(qtbot, window, "2000.00", "2100")
    assert "找零 ¥ 100.00" in screen.message.text() and "余额 ¥ 2,000.00" in screen.message.text(), screen.message.text()
    _deposit_code(qtbot, window, "3000.00", WX_OK)
    assert "微信支付" in screen.message.text() and "余额 ¥ 5,000.00" in screen.message.text(), screen.message.text()
    assert [screen.ledger.item(i, 4).text() for i in range(screen.ledger.rowCount())] == ["2,000.00", "5,000.00"]
    # the receipt of the code deposit (F6 prints the chosen row: the last one)
    _step(qtbot, window, "inpt_receipt", Qt.Key.Key_F6)
    receipt = Path(screen.last_receipt)
    text = _pdf_text(receipt)
    assert receipt.read_bytes().startswith(b"%PDF") and "3,000.00" in text.replace("3000.00", "3,000.00")
    # the days table: 5 HIS days, nothing uploaded; F7 uploads the chosen (first not uploaded) day
    assert [screen.days.item(i, 2).text() for i in range(5)] == ["260.35", "4,191.38", "122.16", "107.46", "132.83"]
    assert [screen.days.item(i, 4).text() for i in range(5)] == ["260.35", "4,191.38", "122.16", "107.46", "132.83"]
    _step(qtbot, window, "inpt_upload", Qt.Key.Key_F7)
    _step(qtbot, window, "inpt_upload", Qt.Key.Key_F7)
    assert [screen.days.item(i, 3).text() for i in range(5)] == ["260.35", "4,191.38", "0.00", "0.00", "0.00"]
    assert [screen.days.item(i, 4).text() for i in range(5)] == ["0.00", "0.00", "122.16", "107.46", "132.83"]
    # 中途结算: F9 pre-settles, the deposit covers the 2059.14; F9 settles
    _step(qtbot, window, "inpt_presettle", Qt.Key.Key_F9)
    fig = {k: v.text() for k, v in screen.fig.items()}
    assert fig["medfee_sumamt"] == "4,451.73" and fig["fund_pay_sumamt"] == "2,392.59"
    assert (fig["psn_cash_pay"], fig["deposit_balance"], fig["deposit_applied"], fig["to_collect"]) == (
        "2,059.14", "5,000.00", "2,059.14", "0.00")
    assert "中途结算" in screen.setl_title.text()
    _step(qtbot, window, "inpt_settle", Qt.Key.Key_F9)
    assert "余额 ¥ 2,940.86" in screen.books.text(), screen.books.text()
    rec = stay_record(app_state.ctx, sid)
    assert rec["state"] == "admitted" and rec["books"]["balance"] == "2940.86"
    # days 3–5 (Shift+F7: every day so far), 出院 (F10), final pre-settlement and settlement
    _step(qtbot, window, "inpt_upload", Qt.Key.Key_F7, Qt.KeyboardModifier.ShiftModifier)
    _step(qtbot, window, "inpt_discharge", Qt.Key.Key_F10)
    assert "已出院" in screen.header.text()
    _step(qtbot, window, "inpt_presettle", Qt.Key.Key_F9)
    fig = {k: v.text() for k, v in screen.fig.items()}
    assert (fig["medfee_sumamt"], fig["fund_pay_sumamt"], fig["psn_cash_pay"]) == ("362.45", "306.93", "55.52")
    assert (fig["deposit_balance"], fig["deposit_applied"], fig["to_collect"], fig["surplus"]) == (
        "2,940.86", "55.52", "0.00", "2,885.34")
    assert "出院结算" in screen.setl_title.text() and "2,885.34" in screen.setl_title.text()
    _step(qtbot, window, "inpt_settle", Qt.Key.Key_F9)
    shown = screen.result_line.text()
    assert "¥ 2,885.34 已退回微信支付" in shown and "预交金余额 ¥ 0.00" in shown, shown
    # the ledger and the stay, to the fen
    st = stay_record(app_state.ctx, sid)
    assert st["state"] == "settled"
    assert st["books"] == {"taken": "5000.00", "refunded": "2885.34", "applied": "2114.66", "restored": "0.00",
                           "applied_net": "2114.66", "balance": "0.00", "open_items": 0}
    assert [(s["mid_setl_flag"], s["psn_cash_pay"], s["deposit_applied"], s["collected"]) for s in st["settlements"]] == [
        ("1", "2059.14", "2059.14", "0.00"), ("0", "55.52", "55.52", "0.00")]
    led = ledger_of(app_state.ctx.store, sid)
    assert [(x["kind"], x["method"], x["amount"], x["balance"]) for x in led] == [
        ("deposit", "cash", "2000.00", "2000.00"), ("deposit", "wechat", "3000.00", "5000.00"),
        ("applied", "deposit", "2059.14", "2940.86"), ("applied", "deposit", "55.52", "2885.34"),
        ("refund", "wechat", "2885.34", "0.00")]
    # the netting of each settlement (client.services.stay_netting), as the forms print it
    from client.services.stay_netting import netting_of

    keys = ("taken", "refunded_before", "applied_before", "balance_before", "applied", "collected", "balance_after",
            "refunded")
    with app_state.ctx.store.read_connection() as conn:
        mid, fin = (netting_of(conn, s["settlement_id"]) for s in st["settlements"])
    assert tuple(mid[k] for k in keys) == ("5000.00", "0.00", "0.00", "5000.00", "2059.14", "0.00", "2940.86", "0.00")
    assert tuple(fin[k] for k in keys) == ("5000.00", "0.00", "2059.14", "2940.86", "55.52", "0.00", "2885.34",
                                           "2885.34")
    # the platform's own record: one 2401, a 2301 per F7 (days 1, 2; Shift+F7 days 3–5 in one batch), the
    # mid-stay 2304, one 2402, the final 2304 — nothing sent twice
    from tests.integration.test_inpatient_stay import central_infnos

    assert central_infnos(app_state.platform) == ["2401", "2301", "2301", "2304", "2301", "2402", "2304"]
    # the gateway: one charge of 3000.00 of which 2885.34 refunded
    [tr] = _payledger(app_state)["trades"]
    assert (tr["total_fee"], tr["refunded_fee"]) == ("3000.00", "2885.34")
    # the 出院结算单 (form) shows the deposit netting
    form = screen.last_settle["form_path"]
    text = _pdf_text(form)
    assert "预交金合计 5,000.00 − 前次结算已抵扣 2,059.14 = 结算前预交金余额 2,940.86" in text, text
    assert "预交金抵扣 55.52，补收 0.00；退还预交金 2,885.34（微信支付 2,885.34）" in text, text
    assert "支付方式：预交金 55.52" in text, text
    import re

    assert re.search(r"年龄：\d+(?![\d.])", text) and not re.search(r"年龄：\d+\.", text), text   # whole years
    assert find_stays(app_state.ctx, active_only=True) == []
    _activate(qtbot, window)
    with expect_step(qtbot, window, "inpt_closed") as r:
        press(Qt.Key.Key_Escape)
    assert r.get("ok") and not screen.isVisible()


def test_gui_inpatient_refusal_shown_reversal_restores_and_refund(qtbot, window, app_state):
    sign_in(qtbot, window)
    screen = _open_screen(qtbot, window, app_state)
    rec = _admit_by_keys(qtbot, window, screen)
    sid = rec["stay_id"]
    _deposit_cash(qtbot, window, "500", "")
    _step(qtbot, window, "inpt_upload", Qt.Key.Key_F7)             # day 1 only
    # 出院 refused: the HIS has days 2–5 not uploaded — the service's words in the message line
    _activate(qtbot, window)
    with expect_step(qtbot, window, "inpt_discharge") as r:
        press(Qt.Key.Key_F10)
    assert "HIS 中还有 26 条费用（4553.83 元）" in r.get("failed", ""), r
    assert screen.message.isVisible() and "HIS 中还有 26 条费用（4553.83 元）" in screen.message.text()
    assert stay_record(app_state.ctx, sid)["state"] == "admitted"
    # bad input in the deposit dialog: said in the dialog, nothing written
    from client.ui.inpatient import DepositDialog

    errors = []

    def bad(dlg):
        type_keys(qtbot, "12.345\r")
        errors.append(dlg.error.text())
        dlg.reject()
    when_modal(DepositDialog, bad)
    _activate(qtbot, window)
    with expect_step(qtbot, window, "inpt_deposit") as r:
        press(Qt.Key.Key_F4)
    assert r.get("failed") == "cancelled" and errors and "不是有效金额" in errors[0]
    # 中途结算 of day 1 from the deposit: 260.35 → balance 239.65
    _step(qtbot, window, "inpt_presettle", Qt.Key.Key_F9)
    assert screen.fig["psn_cash_pay"].text() == "260.35" and screen.fig["deposit_applied"].text() == "260.35"
    _step(qtbot, window, "inpt_settle", Qt.Key.Key_F9)
    assert stay_record(app_state.ctx, sid)["books"]["balance"] == "239.65"
    # F11: the supervisor reverses it (2305); the applied 260.35 is restored → 500.00
    cls, fill = _fill_supervisor(SUPERVISOR, SUPERVISOR_PASSWORD)
    when_modal(cls, fill)
    _step(qtbot, window, "inpt_reverse", Qt.Key.Key_F11)
    assert "余额 ¥ 500.00" in screen.message.text(), screen.message.text()
    st = stay_record(app_state.ctx, sid)
    assert st["books"]["restored"] == "260.35" and st["books"]["balance"] == "500.00"
    assert [s["state"] for s in st["settlements"]] == ["reversed"]
    # F5: refund 400.00 of the deposit (supervisor) → cash (the deposit was cash), balance 100.00
    from client.ui.inpatient import AmountDialog

    def amount(dlg):
        type_keys(qtbot, "400\r")
    when_modal(AmountDialog, amount, "refundAmount")
    cls, fill = _fill_supervisor(SUPERVISOR, SUPERVISOR_PASSWORD)
    when_modal(cls, fill)
    _step(qtbot, window, "inpt_refund", Qt.Key.Key_F5)
    assert "现金 ¥ 400.00" in screen.message.text() and "余额 ¥ 100.00" in screen.message.text(), screen.message.text()
    # the day-1 lines again (same figures: psn_cash_pay 260.35): the balance 100.00 pays part of it,
    # 补收 260.35 − 100.00 = 160.35, the cashier types 200 in 实收 + Enter → change 39.65
    _step(qtbot, window, "inpt_presettle", Qt.Key.Key_F9)
    assert (screen.fig["psn_cash_pay"].text(), screen.fig["deposit_applied"].text(), screen.fig["to_collect"].text()) == (
        "260.35", "100.00", "160.35")
    assert QApplication.focusWidget() is screen.tendered
    with expect_step(qtbot, window, "inpt_settle") as r:
        type_keys(qtbot, "200\r")
    assert r.get("ok"), r
    assert "补收 ¥ 160.35" in screen.result_line.text() and "找零 ¥ 39.65" in screen.result_line.text(), \
        screen.result_line.text()
    st = stay_record(app_state.ctx, sid)
    assert [(s["state"], s["psn_cash_pay"], s["deposit_applied"], s["collected"]) for s in st["settlements"]] == [
        ("reversed", "260.35", "0.00", "0.00"), ("confirmed", "260.35", "100.00", "160.35")]
    led = ledger_of(app_state.ctx.store, sid)
    assert [(x["kind"], x["amount"], x["balance"]) for x in led] == [
        ("deposit", "500.00", "500.00"), ("applied", "260.35", "239.65"), ("restored", "260.35", "500.00"),
        ("refund", "400.00", "100.00"), ("applied", "100.00", "0.00")]
    assert led[3]["authorized_by"] == SUPERVISOR and led[3]["method"] == "cash"
    # 500.00 − 400.00 − (260.35 − 260.35 + 100.00) = 0.00
    assert st["books"] == {"taken": "500.00", "refunded": "400.00", "applied": "360.35", "restored": "260.35",
                           "applied_net": "100.00", "balance": "0.00", "open_items": 0}
    setl = st["settlements"][-1]
    from client.services.stay_netting import netting_of

    with app_state.ctx.store.read_connection() as conn:
        n = netting_of(conn, setl["settlement_id"])
    assert (n["taken"], n["refunded_before"], n["applied_before"], n["balance_before"], n["applied"], n["collected"],
            n["balance_after"], n["final"]) == ("500.00", "400.00", "0.00", "100.00", "100.00", "160.35", "0.00", False)
    [cash] = [p for p in app_state.desk.last_settlement()["payments"] if p["method"] == "cash"]
    assert (cash["amount"], cash["tendered"], cash["change"]) == ("160.35", "200.00", "39.65")


def test_gui_inpatient_rest_paid_by_scanned_code_and_cancel_refused(qtbot, window, app_state):
    """Deposit 100.00 cash; 撤销入院 (Ctrl+Del) is refused while the deposit balance is 100.00 (the
    service's words on screen, nothing sent); day 1 (260.35, all the patient's: under the deductible —
    the working of test_change_cancel_and_reversal_restores_the_deposit) pre-settled: deposit applied
    100.00, 补收 260.35 − 100.00 = 160.35, paid by a WeChat code scanned at scanner speed on the screen."""
    from PySide6.QtWidgets import QMessageBox

    from tests.integration.test_inpatient_stay import central_infnos

    sign_in(qtbot, window)
    screen = _open_screen(qtbot, window, app_state)
    sid = _admit_by_keys(qtbot, window, screen)["stay_id"]
    _deposit_cash(qtbot, window, "100", "")
    before = central_infnos(app_state.platform)

    def yes(box):
        box.button(QMessageBox.StandardButton.Yes).click()
    when_modal(QMessageBox, yes, "confirmCancelStay")
    _activate(qtbot, window)
    with expect_step(qtbot, window, "inpt_cancel") as r:
        press(Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    assert "还有预交金余额 100.00 元" in r.get("failed", ""), r
    assert "还有预交金余额 100.00 元" in screen.message.text()
    assert central_infnos(app_state.platform) == before and stay_record(app_state.ctx, sid)["state"] == "admitted"
    _step(qtbot, window, "inpt_upload", Qt.Key.Key_F7)
    _step(qtbot, window, "inpt_presettle", Qt.Key.Key_F9)
    assert (screen.fig["psn_cash_pay"].text(), screen.fig["deposit_applied"].text(), screen.fig["to_collect"].text()) == (
        "260.35", "100.00", "160.35")
    _activate(qtbot, window)
    with expect_step(qtbot, window, "inpt_settle") as r:
        type_keys(qtbot, "134567890123456800\r", "scanner")
    assert r.get("ok"), r
    assert screen.tendered.text() == ""                      # nothing of the scan leaked into the field
    st = stay_record(app_state.ctx, sid)
    [s] = st["settlements"]
    assert (s["psn_cash_pay"], s["deposit_applied"], s["collected"]) == ("260.35", "100.00", "160.35")
    assert st["books"]["balance"] == "0.00"
    [tr] = _payledger(app_state)["trades"]
    assert tr["total_fee"] == "160.35" and tr["trade_state"] == "SUCCESS"
