"""Inpatient flow on the training platform: 2401→2301 (batches ≤ 50)→2402→2303→2304→2305, 2601.

Amounts are checked against figures worked by hand from the Qingpu demo catalogue and policy
310118-310-ipt-in-2020-2027 (working below); the comparison with a second engine run on the same
case only shows that the platform built the same input (it settles with that engine)."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

from client.domain import casebuild, engine
from tests.oracles import assert_settlement_identities
from training_platform import demo
from training_platform.ledger import read_ledger

ZHANG = "310118199001010036"  # 张伟, Qingpu employee: local at the Qingpu hospital

# lines_for(data, 70) at the Qingpu training hospital (hosp_lv 2): the first 69 priced 甲/乙类 rows of
# the Qingpu demo catalogue (default seed), 2 of each, and a 30.00 line not in the catalogue.
#   total = 2 × (sum of the 69 prices 12359.56) + 30.00 = 24749.12
#   not in the catalogue: 30.00 fully self-paid
#   over the limit, 2 × (price − limit): 210300002 2 × (234.60 − 220.00) = 29.20;
#     C14010203000000000000 2 × (0.65 − 0.50) = 0.30; C14010204000000000001 2 × (3.40 − 3.20) = 0.40
#     → 29.90 (311000001, C02020101…16 and C03010101…17 are priced under their limits)
#   乙类 self pay first, 2 × min(price, limit) × ratio, half-up per line:
#     250601001 97.00×0.08=7.76; 310701008 388.00×0.10=38.80; 310902002 470.40×0.20=94.08;
#     331601001 7752.00×0.10=775.20; C01010101…18 166.60×0.20=33.32; C01020101…19 646.40×0.20=129.28;
#     C02020101…16 1436.40×0.20=287.28; C03010101…17 1840.00×0.15=276.00; C14010203…00 1.00×0.20=0.20;
#     C14010204…01 6.40×0.15=0.96; C14020101…05 50.50×0.15=7.575→7.58; C14030201…07 3.70×0.08=0.296→0.30;
#     C14040101…08 1.64×0.20=0.328→0.33; C14040201…10 6.80×0.20=1.36; C14040301…13 4.96×0.20=0.992→0.99;
#     C14040401…14 15.68×0.05=0.784→0.78; C14040501…20 12.00×0.08=0.96; C14050201…12 29.10×0.20=5.82;
#     XA02ADA628… 32.96×0.10=3.296→3.30; XA02BCA591… 31.28×0.10=3.128→3.13; XA03FAA739… 39.20×0.08=3.136→3.14
#     → 1670.57
#   in scope = 24749.12 − 30.00 − 29.90 − 1670.57 = 23018.65
#   policy 310118-310-ipt-in-2020-2027 (resources/policies/310118.json): deductible 1500 a visit,
#   ratio 0.85, annual fund cap 590000 (not reached); layer hifob from 20000 of what is left in scope
#   fund = (23018.65 − 1500.00) × 0.85 = 18290.8525 → 18290.85
#   hifob: left in scope 23018.65 − 18290.85 = 4727.80 < 20000 → 0.00
#   personal part = 24749.12 − 18290.85 = 6458.27; account (covers all) = the whole balance 860.00
#   cash = 6458.27 − 860.00 = 5598.27; balance 0.00; check: 18290.85 + 860.00 + 5598.27 = 24749.12
ZHANG_70_LINES = {"medfee_sumamt": "24749.12", "fulamt_ownpay_amt": "30.00", "overlmt_selfpay": "29.90",
                  "preselfpay_amt": "1670.57", "inscp_scp_amt": "23018.65", "act_pay_dedc": "1500.00",
                  "hifp_pay": "18290.85", "hifob_pay": "0.00", "fund_pay_sumamt": "18290.85",
                  "psn_part_amt": "6458.27", "acct_pay": "860.00", "psn_cash_pay": "5598.27", "balc": "0.00"}


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

    # the amounts worked by hand (ZHANG_70_LINES above) and the identities to the fen
    for k, v in ZHANG_70_LINES.items():
        assert info[k] == v, (k, info[k], v)
    assert_settlement_identities(info)

    # input parity: the same engine on the case casebuild makes gives the same amounts, so the
    # platform built the same case (this is not a check of the amounts)
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


def test_2601_reverses_an_inpatient_settlement_and_an_admission_not_an_upload(platform, nhsa):
    data = demo.generate()
    w = nhsa(platform)
    person = w.person(ZHANG)
    psn_no = person["baseinfo"]["psn_no"]
    mdtrt_id = admit(w, person, "ZY-T-0002")
    lines = lines_for(data, 5)
    up_env = w.envelope("2301", {"feedetail": w.feedetail(person, mdtrt_id, lines)}, person["insuplc"])
    assert w.post(up_env).json()["infcode"] == 0
    # a fee upload is not in the reversible list (reference §3.8): 2302 deletes lines, not 2601
    no = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": up_env["msgid"], "oinfno": "2301"}}, person["insuplc"],
                expect_ok=False)
    assert no["infcode"] == -1 and no["err_msg"] == "交易[2301]不允许冲正" and no["output"] is None
    total = f"{sum(Decimal(ln['det_item_fee_sumamt']) for ln in lines):.2f}"
    d = dict(w.setl_data(person, mdtrt_id, total, med_type="21"), mid_setl_flag="1", invono="")
    pre = w.call("2303", {"data": d}, person["insuplc"])["output"]["setlinfo"]
    d.update({k: pre[k] for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")})
    s_env = w.envelope("2304", {"data": d}, person["insuplc"])
    setl = w.post(s_env).json()["output"]["setlinfo"]
    out = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": s_env["msgid"], "oinfno": "2304"}}, person["insuplc"])
    rinfo = out["output"]["setlinfo"]
    assert Decimal(rinfo["fund_pay_sumamt"]) == -Decimal(setl["fund_pay_sumamt"]) and rinfo["refd_setl_flag"] == "1"
    assert "init_setl_id" not in rinfo
    ledger = read_ledger(platform.data_dir)
    assert [(r["kind"], r["reversed"], r["init_setl_id"]) for r in ledger] == [("setl", True, None),
                                                                                ("revs", False, setl["setl_id"])]
    q = w.call("5203", {"data": {"psn_no": psn_no, "setl_id": setl["setl_id"], "mdtrt_id": mdtrt_id}},
               person["insuplc"])["output"]["setlinfo"]
    assert q["refd_setl_flag"] == "1"
    again = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": s_env["msgid"], "oinfno": "2304"}}, person["insuplc"],
                   expect_ok=False)
    assert again["infcode"] == -1 and "退费结算标志不为未退费，不能办理冲正交易" in again["err_msg"]
    unknown = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": w.msgid(), "oinfno": "2304"}}, person["insuplc"],
                     expect_ok=False)
    assert unknown["infcode"] == -1 and "无需冲正" in unknown["err_msg"]
    # 2601 of a 2401 (admission) with fees still uploaded is refused by the admission rule; a fresh
    # admission without fees is cancelled by it
    mdtrt2 = admit(w, person, "ZY-T-0003")
    adm_msgid = [m for (m,) in platform_msgids(platform, mdtrt2)][0]
    w.call("2601", {"data": {"psn_no": psn_no, "omsgid": adm_msgid, "oinfno": "2401"}}, person["insuplc"])
    gone = w.call("2402", {"dscginfo": {"mdtrt_id": mdtrt2, "psn_no": psn_no, "endtime": "2026-01-01 00:00:00",
                                        "dscg_way": "1"}}, person["insuplc"], expect_ok=False)
    assert gone["infcode"] == -1


def platform_msgids(platform, mdtrt_id: str):
    import sqlite3

    from training_platform.store import DB_NAME

    conn = sqlite3.connect(platform.data_dir / DB_NAME)
    try:
        return conn.execute("SELECT msgid FROM visits WHERE mdtrt_id=?", (mdtrt_id,)).fetchall()
    finally:
        conn.close()
