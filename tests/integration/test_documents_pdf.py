"""Real PDFs of the settlement form and thermal slip, checked with poppler (pdffonts, pdftotext,
pdftoppm) and pyzbar: embedded fonts only, the record's amounts to the fen, masked IDs, marks, QR."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from decimal import Decimal

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from client.domain.invoice import build_invoice, build_red_letter, settlement_payload, verification_payload
from client.domain.money import rmb_upper
from client.printing.common import DocumentError
from client.printing.detail_list import render_detail_list
from client.printing.documents import render_form, render_slip
from tests.unit.test_invoice_fixtures import CASES, build_record, find_unmasked_ids

WHEN = datetime(2021, 7, 13, 10, 13, 5)
VARIANTS = {
    "normal": {},
    "training": {"training": True},
    "offline": {"offline": True},
    "reprint": {"reprint": True, "print_count": 2},
    "self_pay": {"offline": True, "self_pay": True},
}
_FONT_ROW = re.compile(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$")


def _record(name, variant="normal", invoice=True):
    flags = dict(VARIANTS[variant])
    self_pay = flags.pop("self_pay", False)
    rec = build_record(name, **flags)
    rec["flags"]["self_pay"] = self_pay
    if invoice:
        rec["einvoice"] = build_invoice(rec, "31010125", "0000000101", "a1b2c3", WHEN)
    return rec


def fonts_of(path) -> list[tuple[str, str]]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    result = []
    for row in rows:
        m = _FONT_ROW.search(row)
        assert m, row
        result.append((row.split()[0], m.group(1)))
    return result


def text_of(path) -> str:
    """Text in content-stream order (-raw): a label and its amount are one drawn string, and the
    rotated training watermark cannot interleave with them as it does in -layout mode."""
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def amount_after(text: str, label: str) -> Decimal:
    m = re.search(re.escape(label) + r"\s*[：:]?\s*(?:¥\s*)?(-?[\d,]+\.\d{2})", text)
    assert m, f"{label} not found in:\n{text}"
    return Decimal(m.group(1).replace(",", ""))


def qr_of(path) -> list[bytes]:
    png_base = path.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(path), str(png_base)], check=True)
    return [d.data for d in decode(Image.open(str(png_base) + ".png"))]


def _check_common(path, rec):
    assert all(emb == "yes" for _, emb in fonts_of(path)), fonts_of(path)
    assert all("WenQuanYi" in name for name, _ in fonts_of(path))
    text = text_of(path)
    certno = rec["person"]["certno"]
    assert certno not in text and find_unmasked_ids(text) == []
    assert certno[:6] + "********" + certno[-4:] in text
    assert rec["person"]["psn_name"] in text
    return text


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", CASES)
def test_form(tmp_path, name, variant):
    rec = _record(name, variant)
    s = rec["setlinfo"]
    path = tmp_path / "form.pdf"
    data = render_form(rec, path)
    assert path.read_bytes() == data and data.startswith(b"%PDF")
    text = _check_common(path, rec)
    inpatient = rec["visit"]["med_type"].startswith("2")
    assert ("医疗住院收费票据" if inpatient else "医疗门诊收费票据") in text
    for label in ("票据代码", "票据号码", "校验码", "交款人", "性别", "医保类型", "参保地", "医疗机构类型",
                  "住院号" if inpatient else "门诊号", "住院日期" if inpatient else "就诊日期", "收款人"):
        assert label in text, label
    assert "31010125" in text and "0000000101" in text and "a1b2c3" in text
    D = Decimal
    assert amount_after(text, "（小写）") == D(s["medfee_sumamt"])
    assert amount_after(text, "医保统筹基金支付") == D(s["hifp_pay"])
    assert amount_after(text, "其他支付") == sum(D(s[f]) for f in ("cvlserv_pay", "hifes_pay", "hifmi_pay",
                                                              "hifob_pay", "maf_pay", "oth_pay"))
    assert amount_after(text, "个人账户支付") == D(s["acct_pay"])
    assert amount_after(text, "个人现金支付") == D(s["psn_cash_pay"])
    assert amount_after(text, "个人自付") == D(rec["invoice_split"]["self_pay"])
    assert amount_after(text, "个人自费") == D(rec["invoice_split"]["self_cost"])
    assert amount_after(text, "个人账户余额") == D(s["balc"])
    assert rmb_upper(D(s["medfee_sumamt"])) in text.replace(" ", "")
    assert rec["setl_id"] in text and rec["medins_setl_id"] in text
    # fee categories: every category amount printed equals the sum of its lines
    cats = {}
    for ln in rec["lines"]:
        cats[ln["med_chrgitm_type"]] = cats.get(ln["med_chrgitm_type"], D(0)) + D(ln["det_item_fee_sumamt"])
    from client.domain.invoice import FEE_CATEGORIES
    for code, amt in cats.items():
        assert amount_after(text, FEE_CATEGORIES[code]) == amt
    marks = {"training": "培训模式", "offline": "离线结算", "reprint": "补打（第2次）", "self_pay": "全自费（非医保结算）"}
    for v, mark in marks.items():
        assert (mark in text) == (v == variant), (mark, variant)
    # deterministic bytes
    assert render_form(rec) == data


@pytest.mark.parametrize("variant", ["normal", "training", "offline", "reprint", "self_pay"])
@pytest.mark.parametrize("name", CASES)
def test_slip(tmp_path, name, variant):
    rec = _record(name, variant)
    s = rec["setlinfo"]
    path = tmp_path / "slip.pdf"
    render_slip(rec, path)
    text = _check_common(path, rec)
    assert "医保结算凭条" in text
    assert amount_after(text, "医疗费总额") == Decimal(s["medfee_sumamt"])
    assert amount_after(text, "基金支付") == Decimal(s["fund_pay_sumamt"])
    assert amount_after(text, "个人账户") == Decimal(s["acct_pay"])
    assert amount_after(text, "个人现金") == Decimal(s["psn_cash_pay"])
    for p in rec["payments"]:
        assert Decimal(p["amount"]) == amount_after(text, {"cash": "现金", "bank_card": "银行卡",
                                                           "wechat": "微信支付"}[p["method"]])
        if p.get("change"):
            assert amount_after(text, "找零") == Decimal(p["change"])
    from client.printing.common import region_name
    assert region_name(rec["person"]["insuplc_admdvs"]) in text
    assert rec["setl_id"] in text and rec["medins_setl_id"] in text and "王晓燕" in text
    assert "31010125-0000000101" in text
    for v, mark in {"training": "培训模式", "offline": "离线结算", "reprint": "补打（第2次）",
                    "self_pay": "全自费（非医保结算）"}.items():
        assert (mark in text) == (v == variant)


@pytest.mark.parametrize("render", [render_slip, render_form])
def test_qr_decodes_to_verification_payload(tmp_path, render):
    rec = _record("01-zone-outpatient")
    path = tmp_path / "doc.pdf"
    render(rec, path)
    expected = verification_payload(rec["einvoice"], rec["institution"]["fixmedins_code"])
    assert expected == "MSEI1|31010125|0000000101|a1b2c3|256.30|20210713|H31011800123"
    assert qr_of(path) == [expected.encode()]


def test_qr_without_invoice_carries_settlement_payload(tmp_path):
    rec = _record("02-filed-inpatient-critical", invoice=False)
    path = tmp_path / "slip.pdf"
    render_slip(rec, path)
    assert qr_of(path) == [settlement_payload(rec).encode()]
    assert settlement_payload(rec).startswith("MSST1|H33042100456|")
    assert "待开具" in text_of(path)


def test_red_letter_form_shows_negative_amounts_and_link(tmp_path):
    rec = _record("02-filed-inpatient-critical")
    rec["einvoice"] = build_red_letter(rec["einvoice"], "31010125", "0000000102", "zz9y8x", WHEN)
    path = tmp_path / "red.pdf"
    render_form(rec, path)
    text = _check_common(path, rec)
    assert "红字冲红" in text and "0000000102" in text
    assert re.search(r"冲红原票据：代码 31010125 号码 0000000101", text)
    assert amount_after(text, "（小写）") == Decimal("-45594.00")
    assert amount_after(text, "医保统筹基金支付") == Decimal("-19000.00")
    assert amount_after(text, "个人现金支付") == Decimal("-16202.06")
    assert "负肆万伍仟伍佰玖拾肆元整" in text.replace(" ", "")
    slip = tmp_path / "red-slip.pdf"
    render_slip(rec, slip)
    assert amount_after(text_of(slip), "医疗费总额") == Decimal("-45594.00")


@pytest.mark.parametrize("render", [render_form, render_slip, render_detail_list])
def test_bad_record_gives_chinese_error_and_no_file(tmp_path, render):
    rec = _record("01-zone-outpatient")
    rec["setlinfo"]["hifp_pay"] = 69.23  # a float where a decimal string is required
    rec["lines"][0]["det_item_fee_sumamt"] = 74.4 if render is render_detail_list else "74.40"
    path = tmp_path / "x.pdf"
    with pytest.raises(DocumentError) as ei:
        render(rec, path)
    assert "字符串" in str(ei.value)
    assert not path.exists() and list(tmp_path.iterdir()) == []
    rec2 = _record("01-zone-outpatient")
    del rec2["person"]["certno"]
    with pytest.raises(DocumentError, match="person.certno"):
        render(rec2, path)
