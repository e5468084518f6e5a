"""The proportional refund rule of 部分退费 (issue 18/19): each tender gets refund × paid / total, rounded to
the fen ROUND_HALF_UP; the remainder fen goes on the largest share. Every expectation worked by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from client.services.partial_refund import proportional_split


def test_two_tenders_no_remainder():
    # 42.75 × 30.00 / 67.75 = 18.9299… → 18.93 ; 42.75 × 37.75 / 67.75 = 23.8201… → 23.82 ; sum 42.75
    assert proportional_split(D("42.75"), [D("30.00"), D("37.75")]) == [D("18.93"), D("23.82")]


def test_three_equal_tenders_remainder_on_the_largest_first():
    # 10.00 / 3 = 3.3333… → 3.33 each = 9.99; the remainder 0.01 on the largest (all equal: the first)
    assert proportional_split(D("10.00"), [D("5.00"), D("5.00"), D("5.00")]) == [D("3.34"), D("3.33"), D("3.33")]


def test_half_fen_rounds_up_and_the_excess_comes_off_the_largest():
    # 0.05 × 1/2 = 0.025 → 0.03 (half up) twice = 0.06, one fen too many: taken off the largest (the first)
    assert proportional_split(D("0.05"), [D("1.00"), D("1.00")]) == [D("0.02"), D("0.03")]


def test_remainder_goes_on_the_largest_share():
    # paid 1.00 / 2.00 / 7.00 (total 10.00), refund 1.00:
    #   0.10, 0.20, 0.70 exactly — no remainder
    assert proportional_split(D("1.00"), [D("1.00"), D("2.00"), D("7.00")]) == [D("0.10"), D("0.20"), D("0.70")]
    # refund 0.01: 0.001 → 0.00, 0.002 → 0.00, 0.007 → 0.01 ; sum 0.01
    assert proportional_split(D("0.01"), [D("1.00"), D("2.00"), D("7.00")]) == [D("0.00"), D("0.00"), D("0.01")]
    # refund 0.02 over 3.00/3.00/4.00: 0.006 → 0.01, 0.006 → 0.01, 0.008 → 0.01 = 0.03; −0.01 off the largest (4.00)
    assert proportional_split(D("0.02"), [D("3.00"), D("3.00"), D("4.00")]) == [D("0.01"), D("0.01"), D("0.00")]


def test_nothing_to_refund_and_refund_larger_than_paid():
    assert proportional_split(D("0.00"), [D("5.00"), D("1.00")]) == [D("0.00"), D("0.00")]
    with pytest.raises(ValueError):
        proportional_split(D("7.00"), [D("5.00"), D("1.00")])
