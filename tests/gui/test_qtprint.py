"""Qt printing offscreen: a PdfFormat QPrinter receives every page of our PDFs (page count and paper
size checked with pdfinfo), the print count is stored and reprints are marked 补打, and direct
printing falls back to the OS spooler (a stand-in ``lp`` on PATH records what it was given)."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from client.config import training_settings
from client.printing import qtprint
from client.printing.common import new_canvas
from client.services import invoicing
from offline_cache.models import Settlement
from offline_cache.store import open_store
from tests.integration.test_invoicing_flow import seed_settlement


def pdfinfo(path: Path) -> dict:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def page_size_pts(info: dict) -> tuple[float, float]:
    m = re.match(r"\s*([\d.]+) x ([\d.]+) pts", info["Page size"])
    return float(m.group(1)), float(m.group(2))


def three_page_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4

    buf = io.BytesIO()
    c = new_canvas(buf, A4, "三页测试")
    for i in range(3):
        c.drawString(100, 700, f"第 {i + 1} 页")
        c.showPage()
    c.save()
    return buf.getvalue()


def test_backend_is_known():
    assert qtprint.backend() in ("qtpdf", "pdftoppm", "spooler")


@pytest.mark.skipif(qtprint.backend() == "spooler", reason="no PDF renderer (QtPdf / pdftoppm) on this machine")
def test_pdf_printer_gets_every_page(qapp, tmp_path):
    out = tmp_path / "printed.pdf"
    assert qtprint.print_pdf_to_file(three_page_pdf(), out, dpi=100) == 3
    info = pdfinfo(out)
    assert int(info["Pages"]) == 3 and out.stat().st_size > 5000
    w, h = page_size_pts(info)
    assert abs(w - 595.3) < 3 and abs(h - 841.9) < 3  # A4 kept


@pytest.fixture
def seeded(tmp_path):
    settings = training_settings("http://127.0.0.1:9", tmp_path / "data")
    store = open_store(tmp_path / "data" / "medsettle.sqlite3")
    sid = seed_settlement(store)
    yield settings, store, sid
    store.close()


@pytest.mark.skipif(qtprint.backend() == "spooler", reason="no PDF renderer (QtPdf / pdftoppm) on this machine")
def test_print_document_counts_prints_and_marks_reprints(qapp, seeded, tmp_path):
    from tests.gui.conftest import record_leak_root

    record_leak_root(tmp_path)          # the store and every printed PDF: scanned when the session ends
    settings, store, sid = seeded
    record = invoicing.document_record(store, sid, settings)
    begin = lambda: invoicing.begin_print(store, sid)  # noqa: E731
    first = qtprint.print_document(record, "form", begin, printers=settings.printers, mode="file",
                                   to_file=tmp_path / "form1.pdf")
    assert first["flags"]["reprint"] is False and first["pages"] == 1
    w, h = page_size_pts(pdfinfo(tmp_path / "form1.pdf"))
    assert abs(w - 683.1) < 3 and abs(h - 396.9) < 3  # 241 × 140 mm landscape form
    second = qtprint.print_document(record, "slip", begin, printers=settings.printers, mode="file",
                                    to_file=tmp_path / "slip2.pdf")
    assert second["flags"] == {**record["flags"], "reprint": True, "print_count": 1}
    assert int(pdfinfo(tmp_path / "slip2.pdf")["Pages"]) == 1
    with store.read_session() as s:
        assert s.get(Settlement, sid).print_count == 2
    # what was printed the second time carries the 补打 mark
    pdf = qtprint.render_document(dict(record, flags=second["flags"]), "slip")
    (tmp_path / "slip2-src.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "slip2-src.pdf"), "-"], capture_output=True, text=True).stdout
    assert "补打（第1次）" in text
    with pytest.raises(qtprint.PrintError, match="未知的单据类型"):
        qtprint.print_document(record, "poster", begin, mode="file", to_file=tmp_path / "x.pdf")
    with store.read_session() as s:
        assert s.get(Settlement, sid).print_count == 2  # a refused request counts nothing


def test_direct_print_without_qt_printers_uses_the_spooler(qapp, tmp_path, monkeypatch):
    from PySide6.QtPrintSupport import QPrinterInfo

    if QPrinterInfo.availablePrinters():
        pytest.skip("this machine has real printers; the spooler fallback is not taken")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "lp.log"
    lp = bindir / "lp"
    lp.write_text(f"#!/bin/sh\necho \"$@\" > {log}\nfor last; do :; done\ncp \"$last\" {tmp_path / 'spooled.pdf'}\n"
                  "echo 'request id is Receipt-01-1 (1 file(s))'\n")
    lp.chmod(lp.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    pdf = three_page_pdf()
    assert qtprint.print_pdf(pdf, "Receipt-01", copies=2) == "spooler"
    assert log.read_text().split()[:4] == ["-d", "Receipt-01", "-n", "2"]
    assert (tmp_path / "spooled.pdf").read_bytes() == pdf
    # a failing spooler gives a Chinese message naming the printer
    lp.write_text("#!/bin/sh\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n")
    with pytest.raises(qtprint.PrintError, match="Receipt-09.*拒绝打印"):
        qtprint.print_pdf(pdf, "Receipt-09")
