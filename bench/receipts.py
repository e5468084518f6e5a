"""Benchmark: document rendering speed (run: .venv/bin/python bench/receipts.py [--repeat N]).

Measures, in one process, the median wall time of
  * baseline   — an empty one-page ReportLab canvas that draws one string with the same CJK font
                 (so the font subset embedding cost is in the baseline too);
  * form       — the outpatient settlement form (example 01, with e-invoice and QR);  floor ≤ 150 ms
  * slip       — the 80 mm thermal slip of the same record;
  * detail3000 — a 3,000-line inpatient fee detail list;                            floor ≤ 3 s
and prints each figure with its ratio to the baseline. Exit status 1 if a floor is missed.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportlab.pdfgen import canvas  # noqa: E402

from client.domain.invoice import build_invoice  # noqa: E402
from client.printing.detail_list import render_detail_list  # noqa: E402
from client.printing.documents import render_form, render_slip  # noqa: E402
from client.printing.fonts import register  # noqa: E402
from tests.unit.test_invoice_fixtures import big_record, build_record  # noqa: E402


def _baseline() -> bytes:
    buf = io.BytesIO()
    font = register()
    c = canvas.Canvas(buf, invariant=1, initialFontName=font)
    c.setFont(font, 12)
    c.drawString(72, 720, "医保结算 0123456789")
    c.showPage()
    c.save()
    return buf.getvalue()


def _median(fn, repeat: int) -> float:
    fn()  # warm-up (font parsing, imports)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    rec = build_record("01-zone-outpatient")
    rec["einvoice"] = build_invoice(rec, "31010125", "0000000101", "a1b2c3", datetime(2021, 7, 13, 10, 13))
    big = big_record(3000)
    base = _median(_baseline, args.repeat)
    results = [
        ("form (outpatient, 241x140)", _median(lambda: render_form(rec), args.repeat), 0.150),
        ("slip (80 mm thermal)", _median(lambda: render_slip(rec), args.repeat), None),
        ("detail list, 3,000 lines", _median(lambda: render_detail_list(big), max(3, args.repeat // 5)), 3.0),
    ]
    print(f"{'document':32} {'median':>10} {'x baseline':>11} {'floor':>9}")
    print(f"{'baseline (1-page canvas, CJK)':32} {base * 1000:8.1f}ms {1:>10.1f}x {'':>9}")
    ok = True
    for name, t, floor in results:
        mark = "" if floor is None else (f"{floor * 1000:.0f}ms" + (" OK" if t <= floor else " MISS"))
        ok &= floor is None or t <= floor
        print(f"{name:32} {t * 1000:8.1f}ms {t / base:>10.1f}x {mark:>9}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
