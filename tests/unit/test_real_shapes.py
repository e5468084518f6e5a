"""The client's parsers fed with real answer shapes (tests/fixtures/real/, each with its source).

Expected figures are the recorded messages' own numbers (literals copied from the fixture text, and a
field-by-field cross-check against the fixture read independently with ``parse_float=Decimal``)."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from client.api.envelope import EnvelopeFormatError, parse_response
from client.api.transactions import (
    AMOUNT_FIELDS,
    Ack,
    FeeUploadResult,
    PersonInfo,
    SettleResult,
    SignInResult,
)
from client.domain import codes

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
REF = Path("/work/shared/reference/real-messages")
RECORDED = ["1101-output-openhis", "2204-output-openhis", "2207-output-openhis", "2208-output-openhis",
            "2304-output-hsa-his", "2304-output-openhis", "2601-output-zjharness", "9001-output-zjharness",
            "ecquery-output-openhis", "error-unknown-infno-zjharness"]
DERIVED = ["1101-shanghai-extra-fields", "2207-warn-msg", "2207-infcode0-errmsg", "2207-shanghai-local-codes",
           "2207-nulls", "2207-amounts-as-strings"]
Q2 = Decimal("0.01")


def body(name: str) -> bytes:
    return (REAL / f"{name}.json").read_bytes()


def doc(name: str) -> dict:
    return json.loads(body(name).decode("utf-8"), parse_float=Decimal)


def resp(name: str, infno: str = ""):
    r = parse_response(body(name))
    r.infno, r.msgid = infno, "H31011800001202612040000000001"
    return r


def expected_amount(v):
    """The fixture's own wire value as money: number or numeric string → Decimal to the fen; null/"" → None."""
    if v is None or v == "":
        return None
    return Decimal(str(v)).quantize(Q2)


# -------------------------------------------------------------------------------- the fixtures
@pytest.mark.parametrize("name", RECORDED + DERIVED)
def test_every_fixture_names_its_source(name):
    src = (REAL / f"{name}.src.txt").read_text(encoding="utf-8")
    assert src.startswith("source:") or src.startswith("derived from:")
    if name in DERIVED:
        assert "changed:" in src
        origin = src.split("derived from: ", 1)[1].split(".json", 1)[0]
        assert origin in RECORDED


@pytest.mark.parametrize("name", RECORDED)
def test_recorded_fixtures_are_unchanged_copies(name):
    if not REF.is_dir():
        pytest.skip("shared reference not on this machine")
    for ext in (".json", ".src.txt"):
        assert (REAL / f"{name}{ext}").read_bytes() == (REF / f"{name}{ext}").read_bytes()


# -------------------------------------------------------------------------------- 1101
def test_1101_shanghai_recorded():
    r = resp("1101-output-openhis", "1101")
    assert r.ok and r.infcode == 0
    assert (r.err_msg, r.warn_msg) == ("", "")      # null on the wire
    assert r.inf_refmsgid == "310000202309201823500002516630"
    p = PersonInfo.from_response(r)
    assert p.baseinfo.psn_name == "卜**" and p.baseinfo.gend == "1"
    assert p.baseinfo.age == Decimal("50.2")
    ins = p.insuinfo[0]
    assert ins.balc == Decimal("41509.00")
    assert (ins.insuplc_admdvs, ins.psn_type, ins.insutype) == ("310115", "116032", "310")
    assert ins.paus_insu_date == ""                 # null → empty, not "None"
    assert p.idetinfo == []


def test_1101_extra_fields_string_infcode_and_nulls():
    r = resp("1101-shanghai-extra-fields", "1101")
    assert r.infcode == 0 and r.ok
    p = PersonInfo.from_response(r)
    assert p.insuinfo[0].balc == Decimal("41509.00")
    assert p.baseinfo.raw["not_in_spec_obj"] == {"a": [1, None]}      # kept, not a crash
    second = p.insuinfo[1]
    assert second.balc is None and second.emp_name == "" and second.cvlserv_flag == ""
    assert second.insutype == "390"


# -------------------------------------------------------------------------------- settlements
def check_setlinfo_to_the_fen(name: str, result: SettleResult) -> None:
    raw = doc(name)["output"]["setlinfo"]
    for k, v in raw.items():
        if k in AMOUNT_FIELDS and hasattr(result.setlinfo, k):
            got = getattr(result.setlinfo, k)
            assert got == expected_amount(v), k
            if got is not None:
                assert isinstance(got, Decimal) and got.as_tuple().exponent == -2, k


