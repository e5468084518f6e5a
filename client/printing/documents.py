"""The settlement slip (80 mm thermal) and the settlement form (医疗门诊/住院收费票据, 241×140 mm).

Both take a *settlement record* (docs/documents.md) and return the PDF bytes, writing them to
``out`` (a path — written atomically — or a binary file object) when given. Output is
deterministic: the same record gives the same bytes. All text, digits included, uses the embedded
WenQuanYi Micro Hei subset; ID numbers are masked (first 6 + ******** + last 4); amounts come from
Decimal strings and print with two decimals.
"""

from __future__ import annotations

import io
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.units import mm

from client.domain.invoice import is_inpatient
from client.domain.money import fmt_display, rmb_upper
from client.printing.common import (
    DocumentError,
    Out,
    amount,
    draw_qr,
    fee_categories,
    is_red_letter,
    label,
    mask_id,
    money,
    new_canvas,
    other_pay,
    payments_label,
    qr_payload,
    record_marks,
    record_notes,
    region_name,
    write_out,
)
from client.printing.fonts import FONT, string_width

__all__ = ["DocumentError", "FORM_SIZE", "SLIP_WIDTH", "form_title", "render_form", "render_partial_refund_receipt",
           "render_slip"]

FORM_SIZE = (241 * mm, 140 * mm)
SLIP_WIDTH = 80 * mm
RED = colors.HexColor("#C8102E")
GREY = colors.HexColor("#555555")
LINE = colors.HexColor("#333333")


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------

def _need(d: dict, key: str, where: str):
    if not isinstance(d, dict) or d.get(key) in (None, ""):
        raise DocumentError(f"结算记录缺少 {where}{key}，无法打印。请重新读取结算结果后再打印。")
    return d[key]


def _fit(text: str, width: float, size: float, min_size: float = 5.5) -> tuple[str, float]:
    """Shrink the font (down to *min_size*) and then truncate with … so *text* fits *width*."""
    s = size
    while string_width(text, s) > width and s > min_size:
        s = max(min_size, s - 0.5)
    if string_width(text, s) <= width:
        return text, s
    while text and string_width(text + "…", s) > width:
        text = text[:-1]
    return text + "…", s


def _text(c, x: float, y: float, text: str, size: float, *, align: str = "l", color=colors.black,
          width: float | None = None) -> None:
    if width is not None:
        text, size = _fit(text, width, size)
    c.setFillColor(color)
    c.setFont(FONT, size)
    if align == "r":
        c.drawRightString(x, y, text)
    elif align == "c":
        c.drawCentredString(x, y, text)
    else:
        c.drawString(x, y, text)


def _wrap(text: str, width: float, size: float) -> list[str]:
    out, cur = [], ""
    for ch in text:
        if string_width(cur + ch, size) > width and cur:
            out.append(cur)
            cur = ch
        else:
            cur += ch
    return out + ([cur] if cur or not out else [])


class _Money:
    """Amounts of a record, negated for red-letter (冲红) documents."""

    def __init__(self, record: dict):
        self.setl = _need(record, "setlinfo", "")
        self.red = is_red_letter(record.get("einvoice"))
        total = amount(self.setl.get("medfee_sumamt"), "setlinfo.medfee_sumamt")
        self.sign = Decimal(-1) if self.red and total > 0 else Decimal(1)

    def __call__(self, field: str) -> Decimal:
        return self.sign * amount(self.setl.get(field, "0.00"), f"setlinfo.{field}")

    def of(self, value: object, field: str) -> Decimal:
        return self.sign * amount(value, field)


def form_title(record: dict) -> str:
    med_type = _need(_need(record, "visit", ""), "med_type", "visit.")
    return "医疗住院收费票据" if is_inpatient(med_type) else "医疗门诊收费票据"


def _invoice_main(record: dict) -> dict:
    inv = record.get("einvoice") or {}
    return inv.get("Main", inv)


def _person_bits(record: dict) -> tuple[dict, dict, dict, str]:
    person = _need(record, "person", "")
    visit = _need(record, "visit", "")
    inst = _need(record, "institution", "")
    masked = mask_id(_need(person, "certno", "person."))
    _need(person, "psn_name", "person.")
    _need(inst, "fixmedins_name", "institution.")
    _need(inst, "fixmedins_code", "institution.")
    return person, visit, inst, masked


