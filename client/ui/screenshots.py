"""Regenerate the documentation screenshots of the real window (offscreen, 1366×768).

    QT_QPA_PLATFORM=offscreen python -m client.ui.screenshots docs/screenshots

Drives the window on the embedded training platform through the main states, in zh_CN and en:
``window-<lang>-signin.png``, ``-password.png`` (forced change of an initial password), ``-patient.png`` (identified, HIS charges), ``-settled.png``,
``-trace.png`` ("why this amount"), ``-offline.png`` (offline provisional settlement, F5),
``-offline-settled.png`` (settled offline, receipt 离线结算), ``-shift.png`` (shift close blocked by
the queued offline settlement).
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime
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


def shoot(outdir: Path, lang: str, data_dir: Path) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from client.security import operators as sec
    from client.services.sync import SyncService
    from client.ui import dialogs
    from client.ui.app import _apply_look, start_training
    from client.ui.i18n import install_translators
    from client.ui.mainwindow import MainWindow

    app = QApplication.instance()
    translators = install_translators(app, lang)
    state = start_training(data_dir)
    out: list[Path] = []
    win = None
    try:
        SyncService(state.ctx).run()
        _apply_look(app, state.settings)
        win = MainWindow(state)
        win.resize(1366, 768)
        win.show()
        _settle_events(app)

        def save(pixmap, name: str) -> None:
            path = outdir / f"window-{lang}-{name}.png"
            pixmap.save(str(path))
            out.append(path)

        signin = dialogs.SignInDialog(lambda c, p: "", institution=state.settings.site.fixmedins_name,
                                      training_hint=state.training_hint(), parent=win)
        signin.code.setText("0001")
        signin.show()
        _settle_events(app)
        save(_composite(win, signin), "signin")
        signin.close()

        change = dialogs.ChangePasswordDialog(lambda new: "", operator_label="0001 培训收费员",
                                              min_length=state.settings.security.min_password_length,
                                              training=state.training, parent=win)
        change.show()
        _settle_events(app)
        save(_composite(win, change), "password")
        change.close()

        op = sec.login(state.operators, "0001", "Train-0001").operator
        win.complete_sign_in(op)
        _wait(app, win, "sign_in")
        win.set_online(True, 0)
        win.identify("ecqr", _ecqr(state, SHEN_MING))
        _wait(app, win, "identify")
        win.load_his()
        _wait(app, win, "his")
        win.clear_message()
        _settle_events(app)
        save(win.grab(), "patient")

        win.presettle()
        _wait(app, win, "presettle")
        win.payment.tendered.setText("200")
        win.state.counter.acknowledge_prechecks("all", "screenshots")   # no 事前提醒 dialog in the pictures
        win.settle()
        _wait(app, win, "settle")
        win.clear_message()
        _settle_events(app)
        save(win.grab(), "settled")

        tdlg = win.trace_dialog()
        tdlg.resize(960, 600)
        tdlg.show()
        _settle_events(app)
        save(_composite(win, tdlg, fit=False), "trace")
        tdlg.close()

        win.cancel()
        win.show_last_sync(datetime.now().strftime("%H:%M"))   # the clock of the session shown beside it
        # offline emergency settlement: the platform stops answering, the cached patient is
        # identified by ID number, an item from the local catalogue, F5 = provisional amount
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
        save(win.grab(), "offline")

        win.payment.tendered.setText("50")
        win.settle()
        _wait(app, win, "settle")
        _settle_events(app)
        save(win.grab(), "offline-settled")

        info = state.shift_state(op.code)
        sdlg = dialogs.ShiftCloseDialog(info["summary"], info["blockers"], lambda _r: None, online=False,
                                        parent=win)
        sdlg.counted_cash.setText("120.00")
        sdlg.show()
        _settle_events(app)
        save(_composite(win, sdlg), "shift")
        sdlg.close()
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
