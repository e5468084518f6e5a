"""Offline emergency settlement, store-and-forward, shift close and start-up recovery in the real
window on the real embedded training platform (127.0.0.1) and a real SQLite store."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import (
    CASHIER,
    CASHIER_PASSWORD,
    CURRENT,
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
    expect_step,
    press,
    scanner_types,
    sign_in,
    when_modal,
)

SHEN_MING = "330421198503150016"      # 沈明, Jiashan (demo zone)


def _when_modal(cls, fill, name: str = ""):
    """Run ``fill(dialog)`` once the next modal dialog of type ``cls`` is open (exec() blocks)."""
    when_modal(cls, fill, name)


def _type(qtbot, text: str) -> None:
    """A person typing (slower than the scanner threshold)."""
    scanner_types(qtbot, text, gap_ms=80, suffix=False)


def _identify_by_id(qtbot, win, certno: str) -> dict:
    """F3, type the ID number like a person, Enter."""
    from client.ui.dialogs import IdEntryDialog

    def fill(dlg):
        from PySide6.QtTest import QTest

        dlg.activateWindow()
        dlg.edit.setFocus()              # offscreen, a new dialog is not always given the focus by itself
        for ch in certno:
            QTest.keyClick(QApplication.focusWidget() or dlg.edit, ch)
            qtbot.wait(60)
        QTest.keyClick(QApplication.focusWidget() or dlg.edit, Qt.Key.Key_Return)
    _when_modal(IdEntryDialog, fill)
    with expect_step(qtbot, win, "identify") as r:
        press(Qt.Key.Key_F3)
    return r


def _wait_conn(qtbot, win, reachable: bool) -> None:
    def check():
        with expect_step(qtbot, win, "connectivity", timeout=10000) as r:
            win.check_connectivity()
        return r.get("ok") and win.online is reachable
    qtbot.waitUntil(check, timeout=20000)


def _add_by_search(qtbot, win, query: str) -> None:
    press(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.search)
    with expect_step(qtbot, win, "search") as r:
        _type(qtbot, query)
    assert r.get("ok"), r
    qtbot.waitUntil(lambda: win.search.popup.isVisible())
    with expect_step(qtbot, win, "add") as r:
        press(Qt.Key.Key_Return)
    assert r.get("ok"), r


def _ledger(state) -> list[dict]:
    resp = requests.get(state.platform.url + "/admin/ledger", timeout=5)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _cut(state) -> int:
    port = state.platform._server.server_port   # noqa: SLF001 - restart on the same address
    state.platform.stop()
    return port


def _restore(state, port: int) -> None:
    state.platform.port = port
    state.platform.start()


def _allow_provisional(state) -> None:
    """The per-region option (docs/configuration.md ``[offline] provisional_regions``): 嘉善 approved."""
    from dataclasses import replace

    ctx = state.ctx
    ctx.settings = replace(ctx.settings, offline=replace(ctx.settings.offline, provisional_regions=("330421",)))


def _offline_settle(qtbot, win, state) -> dict:
    """Identify online once (cache), cut the platform, settle the cached patient offline by keyboard
    with the provisional option of the region (the default is full self-pay, test below)."""
    _allow_provisional(state)
    r = _identify_by_id(qtbot, win, SHEN_MING)
    assert r.get("ok"), r
    press(Qt.Key.Key_Escape)
    press(Qt.Key.Key_Escape)
    port = _cut(state)
    _wait_conn(qtbot, win, False)
    assert win.offline_banner.isVisible()
    assert win.st_conn.text() == "离线"
    # an e-voucher scan offline: a clear message offering card or ID number
    win.table.setFocus()
    with expect_step(qtbot, win, "identify") as r:
        win.identify("ecqr", "4243754826492874240001130000")
    assert "社保卡" in r.get("failed", "") or "card" in r.get("failed", "")
    r = _identify_by_id(qtbot, win, SHEN_MING)
    assert r.get("ok"), r
    assert win.local_case is not None and win.patient.name.text() == "沈明"
    # HIS unreachable: said so
    with expect_step(qtbot, win, "his") as r:
        press(Qt.Key.Key_F4)
    assert "HIS" in r.get("failed", ""), r
    _add_by_search(qtbot, win, "blg")
    assert win.charges.rowCount() == 1
    with expect_step(qtbot, win, "presettle") as r:
        press(Qt.Key.Key_F5)
    assert r.get("ok"), r
    assert "离线·临时结算" in win.settlement.state.text()
    due = win.payment.due_amount()
    assert due is not None and due > 0
    assert QApplication.focusWidget() is win.payment.tendered
    with expect_step(qtbot, win, "settle") as r:
        _type(qtbot, "100")
        press(Qt.Key.Key_Return)
    assert r.get("ok"), r
    rec = win.record
    assert rec["flags"]["offline"] is True
    text = subprocess.run(["pdftotext", rec["_receipt_path"], "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "离线结算" in text and "金额以医保中心结算为准" in text.replace("\n", "")   # a wrapped line
    return {"record": rec, "port": port, "due": due}


def test_gui_offline_settlement_then_sync(qtbot, window, app_state):
    sign_in(qtbot, window)
    out = _offline_settle(qtbot, window, app_state)
    rec = out["record"]
    store = app_state.ctx.store
    with store.read_connection() as conn:
        assert conn.exec_driver_sql("SELECT state FROM settlements WHERE id = ?",
                                    (rec["settlement_id"],)).scalar_one() == "provisional"
    _restore(app_state, out["port"])
    with expect_step(qtbot, window, "drain", timeout=30000) as r:
        window.check_connectivity()
    assert r.get("ok"), r
    assert not window.offline_banner.isVisible()
    settled = [x for x in _ledger(app_state) if x.get("medins_setl_id") == rec["msgid"] and x.get("kind") == "setl"]
    assert len(settled) == 1, settled
    with store.read_connection() as conn:
        state, setl_id, info = conn.exec_driver_sql("SELECT state, setl_id, setlinfo_json FROM settlements WHERE id = ?",
                                                    (rec["settlement_id"],)).fetchone()
        adj = conn.exec_driver_sql("SELECT direction, amount, state FROM adjustments WHERE settlement_id = ?",
                                   (rec["settlement_id"],)).fetchall()
    assert state == "confirmed" and setl_id == settled[0]["setl_id"]
    central_cash = Decimal(json.loads(info)["psn_cash_pay"])
    if central_cash != out["due"]:
        assert adj and adj[0][2] == "pending"     # the difference became an adjustment record
    _wait_conn(qtbot, window, True)
    qtbot.waitUntil(lambda: window.conn_status.state == "online" or window.check_connectivity(), timeout=15000)
    assert window.conn_status.outbox_pending == 0


def test_gui_offline_default_self_pay_then_backsettle(qtbot, window, app_state):
    """Default offline mode: full self-pay with a 全自费 receipt pending 医保补结算; back online the
    window's drain settles the visit with the platform once and records the refund."""
    sign_in(qtbot, window)
    r = _identify_by_id(qtbot, window, SHEN_MING)
    assert r.get("ok"), r
    press(Qt.Key.Key_Escape)
    press(Qt.Key.Key_Escape)
    port = _cut(app_state)
    _wait_conn(qtbot, window, False)
    assert "医保补结算" in window.offline_banner.text()
    r = _identify_by_id(qtbot, window, SHEN_MING)
    assert r.get("ok"), r
    _add_by_search(qtbot, window, "blg")
    with expect_step(qtbot, window, "presettle") as r:
        press(Qt.Key.Key_F5)                       # no limits dialog: self-pay is the normal offline outcome
    assert r.get("ok"), r
    assert "全自费" in window.settlement.state.text() and "补结算" in window.settlement.state.text()
    due = window.payment.due_amount()
    with expect_step(qtbot, window, "settle") as r:
        _type(qtbot, "100")
        press(Qt.Key.Key_Return)
    assert r.get("ok"), r
    rec = window.record
    assert rec["self_pay"] is True and rec["backsettle"] is True
    assert "医保补结算" in window.settlement.state.text()
    text = subprocess.run(["pdftotext", rec["_receipt_path"], "-"], capture_output=True, text=True,
                          check=True).stdout.replace("\n", "")
    assert "全自费收据（待医保补结算）" in text and "按原支付方式退还" in text
    store = app_state.ctx.store
    with store.read_connection() as conn:
        assert conn.exec_driver_sql("SELECT state FROM backsettlements").fetchall() == [("queued",)]
    _restore(app_state, port)
    with expect_step(qtbot, window, "drain", timeout=30000) as r:
        window.check_connectivity()
    assert r.get("ok"), r
    with store.read_connection() as conn:
        bs_state, sid, refund = conn.exec_driver_sql(
            "SELECT state, settlement_id, refund_amount FROM backsettlements").fetchone()
        msgid, cash = conn.exec_driver_sql("SELECT msgid, psn_cash_pay FROM settlements WHERE id = ?",
                                           (sid,)).fetchone()
    settled = [x for x in _ledger(app_state) if x.get("medins_setl_id") == msgid and x.get("kind") == "setl"]
    assert len(settled) == 1 and bs_state in ("refund_owed", "done")
    assert Decimal(refund) / 100 == due - Decimal(settled[0]["psn_cash_pay"]) and Decimal(cash) / 100 == Decimal(
        settled[0]["psn_cash_pay"])
    with store.read_connection() as conn:
        sp_state = conn.exec_driver_sql("SELECT state FROM settlements WHERE id = ?",
                                        (rec["settlement_id"],)).scalar_one()
        inv = conn.exec_driver_sql("SELECT settlement_id, kind FROM invoices ORDER BY id").fetchall()
    assert sp_state == "reversed"          # the full self-pay is superseded by the insurance settlement
    if app_state.ctx.settings.einvoice.enabled:
        # the insurance settlement gets its e-invoice; the self-pay had none (issued while offline is
        # impossible) and, superseded, is owed none — had it one, it would get its red letter (换开)
        assert (sid, "normal") in inv and [k for i, k in inv if i == rec["settlement_id"]] in ([], ["normal", "red"])


