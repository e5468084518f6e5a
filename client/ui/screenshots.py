"""Regenerate the documentation screenshots of the real window at 1366×768.

    xvfb-run -a -s "-screen 0 1366x768x24" sh -c 'openbox & sleep 1; python -m client.ui.screenshots docs/screenshots'

On a real X display with a window manager the window is maximised as the cashier sees it and the whole
screen is grabbed (title bar included, dialogs where the window manager puts them); without a display
(offscreen) the window is grabbed alone and dialogs are drawn over it.

Drives the window on the embedded training platform through the main states, in zh_CN and en:
``window-<lang>-signin.png``, ``-password.png`` (forced change of an initial password), ``-patient.png`` (identified, HIS charges), ``-settled.png``,
``-trace.png`` ("why this amount"), ``-offline.png`` (offline full self-pay pending 补结算, F5),
``-offline-settled.png`` (settled offline, receipt 离线结算), ``-shift.png`` (shift close blocked by
the queued offline settlement, an over/short confirmed), ``-today.png`` (今日结算), ``-his-bills.png``
(two unpaid HIS bills), ``-inpatient-warnings.png`` (the 12-warning inpatient case, grouped),
``-selfpay.png`` (转自费 for a suspended patient).
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

SHEN_MING = "330421198503150016"


def _wait(app, win, step: str, timeout_s: float = 60) -> None:
    import time

    from PySide6.QtCore import QEventLoop

    box: dict = {}
    loop = QEventLoop()

    def done(s: str) -> None:
        if s == step:
            box["ok"] = True

    def failed(s: str, m: str) -> None:
        if s == step:
            box["failed"] = m

    win.step_done.connect(done)
    win.step_failed.connect(failed)
    end = time.monotonic() + timeout_s
    try:
        while not box and time.monotonic() < end:
            loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.005)
    finally:
        win.step_done.disconnect(done)
        win.step_failed.disconnect(failed)
    if "failed" in box:
        raise RuntimeError(f"{step} failed: {box['failed']}")
    if not box:
        raise RuntimeError(f"{step} timed out")


def _settle_events(app, ms: int = 300) -> None:
    import time

    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()        # QCoreApplication.processEvents() leaks a reference to None per call in
    end = time.monotonic() + ms / 1000     # PySide6 6.12 (crashes long runs); QEventLoop's does not
    while time.monotonic() < end:
        loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.01)


def _composite(win, dialog, fit: bool = True):
    """The window with ``dialog`` drawn centred on it (QWidget.grab() does not include dialogs)."""
    from PySide6.QtGui import QColor, QPainter

    base = win.grab()
    if fit:
        dialog.adjustSize()
    pic = dialog.grab()
    p = QPainter(base)
    p.fillRect(base.rect(), QColor(0, 0, 0, 70))
    x = (base.width() - pic.width()) // 2
    y = (base.height() - pic.height()) // 2
    p.setPen(QColor("#5b6675"))
    p.drawRect(x - 1, y - 1, pic.width() + 1, pic.height() + 1)
    p.drawPixmap(x, y, pic)
    p.end()
    return base


def _ecqr(state, certno: str) -> str:
    import sqlite3

    db = Path(state.platform.data_dir) / "platform.sqlite3"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT ecqr FROM people WHERE certno = ?", (certno,)).fetchone()[0]
    finally:
        conn.close()


SUSPENDED = "310101194805170983"      # 曾淑珍: insurance suspended → 转自费
TWO_BILLS = "330421195701184838"      # 余军: two unpaid HIS bills
INPATIENT = "320509194610059681"      # 林佳怡: 61-line inpatient bill, 12 事前提醒


def _on_screen() -> bool:
    """A real X display with a window manager (xvfb-run + openbox): whole-screen grabs, title bar included."""
    import os

    return os.environ.get("QT_QPA_PLATFORM", "xcb") == "xcb" and bool(os.environ.get("DISPLAY"))


def shoot(outdir: Path, lang: str, data_dir: Path) -> list[Path]:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from client.security import operators as sec
    from client.services.cashdesk import today_settlements
    from client.services.sync import SyncService
    from client.ui import dialogs
    from client.ui.app import _apply_look, show_main_window, start_training
    from client.ui.i18n import install_translators
    from client.ui.mainwindow import MainWindow

    app = QApplication.instance()
    translators = install_translators(app, lang)
    state = start_training(data_dir)
    out: list[Path] = []
    win = None
    screen = _on_screen()
    try:
        SyncService(state.ctx).run()
        _apply_look(app, state.settings)
        win = MainWindow(state)
        if screen:
            show_main_window(win)
        else:
            win.resize(1366, 768)
            win.show()
        _settle_events(app, 800 if screen else 300)

        def save(name: str, dialog=None, fit: bool = True) -> None:
            path = outdir / f"window-{lang}-{name}.png"
            if screen:
                if dialog is not None:
                    if fit:
                        dialog.adjustSize()
                    dialog.show()
                    dialog.raise_()
                    _settle_events(app, 600)
                pixmap = win.screen().grabWindow(0)
            else:
                pixmap = _composite(win, dialog, fit=fit) if dialog is not None else win.grab()
            pixmap.save(str(path))
            out.append(path)
            if dialog is not None:
                dialog.close()

        signin = dialogs.SignInDialog(lambda c, p: "", institution=state.settings.site.fixmedins_name,
                                      training_hint=state.training_hint(), parent=win)
        signin.code.setText("0001")
        save("signin", signin)

        change = dialogs.ChangePasswordDialog(lambda new: "", operator_label="0001 培训收费员",
                                              min_length=state.settings.security.min_password_length,
                                              training=state.training, parent=win)
        save("password", change)

        op = sec.login(state.operators, "0001", "Train-0001").operator
        win.complete_sign_in(op, opening_float=Decimal("200.00"))
        _wait(app, win, "sign_in")
        _settle_events(app, 500)
        win.set_online(True, 0)
        win.identify("ecqr", _ecqr(state, SHEN_MING))
        _wait(app, win, "identify")
        win.load_his()
        _wait(app, win, "his")
        win.presettle()
        _wait(app, win, "presettle")
        win.clear_message()
        _settle_events(app)
        save("patient")

        win.payment.tendered.setText("200")
        win.state.counter.acknowledge_prechecks("all", "screenshots")   # the dialog is shown on its own below
        win.settle()
        _wait(app, win, "settle")
        win.clear_message()
        _settle_events(app)
        save("settled")

        tdlg = win.trace_dialog()
        tdlg.resize(960, 560)
        save("trace", tdlg, fit=False)

        win.cancel()
        win.cancel()
        win.show_last_sync(datetime.now().strftime("%H:%M"))   # the clock of the session shown beside it
        # 今日结算
        rows = today_settlements(state.ctx.store)
        today = dialogs.TodaySettlementsDialog(rows, purpose=QCoreApplication.translate(
            "MainWindow", "Choose the settlement to REPRINT (Enter). A supervisor authorizes it next."), parent=win)
        save("today", today, fit=False)

        # several HIS bills
        win.identify("ecqr", _ecqr(state, TWO_BILLS))
        _wait(app, win, "identify")
        bills = win.state.counter.pending_bills()
        bdlg = dialogs.HisBillsDialog(bills, {0, 1}, parent=win)
        save("his-bills", bdlg, fit=False)
        win.cancel()

        # the 12-warning inpatient case: presettled, the grouped 事前提醒 before F9
        win.identify("ecqr", _ecqr(state, INPATIENT))
        _wait(app, win, "identify")
        win.start_inpatient()
        counter = win.state.counter
        counter.load_his([b.ipt_otp_no for b in counter.pending_bills() if b.med_type.startswith("2")])
        win._his_loaded(None)
        win.presettle()
        _wait(app, win, "presettle", 90)
        _settle_events(app)
        save("inpatient-warnings", dialogs.PrecheckDialog(counter.trial.prechecks, parent=win), fit=False)
        win.cancel()
        win.cancel()

        # 转自费 for a suspended patient
        win.identify("ecqr", _ecqr(state, SUSPENDED))
        _wait(app, win, "identify")
        from client.services.cashdesk import SELF_PAY_REASONS
        from client.ui.daywork import _self_pay_labels

        labels = {k: v for k, v in _self_pay_labels().items() if k in SELF_PAY_REASONS}
        sp = dialogs.SelfPayDialog(labels, name=win.person.name, masked_certno=win.person.masked_certno,
                                   default="suspended", parent=win)
        save("selfpay", sp)
        win.cancel()

        # offline emergency settlement: the platform stops answering, the cached patient is
        # identified by ID number, an item from the local catalogue, F5 = full self-pay pending 补结算 (the default)
        state.platform.stop()
        win.check_connectivity()
        _wait(app, win, "connectivity")
        win.identify("certno", SHEN_MING)
        _wait(app, win, "identify")
        from offline_cache.catalog import search

        item = search(state.ctx.store, state.settings.site.admdvs, "blg", limit=1)[0]
        win.add_code(item.med_list_codg, "2")
        _wait(app, win, "add")
        win.presettle()
        _wait(app, win, "presettle")
        win.payment.tendered.setText("50")
        _settle_events(app)
        save("offline")

        win.settle()
        _wait(app, win, "settle")
        _settle_events(app)
        save("offline-settled")

        info = state.desk.shift_state(op.code)
        sdlg = dialogs.ShiftCloseDialog(info["summary"], info["blockers"], lambda _r: None, online=False,
                                        parent=win)
        sdlg.counted_cash.setText("120.00")
        sdlg.confirm_difference.setChecked(True)
        sdlg.difference_reason.setText("找零差错")
        save("shift", sdlg)
    finally:
        if win is not None:
            win.shutdown()
            win.close()
        state.close()
        for t in translators:
            app.removeTranslator(t)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    outdir = Path(argv[0] if argv else "docs/screenshots")
    outdir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("MEDSETTLE_NO_USER_DIRS", "1")
    from client.ui.app import make_application

    app, translators = make_application(lang="en")
    for t in translators:
        app.removeTranslator(t)
    written = []
    with tempfile.TemporaryDirectory(prefix="medsettle-shots-") as tmp:
        for lang in ("zh_CN", "en"):
            written += shoot(outdir, lang, Path(tmp) / lang)
    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
