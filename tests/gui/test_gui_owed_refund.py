"""Payment codes after the checkout (issue 18), the real window with the training platform and its
aggregate-payment gateway on 127.0.0.1, real SQLite:

* a reversal (Ctrl+R) of a settlement paid by WeChat code sends the share back to WeChat — the screen
  tells the cashier NOT to pay it from the drawer (¥ 0.00 in cash), the gateway shows the refund with
  its id, the books net to zero;
* an owed share (NOTENOUGH at the checkout) is collected with Ctrl+U: the patient's NEW code scanned at
  scanner speed into the 欠费补收 dialog, a supervisor authorises, the gateway charges exactly the owed
  amount once; a cash collection typed at human speed must equal the owed amount.

Expected amounts come from the platform's psn_cash_pay (the due shown at presettle) and the gateway's
own ledger (/admin/payledger), never from the window's arithmetic."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from tests.gui.conftest import (
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
    expect_step,
    press,
    scanner_types,
    sign_in,
    type_keys,
    when_modal,
)
from tests.gui.test_gui_counter import _choose_today, _confirm_prechecks, _fill_supervisor
from tests.gui.test_gui_paycode import _payledger, _presettled


def _books(state, sid: int) -> list[tuple]:
    """The window's own payments rows of the settlement (amounts in fen), read from its SQLite store."""
    with state.ctx.store.read_connection() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT method, amount, ref FROM payments WHERE settlement_id = ? AND method != 'account' ORDER BY id",
            (sid,)).fetchall()]


def _settled_by_code(qtbot, window, app_state, code: str) -> tuple[dict, Decimal]:
    due = _presettled(qtbot, window, app_state)
    _confirm_prechecks(qtbot)
    with expect_step(qtbot, window, "settle") as r:
        scanner_types(qtbot, code)
    assert r.get("ok"), r
    return window.record, due


def test_gui_reversal_refunds_the_code_share_to_its_channel(qtbot, window, app_state):
    sign_in(qtbot, window)
    rec, due = _settled_by_code(qtbot, window, app_state, "134567890123456700")     # WeChat, SUCCESS
    [tr] = rec["pay_trades"]
    assert tr["state"] == "paid" and Decimal(tr["amount"]) == due > 0
    cls, fill = _fill_supervisor(SUPERVISOR, SUPERVISOR_PASSWORD)
    _choose_today(qtbot)
    when_modal(cls, fill)
    with expect_step(qtbot, window, "reverse", timeout=60000) as r:
        press(Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert r.get("ok"), (r, fill.errors)
    shown = window.confirmation.text()
    assert "已撤销" in shown or "撤销" in shown, shown
    assert "现金退还患者 ¥ 0.00" in shown, shown                 # nothing from the drawer
    assert f"¥ {due:.2f} 已原路退回微信支付" in shown and tr["out_trade_no"] in shown, shown
    led = _payledger(app_state)
    [gw] = [t for t in led["trades"] if t["out_trade_no"] == tr["out_trade_no"]]
    [refund] = [x for x in led["refunds"] if x["out_trade_no"] == tr["out_trade_no"]]
    assert Decimal(refund["refund_fee"]) == due and refund["refund_id"]
    assert gw["refunded_fee"] == f"{due:.2f}"
    after = window.record
    assert after["state"] == "reversed"
    [tr2] = after["pay_trades"]
    assert tr2["state"] == "refunded" and [e["refund_id"] for e in tr2["refunds"]] == [refund["refund_id"]]
    # the books: the code's payment and its negative twin net to zero (fen)
    rows = _books(app_state, after["settlement_id"])
    assert sum(a for _m, a, _r in rows) == 0 and {m for m, _a, _r in rows} == {"wechat"}, rows


def test_gui_owed_share_collected_by_scanning_a_new_code(qtbot, window, app_state):
    from client.ui.owed import OwedCollectDialog

    sign_in(qtbot, window)
    rec, due = _settled_by_code(qtbot, window, app_state, "134567890123456792")     # NOTENOUGH → owed
    [owed] = rec["owed"]
    assert Decimal(owed["amount"]) == due
    seen: dict = {}

    def scan_new_code(dlg: OwedCollectDialog):
        seen["rows"] = dlg.table.rowCount()
        seen["amount"] = dlg.table.item(0, 3).text()
        scanner_types(qtbot, "284567890123450100")           # the patient's new Alipay code, at scanner speed
    when_modal(OwedCollectDialog, scan_new_code)
    cls, fill = _fill_supervisor(SUPERVISOR, SUPERVISOR_PASSWORD)
    when_modal(cls, fill)
    with expect_step(qtbot, window, "owed", timeout=60000) as r:
        press(Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert r.get("ok"), (r, fill.errors)
    assert seen == {"rows": 1, "amount": f"{due:.2f}"}
    led = _payledger(app_state)
    kept = [t for t in led["trades"] if t["trade_state"] == "SUCCESS"]
    assert len(kept) == 1 and Decimal(kept[0]["total_fee"]) == due and kept[0]["channel"] == "alipay"
    assert kept[0]["out_trade_no"] in window.st_busy.text() and "欠费已补收" in window.st_busy.text()
    assert _books(app_state, rec["settlement_id"]) == [("alipay", int(due * 100), kept[0]["out_trade_no"])]
    from client.services import codepay

    assert codepay.owed_of(app_state.ctx.store) == []
    # nothing owed any more: Ctrl+U says so and opens nothing
    with expect_step(qtbot, window, "owed") as r:
        press(Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert r.get("failed") == "nothing owed"


def test_gui_owed_share_collected_in_cash_must_match(qtbot, window, app_state):
    from client.ui.owed import OwedCollectDialog

    sign_in(qtbot, window)
    rec, due = _settled_by_code(qtbot, window, app_state, "134567890123456793")     # AUTHCODEEXPIRE → owed
    errors: list = []

    def pay_cash(dlg: OwedCollectDialog):
        type_keys(qtbot, "1.00\r", "human")                  # the wrong amount: refused in the dialog
        errors.append(dlg.error.text())
        dlg.cash.clear()
        type_keys(qtbot, f"{due:.2f}\r", "human")
    when_modal(OwedCollectDialog, pay_cash)
    cls, fill = _fill_supervisor(SUPERVISOR, SUPERVISOR_PASSWORD)
    when_modal(cls, fill)
    with expect_step(qtbot, window, "owed", timeout=60000) as r:
        press(Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert r.get("ok"), (r, fill.errors)
    assert errors and "必须等于欠费金额" in errors[0], errors
    assert ("cash", int(due * 100), f"owed:{rec['owed'][0]['owed_id']}") in _books(app_state, rec["settlement_id"])
    assert not [t for t in _payledger(app_state)["trades"] if t["trade_state"] == "SUCCESS"]