def _visit_dates(visit: dict) -> str:
    b, e = visit.get("begndate") or "", visit.get("enddate") or ""
    if is_inpatient(visit.get("med_type")) and e and e != b:
        return f"{b} 至 {e}"
    return b


def _deposit_part(record: dict, m: _Money) -> list[str]:
    """An inpatient stay's settlement paid (partly) from the deposit: 预交金 <applied> as a payment."""
    n = record.get("deposit_netting") or {}
    applied = m.of(n.get("applied", "0.00"), "deposit_netting.applied") if n else Decimal("0")
    return [f"预交金 {money(applied)}"] if applied != 0 else []


def _pay_methods(record: dict, m: _Money) -> str:
    parts = _deposit_part(record, m) + [
        f"{payments_label(p.get('method'))} {money(m.of(p.get('amount'), f'payments[{i}].amount'))}"
        for i, p in enumerate(record.get("payments") or [])]
    return "，".join(parts) or "—"


def _pay_summary(record: dict, m: _Money) -> str:
    parts = _deposit_part(record, m)
    for i, p in enumerate(record.get("payments") or []):
        amt = m.of(p.get("amount"), f"payments[{i}].amount")
        s = f"{payments_label(p.get('method'))} {money(amt)}"
        if p.get("change") not in (None, "") and amount(p["change"], f"payments[{i}].change") > 0:
            s += f"（实收 {money(amount(p.get('tendered', p['amount']), 'tendered'))}，" \
                 f"找零 {money(amount(p['change'], 'change'))}）"
        if p.get("trade_no"):
            s += f"（交易号 {p['trade_no']}）"
        parts.append(s)
    return "；".join(parts) or "—"


# ---------------------------------------------------------------------------------------------
# Settlement form (医疗门诊/住院收费票据 style), 241 × 140 mm landscape
# ---------------------------------------------------------------------------------------------

