"""Each demo-zone region's dialect end to end, configured only by that region's example site file
(resources/config/site.<region>.toml) — the going-live path IT takes, against the training platform
started in the region's dialect (training_platform.dialects) over 127.0.0.1:

* Qingpu 310118  — dialect ``national``: x-tif gateway, base URL + infno;
* Wujiang 320509 — dialect ``jiangsu``: CSB gateway, one URL;
* Jiashan 330421 — dialect ``zhejiang``: x-ca HMAC-SM3 over the body, per-service paths, 2206A/2207A.

For each: the example file with only its addresses pointed at the training platform; the gateway
secret and the policy key stored with ``medsettle config set-secret``; ``config check`` passes; sign-in
(9001), 1101, a full outpatient checkout and a same-day reversal through ``medsettle``; every call passed
the platform's own gateway check (a wrong secret is refused before the platform, and the cashier
reads the gateway's words in a Chinese sentence). The platform's ledger shows the region's infno.

Hand-worked figures: 头孢克洛胶囊 24 × 3.10 = 74.40, 普通门诊诊查费 1 × 25.00 = 25.00 (the hospital's
prices on the bill), total 99.40; the parts the platform returns must add up to it:
fund_pay_sumamt + acct_pay + psn_cash_pay (+ hosp_part_amt) = 99.40 (reference §5 identity 4).
"""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from client.services.context import TRAINING_MAC_KEYS
from tests.integration.cli_inproc import medsettle_inproc as medsettle
from training_platform.dialects import DIALECTS
from training_platform.server import EmbeddedPlatform
from training_platform.store import DB_NAME

ROOT = Path(__file__).resolve().parents[2]
SHEN = "330421198503150016"       # 沈明, insured in Jiashan: local there, demo-zone cross-region elsewhere
REGIONS = {"national": "qingpu", "jiangsu": "wujiang", "zhejiang": "jiashan"}
FEES = [{"code": "XJ01CRA006A001010104041", "cnt": "24", "pric": "3.10", "name": "头孢克洛胶囊"},
        {"code": "001102000010000", "cnt": "1", "pric": "25.00", "name": "普通门诊诊查费"}]
CASHIER, CASHIER_PW = "C101", "Cashier-101-pw"
SUPERVISOR, SUPERVISOR_PW = "S201", "Super-201-pw"


def site_file(region: str, tmp_path: Path, platform_settings: dict, platform_url: str) -> Path:
    """The region's example file with its addresses pointed at the training platform, nothing else changed."""
    text = (ROOT / "resources" / "config" / f"site.{region}.toml").read_text(encoding="utf-8")
    head, sep, rest = text.partition("[platform]")
    plat, sep2, tail = rest.partition("\n[einvoice]")
    plat = re.sub(r'(?m)^url = "[^"]*"', f'url = "{platform_settings["url"]}"', plat, count=1)
    tail = re.sub(r'(?m)^url = "[^"]*"', f'url = "{platform_url}"', tail, count=1)
    path = tmp_path / f"site.{region}.toml"
    path.write_text(head + sep + plat + sep2 + tail + f'\n[paths]\ndata_dir = "{tmp_path / "data"}"\n',
                    encoding="utf-8")
    return path


@pytest.fixture(params=sorted(DIALECTS))
def region(request, sandbox_template, tmp_path):
    name = request.param
    target = tmp_path / "platform"
    target.mkdir()
    shutil.copyfile(sandbox_template, target / DB_NAME)
    p = EmbeddedPlatform(target, dialect=name).start()
    try:
        yield name, p
    finally:
        p.stop()


def _operators(site: Path) -> None:
    """The window's people, as IT creates them in production: the first admin, then an admin adds them."""
    cfg = ("--config", str(site))
    r = medsettle("operator", "add", "A001", "--name", "信息科管理员", "--role", "admin", "--first-admin",
                  "--password-stdin", *cfg, stdin="Admin-001-pw\n")
    assert r.returncode == 0, r.stderr
    r = medsettle("operator", "passwd", "A001", "--password-stdin", *cfg, stdin="Admin-001-pw\nAdmin-001-new\n")
    assert r.returncode == 0, r.stderr
    for code, name, role, pw in ((CASHIER, "收费员王", "cashier", "Initial-c101"),
                                 (SUPERVISOR, "组长李", "supervisor", "Initial-s201")):
        r = medsettle("operator", "add", code, "--name", name, "--role", role, "--by", "A001", "--by-password-stdin",
                      "--password-stdin", *cfg, stdin=f"Admin-001-new\n{pw}\n")
        assert r.returncode == 0, r.stderr
        final = CASHIER_PW if code == CASHIER else SUPERVISOR_PW
        r = medsettle("operator", "passwd", code, "--password-stdin", *cfg, stdin=f"{pw}\n{final}\n")
        assert r.returncode == 0, r.stderr


