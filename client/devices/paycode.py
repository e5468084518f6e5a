"""Payment codes (付款码) scanned at the counter: which channel a code belongs to.

Published rules (sources in docs/payments.md §2):

* WeChat Pay: 18 digits starting 10–15 (pay.weixin.qq.com micropay, chapter 5_1 "用户付款码条形码规则").
* Alipay: 16–24 digits starting 25–30 (opendocs.alipay.com/open/194/106039, trade.pay ``auth_code``).
* UnionPay QR (云闪付): 19 digits starting 62 (acquirer integration guides; see docs/payments.md).
* e-CNY (数字人民币): the prefixes are not published in a source we could verify (UNVERIFIED): the
  default ``("01",)`` with 19 digits is configurable (``[payment] ecny_prefixes``).

Apart from what else the scanner delivers at the counter: a 28-digit e-voucher code (client.devices.identify,
EC_CODE_RE — 28 digits is no payment-code length) and an 18-character ID number. An ID number of a person
born in 11–15 provinces (Beijing … Inner Mongolia) also has 18 digits starting 11–15: it is told apart by its
birth date and ISO 7064 MOD 11-2 check digit (:func:`looks_like_certno`); while a tender is due the counter
treats an 18-digit 10–15 code as a payment code unless it is a valid ID number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from client.domain.codes import PAYMENT_CHANNEL_NAMES

__all__ = ["PayCode", "classify_paycode", "looks_like_certno", "mask_code", "CHANNEL_METHOD"]

# channel → payments.method of the books (UnionPay QR is booked as bank_card: the payments table's methods)
CHANNEL_METHOD = {"wechat": "wechat", "alipay": "alipay", "unionpay": "bank_card", "ecny": "ecny"}
CHANNEL_NAMES = PAYMENT_CHANNEL_NAMES

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"


@dataclass(frozen=True)
class PayCode:
    code: str
    channel: str

    @property
    def method(self) -> str:
        return CHANNEL_METHOD[self.channel]

    @property
    def channel_name(self) -> str:
        return CHANNEL_NAMES[self.channel]


def looks_like_certno(text: str) -> bool:
    """An 18-character resident ID number with a real birth date and a correct check digit."""
    t = text.strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", t):
        return False
    try:
        date(int(t[6:10]), int(t[10:12]), int(t[12:14]))
    except ValueError:
        return False
    if not 1900 <= int(t[6:10]) <= date.today().year:
        return False
    return _CHECK[sum(int(c) * w for c, w in zip(t[:17], _WEIGHTS, strict=True)) % 11] == t[17]


def classify_paycode(text: str, *, ecny_prefixes: tuple[str, ...] = ("01",)) -> PayCode | None:
    """The channel of a scanned payment code, or None (not a payment code: e-voucher, ID number, …)."""
    t = str(text or "").strip()
    if not t.isdigit() or not t.isascii():
        return None
    n, p = len(t), t[:2]
    if n == 18 and p in ("10", "11", "12", "13", "14", "15") and not looks_like_certno(t):
        return PayCode(t, "wechat")
    if 16 <= n <= 24 and p in ("25", "26", "27", "28", "29", "30"):
        return PayCode(t, "alipay")
    if n == 19 and p == "62":
        return PayCode(t, "unionpay")
    if n == 19 and any(t.startswith(x) for x in ecny_prefixes):
        return PayCode(t, "ecny")
    return None


def mask_code(code: str) -> str:
    """A payment code as shown and stored: first 4 and last 4 digits (the code is a one-time bearer token)."""
    return code[:4] + "*" * max(0, len(code) - 8) + code[-4:] if len(code) > 8 else "*" * len(code)
