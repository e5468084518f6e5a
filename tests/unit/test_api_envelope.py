"""Envelope fields/format, response parsing (§1.2), wire value formatting, typed nodes."""

import json
import re
from datetime import datetime
from decimal import Decimal

import pytest

from client.api.envelope import (
    ENVELOPE_FIELDS,
    EnvelopeFormatError,
    build_envelope,
    encode_body,
    parse_response,
)
from client.api.errors import ApiConfigError, BundleMacError, BusinessError, MalformedResponse, TransportError
from client.api.infnos import is_read_only, is_state_changing
from client.api.settings import ApiSettings
from client.api.wire import fmt_amount, fmt_cnt, fmt_pric

SPEC_ORDER = ["infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "recer_sys_code", "dev_no",
              "dev_safe_info", "cainfo", "signtype", "infver", "opter_type", "opter", "opter_name",
              "inf_time", "fixmedins_code", "fixmedins_name", "sign_no", "input"]


def settings(tmp_path, **kw):
    base = dict(base_url="http://127.0.0.1:9", fixmedins_code="H31011800001", fixmedins_name="青浦示范医院",
                mdtrtarea_admvs="310118", state_dir=tmp_path)
    base.update(kw)
    return ApiSettings(**base)


def test_all_fields_in_spec_order(tmp_path):
    env = build_envelope(settings(tmp_path), "1101", "H31011800001202503040908070001",
                         {"data": {"mdtrt_cert_type": "02"}}, opter="0001", opter_name="张三",
                         now=datetime(2025, 3, 4, 9, 8, 7))
    assert list(env) == SPEC_ORDER == list(ENVELOPE_FIELDS)
    assert env["inf_time"] == "2025-03-04 09:08:07"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", env["inf_time"])
    assert env["recer_sys_code"] == "MBS_LOCAL" and env["infver"] == "V1.0" and env["opter_type"] == "1"
    assert env["insuplc_admdvs"] == "" and env["sign_no"] == ""
    body = json.loads(encode_body(env).decode("utf-8"))
    assert isinstance(body["input"], dict) and body["opter_name"] == "张三"
    assert "青浦示范医院".encode() in encode_body(env)  # UTF-8, not \\u escapes


def test_regional_extras_appended_only_when_configured(tmp_path):
    env = build_envelope(settings(tmp_path, fixmedins_soft_fcty="某软件公司", enc_type=""), "1101",
                         "H31011800001202503040908070001", {}, opter="1", opter_name="a")
    assert list(env)[:18] == SPEC_ORDER and env["fixmedins_soft_fcty"] == "某软件公司" and env["enc_type"] == ""
    env2 = build_envelope(settings(tmp_path), "1101", "H31011800001202503040908070001", {}, opter="1", opter_name="a")
    assert "enc_type" not in env2 and "fixmedins_soft_fcty" not in env2


def test_floats_and_unformatted_decimals_refused_in_input(tmp_path):
    with pytest.raises(ValueError):
        build_envelope(settings(tmp_path), "2206", "H31011800001202503040908070001",
                       {"data": {"medfee_sumamt": 12.5}}, opter="1", opter_name="a")
    with pytest.raises(ValueError):
        build_envelope(settings(tmp_path), "2206", "H31011800001202503040908070001",
                       {"data": {"medfee_sumamt": Decimal("12.50")}}, opter="1", opter_name="a")


@pytest.mark.parametrize("infcode,expected", [("0", 0), (0, 0), (-1, -1), ("-1", -1)])
def test_infcode_string_or_number(infcode, expected):
    r = parse_response(json.dumps({"infcode": infcode, "err_msg": "", "output": {}}))
    assert r.infcode == expected


def test_response_fields_and_decimal_output():
    body = ('{"infcode":0,"inf_refmsgid":"310000202503040908071234567890","refmsg_time":"20250304090807123",'
            '"respond_time":"20250304090807456","err_msg":"成功","warn_msg":"注意","output":'
            '{"setlinfo":{"medfee_sumamt":120.1,"psn_cash_pay":"30.00"}}}').encode()
    r = parse_response(body)
    assert r.ok and r.err_msg == "成功" and r.warn_msg == "注意"
    assert r.inf_refmsgid == "310000202503040908071234567890"
    assert r.refmsg_time == "20250304090807123" and r.respond_time == "20250304090807456"
    v = r.output["setlinfo"]["medfee_sumamt"]
    assert isinstance(v, Decimal) and v == Decimal("120.1")


