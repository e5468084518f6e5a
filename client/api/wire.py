"""Wire value helpers: Decimal → string for requests, wire value → Decimal for responses.

Requests: amounts are strings with exactly 2 decimals, ``cnt`` 4 decimals, ``pric`` up to 6
decimals (at least 2). A value that would need rounding is refused (money is never silently
rounded on the way out). Floats are refused everywhere.

Responses: the JSON is parsed with ``parse_float=Decimal``, so a wire number never becomes a
float; numbers and numeric strings are both accepted (real platforms send numbers).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

Q2 = Decimal("0.01")
Q4 = Decimal("0.0001")
Q6 = Decimal("0.000001")


def _as_decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"字段 {field} 的数值必须是 Decimal 或字符串，不能是 {type(value).__name__}")
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"字段 {field} 的数值无效：{value!r}") from None
    if not d.is_finite():
        raise ValueError(f"字段 {field} 的数值无效：{value!r}")
    return d


def _exact(value: Any, field: str, q: Decimal) -> Decimal:
    d = _as_decimal(value, field)
    out = d.quantize(q)
    if out != d:
        raise ValueError(f"字段 {field} 的小数位数过多：{value}（最多 {-q.as_tuple().exponent} 位）")
    return out


def fmt_amount(value: Any, field: str = "amount") -> str:
    """Amount for the wire: '12.30'."""
    return f"{_exact(value, field, Q2):f}"


def fmt_cnt(value: Any, field: str = "cnt") -> str:
    """Quantity for the wire: '2.0000'."""
    return f"{_exact(value, field, Q4):f}"


def fmt_pric(value: Any, field: str = "pric") -> str:
    """Unit price for the wire: up to 6 decimals, at least 2 ('12.50', '0.123456')."""
    d = _exact(value, field, Q6)
    s = f"{d:f}"
    if "." in s:
        s = s.rstrip("0")
        whole, frac = s.split(".")
        s = f"{whole}.{frac.ljust(2, '0')}"
    else:
        s += ".00"
    return s


def parse_amount(value: Any, field: str = "amount") -> Decimal | None:
    """A wire amount (number or numeric string) → Decimal quantized to 0.01 ROUND_HALF_UP.

    None / "" → None (field absent). Garbage raises ValueError naming the field.
    """
    if value is None or value == "":
        return None
    return _as_decimal(value, field).quantize(Q2, rounding=ROUND_HALF_UP)


def parse_ratio(value: Any, field: str = "ratio") -> Decimal | None:
    """A wire ratio (e.g. pool_prop_selfpay 5,4) → Decimal with its received precision."""
    if value is None or value == "":
        return None
    return _as_decimal(value, field)


def check_no_floats(obj: Any, path: str = "input") -> None:
    """Refuse float / Decimal anywhere in a request body (they must be formatted strings)."""
    if isinstance(obj, bool):
        return
    if isinstance(obj, float | Decimal):
        raise ValueError(f"请求字段 {path} 是数值 {obj!r}：金额和数量必须先格式化为字符串")
    if isinstance(obj, dict):
        for k, v in obj.items():
            check_no_floats(v, f"{path}.{k}")
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            check_no_floats(v, f"{path}[{i}]")


def s(value: Any) -> str:
    """A wire scalar as str ('' for None); numbers keep their exact text."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)