def render_form(record: dict, out: Out = None) -> bytes:
    """The settlement form for *record*; returns the PDF bytes (and writes them to *out*)."""
    person, visit, inst, masked = _person_bits(record)
    m = _Money(record)
    lines = record.get("lines") or []
    cats = fee_categories(lines)
    if len(cats) > 15:  # pragma: no cover - 14 categories exist
        raise DocumentError("收费项目类别超过 15 个，无法排版。")
    split = _need(record, "invoice_split", "")
    total = m("medfee_sumamt")
    inpatient = is_inpatient(visit["med_type"])
    title = form_title(record)
    inv = _invoice_main(record)
    W, H = FORM_SIZE
    buf = io.BytesIO()
    c = new_canvas(buf, FORM_SIZE, title)
    L, R = 10 * mm, W - 10 * mm

    # watermark first so that everything else prints over it
    flags = record.get("flags") or {}
    if flags.get("training"):
        c.saveState()
        c.setFillColor(RED)
        c.setFillAlpha(0.13)
        c.setFont(FONT, 46)
        c.translate(W / 2, 62 * mm)
        c.rotate(14)
        c.drawCentredString(0, 0, "培训模式  非正式票据")
        c.restoreState()

    # header
    _text(c, W / 2, 130 * mm, str(inst["fixmedins_name"]), 10.5, align="c", color=GREY)
    head = title + ("（红字冲红）" if m.red else "")
    _text(c, W / 2, 120.5 * mm, head, 18, align="c", color=RED if m.red else colors.black)
    c.setStrokeColor(RED if m.red else LINE)
    tw = string_width(head, 18)
    c.setLineWidth(0.6)
    c.line(W / 2 - tw / 2, 119 * mm, W / 2 + tw / 2, 119 * mm)
    c.line(W / 2 - tw / 2, 118.3 * mm, W / 2 + tw / 2, 118.3 * mm)
    y = 132 * mm
    for mark in record_marks(record):
        w = string_width(mark, 9) + 4 * mm
        c.setStrokeColor(RED)
        c.setLineWidth(0.8)
        c.roundRect(L, y - 1.6 * mm, w, 5.6 * mm, 1 * mm)
        _text(c, L + 2 * mm, y, mark, 9, color=RED)
        y -= 6.6 * mm
    # QR (top right)
    qr = 24 * mm
    draw_qr(c, qr_payload(record), R - qr, 108.5 * mm, qr)
    # codes line
    if inv:
        codes = (f"票据代码：{inv.get('EInvoiceCode', '')}    票据号码：{inv.get('EInvoiceNumber', '')}    "
                 f"校验码：{inv.get('RandomNumber', '')}")
    else:
        codes = "票据代码：—    票据号码：—    电子票据待开具"
    _text(c, L, 111 * mm, codes, 9)
    issue = str(record.get("setl_time") or "")[:10]
    _text(c, R - qr - 3 * mm, 111 * mm, f"开票日期：{issue}", 9, align="r")

    # main grid
    top, bottom = 108 * mm, 26 * mm
    c.setStrokeColor(LINE)
    c.setLineWidth(0.9)
    c.rect(L, bottom, R - L, top - bottom)
    c.setLineWidth(0.4)

    def hline(yy):
        c.line(L, yy, R, yy)

    def vline(x, y0, y1):
        c.line(x, y0, x, y1)

    def cells(y0, y1, xs_mm, texts, size=9):
        xs = [L] + [L + x * mm for x in xs_mm] + [R]
        for x in xs[1:-1]:
            vline(x, y0, y1)
        for (x0, x1), t in zip(zip(xs, xs[1:], strict=False), texts, strict=True):
            _text(c, x0 + 1.8 * mm, y0 + (y1 - y0) / 2 - size * 0.36, t, size, width=x1 - x0 - 3 * mm)

    r1, r2, r3 = top - 8 * mm, top - 16 * mm, top - 22.5 * mm
    hline(r1)
    hline(r2)
    hline(r3)
    cells(r1, top, (52, 80, 103, 166), [
        f"交款人：{person['psn_name']}", f"性别：{label('gend', person.get('gend'))}",
        f"年龄：{person.get('age', '')}", f"医保类型：{label('insutype', person.get('insutype'))}",
        f"参保地：{region_name(person.get('insuplc_admdvs'))}"])
    no_label = "住院号" if inpatient else "门诊号"
    date_label = "住院日期" if inpatient else "就诊日期"
    org_type = inst.get("org_type") or {"1": "一级医疗机构", "2": "二级医疗机构", "3": "三级医疗机构"}.get(
        str(inst.get("hosp_lv") or ""), "医疗机构")
    cells(r2, r1, (52, 103, 150), [
        f"医疗机构类型：{org_type}", f"医疗类别：{label('med_type', visit['med_type'])}",
        f"{no_label}：{visit.get('ipt_otp_no', '')}", f"{date_label}：{_visit_dates(visit)}"])
    # fee categories: 3 groups × 5 rows
    gw = (R - L) / 3
    name_w = gw * 0.58
    for g in range(3):
        x0 = L + g * gw
        if g:
            vline(x0, bottom + 30 * mm, r2)
        vline(x0 + name_w, bottom + 30 * mm, r2)
        _text(c, x0 + name_w / 2, r3 + 2.1 * mm, "项目", 9, align="c", color=GREY)
        _text(c, x0 + name_w + (gw - name_w) / 2, r3 + 2.1 * mm, "金额（元）", 9, align="c", color=GREY)
    row_h = 6.1 * mm
    for i, (_code, name, amt) in enumerate(cats):
        g, row = divmod(i, 5)
        x0 = L + g * gw
        yy = r3 - (row + 1) * row_h + 2 * mm
        _text(c, x0 + 3 * mm, yy, name, 9.5)
        _text(c, x0 + gw - 3 * mm, yy, money(m.sign * amt), 9.5, align="r")
    y_total = bottom + 30 * mm
    hline(y_total)
    # totals and payments
    y_pay1, y_pay2, y_ids = bottom + 22 * mm, bottom + 14.5 * mm, bottom + 7 * mm
    hline(y_pay1)
    hline(y_pay2)
    hline(y_ids)
    _text(c, L + 2 * mm, y_total - 5.6 * mm, f"合计（大写）：{rmb_upper(total)}", 10.5)
    _text(c, R - 3 * mm, y_total - 5.6 * mm, f"（小写）¥ {money(total)}", 10.5, align="r")
    self_pay = m.of(split.get("self_pay"), "invoice_split.self_pay")
    self_cost = m.of(split.get("self_cost"), "invoice_split.self_cost")
    cells(y_pay2, y_pay1, (55.25, 110.5, 165.75), [
        f"医保统筹基金支付：{money(m('hifp_pay'))}", f"其他支付：{money(m.sign * other_pay(m.setl))}",
        f"个人账户支付：{money(m('acct_pay'))}", f"个人现金支付：{money(m('psn_cash_pay'))}"], 9)
    balc = "—" if m.red else money(amount(m.setl.get("balc", "0.00"), "setlinfo.balc"))
    cells(y_ids, y_pay2, (55.25, 110.5, 165.75), [
        f"个人自付：{money(self_pay)}", f"个人自费：{money(self_cost)}", f"个人账户余额：{balc}",
        f"支付方式：{_pay_methods(record, m)}"], 9)
    cells(bottom, y_ids, (82, 165), [
        f"结算号：{record.get('setl_id') or '—'}", f"机构结算号：{record.get('medins_setl_id') or '—'}",
        f"机构编码：{inst['fixmedins_code']}"], 8.5)
    if m.red and inv:
        ext = inv.get("MainExt", {})
        _text(c, L, bottom - 5 * mm,
              f"冲红原票据：代码 {ext.get('RelatedInvoiceCode', '')} 号码 {ext.get('RelatedInvoiceNumber', '')}",
              9, color=RED)
    else:
        notes = list(record_notes(record))
        netting = record.get("deposit_netting")
        if netting:               # an inpatient stay: how the deposit paid the patient's share (预交金冲抵)
            for i, line in enumerate(netting_lines(netting)):
                _text(c, L, bottom - 4.4 * mm - i * 4.1 * mm, line, 8.5, width=R - L)
            y0 = bottom - 4.4 * mm - 2 * 4.1 * mm
        else:
            y0 = bottom - 5 * mm
        for i, note in enumerate(notes):
            _text(c, L, y0 - i * 4.2 * mm, note, 8.5, color=RED)
    # footer
    cashier = record.get("cashier") or {}
    _text(c, L, 12 * mm, f"收款单位（章）：{inst['fixmedins_name']}", 9.5)
    _text(c, L + 110 * mm, 12 * mm, f"收款人：{cashier.get('opter_name', '')}", 9.5)
    _text(c, R, 12 * mm, f"收款时间：{record.get('setl_time', '')}", 9.5, align="r")
    _text(c, L, 6 * mm, f"交款人证件号码：{masked}    窗口：{record.get('window', '')}    {_pay_summary(record, m)}",
          7.5, color=GREY)
    _text(c, R, 6 * mm, "扫描右上角二维码可查验票据信息", 7.5, color=GREY, align="r")
    c.showPage()
    c.save()
    return write_out(buf.getvalue(), out)