def test_err_msg_kept_verbatim():
    msg = "  [1101] 未查询到人员参保信息！请核实 <certno> "
    r = parse_response(json.dumps({"infcode": -1, "err_msg": msg, "output": None}, ensure_ascii=False))
    assert r.err_msg == msg and r.infcode == -1 and r.output == {}
    e = BusinessError(r.infcode, r.err_msg, "M", "1101")
    assert msg in str(e) and e.err_msg == msg


@pytest.mark.parametrize("body", [b"", b"<html>502 Bad Gateway</html>", b"[1,2]", b'{"err_msg":"x"}',
                                  b'{"infcode":"ok","output":{}}', b'{"infcode":true,"output":{}}',
                                  b'{"infcode":0,"output":[1]}', b'{"infcode":0,"output":"U2FsdGVk"}',
                                  b'\xff\xfe\x00'])
def test_malformed_bodies(body):
    with pytest.raises(EnvelopeFormatError):
        parse_response(body)


def test_wire_formatting():
    assert fmt_amount(Decimal("12.3")) == "12.30"
    assert fmt_amount("0") == "0.00"
    assert fmt_cnt(Decimal("2")) == "2.0000"
    assert fmt_pric(Decimal("12.5")) == "12.50"
    assert fmt_pric(Decimal("0.123456")) == "0.123456"
    assert fmt_pric(Decimal("3")) == "3.00"
    with pytest.raises(ValueError):
        fmt_amount(Decimal("1.005"), "medfee_sumamt")
    with pytest.raises(ValueError):
        fmt_amount(1.5)
    with pytest.raises(ValueError):
        fmt_pric(Decimal("0.1234567"))


def test_classification():
    for infno in ("2201", "2202", "2203", "2204", "2205", "2207", "2208", "2301", "2302", "2304",
                  "2305", "2401", "2402", "2404", "2405", "2601", "9001", "9002", "9101", "4101"):
        assert is_state_changing(infno), infno
    for infno in ("1101", "1301", "1312", "1321", "1901", "2206", "2303", "5203", "5206", "5301",
                  "9102", "9901", "3201", "3202"):
        assert is_read_only(infno), infno


def test_error_messages_are_chinese_and_actionable():
    e = TransportError("H31011800001202503040908070001", "2207", True, "等待医保中心应答超时")
    assert "结算结果未知" in str(e) and "请勿重复结算" in str(e) and "冲正(2601)" in str(e)
    e3 = TransportError("H31011800001202503040908070001", "2208", True, "等待医保中心应答超时")
    assert "查询(5203)" in str(e3)
    e2 = TransportError("M", "1101", False, "无法连接医保中心")
    assert "未被医保中心处理" in str(e2) and not e2.outcome_unknown
    m = MalformedResponse("M", "2204", True, "不是 JSON")
    assert isinstance(m, TransportError) and m.outcome_unknown and "结果未知" in str(m)
    assert "校验失败" in str(BundleMacError("2025.1"))


def test_settings_validation_and_secret_not_in_repr(tmp_path):
    s = settings(tmp_path, gateway="x-tif", paasid="p", secret="TOPSECRET")
    assert "TOPSECRET" not in repr(s)
    with pytest.raises(ApiConfigError) as ei:
        settings(tmp_path, fixmedins_code="H123")
    assert "12位" in str(ei.value)
    with pytest.raises(ApiConfigError):
        settings(tmp_path, gateway="x-tif")   # missing paasid/secret
    with pytest.raises(ApiConfigError):
        ApiSettings.from_mapping({"base_url": "http://x", "bogus": 1})


def test_url_modes(tmp_path):
    assert settings(tmp_path).url_for("2207") == "http://127.0.0.1:9/fsi/api/callService"
    p = settings(tmp_path, url_mode="paths", paths={"2207": "/fsi/api/outpatientSettleService/saveSettletmentV2"})
    assert p.url_for("1101") == "http://127.0.0.1:9/fsi/api/fsiPsnInfoService/queryPsnInfo"
    assert p.url_for("2207") == "http://127.0.0.1:9/fsi/api/outpatientSettleService/saveSettletmentV2"
    assert p.url_for("7777") == "http://127.0.0.1:9/fsi/api/callService"   # fallback
    g = settings(tmp_path, base_url="http://gw/ebus/app/hsa/hgs/", url_mode="infno")
    assert g.url_for("1101") == "http://gw/ebus/app/hsa/hgs/1101"
