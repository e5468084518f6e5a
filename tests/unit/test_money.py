"""client.domain.money: parsing, rounding, formatting and 人民币大写."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from client.domain.money import fmt2, fmt_display, q2, rmb_upper, to_amount, to_decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1230.05", "1230.05"), ("600", "600.00"), ("0", "0.00"), ("0.5", "0.50"), ("-12.30", "-12.30")],
)
def test_to_amount_accepts_decimal_strings(raw, expected):
    d = to_amount(raw, "x")
    assert isinstance(d, Decimal)
    assert str(d) == expected


@pytest.mark.parametrize(
    "bad",
    [2.5, 2, True, False, None, "", " 1.00", "1.00 ", "+1", "1e3", "1E-2", "NaN", "nan", "Infinity", "-inf",
     ".5", "5.", "1,000.00", "１２", "0x10", [], {}, "1.005", "12.345"],
)  # fmt: skip
def test_to_amount_rejects_everything_else_naming_the_field(bad):
    with pytest.raises(ValueError) as ei:
        to_amount(bad, "lines[3].pric")
    assert "lines[3].pric" in str(ei.value)


def test_to_decimal_keeps_exact_value_and_rejects_floats():
    assert to_decimal("0.125", "r") == Decimal("0.125")
    with pytest.raises(ValueError, match="ratio"):
        to_decimal(0.125, "ratio")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("1.015", "1.02"), ("-0.005", "-0.01"),
     ("69.2250", "69.23"), ("50.765", "50.77"), ("-0.004", "0.00")],
)  # fmt: skip
def test_q2_is_half_up_never_bankers(raw, expected):
    assert fmt2(q2(Decimal(raw))) == expected


def test_q2_refuses_float():
    with pytest.raises(TypeError):
        q2(0.1)  # type: ignore[arg-type]
    assert q2(3) == Decimal("3.00")


def test_formatting():
    assert fmt2(Decimal("1230.046")) == "1230.05"
    assert fmt2(Decimal("1E+5")) == "100000.00"
    assert fmt2(Decimal("-0.001")) == "0.00"  # no "-0.00"
    assert fmt_display(Decimal("1230.05")) == "1,230.05"
    assert fmt_display(Decimal("1234567.8")) == "1,234,567.80"
    assert fmt_display(Decimal("-1230.05")) == "-1,230.05"
    assert fmt_display(Decimal("0")) == "0.00"


@pytest.mark.parametrize(
    ("amount", "upper"),
    [
        ("1230.05", "壹仟贰佰叁拾元零伍分"),  # 角 zero, 分 not: 零 before 分, no 整
        ("100", "壹佰元整"),
        ("100.00", "壹佰元整"),
        ("1005.00", "壹仟零伍元整"),  # zeros inside: one 零
        ("100000.10", "壹拾万元零壹角整"),  # run of zeros ending at 元, 角 follows: one 零; 整 after 角
        ("1000.50", "壹仟元零伍角整"),
        ("10.50", "壹拾元伍角整"),  # a single zero at 元: no 零; 整 after 角
        ("110.50", "壹佰壹拾元伍角整"),
        ("0.05", "伍分"),  # below one yuan: no 零元
        ("0.50", "伍角整"),
        ("0.55", "伍角伍分"),
        ("0", "零元整"),
        ("0.00", "零元整"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),  # always 壹拾, never bare 拾
        ("15.00", "壹拾伍元整"),
        ("1.01", "壹元零壹分"),
        ("1.10", "壹元壹角整"),
        ("1.11", "壹元壹角壹分"),
        ("101000", "壹拾万壹仟元整"),  # zero at the end of the 万 section is absorbed by 万
        ("10010", "壹万零壹拾元整"),  # leading zeros of the lower section: 零
        ("10001", "壹万零壹元整"),
        ("1010000", "壹佰零壹万元整"),
        ("10100000", "壹仟零壹拾万元整"),
        ("100000000", "壹亿元整"),
        ("100010000", "壹亿零壹万元整"),
        ("100001000", "壹亿零壹仟元整"),  # whole 万 section zero: a single 零, no 万
        ("201000000", "贰亿零壹佰万元整"),
        ("1000000001", "壹拾亿零壹元整"),
        ("12345678.90", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角整"),
        ("10000000000.01", "壹佰亿元零壹分"),
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
        ("-12.30", "负壹拾贰元叁角整"),  # red-letter document
        ("-0.05", "负伍分"),
        ("16202.06", "壹万陆仟贰佰零贰元零陆分"),
        ("0.005", "壹分"),  # rounded half-up first
    ],
)
def test_rmb_upper(amount, upper):
    assert rmb_upper(Decimal(amount)) == upper


def test_rmb_upper_too_large():
    with pytest.raises(ValueError):
        rmb_upper(Decimal("1000000000000.00"))


_DIGIT_VALUE = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}


def _parse_upper(s: str) -> Decimal:
    """Independent reader of capital amounts, used to round-trip rmb_upper."""
    neg = s.startswith("负")
    s = s.removeprefix("负").removesuffix("整")
    total = 0
    section = 0
    digit = 0
    units = {"拾": 10, "佰": 100, "仟": 1000}
    cents = 0
    for ch in s:
        if ch in _DIGIT_VALUE:
            digit = _DIGIT_VALUE[ch]
        elif ch in units:
            section += digit * units[ch]
            digit = 0
        elif ch == "万":
            section += digit
            total += section * 10_000
            section = digit = 0
        elif ch == "亿":
            section += digit
            total = (total + section) * 100_000_000
            section = digit = 0
        elif ch == "元":
            section += digit
            total += section
            section = digit = 0
        elif ch == "角":
            cents += digit * 10
            digit = 0
        elif ch == "分":
            cents += digit
            digit = 0
    d = Decimal(total * 100 + cents) / 100
    return -d if neg else d


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=-(10**14) + 1, max_value=10**14 - 1))
def test_rmb_upper_round_trips(cents):
    amount = Decimal(cents) / 100
    text = rmb_upper(amount)
    assert _parse_upper(text) == amount
    assert "零零" not in text
    assert not text.rstrip("整").endswith("零")
    # 整 exactly when there are no 分
    assert text.endswith("整") == (abs(cents) % 10 == 0)
