"""Patient payments for one settlement: cash, bank card, WeChat, Alipay, e-CNY (no real gateway).

Rules (settlement-rules §5):

* the non-cash methods are taken for exactly the amount given; cash covers the rest;
* cash may be tendered above what remains → ``change`` (找零); cash tendered below what remains,
  or non-cash amounts above the due amount, are refused;
* without cash, the amounts must add up to ``psn_cash_pay`` exactly (Decimal, 0.01);
* several methods per settlement are allowed; the personal-account part (``acct_pay``) is recorded
  by checkout as method ``account`` for the day-end, never entered by the cashier.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from client.domain.codes import PAYMENT_METHOD_ALIASES, PAYMENT_METHOD_NAMES
from client.domain.money import fmt2, q2, to_amount

from .errors import ServiceError

METHODS = PAYMENT_METHOD_NAMES
ALIASES = PAYMENT_METHOD_ALIASES
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Tender:
    """What the cashier entered: a method and an amount (for cash: the amount handed over)."""

    method: str
    amount: Decimal | None          # None only for a payment code without amount (= the rest)
    ref: str = ""


@dataclass(frozen=True)
class PaymentLine:
    """A payment as recorded: ``amount`` counts towards the settlement; cash has tendered/change."""

    method: str
    amount: Decimal
    tendered: Decimal | None = None
    change: Decimal | None = None
    ref: str = ""

    def to_dict(self) -> dict:
        out = {"method": self.method, "method_name": METHODS[self.method], "amount": fmt2(self.amount)}
        if self.tendered is not None:
            out["tendered"] = fmt2(self.tendered)
            out["change"] = fmt2(self.change or ZERO)
        if self.ref:
            out["ref"] = self.ref
        return out


def parse_tender(spec: str) -> Tender:
    """``"cash:200"``, ``"wechat:35.50"``, ``"bank_card:50.5:REF123"`` → Tender (Chinese error otherwise)."""
    parts = str(spec).strip().split(":")
    if parts[0].strip().lower() in ("code", "付款码"):      # code:CODE[:AMOUNT] — a scanned payment code
        if len(parts) < 2 or not parts[1].strip() or len(parts) > 3:
            raise ServiceError("invalid_input", f"付款码收款“{spec}”格式错误，应为 code:付款码 或 code:付款码:金额。")
        amount = None
        if len(parts) == 3:
            try:
                amount = q2(to_amount(parts[2].strip(), "amount"))
            except ValueError:
                raise ServiceError("invalid_input", f"付款金额“{parts[2]}”不是有效金额（最多两位小数），请重新输入。") from None
            if amount <= 0:
                raise ServiceError("invalid_input", "付款码金额必须大于0。")
        return Tender("code", amount, parts[1].strip())
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ServiceError("invalid_input", f"付款方式“{spec}”格式错误，应为 方式:金额，例如 cash:200、wechat:35.50。")
    method = ALIASES.get(parts[0].strip().lower()) or ALIASES.get(parts[0].strip())
    if method is None:
        raise ServiceError("invalid_input", f"不支持的付款方式“{parts[0]}”，可用：cash 现金、bank_card 银行卡、wechat 微信、"
                                            "alipay 支付宝、ecny 数字人民币。")
    try:
        amount = to_amount(parts[1].strip(), "amount")
    except ValueError:
        raise ServiceError("invalid_input", f"付款金额“{parts[1]}”不是有效金额（最多两位小数），请重新输入。") from None
    if amount <= 0:
        raise ServiceError("invalid_input", f"付款金额必须大于0（{spec}）。")
    return Tender(method, q2(amount), ":".join(parts[2:]).strip())


#: tenders booked on the cashier's word, each with the reference that proves it
RECORDED_METHODS = ("bank_card", "wechat", "alipay", "ecny")


def require_references(tenders: list[Tender]) -> None:
    """A tender the window does not charge itself (a bank card at the POS terminal, a WeChat/Alipay/e-CNY
    payment made outside the aggregate-payment gateway) is only booked with the reference that proves
    it — the terminal slip's 参考号, the merchant app's transaction number — so that the day's statement
    and a later refund can find it. A scanned payment code (``code:``) carries its own out_trade_no."""
    for t in tenders:
        if t.method in RECORDED_METHODS and not (t.ref or "").strip():
            name = PAYMENT_METHOD_NAMES[t.method]
            amount = "" if t.amount is None else f" {fmt2(t.amount)} 元"
            raise ServiceError("invalid_input", f"{name}收款{amount}缺少交易参考号：银行卡请填写 POS 终端小票上的参考号"
                                                f"（bank_card:金额:参考号）；微信/支付宝/数字人民币请扫描患者的付款码"
                                                f"（code:付款码），或填写商户端的交易单号（例如 wechat:10.00:交易单号）。本次没有结算。")


def allocate(due: Decimal, tenders: list[Tender]) -> list[PaymentLine]:
    """Turn what the cashier entered into payment lines that add up to ``due`` exactly."""
    due = q2(due)
    if due < 0:
        raise ServiceError("invalid_input", f"应收金额为负数（{fmt2(due)}），不能收款，请联系信息科。")
    cash = [t for t in tenders if t.method == "cash"]
    other = [t for t in tenders if t.method != "cash"]
    if any(t.method == "code" or t.amount is None for t in tenders):
        raise ServiceError("invalid_input", "付款码须先经聚合支付准备（codepay.prepare_tenders）。")
    if any(t.method == "account" for t in other):
        raise ServiceError("invalid_input", "个人账户支付由医保结算确定，不能作为收款方式录入。")
    if len(cash) > 1:
        raise ServiceError("invalid_input", "现金只能录入一笔（实收金额），请合并后重试。")
    other_sum = sum((t.amount for t in other), ZERO)
    if other_sum > due:
        raise ServiceError("invalid_input", f"非现金付款合计 {fmt2(other_sum)} 元超过应收 {fmt2(due)} 元，请核对金额。")
    lines = [PaymentLine(t.method, t.amount, ref=t.ref) for t in other]
    rest = due - other_sum
    if cash:
        tendered = cash[0].amount
        if tendered < rest:
            raise ServiceError("invalid_input", f"现金实收 {fmt2(tendered)} 元不足，还应收 {fmt2(rest)} 元。")
        if rest > 0:
            lines.append(PaymentLine("cash", rest, tendered, tendered - rest))
        elif tendered > 0:
            raise ServiceError("invalid_input", f"已用其他方式付清，无需再收现金（录入了现金 {fmt2(tendered)} 元）。")
    elif rest != 0:
        raise ServiceError("invalid_input", f"付款合计 {fmt2(other_sum)} 元与应收 {fmt2(due)} 元不一致，"
                                            f"还差 {fmt2(rest)} 元，请补录付款方式。")
    total = sum((pl.amount for pl in lines), ZERO)
    assert total == due, (total, due)
    return lines