# ---------------------------------------------------------------------------------------------
# Thermal slip (医保结算凭条), 80 mm wide, height fitted to the content
# ---------------------------------------------------------------------------------------------

_SLIP_MARGIN = 4 * mm
_SLIP_MAX_LINES = 20  # more lines than this print as fee categories (the detail list has them all)


class Slip:
    """An 80 mm thermal slip built row by row (centred, left, left+right pair, dashed rule, QR code)
    and drawn on a page exactly as tall as its rows: the receipt slip, the 部分退费凭条 and the deposit
    receipt (client.printing.deposit) share it."""

    def __init__(self) -> None:
        self.width = SLIP_WIDTH - 2 * _SLIP_MARGIN
        self.rows: list[tuple] = []  # (kind, height, payload...)

    def center(self, t: str, size: float, color=colors.black) -> None:
        for part in _wrap(t, self.width, size):
            self.rows.append(("c", size * 1.45, part, size, color))

    def text(self, t: str, size: float = 8.5, color=colors.black) -> None:
        for part in _wrap(t, self.width, size):
            self.rows.append(("l", size * 1.45, part, size, color))

    def pair(self, left: str, right: str, size: float = 8.5, color=colors.black) -> None:
        self.rows.append(("lr", size * 1.5, left, right, size, color))

    def rule(self) -> None:
        self.rows.append(("rule", 2.6 * mm))

    def qr(self, payload: str) -> None:
        self.rows.append(("qr", 32 * mm, payload))

    def render(self, title: str, out: Out = None) -> bytes:
        height = sum(r[1] for r in self.rows) + 2 * _SLIP_MARGIN + 2 * mm
        buf = io.BytesIO()
        c = new_canvas(buf, (SLIP_WIDTH, height), title)
        x0, x1 = _SLIP_MARGIN, SLIP_WIDTH - _SLIP_MARGIN
        y = height - _SLIP_MARGIN
        for r in self.rows:
            kind, h = r[0], r[1]
            base = y - h + h * 0.3
            if kind == "c":
                _text(c, SLIP_WIDTH / 2, base, r[2], r[3], align="c", color=r[4])
            elif kind == "l":
                _text(c, x0, base, r[2], r[3], color=r[4])
            elif kind == "lr":
                rw = string_width(r[3], r[4])
                _text(c, x0, base, r[2], r[4], width=max(10.0, self.width - rw - 2 * mm), color=r[5])
                _text(c, x1, base, r[3], r[4], align="r", color=r[5])
            elif kind == "rule":
                c.setStrokeColor(GREY)
                c.setDash(2, 2)
                c.setLineWidth(0.5)
                c.line(x0, y - h / 2, x1, y - h / 2)
                c.setDash()
            elif kind == "qr":
                size = 30 * mm
                draw_qr(c, r[2], (SLIP_WIDTH - size) / 2, y - h + 1 * mm, size)
            y -= h
        c.showPage()
        c.save()
        return write_out(buf.getvalue(), out)