@pytest.mark.parametrize("name", ["2207-output-openhis", "2207-warn-msg", "2207-infcode0-errmsg",
                                  "2207-shanghai-local-codes", "2207-nulls", "2207-amounts-as-strings"])
def test_2207_family_amounts_to_the_fen(name):
    res = SettleResult.from_response(resp(name, "2207"))
    check_setlinfo_to_the_fen(name, res)
    assert res.setlinfo.medfee_sumamt == Decimal("4.52")
    assert res.setlinfo.acct_pay == Decimal("4.52")
    assert res.setlinfo.inscp_scp_amt == Decimal("4.29")
    assert res.setlinfo.preselfpay_amt == Decimal("0.23")
    assert res.setlinfo.psn_cash_pay == Decimal("0.00")
    assert res.setlinfo.setl_id == "400125241"


def test_2207_recorded_details():
    res = SettleResult.from_response(resp("2207-output-openhis", "2207"))
    assert res.setlinfo.balc == Decimal("1373.63")
    assert res.setlinfo.pool_prop_selfpay == Decimal("0.0")
    assert res.setlinfo.age == Decimal("35.0")
    assert res.setlinfo.fund_pay_sumamt == Decimal("0.00")           # real: 0 although acct_pay 4.52
    [d] = res.setldetail
    assert (d.fund_pay_type, d.fund_payamt, d.crt_payb_lmt_amt, d.setl_proc_info) == (
        "310200", Decimal("4.52"), None, "")


def test_2207_nulls_do_not_crash():
    res = SettleResult.from_response(resp("2207-nulls", "2207"))
    si = res.setlinfo
    assert (si.hosp_part_amt, si.acct_mulaid_pay, si.psn_part_amt, si.balc, si.age) == (None,) * 5
    assert si.naty == ""
    assert res.setldetail == []
    assert si.raw["not_in_spec_amt"] == Decimal("1.234")               # unknown field kept as received


def test_2208_negative_amounts():
    res = SettleResult.from_response(resp("2208-output-openhis", "2208"))
    check_setlinfo_to_the_fen("2208-output-openhis", res)
    assert res.setlinfo.medfee_sumamt == Decimal("-25.10")
    assert res.setlinfo.act_pay_dedc == Decimal("-24.87")
    assert res.setlinfo.preselfpay_amt == Decimal("-0.23")
    assert res.setlinfo.psn_part_amt is None and res.setlinfo.hosp_part_amt is None


def test_2304_openhis_local_fund_codes():
    res = SettleResult.from_response(resp("2304-output-openhis", "2304"))
    check_setlinfo_to_the_fen("2304-output-openhis", res)
    assert res.setlinfo.medfee_sumamt == Decimal("23442.46")
    assert res.setlinfo.hosp_part_amt == Decimal("505.01")
    assert [(d.fund_pay_type, d.fund_payamt, d.fund_pay_type_name) for d in res.setldetail] == [
        ("330101", Decimal("18785.39"), ""), ("999996", Decimal("505.01"), ""), ("310201", Decimal("170.04"), "")]


def test_2304_hsa_his_empty_strings_and_message_field():
    r = resp("2304-output-hsa-his", "2304")
    assert r.ok and r.err_msg == ""
    res = SettleResult.from_response(r)
    check_setlinfo_to_the_fen("2304-output-hsa-his", res)
    assert res.setlinfo.medfee_sumamt == Decimal("5792.53")
    assert res.setlinfo.act_pay_dedc == Decimal("800.00")
    assert res.setlinfo.fulamt_ownpay_amt == Decimal("296.20")
    assert res.setlinfo.clr_type == "9902"
    [d] = res.setldetail
    assert d.fund_payamt is None and d.fund_pay_type == "" and d.inscp_scp_amt == Decimal("4973.72")


def test_2204_numbers_as_numbers():
    [row] = FeeUploadResult.from_response(resp("2204-output-openhis", "2204")).result
    assert row.det_item_fee_sumamt == Decimal("4.52")
    assert row.pric_uplmt_amt == Decimal("999999.00")
    assert row.selfpay_prop == Decimal("0.05")
    assert row.cnt == Decimal("1.0")
    assert row.overlmt_amt == Decimal("0.00")
    assert row.list_sp_item_flag == "" and row.chld_medc_flag == ""


