"""The audit masking pass: no full ID / card / token / name / secret reaches an audit detail."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from client.logging_setup import clear_secrets, register_secret
from client.security.leakscan import find_in_text
from client.services.audit import ACTION_LABELS, mask_detail

SHEN = "330421198503150016"
CARD = "330421|330421198503150016|X00000019|5a6b7c8d9e0f11223344556677889900|沈明|00|3.00|20200101|20300101|"


def test_known_keys_masked_by_kind():
    d = mask_detail({"certno": SHEN, "card_no": "X00000019", "psn_name": "欧阳春晓", "phone": "13812345678",
                     "ecToken": "310118ec0123456789abcdef0123456789abcd", "password": "Train-0009",
                     "medfee_sumamt": Decimal("120.50"), "count": 3, "ok": True, "none": None,
                     "at": datetime(2026, 11, 20, 8, 30)})
    assert d == {"certno": "330421********0016", "card_no": "X0*****19", "psn_name": "欧**晓",
                 "phone": "138****5678", "ecToken": "***", "password": "***", "medfee_sumamt": "120.50",
                 "count": 3, "ok": True, "none": None, "at": "2026-11-20 08:30:00"}


def test_free_text_nested_and_card_strings():
    d = mask_detail({"note": f"患者 {SHEN} 刷卡", "raw": [CARD, {"deep": f"id={SHEN}"}],
                     "authorized_by_name": "培训组长甲"})
    text = repr(d)
    assert SHEN not in text and "X00000019" not in text and "沈明" not in text
    assert "330421********0016" in text and d["authorized_by_name"] == "培训组长甲"   # operator names stay


def test_registered_secrets_removed():
    register_secret("TRAINING-ONLY-310118-5f0c2a9e7b41d8c3")
    try:
        d = mask_detail({"error": "mac key TRAINING-ONLY-310118-5f0c2a9e7b41d8c3 rejected"})
        assert d == {"error": "mac key *** rejected"}
    finally:
        clear_secrets()


def test_floats_refused_and_idempotent():
    with pytest.raises(ValueError, match="浮点"):
        mask_detail({"amount": 1.5})
    once = mask_detail({"certno": SHEN, "psn_name": "沈明", "note": SHEN})
    assert mask_detail(once) == once
    assert find_in_text(repr(once), "x") == []


def test_every_action_has_a_chinese_label():
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in v) for v in ACTION_LABELS.values())
    for a in ("signin", "signout", "identify", "settle", "reverse", "reprint", "price_override", "config_change",
              "export", "precheck_ack", "authorize"):
        assert a in ACTION_LABELS
