"""Typed requests carry the real wrapper nodes (reference §3.0); typed responses parse to Decimal."""

import io
import zipfile
from decimal import Decimal

import pytest

from client.api.envelope import Response
from client.api.errors import MalformedResponse
from client.api.evoucher import query_person_by_card, query_person_by_certno
from client.api.transactions import (
    AdmissionInfo,
    Admit,
    CancelAdmit,
    CancelDischarge,
    CancelFees,
    CancelInpatientFees,
    CancelInpatientSettle,
    CancelRegister,
    CancelSettle,
    CatalogDownload,
    CumulativeInfo,
    Discharge,
    DischargeInfo,
    FeeDetail,
    FetchPolicyBundle,
    FileDownload,
    FileUpload,
    InpatientDiagnosis,
    InpatientPreSettle,
    InpatientSettle,
    QueryCumulative,
    QueryHilist,
    QuerySettlement,
    QuerySpecialDiseaseFiling,
    Reverse,
    SettleResult,
    SignIn,
    SignOut,
    SpecialDiseaseFilings,
    StatementDetail,
    StatementTotal,
    UploadFees,
    UploadInpatientFees,
    parse_tsv_zip,
)

D = Decimal
DIAG = InpatientDiagnosis(psn_no="P", diag_type="1", maindiag_flag="1", diag_srt_no="1", diag_code="I10",
                          diag_name="高血压", diag_dept="内科", dise_dor_no="D1", dise_dor_name="医生", diag_time="t")


def fee(**kw):
    base = dict(feedetl_sn="1", mdtrt_id="M", psn_no="P", fee_ocur_time="2025-03-04 09:00:00", med_list_codg="X",
                medins_list_codg="H", det_item_fee_sumamt=D("25"), cnt=D("2"), pric=D("12.5"),
                bilg_dept_codg="A", bilg_dept_name="内科", bilg_dr_codg="D", bilg_dr_name="医生", chrg_bchno="B")
    base.update(kw)
    return FeeDetail(**base)


@pytest.mark.parametrize("req,infno,nodes", [
    (SignIn("1", "m", "ip"), "9001", ["signIn"]),
    (SignOut("SN", "1"), "9002", ["signOut"]),
    (query_person_by_certno("330421198503150016"), "1101", ["data"]),
    (CatalogDownload(ver="0", infno="1305"), "1305", ["data"]),
    (FileDownload("FQ", "f.zip", "plc"), "9102", ["fsDownloadIn"]),
    (FileUpload(b"abc", "f.zip", "H31011800001"), "9101", ["fsUploadIn"]),
    (QueryHilist(updt_time="2000-01-01 00:00:00"), "1312", ["data"]),
    (CancelRegister("P", "M", "N"), "2202", ["data"]),
    (UploadFees([fee()]), "2204", ["feedetail"]),
    (CancelFees("M", "P"), "2205", ["data"]),
    (CancelSettle("S", "M", "P"), "2208", ["data"]),
    (UploadInpatientFees([fee(chrg_bchno=None, rx_circ_flag=None, med_type="21")]), "2301", ["feedetail"]),
    (CancelInpatientFees("M", "P"), "2302", ["data"]),
    (InpatientPreSettle("P", "02", "C", D("1.00"), "01", "M", "310"), "2303", ["data"]),
    (InpatientSettle("P", "02", "C", D("1.00"), "01", "M", "310"), "2304", ["data"]),
    (CancelInpatientSettle("M", "S", "P"), "2305", ["data"]),
    (Admit(AdmissionInfo(*["x"] * 15), [DIAG]), "2401", ["mdtrtinfo", "diseinfo"]),
    (Discharge(DischargeInfo("M", "P", "310", "t", "A", "内科", "1"), [DIAG]), "2402", ["dscginfo", "diseinfo"]),
    (CancelAdmit("M", "P"), "2404", ["data"]),
    (CancelDischarge("M", "P"), "2405", ["data"]),
    (Reverse("P", "H31011800001202503040908070001", "2207"), "2601", ["data"]),
    (StatementTotal("310", "11", "310118", "2025-03-01", "2025-03-31", D("1"), D("1"), D("0"), 3), "3201", ["data"]),
    (StatementDetail("310118", "FQ", "2025-03-01", "2025-03-31", D("1"), D("1"), D("0"), 3), "3202", ["data"]),
    (QuerySettlement("P", "S", "M"), "5203", ["data"]),
    (QueryCumulative("P", "202503"), "5206", ["data"]),
    (QuerySpecialDiseaseFiling("P"), "5301", ["data"]),
    (FetchPolicyBundle("330421", ""), "9901", ["data"]),
])
def test_wrapper_nodes(req, infno, nodes):
    assert req.INFNO == infno
    inp = req.to_input()
    assert list(inp) == nodes
    if infno != "9901":   # insuplc_admdvs belongs to the envelope, not to the data node
        assert "insuplc_admdvs" not in inp.get("data", {})


