"""Inpatient flow on the training platform: 2401→2301 (batches ≤ 50)→2402→2303→2304→2305, 2601."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

from client.domain import casebuild, engine
from training_platform import demo
from training_platform.ledger import read_ledger

ZHANG = "310118199001010036"  # 张伟, Qingpu employee: local at the Qingpu hospital


def admit(w, person, ipt_no: str) -> str:
    psn = person["baseinfo"]
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    out = w.call("2401", {"mdtrtinfo": {"psn_no": psn["psn_no"], "insutype": person["insutype"], "coner_name": "家属",
                                        "tel": "13800000000", "begntime": now, "mdtrt_cert_type": "02",
                                        "mdtrt_cert_no": psn["certno"], "med_type": "21", "ipt_no": ipt_no,
                                        "medrcdno": ipt_no, "atddr_no": "D001", "chfpdr_name": "周医生",
                                        "adm_diag_dscr": "肺炎", "adm_dept_codg": "A03", "adm_dept_name": "内科",
                                        "adm_bed": "12", "dscg_maindiag_code": "J18.900", "dscg_maindiag_name": "肺炎"},
                          "diseinfo": [{"psn_no": psn["psn_no"], "diag_type": "1", "maindiag_flag": "1",
                                        "diag_srt_no": "1", "diag_code": "J18.900", "diag_name": "肺炎",
                                        "diag_time": now}]}, person["insuplc"])
    return out["output"]["result"]["mdtrt_id"]


def lines_for(data, n: int) -> list[dict]:
    rows = [r for r in data["catalog"] if r["admdvs"] == "310118" and r["chrgitm_lv"] in ("01", "02") and r["pric"]][:n - 1]
    out = [{"feedetl_sn": f"{i + 1}", "code": r["med_list_codg"], "cnt": "2", "pric": r["pric"],
            "det_item_fee_sumamt": f"{Decimal(r['pric']) * 2:.2f}"} for i, r in enumerate(rows)]
    out.append({"feedetl_sn": f"{n}", "code": "LOCAL-NOT-IN-CATALOG", "cnt": "1", "pric": "30.00",
                "det_item_fee_sumamt": "30.00"})
    return out


def test_inpatient_flow_batches_settle_and_reverse(platform, nhsa):
    data = demo.generate()
    w = nhsa(platform)
    person = w.person(ZHANG)
    psn_no = person["baseinfo"]["psn_no"]
    mdtrt_id = admit(w, person, "ZY-T-0001")
    lines = lines_for(data, 70)
    fee = w.feedetail(person, mdtrt_id, lines)
    too_many = w.call("2301", {"feedetail": fee}, person["insuplc"], expect_ok=False)
    assert too_many["infcode"] == -1 and "50" in too_many["err_msg"]
    results = []
    for i in range(0, len(fee), 50):
        results += w.call("2301", {"feedetail": fee[i:i + 50]}, person["insuplc"])["output"]["result"]
    assert len(results) == 70
    assert results[-1]["memo"] == "目录外项目" and results[-1]["fulamt_ownpay_amt"] == "30.00"
    # a re-upload of an uploaded line is refused; 2302 removes one line, re-upload works
    dup = w.call("2301", {"feedetail": fee[:1]}, person["insuplc"], expect_ok=False)
    assert dup["infcode"] == -1 and "已上传" in dup["err_msg"]
    w.call("2302", {"data": {"feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": psn_no}}, person["insuplc"])
    w.call("2301", {"feedetail": fee[:1]}, person["insuplc"])
    total = f"{sum(Decimal(ln['det_item_fee_sumamt']) for ln in lines):.2f}"
    d = dict(w.setl_data(person, mdtrt_id, total, med_type="21"), mid_setl_flag="0", invono="",
             dscg_time=dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
    pre = w.call("2303", {"data": d}, person["insuplc"])["output"]["setlinfo"]
    d.update({k: pre[k] for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")})
    not_discharged = w.call("2304", {"data": d}, person["insuplc"], expect_ok=False)
    assert not_discharged["infcode"] == -1 and "2402" in not_discharged["err_msg"]
    w.call("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "insutype": person["insutype"],
                                 "endtime": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "dscg_way": "1",
                                 "dscg_dept_codg": "A03", "dscg_dept_name": "内科"}, "diseinfo": []}, person["insuplc"])
    s = w.call("2304", {"data": d}, person["insuplc"])["output"]
    info = s["setlinfo"]
    assert info["clr_type"] == "21" and info["medfee_sumamt"] == total

    # the engine on the same case (casebuild) gives the same amounts
    p = copy.deepcopy(next(x for x in data["people"] if x["certno"] == ZHANG))
    year = str(dt.date.today().year)
    p["ytd"] = p.get("ytd", {}).get(year, {})
    p["acct_used_flag"] = "1"
    today = dt.date.today().isoformat()
    case = casebuild.build_case({"mdtrtarea_admvs": "310118", "hosp_lv": "2", "med_type": "21", "begndate": today,
                                 "filing": "none"}, p, data["catalog"], lines, data["policy_bundles"]["310118"])
    expected = engine.settle(case)
    for k in ("medfee_sumamt", "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "fund_pay_sumamt", "acct_pay",
              "psn_cash_pay", "balc"):
        assert info[k] == expected["setlinfo"][k], k
    cum = {r["cum_type_code"]: r["cum"] for r in w.call("5206", {"data": {"psn_no": psn_no}}, "310118")["output"]["cumuinfo"]
           if r["year"] == year}
    assert int(cum["C002"]) == int(p["ytd"].get("admissions", 0)) + 1

    again = w.call("2304", {"data": d}, person["insuplc"], expect_ok=False)
    assert again["infcode"] == -1 and "请勿重复结算" in again["err_msg"]
    rev = w.call("2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": info["setl_id"], "psn_no": psn_no}},
                 person["insuplc"])["output"]["setlinfo"]
    assert Decimal(rev["fund_pay_sumamt"]) == -Decimal(info["fund_pay_sumamt"])
    cum = {r["cum_type_code"]: r["cum"] for r in w.call("5206", {"data": {"psn_no": psn_no}}, "310118")["output"]["cumuinfo"]
           if r["year"] == year}
    assert int(cum["C002"]) == int(p["ytd"].get("admissions", 0))
    # after the reversal the admission is discharged-unsettled again: 2405 then 2302 '0000' then 2404
    w.call("2405", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no}}, person["insuplc"])
    blocked = w.call("2404", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no}}, person["insuplc"], expect_ok=False)
    assert blocked["infcode"] == -1 and "2302" in blocked["err_msg"]
    w.call("2302", {"data": {"feedetl_sn": "0000", "mdtrt_id": mdtrt_id, "psn_no": psn_no}}, person["insuplc"])
    w.call("2404", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no}}, person["insuplc"])
    assert [r["reversed"] for r in read_ledger(platform.data_dir)] == [True, False]


def test_2601_reverses_settlement_and_upload(platform, nhsa):
    data = demo.generate()
    w = nhsa(platform)
    person = w.person(ZHANG)
    psn_no = person["baseinfo"]["psn_no"]
    mdtrt_id = admit(w, person, "ZY-T-0002")
    lines = lines_for(data, 5)
    up_env = w.envelope("2301", {"feedetail": w.feedetail(person, mdtrt_id, lines)}, person["insuplc"])
    assert w.post(up_env).json()["infcode"] == 0
    # 冲正 the upload: the lines are gone, a new upload of the same feedetl_sn works
    w.call("2601", {"data": {"psn_no": psn_no, "omsgid": up_env["msgid"], "oinfno": "2301"}}, person["insuplc"])
    w.call("2301", {"feedetail": w.feedetail(person, mdtrt_id, lines)}, person["insuplc"])
    total = f"{sum(Decimal(ln['det_item_fee_sumamt']) for ln in lines):.2f}"
    d = dict(w.setl_data(person, mdtrt_id, total, med_type="21"), mid_setl_flag="1", invono="")
    pre = w.call("2303", {"data": d}, person["insuplc"])["output"]["setlinfo"]
    d.update({k: pre[k] for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")})
    s_env = w.envelope("2304", {"data": d}, person["insuplc"])
    setl = w.post(s_env).json()["output"]["setlinfo"]
    out = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": s_env["msgid"], "oinfno": "2304"}}, person["insuplc"])
    assert out["output"]["setlinfo"]["init_setl_id"] == setl["setl_id"]
    again = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": s_env["msgid"], "oinfno": "2304"}}, person["insuplc"],
                   expect_ok=False)
    assert again["infcode"] == -1
    unknown = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": w.msgid(), "oinfno": "2304"}}, person["insuplc"],
                     expect_ok=False)
    assert unknown["infcode"] == -1 and "无需冲正" in unknown["err_msg"]