# -------------------------------------------------------------------------------- envelopes
def test_9001_success_text_in_err_msg():
    r = resp("9001-output-zjharness", "9001")
    assert r.ok and r.err_msg == "success"
    assert SignInResult.from_response(r).sign_no == "680003"


def test_refusals_parse_without_output():
    r = resp("2601-output-zjharness", "2601")
    assert r.infcode == -1 and not r.ok and r.output == {} and r.inf_refmsgid == ""
    assert r.err_msg.startswith("FSI-调用业务基础子系统冲正失败")
    e = resp("error-unknown-infno-zjharness", "3201")
    assert e.infcode == -1 and "未知交易编号" in e.err_msg and e.output == {}


def test_ecquery_answer_is_not_an_envelope():
    with pytest.raises(EnvelopeFormatError):
        parse_response(body("ecquery-output-openhis"))


def test_warn_msg_is_carried():
    r = resp("2207-warn-msg", "2207")
    assert r.warn_msg == "该参保人本年度门诊统筹额度已用完，本次按个人账户支付"
    assert Ack.from_response(r).warn_msg == r.warn_msg


# -------------------------------------------------------------------------------- codes
@pytest.mark.parametrize(("dict_name", "code"), [
    ("psn_type", "116032"), ("clr_type", "9902"), ("fund_pay_type", "330101"), ("psn_type", "12"),
])
def test_unknown_local_codes_display_as_the_code(dict_name, code):
    assert codes.label(dict_name, code) is None                       # the national table does not know it
    assert codes.display_label(dict_name, code) == code


def test_known_codes_display_their_label_and_blanks_are_blank():
    assert codes.display_label("psn_type", "1101") == "职工在职"
    assert codes.display_label("fund_pay_type", "310200") == "城镇职工基本医疗保险个人账户基金"
    assert codes.display_label("clr_type", "11") == "门诊"
    assert codes.display_label("insutype", None) == ""
    assert codes.display_label("insutype", "") == ""


def test_codes_from_the_shanghai_fixture_display_as_received():
    res = SettleResult.from_response(resp("2207-shanghai-local-codes", "2207"))
    assert codes.display_label("psn_type", res.setlinfo.psn_type) == "116032"
    assert codes.display_label("clr_type", res.setlinfo.clr_type) == "9902"
    assert codes.display_label("fund_pay_type", res.setldetail[0].fund_pay_type) == (
        codes.label("fund_pay_type", "310201") or "310201")
    p = PersonInfo.from_response(resp("1101-output-openhis", "1101"))
    assert codes.display_label("psn_type", p.insuinfo[0].psn_type) == "116032"
    assert codes.display_label("insutype", p.insuinfo[0].insutype) == "职工基本医疗保险"


# -------------------------------------------------------------------------------- review / warn_msg
def test_infcode_0_with_err_msg_needs_review():
    r = resp("2207-infcode0-errmsg", "2207")
    assert r.ok and r.needs_review
    assert r.review_msg == "结算成功，但电子凭证状态待核实，请稍后查询结算结果"
    res = SettleResult.from_response(r)
    assert res.review_msg == r.review_msg and res.warn_msg == ""
    assert res.setlinfo.medfee_sumamt == Decimal("4.52")                 # the figures are still read


@pytest.mark.parametrize("name", ["9001-output-zjharness", "2207-output-openhis", "1101-output-openhis",
                                  "2304-output-hsa-his", "2601-output-zjharness"])
def test_success_words_null_and_refusals_do_not_need_review(name):
    assert not resp(name).needs_review


def test_success_words_are_configurable():
    r = parse_response(body("2207-infcode0-errmsg"), success_err_msgs=("结算成功，但电子凭证状态待核实，请稍后查询结算结果",))
    assert not r.needs_review
    r = parse_response(body("9001-output-zjharness"), success_err_msgs=())
    assert r.review_msg == "success"


def test_settle_result_carries_warn_msg():
    res = SettleResult.from_response(resp("2207-warn-msg", "2207"))
    assert res.warn_msg == "该参保人本年度门诊统筹额度已用完，本次按个人账户支付" and res.review_msg == ""
