"""Screenshots of the 住院 screen and its papers (docs/screenshots/), zh_CN, on the embedded training
platform — the stay of tests/integration/test_inpatient_stay.py (张伟, ZY3101182026ST01):

    QT_QPA_PLATFORM=offscreen python -m client.ui.screenshots_inpatient docs/screenshots

* ``inpatient-screen.png``: the screen after the mid-stay settlement, days 3–5 uploaded, discharged,
  the final settlement pre-settled (the deposit netting on screen: surplus 2,885.34 to refund);
* ``deposit-receipt.png``: the receipt of the WeChat deposit (3,000.00) — PDF → pdftoppm -r 110;
* ``discharge-form.png``: the 出院结算单 (form) of the final settlement with the deposit netting.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from client.ui.screenshots import _ecqr, _settle_events, _wait

ZHANG = "310118199001010036"
WX_OK = "134567890123456700"


def _png(pdf: Path, out: Path) -> Path:
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(pdf), str(stem)], check=True)
    return out


def shoot(outdir: Path, data_dir: Path) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from client.security import operators as sec
    from client.services.identify import IdentifyService
    from client.services.inpatient import StayService
    from client.services.sync import SyncService
    from client.ui.app import _apply_look, start_training
    from client.ui.i18n import install_translators
    from client.ui.mainwindow import MainWindow

    app = QApplication.instance()
    translators = install_translators(app, "zh_CN")
    state = start_training(data_dir)
    out: list[Path] = []
    win = None
    try:
        SyncService(state.ctx).run()
        _apply_look(app, state.settings)
        win = MainWindow(state)
        win.resize(1366, 768)
        win.show()
        _settle_events(app, 300)
        op = sec.login(state.operators, "0001", "Train-0001").operator
        win.complete_sign_in(op, opening_float=Decimal("200.00"))
        _wait(app, win, "sign_in")
        _settle_events(app, 500)
        win.identify("ecqr", _ecqr(state, ZHANG))
        _wait(app, win, "identify")
        # the stay so far, through the service (the GUI test drives the same steps with keys)
        ctx = state.ctx
        svc = StayService(ctx, his=state.counter.his)
        person = IdentifyService(ctx).by_certno(ZHANG)
        sid = svc.admit_from_his(person)["stay_id"]
        svc.take_deposit(sid, "2000.00", tendered="2100.00")
        code = svc.take_deposit(sid, "3000.00", method="code", code=WX_OK)
        receipt = Path(data_dir) / "deposit-receipt.pdf"      # printed when taken, as at the counter (F6)
        svc.deposit_receipt(code["deposit_id"], out=receipt)
        out.append(_png(receipt, outdir / "deposit-receipt.png"))
        for day in (1, 2):
            svc.upload(sid, day=day)
        svc.presettle(sid)
        svc.settle(sid)
        svc.upload(sid)
        svc.discharge(sid)
        win.open_inpatient()
        _wait(app, win, "inpt_list")
        screen = win.inpatient_screen
        screen.resize(1366, 768)
        screen.settle()                               # F9: the final pre-settlement (2303)
        _wait(app, screen.win, "inpt_presettle")
        _settle_events(app, 400)
        path = outdir / "inpatient-screen.png"
        screen.grab().save(str(path))
        out.append(path)
        screen.settle()                               # F9 again: 2304, the surplus back to WeChat
        _wait(app, win, "inpt_settle")
        _settle_events(app, 300)
        out.append(_png(Path(screen.last_settle["form_path"]), outdir / "discharge-form.png"))
        screen.reject()
    finally:
        if win is not None:
            win.shutdown()
        state.close()
        for t in translators:
            app.removeTranslator(t)
    return out


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    args = sys.argv[1:] if argv is None else argv
    outdir = Path(args[0] if args else "docs/screenshots")
    outdir.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(["medsettle-screenshots"])  # noqa: F841
    with tempfile.TemporaryDirectory(prefix="medsettle-inpt-shots-") as d:
        for p in shoot(outdir, Path(d)):
            print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
