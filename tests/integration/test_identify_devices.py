"""Identification devices (issue #15 scope 4) against the training platform over 127.0.0.1:
`medsettle checkout --identify ecvoucher|card|certno|face` identifies a training person; the training
scan box's busy / timeout / cancelled faults give Chinese messages and nothing reaches the ledger;
the platform's e-voucher endpoint takes the national ec.query input (no QR) and answers the
recorded shape (real-messages/ecquery-output-openhis.json)."""

from __future__ import annotations

import json
import re

import pytest
import requests

from tests.integration.cli_inproc import medsettle_inproc
from tests.integration.conftest import platform_db
from tests.integration.test_cli_checkout import FEES, PEOPLE, SHEN, assert_refused, db_count, fees_file

CODE = "H31011800001"
ORDER = ["userName", "idNo", "idType", "insuOrg", "ecIndexNo", "ecToken", "chnlId", "ecQrCode", "authNo"]


@pytest.fixture
def window(platform, tmp_path):
    d = tmp_path / "w1"
    r = medsettle_inproc("sync", "--platform", platform.url, "--data", str(d))
    assert r.returncode == 0, r.stderr
    r = medsettle_inproc("shift", "open", "--platform", platform.url, "--data", str(d), "--operator", "T001",
                         "--float", "200.00")
    assert r.returncode == 0, r.stderr
    return platform, d


def _pin(trans="ec.query", **extra_data):
    data = {"orgId": CODE, "businessType": "01301", "operatorId": "T001", "operatorName": "培训收费员",
            "officeId": "A03", "officeName": "内科", "deviceType": ""}
    data.update(extra_data)
    return {"data": data, "orgId": CODE, "transType": trans}


def test_platform_ec_query_real_input_and_answer_shape(platform):
    url = platform.url + "/localcfc/api/hsecfc/localQrCodeQuery"
    shen = PEOPLE[SHEN]
    # the national input carries no QR: without a person in front of the training box, a refusal
    r = requests.post(url, json=_pin(), timeout=5).json()
    assert r["code"] != 0 and "扫码盒" in r["message"]
    body = dict(_pin(), trainingScanBox={"ecQrCode": shen["ecqr"]})
    r = requests.post(url, json=body, timeout=5).json()
    recorded = json.load(open("/work/shared/reference/real-messages/ecquery-output-openhis.json", encoding="utf-8"))
    assert r["code"] == recorded["code"] == 0 and isinstance(r["data"], dict)
    assert set(ORDER) <= set(r["data"]) and set(ORDER) <= set(recorded["data"])
    d = r["data"]
    assert (d["userName"], d["idNo"], d["idType"], d["insuOrg"]) == ("沈明", SHEN, "01", "330421")
    assert re.fullmatch(r"\d{28}", d["ecQrCode"]) and d["ecQrCode"] == shen["ecqr"] and d["authNo"] is None
    assert d["ecToken"].startswith("330421ec") and len(d["ecToken"]) == len(recorded["data"]["ecToken"]) == 38
    # token check
    r = requests.post(url, json=_pin("localEcTokenCheck", ecToken=d["ecToken"]), timeout=5).json()
    assert r["code"] == 0 and r["data"]["valid"] is True
    r = requests.post(url, json=_pin("localEcTokenCheck", ecToken="330421ec" + "0" * 30), timeout=5).json()
    assert r["code"] != 0 and "令牌" in r["message"]
    # face authorisation → authNo, same person
    r = requests.post(url, json=dict(_pin("cn.nhsa.ec.auth", gainWay="FACE"), trainingScanBox={"certno": SHEN}),
                      timeout=5).json()
    assert r["code"] == 0 and r["data"]["idNo"] == SHEN and r["data"]["authNo"] and r["data"]["ecToken"] == d["ecToken"]
    r = requests.post(url, json=dict(_pin("cn.nhsa.ec.auth", gainWay="PWD"), trainingScanBox={"certno": SHEN}),
                      timeout=5).json()
    assert r["code"] != 0 and "FACE" in r["message"]


@pytest.mark.parametrize("method,who", [("ecvoucher", ("--training-person", None)), ("face", ("--training-person", SHEN)),
                                        ("card", ("--training-person", SHEN)), ("certno", ("--certno", SHEN))])
