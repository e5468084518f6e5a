"""Codes and their labels come from client.domain.codes only (issue #14 scope 5): a tender label
differing between the Z report (微信) and the e-invoice (微信支付) was a defect."""

import re
from pathlib import Path

from client.domain import codes

ROOT = Path(__file__).resolve().parents[2]


def test_every_module_uses_the_one_table():
    from client.domain.invoice import PAYMENT_LABELS
    from client.services import dayend, payments, reports

    assert dayend.METHOD_NAMES is codes.PAYMENT_METHOD_NAMES
    assert payments.METHODS is codes.PAYMENT_METHOD_NAMES
    assert reports.METHOD_NAMES is codes.PAYMENT_METHOD_NAMES
    assert PAYMENT_LABELS == {k: v for k, v in codes.PAYMENT_METHOD_NAMES.items() if k != "account"}
    assert codes.PAYMENT_METHOD_NAMES["wechat"] == "微信支付"          # the product's name, everywhere
    assert codes.payment_method_name("unionpay") == "unionpay"        # unknown: shown as the code


def test_aliases_reach_every_tender_code():
    assert {codes.PAYMENT_METHOD_ALIASES[k] for k in ("微信", "微信支付", "weixin", "WeChat".lower())} == {"wechat"}
    assert set(codes.PAYMENT_METHOD_ALIASES.values()) == set(codes.PAYMENT_METHOD_ORDER) - {"account"}


# labels that must not be written out again outside codes.py (a literal dict of them is a second table)
LITERALS = re.compile(r'"(微信|微信支付|支付宝|数字人民币)"\s*[,}]|\{"01":\s*"甲')


def test_no_second_table_in_the_source():
    offenders = []
    for path in sorted((ROOT / "client").rglob("*.py")):
        if path.name == "codes.py" or "/ui/" in path.as_posix():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LITERALS.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == [], "\n".join(offenders)