def _configured(name: str, platform: EmbeddedPlatform, tmp_path: Path, secret: str | None = None) -> Path:
    d = DIALECTS[name]
    region_name = REGIONS[name]
    expected = d.client_platform_settings(platform.url)
    site = site_file(region_name, tmp_path, expected, platform.url)
    # the example file already says what the dialect needs (only the address was changed above)
    import tomllib

    plat = tomllib.loads(site.read_text(encoding="utf-8"))["platform"]
    for key, value in expected.items():
        assert plat.get(key, {} if key == "infno_map" else "") == value, (region_name, key)
    assert plat["secret_ref"] == "platform-gateway"
    r = medsettle("config", "check", "--config", str(site))
    assert r.returncode == 2 and "密钥“platform-gateway”尚未存入本机" in r.stdout   # before the secrets
    for ref, value in (("platform-gateway", secret or d.secret), ("policy-mac", TRAINING_MAC_KEYS[d.fixmedins_code])):
        r = medsettle("config", "set-secret", ref, "--stdin", "--config", str(site), stdin=value + "\n")
        assert r.returncode == 0, r.stderr
    r = medsettle("config", "check", "--config", str(site))
    assert r.returncode == 0, r.stdout
    assert "结论：配置可以使用" in r.stdout and "【培训模式】" not in r.stdout and d.secret not in r.stdout
    _operators(site)
    return site


def test_going_live_in_each_dialect(region, tmp_path):
    name, platform = region
    d = DIALECTS[name]
    site = _configured(name, platform, tmp_path)
    cfg = ("--config", str(site))
    r = medsettle("sync", *cfg)
    assert r.returncode == 0, r.stderr
    r = medsettle("shift", "open", *cfg, "--operator", CASHIER, "--operator-name", "收费员王", "--float", "100.00")
    assert r.returncode == 0, r.stderr
    fees = tmp_path / "fees.json"
    fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
    r = medsettle("checkout", *cfg, "--operator", CASHIER, "--operator-name", "收费员王", "--certno", SHEN,
                  "--fees", str(fees), "--med-type", "11", "--ack-warnings", "--pay", "cash:200")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    info = rec["setlinfo"]
    assert rec["state"] == "confirmed" and Decimal(info["medfee_sumamt"]) == Decimal("99.40")
    parts = sum(Decimal(str(info.get(k) or "0")) for k in ("fund_pay_sumamt", "acct_pay", "psn_cash_pay", "hosp_part_amt"))
    assert parts == Decimal("99.40")
    assert rec["msgid"].startswith(d.fixmedins_code) and info["certno"] == "330421********0016"
    # the platform recorded it under the region's infno, with our msgid as medins_setl_id
    ledger = requests.get(platform.url + "/admin/ledger", timeout=10).json()
    mine = [row for row in ledger if row["medins_setl_id"] == rec["msgid"]]
    assert len(mine) == 1 and mine[0]["infno"] == d.wire_infno("2207") and mine[0]["setl_id"] == rec["setl_id"]
    # same-day reversal (2208), authorised by the supervisor
    rev = medsettle("checkout", *cfg, "--operator", CASHIER, "--operator-name", "收费员王", "--reverse", rec["setl_id"],
                    "--supervisor", SUPERVISOR, "--supervisor-password-stdin", "--reason", "患者要求退费",
                    stdin=SUPERVISOR_PW + "\n")
    assert rev.returncode == 0, rev.stderr
    assert json.loads(rev.stdout)["state"] == "reversed"
    ledger = requests.get(platform.url + "/admin/ledger", timeout=10).json()
    assert [row["kind"] for row in ledger if row["mdtrt_id"] == mine[0]["mdtrt_id"]].count("revs") == 1


def test_a_wrong_gateway_secret_is_refused_with_the_gateways_words(region, tmp_path):
    name, platform = region
    site = _configured(name, platform, tmp_path, secret="not-the-secret")
    r = medsettle("checkout", "--config", str(site), "--operator", CASHIER, "--certno", SHEN, "--ack-warnings")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    said = {"national": "Invalid x-tif-signature", "jiangsu": "Invalid _api_signature", "zhejiang": "Invalid Signature"}
    assert "网关拒绝了请求（HTTP 400：" + said[name] in r.stderr and "请检查接口地址、网关账号和密钥配置" in r.stderr
    assert "not-the-secret" not in r.stderr + r.stdout
    assert requests.get(platform.url + "/admin/ledger", timeout=10).json() == []