def test_checkout_identifies_through_each_device(window, tmp_path, method, who):
    platform, d = window
    value = who[1] or PEOPLE[SHEN]["ecqr"]
    r = medsettle_inproc("checkout", "--platform", platform.url, "--data", str(d), "--fees", fees_file(tmp_path, FEES),
                         "--med-type", "11", "--ack-warnings", "--identify", method, who[0], value, "--pay", "cash:200")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["state"] == "confirmed" and rec["setlinfo"]["medfee_sumamt"] == "99.40"
    assert rec["setlinfo"]["certno"] == "330421********0016"
    label = {"ecvoucher": "医保电子凭证", "face": "刷脸", "card": "社保卡", "certno": "身份证号"}[method]
    assert f"识别方式：{label}" in r.stderr
    # the platform registered the visit with that method's certificate (01 ecToken / 03 card / 02 certno)
    conn = platform_db(platform)
    try:
        docs = [json.loads(x[0]) for x in conn.execute("SELECT doc FROM visits")]
    finally:
        conn.close()
    want = {"ecvoucher": "01", "face": "01", "card": "03", "certno": "02"}[method]
    assert [v.get("mdtrt_cert_type") for v in docs] == [want]


@pytest.mark.parametrize("fault,words", [("busy", "正忙"), ("timeout", "超时"), ("cancelled", "取消")])
def test_scan_box_faults_chinese_and_nothing_written(window, tmp_path, fault, words):
    platform, d = window
    conn = platform_db(platform)
    before = conn.execute("SELECT count(*) FROM settlements").fetchone()[0]
    conn.close()
    err = assert_refused(medsettle_inproc("checkout", "--platform", platform.url, "--data", str(d),
                                          "--fees", fees_file(tmp_path, FEES), "--med-type", "11", "--ack-warnings",
                                          "--identify", "ecvoucher", "--training-person", SHEN,
                                          "--training-fault", fault, "--pay", "cash:200"), words, "未发送任何医保交易")
    assert err["code"] == "device"
    assert db_count(d, "visits") == 0 and db_count(d, "settlements") == 0 and db_count(d, "fee_lines") == 0
    conn = platform_db(platform)
    assert conn.execute("SELECT count(*) FROM settlements").fetchone()[0] == before
    conn.close()
    r = medsettle_inproc("ledger", "--data", str(d))
    assert r.returncode == 0 and r.stdout.strip() == ""


def test_unknown_training_person_and_missing_choice(window, tmp_path):
    platform, d = window
    common = ("checkout", "--platform", platform.url, "--data", str(d), "--fees", fees_file(tmp_path, FEES))
    assert_refused(medsettle_inproc(*common, "--identify", "ecvoucher"), "--training-person")
    assert_refused(medsettle_inproc(*common, "--identify", "ecvoucher", "--training-person", "1" * 28), "无效")
    assert db_count(d, "settlements") == 0


def test_wedge_qr_only_where_configured(platform, tmp_path):
    """ec_wedge_qr false (the national default): the wedge's QR is refused before anything is sent;
    the scan box still identifies, and its token passes the token check."""
    from dataclasses import replace

    from client.devices.identify import TrainingScanBox
    from client.services.checkout import Counter
    from client.services.context import open_context, training_settings_for
    from client.services.errors import ServiceError

    s = training_settings_for(platform.url, tmp_path / "w")
    s = replace(s, platform=replace(s.platform, ec_wedge_qr=False))
    with open_context(s) as ctx:
        counter = Counter(ctx)
        with pytest.raises(ServiceError, match="扫码盒") as e:
            counter.identify_ecqr(PEOPLE[SHEN]["ecqr"])
        assert e.value.system == "device"
        with ctx.store.read_connection() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM persons").scalar_one() == 0
        box = TrainingScanBox(ctx.evoucher, ctx.operator)
        box.present(ec_code=PEOPLE[SHEN]["ecqr"])
        view = counter.identify_device(box, "ecvoucher")
        assert view.name == "沈明" and view.id_method_label == "医保电子凭证"
        assert box.check_token(counter.person.mdtrt_cert_no)["valid"] is True


def test_platform_without_the_se01_variant_refuses_a_raw_qr(sandbox_template, tmp_path):
    from tests.integration.conftest import _start

    p = _start(sandbox_template, tmp_path / "p", accept_ec_qr=False)
    try:
        url = p.url + "/localcfc/api/hsecfc/localQrCodeQuery"
        r = requests.post(url, json=_pin(ecQrCode=PEOPLE[SHEN]["ecqr"]), timeout=5).json()
        assert r["code"] != 0 and "不接受二维码" in r["message"]
        r = requests.post(url, json=dict(_pin(), trainingScanBox={"ecQrCode": PEOPLE[SHEN]["ecqr"]}), timeout=5).json()
        assert r["code"] == 0 and r["data"]["idNo"] == SHEN
    finally:
        p.stop()