def _fill_supervisor(code, password, reason="网络中断，离线业务待补传"):
    from client.ui.dialogs import SupervisorDialog

    def fill(dlg):
        dlg.code.setText(code)
        dlg.password.setText(password)
        dlg.reason.setText(reason)
        dlg.accept()
        if dlg.isVisible():
            fill.errors.append(dlg.error.text())
            dlg.reject()
    fill.errors = []
    return SupervisorDialog, fill


def test_gui_shift_close_blocked_then_forced(qtbot, window, app_state):
    from client.ui.dialogs import ShiftCloseDialog, SupervisorDialog

    sign_in(qtbot, window)
    _offline_settle(qtbot, window, app_state)     # leaves one offline settlement in the outbox
    seen = {}

    def blocked(dlg):
        seen["ok_enabled"] = dlg.ok.isEnabled()
        seen["text"] = dlg.blockers_label.text()
        cls, fill = _fill_supervisor(CASHIER, CASHIER_PASSWORD)      # the cashier's own credentials
        seen["own"] = fill
        _when_modal(cls, fill)
        dlg.counted_cash.setText(f"{dlg.expected['cash']:.2f}")     # counted right: only the open items block
        dlg.force.click()
        seen["error"] = dlg.error.text()
        dlg.reject()
    _when_modal(ShiftCloseDialog, blocked)
    with expect_step(qtbot, window, "shift") as r:
        press(Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert r.get("failed") == "cancelled"
    assert seen["ok_enabled"] is False and "不能交班" in seen["text"]
    assert seen["own"].errors and "自己" in seen["own"].errors[0]

    def forced(dlg):
        cls, fill = _fill_supervisor(SUPERVISOR, SUPERVISOR_PASSWORD)
        forced.fill = fill
        _when_modal(cls, fill)
        dlg.counted_cash.setText(f"{dlg.expected['cash']:.2f}")
        dlg.force.click()
    _when_modal(ShiftCloseDialog, forced)
    with expect_step(qtbot, window, "shift") as r:
        press(Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert r.get("ok"), (r, window.message_text.text())
    closing = window.shift_result["closing"]
    assert closing["forced_by"] == "0009" and closing["closing"]["forced"] is True
    assert closing["closing"]["open_items"]["outbox"]
    assert "强制" in window.message_text.text()
    with app_state.ctx.store.read_connection() as conn:
        acts = [r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_events").fetchall()]
    assert "shift.close.forced" in acts
    assert SupervisorDialog  # imported for the dialog class used above


def test_gui_shift_clean_close_with_reconciliation(qtbot, window, app_state):
    from client.ui.dialogs import ShiftCloseDialog
    from tests.gui.test_gui_counter import _outpatient_settled

    sign_in(qtbot, window)
    record = _outpatient_settled(qtbot, window, app_state)
    cash = sum(Decimal(p["amount"]) for p in record["payments"] if p["method"] == "cash")

    def drained() -> bool:
        """The settlement's queued items (e-invoice upload …) are sent: nothing blocks the close."""
        with expect_step(qtbot, window, "connectivity", timeout=10000) as r:
            window.check_connectivity()
        st = window.conn_status
        return bool(r.get("ok")) and st is not None and st.reachable and st.unresolved == 0
    qtbot.waitUntil(drained, timeout=20000)     # the blocked close is test_gui_shift_close_blocked_then_forced
    seen = {}

    def fill(dlg):
        from PySide6.QtTest import QTest

        seen["ok_enabled"], seen["blocked"], seen["expected"] = dlg.ok.isEnabled(), dlg.blocked, dlg.expected["cash"]
        dlg.counted_cash.setFocus()
        for ch in f"{seen['expected']:.2f}":
            QTest.keyClick(dlg.counted_cash, ch)
        QTest.keyClick(dlg.counted_cash, Qt.Key.Key_Return)
        if dlg.isVisible():                 # not accepted: remember why, never leave it open
            seen["error"] = dlg.error.text()
            dlg.reject()
    _when_modal(ShiftCloseDialog, fill)
    with expect_step(qtbot, window, "shift", timeout=60000) as r:
        press(Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert r.get("ok"), (r, seen, window.message_text.text())
    # expected cash = the opening float of sign_in (200.00) + the cash taken
    assert seen["ok_enabled"] and not seen["blocked"] and seen["expected"] == Decimal("200.00") + cash, seen
    res = window.shift_result
    cash_row = [m for m in res["closing"]["closing"]["methods"] if m["method"] == "cash"][0]
    assert Decimal(cash_row["difference"]) == 0
    assert res["reconciliation"]["clean"] is True and res["reconciliation"]["records"] == 1
    z = Path(res["zreport_path"])
    assert z.exists() and z.read_bytes().startswith(b"%PDF")
    assert "平" in window.message_text.text() or "balanced" in window.message_text.text()


def test_gui_startup_recovery_resolves_unknown(qtbot, app_state):
    from client.ui.app import _apply_look, start_training
    from client.ui.mainwindow import MainWindow
    from tests.gui.test_gui_counter import _outpatient_settled

    def open_window(state):
        _apply_look(QApplication.instance(), state.settings)
        win = MainWindow(state)
        qtbot.addWidget(win)
        win.resize(1366, 768)
        win.show()
        qtbot.waitExposed(win)
        win.activateWindow()
        CURRENT["window"] = win
        return win

    win = open_window(app_state)
    sign_in(qtbot, win)
    resp = requests.post(app_state.platform.url + "/admin/fault",
                         json={"mode": "drop-after-commit", "infno": "2207", "next": 1}, timeout=5)
    assert resp.status_code == 200, resp.text
    try:
        _outpatient_settled(qtbot, win, app_state)
    except AssertionError:
        pass
    assert "UNKNOWN" in win.message_text.text() or "未知" in win.message_text.text() \
        or "待确认" in win.message_text.text()
    with app_state.ctx.store.read_connection() as conn:
        sid, msgid, st = conn.exec_driver_sql("SELECT id, msgid, state FROM settlements").fetchone()
    assert st == "unknown"
    data_dir = Path(app_state.settings.data_dir)
    win.shutdown()
    win.close()
    CURRENT.clear()
    app_state.close()
    # the window was down longer than the grace period (connect + read timeout + 30 s): the
    # settlement row is aged by ten minutes, as a real restart later would find it
    import sqlite3
    from datetime import datetime, timedelta

    db = sqlite3.connect(data_dir / "medsettle.sqlite3")
    try:
        db.execute("UPDATE settlements SET updated_at = ? WHERE id = ?",
                   ((datetime.now() - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M:%S.%f"), sid))
        db.commit()
    finally:
        db.close()
    # the window starts again on the same data: recovery after sign-in reverses it (2601 冲正)
    state2 = start_training(data_dir)
    try:
        win2 = open_window(state2)
        with expect_step(qtbot, win2, "recovery", timeout=30000) as r:
            sign_in(qtbot, win2)
        assert r.get("ok"), r
        rep = win2.recovery_report
        assert rep["resolved"].get("failed") == 1 and rep["remaining_unknown"] == 0, rep
        assert rep["reversals"]["accepted"] == 1 and rep["reviews"] == [], rep
        # the cashier reads it: 未结算 — settle the patient again
        assert "确认未结算 1 笔" in win2.message_text.text()
        with state2.ctx.store.read_connection() as conn:
            assert conn.exec_driver_sql("SELECT state FROM settlements WHERE id = ?", (sid,)).scalar_one() == "failed"
        central = [x for x in _ledger(state2) if x.get("medins_setl_id") == msgid]
        assert len(central) == 1 and central[0]["reversed"]       # undone on the platform
        win2.shutdown()
        win2.close()
    finally:
        CURRENT.clear()
        state2.close()


def test_gui_identify_goes_to_cache_when_monitor_knows_offline(qtbot, window, app_state):
    """The monitor's latest check says unreachable (its result not yet relayed to the window): the
    scan is identified from the cache straight away (offline case), not by 1101 with retries."""
    sign_in(qtbot, window)
    r = _identify_by_id(qtbot, window, SHEN_MING)          # online: the person is cached
    assert r.get("ok"), r
    press(Qt.Key.Key_Escape)
    press(Qt.Key.Key_Escape)
    port = _cut(app_state)
    try:
        status = app_state.monitor.check()                  # a real probe: connection refused
        assert not status.reachable
        busy = []
        with expect_step(qtbot, window, "identify") as r:
            window.identify("certno", SHEN_MING)            # before the relayed state reached the window
            busy.append(window.st_busy.text())              # the path taken, said at once
        assert r.get("ok"), r
        assert busy == ["正在从本机缓存识别患者（离线）…"]   # the cache path, not 1101
        assert window.local_case is not None and window.person.from_cache
        assert window.patient.name.text() == "沈明"
    finally:
        _restore(app_state, port)
