"""[offline] modes: full self-pay + 补结算 by default, the provisional settlement only per approved region."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from client.config import ConfigInvalid, OfflineSettings, load_settings
from client.services.backsettle import _refund_method

MINIMAL = """
[site]
fixmedins_code = "H32050900007"
fixmedins_name = "苏州市吴江区第一人民医院"
admdvs = "320509"
hosp_lv = 3

[platform]
url = "https://hsa.example.gov.cn"
"""


def _load(tmp_path: Path, extra: str):
    p = tmp_path / "site.toml"
    p.write_text(MINIMAL + extra, encoding="utf-8")
    return load_settings(p)


def test_default_is_self_pay_with_backsettle(tmp_path):
    s = _load(tmp_path, "")
    assert s.offline.provisional_regions == () and s.offline.backsettle is True
    assert s.offline.backsettle_account is False
    assert not s.offline.provisional_allowed("330421") and not s.offline.provisional_allowed("")


def test_provisional_regions_by_prefix_with_a_warning(tmp_path):
    s = _load(tmp_path, '\n[offline]\nprovisional_regions = ["330421", "32"]\n')
    assert s.offline.provisional_regions == ("330421", "32")
    assert s.offline.provisional_allowed("330421") and s.offline.provisional_allowed("320509")
    assert not s.offline.provisional_allowed("310118") and not s.offline.provisional_allowed(None)
    warn = {w.path: w.message for w in s.warnings}
    assert "offline.provisional_regions" in warn and "书面同意" in warn["offline.provisional_regions"]


@pytest.mark.parametrize("value", ['"330421"', '["33042"]', '["abc"]', '["3304211"]'])
def test_bad_provisional_regions_is_a_clear_error(tmp_path, value):
    with pytest.raises(ConfigInvalid) as ei:
        _load(tmp_path, f"\n[offline]\nprovisional_regions = {value}\n")
    assert "provisional_regions" in str(ei.value) and "区划代码" in str(ei.value)


def test_refund_goes_back_the_way_the_patient_paid():
    d = Decimal
    assert _refund_method({"cash": d("43.60")}) == "cash"
    assert _refund_method({"wechat": d("43.60")}) == "wechat"
    assert _refund_method({"cash": d("10.00"), "alipay": d("33.60")}) == "alipay"
    assert _refund_method({"cash": d("40.00"), "bank_card": d("3.60")}) == "bank_card"   # the channel can refund
    assert _refund_method({"cash": d("0.00"), "account": d("5.00")}) == "cash"
    assert OfflineSettings().provisional_allowed("330421") is False
