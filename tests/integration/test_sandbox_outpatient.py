"""Outpatient flow on the training platform over real HTTP: 1101→2201→2203→2204→2206→2207→2208,
figures worked by hand, idempotency, duplicate refusal, 5203/5206, 3201/3202 reconciliation.

The platform settles with the same ``client.domain.engine`` as the client, so comparing its answer
with a second engine run on a case built by casebuild proves only that both received the same input
(the platform's case building); the amounts themselves are checked against figures worked by hand
from the demo catalogue and the insured place's policy (working in the comments) and against the
settlement identities."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from client.domain import casebuild, engine
from tests.oracles import assert_settlement_identities
from training_platform import demo
from training_platform.ledger import read_ledger

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"

SHEN = "330421198503150016"   # 沈明, Jiashan employee: zone-exempt at Qingpu
WANG = "110105197804120046"   # 王芳, Beijing employee, no filing: unfiled at Qingpu
DEMO_YEAR = str(dt.date.today().year) == demo.YEAR   # the demo's year-to-date values are for 2026

# 沈明 (Jiashan 330421 employee, balance 1280.00) at the Qingpu training hospital (hosp_lv 2). His pending
# bill is the bill of spec example 01; Qingpu demo catalogue (training_platform/demo_catalog.py
# EXAMPLE_CODES); policy 330421-310-otp-in-2020-2027 (resources/policies/330421.json): deductible 600
# a year, ratio 0.75 at level 2, account covers the in-scope part only. Jiashan → Qingpu, med_type 11:
# demo zone, filing-free, no reduction (category zone_exempt).
#   1 头孢克洛胶囊  24 × 3.10 = 74.40, 甲类, limit 2.80: in scope 24 × 2.80 = 67.20, over the limit 7.20
#   2 复方丹参滴丸   2 × 26.50 = 53.00, 乙类 10 % self pay first: 5.30; in scope 47.70
#   3 普通门诊诊查费 1 × 25.00 = 25.00, 甲类: in scope 25.00
#   4 血清维生素D测定 1 × 88.00 = 88.00, 丙类: fully self-paid
#   5 一次性使用无菌注射器 6 × 0.65 = 3.90, limit 0.50: 3.00, over 0.90; 乙类 20 % of 3.00 = 0.60; in scope 2.40
#   6 LOCAL-NOT-IN-CATALOG 1 × 12.00, not in the catalogue: fully self-paid
#   total 256.30 = fully self-paid 100.00 + over the limit 8.10 + self pay first 5.90 + in scope 142.30
#   deductible left: 600 − 550.00 paid in 2026 = 50.00 ≤ 142.30 → act_pay_dedc 50.00
#   fund = (142.30 − 50.00) × 0.75 = 69.225 → 69.23 (half-up); personal part 256.30 − 69.23 = 187.07
#   account (in scope only) = 187.07 − 100.00 − 8.10 = 78.97 → balance 1280.00 − 78.97 = 1201.03
#   cash = 100.00 + 8.10 = 108.10; check: 69.23 + 78.97 + 108.10 = 256.30
# With no demo year-to-date (from 2027): 600 > 142.30 → act_pay_dedc 142.30, fund 0.00, account
# 5.90 + 142.30 = 148.20 (balance 1131.80), cash 108.10.
SHEN_SPLIT = {"medfee_sumamt": "256.30", "fulamt_ownpay_amt": "100.00", "overlmt_selfpay": "8.10",
              "preselfpay_amt": "5.90", "inscp_scp_amt": "142.30", "hosp_part_amt": "0.00"}
SHEN_FIGURES = {**SHEN_SPLIT, **(
    {"act_pay_dedc": "50.00", "hifp_pay": "69.23", "fund_pay_sumamt": "69.23", "psn_part_amt": "187.07",
     "acct_pay": "78.97", "psn_cash_pay": "108.10", "balc": "1201.03"} if DEMO_YEAR else
    {"act_pay_dedc": "142.30", "hifp_pay": "0.00", "fund_pay_sumamt": "0.00", "psn_part_amt": "256.30",
     "acct_pay": "148.20", "psn_cash_pay": "108.10", "balc": "1131.80"})}
SHEN_LINE_INSCP = {"1": "67.20", "2": "47.70", "3": "25.00", "4": "0.00", "5": "2.40", "6": "0.00"}

# 王芳 (Beijing 110105 employee, no filing, balance 2150.00, nothing paid this year) at Qingpu (hosp_lv 2):
# cross-province, unfiled (category unfiled). Policy 110105-310-otp-in-2020-2027
# (resources/policies/110105.json): deductible 1800 a year, ratio 0.80 at level 2 less 0.20 points
# unfiled = 0.60, account covers all. Qingpu demo catalogue prices (default seed):
#   1 普通门诊诊查费   1 × 25.00 = 25.00, 甲类: in scope 25.00
#   2 奥美拉唑肠溶胶囊 2 × 9.51 = 19.02, 甲类: in scope 19.02
#   3 铝碳酸镁咀嚼片   1 × 16.48 = 16.48, 乙类 10 %: 1.648 → 1.65 self pay first; in scope 14.83
#   4 C反应蛋白测定    1 × 30.30 = 30.30, 甲类: in scope 30.30
#   total 90.80 = self pay first 1.65 + in scope 89.15
#   deductible 1800 > 89.15 → act_pay_dedc 89.15, fund 0.00 (the ratio never applies)
#   personal part 90.80; account (covers all) 90.80 ≤ 2150.00 → balance 2059.20; cash 0.00
WANG_FIGURES = {"medfee_sumamt": "90.80", "fulamt_ownpay_amt": "0.00", "overlmt_selfpay": "0.00",
                "preselfpay_amt": "1.65", "inscp_scp_amt": "89.15", "act_pay_dedc": "89.15", "hifp_pay": "0.00",
                "fund_pay_sumamt": "0.00", "psn_part_amt": "90.80", "acct_pay": "90.80", "psn_cash_pay": "0.00",
                "hosp_part_amt": "0.00", "balc": "2059.20"}

MONEY = ["medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
         "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt",
         "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt", "balc", "pool_prop_selfpay"]


@pytest.fixture(scope="module")
def data():
    return demo.generate()


def run_outpatient(w, certno: str, otp_no: str, settle: bool = True):
    person = w.person(certno)
    visit = w.his_visits(certno)[0]
    mdtrt_id = w.register(person, otp_no)
    psn_no = person["baseinfo"]["psn_no"]
    w.call("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "11",
                                  "begntime": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
                                  "main_cond_dscr": "", "dise_codg": "", "dise_name": ""},
                    "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": "J06.900", "diag_name": "急性上呼吸道感染",
                                  "diag_dept": "内科", "dise_dor_no": "D001", "dise_dor_name": "周医生",
                                  "diag_time": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "vali_flag": "1"}]},
           person["insuplc"])
    up = w.call("2204", {"feedetail": w.feedetail(person, mdtrt_id, visit["lines"])}, person["insuplc"])
    total = sum(Decimal(ln["det_item_fee_sumamt"]) for ln in visit["lines"])
    pre = w.call("2206", {"data": w.setl_data(person, mdtrt_id, f"{total:.2f}")}, person["insuplc"])
    ctx = {"person": person, "visit": visit, "mdtrt_id": mdtrt_id, "upload": up["output"]["result"],
           "pre": pre["output"], "total": f"{total:.2f}"}
    if settle:
        s = pre["output"]["setlinfo"]
        d = dict(w.setl_data(person, mdtrt_id, ctx["total"]), invono="",
                 **{k: s[k] for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")})
        ctx["settle_env"] = w.envelope("2207", {"data": d}, person["insuplc"])
        r = w.post(ctx["settle_env"])
        ctx["settle"] = r.json()
        ctx["settle_raw"] = r.content.decode("utf-8")
        assert ctx["settle"]["infcode"] == 0, ctx["settle"]["err_msg"]
    return ctx


def engine_expected(data, ctx, inst_admdvs="310118", hosp_lv="2", ytd=None, balc=None):
    """The same case built with casebuild from the demo data, settled by the engine directly.

    The platform runs this very engine: agreement proves the platform built the same case (same
    input), not that the amounts are right — the hand-worked figures above check those."""
    p = copy.deepcopy(next(x for x in data["people"] if x["certno"] == ctx["person"]["baseinfo"]["certno"]))
    if balc is not None:
        p["insuinfo"][0]["balc"] = balc
    year = str(dt.date.today().year)
    p["ytd"] = ytd if ytd is not None else (p.get("ytd") or {}).get(year, {})
    p["acct_used_flag"] = "1"
    begndate = dt.date.today().isoformat()
    visit = {"mdtrtarea_admvs": inst_admdvs, "hosp_lv": hosp_lv, "med_type": "11", "begndate": begndate,
             "filing": casebuild.filing_for_visit(p["filing"], inst_admdvs, begndate)}
    catalog = [r for r in data["catalog"] if r["admdvs"] == inst_admdvs]
    case = casebuild.build_case(visit, p, catalog, ctx["visit"]["lines"],
                                data["policy_bundles"][p["insuinfo"][0]["insuplc_admdvs"]])
    return case, engine.settle(case)


def test_zone_exempt_flow_hand_worked_figures_and_reversal(platform, nhsa, data):
    """沈明's zone-exempt visit: the platform's 2207 answer carries the figures worked by hand
    (SHEN_FIGURES), holds the identities, and agrees with a replay on the same input."""
    w = nhsa(platform)
    ctx = run_outpatient(w, SHEN, "MZ-T-0001")
    out = ctx["settle"]
    # wire format
    assert out["infcode"] == 0 and isinstance(out["infcode"], int)
    assert len(out["inf_refmsgid"]) == 30 and out["inf_refmsgid"].startswith("310118")
    assert len(out["refmsg_time"]) == 17 and out["refmsg_time"].isdigit()
    assert len(out["respond_time"]) == 17 and out["respond_time"].isdigit()
    # the real shape (tests/fixtures/real/1101-output-openhis.json, 2207-output-openhis.json):
    # warn_msg null, amounts JSON numbers (read here as their exact text, see Wire.post)
    assert out["warn_msg"] is None and out["err_msg"] == ""
    raw = json.loads(ctx["settle_raw"])
    assert isinstance(raw["output"]["setlinfo"]["medfee_sumamt"], float)
    assert f'"medfee_sumamt": {out["output"]["setlinfo"]["medfee_sumamt"]},' in ctx["settle_raw"]   # digits kept
    assert raw["output"]["expContent"] is None and raw["enctype"] == ""
    info = out["output"]["setlinfo"]
    # 2204 split: one line per fee; the out-of-catalogue / class C ones fully self-paid
    assert len(ctx["upload"]) == len(ctx["visit"]["lines"])
    for row in ctx["upload"]:
        assert Decimal(row["fulamt_ownpay_amt"]) + Decimal(row["overlmt_amt"]) + Decimal(row["preselfpay_amt"]) + \
            Decimal(row["inscp_scp_amt"]) == Decimal(row["det_item_fee_sumamt"])
    # the amounts, worked by hand (SHEN_FIGURES above), and the identities to the fen
    for k, v in SHEN_FIGURES.items():
        assert info[k] == v, (k, info[k], v)
    assert_settlement_identities(info)
    assert [(r["fund_pay_type"], r["fund_payamt"]) for r in out["output"]["setldetail"]] == \
        [("310100", SHEN_FIGURES["hifp_pay"])]
    assert {r["feedetl_sn"]: r["inscp_scp_amt"] for r in ctx["upload"]} == SHEN_LINE_INSCP
    # input parity: the same engine on the case casebuild makes from the demo data agrees, so the
    # platform received (built) the same case as the client would
    case, expected = engine_expected(data, ctx)
    assert expected["category"] == "zone_exempt"
    for k in MONEY:
        assert info[k] == expected["setlinfo"][k], k
    assert [(r["fund_pay_type"], r["fund_payamt"]) for r in out["output"]["setldetail"]] == \
        [(r["fund_pay_type"], r["fund_payamt"]) for r in expected["setldetail"]]
    # ... and `medsettle settle` (the real command an auditor replays) on that case file agrees
    case_file = platform.data_dir.parent / "replay-case.json"
    case_file.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "client", "settle", str(case_file)], capture_output=True,
                          text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == 0, proc.stderr
    replay = json.loads(proc.stdout)
    for k in MONEY:
        assert info[k] == replay["setlinfo"][k], k
    # 2204 line split = engine line split
    assert {r["feedetl_sn"]: r["inscp_scp_amt"] for r in ctx["upload"]} == \
        {r["feedetl_sn"]: r["inscp_scp_amt"] for r in expected["lines"]}
    # trailing fields
    assert info["medins_setl_id"] == ctx["settle_env"]["msgid"]
    assert info["clr_optins"] == "330421" and info["clr_type"] == "11" and info["setl_id"]
    assert ctx["pre"]["setlinfo"]["hifp_pay"] == info["hifp_pay"]

    person = ctx["person"]
    psn_no = person["baseinfo"]["psn_no"]
    # 5206 accumulations updated; account balance lowered
    cum = {r["cum_type_code"]: r["cum"] for r in w.call("5206", {"data": {"psn_no": psn_no}}, "330421")["output"]["cumuinfo"]
           if r["year"] == str(dt.date.today().year)}
    before = (data["people"][0]["ytd"].get(str(dt.date.today().year)) or {})
    assert Decimal(cum["C001"]) == Decimal(before.get("dedc_paid", "0")) + Decimal(info["act_pay_dedc"])
    assert w.person(SHEN)["insuinfo"][0]["balc"] == info["balc"]

    # 5203 with its real inputs (reference §3.12): psn_no, setl_id, mdtrt_id — all three required
    real = {"psn_no": psn_no, "setl_id": info["setl_id"], "mdtrt_id": ctx["mdtrt_id"]}
    q = w.call("5203", {"data": real}, "330421")["output"]["setlinfo"]
    assert q["setl_id"] == info["setl_id"] and q["psn_pay"] == info["psn_part_amt"]
    assert q["cash_payamt"] == info["psn_cash_pay"] and q["refd_setl_flag"] == "0"
    assert q["medins_setl_id"] == ctx["settle_env"]["msgid"] and q["opter_id"] == w.opter
    for invented in ("revs_flag", "revs_setl_id", "init_setl_id"):
        assert invented not in q
    for missing in ("setl_id", "mdtrt_id", "psn_no"):
        r = w.call("5203", {"data": {k: v for k, v in real.items() if k != missing}}, "330421", expect_ok=False)
        assert r["infcode"] == -1 and r["err_msg"] == f"必填字段[{missing}]不能为空" and r["output"] is None
    old_way = w.call("5203", {"data": {"psn_no": psn_no, "medins_setl_id": info["medins_setl_id"]}}, "330421",
                     expect_ok=False)
    assert old_way["infcode"] == -1 and "必填字段[setl_id]" in old_way["err_msg"]
    bad = w.call("5203", {"data": dict(real, setl_id="NOPE")}, "330421", expect_ok=False)
    assert bad["infcode"] == -1 and "未找到结算信息" in bad["err_msg"]

    # 2208 reversal: negated amounts, ytd and account restored; a second reversal is refused
    rev = w.call("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": ctx["mdtrt_id"], "psn_no": psn_no}}, "330421")
    rinfo = rev["output"]["setlinfo"]
    assert "init_setl_id" not in rinfo and rinfo["setl_id"] != info["setl_id"] and rinfo["refd_setl_flag"] == "1"
    assert Decimal(rinfo["medfee_sumamt"]) == -Decimal(info["medfee_sumamt"])
    assert Decimal(rinfo["hifp_pay"]) == -Decimal(info["hifp_pay"])
    assert w.person(SHEN)["insuinfo"][0]["balc"] == "1280.00"
    cum2 = {r["cum_type_code"]: r["cum"] for r in w.call("5206", {"data": {"psn_no": psn_no}}, "330421")["output"]["cumuinfo"]
            if r["year"] == str(dt.date.today().year)}
    assert Decimal(cum2["C001"]) == Decimal(before.get("dedc_paid", "0"))
    again = w.call("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": ctx["mdtrt_id"], "psn_no": psn_no}},
                   "330421", expect_ok=False)
    assert again["infcode"] == -1 and "已撤销" in again["err_msg"]
    q = w.call("5203", {"data": real}, "330421")["output"]["setlinfo"]
    assert q["refd_setl_flag"] == "1" and "revs_flag" not in q       # 退费结算标志: cancelled
    ledger = read_ledger(platform.data_dir)
    assert [(r["setl_id"], r["reversed"]) for r in ledger] == [(info["setl_id"], True), (rinfo["setl_id"], False)]


def test_unfiled_outside_zone_hand_worked_figures(platform, nhsa, data):
    """王芳's unfiled cross-province visit: figures worked by hand (WANG_FIGURES), identities, and
    input parity with a second engine run."""
    w = nhsa(platform)
    ctx = run_outpatient(w, WANG, "MZ-T-0002")
    info = ctx["settle"]["output"]["setlinfo"]
    for k, v in WANG_FIGURES.items():
        assert info[k] == v, (k, info[k], v)
    assert_settlement_identities(info)
    # input parity (same engine on the same case), not a check of the amounts
    _, expected = engine_expected(data, ctx)
    assert expected["category"] == "unfiled"
    for k in MONEY:
        assert info[k] == expected["setlinfo"][k], k
    assert info["clr_optins"] == "110105"


def test_reused_msgid_refused_as_duplicate_never_replayed(platform, nhsa):
    w = nhsa(platform)
    ctx = run_outpatient(w, SHEN, "MZ-T-0003")
    first = ctx["settle"]
    msgid = ctx["settle_env"]["msgid"]
    again = w.post(ctx["settle_env"]).json()
    assert again["infcode"] == -1 and again["output"] is None        # no stored answer is replayed
    assert again["err_msg"] == f"发送方报文ID[{msgid}]重复：该报文ID已被2207交易使用，请使用新的报文ID"
    assert again["inf_refmsgid"] != first["inf_refmsgid"]
    assert len(read_ledger(platform.data_dir)) == 1      # and nothing changed
    env2 = dict(ctx["settle_env"], msgid=w.msgid())
    dup = w.post(env2).json()
    assert dup["infcode"] == -1
    assert f"该就诊已结算(setl_id={first['output']['setlinfo']['setl_id']})" in dup["err_msg"]
    assert len(read_ledger(platform.data_dir)) == 1


def test_2207_amount_mismatch_refused_and_not_stored(platform, nhsa):
    w = nhsa(platform)
    ctx = run_outpatient(w, SHEN, "MZ-T-0004", settle=False)
    s = ctx["pre"]["setlinfo"]
    d = dict(w.setl_data(ctx["person"], ctx["mdtrt_id"], ctx["total"]), invono="",
             **{k: s[k] for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")})
    d["inscp_scp_amt"] = f"{Decimal(d['inscp_scp_amt']) + Decimal('1'):.2f}"
    r = w.call("2206", {"data": dict(d, medfee_sumamt="1.00")}, "330421", expect_ok=False)
    assert r["infcode"] == -1 and "医疗费总额" in r["err_msg"]
    env = w.envelope("2207", {"data": d}, "330421")
    r = w.post(env).json()
    assert r["infcode"] == -1 and "inscp_scp_amt" in r["err_msg"]
    # the refusal is not stored: the corrected request may reuse the msgid
    d["inscp_scp_amt"] = s["inscp_scp_amt"]
    env["input"] = {"data": d}
    assert w.post(env).json()["infcode"] == 0


def test_reconciliation_3201_and_3202(platform, nhsa):
    w = nhsa(platform)
    a = run_outpatient(w, SHEN, "MZ-T-0005")["settle"]["output"]["setlinfo"]
    today = dt.date.today().isoformat()
    q = {"insutype": "310", "clr_type": "11", "setl_optins": "330421", "stmt_begndate": today, "stmt_enddate": today,
         "medfee_sumamt": a["medfee_sumamt"], "fund_pay_sumamt": a["fund_pay_sumamt"], "acct_pay": a["acct_pay"],
         "fixmedins_setl_cnt": "1"}
    ok = w.call("3201", {"data": q})["output"]["stmtinfo"]
    assert ok["stmt_rslt"] == "0" and ok["setl_optins"] == "330421"
    bad = w.call("3201", {"data": dict(q, medfee_sumamt="1.00")})["output"]["stmtinfo"]
    assert bad["stmt_rslt"] == "1" and a["medfee_sumamt"] in bad["stmt_rslt_dscr"]
    bad = w.call("3201", {"data": dict(q, fixmedins_setl_cnt="2")})["output"]["stmtinfo"]
    assert bad["stmt_rslt"] == "1"
    # 3202: upload a detail file with one right row and one unknown settlement
    rows = [[a["setl_id"], a["mdtrt_id"], a["psn_no"], a["medfee_sumamt"], a["fund_pay_sumamt"], a["acct_pay"], "0"],
            ["GHOST", "M0", a["psn_no"], "9.00", "0.00", "0.00", "0"]]
    text = "".join("\t".join(r) + "\n" for r in rows).encode()
    up = w.call("9101", {"fsUploadIn": {"in": base64.b64encode(text).decode(), "filename": "stmt.txt",
                                        "fixmedins_code": w.code}})["output"]
    res = w.call("3202", {"data": {"setl_optins": "330421", "file_qury_no": up["file_qury_no"], "stmt_begndate": today,
                                   "stmt_enddate": today, "medfee_sumamt": "0", "fund_pay_sumamt": "0",
                                   "cash_payamt": "0", "fixmedins_setl_cnt": "2"}})["output"]["fileinfo"]
    z = zipfile.ZipFile(io.BytesIO(w.download(res["file_qury_no"], res["filename"])))
    lines = [ln.split("\t") for ln in z.read(z.namelist()[0]).decode().splitlines()]
    by_setl = {ln[2]: ln for ln in lines}
    assert by_setl[a["setl_id"]][4] == "0" and by_setl[a["setl_id"]][3] == a["medins_setl_id"]
    assert by_setl["GHOST"][4] == "1" and "医保无此结算" in by_setl["GHOST"][6]
    assert len(lines[0]) == 10


def test_suspended_person_visible_but_refused(platform, nhsa, data):
    susp = next(p for p in data["people"] if p["insuinfo"][0]["psn_insu_stas"] == "2")
    inst = {"310118": "H31011800001", "320509": "H32050900001", "330421": "H33042100001"}
    w = nhsa(platform, inst.get(susp["insuinfo"][0]["insuplc_admdvs"], "H31011800001"))
    person = w.person(susp["certno"])
    assert person["insuinfo"][0]["psn_insu_stas"] == "2"
    env = w.envelope("2201", {"data": {"psn_no": susp["psn_no"], "insutype": susp["insuinfo"][0]["insutype"],
                                       "begntime": "2026-11-20 09:00:00", "mdtrt_cert_type": "02",
                                       "mdtrt_cert_no": susp["certno"], "ipt_otp_no": "MZ-SUSP", "atddr_no": "D",
                                       "dr_name": "医生", "dept_code": "A", "dept_name": "内科", "caty": "A"}},
                     person["insuplc"])
    r = w.post(env).json()
    assert r["infcode"] == -1 and r["err_msg"] == "参保人参保状态为暂停参保，不能享受待遇"


def test_expcontent_carries_filing(platform, nhsa, data):
    filed = next(p for p in data["people"] if p["filing"]["type"] != "none")
    w = nhsa(platform)
    base = w.person(filed["certno"])["baseinfo"]
    exp = json.loads(base["expContent"])
    assert exp["filing"] == filed["filing"]["type"] and exp["filing_admdvs"] == filed["filing"]["admdvs"]
    unknown = w.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "110101199001011234",
                                       "psn_cert_type": "01"}}, expect_ok=False)
    assert unknown["infcode"] == -1 and "未查询到参保信息" in unknown["err_msg"]


def test_concurrent_sends_of_one_msgid_one_ok_the_others_refused_as_duplicate(platform, nhsa):
    from concurrent.futures import ThreadPoolExecutor

    import requests

    w = nhsa(platform)
    ctx = run_outpatient(w, WANG, "MZ-T-0006", settle=False)
    s = ctx["pre"]["setlinfo"]
    d = dict(w.setl_data(ctx["person"], ctx["mdtrt_id"], ctx["total"]), invono="",
             **{k: s[k] for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")})
    env = w.envelope("2207", {"data": d}, ctx["person"]["insuplc"])
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: requests.post(platform.url + "/fsi/api/callService", json=env,
                                                        timeout=30).json(), range(6)))
    ok = [a for a in answers if a["infcode"] == 0]
    assert len(ok) == 1 and ok[0]["output"]["setlinfo"]["setl_id"]
    refused = [a for a in answers if a["infcode"] != 0]
    assert len(refused) == 5 and all("重复" in a["err_msg"] and a["output"] is None for a in refused)
    assert len(read_ledger(platform.data_dir)) == 1


def test_2601_reverses_only_the_reversible_list_with_the_real_refusals(platform, nhsa):
    """2601 冲正 (reference §3.8): a committed 2207 is undone; a second 2601 of it gets the recorded
    Zhejiang refusal text (real-messages/2601-output-zjharness.json); an omsgid never committed →
    nothing to reverse; a 2204 is not reversible; a 2601 of a 2208 makes the settlement valid again."""
    w = nhsa(platform)
    ctx = run_outpatient(w, SHEN, "MZ-T-0007")
    info = ctx["settle"]["output"]["setlinfo"]
    psn_no = ctx["person"]["baseinfo"]["psn_no"]
    omsgid = ctx["settle_env"]["msgid"]
    balc_after = w.person(SHEN)["insuinfo"][0]["balc"]

    r = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": omsgid, "oinfno": "2207"}}, "330421")
    assert r["output"]["data"] == {"omsgid": omsgid, "oinfno": "2207", "rslt": "1"}
    ledger = read_ledger(platform.data_dir)
    assert [(x["setl_id"], x["kind"], x["reversed"]) for x in ledger][0] == (info["setl_id"], "setl", True)
    assert ledger[1]["kind"] == "revs" and ledger[1]["infno"] == "2601"
    assert ledger[1]["medfee_sumamt"] == "-" + info["medfee_sumamt"]
    assert w.person(SHEN)["insuinfo"][0]["balc"] == "1280.00"      # the account refunded (hand figure above)
    q = w.call("5203", {"data": {"psn_no": psn_no, "setl_id": info["setl_id"], "mdtrt_id": ctx["mdtrt_id"]}},
               "330421")["output"]["setlinfo"]
    assert q["refd_setl_flag"] == "1"

    again = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": omsgid, "oinfno": "2207"}}, "330421", expect_ok=False)
    recorded = json.loads((REAL / "2601-output-zjharness.json").read_text(encoding="utf-8"))
    assert again["infcode"] == -1 and again["output"] is None
    assert again["err_msg"] == recorded["err_msg"]

    never = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": w.msgid(), "oinfno": "2207"}}, "330421",
                   expect_ok=False)
    assert never["infcode"] == -1 and "无需冲正" in never["err_msg"]
    fees = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": omsgid, "oinfno": "2204"}}, "330421", expect_ok=False)
    assert fees["infcode"] == -1 and fees["err_msg"] == "交易[2204]不允许冲正"
    missing = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": omsgid}}, "330421", expect_ok=False)
    assert missing["err_msg"] == "必填字段[oinfno]不能为空"

    # settle again (new msgid), reverse it by 2208, then 冲正 the 2208: the settlement is valid again
    pre = w.call("2206", {"data": w.setl_data(ctx["person"], ctx["mdtrt_id"], ctx["total"])}, "330421")
    s = pre["output"]["setlinfo"]
    d = dict(w.setl_data(ctx["person"], ctx["mdtrt_id"], ctx["total"]), invono="",
             **{k: s[k] for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")})
    second = w.call("2207", {"data": d}, "330421")["output"]["setlinfo"]
    assert second["medfee_sumamt"] == info["medfee_sumamt"] and second["setl_id"] != info["setl_id"]
    env2208 = w.envelope("2208", {"data": {"setl_id": second["setl_id"], "mdtrt_id": ctx["mdtrt_id"],
                                           "psn_no": psn_no}}, "330421")
    assert w.post(env2208).json()["infcode"] == 0
    undo = w.call("2601", {"data": {"psn_no": psn_no, "omsgid": env2208["msgid"], "oinfno": "2208"}}, "330421")
    assert undo["infcode"] == 0
    q = w.call("5203", {"data": {"psn_no": psn_no, "setl_id": second["setl_id"], "mdtrt_id": ctx["mdtrt_id"]}},
               "330421")["output"]["setlinfo"]
    assert q["refd_setl_flag"] == "0"
    assert w.person(SHEN)["insuinfo"][0]["balc"] == balc_after          # the account charged again
    in_force = [x for x in read_ledger(platform.data_dir) if x["kind"] == "setl" and not x["reversed"]]
    assert [x["setl_id"] for x in in_force] == [second["setl_id"]]
    assert not [x for x in read_ledger(platform.data_dir) if x["medins_setl_id"] == env2208["msgid"]]
