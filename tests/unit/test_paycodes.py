"""Payment-code classification (docs/payments.md §2), the code tender, and the [payment] section.

Expected channels come from the published rules: WeChat "18位纯数字，以10、11、12、13、14、15开头"
(pay.weixin.qq.com micropay), Alipay "25~30开头的长度为16~24位的数字" (the trade.pay auth_code
example 28763443825664394), UnionPay QR 62 + 19 digits.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from client.config import check_config, training_settings
from client.devices.paycode import classify_paycode, looks_like_certno, mask_code
from client.services.errors import ServiceError
from client.services.payments import Tender, allocate, parse_tender
from training_platform import demo

DATA = demo.generate()


@pytest.mark.parametrize("code,channel", [
    ("134567890123456789", "wechat"), ("104567890123456789", "wechat"), ("154567890123456789", "wechat"),
    ("28763443825664394", "alipay"), ("2576344382566439", "alipay"), ("300000000000000000000000", "alipay"),
    ("6212345678901234567", "unionpay"), ("0112345678901234567", "ecny"),
])
def test_published_prefixes(code, channel):
    pc = classify_paycode(code)
    assert pc is not None and pc.channel == channel


@pytest.mark.parametrize("code", [
    "164567890123456789",            # 16… 18 digits: no channel
    "13456789012345678",             # WeChat prefix, 17 digits
    "2876344382566439412345678",     # Alipay prefix, 25 digits
    "4243754826492874240001130000",  # an e-voucher code (reference §6): 28 digits
    "621234567890123456",            # 62 with 18 digits
    "1345678901234567８9",           # a full-width digit
    "", "abc", "13456789012345678X",
])
def test_not_payment_codes(code):
    assert classify_paycode(code) is None


def test_training_evoucher_codes_and_id_numbers_are_never_payment_codes():
    people = DATA["people"]
    for p in people:
        assert classify_paycode(p["certno"]) is None, p["certno"]
        if p.get("ecqr"):
            code = p["ecqr"] if p["ecqr"].isdigit() else ""
            assert classify_paycode(code) is None


def test_id_numbers_of_provinces_11_to_15_are_told_apart():
    # 110101199003070011: Beijing, born 1990-03-07; check digit worked by hand:
    # Σ(digit × weight) over 1,1,0,1,0,1,1,9,9,0,0,3,0,7,0,0,1 with 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2
    # = 7+9+0+5+0+4+2+9+54+0+0+27+0+35+0+0+2 = 154; 154 mod 11 = 0 → "1"
    assert looks_like_certno("110101199003070011")
    assert classify_paycode("110101199003070011") is None
    assert classify_paycode("110101199003070012").channel == "wechat"    # wrong check digit: not an ID


def test_mask():
    assert mask_code("134567890123456789") == "1345**********6789"


def test_code_tender_parsing():
    assert parse_tender("code:134567890123456789") == Tender("code", None, "134567890123456789")
    assert parse_tender("code:134567890123456789:50.00") == Tender("code", Decimal("50.00"), "134567890123456789")
    for bad in ("code:", "code:1:2:3", "code:134567890123456789:abc", "code:134567890123456789:0"):
        with pytest.raises(ServiceError):
            parse_tender(bad)
    with pytest.raises(ServiceError, match="聚合支付"):
        allocate(Decimal("10.00"), [Tender("code", None, "134567890123456789")])


def test_payment_section(tmp_path: Path):
    s = training_settings("http://127.0.0.1:1", tmp_path)
    assert s.payment.enabled and s.payment.url == "" and s.payment.query_attempts == 3
    f = tmp_path / "site.toml"
    f.write_text('[site]\nfixmedins_code = "H32050900007"\nfixmedins_name = "x"\nadmdvs = "320509"\nhosp_lv = 3\n'
                 '[platform]\nurl = "https://hsa.example.gov.cn"\n'
                 '[payment]\nenabled = true\nurl = "http://pay.example.com"\npoll_interval = 0\n', encoding="utf-8")
    report = check_config(f)
    paths = [e.path for e in report.errors]
    assert any(p.endswith("payment.mch_id") for p in paths) and any(p.endswith("payment.secret_ref") for p in paths)
    assert any(p.endswith("payment.url") for p in paths) and any(p.endswith("payment.poll_interval") for p in paths)
