"""部分退费 in the real window (issue 19): settle 沈明's HIS bill with a WeChat payment code, then F7 今日结算
→ Ctrl+T on the settlement → the 部分退费 dialog: Space marks the first line (头孢克洛胶囊 ×24) returned, Enter →
a supervisor authorises → the insurance re-settles the kept lines and the difference goes back to WeChat.

Oracles: the old and new psn_cash_pay are the platform's answers (its ledger), the refund is their
difference worked here by subtraction (one tender: all of it to the code's channel), the gateway's
ledger shows the refund; the window's own SQLite books are read directly."""

from __future__ import annotations

from decimal import Decimal

import requests
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import SUPERVISOR, SUPERVISOR_PASSWORD, expect_step, press, sign_in, when_modal
from tests.gui.test_gui_counter import _confirm_prechecks, _fill_supervisor
from tests.gui.test_gui_paycode import _payledger, _presettled


def test_gui_partial_refund_of_one_line_back_to_the_code(qtbot, window, app_state):
    from client.ui.dialogs import TodaySettlementsDialog
    from client.ui.partialrefund import PartialRefundDialog

    sign_in(qtbot, window)
    _presettled(qtbot, window, app_state)
    _confirm_prechecks(qtbot)
    from tests.gui.conftest import scanner_types

    with expect_step(qtbot, window, "settle") as r:
        scanner_types(qtbot, "134567890123456700")          # WeChat, SUCCESS
    assert r.get("ok"), r
    rec = window.record
    [tr] = rec["pay_trades"]
    old_cash = Decimal(rec["setlinfo"]["psn_cash_pay"])
    seen: dict = {}

    def choose(dlg: TodaySettlementsDialog):               # the settlement just made is preselected
        QTest.keyClick(dlg.search, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)

    def mark_first(dlg: PartialRefundDialog):
        seen["lines"] = [dlg.table.item(i, 1).text() for i in range(dlg.table.rowCount())]
        seen["heading"] = dlg.findChild(type(dlg.summary), "dialogHeading").text()
        QTest.keyClick(dlg.table, Qt.Key.Key_Return)       # nothing marked: refused in the dialog
        seen["empty"] = dlg.error.text()
        seen["row"] = dlg.table.currentRow()
        QTest.keyClick(dlg.table, Qt.Key.Key_Space)        # first line (↑/↓ would move) marked returned
        seen["summary"] = dlg.summary.text()
        seen["mark"] = dlg.table.item(0, 0).text()
        import os

        if os.environ.get("MEDSETTLE_SCREENSHOTS_DIR"):     # docs/screenshots/window-zh_CN-partial-refund.png
            dlg.grab().save(os.path.join(os.environ["MEDSETTLE_SCREENSHOTS_DIR"], "window-zh_CN-partial-refund.png"))
        QTest.keyClick(dlg.table, Qt.Key.Key_Return)

    when_modal(TodaySettlementsDialog, choose)
    when_modal(PartialRefundDialog, mark_first)
    cls, fill = _fill_supervisor(SUPERVISOR, SUPERVISOR_PASSWORD)
    when_modal(cls, fill)
    with expect_step(qtbot, window, "partial_refund", timeout=90000) as r:
        press(Qt.Key.Key_F7)
    assert r.get("ok"), (r, fill.errors, seen)
    assert seen["lines"][0] == "头孢克洛胶囊" and seen["mark"] == "✔"
    assert "至少" in seen["empty"] and "退回 1 项" in seen["summary"] and "¥ 74.40" in seen["summary"], seen
    assert f"¥ {old_cash:.2f}" in seen["heading"], seen
    # the platform's ledger: the old settlement reversed, one new settlement in force for the visit
    led = requests.get(app_state.settings.platform.url + "/admin/ledger", timeout=10).json()
    setl = [x for x in led if x["mdtrt_id"] == rec["mdtrt_id"] and x["kind"] == "setl"]
    assert [x["reversed"] for x in setl] == [True, False] and setl[0]["setl_id"] == rec["setl_id"]
    new_cash = Decimal(setl[1]["psn_cash_pay"])
    refund = old_cash - new_cash               # one tender (WeChat): the whole difference goes back to it
    assert refund > 0 and Decimal(setl[1]["medfee_sumamt"]) == Decimal(setl[0]["medfee_sumamt"]) - Decimal("74.40")
    shown = window.confirmation.text()
    assert "部分退费完成" in shown and setl[1]["setl_id"] in shown, shown
    assert f"¥ {old_cash:.2f} → ¥ {new_cash:.2f}" in shown and f"退款 ¥ {refund:.2f}" in shown, shown
    assert f"微信支付 原路退回 {refund:.2f} 元" in shown and tr["out_trade_no"] in shown, shown
    # the 部分退费凭条, kept in the receipts folder after the commit, names the refund per channel
    import subprocess
    from pathlib import Path

    [pdf] = list((Path(app_state.settings.data_dir) / "receipts").glob("partial-refund-*.pdf"))
    assert pdf.name in shown, shown
    ptext = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "部分退费凭条" in ptext and f"微信支付 原路退回 {refund:.2f}" in ptext and "已冲红" in ptext, ptext
    [rf] = [x for x in _payledger(app_state)["refunds"] if x["out_trade_no"] == tr["out_trade_no"]]
    assert Decimal(rf["refund_fee"]) == refund
    with app_state.ctx.store.read_connection() as conn:
        rows = conn.exec_driver_sql(
            "SELECT s.state, s.psn_cash_pay, coalesce(sum(p.amount), 0) FROM settlements s LEFT JOIN payments p ON "
            "p.settlement_id = s.id AND p.method != 'account' GROUP BY s.id ORDER BY s.id").fetchall()
        acts = conn.exec_driver_sql("SELECT count(*) FROM audit_events WHERE action = 'partial_refund'").scalar()
    # the books per settlement (fen): old reversed → 0, new → its share (+old share in, −refund to WeChat)
    assert [tuple(x) for x in rows] == [("reversed", int(old_cash * 100), 0),
                                        ("confirmed", int(new_cash * 100), int(new_cash * 100))], rows
    assert acts == 1


