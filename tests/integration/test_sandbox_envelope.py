"""Envelope checks of the training platform, as a real platform would refuse (HTTP 200, infcode -1)."""

from __future__ import annotations

import pytest
import requests


@pytest.fixture(scope="module")
def wire(platform_module):
    from tests.integration.conftest import Wire

    return Wire(platform_module.url).sign_in()


def refused(wire, env, path="/fsi/api/callService") -> str:
    r = wire.post(env, path)
    assert r.status_code == 200
    body = r.json()
    assert body["infcode"] == -1, body
    assert len(body["inf_refmsgid"]) == 30 and len(body["respond_time"]) == 17
    return body["err_msg"]


def test_health(platform_module):
    body = requests.get(platform_module.url + "/health", timeout=5).json()
    assert body["status"] == "ok" and body["time"]


def test_not_json(wire):
    r = requests.post(wire.url + "/fsi/api/callService", data=b"infno=1101&x", timeout=5)
    assert r.status_code == 200 and r.json()["infcode"] == -1 and "JSON" in r.json()["err_msg"]


def test_missing_envelope_field(wire):
    env = wire.envelope("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "330421198503150016"}})
    del env["recer_sys_code"]
    assert "recer_sys_code" in refused(wire, env)


def test_unknown_institution(wire):
    env = wire.envelope("1101", {"data": {}})
    env["fixmedins_code"] = "H99999999999"
    env["msgid"] = "H99999999999" + env["msgid"][12:]
    assert refused(wire, env) == "定点医药机构编号[H99999999999]不存在"


@pytest.mark.parametrize("msgid", ["", "H3101180000120261101", "H32050900001202611011200000001",
                                   "H31011800001202613011200000001", "H31011800001X0261101120000001"])
def test_bad_msgid(wire, msgid):
    env = wire.envelope("1101", {"data": {}}, msgid="x")
    env["msgid"] = msgid
    msg = refused(wire, env)
    assert "msgid" in msg or "报文ID" in msg


def test_sign_no_required(wire):
    env = wire.envelope("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "330421198503150016"}})
    env["sign_no"] = ""
    assert refused(wire, env) == "经办人未签到或签到已失效，请先签到(9001)"
    env = wire.envelope("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "330421198503150016"}})
    env["opter"] = "OTHER"  # sign_no of another operator
    assert refused(wire, env) == "经办人未签到或签到已失效，请先签到(9001)"


def test_unknown_infno(wire):
    assert "交易编号[7777]" in refused(wire, wire.envelope("7777", {"data": {}}))


def test_wrong_region_and_missing_insuplc(wire):
    env = wire.envelope("1101", {"data": {}})
    env["mdtrtarea_admvs"] = "320509"
    assert "就医地医保区划" in refused(wire, env)
    env = wire.envelope("5206", {"data": {"psn_no": "33042119850315001601"}})
    assert "insuplc_admdvs" in refused(wire, env)


def test_per_service_path(wire):
    env = wire.envelope("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "330421198503150016"}})
    r = wire.post(env, "/fsi/api/fsiPsnInfoService/queryPsnInfo").json()
    assert r["infcode"] == 0 and r["output"]["baseinfo"]["psn_name"] == "沈明"
    env = wire.envelope("2207", {"data": {}})
    assert "不一致" in refused(wire, env, "/fsi/api/fsiPsnInfoService/queryPsnInfo")
    r = requests.post(wire.url + "/fsi/api/nope", json=env, timeout=5)
    assert r.status_code == 404


def test_sign_out_invalidates(platform_module):
    from tests.integration.conftest import Wire

    w = Wire(platform_module.url, opter="T099").sign_in()
    w.call("9002", {"signOut": {"sign_no": w.sign_no, "opter_no": w.opter}})
    env = w.envelope("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "330421198503150016"}})
    assert refused(w, env) == "经办人未签到或签到已失效，请先签到(9001)"


def test_1101_by_card_and_ecqr(wire):
    from training_platform import demo

    shen = next(p for p in demo.generate()["people"] if p["psn_name"] == "沈明")
    card = shen["card"]
    ok = wire.call("1101", {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": card["card_no"], "card_sn": card["card_sn"],
                                     "psn_cert_type": "01"}})
    assert ok["output"]["baseinfo"]["certno"] == shen["certno"]
    bad = wire.call("1101", {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": card["card_no"],
                                      "card_sn": "0" * 32, "psn_cert_type": "01"}}, expect_ok=False)
    assert bad["infcode"] == -1 and "卡识别码" in bad["err_msg"]
    # e-voucher: ec.query then 1101 with the ecToken
    pin = {"data": {"orgId": wire.code, "businessType": "01101", "operatorId": "T001", "operatorName": "培训",
                    "officeId": "A03", "officeName": "内科", "deviceType": "", "ecQrCode": shen["ecqr"]},
           "orgId": wire.code, "transType": "ec.query"}
    r = requests.post(wire.url + "/localcfc/api/hsecfc/localQrCodeQuery", json=pin, timeout=5).json()
    assert r["code"] == 0 and r["message"] == "成功"
    dec = __import__("json").loads(r["data"])
    assert dec["idNo"] == shen["certno"] and dec["userName"] == "沈明" and dec["insuOrg"] == "330421"
    tok = dec["ecToken"]
    assert len(tok) == 38 and tok[:6] == "330421" and tok[6:8] == "ec" and all(c in "0123456789abcdef" for c in tok[8:])
    ok = wire.call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": tok, "psn_cert_type": "01",
                                     "certno": dec["idNo"], "psn_name": dec["userName"]}})
    assert ok["output"]["baseinfo"]["psn_no"] == shen["psn_no"]
    pin["data"]["ecQrCode"] = "9" * 28                # 28 digits, no training person
    r = requests.post(wire.url + "/localcfc/api/hsecfc/localQrCodeQuery", json=pin, timeout=5).json()
    assert r["code"] != 0 and "二维码" in r["message"]