def render_slip(record: dict, out: Out = None) -> bytes:
    """The 80 mm thermal slip for *record*; returns the PDF bytes (and writes them to *out*)."""
    person, visit, inst, masked = _person_bits(record)
    m = _Money(record)
    inv = _invoice_main(record)
    slip = Slip()
    center, pair, text, rule = slip.center, slip.pair, slip.text, slip.rule

    center(str(inst["fixmedins_name"]), 10.5)
    center("医保结算凭条" + ("（红字冲红）" if m.red else ""), 13, RED if m.red else colors.black)
    for mark in record_marks(record):
        center(f"【{mark}】", 10, RED)
    for note in record_notes(record):
        text(note, 8, RED)
    rule()
    pair(f"姓名：{person['psn_name']}", f"性别：{label('gend', person.get('gend'))}  年龄：{person.get('age', '')}")
    text(f"证件号码：{masked}")
    text(f"参保地：{region_name(person.get('insuplc_admdvs'))}")
    text(f"险种：{label('insutype', person.get('insutype'))}")
    no_label = "住院号" if is_inpatient(visit["med_type"]) else "门诊号"
    pair(f"医疗类别：{label('med_type', visit['med_type'])}", f"{no_label}：{visit.get('ipt_otp_no', '')}")
    if visit.get("dept_name"):
        text(f"科室：{visit['dept_name']}    日期：{_visit_dates(visit)}")
    rule()
    lines = record.get("lines") or []
    pair("项目", "金额（元）", 8)
    if len(lines) <= _SLIP_MAX_LINES:
        for i, ln in enumerate(lines):
            amt = m.of(ln.get("det_item_fee_sumamt"), f"lines[{i}].det_item_fee_sumamt")
            text(str(ln.get("name") or ln.get("code") or ""), 8)
            pair(f"    {ln.get('cnt', '')}{ln.get('unit', '')} × {ln.get('pric', '')}", money(amt), 8)
    else:
        for _code, name, amt in fee_categories(lines):
            pair(name, money(m.sign * amt), 8)
        text(f"共 {len(lines)} 项，明细见《医疗收费明细》", 7.5, GREY)
    rule()
    pair("医疗费总额", money(m("medfee_sumamt")), 10)
    pair("基金支付", money(m("fund_pay_sumamt")), 9)
    pair("    其中 统筹基金", money(m("hifp_pay")), 8)
    other = m.sign * other_pay(m.setl)
    if other:
        pair("    其中 其他基金", money(other), 8)
    pair("个人账户", money(m("acct_pay")), 9)
    pair("个人现金", money(m("psn_cash_pay")), 10)
    if not m.red:
        pair("个人账户余额", money(amount(m.setl.get("balc", "0.00"), "setlinfo.balc")), 8)
    rule()
    for i, p in enumerate(record.get("payments") or []):
        pair(payments_label(p.get("method")), money(m.of(p.get("amount"), f"payments[{i}].amount")), 9)
        if p.get("tendered") not in (None, ""):
            pair("    实收", money(amount(p["tendered"], f"payments[{i}].tendered")), 8.5)
        if p.get("change") not in (None, ""):
            pair("    找零", money(amount(p["change"], f"payments[{i}].change")), 8.5)
        if p.get("trade_no"):
            text(f"    交易号 {p['trade_no']}", 7.5)
    if not record.get("payments"):
        pair("个人现金应付", money(m("psn_cash_pay")), 9)
    rule()
    text(f"结算号：{record.get('setl_id') or '—'}", 7.5)
    text(f"机构结算号：{record.get('medins_setl_id') or '—'}", 7.5)
    if inv:
        text(f"电子票据：{inv.get('EInvoiceCode', '')}-{inv.get('EInvoiceNumber', '')}  "
             f"校验码 {inv.get('RandomNumber', '')}", 7.5)
    else:
        text("电子票据：待开具（可凭结算号补开）", 7.5)
    cashier = record.get("cashier") or {}
    pair(f"收款员：{cashier.get('opter_name', '')}（{cashier.get('opter', '')}）",
         f"窗口 {record.get('window', '')}", 7.5)
    text(f"时间：{record.get('setl_time', '')}", 7.5)
    slip.qr(qr_payload(record))
    center("扫码查验票据 · 请妥善保管本凭条", 7, GREY)
    return slip.render("医保结算凭条", out)



