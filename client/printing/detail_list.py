"""医疗收费明细 (fee detail list), A4 portrait, paginated for inpatient bills with thousands of lines.

Every page repeats the header (institution, patient, masked ID, 住院号/门诊号, dates, page X/Y) and
ends with 本页小计 (sum of that page's lines) and 累计 (running total). The last page adds the
grand total, which must equal ``setlinfo.medfee_sumamt`` (else :class:`DocumentError`: a list that
does not add up is never printed). The table is drawn straight on the canvas (fixed row height,
no platypus) so 3,000 lines render in well under the 3 s budget; ``ROWS_PER_PAGE`` is fixed, so the
page count is ``ceil(n / ROWS_PER_PAGE)`` (:func:`page_count`).
"""

from __future__ import annotations

import io
import math
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from client.domain.codes import ChrgitmLv
from client.domain.invoice import FEE_CATEGORIES, is_inpatient
from client.domain.money import ZERO, rmb_upper
from client.printing.common import (
    DocumentError,
    Out,
    amount,
    label,
    mask_id,
    money,
    new_canvas,
    record_marks,
    write_out,
)
from client.printing.documents import GREY, RED, _fit, _Money, _need, _text, _visit_dates
from client.printing.fonts import FONT, string_width

__all__ = ["COLUMNS", "ROWS_PER_PAGE", "page_count", "render_detail_list"]

