"""2403 住院信息变更 request shape (openhis Input_2403.cs: node adminfo, ipt_otp_no) and the deposit amount rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from client.api.transactions import AdmissionChangeInfo, ChangeAdmission, InpatientDiagnosis
from client.services.errors import ServiceError
from client.services.inpatient import money


def test_2403_sends_adminfo_with_ipt_otp_no_and_diseinfo():
    info = AdmissionChangeInfo(mdtrt_id="M1", psn_no="P1", begntime="2026-12-01 09:30:00", mdtrt_cert_type="02",
                               med_type="21", ipt_otp_no="ZY1", atddr_no="D2", chfpdr_name="周医生", adm_diag_dscr="肺炎",
                               adm_dept_codg="A03", adm_dept_name="内科", adm_bed="12", dscg_maindiag_code="J18.900",
                               dscg_maindiag_name="肺炎")
    dis = InpatientDiagnosis(psn_no="P1", diag_type="1", maindiag_flag="1", diag_srt_no="1", diag_code="J18.900",
                             diag_name="肺炎", diag_dept="内科", dise_dor_no="D2", dise_dor_name="周医生",
                             diag_time="2026-12-02 10:00:00", mdtrt_id="M1")
    req = ChangeAdmission(info, [dis], insuplc_admdvs="310118")
    inp = req.to_input()
    assert req.INFNO == "2403" and set(inp) == {"adminfo", "diseinfo"}
    assert inp["adminfo"]["ipt_otp_no"] == "ZY1" and "ipt_no" not in inp["adminfo"] and inp["adminfo"]["adm_bed"] == "12"
    assert inp["diseinfo"][0]["mdtrt_id"] == "M1"
    assert set(ChangeAdmission(info, None, node="mdtrtinfo").to_input()) == {"mdtrtinfo"}


@pytest.mark.parametrize("bad,words", [("-1", "必须大于0"), ("0", "必须大于0"), ("1.005", "最多两位小数"),
                                       ("x", "不是有效金额"), ("NaN", "不是有效金额"), ("Infinity", "不是有效金额")])
def test_deposit_amounts_refused_in_chinese(bad, words):
    with pytest.raises(ServiceError) as e:
        money(bad, "预交金金额")
    assert words in e.value.message and e.value.code == "invalid_input"


def test_deposit_amount_exact():
    assert money("2000", "x") == Decimal("2000.00") and str(money(" 12.5 ")) == "12.50"


def test_a_2302_refusal_means_no_such_line_only_with_all_the_words():
    from client.api.errors import fee_cancel_finds_nothing

    # the training platform's refusal for a feedetl_sn it never received (training_platform/transactions.py)
    assert fee_cancel_finds_nothing("费用明细流水号[ZY1-0001]不存在")
    assert not fee_cancel_finds_nothing("就诊信息不存在")              # the admission is gone: not "no such line"
    assert not fee_cancel_finds_nothing("费用明细流水号[ZY1-0001]已结算，不能撤销")
    assert not fee_cancel_finds_nothing("")
    assert fee_cancel_finds_nothing("明细[X]未找到", ("未找到",))     # a region's own words ([platform] fee_cancel_void_words)
