"""The deposit receipt (预交金收据 / 预交金退款凭证), 80 mm thermal, from a stay_deposits row.

Printed only for a row in state ``done`` (durable before paper). The patient's ID number is masked;
the running balance is the stay's deposit balance right after this row (client.services.inpatient).
"""

from __future__ import annotations

from reportlab.lib import colors

from client.domain.money import rmb_upper
from client.printing.common import DocumentError, amount, money
from client.printing.documents import Slip

__all__ = ["render_deposit_receipt"]

GREY = colors.HexColor("#555555")
RED = colors.HexColor("#C8102E")


def render_deposit_receipt(doc: dict, out=None) -> bytes:
    """``doc``: {"row": ledger row (with balance), "stay": stay record, "fixmedins_name", "cashier",
    "training"}. Returns the PDF bytes (and writes them to ``out``)."""
    row, stay = doc.get("row") or {}, doc.get("stay") or {}
    if not row or not stay:
        raise DocumentError("预交金收据缺少记录，无法打印。")
    refund = row.get("kind") == "refund"
    amt = amount(row.get("amount"), "amount")
    bal = amount(row.get("balance"), "balance")
    slip = Slip()
    center, pair, text, rule = slip.center, slip.pair, slip.text, slip.rule

    center(str(doc.get("fixmedins_name") or ""), 10.5)
    center("住院预交金退款凭证" if refund else "住院预交金收据", 13, RED if refund else colors.black)
    if doc.get("training"):
        center("【培训数据，非正式票据】", 9, RED)
    rule()
    text(f"收据号：{row.get('receipt_no') or '—'}", 8.5)
    person = stay.get("person") or {}
    pair(f"姓名：{person.get('psn_name', '')}", f"住院号：{stay.get('ipt_no', '')}")
    text(f"证件号码：{person.get('certno', '')}")
    text(f"科室：{stay.get('dept_name', '')}    床位：{stay.get('bed', '')}")
    text(f"入院时间：{stay.get('begntime', '')}")
    rule()
    pair("退款金额" if refund else "预交金额", money(amt), 11)
    text(f"人民币（大写）：{rmb_upper(amt)}", 8)
    pair("退款方式" if refund else "收款方式", str(row.get("method_name") or row.get("method") or ""), 9)
    if row.get("out_trade_no"):
        text(f"订单号：{row['out_trade_no']}", 7.5)
    if row.get("out_refund_no"):
        text(f"退款单号：{row['out_refund_no']}", 7.5)
    if row.get("tendered"):
        pair("实收", money(amount(row["tendered"], "tendered")), 8.5)
        pair("找零", money(amount(row.get("change") or "0.00", "change")), 8.5)
    rule()
    pair("预交金余额", money(bal), 10)
    books = stay.get("books") or {}
    if books:
        text(f"累计交 {books.get('taken', '')} 元，退 {books.get('refunded', '')} 元，"
             f"冲抵结算 {books.get('applied_net', '')} 元", 7.5, GREY)
    rule()
    text(f"收款员：{doc.get('cashier', '')}    时间：{row.get('created_at', '')}", 7.5)
    center("预交金收据请妥善保管，出院结算时凭此结清", 7, GREY)

    return slip.render("住院预交金收据", out)
