"""client.devices.identify: the certificate each device gives for 1101 (reference §6: 01 + ecToken,
03 + 卡号 + 卡识别码, 02 + certno), the SDK's Chinese message off Windows, the wedge only where allowed,
and the training scan box's faults (busy / timeout / cancelled) raised before anything is sent."""

from __future__ import annotations

import json

import pytest

from client.api import Operator, TransportError
from client.api.evoucher import EVoucherClient
from client.api.settings import ApiSettings
from client.devices.cardreader import SimulatedCardReader
from client.devices.identify import (
    METHOD_LABELS,
    CardIdentifier,
    IdentifyDeviceError,
    NationEcSdk,
    PatientIdentifier,
    TrainingScanBox,
    TypedCertno,
    WedgeScanIdentifier,
    is_ec_code,
    result_from_ec_answer,
)

OP = Operator("T001", "培训收费员", "A03", "内科")
# reference §6 stub (real-messages/ecquery-output-openhis.json)
RECORDED = json.load(open("/work/shared/reference/real-messages/ecquery-output-openhis.json", encoding="utf-8"))
# demo-data.md, 沈明's card-reader string
SHEN_CARD = ("330421|330421198503150016|XT2L0T5W2|330421D15631D9D62E0D18042342BE1A|沈明|3B6D0000001E8CD6A2F006687F"
             "|3.00|20190320|20290320|330421129753|3471155554|")


def _box(tmp_path) -> TrainingScanBox:
    # port 9 (discard) is closed: had the box sent anything, the answer would be a TransportError
    s = ApiSettings(base_url="http://127.0.0.1:9", fixmedins_code="H31011800001", fixmedins_name="青浦示范医院",
                    mdtrtarea_admvs="310118", state_dir=tmp_path, read_retries=0)
    return TrainingScanBox(EVoucherClient(s), OP)


def test_every_device_is_a_patient_identifier(tmp_path):
    devs = [NationEcSdk("x.dll", "http://127.0.0.1:9", org_id="H31011800001", operator=OP),
            CardIdentifier(SimulatedCardReader()), WedgeScanIdentifier(True), TypedCertno("330421198503150016"),
            _box(tmp_path)]
    assert all(isinstance(d, PatientIdentifier) for d in devs)
    assert set(METHOD_LABELS) == {"ecvoucher", "face", "card", "certno", "wedge"}


def test_recorded_ec_answer_gives_01_and_the_token():
    r = result_from_ec_answer("ecvoucher", RECORDED["data"])
    assert (r.method, r.mdtrt_cert_type, r.mdtrt_cert_no) == ("ecvoucher", "01", "130000ecmecib288580f0f1a0a0000e7328251")
    assert (r.psn_name, r.psn_cert_type, r.insu_org, r.ec_qr_code) == ("王*", "01", "130300", "4243754826492874240001130000")
    assert is_ec_code(r.ec_qr_code) and not is_ec_code("A" * 28) and not is_ec_code("4" * 27)
    assert "130000ec" not in repr(r) and "王" not in repr(r)
    with pytest.raises(IdentifyDeviceError, match="ecToken"):
        result_from_ec_answer("face", dict(RECORDED["data"], ecToken=None))


def test_card_and_certno_certificates():
    r = CardIdentifier(SimulatedCardReader([SHEN_CARD])).identify("card")
    assert (r.mdtrt_cert_type, r.mdtrt_cert_no, r.card_sn) == ("03", "XT2L0T5W2", "330421D15631D9D62E0D18042342BE1A")
    with pytest.raises(IdentifyDeviceError, match="未检测到社保卡"):
        CardIdentifier(SimulatedCardReader()).identify("card")
    r = TypedCertno("330421198503150016").identify("certno")
    assert (r.mdtrt_cert_type, r.mdtrt_cert_no) == ("02", "330421198503150016")
    with pytest.raises(IdentifyDeviceError, match="校验"):
        TypedCertno("330421198503150017").identify("certno")
    with pytest.raises(IdentifyDeviceError, match="不支持"):
        TypedCertno("330421198503150016").identify("face")


def test_sdk_off_windows_is_a_chinese_message():
    sdk = NationEcSdk("NationECCode.dll", "http://127.0.0.1:9/localcfc/api/hsecfc/localQrCodeQuery",
                      org_id="H31011800001", operator=OP, platform="linux")
    for method in ("ecvoucher", "face"):
        with pytest.raises(IdentifyDeviceError, match="Windows") as e:
            sdk.identify(method)
        assert e.value.kind == "unavailable"
    missing = NationEcSdk("C:/nowhere/NationECCode.dll", "http://x", org_id="H31011800001", operator=OP,
                          platform="win32")
    with pytest.raises(IdentifyDeviceError, match="不存在"):
        missing.identify("ecvoucher")
    pin = sdk.pindata("ec.query")
    assert set(pin["data"]) == {"orgId", "businessType", "operatorId", "operatorName", "officeId", "officeName",
                                "deviceType"}      # reference §6: no QR in the national input
    assert pin["transType"] == "ec.query" and pin["orgId"] == "H31011800001"


def test_wedge_only_where_allowed():
    w = WedgeScanIdentifier(False)
    w.feed("4243754826492874240001130000")
    with pytest.raises(IdentifyDeviceError, match="扫码盒"):
        w.identify("wedge")
    w = WedgeScanIdentifier(True)
    w.feed(" 4243754826492874240001130000\r\n")
    assert w.identify("wedge").ec_qr_code == "4243754826492874240001130000"
    with pytest.raises(IdentifyDeviceError, match="没有读到"):
        w.identify("wedge")


@pytest.mark.parametrize("fault,words", [("busy", "正忙"), ("timeout", "超时"), ("cancelled", "取消")])
def test_training_box_faults_before_anything_is_sent(tmp_path, fault, words):
    box = _box(tmp_path)
    box.present(certno="330421198503150016")
    box.arm(fault)
    with pytest.raises(IdentifyDeviceError) as e:
        box.identify("ecvoucher")
    assert e.value.kind == fault and words in e.value.message and "未发送任何医保交易" in e.value.message
    # one shot: the next try goes to the (closed) platform — the e-voucher client's TransportError
    with pytest.raises(TransportError):
        box.identify("face")


def test_training_box_nobody_in_front_and_bad_code(tmp_path):
    box = _box(tmp_path)
    with pytest.raises(IdentifyDeviceError, match="超时"):
        box.identify("ecvoucher")
    with pytest.raises(IdentifyDeviceError, match="28位"):
        box.present(ec_code="A" * 28)
    with pytest.raises(ValueError):
        box.arm("smoke")
