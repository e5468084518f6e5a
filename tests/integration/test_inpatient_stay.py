"""Inpatient stay with deposits (issue #19 scope 3) on the training platform over 127.0.0.1, real SQLite.

张伟 (310118199001010036, Qingpu employee, psn_type 1101, no year-to-date) in the Qingpu training hospital
H31011800001 (hosp_lv 2), the demo HIS's in-stay record ZY3101182026ST01 (training_platform/demo.py
STAY_SPECS: 5 days, fees per day). Policy 310118-310-ipt-in-2020-2027 (resources/policies/310118.json):
deductible 1500 per VISIT (= per admission: the platform credits what the admission's earlier
settlements paid), ratio 0.85, hifob layer from 20000 of what is left in scope a year (not reached).
acct_used_flag "0": the personal account is not used, the patient share is all psn_cash_pay.

Fee lines (Qingpu demo catalogue; 甲类 = fully in scope unless noted):
  day 1  血常规 24.75 + 胸部X线摄影(DR) 60.00 + 三人间床位 39.60 + 一级护理 28.00 + 住院诊查费 20.00
         + 血清维生素D测定 88.00 (丙类: fully self-paid)                                    = 260.35
  day 2  腹腔镜下胆囊切除术 2600.00 + 全身麻醉 2 × 663.00 = 1326.00
         + 可吸收缝合线 2 × 83.30 = 166.60 (乙类 20 %: self pay first 33.32, in scope 133.28)
         + 双人间床位 60.60 (乙类, limit 50.00: over 10.60; 50.00 × 10 % = 5.00 first; in scope 45.00)
         + 二级护理 18.18 + 住院诊查费 20.00                                                  = 4191.38
  day 3  三人间床位 39.60 + 二级护理 18.18 + 住院诊查费 20.00 + 换药(小) 14.70 + 静脉输液 7.92
         + 0.9%氯化钠注射液 2 × 4.33 = 8.66 + 注射用头孢曲松钠 2 × 4.85 = 9.70
         + 一次性使用输液器 3.40 (乙类 15 %, limit 3.20: over 0.20; 3.20 × 15 % = 0.48 first; 2.72) = 122.16
  day 4  day 3 without 换药(小)                                                               = 107.46
  day 5  血常规 24.75 + C反应蛋白 30.30 + 三人间床位 39.60 + 二级护理 18.18 + 住院诊查费 20.00 = 132.83

中途结算 (days 1–2, mid_setl_flag "1"): total 260.35 + 4191.38 = 4451.73
  fully self-paid 88.00, over the limit 10.60, self pay first 33.32 + 5.00 = 38.32
  in scope 4451.73 − 88.00 − 10.60 − 38.32 = 4314.81
  deductible 1500.00 (first settlement of the admission); fund (4314.81 − 1500.00) × 0.85 = 2392.5885 → 2392.59
  hifob: left in scope 4314.81 − 2392.59 = 1922.22 < 20000 → 0.00
  psn_cash_pay = 4451.73 − 2392.59 = 2059.14
Final (days 3–5, after 2402, mid_setl_flag "0"): total 122.16 + 107.46 + 132.83 = 362.45
  over the limit 2 × 0.20 = 0.40, self pay first 2 × 0.48 = 0.96, in scope 362.45 − 0.40 − 0.96 = 361.09
  deductible left for this admission 1500.00 − 1500.00 = 0.00; fund 361.09 × 0.85 = 306.9265 → 306.93
  psn_cash_pay = 362.45 − 306.93 = 55.52
Deposits: cash 2000.00 + WeChat code 3000.00 = 5000.00
  applied 2059.14 (mid) → balance 2940.86; applied 55.52 (final) → surplus 2885.34
  refund rule: payment-code deposits back to their channel first → 2885.34 to WeChat, 0.00 cash
  identity: 5000.00 − 2885.34 − (2059.14 + 55.52) = 0.00
Shift (float 200.00): cash expected 200.00 + 2000.00 = 2200.00; WeChat 3000.00 − 2885.34 = 114.66.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from client.services import dayend
from client.services.errors import ServiceError
from client.services.fees import HttpHisAdapter
from client.services.identify import IdentifyService
from client.services.inpatient import StayService, ledger_of
from tests.integration.test_services_checkout import make_window, supervisor_ok
from training_platform.store import DB_NAME

ZHANG = "310118199001010036"
WX_OK = "134567890123456700"
WX_OK2 = "134567890123456800"
MID = {"medfee_sumamt": "4451.73", "fulamt_ownpay_amt": "88.00", "overlmt_selfpay": "10.60",
       "preselfpay_amt": "38.32", "inscp_scp_amt": "4314.81", "act_pay_dedc": "1500.00", "hifp_pay": "2392.59",
       "hifob_pay": "0.00", "fund_pay_sumamt": "2392.59", "acct_pay": "0.00", "psn_cash_pay": "2059.14"}
FINAL = {"medfee_sumamt": "362.45", "fulamt_ownpay_amt": "0.00", "overlmt_selfpay": "0.40", "preselfpay_amt": "0.96",
         "inscp_scp_amt": "361.09", "act_pay_dedc": "0.00", "hifp_pay": "306.93", "hifob_pay": "0.00",
         "fund_pay_sumamt": "306.93", "acct_pay": "0.00", "psn_cash_pay": "55.52"}
DAYS = ["260.35", "4191.38", "122.16", "107.46", "132.83"]


def _fig(info: dict, keys: dict) -> dict:
    return {k: info.get(k) for k in keys}


def central_infnos(platform, before: int = 0) -> list[str]:
    """The state-changing messages the platform committed (its own record, in order)."""
    db = Path(platform.data_dir) / DB_NAME
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT infno FROM messages WHERE rowid > ? AND infno NOT IN ('9001') "
                                           "ORDER BY rowid", (before,))]
    finally:
        conn.close()


def central_settlements(platform, mdtrt_id: str) -> list[dict]:
    db = Path(platform.data_dir) / DB_NAME
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT setl_id, kind, infno, reversed, setlinfo, extra FROM settlements "
                                              "WHERE mdtrt_id = ? ORDER BY rowid", (mdtrt_id,))]
    finally:
        conn.close()


def tmp_path_of(ctx) -> Path:
    return Path(ctx.settings.data_dir)


def pdf_text(path: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def payledger(platform) -> dict:
    return requests.get(platform.url + "/admin/payledger", timeout=10).json()


@pytest.fixture
def ward(platform, tmp_path):
    if platform.paygate is not None:
        platform.paygate.userpaying_s = 1.0
    ctx = make_window(platform, tmp_path / "w1")
    his = HttpHisAdapter(platform.url, ctx.fixmedins_code)
    svc = StayService(ctx, his)
    person = IdentifyService(ctx).by_certno(ZHANG)
    yield platform, ctx, svc, person
    ctx.close()


def test_five_day_stay_with_deposits_mid_settlement_and_surplus_refund(ward, tmp_path):
    platform, ctx, svc, person = ward
    stay = svc.admit_from_his(person)
    sid = stay["stay_id"]
    assert stay["state"] == "admitted" and stay["mdtrt_id"] and stay["ipt_no"] == "ZY3101182026ST01"
    assert stay["person"]["certno"] != ZHANG and "*" in stay["person"]["certno"]
    d1 = svc.take_deposit(sid, "2000.00", tendered="2000.00")
    assert (d1["state"], d1["method"], d1["amount"], d1["balance"]) == ("done", "cash", "2000.00", "2000.00")
    assert d1["receipt_no"].startswith("YJ")
    pdf = svc.deposit_receipt(d1["deposit_id"])
    assert pdf.startswith(b"%PDF")
    for day in (1, 2):
        up = svc.upload(sid, day=day)
        assert up["amount"] == DAYS[day - 1] and up["skipped"] == 0
    assert svc.upload(sid, day=2)["uploaded"] == 0          # the same day again adds nothing
    d2 = svc.take_deposit(sid, "3000.00", method="code", code=WX_OK)
    assert (d2["state"], d2["method"], d2["balance"]) == ("done", "wechat", "5000.00")
    trial = svc.presettle(sid)
    assert trial["mid_setl_flag"] == "1" and trial["lines"] == 12
    assert _fig(trial["setlinfo"], MID) == MID
    assert (trial["deposit_applied"], trial["to_collect"]) == ("2059.14", "0.00")
    mid = svc.settle(sid)
    assert _fig(mid["settlement"]["setlinfo"], MID) == MID and mid["deposit_applied"] == "2059.14"
    assert mid["stay"]["books"]["balance"] == "2940.86" and mid["stay"]["state"] == "admitted"
    for day in (3, 4, 5):
        assert svc.upload(sid, day=day)["amount"] == DAYS[day - 1]
    rec = svc.discharge(sid)
    assert rec["state"] == "discharged" and rec["endtime"]
    trial = svc.presettle(sid)
    assert trial["mid_setl_flag"] == "0" and trial["lines"] == 20
    assert _fig(trial["setlinfo"], FINAL) == FINAL
    assert (trial["deposit_applied"], trial["surplus"]) == ("55.52", "2885.34")
    fin = svc.settle(sid)
    assert _fig(fin["settlement"]["setlinfo"], FINAL) == FINAL
    assert [(r["kind"], r["method"], r["amount"], r["state"]) for r in fin["refunds"]] == [
        ("refund", "wechat", "2885.34", "done")]
    st = fin["stay"]
    assert st["state"] == "settled"
    # the second deposit's receipt reprinted after discharge shows the books AS OF that deposit:
    # taken 2000.00 + 3000.00 = 5000.00, nothing refunded or applied yet, balance 5000.00
    reprint = tmp_path / "yj2.pdf"
    svc.deposit_receipt(d2["deposit_id"], out=reprint)
    text = " ".join(pdf_text(reprint).split())
    assert "累计交 5000.00 元，退 0.00 元，冲抵结算 0.00 元" in text and "5,000.00" in text, text
    # the identity, to the fen
    assert st["books"] == {"taken": "5000.00", "refunded": "2885.34", "applied": "2114.66", "restored": "0.00",
                           "applied_net": "2114.66", "balance": "0.00", "open_items": 0}
    assert Decimal("5000.00") - Decimal("2885.34") - Decimal("2114.66") == Decimal(st["books"]["balance"])
    assert [(s["mid_setl_flag"], s["psn_cash_pay"], s["deposit_applied"], s["collected"]) for s in st["settlements"]] == [
        ("1", "2059.14", "2059.14", "0.00"), ("0", "55.52", "55.52", "0.00")]
    assert [x["balance"] for x in ledger_of(ctx.store, sid)] == ["2000.00", "5000.00", "2940.86", "2885.34", "0.00"]
    # the platform's records: exactly one 2401, one 2301 a day, one 2402 and two 2304 (mid "1", final "0")
    assert central_infnos(platform) == ["2401", "2301", "2301", "2304", "2301", "2301", "2301", "2402", "2304"]
    cs = central_settlements(platform, st["mdtrt_id"])
    assert [(c["kind"], c["reversed"], json.loads(c["extra"])["mid_setl_flag"]) for c in cs] == [
        ("setl", 0, "1"), ("setl", 0, "0")]
    assert [json.loads(c["setlinfo"])["psn_cash_pay"] for c in cs] == ["2059.14", "55.52"]
    # the gateway: one charge of 3000.00, one refund of 2885.34 of it
    led = payledger(platform)
    [tr] = led["trades"]
    assert (tr["total_fee"], tr["refunded_fee"], tr["out_trade_no"]) == ("3000.00", "2885.34", d2["out_trade_no"])
    # each settlement's e-invoice covers its own lines (mid-stay: days 1–2; final: days 3–5)
    assert mid["settlement"]["warnings"] == [] and fin["settlement"]["warnings"] == []
    assert mid["settlement"]["invoice"] and fin["settlement"]["invoice"]
    assert [(r["out_trade_no"], r["refund_fee"], r["out_refund_no"]) for r in led["refunds"]] == [
        (d2["out_trade_no"], "2885.34", fin["refunds"][0]["out_refund_no"])]
    # the shift: deposits entered its money (cash drawer and WeChat)
    summary = dayend.shift_summary(ctx.store, dayend.current_shift(ctx.store, ctx.operator.opter))
    assert summary["expected"]["cash"] == "2200.00" and summary["expected"]["wechat"] == "114.66"
    assert (summary["deposits"]["taken"], summary["deposits"]["refunded"], summary["deposits"]["applied"]) == (
        "5000.00", "2885.34", "2114.66")
    # shift close balances with the counted drawer (200.00 float + 2000.00 cash deposit) and WeChat net
    from client.services import housekeeping, reports

    housekeeping.recover(ctx, grace_s=0)                   # the e-invoice uploads leave the outbox
    shift_id = dayend.current_shift(ctx.store, ctx.operator.opter)
    closed = dayend.close_shift(ctx.store, shift_id, {"cash": Decimal("2200.00"), "wechat": Decimal("114.66")})
    assert {r["method"]: r["difference"] for r in closed["closing"]["methods"]} == {"cash": "0.00", "wechat": "0.00"}
    # Z report: the deposit lines, the deposits in the methods and in the cash count
    from datetime import date

    rep = reports.zreport(ctx.store, date.today())
    assert rep.deposits == {"taken": "5000.00", "taken_count": 2, "refunded": "2885.34", "refunded_count": 1,
                            "applied": "2114.66", "applied_count": 2, "restored": "0.00"}
    [cash] = rep.cash
    assert (cash.expected, cash.counted, cash.result) == (Decimal("2200.00"), Decimal("2200.00"), "平")
    assert {(m.method, m.amount) for m in rep.methods} == {("cash", Decimal("2000.00")), ("wechat", Decimal("114.66"))}
    from client.printing.reports import render_zreport

    pdf = tmp_path_of(ctx) / "z.pdf"
    render_zreport(rep, pdf)
    rows = {ln.split()[0]: ln.split()[1:] for ln in pdf_text(pdf).splitlines() if "预交金" in ln and ln.split()}
    assert rows["收取预交金"] == ["2", "5,000.00"] and rows["退还预交金"] == ["1", "2,885.34"]
    assert rows["预交金冲抵结算（不收付现金）"] == ["2", "2,114.66"]


def test_refusals_change_nothing(ward):
    platform, ctx, svc, person = ward
    stay = svc.admit_from_his(person)
    sid = stay["stay_id"]
    before = central_infnos(platform)

    def refused(fn, *a, words, **kw):
        with pytest.raises(ServiceError) as e:
            fn(*a, **kw)
        assert e.value.code == "invalid_input" and words in e.value.message, e.value.message

    refused(svc.take_deposit, sid, "-5.00", words="必须大于0")
    refused(svc.take_deposit, sid, "12.345", words="最多两位小数")
    refused(svc.take_deposit, sid, "abc", words="不是有效金额")
    svc.take_deposit(sid, "100.00")
    auth = supervisor_ok(ctx, f"deposit:{stay['ipt_no']}")
    refused(svc.refund_deposit, sid, "100.01", auth, words="超过预交金余额 100.00 元")
    svc.upload(sid, day=1)
    refused(svc.discharge, sid, words="HIS 中还有 26 条费用（4553.83 元）")   # days 2–5: 6 + 8 + 7 + 5 lines, 4191.38 + 362.45
    refused(svc.cancel, sid, words="已有 6 条费用明细")              # 2404 refused after fees
    refused(svc.settle, sid, words="请先预结算")
    rec = svc.record(sid)
    assert rec["state"] == "admitted" and rec["books"]["balance"] == "100.00" and rec["fees"]["uploaded"] == 6
    assert central_infnos(platform)[len(before):] == ["2301"]
    # a refund within the balance goes back in cash (the deposit was cash), with the supervisor recorded
    out = svc.refund_deposit(sid, "40.00", auth, reason="患者申请")
    [r] = out["refunds"]
    assert (r["method"], r["amount"], r["authorized_by"], out["balance"]) == ("cash", "40.00", "0009", "60.00")
    with pytest.raises(ServiceError) as e:
        svc.refund_deposit(sid, "10.00", None)
    assert "授权" in e.value.message


def test_change_cancel_and_reversal_restores_the_deposit(ward):
    platform, ctx, svc, person = ward
    stay = svc.admit_from_his(person)
    sid = stay["stay_id"]
    rec = svc.change(sid, bed="12", dr_code="D310118000301", dr_name="周医生")
    assert (rec["bed"], rec["dr_name"]) == ("12", "周医生")
    assert [c["infno"] for c in rec["changes"]] == ["2401", "2403"]
    svc.take_deposit(sid, "500.00")
    svc.upload(sid, day=1)
    # 中途结算 of day 1 only (260.35: under the deductible → everything is the patient's: act_pay_dedc 172.35,
    # fund 0.00, psn_cash_pay 260.35), paid from the 500.00 deposit → balance 239.65
    t = svc.presettle(sid)
    assert (t["setlinfo"]["psn_cash_pay"], t["setlinfo"]["act_pay_dedc"], t["deposit_applied"]) == (
        "260.35", "172.35", "260.35")
    done = svc.settle(sid)
    setl_id = done["settlement"]["setl_id"]
    assert done["stay"]["books"]["balance"] == "239.65"
    with pytest.raises(ServiceError):
        svc.reverse(sid, setl_id, None)
    auth = supervisor_ok(ctx, setl_id)
    out = svc.reverse(sid, setl_id, auth, reason="录入错误")
    st = out["stay"]
    assert out["settlement"]["state"] == "reversed"
    assert st["books"] == {"taken": "500.00", "refunded": "0.00", "applied": "260.35", "restored": "260.35",
                           "applied_net": "0.00", "balance": "500.00", "open_items": 0}
    assert st["fees"]["unsettled_lines"] == 6
    # the counter can settle again: the same lines, the same figures, paid from the restored balance
    t2 = svc.presettle(sid)
    assert t2["setlinfo"]["psn_cash_pay"] == "260.35" and t2["deposit_applied"] == "260.35"
    again = svc.settle(sid)
    assert again["stay"]["books"]["balance"] == "239.65" and again["stay"]["books"]["applied_net"] == "260.35"
    # 2404 after a settlement / with fees: refused locally; a fresh admission without fees can be cancelled
    with pytest.raises(ServiceError) as e:
        svc.cancel(sid)
    assert "费用明细" in e.value.message


def test_cli_stay_deposit_daily_upload_and_discharge_with_cash_surplus(platform, tmp_path):
    """The CLI flow with one cash deposit and no mid-stay settlement: the whole stay settled at discharge
    (days 1–5 = 4451.73 + 362.45 = 4814.18; working as above, in one settlement):
      fully self-paid 88.00; over the limit 10.60 + 0.40 = 11.00; self pay first 38.32 + 0.96 = 39.28
      in scope 4814.18 − 88.00 − 11.00 − 39.28 = 4675.90; deductible 1500.00
      fund (4675.90 − 1500.00) × 0.85 = 2699.515 → 2699.52 (half-up); psn_cash_pay 4814.18 − 2699.52 = 2114.66
      deposit 3000.00 cash → applied 2114.66, surplus 885.34 refunded in cash (no code deposit)."""
    from tests.integration.cli_inproc import medsettle_inproc as medsettle

    d = str(tmp_path / "cli")
    base = ("--platform", platform.url, "--data", d)
    assert medsettle("sync", *base).returncode == 0
    assert medsettle("shift", "open", *base, "--operator", "T001", "--float", "100.00").returncode == 0
    r = medsettle("inpatient", "admit", *base, "--certno", ZHANG, "--his")
    assert r.returncode == 0, r.stderr
    stay = json.loads(r.stdout)["stay_id"]
    assert "入院登记成功" in r.stderr
    bad = medsettle("inpatient", "deposit", *base, str(stay), "--amount", "0")
    assert bad.returncode == 2 and "必须大于0" in bad.stderr
    r = medsettle("inpatient", "deposit", *base, str(stay), "--amount", "3000.00", "--cash-tendered", "3000",
                  "--receipt", str(tmp_path / "yj.pdf"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "yj.pdf").read_bytes().startswith(b"%PDF") and "预交金余额 3000.00 元" in r.stderr
    r = medsettle("inpatient", "change", *base, str(stay), "--bed", "12", "--doctor", "D310118000301:周医生")
    assert r.returncode == 0 and json.loads(r.stdout)["bed"] == "12" and "住院信息已变更（2403）" in r.stderr
    r = medsettle("inpatient", "refund-deposit", *base, str(stay), "--amount", "100.00")
    assert r.returncode == 2 and "授权" in r.stderr
    r = medsettle("inpatient", "refund-deposit", *base, str(stay), "--amount", "100.00", "--supervisor", "0009",
                  "--supervisor-password-stdin", "--reason", "患者申请", stdin="wrong\n")
    assert r.returncode == 2 and "授权失败" in r.stderr
    r = medsettle("inpatient", "refund-deposit", *base, str(stay), "--amount", "100.00", "--supervisor", "0009",
                  "--supervisor-password-stdin", "--reason", "患者申请", "--receipt", str(tmp_path / "yt.pdf"),
                  stdin="Train-0009\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["balance"] == "2900.00" and (tmp_path / "yt.pdf").read_bytes().startswith(b"%PDF")
    r = medsettle("inpatient", "deposit", *base, str(stay), "--amount", "100.00")
    assert r.returncode == 0 and "预交金余额 3000.00 元" in r.stderr
    r = medsettle("inpatient", "discharge", *base, str(stay))
    assert r.returncode == 2 and "HIS 中还有 32 条费用" in r.stderr
    r = medsettle("inpatient", "upload", *base, str(stay))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["amount"] == "4814.18"
    r = medsettle("inpatient", "discharge", *base, str(stay))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["settlement"]["setlinfo"]["psn_cash_pay"] == "2114.66"
    assert out["settlement"]["setlinfo"]["fund_pay_sumamt"] == "2699.52"
    assert [(x["method"], x["amount"]) for x in out["refunds"]] == [("cash", "885.34")]
    assert out["stay"]["books"]["balance"] == "0.00" and "退还预交金 885.34 元（现金）：已退" in r.stderr
    r = medsettle("inpatient", "show", *base, str(stay), "--table")
    assert r.returncode == 0 and "交 3100.00 − 退 985.34 − 冲抵 2114.66 = 余额 0.00" in r.stdout
    r = medsettle("inpatient", "reverse", *base, str(stay), out["settlement"]["setl_id"], "--supervisor", "0009",
                  "--supervisor-password-stdin", "--reason", "录入错误", stdin="Train-0009\n")
    assert r.returncode == 0, r.stderr
    back = json.loads(r.stdout)
    assert back["stay"]["state"] == "discharged" and back["stay"]["books"]["balance"] == "2114.66"
    r = medsettle("inpatient", "show", *base, "--table")
    assert r.returncode == 0 and "ZY3101182026ST01" in r.stdout and "2114.66" in r.stdout and ZHANG not in r.stdout


def test_short_deposit_is_topped_up_fees_cancelled_and_reversal_order_kept(ward):
    """Day 1 alone (260.35: 6 lines; fully self-paid 88.00, in scope 172.35 < the 1500.00 deductible →
    act_pay_dedc 172.35, fund 0.00, psn_cash_pay 260.35). Deposit 100.00 → applied 100.00, the rest
    160.35 collected in cash: 200.00 tendered, change 39.65."""
    from client.services.payments import Tender

    platform, ctx, svc, person = ward
    stay = svc.admit_from_his(person)
    sid = stay["stay_id"]
    svc.take_deposit(sid, "100.00")
    svc.upload(sid, day=1)
    # 2302 of one line, then of all the rest ("0000"), then day 1 again
    rec = svc.record(sid)
    assert rec["fees"]["uploaded"] == 6
    one = svc.cancel_fees(sid, "ZY3101182026ST01-006")          # 血清维生素D测定 88.00
    assert (one["cancelled"], one["amount"]) == (1, "88.00")
    rest = svc.cancel_fees(sid)
    assert (rest["cancelled"], rest["amount"]) == (5, "172.35")
    assert svc.record(sid)["fees"]["lines"] == 0
    assert svc.upload(sid, day=1)["uploaded"] == 6
    t = svc.presettle(sid)
    assert (t["psn_cash_pay"], t["deposit_applied"], t["to_collect"]) == ("260.35", "100.00", "160.35")
    with pytest.raises(ServiceError) as e:
        svc.settle(sid, [Tender("cash", Decimal("100.00"))])
    assert "现金实收 100.00 元不足，还应收 160.35 元" in e.value.message
    out = svc.settle(sid, [Tender("cash", Decimal("200.00"))])
    assert (out["deposit_applied"], out["collected"]) == ("100.00", "160.35")
    [pay] = [p for p in out["settlement"]["payments"] if p["method"] == "cash"]
    assert (pay["amount"], pay["tendered"], pay["change"]) == ("160.35", "200.00", "39.65")
    assert out["stay"]["books"]["balance"] == "0.00"
    [s] = out["stay"]["settlements"]
    assert Decimal(s["deposit_applied"]) + Decimal(s["collected"]) == Decimal(s["psn_cash_pay"])
    # 2302 of a settled line is refused before anything is sent
    with pytest.raises(ServiceError) as e:
        svc.cancel_fees(sid, "ZY3101182026ST01-001")
    assert "已结算" in e.value.message
    # the platform: an earlier settlement cannot be reversed while a later one of the admission is active
    svc.upload(sid, day=2)
    svc.presettle(sid)
    second = svc.settle(sid, [Tender("cash", Decimal("5000.00"))])
    auth = supervisor_ok(ctx, out["settlement"]["setl_id"])
    with pytest.raises(ServiceError) as e:
        svc.reverse(sid, out["settlement"]["setl_id"], auth)
    assert "请先撤销后一次结算" in e.value.message
    assert svc.record(sid)["books"]["balance"] == "0.00"
    assert second["settlement"]["state"] == "confirmed"


def test_admission_without_fees_is_cancelled_by_2404(ward):
    platform, ctx, svc, person = ward
    stay = svc.admit(person, dept_code="A03", dept_name="内科", bed="3", dr_code="D1", dr_name="周医生",
                     diag_code="J18.900", diag_name="肺炎")
    with pytest.raises(ServiceError) as e:
        svc.admit(person, dept_code="A03", dept_name="内科", bed="3", dr_code="D1", dr_name="周医生",
                  diag_code="J18.900", diag_name="肺炎")
    assert "不能重复入院登记" in e.value.message
    svc.take_deposit(stay["stay_id"], "50.00")
    with pytest.raises(ServiceError) as e:
        svc.cancel(stay["stay_id"])
    assert "预交金余额 50.00 元" in e.value.message
    auth = supervisor_ok(ctx, f"deposit:{stay['ipt_no']}")
    svc.refund_deposit(stay["stay_id"], "50.00", auth)
    rec = svc.cancel(stay["stay_id"], reason="登记错误")
    assert rec["state"] == "cancelled" and [c["infno"] for c in rec["changes"]] == ["2401", "2404"]
    conn = sqlite3.connect(Path(platform.data_dir) / DB_NAME)
    try:
        assert conn.execute("SELECT status FROM visits WHERE mdtrt_id = ?", (rec["mdtrt_id"],)).fetchone() == ("cancelled",)
    finally:
        conn.close()
