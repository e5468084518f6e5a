"""Run under a real X server with a window manager (tests/gui/test_gui_layout_wm.py starts it):
the maximised cashier window at 1366×768 with a title bar, the 12-warning inpatient case on screen
with its message bar and a settled outpatient with its confirmation line. Prints one JSON line with
what lies outside the screen's available area (nothing should)."""

from __future__ import annotations

import json
import sys
import tempfile
from decimal import Decimal
from pathlib import Path


def main() -> int:
    from PySide6.QtCore import QEventLoop, QPoint, QTimer

    from client.security import operators as sec
    from client.services.sync import SyncService
    from client.ui.app import _apply_look, make_application, show_main_window, start_training
    from client.ui.mainwindow import MainWindow
    from client.ui.screenshots import INPATIENT, _ecqr, _settle_events, _wait

    app, _tr = make_application(lang=sys.argv[1] if len(sys.argv) > 1 else "zh_CN")
    out: dict = {"problems": []}
    with tempfile.TemporaryDirectory() as tmp:
        state = start_training(Path(tmp))
        win = None
        try:
            SyncService(state.ctx).run()
            _apply_look(app, state.settings)
            win = MainWindow(state)
            show_main_window(win)
            _settle_events(app, 1500)
            op = sec.login(state.operators, "0001", "Train-0001").operator
            win.complete_sign_in(op, opening_float=Decimal("200.00"))
            _wait(app, win, "sign_in")
            _settle_events(app, 800)
            win.identify("ecqr", _ecqr(state, INPATIENT))
            _wait(app, win, "identify")
            win.start_inpatient()
            counter = win.state.counter
            counter.load_his([b.ipt_otp_no for b in counter.pending_bills() if b.med_type.startswith("2")])
            win._his_loaded(None)
            win.presettle()
            _wait(app, win, "presettle", 90)
            win.confirmation.setText("已结算 · 结算号 3101182026120200000001 · 找零 ¥ 22.46 · 电子票据 31060126-0000000001 · "
                                     "票据 3101182026120200000001.pdf · 还有 1 张未缴费单据：MZ310118202611210027 2026-11-21 "
                                     "内科 周建华 ¥43.20")
            win.confirmation.show()
            _settle_events(app, 800)
            avail = win.screen().availableGeometry()
            frame = win.frameGeometry()
            out.update(maximized=win.isMaximized(), screen=[avail.width(), avail.height()],
                       frame=[frame.x(), frame.y(), frame.width(), frame.height()],
                       warnings=len(counter.trial.prechecks), message_visible=win.message.isVisible())
            widgets = {f"button {n}": b for n, b in win.buttons.items()}
            widgets.update({"status bar": win.statusBar(), "confirmation": win.confirmation,
                            "message bar": win.message, "settlement panel": win.settlement,
                            "payment panel": win.payment})
            for name, w in widgets.items():
                if not w.isVisible():
                    out["problems"].append(f"{name} not visible")
                    continue
                tl = w.mapToGlobal(QPoint(0, 0))
                br = w.mapToGlobal(QPoint(w.width() - 1, w.height() - 1))
                if not (avail.contains(tl) and avail.contains(br)):
                    out["problems"].append(f"{name} at {tl.x()},{tl.y()}–{br.x()},{br.y()} outside {avail.width()}x"
                                           f"{avail.height()}")
            if frame.height() > avail.height() or frame.width() > avail.width():
                out["problems"].append(f"window frame {frame.width()}x{frame.height()} larger than the screen")
        finally:
            if win is not None:
                win.shutdown()
                win.close()
            state.close()
    loop = QEventLoop()
    QTimer.singleShot(0, loop.quit)
    loop.exec()
    print("LAYOUT " + json.dumps(out, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
