"""The window in hospital mode: a settlement made with the keyboard reaches the hospital store
(real PostgreSQL) by itself, and the status bar shows the replication state beside the platform's."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from hospital_store import admin
from tests.gui.conftest import record_leak_root, sign_in
from tests.gui.test_gui_counter import _outpatient_settled

ROLE_PW = "gui-window-pass-1"


@pytest.fixture
def hospital_window(qtbot, platform_template, tmp_path, hospital):
    from PySide6.QtWidgets import QApplication

    from client.secrets import SecretStore
    from client.ui.app import _apply_look, start_training
    from client.ui.mainwindow import MainWindow

    srv, dbname, engine = hospital
    admin.add_window(engine, "07", ROLE_PW, label="门诊 7 号窗")
    data = tmp_path / "data"
    shutil.copytree(platform_template, data)
    record_leak_root(data)
    SecretStore(data).set("hospital-db", ROLE_PW)
    url = f"postgresql+psycopg://{admin.window_role_name('07')}@{srv.host}:{srv.port}/{dbname}"
    state = start_training(data, window="07", hospital_url=url)
    _apply_look(QApplication.instance(), state.settings)
    win = MainWindow(state)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win, state, srv, engine
    win.shutdown()
    state.close()


def test_gui_settlement_reaches_the_hospital_store_and_the_status_bar_says_so(qtbot, hospital_window):
    win, state, srv, engine = hospital_window
    assert win.st_hospital.isVisible()
    sign_in(qtbot, win)
    record = _outpatient_settled(qtbot, win, state)

    def rows():
        with engine.connect() as c:
            return c.execute(text("SELECT setl_id, state, medfee_sumamt FROM medsettle.settlements_current "
                                  "WHERE window_id = '07'")).all()

    # pushed by the window itself (after the settlement, or by its timer), nothing pressed for it
    qtbot.waitUntil(lambda: [r[1] for r in rows()] == ["confirmed"], timeout=20000)
    qtbot.waitUntil(lambda: win.st_hospital.text() == "医院库：已同步", timeout=20000)
    rows = rows()
    assert [(r[0], r[1]) for r in rows] == [(record["setl_id"], "confirmed")]
    assert str(rows[0][2]) == str(record["setlinfo"]["medfee_sumamt"])
    # the hospital server goes away: the window says so and keeps working
    srv.stop()
    win.push_to_hospital()
    qtbot.waitUntil(lambda: "连不上" in win.st_hospital.text(), timeout=20000)
    assert "连不上医院库" in win.st_hospital.toolTip()
    srv.start()


def test_gui_finance_view_and_hospital_reconciliation_with_keys(qtbot, hospital_window):
    """A cashier settles; finance (role 财务) opens 日常 → 全院财务: cash by window equals the
    patient's cash (from the platform's setlinfo, psn_cash_pay), F9 reconciles the hospital: balanced."""
    from decimal import Decimal

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from client.ui.finance import FinanceDialog
    from tests.gui.conftest import when_modal

    win, state, srv, engine = hospital_window
    # the finance DB role on this machine: finance_url = the finance role (hospital-finance secret)
    from dataclasses import replace

    from client.secrets import SecretStore

    admin.add_finance(engine, "fin_gui", "finance-gui-pass1")
    SecretStore(state.settings.data_dir).set("hospital-finance", "finance-gui-pass1")
    fin_url = f"postgresql+psycopg://fin_gui@{srv.host}:{srv.port}/{engine.url.database}"
    win.settings = state.settings = replace(state.settings, hospital=replace(state.settings.hospital, finance_url=fin_url))
    sign_in(qtbot, win)
    assert not win.act_finance.isEnabled()            # a cashier may not
    record = _outpatient_settled(qtbot, win, state)
    qtbot.waitUntil(lambda: win.st_hospital.text() == "医院库：已同步" and not win._pushing, timeout=20000)
    state.operator_service.create("0007", "培训财务", "finance", "Finance-0007!", by="test", must_change=False)
    sign_in(qtbot, win, code="0007", password="Finance-0007!", opening_float=None)
    assert win.act_finance.isEnabled()
    cash = Decimal(record["setlinfo"]["psn_cash_pay"])
    seen: dict = {}

    def drive(dlg: FinanceDialog):
        try:
            qtbot.waitUntil(lambda: dlg.table.rowCount() > 0, timeout=20000)
            rows = [[dlg.table.item(i, j).text() for j in range(4)] for i in range(dlg.table.rowCount())]
            seen["rows"] = rows
            with qtbot.waitSignal(dlg.done, timeout=30000, check_params_cb=lambda s: s == "reconcile"):
                QTest.keyClick(dlg, Qt.Key.Key_F9)
            seen["result"] = dlg.result.text()
            seen["error"] = dlg.error.text()
        finally:
            dlg.reject()

    when_modal(FinanceDialog, drive)
    win.act_finance.trigger()
    assert ["07", "现金", "1", f"{cash:.2f}"] in seen["rows"], seen
    assert seen["error"] == "" and "全院对账平：1 笔" in seen["result"], seen