def render_partial_refund_receipt(doc: dict, out: Out = None) -> bytes:
    """The 80 mm 部分退费凭条 of a partial refund (client.services.partial_refund.receipt_record): the
    original settlement, the returned lines, the new settlement and the net refund per channel."""
    old, new = doc["old"], doc["new"]
    person, visit, inst, masked = _person_bits(new)
    slip = Slip()
    center, pair, text, rule = slip.center, slip.pair, slip.text, slip.rule

    def amt(rec, field):
        return money(amount((rec.get("setlinfo") or {}).get(field, "0.00"), f"setlinfo.{field}"))

    center(str(inst["fixmedins_name"]), 10.5)
    center("部分退费凭条", 13, RED)
    rule()
    age = str(person.get("age", "")).split(".")[0]
    pair(f"姓名：{person['psn_name']}", f"性别：{label('gend', person.get('gend'))}  年龄：{age}")
    text(f"证件号码：{masked}")
    text(f"医疗类别：{label('med_type', visit['med_type'])}")
    text(f"门诊号：{visit.get('ipt_otp_no', '')}", 7.5)
    rule()
    text("原结算（已撤销）", 9.5)
    text(f"结算号：{old.get('setl_id') or '—'}", 7.5)
    text(f"结算时间：{(old.get('setlinfo') or {}).get('setl_time', '')}", 7.5)
    pair("医疗费总额", amt(old, "medfee_sumamt"), 8.5)
    pair("基金支付", amt(old, "fund_pay_sumamt"), 8.5)
    pair("个人账户", amt(old, "acct_pay"), 8.5)
    pair("个人现金", amt(old, "psn_cash_pay"), 9)
    rule()
    text("退回项目", 9.5)
    for i, ln in enumerate(doc.get("returns") or []):
        text(str(ln.get("name") or ln.get("code") or ""), 8)
        pair(f"    {ln.get('cnt', '')}{ln.get('unit', '')} × {ln.get('pric', '')}",
             "−" + money(amount(ln.get("amount"), f"returns[{i}].amount")), 8)
    rule()
    text("新结算（保留项目）", 9.5)
    text(f"结算号：{new.get('setl_id') or '—'}", 7.5)
    for i, ln in enumerate(new.get("lines") or []):
        text(str(ln.get("name") or ln.get("code") or ""), 8)
        pair(f"    {ln.get('cnt', '')}{ln.get('unit', '')} × {ln.get('pric', '')}",
             money(amount(ln.get("det_item_fee_sumamt"), f"lines[{i}].det_item_fee_sumamt")), 8)
    pair("医疗费总额", amt(new, "medfee_sumamt"), 8.5)
    pair("基金支付", amt(new, "fund_pay_sumamt"), 8.5)
    pair("个人账户", amt(new, "acct_pay"), 8.5)
    pair("个人现金", amt(new, "psn_cash_pay"), 9)
    rule()
    pair("应退个人现金", money(amount(doc.get("refund_amount") or "0.00", "refund_amount")), 10.5, RED)
    text(f"= 原个人现金 {amt(old, 'psn_cash_pay')} − 新个人现金 {amt(new, 'psn_cash_pay')}", 7, GREY)
    text("按原支付方式所付比例退回（四舍五入到分，尾差计入最大一笔）", 7, GREY)
    for p in doc.get("plan") or []:
        refund = amount(p.get("refund") or "0.00", "plan.refund")
        if refund <= 0:
            continue
        if p.get("otn"):
            pair(f"{p.get('channel_name') or payments_label(p['method'])} 原路退回", money(refund), 9)
            text(f"    订单 {p['otn']}", 7)
            if p.get("refund_id"):
                text(f"    退款单 {p['refund_id']}", 7)
        elif p["method"] == "cash":
            pair("现金 当面退还", money(refund), 9)
        else:
            pair(f"{payments_label(p['method'])} 退还", money(refund), 9)
    acct_back = amount((old.get("setlinfo") or {}).get("acct_pay", "0.00"), "acct_pay") - amount(
        (new.get("setlinfo") or {}).get("acct_pay", "0.00"), "acct_pay")
    if acct_back:
        pair("个人账户（医保退回账户）", money(acct_back), 8.5)
    rule()
    red = old.get("red_invoice") or {}
    blue = old.get("invoice") or {}
    if blue:
        text(f"原电子票据 {blue.get('EInvoiceCode', '')}-{blue.get('EInvoiceNumber', '')}："
             + ("已冲红" if red.get("EInvoiceNumber") else "冲红待开具"), 7.5)
        if red.get("EInvoiceNumber"):
            text(f"    红字票据 {red.get('EInvoiceCode', '')}-{red.get('EInvoiceNumber', '')}", 7.5)
    inv = new.get("invoice") or {}
    if inv:
        text(f"新电子票据 {inv.get('EInvoiceCode', '')}-{inv.get('EInvoiceNumber', '')}  校验码 {inv.get('RandomNumber', '')}",
             7.5)
    cashier = new.get("cashier") or {}
    pair(f"收款员：{cashier.get('opter_name', '')}（{cashier.get('opter', '')}）", f"授权组长 {doc.get('authorized_by', '')}",
         7.5)
    text(f"退费时间：{(new.get('setlinfo') or {}).get('setl_time', '')}    编号 {doc.get('id')}", 7.5)
    slip.qr(qr_payload(new))
    center("扫码查验新票据 · 请妥善保管本凭条", 7, GREY)
    return slip.render("部分退费凭条", out)