def test_fee_detail_wire_format():
    node = UploadFees([fee()]).to_input()["feedetail"][0]
    assert node["det_item_fee_sumamt"] == "25.00" and node["cnt"] == "2.0000" and node["pric"] == "12.50"
    assert node["chrg_bchno"] == "B" and node["rx_circ_flag"] == "0" and "med_type" not in node
    inp = UploadInpatientFees([fee(chrg_bchno=None, rx_circ_flag=None, med_type="21")]).to_input()["feedetail"][0]
    assert "chrg_bchno" not in inp and inp["med_type"] == "21"


def test_statement_and_card_requests():
    d = StatementTotal("310", "11", "310118", "2025-03-01", "2025-03-31", D("100.5"), D("60"), D("0"), 3).to_input()
    assert d["data"]["medfee_sumamt"] == "100.50" and d["data"]["fixmedins_setl_cnt"] == 3
    assert "refd_setl_flag" not in d["data"]
    card = query_person_by_card("X00000019", "639900D15600000500BF7C7A48FB4966").to_input()["data"]
    assert card["mdtrt_cert_type"] == "03" and card["mdtrt_cert_no"] == "X00000019" and card["card_sn"]
    ident = query_person_by_certno("330421198503150016").to_input()["data"]
    assert ident["mdtrt_cert_type"] == "02" and ident["certno"] == ident["mdtrt_cert_no"]
    assert FileUpload(b"abc", "f.zip", "H").to_input()["fsUploadIn"]["in"] == "YWJj"


def resp(infno, output):
    return Response(0, "", "", "", "", "", output, msgid="H31011800001202503040908070001", infno=infno)


def test_settle_result_from_numbers_and_strings():
    r = SettleResult.from_response(resp("5203", {
        "setlinfo": {"setl_id": "S", "medfee_sumamt": 100, "psn_pay": Decimal("30.005"), "cash_payamt": "30.01",
                     "pool_prop_selfpay": Decimal("0.85")},
        "setldetail": [{"fund_pay_type": "310100", "fund_payamt": Decimal("70")}]}))
    assert r.setlinfo.medfee_sumamt == D("100.00") and r.setlinfo.psn_pay == D("30.01")
    assert r.setlinfo.cash_payamt == D("30.01") and r.setlinfo.pool_prop_selfpay == D("0.85")
    assert r.setlinfo.acct_pay is None and r.setldetail[0].fund_payamt == D("70.00")


def test_missing_setlinfo_after_2207_is_unknown_outcome():
    with pytest.raises(MalformedResponse) as ei:
        SettleResult.from_response(resp("2207", {}))
    assert ei.value.outcome_unknown
    with pytest.raises(MalformedResponse) as e2:
        SettleResult.from_response(resp("2207", {"setlinfo": {"medfee_sumamt": "abc"}}))
    assert e2.value.outcome_unknown and "medfee_sumamt" in str(e2.value)
    with pytest.raises(MalformedResponse) as e3:
        SettleResult.from_response(resp("5203", {}))
    assert not e3.value.outcome_unknown


def test_5206_and_5301():
    c = CumulativeInfo.from_response(resp("5206", {"cumuinfo": [
        {"insutype": "310", "year": "2025", "cum_type_code": "C001", "cum": 550}]}))
    assert c.cumuinfo[0].cum == D("550.00") and c.cumuinfo[0].cum_type_code == "C001"
    f = SpecialDiseaseFilings.from_response(resp("5301", {"feedetail": [
        {"opsp_dise_code": "M03900", "opsp_dise_name": "高血压", "begndate": "2021-03-01", "enddate": "2027-02-28"}]}))
    assert f.rows[0].opsp_dise_code == "M03900"


def test_parse_tsv_zip_utf8_and_gbk():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "X1\t阿莫西林\t1\nX2\t头孢\t1\n".encode())
        zf.writestr("b.txt", "X3\t布洛芬\t1\r\n".encode("gbk"))
    assert parse_tsv_zip(buf.getvalue()) == [["X1", "阿莫西林", "1"], ["X2", "头孢", "1"], ["X3", "布洛芬", "1"]]
    with pytest.raises(ValueError):
        parse_tsv_zip(b"not a zip")
