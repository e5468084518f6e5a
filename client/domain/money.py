"""Money: ``decimal.Decimal`` only, two decimals, ROUND_HALF_UP.

Amounts travel as JSON *strings* (``"1234.50"``). ``to_amount`` is the only door from the outside
world into money: it refuses floats, ints, bools, NaN/Infinity, exponent forms and empty strings, and
names the offending field in its (Chinese) message so a cashier or IT user can find it.

``rmb_upper`` renders 人民币大写 following 《会计基础工作规范》 第五十二条 (财会字〔1996〕19号):

* 到"元"为止或到"角"为止的金额，在"元"或"角"之后写"整"；有"分"的，"分"后不写"整".
  ``100.00 → 壹佰元整``, ``10.50 → 壹拾元伍角整``, ``1230.05 → 壹仟贰佰叁拾元零伍分``.
* 数字中间有一个或连续几个"0"时只写一个"零"：``1005 → 壹仟零伍元整``,
  ``100010000 → 壹亿零壹万元整``.
* 元位是"0"而角位不是"0"时，规范允许写或不写"零". Our choice: write one "零" when the 元位
  closes a run of two or more zeros (``100000.10 → 壹拾万元零壹角整``, ``1000.50 →
  壹仟元零伍角整``); a single zero in the 元位 gets none (``10.50 → 壹拾元伍角整``).
* 角位是"0"而分位不是"0"时写"零"：``1230.05 → 壹仟贰佰叁拾元零伍分``; below one yuan no
  "零元" is written (``0.05 → 伍分``, ``0.50 → 伍角整``); zero is ``零元整``.
* "壹拾" is always written with its 壹 (``10 → 壹拾元整``) so that nothing can be prefixed.
* Negative amounts (red-letter documents) get the prefix ``负``.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CENT", "ZERO", "fmt2", "fmt_display", "normalize_typed", "parse_typed_amount", "q2", "rmb_upper",
           "to_amount", "to_decimal"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Plain decimal notation only: optional minus, digits, optional fraction. No exponent, no spaces,
# no leading '+', no '.5' or '5.' forms.
_DECIMAL_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_MAX_CHARS = 40


def _kind(value: object) -> str:
    if value is None:
        return "空值 null"
    if isinstance(value, bool):
        return f"布尔值 {str(value).lower()}"
    if isinstance(value, float):
        return f"数字 {value!r}（不带引号的小数）"
    if isinstance(value, int):
        return f"数字 {value}（不带引号）"
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:20] + "…"
        return f'字符串 "{shown}"'
    return type(value).__name__


def to_decimal(value: object, field: str) -> Decimal:
    """Parse a decimal string such as ``"0.15"`` or ``"24"`` exactly (no rounding).

    Raises ``ValueError`` with a Chinese message naming *field* for anything that is not a plain
    decimal string.
    """
    if type(value) is str and len(value) <= _MAX_CHARS and _DECIMAL_RE.fullmatch(value):
        return Decimal(value)
    raise ValueError(
        f'{field} 必须是用引号括起来的十进制数字字符串（例如 "12.50"），收到的是{_kind(value)}。'
        "请检查数据来源后重试。"
    )


def to_amount(value: object, field: str) -> Decimal:
    """Parse a money string (at most two decimals) into a Decimal quantized to 0.01.

    ``to_amount("600", "deductible") == Decimal("600.00")``. Floats, ints, bools, NaN, exponent
    forms, empty strings and more than two decimals raise ``ValueError`` naming *field*.
    """
    d = to_decimal(value, field)
    if d.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f'{field} 是金额，最多两位小数（到分），收到的是"{value}"。请检查数据来源后重试。')
    return d.quantize(CENT)


# What a cashier types into an amount field: full-width digits and punctuation (a Chinese input
# method left on) are the same characters as ASCII; "¥"/"￥", spaces and thousands commas carry no value.
_TYPED_STRIP = str.maketrans("", "", " \u3000,，¥￥")
_TYPED_RE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{0,2})?")


def normalize_typed(text: str) -> str:
    """``"１２３．５"`` → ``"123.5"``: full-width forms to ASCII (NFKC), the Chinese full stop 。 as a
    decimal point, without spaces, thousands separators or currency signs. Nothing is guessed: letters
    stay letters (``"1OO"`` stays ``"1OO"``)."""
    import unicodedata

    t = unicodedata.normalize("NFKC", str(text or "")).replace("。", ".")
    return t.translate(_TYPED_STRIP).strip()


def parse_typed_amount(text: str, what: str = "金额") -> Decimal | None:
    """An amount typed at the counter (实收, counted cash, opening float): digits with at most two
    decimals, full-width accepted (:func:`normalize_typed`). Empty → None. Anything else raises
    ``ValueError`` with a Chinese message that quotes the text as typed."""
    t = normalize_typed(text)
    if not t:
        return None
    if not _TYPED_RE.fullmatch(t):
        shown = str(text).strip()
        raise ValueError(f"{what}“{shown}”不是有效金额：只能输入数字和小数点（最多两位小数），例如 100 或 35.50。")
    return Decimal(t if not t.endswith(".") else t[:-1]).quantize(CENT)


def q2(d: Decimal) -> Decimal:
    """Quantize to 0.01 with ROUND_HALF_UP (the only rounding money ever gets)."""
    if type(d) is not Decimal:
        if isinstance(d, bool) or not isinstance(d, int | Decimal):
            raise TypeError(f"money must be Decimal or int, not {type(d).__name__}")
        d = Decimal(d)
    r = d.quantize(CENT, rounding=ROUND_HALF_UP)
    return r if r else ZERO  # no negative zero


def fmt2(d: Decimal) -> str:
    """``Decimal("1230.046") → "1230.05"`` (plain, two decimals, never an exponent)."""
    return format(q2(d), "f")


def fmt_display(d: Decimal) -> str:
    """``Decimal("1230.05") → "1,230.05"`` for screens and paper."""
    return format(q2(d), ",.2f")


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿")  # up to 9999亿 (amounts below 10^12)


def _integer_upper(n: int) -> str:
    """Chinese capital numerals for a positive integer < 10**12 (no trailing 元).

    One 零 stands for any run of zeros between two non-zero digits, except zeros at the end of
    a 万/亿 section, which the section word absorbs (101000 → 壹拾万壹仟).
    """
    sections = []
    while n:
        sections.append(n % 10000)
        n //= 10000
    out: list[str] = []
    pending_zero = False
    for idx in range(len(sections) - 1, -1, -1):
        sec = sections[idx]
        if sec == 0:
            pending_zero = bool(out)
            continue
        for pos, dgt in enumerate((sec // 1000, sec // 100 % 10, sec // 10 % 10, sec % 10)):
            if dgt == 0:
                pending_zero = bool(out)
                continue
            if pending_zero:
                out.append("零")
                pending_zero = False
            out.append(_DIGITS[dgt] + _UNITS[3 - pos])
        pending_zero = False
        out.append(_SECTIONS[idx])
    return "".join(out)


def rmb_upper(d: Decimal) -> str:
    """人民币大写 of an amount (rounded half-up to 0.01 first); see the module docstring."""
    amount = q2(d)
    if amount < 0:
        return "负" + rmb_upper(-amount)
    cents = int(amount * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    if yuan >= 10**12:
        raise ValueError("金额过大，无法转换为人民币大写（上限 9999亿元）。")
    if cents == 0:
        return "零元整"
    parts: list[str] = []
    if yuan:
        parts.append(_integer_upper(yuan) + "元")
    if jiao:
        if yuan and yuan % 100 == 0:
            parts.append("零")
        parts.append(_DIGITS[jiao] + "角")
    if fen:
        if yuan and not jiao:
            parts.append("零")
        parts.append(_DIGITS[fen] + "分")
    else:
        parts.append("整")
    return "".join(parts)
