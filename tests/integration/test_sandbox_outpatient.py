"""Outpatient flow on the training platform over real HTTP: 1101→2201→2203→2204→2206→2207→2208,
engine equality, idempotency, duplicate refusal, 5203/5206, 3201/3202 reconciliation."""

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

import pytest

from client.domain import casebuild, engine
from training_platform import demo
from training_platform.ledger import read_ledger

SHEN = "330421198503150016"   # 沈明, Jiashan employee: zone-exempt at Qingpu
WANG = "110105197804120046"   # 王芳, Beijing employee, no filing: unfiled at Qingpu
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
        assert ctx["settle"]["infcode"] == 0, ctx["settle"]["err_msg"]
    return ctx


def engine_expected(data, ctx, inst_admdvs="310118", hosp_lv="2", ytd=None, balc=None):
    """The same case built with casebuild from the demo data, settled by the engine directly."""
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


def test_zone_exempt_flow_matches_engine_and_reverses(platform, nhsa, data):
    w = nhsa(platform)
    ctx = run_outpatient(w, SHEN, "MZ-T-0001")
    out = ctx["settle"]
    # wire format
    assert out["infcode"] == 0 and isinstance(out["infcode"], int)
    assert len(out["inf_refmsgid"]) == 30 and out["inf_refmsgid"].startswith("310118")
    assert len(out["refmsg_time"]) == 17 and out["refmsg_time"].isdigit()
    assert len(out["respond_time"]) == 17 and out["respond_time"].isdigit()
    assert out["warn_msg"] == "" and out["err_msg"] == ""
    info = out["output"]["setlinfo"]
    # 2204 split: one line per fee; the out-of-catalogue / class C ones fully self-paid
    assert len(ctx["upload"]) == len(ctx["visit"]["lines"])
    for row in ctx["upload"]:
        assert Decimal(row["fulamt_ownpay_amt"]) + Decimal(row["overlmt_amt"]) + Decimal(row["preselfpay_amt"]) + \
            Decimal(row["inscp_scp_amt"]) == Decimal(row["det_item_fee_sumamt"])
    # engine equality on the same case built with casebuild
    case, expected = engine_expected(data, ctx)
    assert expected["category"] == "zone_exempt"
    for k in MONEY:
        assert info[k] == expected["setlinfo"][k], k
    assert [(r["fund_pay_type"], r["fund_payamt"]) for r in out["output"]["setldetail"]] == \
        [(r["fund_pay_type"], r["fund_payamt"]) for r in expected["setldetail"]]
    # ... and equal to `medsettle settle` (the real command an auditor replays) on that case file
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

    # 5203 by the extension medins_setl_id, by setl_id and by mdtrt_id
    for key, val in (("medins_setl_id", info["medins_setl_id"]), ("setl_id", info["setl_id"]), ("mdtrt_id", ctx["mdtrt_id"])):
        q = w.call("5203", {"data": {"psn_no": psn_no, key: val}}, "330421")["output"]["setlinfo"]
        assert q["setl_id"] == info["setl_id"] and q["psn_pay"] == info["psn_part_amt"]
        assert q["cash_payamt"] == info["psn_cash_pay"] and q["refd_setl_flag"] == "0"
    bad = w.call("5203", {"data": {"psn_no": psn_no, "setl_id": "NOPE"}}, "330421", expect_ok=False)
    assert bad["infcode"] == -1 and "未找到结算信息" in bad["err_msg"]

    # 2208 reversal: negated amounts, ytd and account restored; a second reversal is refused
    rev = w.call("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": ctx["mdtrt_id"], "psn_no": psn_no}}, "330421")
    rinfo = rev["output"]["setlinfo"]
    assert rinfo["init_setl_id"] == info["setl_id"] and rinfo["setl_id"] != info["setl_id"]
    assert Decimal(rinfo["medfee_sumamt"]) == -Decimal(info["medfee_sumamt"])
    assert Decimal(rinfo["hifp_pay"]) == -Decimal(info["hifp_pay"])
    assert w.person(SHEN)["insuinfo"][0]["balc"] == "1280.00"
    cum2 = {r["cum_type_code"]: r["cum"] for r in w.call("5206", {"data": {"psn_no": psn_no}}, "330421")["output"]["cumuinfo"]
            if r["year"] == str(dt.date.today().year)}
    assert Decimal(cum2["C001"]) == Decimal(before.get("dedc_paid", "0"))
    again = w.call("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": ctx["mdtrt_id"], "psn_no": psn_no}},
                   "330421", expect_ok=False)
    assert again["infcode"] == -1 and "已撤销" in again["err_msg"]
    q = w.call("5203", {"data": {"psn_no": psn_no, "setl_id": info["setl_id"]}}, "330421")["output"]["setlinfo"]
    assert q["revs_flag"] == "1" and q["revs_setl_id"] == rinfo["setl_id"]
    ledger = read_ledger(platform.data_dir)
    assert [(r["setl_id"], r["reversed"]) for r in ledger] == [(info["setl_id"], True), (rinfo["setl_id"], False)]


def test_unfiled_outside_zone_gets_reduced_ratio(platform, nhsa, data):
    w = nhsa(platform)
    ctx = run_outpatient(w, WANG, "MZ-T-0002")
    info = ctx["settle"]["output"]["setlinfo"]
    _, expected = engine_expected(data, ctx)
    assert expected["category"] == "unfiled"
    for k in MONEY:
        assert info[k] == expected["setlinfo"][k], k
    assert info["clr_optins"] == "110105"


def test_idempotent_2207_and_duplicate_refused(platform, nhsa):
    w = nhsa(platform)
    ctx = run_outpatient(w, SHEN, "MZ-T-0003")
    first = ctx["settle"]
    again = w.post(ctx["settle_env"]).json()
    assert again == first                               # identical response, same inf_refmsgid
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


def test_concurrent_repeats_of_one_2207_settle_once(platform, nhsa):
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
    assert all(a == answers[0] for a in answers) and answers[0]["infcode"] == 0
    assert len(read_ledger(platform.data_dir)) == 1
