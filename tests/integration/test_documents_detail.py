"""The fee detail list (医疗收费明细): pagination, per-page subtotal, running and grand totals,
headers on every page, masked ID, embedded fonts — read back from the real PDF with pdftotext."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest

from client.printing.common import DocumentError
from client.printing.detail_list import ROWS_PER_PAGE, page_count, render_detail_list
from tests.integration.test_documents_pdf import amount_after, fonts_of
from tests.unit.test_invoice_fixtures import CASES, big_record, build_record, find_unmasked_ids

# 序号 编码 ... 单价 金额 等级 — 金额 is the amount just before the level mark
_ROW = re.compile(r"^\s*(\d+)\s+\S+.*?\s(-?[\d,]+\.\d{2})\s+(-?[\d,]+\.\d{2})\s+(甲|乙|丙|—)\s+[\d.]+%")


def _pages(path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [p for p in out.split("\f") if p.strip()]


def _dec(s: str) -> Decimal:
    return Decimal(s.replace(",", ""))


def test_page_count_formula():
    assert page_count(0) == 1 and page_count(1) == 1
    assert page_count(ROWS_PER_PAGE) == 1 and page_count(ROWS_PER_PAGE + 1) == 2
    assert ROWS_PER_PAGE >= 40  # legible rows, still dense


def test_3000_lines_paginate_and_add_up(tmp_path):
    rec = big_record(3000)
    path = tmp_path / "detail.pdf"
    render_detail_list(rec, path)
    pages = _pages(path)
    n = page_count(3000)
    assert len(pages) == n == -(-3000 // ROWS_PER_PAGE)
    certno = rec["person"]["certno"]
    masked = certno[:6] + "********" + certno[-4:]
    running = Decimal("0")
    serials = []
    for i, page in enumerate(pages, start=1):
        assert f"第 {i} / {n} 页" in page
        assert masked in page and rec["visit"]["ipt_otp_no"] in page and "2021-11-02 至 2021-11-20" in page
        assert "医疗收费明细" in page and rec["person"]["psn_name"] in page
        rows = [_ROW.match(line) for line in page.splitlines()]
        rows = [r for r in rows if r]
        expected_rows = ROWS_PER_PAGE if i < n else 3000 - ROWS_PER_PAGE * (n - 1)
        assert len(rows) == expected_rows, (i, page[:2000])
        serials += [int(r.group(1)) for r in rows]
        page_sum = sum(_dec(r.group(3)) for r in rows)
        assert amount_after(page, "本页小计") == page_sum
        running += page_sum
        assert amount_after(page, "累计") == running
    assert serials == list(range(1, 3001))
    assert running == Decimal(rec["setlinfo"]["medfee_sumamt"])
    assert amount_after(pages[-1], "合计（医疗费总额）") == Decimal(rec["setlinfo"]["medfee_sumamt"])
    assert all("合计（医疗费总额）" not in p for p in pages[:-1])
    assert find_unmasked_ids("\n".join(pages)) == [] and certno not in "".join(pages)
    assert all(emb == "yes" for _, emb in fonts_of(path))


@pytest.mark.parametrize("name", CASES)
def test_example_detail_lists(tmp_path, name):
    rec = build_record(name, training=True, reprint=True, print_count=3)
    path = tmp_path / "d.pdf"
    render_detail_list(rec, path)
    pages = _pages(path)
    assert len(pages) == 1
    page = pages[0]
    assert "培训模式" in page and "补打（第3次）" in page
    for ln in rec["lines"]:
        assert ln["name"] in page
    assert amount_after(page, "合计（医疗费总额）") == Decimal(rec["setlinfo"]["medfee_sumamt"])
    assert all(emb == "yes" for _, emb in fonts_of(path))
    assert find_unmasked_ids(page) == []
    assert render_detail_list(rec) == path.read_bytes()  # deterministic


def test_lines_not_adding_up_are_refused(tmp_path):
    rec = build_record("01-zone-outpatient")
    rec["lines"][0]["det_item_fee_sumamt"] = "75.40"
    with pytest.raises(DocumentError, match="不一致"):
        render_detail_list(rec, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