def test_zhejiang_knows_only_its_own_infnos(sandbox_template, tmp_path):
    """Without the site file's infno_map the client sends the national 2206; Zhejiang answers with its
    recorded refusal (real-messages/error-unknown-infno-zjharness.json), never a settlement."""
    from client.api import ApiSettings, BusinessError, CentralClient, Operator

    target = tmp_path / "platform"
    target.mkdir()
    shutil.copyfile(sandbox_template, target / DB_NAME)
    p = EmbeddedPlatform(target, dialect="zhejiang").start()
    try:
        d = DIALECTS["zhejiang"]
        for infno_map, words in (({}, "FSI-FSI-交易报文不正确：未知交易编号！,异常流水号:"),
                                 ({"2206": "2206A"}, "入参[psn_no]不能为空")):
            s = ApiSettings(base_url=p.url, fixmedins_code=d.fixmedins_code, fixmedins_name="嘉善县培训医院",
                            mdtrtarea_admvs="330421", state_dir=tmp_path / "state", gateway="x-ca", secret=d.secret,
                            url_mode="paths", infno_map=infno_map)
            c = CentralClient(s, sleep=lambda _s: None)
            try:
                with pytest.raises(BusinessError) as ei:
                    c.call("2206", {"data": {}}, operator=Operator("C101", "收费员王"))
                assert words in ei.value.err_msg and ei.value.infno == ("2206A" if infno_map else "2206")
            finally:
                c.close()
    finally:
        p.stop()


def test_zhejiang_answers_a_path_mismatch_in_the_recorded_shape(sandbox_template, tmp_path):
    """The recorded case: a 3201 body posted to the 2601 path (/fsi/api/reverseService/revsMethod) is
    answered with only type / infcode / err_msg (real-messages/error-unknown-infno-zjharness.json)."""
    from client.api.signing import XCaSigner

    recorded = json.loads((ROOT.parent / "shared" / "reference" / "real-messages" /
                           "error-unknown-infno-zjharness.json").read_text(encoding="utf-8"))
    target = tmp_path / "platform"
    target.mkdir()
    shutil.copyfile(sandbox_template, target / DB_NAME)
    p = EmbeddedPlatform(target, dialect="zhejiang").start()
    try:
        d = DIALECTS["zhejiang"]
        body = json.dumps({"infno": "3201", "input": {"data": {}}}).encode()
        headers = {"Content-Type": "application/json", **XCaSigner(d.fixmedins_code, d.secret).headers("3201", body)}
        r = requests.post(p.url + "/fsi/api/reverseService/revsMethod", data=body, headers=headers, timeout=10)
        doc = r.json()
        assert set(doc) == set(recorded) == {"type", "infcode", "err_msg"}
        assert doc["type"] == "error" and doc["infcode"] == -1
        prefix = recorded["err_msg"].split("异常流水号:")[0] + "异常流水号:"
        assert doc["err_msg"].startswith(prefix) and doc["err_msg"][len(prefix):].isdigit()
    finally:
        p.stop()


def test_zhejiang_lost_2207a_answer_is_reversed_with_oinfno_2207a(sandbox_template, tmp_path):
    """A 2207A whose answer is lost after the commit: `medsettle recover` sends 2601 with oinfno
    "2207A" (the infno actually sent, as in real-messages/2601-output-zjharness.src.txt) and a fresh
    msgid; the platform undoes the settlement; the window records 未结算."""
    target = tmp_path / "platform"
    target.mkdir()
    shutil.copyfile(sandbox_template, target / DB_NAME)
    platform = EmbeddedPlatform(target, dialect="zhejiang").start()
    try:
        site = _configured("zhejiang", platform, tmp_path)
        cfg = ("--config", str(site))
        assert medsettle("sync", *cfg, "--no-hilist").returncode == 0
        assert medsettle("shift", "open", *cfg, "--operator", CASHIER, "--operator-name", "收费员王",
                         "--float", "100.00").returncode == 0
        fees = tmp_path / "fees.json"
        fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
        requests.post(platform.url + "/admin/fault", json={"mode": "drop-after-commit", "infno": "2207", "next": 1},
                      timeout=5).raise_for_status()       # fault scopes use the national infno
        r = medsettle("checkout", *cfg, "--operator", CASHIER, "--operator-name", "收费员王", "--certno", SHEN,
                      "--fees", str(fees), "--med-type", "11", "--ack-warnings", "--pay", "cash:200")
        assert r.returncode == 3, r.stderr
        ledger = requests.get(platform.url + "/admin/ledger", timeout=10).json()
        assert [(x["infno"], x["reversed"]) for x in ledger] == [("2207A", False)]
        r = medsettle("recover", *cfg, "--grace", "0", "--operator", CASHIER, "--operator-name", "收费员王")
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["resolved"] == {"failed": 1} and doc["reversals"]["accepted"] == 1
        ledger = requests.get(platform.url + "/admin/ledger", timeout=10).json()
        assert [(x["infno"], x["kind"], x["reversed"]) for x in ledger] == [("2207A", "setl", True),
                                                                             ("2601", "revs", False)]
        import sqlite3

        db = sqlite3.connect(tmp_path / "data" / "medsettle.sqlite3")
        try:
            meta = json.loads(db.execute("SELECT preview_json FROM settlements").fetchone()[0])
        finally:
            db.close()
        att = meta["recovery"]["attempts"]
        assert [(a["oinfno"], a["result"]) for a in att] == [("2207A", "accepted")]
        assert att[0]["omsgid"] == ledger[0]["medins_setl_id"] != att[0]["msgid"]
    finally:
        platform.stop()
