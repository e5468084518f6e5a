"""client.api against the training central platform (training_platform EmbeddedPlatform) on loopback.

Outpatient flow 9001 → 1101 → 2201 → 2203 → 2204 → 2206 → 2207 → 2208, then the lost-answer
drill: the platform commits a 2207 and drops the connection; the client reports "outcome unknown"
without retrying; the real way out is 2601 冲正 of that msgid (fresh msgid), then settling again.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
import requests

from client.api import (
    ApiConfigError,
    ApiSettings,
    BusinessError,
    CentralClient,
    Operator,
    TransportError,
    query_person_by_certno,
)
from client.api.transactions import (
    CancelSettle,
    Diagnosis,
    FeeDetail,
    PreSettle,
    QueryHilist,
    QuerySettlement,
    Register,
    Reverse,
    Settle,
    UploadFees,
    UploadVisit,
    VisitInfo,
)
from training_platform import server as sandbox_server

OP = Operator("0001", "收费员甲")


@pytest.fixture
def platform(tmp_path):
    p = sandbox_server.EmbeddedPlatform(tmp_path / "sandbox").start()
    yield p
    p.stop()


@pytest.fixture
def client(tmp_path, platform):
    s = ApiSettings(base_url=platform.url, fixmedins_code="H31011800001", fixmedins_name="上海市青浦区培训医院",
                    mdtrtarea_admvs="310118", state_dir=tmp_path / "state", read_timeout=10.0)
    c = CentralClient(s, sleep=lambda _s: None)
    yield c
    c.close()


def _visit(c: CentralClient, no: str):
    """1101 → 2201 → 2203 → 2204 for 沈明 (insured in Jiashan 330421, treated in Qingpu)."""
    person = c.send(query_person_by_certno("330421198503150016"), operator=OP)
    ins = person.insuinfo[0]
    adm = ins.insuplc_admdvs
    assert adm == "330421" and person.baseinfo.psn_name == "沈明"
    psn_no = person.baseinfo.psn_no
    page = c.send(QueryHilist(updt_time="2000-01-01 00:00:00", page_num=1, page_size=50), operator=OP)
    assert page.record_counts > 0 and page.rows
    item = next((r for r in page.rows if r.get("chrgitm_lv") == "01"), page.rows[0])
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    reg = c.send(Register(psn_no=psn_no, insutype=ins.insutype, begntime=now, mdtrt_cert_type="02",
                          mdtrt_cert_no="330421198503150016", ipt_otp_no=no, atddr_no="D001", dr_name="李医生",
                          dept_code="A03", dept_name="内科", caty="A03", insuplc_admdvs=adm), operator=OP)
    c.send(UploadVisit(VisitInfo(mdtrt_id=reg.mdtrt_id, psn_no=psn_no, med_type="11", begntime=now),
                       [Diagnosis(diag_type="1", diag_srt_no="1", diag_code="J06.900", diag_name="急性上呼吸道感染",
                                  diag_dept="内科", dise_dor_no="D001", dise_dor_name="李医生", diag_time=now)],
                       insuplc_admdvs=adm), operator=OP)
    fee = FeeDetail(feedetl_sn=no + "01", mdtrt_id=reg.mdtrt_id, psn_no=psn_no, fee_ocur_time=now,
                    med_list_codg=item["hilist_code"], medins_list_codg="HIS-" + item["hilist_code"],
                    det_item_fee_sumamt=Decimal("25.00"), cnt=Decimal("2"), pric=Decimal("12.5"),
                    bilg_dept_codg="A03", bilg_dept_name="内科", bilg_dr_codg="D001", bilg_dr_name="李医生",
                    chrg_bchno=no)
    up = c.send(UploadFees([fee], insuplc_admdvs=adm), operator=OP)
    assert up.result[0].det_item_fee_sumamt == Decimal("25.00")
    pre = PreSettle(psn_no=psn_no, mdtrt_cert_type="02", mdtrt_cert_no="330421198503150016", med_type="11",
                    medfee_sumamt=Decimal("25.00"), psn_setlway="01", mdtrt_id=reg.mdtrt_id, chrg_bchno=no,
                    insutype=ins.insutype, insuplc_admdvs=adm)
    return psn_no, adm, reg, pre


def test_outpatient_flow(client, platform):
    client.sign_in(OP)
    psn_no, adm, reg, pre = _visit(client, "MZ20250001")
    trial = client.send(pre, operator=OP)
    si = trial.setlinfo
    assert si.medfee_sumamt == Decimal("25.00")
    assert si.fund_pay_sumamt is not None and si.psn_part_amt is not None
    msgid = client.new_msgid()   # the checkout service stores this before sending
    done = client.send(Settle.from_presettle(pre, trial, invono="INV0001"), operator=OP, msgid=msgid)
    assert done.setlinfo.setl_id and done.setlinfo.medins_setl_id == msgid
    assert done.setlinfo.medfee_sumamt == Decimal("25.00")
    # resolving by 5203 gives the same settlement with psn_pay / cash_payamt
    q = client.send(QuerySettlement(psn_no=psn_no, setl_id=done.setlinfo.setl_id, mdtrt_id=reg.mdtrt_id,
                                    insuplc_admdvs=adm), operator=OP)
    assert q.setlinfo.setl_id == done.setlinfo.setl_id and q.setlinfo.cash_payamt is not None
    # a second 2207 under a new msgid is refused by the platform (never charge twice)
    with pytest.raises(BusinessError) as ei:
        client.send(Settle.from_presettle(pre, trial, invono="INV0001"), operator=OP)
    assert "已结算" in ei.value.err_msg
    rev = client.send(CancelSettle(setl_id=done.setlinfo.setl_id, mdtrt_id=reg.mdtrt_id, psn_no=psn_no,
                                   insuplc_admdvs=adm), operator=OP)
    assert rev.setlinfo.medfee_sumamt == Decimal("-25.00")
    client.sign_out(OP)


def test_lost_settlement_answer_is_unknown_then_reversed_by_2601_and_settled_again(client, platform):
    psn_no, adm, reg, pre = _visit(client, "MZ20250002")
    trial = client.send(pre, operator=OP)
    r = requests.post(platform.url + "/admin/fault", json={"mode": "drop-after-commit", "infno": "2207", "next": 1},
                      timeout=5)
    assert r.json()["code"] == 0
    msgid = client.new_msgid()
    with pytest.raises(TransportError) as ei:
        client.send(Settle.from_presettle(pre, trial), operator=OP, msgid=msgid)
    assert ei.value.outcome_unknown and ei.value.msgid == msgid and "结算结果未知" in str(ei.value)
    # 5203 cannot find it without the setl_id; the msgid is no replay key
    with pytest.raises(ApiConfigError):
        QuerySettlement(psn_no=psn_no, setl_id="", mdtrt_id=reg.mdtrt_id)
    with pytest.raises(BusinessError) as dup:
        client.send(Settle.from_presettle(pre, trial), operator=OP, msgid=msgid)
    assert "重复" in dup.value.err_msg
    # 2601 冲正 with a fresh msgid undoes whatever the platform committed
    rev_msgid = client.new_msgid()
    ack = client.send(Reverse(psn_no=psn_no, omsgid=msgid, oinfno=client.wire_infno("2207"), insuplc_admdvs=adm),
                      operator=OP, msgid=rev_msgid)
    assert ack.msgid == rev_msgid and ack.output["data"]["rslt"] == "1"
    # settle again with a new msgid: exactly one settlement in force for the visit
    trial2 = client.send(pre, operator=OP)
    done = client.send(Settle.from_presettle(pre, trial2), operator=OP)
    assert done.setlinfo.medfee_sumamt == trial.setlinfo.medfee_sumamt
    ledger = requests.get(platform.url + "/admin/ledger", timeout=5).json()
    in_force = [x for x in ledger if x["mdtrt_id"] == reg.mdtrt_id and x["kind"] == "setl" and not x["reversed"]]
    assert [x["setl_id"] for x in in_force] == [done.setlinfo.setl_id]
    q = client.send(QuerySettlement(psn_no=psn_no, setl_id=done.setlinfo.setl_id, mdtrt_id=reg.mdtrt_id,
                                    insuplc_admdvs=adm), operator=OP)
    assert q.setlinfo.refd_setl_flag == "0"
