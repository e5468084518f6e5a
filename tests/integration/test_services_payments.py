"""Payments: tenders → payment lines adding up to psn_cash_pay exactly (pure, no network)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client.services.errors import ServiceError
from client.services.payments import Tender, allocate, parse_tender

D = Decimal


def test_parse_tender():
    assert parse_tender("cash:200") == Tender("cash", D("200.00"))
    assert parse_tender("微信:35.5") == Tender("wechat", D("35.50"))
    assert parse_tender("bank_card:50.5:POS-778") == Tender("bank_card", D("50.50"), "POS-778")
    assert parse_tender("e-cny:1").method == "ecny"
    for bad in ("cash", "cash:", "paypal:3", "cash:abc", "cash:-1", "cash:0", "cash:1e3"):
        with pytest.raises(ServiceError) as ei:
            parse_tender(bad)
        assert ei.value.code == "invalid_input"


def test_cash_with_change_and_mixed_methods():
    lines = allocate(D("187.07"), [Tender("wechat", D("10.00")), Tender("cash", D("500.00"))])
    assert [(x.method, x.amount, x.tendered, x.change) for x in lines] == [
        ("wechat", D("10.00"), None, None), ("cash", D("177.07"), D("500.00"), D("322.93"))]
    assert allocate(D("0.00"), []) == []
    exact = allocate(D("30.00"), [Tender("alipay", D("10.00")), Tender("ecny", D("20.00"))])
    assert sum(x.amount for x in exact) == D("30.00")


@pytest.mark.parametrize("due,tenders,word", [
    (D("10.00"), [Tender("wechat", D("9.99"))], "还差"),
    (D("10.00"), [Tender("cash", D("9.99"))], "不足"),
    (D("10.00"), [Tender("alipay", D("10.01"))], "超过"),
    (D("10.00"), [Tender("wechat", D("10.00")), Tender("cash", D("5.00"))], "无需再收现金"),
    (D("10.00"), [Tender("cash", D("5.00")), Tender("cash", D("5.00"))], "只能录入一笔"),
    (D("10.00"), [Tender("account", D("10.00"))], "个人账户"),
])
def test_refusals(due, tenders, word):
    with pytest.raises(ServiceError) as ei:
        allocate(due, tenders)
    assert ei.value.code == "invalid_input" and word in ei.value.message


@given(due=st.integers(0, 10**7), other=st.lists(st.integers(1, 10**5), max_size=3), extra=st.integers(0, 10**5))
def test_lines_always_add_up_to_due(due, other, extra):
    due_d = D(due) / 100
    others = [Tender(m, D(a) / 100) for m, a in zip(("wechat", "alipay", "bank_card"), other, strict=False)]
    rest = due_d - sum((t.amount for t in others), D("0"))
    if rest < 0:
        with pytest.raises(ServiceError):
            allocate(due_d, others + [Tender("cash", D(extra) / 100 + D("0.01"))])
        return
    tenders = others + ([Tender("cash", rest + D(extra) / 100)] if rest > 0 else [])
    lines = allocate(due_d, tenders)
    assert sum(x.amount for x in lines) == due_d
    for x in lines:
        if x.method == "cash":
            assert x.tendered - x.amount == x.change >= 0
