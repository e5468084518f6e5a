"""The event loop stays responsive while a long sync runs in the worker (QTimer heartbeat), and the
idle lock only opens with the same operator's password."""

from __future__ import annotations

import time

import requests
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import CASHIER_PASSWORD, SUPERVISOR_PASSWORD, expect_step, press, sign_in


def test_gui_event_loop_responsive_during_long_sync(qtbot, window, app_state):
    sign_in(qtbot, window)
    url = app_state.platform.url
    requests.post(url + "/admin/fault", json={"mode": "latency", "delay_ms": 300}, timeout=5).raise_for_status()
    gaps = []
    last = [time.monotonic()]

    def beat():
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    hb = QTimer()
    hb.setInterval(10)
    hb.timeout.connect(beat)
    hb.start()
    try:
        with expect_step(qtbot, window, "sync", timeout=120000) as r:
            press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        started = len(gaps)
    finally:
        hb.stop()
        requests.post(url + "/admin/fault", json={"clear": True}, timeout=5)
    assert r.get("ok"), r
    assert started > 50                               # the loop kept ticking during the whole sync
    stall = max(gaps) * 1000
    print(f"\nsync with 300 ms latency per request: {len(gaps)} heartbeats, max event-loop stall {stall:.0f} ms")
    assert stall < 500
    assert window.sync_dialog.close_button.isEnabled()
    window.sync_dialog.accept()


def test_gui_idle_lock_same_operator_unlocks(qtbot, window):
    from client.ui.dialogs import SignInDialog

    sign_in(qtbot, window)
    press(Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.locked
    dlg = QApplication.activeModalWidget()
    assert isinstance(dlg, SignInDialog)
    assert dlg.code.isReadOnly() and dlg.code.text() == "0001"
    dlg.password.setText(SUPERVISOR_PASSWORD)                # another operator's password: refused
    dlg.accept()
    assert dlg.isVisible() and dlg.error.text()
    assert window.locked
    with expect_step(qtbot, window, "unlock") as r:
        dlg.password.setText(CASHIER_PASSWORD)
        dlg.accept()
    assert r.get("ok")
    assert not window.locked and window.operator.code == "0001"
