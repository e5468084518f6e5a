"""The counter's use cases without Qt (services.cashdesk.CashDesk + services.receipts.Receipts):
settle → receipt → reprint → 交班 with the Z report, against the training platform on 127.0.0.1 and
a real SQLite store; the slip PDF is read back with pdftotext."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from client.services.cashdesk import CashDesk
from client.services.checkout import Counter
from client.services.payments import Tender

from .test_services_checkout import SHEN, make_window


def _text(path: str) -> str:
    return subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout


def test_use_cases_import_no_qt():
    code = ("import sys, client.services.cashdesk, client.services.receipts, client.services.housekeeping, "
            "client.services.checkout; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')); "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_settle_receipt_reprint_and_shift_close_without_qt(platform, tmp_path):
    ctx = make_window(platform, tmp_path / "w")          # synced, shift opened with a 200.00 float
    try:
        counter = Counter(ctx)
        desk = CashDesk(ctx, counter=counter)
        counter.identify_certno(SHEN)
        counter.start_outpatient("11")
        counter.add_line("001102000010000", "1")
        trial = counter.presettle("0")
        due = trial.psn_cash_pay
        rec = desk.finish_settlement(counter.settle([Tender("cash", due)]))
        si = rec["setlinfo"]
        # the settlement identity to the fen: fund + account + cash = total
        assert (Decimal(si["fund_pay_sumamt"]) + Decimal(si["acct_pay"]) + Decimal(si["psn_cash_pay"])
                == Decimal(si["medfee_sumamt"]))
        assert rec["flags"]["print_count"] == 0 and not rec["flags"]["reprint"]      # the original
        slip = _text(rec["_receipt_path"])
        assert "330421********0016" in slip and SHEN not in slip and "补打" not in slip
        assert si["setl_id"] in slip or rec["setl_id"] in slip

        again = desk.print_receipt(rec["settlement_id"], reprint=True)
        assert again["flags"] == {"training": True, "offline": False, "reprint": True, "print_count": 1}
        assert Path(again["_receipt_path"]).name.endswith("-reprint1.pdf")          # 补打（第1次）
        assert "补打" in _text(again["_receipt_path"])

        form = desk.receipts.print(rec["settlement_id"], kind="form", out=tmp_path / "form.pdf")
        assert form["flags"]["print_count"] == 2 and (tmp_path / "form.pdf").stat().st_size > 1000
        with ctx.store.read_connection() as conn:
            prints = conn.exec_driver_sql("SELECT count(*) FROM audit_events WHERE action = 'receipt.print'").scalar()
        assert prints == 3

        state = desk.shift_state(ctx.operator.opter)
        assert state["blockers"]["outbox"]                    # the e-invoice upload is still queued
        desk.drain()                                          # housekeeping: outbox, then e-invoices
        state = desk.shift_state(ctx.operator.opter)
        assert not state["blockers"]["outbox"] and not state["blockers"]["unknown_settlements"]
        counted = {"cash": Decimal("200.00") + due}       # the float plus the cash taken
        out = desk.close_shift(state["shift_id"], counted)
        assert out["zreport_path"] and Path(out["zreport_path"]).stat().st_size > 1000
        assert desk.current_shift(ctx.operator.opter) is None
    finally:
        ctx.close()
