"""验密 through `medsettle checkout` (issue #15 scope 3), against the training platform checking the
password with its own key (training_platform.password), in the Zhejiang dialect, configured only by
the Jiashan example site file plus the two 验密 keys IT adds where the region asks for it.

Training passwords (docs/demo-data.md): the six digits before the ID number's check digit, reversed —
沈明 330421198503150016 → 315001 → 100513. He is insured in Jiashan and settles in Jiashan: same
province, so the password is checked. 周丽 (310118…, Shanghai) settling in Jiashan is cross-province:
"跨省异地不验密" (reference §3.7), so she is not asked.
"""

from __future__ import annotations

import json
import shutil

import pytest
import requests

from tests.integration.cli_inproc import medsettle_inproc as medsettle
from tests.integration.test_regional_dialects import CASHIER, FEES, _configured
from training_platform.server import EmbeddedPlatform
from training_platform.store import DB_NAME

SHEN, SHEN_PW = "330421198503150016", "100513"
ZHOU_LI = "310118196804120067"


@pytest.fixture
def jiashan(sandbox_template, tmp_path):
    target = tmp_path / "platform"
    target.mkdir()
    shutil.copyfile(sandbox_template, target / DB_NAME)
    p = EmbeddedPlatform(target, dialect="zhejiang", password_check=True).start()
    try:
        key = tmp_path / "region-password-key.pem"
        key.write_bytes(requests.get(p.url + "/training/password-key", timeout=10).content)
        site = _configured("zhejiang", p, tmp_path)
        text = site.read_text(encoding="utf-8").replace(
            "\n[einvoice]", f'password_check = true\npassword_public_key = "{key}"\n\n[einvoice]', 1)
        site.write_text(text, encoding="utf-8")
        r = medsettle("config", "check", "--config", str(site))
        assert r.returncode == 0 and "password_check = true" in r.stdout, r.stdout
        cfg = ("--config", str(site))
        assert medsettle("sync", *cfg).returncode == 0
        assert medsettle("shift", "open", *cfg, "--operator", CASHIER, "--float", "0.00").returncode == 0
        fees = tmp_path / "fees.json"
        fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
        yield p, cfg, str(fees), tmp_path
    finally:
        p.stop()


def _checkout(cfg, fees, certno, *extra, stdin=""):
    return medsettle("checkout", *cfg, "--operator", CASHIER, "--certno", certno, "--fees", fees, "--med-type", "11",
                     "--ack-warnings", "--pay", "cash:200", *extra, stdin=stdin)


def test_password_checked_for_a_same_province_patient(jiashan):
    platform, cfg, fees, tmp = jiashan
    r = _checkout(cfg, fees, SHEN)                                   # no password given, no terminal
    assert r.returncode == 2 and "本地区结算需要验证患者密码" in r.stderr, r.stderr
    r = _checkout(cfg, fees, SHEN, "--patient-password-stdin", stdin="000000\n")
    assert r.returncode == 2 and "参保人密码校验失败" in r.stderr, r.stderr
    assert requests.get(platform.url + "/admin/ledger", timeout=10).json() == []     # nothing charged
    r = _checkout(cfg, fees, SHEN, "--patient-password-stdin", stdin="12345\n")      # five digits
    assert r.returncode == 2 and "密码应为6位数字" in r.stderr
    r = _checkout(cfg, fees, SHEN, "--patient-password-stdin", stdin=SHEN_PW + "\n")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["state"] == "confirmed" and rec["setlinfo"]["medfee_sumamt"] in ("99.40", 99.4)
    ledger = requests.get(platform.url + "/admin/ledger", timeout=10).json()
    assert [(x["infno"], x["kind"]) for x in ledger] == [("2207A", "setl")]
    # the password is in no output, log or store file
    for path in (tmp / "data").rglob("*"):
        if path.is_file():
            assert SHEN_PW.encode() not in path.read_bytes(), path
    assert SHEN_PW not in r.stdout + r.stderr


def test_cross_province_patients_are_not_asked(jiashan):
    platform, cfg, fees, _tmp = jiashan
    r = _checkout(cfg, fees, ZHOU_LI)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["state"] == "confirmed"