W, H = A4
L, R = 10 * mm, W - 10 * mm
TABLE_TOP = H - 42 * mm
ROW_H = 4.6 * mm
TABLE_BOTTOM = 30 * mm
ROWS_PER_PAGE = int((TABLE_TOP - ROW_H - TABLE_BOTTOM) // ROW_H)  # first row is the column header
BODY = 7.0

# (title, width mm, align)
COLUMNS = (("序号", 9, "r"), ("项目编码", 28, "l"), ("项目名称", 45, "l"), ("规格", 19, "l"), ("单位", 8, "c"),
           ("数量", 12, "r"), ("单价", 16, "r"), ("金额", 18, "r"), ("等级", 8, "c"), ("自付比例", 11, "r"),
           ("医保类别", 16, "c"))
_LEVEL = {lv.code: lv.short for lv in ChrgitmLv}      # 甲 / 乙 / 丙


def page_count(n_lines: int) -> int:
    return max(1, math.ceil(n_lines / ROWS_PER_PAGE))


def _pct(d: Decimal) -> str:
    v = (d * 100).quantize(Decimal("0.01")).normalize()
    return f"{v:f}%"


def _selfpay(ln: dict, amt: Decimal, i: int) -> str:
    lv = str(ln.get("chrgitm_lv") or "")
    if lv not in ("01", "02"):
        return "100%"
    prop = ln.get("selfpay_prop")
    if prop not in (None, ""):
        try:
            return _pct(Decimal(str(prop)))
        except ArithmeticError:
            raise DocumentError(f"第 {i + 1} 行的自付比例无效：{prop!r}。请联系信息科核对目录。") from None
    base = amt - amount(ln.get("overlmt_amt", "0.00"), f"lines[{i}].overlmt_amt")
    pre = amount(ln.get("preselfpay_amt", "0.00"), f"lines[{i}].preselfpay_amt")
    return _pct(pre / base) if base else "0%"


def _rows(record: dict, m: _Money) -> list[tuple[list[str], Decimal]]:
    out = []
    for i, ln in enumerate(record.get("lines") or []):
        amt = m.of(ln.get("det_item_fee_sumamt"), f"lines[{i}].det_item_fee_sumamt")
        cat = str(ln.get("med_chrgitm_type") or "14")
        cells = [str(i + 1), str(ln.get("code") or ""), str(ln.get("name") or ""), str(ln.get("spec") or ""),
                 str(ln.get("unit") or ""), str(ln.get("cnt") or ""),
                 money(amount(ln.get("pric"), f"lines[{i}].pric")) if ln.get("pric") not in (None, "") else "",
                 money(amt), _LEVEL.get(str(ln.get("chrgitm_lv") or ""), "—"), _selfpay(ln, abs(amt), i),
                 FEE_CATEGORIES.get(cat, "其他费")]
        out.append((cells, amt))
    return out


def render_detail_list(record: dict, out: Out = None) -> bytes:
    """The fee detail list for *record*; returns the PDF bytes (and writes them to *out*)."""
    person = _need(record, "person", "")
    visit = _need(record, "visit", "")
    inst = _need(record, "institution", "")
    masked = mask_id(_need(person, "certno", "person."))
    m = _Money(record)
    rows = _rows(record, m)
    if not rows:
        raise DocumentError("结算记录没有费用明细，无法打印《医疗收费明细》。")
    total = sum((a for _, a in rows), ZERO)
    medfee = m("medfee_sumamt")
    if total != medfee:
        raise DocumentError(f"费用明细合计 {money(total)} 元与医疗费总额 {money(medfee)} 元不一致，不能打印明细。"
                            "请重新读取结算结果或联系信息科。")
    pages = page_count(len(rows))
    inpatient = is_inpatient(visit.get("med_type"))
    xs = [L]
    for _, w, _ in COLUMNS:
        xs.append(xs[-1] + w * mm)
    buf = io.BytesIO()
    c = new_canvas(buf, A4, "医疗收费明细")
    marks = "  ".join(f"【{x}】" for x in record_marks(record))
    title = "医疗收费明细" + ("（红字冲红）" if m.red else "")
    no_label = "住院号" if inpatient else "门诊号"
    date_label = "住院日期" if inpatient else "就诊日期"
    info1 = (f"姓名：{person.get('psn_name', '')}    性别：{label('gend', person.get('gend'))}    "
             f"年龄：{person.get('age', '')}    证件号码：{masked}    医保类型：{label('insutype', person.get('insutype'))}")
    info2 = (f"{no_label}：{visit.get('ipt_otp_no', '')}    医疗类别：{label('med_type', visit.get('med_type'))}    "
             f"{date_label}：{_visit_dates(visit)}    科室：{visit.get('dept_name', '') or '—'}")
    footer = (f"结算号：{record.get('setl_id') or '—'}    机构结算号：{record.get('medins_setl_id') or '—'}    "
              f"结算时间：{record.get('setl_time', '')}")
    running = ZERO
    half = BODY * 0.36
    widths = [w * mm - 2 * mm for _, w, _ in COLUMNS]
    for p in range(pages):
        chunk = rows[p * ROWS_PER_PAGE:(p + 1) * ROWS_PER_PAGE]
        # header
        _text(c, W / 2, H - 12 * mm, str(inst.get("fixmedins_name", "")), 9.5, align="c", color=GREY)
        _text(c, W / 2, H - 20 * mm, title, 15, align="c", color=RED if m.red else colors.black)
        _text(c, R, H - 12 * mm, f"第 {p + 1} / {pages} 页", 8.5, align="r")
        if marks:
            _text(c, L, H - 12 * mm, marks, 8.5, color=RED)
        _text(c, L, H - 28 * mm, info1, 8, width=R - L)
        _text(c, L, H - 33.5 * mm, info2, 8, width=R - L)
        # column header
        c.setFillColor(colors.HexColor("#E8E8E8"))
        c.rect(L, TABLE_TOP - ROW_H, R - L, ROW_H, stroke=0, fill=1)
        c.setFillColor(colors.black)
        c.setFont(FONT, BODY)
        yh = TABLE_TOP - ROW_H / 2 - half
        for (t, _, _), x0, x1 in zip(COLUMNS, xs, xs[1:], strict=False):
            c.drawCentredString((x0 + x1) / 2, yh, t)
        # rows (one text object per page: fast)
        sub = ZERO
        y = TABLE_TOP - ROW_H
        for cells, amt in chunk:
            y -= ROW_H
            base = y + ROW_H / 2 - half
            for k, ((_, _, align), x0, x1) in enumerate(zip(COLUMNS, xs, xs[1:], strict=False)):
                text = cells[k]
                if not text:
                    continue
                size = BODY
                if string_width(text, size) > widths[k]:
                    text, size = _fit(text, widths[k], BODY, 5.0)
                c.setFont(FONT, size)
                if align == "r":
                    c.drawRightString(x1 - 1 * mm, base, text)
                elif align == "c":
                    c.drawCentredString((x0 + x1) / 2, base, text)
                else:
                    c.drawString(x0 + 1 * mm, base, text)
            sub += amt
        running += sub
        # grid: outer box, header rule, light row rules, column rules
        c.setStrokeColor(colors.HexColor("#999999"))
        c.setLineWidth(0.25)
        for i in range(1, len(chunk) + 1):
            yy = TABLE_TOP - ROW_H - i * ROW_H
            c.line(L, yy, R, yy)
        c.setStrokeColor(colors.HexColor("#333333"))
        c.setLineWidth(0.5)
        c.rect(L, y, R - L, TABLE_TOP - y)
        c.line(L, TABLE_TOP - ROW_H, R, TABLE_TOP - ROW_H)
        for x in xs[1:-1]:
            c.line(x, y, x, TABLE_TOP)
        # totals
        _text(c, L, TABLE_BOTTOM - 6 * mm, f"本页小计：{money(sub)}", 9)
        _text(c, L + 60 * mm, TABLE_BOTTOM - 6 * mm, f"累计：{money(running)}", 9)
        _text(c, R, TABLE_BOTTOM - 6 * mm, f"本页 {len(chunk)} 项，共 {len(rows)} 项", 8, align="r", color=GREY)
        if p == pages - 1:
            _text(c, L, TABLE_BOTTOM - 12.5 * mm,
                  f"合计（医疗费总额）：{money(running)}    大写：{rmb_upper(running)}", 9.5)
        _text(c, L, 8 * mm, footer, 7, color=GREY, width=R - L - 30 * mm)
        _text(c, R, 8 * mm, f"打印：{(record.get('cashier') or {}).get('opter_name', '')}", 7, align="r", color=GREY)
        c.showPage()
    c.save()
    return write_out(buf.getvalue(), out)