def test_gui_partial_quantity_typed_and_over_quantity_refused(qtbot, window, app_state):
    """Tab to 退回数量: 30 of 24 capsules is refused in the dialog (nothing sent); 10 of 24 is returned —
    the new settlement keeps 头孢克洛胶囊 ×14 = 14 × 3.10 = 43.40 (hand-worked)."""
    from client.ui.dialogs import TodaySettlementsDialog
    from client.ui.partialrefund import PartialRefundDialog
    from tests.gui.conftest import scanner_types, type_keys

    sign_in(qtbot, window)
    _presettled(qtbot, window, app_state)
    _confirm_prechecks(qtbot)
    with expect_step(qtbot, window, "settle") as r:
        scanner_types(qtbot, "134567890123456700")
    assert r.get("ok"), r
    rec = window.record
    errors: list = []

    def qty(dlg: PartialRefundDialog):
        QTest.keyClick(dlg.table, Qt.Key.Key_Tab)           # → 退回数量 of the current (first) line
        type_keys(qtbot, "30\r", "human")
        errors.append(dlg.error.text())
        dlg.qty.selectAll()
        type_keys(qtbot, "10\r", "human")

    when_modal(TodaySettlementsDialog, lambda d: QTest.keyClick(d.search, Qt.Key.Key_T,
                                                                 Qt.KeyboardModifier.ControlModifier))
    when_modal(PartialRefundDialog, qty)
    cls, fill = _fill_supervisor(SUPERVISOR, SUPERVISOR_PASSWORD)
    when_modal(cls, fill)
    with expect_step(qtbot, window, "partial_refund", timeout=90000) as r:
        press(Qt.Key.Key_F7)
    assert r.get("ok"), (r, fill.errors, errors)
    assert errors and "超过结算数量" in errors[0], errors
    from client.services import partial_refund as pr

    [op] = pr.list_ops(app_state.ctx)
    assert op["returns"][0]["cnt"] == "10" and op["returns"][0]["amount"] == "31.00"      # 10 × 3.10
    new = window.state.ctx.store
    with new.read_connection() as conn:
        lines = conn.exec_driver_sql("SELECT preview_json FROM settlements WHERE id = ?",
                                     (op["new_settlement_id"],)).scalar()
    import json

    kept = json.loads(lines)["lines"]
    assert (kept[0]["name"], kept[0]["cnt"], kept[0]["det_item_fee_sumamt"]) == ("头孢克洛胶囊", "14", "43.40")
    assert len(kept) == len(rec["lines"])          # every line kept, the first with a smaller quantity
