"""Invoice number ranges and check codes (client.domain.invoice)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client.domain.invoice import InvoiceError, InvoiceRange, InvoiceRangeExhausted, make_check_code


def test_numbers_are_ten_digits_strictly_increasing_until_exhausted():
    r = InvoiceRange("31010125", start=488888987, end=488888991)
    got = [r.next_number() for _ in range(5)]
    assert got == ["0488888987", "0488888988", "0488888989", "0488888990", "0488888991"]
    assert r.exhausted and r.remaining == 0
    with pytest.raises(InvoiceRangeExhausted) as ei:
        r.next_number()
    msg = str(ei.value)
    assert "已全部用完" in msg and "申领新号段" in msg and "31010125" in msg
    # exhaustion does not move the pointer
    assert r.next == 488888992


def test_restored_range_continues_without_repeats():
    r = InvoiceRange("31010125", start=1, end=100)
    issued = [r.next_number() for _ in range(37)]
    persisted = json.dumps(r.to_dict())  # what the store writes with the 37th invoice
    restored = InvoiceRange.from_dict(json.loads(persisted))
    issued += [restored.next_number() for _ in range(restored.remaining)]
    assert len(issued) == 100 == len(set(issued))
    assert issued == sorted(issued)
    with pytest.raises(InvoiceRangeExhausted):
        restored.next_number()


@given(st.integers(0, 10**6), st.integers(1, 300), st.integers(0, 300))
def test_never_repeats_across_any_restart_point(start, size, cut):
    r = InvoiceRange("32050922", start=start, end=start + size - 1)
    seen = [r.next_number() for _ in range(min(cut, size))]
    r2 = InvoiceRange.from_dict(r.to_dict())
    while not r2.exhausted:
        seen.append(r2.next_number())
    assert len(seen) == size == len(set(seen))


@pytest.mark.parametrize("kwargs, needle", [
    ({"code": "3101012", "start": 1, "end": 2}, "8 位数字"),
    ({"code": "3101012A", "start": 1, "end": 2}, "8 位数字"),
    ({"code": "31010125", "start": 5, "end": 2}, "大于结束号码"),
    ({"code": "31010125", "start": 1, "end": 10**10}, "结束号码无效"),
    ({"code": "31010125", "start": 1, "end": 9, "next": 11}, "不在号段"),
    ({"code": "31010125", "start": 3, "end": 9, "next": 2}, "不在号段"),
])
def test_bad_ranges_are_refused_in_chinese(kwargs, needle):
    with pytest.raises(InvoiceError) as ei:
        InvoiceRange(**kwargs)
    assert needle in str(ei.value)


def test_from_dict_missing_field():
    with pytest.raises(InvoiceError, match="缺少字段"):
        InvoiceRange.from_dict({"code": "31010125", "start": 1})


def test_check_code_format_and_determinism():
    secret = b"range-secret"
    a = make_check_code("31010125", "0000000001", "256.30", secret)
    assert re.fullmatch(r"[0-9a-z]{6}", a)
    assert a == make_check_code("31010125", "0000000001", "256.30", secret)
    assert a != make_check_code("31010125", "0000000001", "256.31", secret)
    assert a != make_check_code("31010125", "0000000002", "256.30", secret)
    assert a != make_check_code("31010125", "0000000001", "256.30", b"other")
    randoms = {make_check_code("31010125", "0000000001", "256.30") for _ in range(20)}
    assert all(re.fullmatch(r"[0-9a-z]{6}", x) for x in randoms)
    assert len(randoms) > 15