def netting_lines(n: dict) -> list[str]:
    """An inpatient stay settlement's deposit netting (client.services.stay_netting) as the form prints it (two lines, paper amounts 1,230.05): the balance before, then
    this settlement."""

    def f(k: str) -> str:
        return fmt_display(Decimal(n[k]))

    first = f"预交金合计 {f('taken')}"
    if Decimal(n["refunded_before"]) > 0:
        first += f" − 已退预交金 {f('refunded_before')}"
    if Decimal(n["applied_before"]) != 0:
        first += f" − 前次结算已抵扣 {f('applied_before')}"
    first += f" = 结算前预交金余额 {f('balance_before')}"
    second = f"本次个人现金支付 {f('psn_cash_pay')}：预交金抵扣 {f('applied')}，补收 {f('collected')}"
    if n["final"]:
        chans = "、".join(f"{r['method_name']} {fmt_display(Decimal(r['amount']))}" for r in n["refunds"]
                         if r["state"] == "done")
        second += f"；退还预交金 {f('balance_after')}" + (f"（{chans}）" if chans else "")
        if Decimal(n["refund_pending"]) > 0:
            second += f"，其中 {f('refund_pending')} 待退"
    else:
        second += f"；中途结算后预交金余额 {f('balance_after')}"
    return [first, second]
