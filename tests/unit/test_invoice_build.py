"""Settlement record → 医疗收费电子票据 mapping, red letter, JSON/XML export and the XSD."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from decimal import Decimal

import pytest

from client.domain.invoice import (
    MAIN_ORDER,
    InvoiceError,
    build_invoice,
    build_red_letter,
    is_red_letter,
    to_json,
    verification_payload,
)
from client.printing.einvoice_xml import EInvoiceXmlError, to_xml, validate_xml
from tests.unit.test_invoice_fixtures import CASES, build_record, find_unmasked_ids

WHEN = datetime(2021, 7, 13, 10, 13, 5)


def _inv(name="01-zone-outpatient", **kw):
    return build_invoice(build_record(name), "31010125", "0000000101", "a1b2c3", WHEN, **kw)


@pytest.mark.parametrize("name", CASES)
def test_mapping_from_setlinfo(name):
    rec = build_record(name)
    s = rec["setlinfo"]
    inv = build_invoice(rec, "31010125", "0000000101", "a1b2c3", WHEN)
    m, ext = inv["Main"], inv["Main"]["MainExt"]
    assert list(m) == list(MAIN_ORDER)
    assert m["TotalAmount"] == s["medfee_sumamt"]
    assert ext["FundPayAmount"] == s["hifp_pay"]
    other = sum(Decimal(s[f]) for f in ("cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay"))
    assert Decimal(ext["OtherPayAmount"]) == other
    assert ext["AccountPayAmount"] == s["acct_pay"]
    assert ext["OwnPayAmount"] == s["psn_cash_pay"]
    assert ext["SelfpaymentAmount"] == rec["invoice_split"]["self_pay"]
    assert ext["SelfpaymentCost"] == rec["invoice_split"]["self_cost"]
    assert ext["Custom4"] == s["balc"]
    # identities
    assert sum(Decimal(d["ItemAmount"]) for d in inv["Details"]) == Decimal(m["TotalAmount"])
    assert sum(Decimal(ext[k]) for k in ("FundPayAmount", "OtherPayAmount", "AccountPayAmount",
                                         "OwnPayAmount")) == Decimal(m["TotalAmount"])
    assert len(inv["AuxDetails"]) == len(rec["lines"])
    assert m["BizCode"] == rec["setl_id"]
    assert m["CurrencyType"] == "CNY" and m["PayerParty"]["PayerPartyType"] == "1"
    # the payer's full ID number is nowhere in the record
    assert rec["person"]["certno"] not in to_json(inv)
    assert m["PayerParty"]["PayerPartyCode"] == rec["person"]["certno"][:6] + "********" + rec["person"]["certno"][-4:]


def test_outpatient_vs_inpatient_fields():
    out = _inv("01-zone-outpatient")["Main"]
    assert out["EInvoiceName"] == "医疗门诊收费票据（电子）"
    assert out["MainExt"]["PatientNumber"] and not out["MainExt"]["HospitalizationNumber"]
    inp = _inv("02-filed-inpatient-critical")["Main"]
    assert inp["EInvoiceName"] == "医疗住院收费票据（电子）"
    assert inp["MainExt"]["HospitalizationNumber"] and inp["MainExt"]["InHospitalDate"] == "20211102"
    assert inp["MainExt"]["OutHospitalDate"] == "20211120"
    assert inp["MainExt"]["Custom1"] == "10391.94"  # 大病保险 hifmi_pay
    assert inp["MainExt"]["OtherPayAmount"] == "10391.94"
    assist = _inv("05-bands-cap-assistance")["Main"]["MainExt"]
    assert assist["Custom3"] == "16205.00" and assist["OtherPayAmount"] == "16205.00"


def test_details_grouped_by_fee_category():
    inv = _inv("01-zone-outpatient")
    assert [(d["ItemCode"], d["ItemName"], d["ItemAmount"]) for d in inv["Details"]] == [
        ("02", "诊察费", "25.00"), ("04", "化验费", "88.00"), ("08", "卫生材料费", "3.90"),
        ("09", "西药费", "74.40"), ("11", "中成药费", "53.00"), ("14", "其他费", "12.00")]


@pytest.mark.parametrize("mutate, needle", [
    (lambda r: r["lines"][0].update(det_item_fee_sumamt="75.40"), "费用明细合计"),
    (lambda r: r["setlinfo"].update(hifp_pay="70.23"), "不等于医疗费总额"),
    (lambda r: r["invoice_split"].update(self_pay="1.00"), "个人自付与个人自费之和"),
    (lambda r: r["setlinfo"].update(acct_pay=78.97), "setlinfo.acct_pay"),
    (lambda r: r.update(lines=[]), "没有费用明细"),
    (lambda r: r["person"].pop("certno"), "person.certno"),
])
def test_broken_records_raise_chinese_errors(mutate, needle):
    rec = build_record("01-zone-outpatient")
    mutate(rec)
    with pytest.raises(InvoiceError) as ei:
        build_invoice(rec, "31010125", "0000000101", "a1b2c3", WHEN)
    assert needle in str(ei.value)


@pytest.mark.parametrize("code, number, check", [
    ("3101012", "0000000101", "a1b2c3"), ("31010125", "101", "a1b2c3"), ("31010125", "0000000101", "A1B2C3"),
])
def test_bad_numbering_refused(code, number, check):
    with pytest.raises(InvoiceError):
        build_invoice(build_record("01-zone-outpatient"), code, number, check, WHEN)


def test_red_letter_links_and_negates():
    orig = _inv("02-filed-inpatient-critical")
    before = copy.deepcopy(orig)
    red = build_red_letter(orig, "31010125", "0000000102", "zz9y8x", datetime(2021, 11, 21, 9, 0), "结算撤销")
    assert orig == before  # original untouched
    m, ext = red["Main"], red["Main"]["MainExt"]
    assert is_red_letter(red) and not is_red_letter(orig)
    assert (ext["RelatedInvoiceCode"], ext["RelatedInvoiceNumber"]) == ("31010125", "0000000101")
    assert m["TotalAmount"] == "-45594.00" and ext["FundPayAmount"] == "-19000.00"
    assert ext["OtherPayAmount"] == "-10391.94" and ext["OwnPayAmount"] == "-16202.06"
    assert all(Decimal(d["ItemAmount"]) < 0 for d in red["Details"])
    assert sum(Decimal(d["ItemAmount"]) for d in red["Details"]) == Decimal("-45594.00")
    assert "冲红" in m["Remark"] and "0000000101" in m["Remark"]
    with pytest.raises(InvoiceError, match="不能再次冲红"):
        build_red_letter(red, "31010125", "0000000103", "aaaaaa", WHEN)
    with pytest.raises(InvoiceError, match="同一票据号码"):
        build_red_letter(orig, "31010125", "0000000101", "aaaaaa", WHEN)


def test_zero_amounts_never_become_negative_zero():
    red = build_red_letter(_inv("01-zone-outpatient"), "31010125", "0000000102", "zz9y8x", WHEN)
    assert red["Main"]["MainExt"]["OtherPayAmount"] == "0.00"


def test_json_round_trip_and_payload():
    inv = _inv()
    back = json.loads(to_json(inv))
    assert back == inv
    assert "医疗门诊收费票据" in to_json(inv)  # readable Chinese, not \\u escapes
    assert verification_payload(inv, "H31011800123") == \
        "MSEI1|31010125|0000000101|a1b2c3|256.30|20210713|H31011800123"


@pytest.mark.parametrize("name", CASES)
def test_xml_validates_against_xsd(name):
    inv = build_invoice(build_record(name, training=True, offline=True), "31010125", "0000000101", "a1b2c3", WHEN)
    xml = to_xml(inv)
    assert xml.startswith(b"<?xml")
    validate_xml(xml)
    red = build_red_letter(inv, "31010125", "0000000102", "b2c3d4", WHEN)
    rx = to_xml(red)
    validate_xml(rx)
    assert b"<RelatedInvoiceNumber>0000000101</RelatedInvoiceNumber>" in rx
    assert b"<TotalAmount>-" in rx


def test_xml_main_order():
    xml = to_xml(_inv()).decode()
    positions = [xml.find(f"<{k}>") for k in ("EInvoiceName", "EInvoiceCode", "EInvoiceNumber", "RandomNumber",
                                              "TotalAmount", "IssueDate", "IssueTime", "InvoicingParty",
                                              "PayerParty", "PayMode", "BizCode", "CurrencyType", "MainExt")]
    assert all(p > 0 for p in positions) and positions == sorted(positions)


@pytest.mark.parametrize("old, new", [
    ("<EInvoiceCode>31010125</EInvoiceCode>", "<EInvoiceCode>3101012X</EInvoiceCode>"),
    ("<EInvoiceNumber>0000000101</EInvoiceNumber>", "<EInvoiceNumber>101</EInvoiceNumber>"),
    ("<RandomNumber>a1b2c3</RandomNumber>", "<RandomNumber>A1B2C3</RandomNumber>"),
    ("<TotalAmount>256.30</TotalAmount>", "<TotalAmount>256.3</TotalAmount>"),
    ("<CurrencyType>CNY</CurrencyType>", "<CurrencyType>USD</CurrencyType>"),
    ("<IssueDate>20210713</IssueDate>", "<IssueDate>20211313</IssueDate>"),
])
def test_tampered_xml_fails_validation(old, new):
    xml = to_xml(_inv()).decode()
    assert old in xml
    with pytest.raises(EInvoiceXmlError) as ei:
        validate_xml(xml.replace(old, new).encode())
    assert "不符合格式规范" in str(ei.value)


def test_xml_has_no_full_id_number():
    rec = build_record("01-zone-outpatient")
    xml = to_xml(build_invoice(rec, "31010125", "0000000101", "a1b2c3", WHEN)).decode()
    assert rec["person"]["certno"] not in xml
    assert find_unmasked_ids(xml) == []
    assert find_unmasked_ids(rec["person"]["certno"]) == [rec["person"]["certno"]]  # the detector works
