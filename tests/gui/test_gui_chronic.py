"""门诊慢特病 at the counter with key events (real window, embedded training platform, zh_CN).

陆秀英 (320509195207080020, Wujiang employee retiree, filed M03900 高血压 and M01600 糖尿病, account
balance 3500.00) at the Qingpu training hospital (level 2, zone-exempt): the cashier chooses
"14 门诊慢特病" with the keyboard, adds 普通门诊诊查费, picks 糖尿病 in the disease dialog (↓, Enter),
pre-settles and settles in cash. Hand-worked (policy 320509-310-otp-ret, opsp.M01600: deductible 200 a
year, none paid for this disease yet):
    普通门诊诊查费 1 × 25.00 = 25.00, 甲类: in scope 25.00
    act_pay_dedc = min(25.00, 200.00) = 25.00; segment 0.00; fund 0.00
    account kept (F6): cash 25.00; tendered 30 → change 5.00
(Under the general retiree rule the 2026 deductible 400 is already paid by the demo's year-to-date,
so act_pay_dedc 25.00 shows that the disease's own deductible was applied.)
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import expect_step, press, sign_in, training_person, type_keys, when_modal

LU = "320509195207080020"


def test_chronic_disease_visit_with_the_keyboard(qtbot, window, app_state):
    from client.ui.dialogs import DiseasePickerDialog

    sign_in(qtbot, window)
    with expect_step(qtbot, window, "identify") as r:
        type_keys(qtbot, training_person(app_state, LU)["ecqr"] + "\r", "scanner")
    assert r.get("ok"), r
    window.med_type_box.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.med_type_box, timeout=5000)
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Down)                                   # 11 → 13 → 14
    assert window.med_type_box.currentData() == "14"
    window.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search, timeout=5000)
    with expect_step(qtbot, window, "search") as r:
        type_keys(qtbot, "ptmzzcf", "human")
        press(Qt.Key.Key_Return)
    assert r.get("ok"), r
    qtbot.waitUntil(window.search.is_fresh, timeout=5000)
    offered: list[str] = []

    def pick(dlg):
        offered.extend(dlg.list.item(i).text() for i in range(dlg.list.count()))
        QTest.keyClick(dlg.list, Qt.Key.Key_Down)
        QTest.keyClick(dlg.list, Qt.Key.Key_Return)

    when_modal(DiseasePickerDialog, pick)
    with expect_step(qtbot, window, "disease") as r:
        press(Qt.Key.Key_Return)                             # adds the first hit, then asks the disease
    assert r.get("ok"), r
    assert [t.split()[0] for t in offered] == ["M03900", "M01600"]
    assert app_state.counter.opsp == {"opsp_dise_code": "M01600", "opsp_dise_name": "糖尿病"}
    assert "M01600" in window.kind_label.text() and "糖尿病" in window.kind_label.text()
    with expect_step(qtbot, window, "presettle") as r:
        press(Qt.Key.Key_F5)
    assert r.get("ok"), r
    if window.settlement.account.text() != "0.00":
        with expect_step(qtbot, window, "presettle") as r:
            press(Qt.Key.Key_F6)                             # the patient keeps the account
        assert r.get("ok"), r
    assert window.trial.setlinfo["act_pay_dedc"] == "25.00" and window.trial.setlinfo["hifp_pay"] == "0.00"
    assert window.settlement.cash.text() == "25.00"
    with expect_step(qtbot, window, "settle") as r:
        type_keys(qtbot, "30", "human")
        press(Qt.Key.Key_F9)
    assert r.get("ok"), r
    assert window.record["setlinfo"]["psn_cash_pay"] == "25.00"
    with app_state.ctx.store.read_connection() as conn:
        change = conn.exec_driver_sql("SELECT change FROM payments WHERE settlement_id = ? AND method = 'cash'",
                                      (window.record["settlement_id"],)).scalar_one()
    assert Decimal(change) / 100 == Decimal("5.00")               # 30.00 − 25.00
    db = sqlite3.connect(f"file:{Path(app_state.platform.data_dir) / 'platform.sqlite3'}?mode=ro", uri=True)
    try:
        doc = json.loads(db.execute("SELECT doc FROM visits WHERE mdtrt_id = ?",
                                    (app_state.counter.mdtrt_id,)).fetchone()[0])
    finally:
        db.close()
    assert (doc["mdtrtinfo"]["dise_codg"], doc["mdtrtinfo"]["dise_name"]) == ("M01600", "糖尿病")


def test_chronic_visit_without_filing_is_refused_in_chinese(qtbot, window, app_state):
    """沈明 has no 5301 filing: choosing 14 and adding an item is refused with the Chinese reason, no line
    is added and nothing reaches the platform's visits."""
    sign_in(qtbot, window)
    with expect_step(qtbot, window, "identify") as r:
        type_keys(qtbot, training_person(app_state, "330421198503150016")["ecqr"] + "\r", "scanner")
    assert r.get("ok"), r
    window.med_type_box.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.med_type_box, timeout=5000)
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Down)
    assert window.med_type_box.currentData() == "14"
    window.search.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search, timeout=5000)
    with expect_step(qtbot, window, "search") as r:
        type_keys(qtbot, "ptmzzcf", "human")
        press(Qt.Key.Key_Return)
    assert r.get("ok"), r
    qtbot.waitUntil(window.search.is_fresh, timeout=5000)
    with expect_step(qtbot, window, "add") as r:
        press(Qt.Key.Key_Return)
    assert "没有有效的门诊慢特病备案" in r.get("failed", ""), r
    assert window.charges.rowCount() == 0 and app_state.counter.lines == []
    assert window.message.isVisible() and "没有有效的门诊慢特病备案" in window.message_text.text()
