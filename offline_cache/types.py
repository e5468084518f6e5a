"""Column types: money as INTEGER fen (exact, summable in SQL) and exact decimals as TEXT.

Choice (see docs/store.md): amounts are stored as INTEGER *fen* (1/100 yuan). SQLite integers are
exact 64-bit values, so ``SUM(amount)`` in a day-end report is exact; a TEXT column would be summed
as REAL by SQLite. Python always sees ``decimal.Decimal`` with two decimals. Floats are rejected,
and an amount that is not already a whole number of fen is rejected rather than silently rounded
(callers quantize with ROUND_HALF_UP in the domain layer, where the rule lives).

Ratios (selfpay_prop, pool ratios) have 2-4 decimals and are never summed: they are stored as TEXT
decimal strings (``DecimalText``), exactly as received.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import Integer, Text
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


def to_fen(value: Decimal | str | int | None, field: str = "amount") -> int | None:
    """Decimal (or decimal string) → integer fen; exact or ValueError. ``None`` passes through."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"{field}: 金额不能是浮点数 ({value!r})")
    if isinstance(value, int):
        # ints are accepted only as whole yuan amounts from Python code, never from the wire
        d = Decimal(value)
    elif isinstance(value, Decimal):
        d = value
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{field}: 金额格式不正确 ({value!r})") from None
    else:
        raise ValueError(f"{field}: 金额类型不正确 ({type(value).__name__})")
    if not d.is_finite():
        raise ValueError(f"{field}: 金额不是有限数 ({value!r})")
    fen = d * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{field}: 金额超过两位小数，须先按四舍五入到分 ({value!r})")
    return int(fen)


def from_fen(fen: int | None) -> Decimal | None:
    if fen is None:
        return None
    return (Decimal(int(fen)) / 100).quantize(CENT)


class Money(TypeDecorator):
    """Decimal yuan in Python, INTEGER fen in SQLite."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return to_fen(value)

    def process_result_value(self, value, dialect):
        return from_fen(value)

    def process_literal_param(self, value, dialect):
        return str(to_fen(value))


def to_decimal_text(value: Decimal | str | None, field: str = "value") -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"{field}: 不能是浮点数 ({value!r})")
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{field}: 数值格式不正确 ({value!r})") from None
    if not d.is_finite():
        raise ValueError(f"{field}: 数值不是有限数 ({value!r})")
    return format(d, "f")


class DecimalText(TypeDecorator):
    """Exact decimal stored as its TEXT representation (ratios; never summed in SQL)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return to_decimal_text(value)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)
