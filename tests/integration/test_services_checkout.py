"""Checkout service against the training platform on 127.0.0.1 with real SQLite stores.

Outpatient for 沈明 (insured in Jiashan 330421, treated in Qingpu: demo-zone filing-free) with
e-voucher, card and ID number; inpatient discharge with > 50 lines (2301 batches); same-day
reversal; the person-cache rule; refusals that write nothing; durable-before-network (the
settlement row with its msgid is committed before 2207 is answered; a lost answer → 'unknown').
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from client.services import dayend
from client.services.checkout import Counter, ledger
from client.services.context import STORE_FILE, open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.fees import HttpHisAdapter
from client.services.identify import fetched_at_of
from client.services.payments import Tender
from client.services.sync import SyncService
from tests.oracles import assert_settlement_identities
from training_platform import demo

SHEN = "330421198503150016"
LU = "320509195207080020"
DATA = demo.generate()
PEOPLE = {p["certno"]: p for p in DATA["people"]}
LINES = [("XJ01CRA006A001010104041", "24"), ("001102000010000", "1"), ("250601001", "1"), ("250401015", "1")]

# 沈明's LINES at the Qingpu training hospital (H31011800001, hosp_lv 2), worked by hand from the Qingpu
# demo catalogue (training_platform/demo_catalog.py) and policy 330421-310-otp-in-2020-2027
# (resources/policies/330421.json: deductible 600 a year, ratio 0.75 at level 2, account covers the
# in-scope part only). Jiashan insured, treated in Qingpu, med_type 11: demo-zone, filing-free, no
# reduction (docs/demo-data.md; settlement-rules §1).
#   头孢克洛胶囊      24 × 3.10 = 74.40, 甲类, limit 2.80: in scope 24 × 2.80 = 67.20, over the limit 7.20
#   普通门诊诊查费     1 × 25.00 = 25.00, 甲类: in scope 25.00
#   癌胚抗原(CEA)测定  1 × 48.50 = 48.50, 乙类 8 % self pay first: 3.88; in scope 44.62
#   血清维生素D测定    1 × 88.00 = 88.00, 丙类: fully self-paid
#   total 235.90 = fully self-paid 88.00 + over the limit 7.20 + self pay first 3.88 + in scope 136.82
#   deductible left: 600 − 550.00 paid in 2026 (the demo's year-to-date) = 50.00 ≤ 136.82
#   fund = (136.82 − 50.00) × 0.75 = 65.115 → 65.12 (half-up); personal part 235.90 − 65.12 = 170.78
#   account (in scope only) = 170.78 − 88.00 − 7.20 = 75.58 ≤ balance 1280.00 → balance 1204.42
#   cash = 88.00 + 7.20 = 95.20; check: 65.12 + 75.58 + 95.20 = 235.90
# In a year with no demo year-to-date (from 2027) the 600 deductible is not reached: act_pay_dedc
# 136.82, fund 0.00, account 3.88 + 136.82 = 140.70 (balance 1139.30), cash still 95.20.
SHEN_SPLIT = {"medfee_sumamt": "235.90", "fulamt_ownpay_amt": "88.00", "overlmt_selfpay": "7.20",
              "preselfpay_amt": "3.88", "inscp_scp_amt": "136.82"}
if str(date.today().year) == demo.YEAR:
    SHEN_FIGURES = {**SHEN_SPLIT, "act_pay_dedc": "50.00", "hifp_pay": "65.12", "fund_pay_sumamt": "65.12",
                    "psn_part_amt": "170.78", "acct_pay": "75.58", "psn_cash_pay": "95.20", "balc": "1204.42"}
else:
    SHEN_FIGURES = {**SHEN_SPLIT, "act_pay_dedc": "136.82", "hifp_pay": "0.00", "fund_pay_sumamt": "0.00",
                    "psn_part_amt": "235.90", "acct_pay": "140.70", "psn_cash_pay": "95.20", "balc": "1139.30"}


def supervisor_ok(ctx, setl_id: str, action: str = "reverse", supervisor: str = "0009"):
    """A verified authorization by a training supervisor (seeded with fast test hashing parameters)."""
    from client.security.passwords import TEST_PARAMS, make_hasher
    from client.services.operators import OperatorService, seed_training_operators

    hasher = make_hasher(TEST_PARAMS)
    seed_training_operators(ctx.store, ctx.settings, hasher=hasher)
    return OperatorService(ctx.store, hasher=hasher).authorize(ctx.operator.opter, supervisor, f"Train-{supervisor}",
                                                               action=action, subject=setl_id, reason="患者退费")


def make_window(platform, d: Path, code: str = "H31011800001", slot: int = 0):
    ctx = open_context(training_settings_for(platform.url, d, code), msgid_slot=slot)
    SyncService(ctx).run()
    dayend.open_shift(ctx.store, ctx.operator.opter, Decimal("200.00"))   # no settlement without an open shift
    return ctx


def table_count(ctx, table: str) -> int:
    with ctx.store.read_connection() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


@pytest.fixture
def window(platform, tmp_path):
    ctx = make_window(platform, tmp_path / "w1")
    yield ctx
    ctx.close()


def platform_ledger(platform) -> list[dict]:
    return requests.get(platform.url + "/admin/ledger", timeout=10).json()


@pytest.mark.parametrize("how", ["ecqr", "card", "certno"])
def test_outpatient_shen_ming_each_certificate(window, platform, how):
    c = Counter(window)
    p = PEOPLE[SHEN]
    view = {"ecqr": lambda: c.identify_ecqr(p["ecqr"]), "card": lambda: c.identify_card(p["card"]["card_data"]),
            "certno": lambda: c.identify_certno(SHEN)}[how]()
    assert view.name == "沈明" and view.masked_certno == "330421********0016"
    assert view.status == "示范区免备案" and view.status_code == "zone_exempt" and not view.suspended
    assert view.insuplc_name.endswith("嘉善县") and view.insutype_label and view.balance == "1280.00"
    assert c.person.mdtrt_cert_type == {"ecqr": "01", "card": "03", "certno": "02"}[how]
    c.start_outpatient("11")
    for code, cnt in LINES:
        c.add_line(code, cnt)
    local = c.preview()
    trial = c.presettle("1")
    # the local preview and the platform run the same engine: equal figures prove equal input only
    assert trial.differences == [] and trial.preview is not None
    # the figures themselves: worked by hand above (SHEN_FIGURES), identities to the fen
    for k, v in SHEN_FIGURES.items():
        assert trial.setlinfo[k] == v, (k, trial.setlinfo[k], v)
    assert_settlement_identities(trial.setlinfo)
    assert [w.code for w in trial.prechecks] == ["over_limit_price", "class_c"]     # 事前提醒
    with pytest.raises(ServiceError) as not_acked:
        c.settle([Tender("cash", Decimal("500"))])
    assert not_acked.value.code == "invalid_input" and "事前提醒" in not_acked.value.message
    assert table_count(window, "settlements") == 0
    assert c.acknowledge_prechecks("all", window.operator.opter) == [] and trial.pending_prechecks == []
    assert trial.setlinfo["medfee_sumamt"] == local["setlinfo"]["medfee_sumamt"] == "235.90"
    due = trial.psn_cash_pay
    assert due == Decimal(SHEN_FIGURES["psn_cash_pay"]) == Decimal("95.20")
    with pytest.raises(ServiceError) as no_ref:          # a WeChat payment recorded without its transaction no.
        c.settle([Tender("wechat", Decimal("10.00")), Tender("cash", Decimal("500"))])
    assert "缺少交易参考号" in no_ref.value.message and table_count(window, "settlements") == 0
    rec = c.settle([Tender("wechat", Decimal("10.00"), "4200002026120400000001"), Tender("cash", Decimal("500"))])
    assert rec["state"] == "confirmed" and rec["setl_id"] and rec["msgid"] == rec["setlinfo"]["medins_setl_id"]
    for k, v in SHEN_FIGURES.items():
        assert rec["setlinfo"][k] == v, (k, rec["setlinfo"][k], v)
    assert_settlement_identities(rec["setlinfo"])
    # cash due 95.20 − 10.00 by WeChat = 85.20 in cash; 500 tendered → change 500 − 85.20 = 414.80
    cash = next(x for x in rec["payments"] if x["method"] == "cash")
    assert (cash["amount"], cash["change"]) == ("85.20", "414.80")
    assert next(x for x in rec["payments"] if x["method"] == "wechat")["amount"] == "10.00"
    acct = Decimal(rec["setlinfo"]["acct_pay"])
    assert acct == Decimal(SHEN_FIGURES["acct_pay"])
    assert any(x["method"] == "account" and Decimal(x["amount"]) == acct for x in rec["payments"])
    # payments add up to the total: fund + account + WeChat + cash
    assert Decimal(rec["setlinfo"]["fund_pay_sumamt"]) + sum(Decimal(x["amount"]) for x in rec["payments"]) \
        == Decimal("235.90")
    # the platform's ledger knows the settlement under our msgid
    row = next(r for r in platform_ledger(platform) if r["setl_id"] == rec["setl_id"])
    assert row["medins_setl_id"] == rec["msgid"] and row["psn_cash_pay"] == rec["setlinfo"]["psn_cash_pay"]
    # local ledger
    lrow = ledger(window.store)[-1]
    assert lrow["state"] == "confirmed" and lrow["setl_id"] == rec["setl_id"] and lrow["hifp_pay"] == row["hifp_pay"]
    with window.store.read_connection() as conn:
        states = conn.exec_driver_sql("SELECT state FROM visits").scalars().all()
        uploaded = conn.exec_driver_sql("SELECT count(*) FROM fee_lines WHERE uploaded = 1").scalar_one()
    assert states == ["settled"] and uploaded == len(LINES)


def test_inpatient_discharge_more_than_50_lines_in_batches(platform, tmp_path):
    ctx = make_window(platform, tmp_path / "wj", "H32050900001")
    try:
        c = Counter(ctx, his=HttpHisAdapter(platform.url, ctx.fixmedins_code))
        c.identify_certno(LU)
        his = c.load_his()
        assert his.med_type == "21" and c.kind == "inpatient" and len(c.lines) > 50
        trial = c.presettle()
        assert trial.differences == [], trial.warnings
        c.acknowledge_prechecks("all", ctx.operator.opter)
        with ctx.store.read_connection() as conn:
            batches = conn.exec_driver_sql("SELECT chrg_bchno, count(*) FROM fee_lines GROUP BY chrg_bchno").fetchall()
            v = conn.exec_driver_sql("SELECT state, mdtrt_id, reg_msgid, mdtrt_msgid, endtime FROM visits").one()
        assert len(batches) == -(-len(c.lines) // 50) and max(n for _, n in batches) <= 50
        assert v[0] == "uploaded" and v[1] and v[2] and v[3] and v[4] is not None
        rec = c.settle([Tender("cash", trial.psn_cash_pay)])
        assert rec["infno"] == "2304" and rec["state"] == "confirmed"
        assert rec["setlinfo"]["medfee_sumamt"] == f"{sum(ln.amount for ln in c.lines):.2f}"
        # reversal of the inpatient settlement (2305) with a supervisor recorded
        back = c.reverse(rec["setl_id"], supervisor_ok(ctx, rec["setl_id"], supervisor="0008"))
        assert back["state"] == "reversed" and back["reversal"]["authorization"]["authorized_by"] == "0008"
        assert back["reversal"]["setlinfo"]["medfee_sumamt"] == "-" + rec["setlinfo"]["medfee_sumamt"]
    finally:
        ctx.close()


def test_reversal_same_day_needs_authorization_and_refunds(window, platform):
    c = Counter(window)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    c.add_line("001102000010000", "1")
    trial = c.presettle()
    rec = c.settle([Tender("cash", trial.psn_cash_pay)])
    from datetime import datetime

    from client.security.operators import Authorization

    forged = [None, "S001", {"authorized_by": "S001", "verified": True},
              Authorization("reverse", "T001", "T001", "培训收费员", "supervisor", datetime.now()),   # own
              supervisor_ok(window, rec["setl_id"], action="reprint"),                          # another action
              supervisor_ok(window, "310118000000000000000099")]                                # another settlement
    for auth in forged:
        with pytest.raises(ServiceError) as ei:
            c.reverse(rec["setl_id"], auth)
        assert ei.value.code in ("invalid_input", "refused") and "授权" in ei.value.message, auth
    assert not next(r for r in platform_ledger(platform) if r["setl_id"] == rec["setl_id"])["reversed"]
    with window.store.read_connection() as conn:
        assert conn.exec_driver_sql("SELECT state, revoke_msgid FROM settlements").one() == ("confirmed", None)
    back = c.reverse(rec["setl_id"], supervisor_ok(window, rec["setl_id"]), reason="患者退费")
    assert back["state"] == "reversed" and back["revoke_msgid"]
    auth = back["reversal"]["authorization"]
    assert auth["authorized_by"] == "0009" and auth["requested_by"] == "T001" and auth["verified"] is True
    refunds = [p for p in back["payments"] if Decimal(p["amount"]) < 0]
    assert refunds and sum(Decimal(p["amount"]) for p in back["payments"]) == 0
    row = next(r for r in platform_ledger(platform) if r["setl_id"] == rec["setl_id"])
    assert row["reversed"] is True
    with pytest.raises(ServiceError) as again:
        c.reverse(rec["setl_id"], supervisor_ok(window, rec["setl_id"]))
    assert again.value.code == "refused" and "已经撤销" in again.value.message


def test_person_cache_rule(window, platform):
    """Online: 1101 is called every time and the cache row is refreshed; offline: the cache is shown."""
    c = Counter(window)
    v1 = c.identify_certno(SHEN)
    t1 = fetched_at_of(window.store, v1.psn_no)
    time.sleep(0.01)
    v2 = c.identify_certno(SHEN)
    t2 = fetched_at_of(window.store, v2.psn_no)
    assert not v2.from_cache and str(t2) > str(t1)
    platform.stop()        # the platform is gone: identification falls back to the cache
    v3 = c.identify_certno(SHEN)
    assert v3.from_cache and v3.name == "沈明" and any("缓存" in w for w in v3.warnings)
    assert v3.fetched_at == v2.fetched_at
    with pytest.raises(ServiceError) as ei:
        c.start_outpatient("11")
    assert ei.value.code == "offline"
    with pytest.raises(ServiceError) as unknown_person:
        c.identify_certno("310118199001010036")
    assert unknown_person.value.code == "offline"


def test_suspended_person_refused_nothing_written(window):
    sus = next(p for p in DATA["people"] if p["insuinfo"][0]["psn_insu_stas"] == "2")
    c = Counter(window)
    view = c.identify_certno(sus["certno"])
    assert view.suspended and any("参保状态" in w for w in view.warnings)
    with pytest.raises(ServiceError) as ei:
        c.start_outpatient("11")
    assert ei.value.code == "refused" and "参保" in ei.value.message
    assert table_count(window, "visits") == 0 and table_count(window, "settlements") == 0


def test_bad_fee_files_add_nothing(window, tmp_path):
    c = Counter(window)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    bad = tmp_path / "fees.json"
    bad.write_text(json.dumps([{"code": "001102000010000", "cnt": "1"}, {"code": "NO-SUCH-CODE", "cnt": "1"}]),
                   encoding="utf-8")
    with pytest.raises(ServiceError) as ei:
        c.load_fees(bad)
    assert ei.value.code == "invalid_input" and "第2条明细" in ei.value.message and "NO-SUCH-CODE" in ei.value.message
    csv_bad = tmp_path / "fees.csv"
    csv_bad.write_text("code,cnt,pric\n001102000010000,1\n", encoding="utf-8")
    with pytest.raises(ServiceError) as ec:
        c.load_fees(csv_bad)
    assert "第2行" in ec.value.message
    floaty = tmp_path / "f.json"
    floaty.write_text('[{"code": "001102000010000", "cnt": 1, "pric": 25.5}]', encoding="utf-8")
    with pytest.raises(ServiceError):
        c.load_fees(floaty)
    assert c.lines == [] and table_count(window, "fee_lines") == 0 and table_count(window, "visits") == 0
    good = tmp_path / "good.csv"
    good.write_text("\ufeffcode,cnt,pric,name\n001102000010000,1,,诊查费\n250401015,2,88.00,\n", encoding="utf-8")
    assert [ln.amount for ln in c.load_fees(good)] == [Decimal("25.00"), Decimal("176.00")]


def test_payments_must_add_up_before_anything_is_sent(window, platform):
    c = Counter(window)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    c.add_line("250601001", "2")
    trial = c.presettle()
    due = trial.psn_cash_pay
    assert due > 0
    for tenders in ([Tender("wechat", due - Decimal("0.01"), "WX1")], [Tender("cash", due - Decimal("0.01"))],
                    [Tender("alipay", due + Decimal("1.00"), "ALI1")], [Tender("bank_card", due)]):
        with pytest.raises(ServiceError) as ei:
            c.settle(tenders)
        assert ei.value.code == "invalid_input"
    assert table_count(window, "settlements") == 0
    rec = c.settle([Tender("bank_card", Decimal("1.00"), "POS1"), Tender("ecny", due - Decimal("1.00"), "EC1")])
    assert sum(Decimal(p["amount"]) for p in rec["payments"] if p["method"] != "account") == due


def test_settlement_row_committed_before_2207_answer(window, platform):
    """A slow 2207: while the call is in flight the local row with its msgid already exists ('sent')."""
    c = Counter(window)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    c.add_line("001102000010000", "1")
    trial = c.presettle()
    requests.post(platform.url + "/admin/fault", json={"mode": "latency", "infno": "2207", "next": 1,
                                                       "delay_ms": 1500}, timeout=5)
    out: dict = {}
    th = threading.Thread(target=lambda: out.setdefault("rec", c.settle([Tender("cash", trial.psn_cash_pay)])))
    th.start()
    seen = None
    deadline = time.monotonic() + 1.2
    db = Path(window.settings.data_dir) / STORE_FILE
    while time.monotonic() < deadline and seen is None:
        conn = sqlite3.connect(db)
        seen = conn.execute("SELECT msgid, state FROM settlements").fetchone()
        conn.close()
        time.sleep(0.05)
    th.join(10)
    assert seen is not None and seen[1] == "sent"
    assert out["rec"]["msgid"] == seen[0] and out["rec"]["state"] == "confirmed"


def test_lost_2207_answer_marks_unknown_and_platform_has_it(window, platform):
    c = Counter(window)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    c.add_line("001102000010000", "1")
    trial = c.presettle()
    requests.post(platform.url + "/admin/fault", json={"mode": "drop-after-commit", "infno": "2207", "next": 1},
                  timeout=5)
    with pytest.raises(ServiceError) as ei:
        c.settle([Tender("cash", trial.psn_cash_pay)])
    assert ei.value.code == "unknown" and ei.value.msgid and "结算结果未知" in ei.value.message
    rows = ledger(window.store)
    assert [(r["state"], r["msgid"]) for r in rows] == [("unknown", ei.value.msgid)]
    assert table_count(window, "payments") == 0
    plat = [r for r in platform_ledger(platform) if r["medins_setl_id"] == ei.value.msgid]
    assert len(plat) == 1 and plat[0]["kind"] == "setl"


def test_refused_2207_marks_failed_with_err_msg_verbatim(window, platform):
    c = Counter(window)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    c.add_line("001102000010000", "1")
    trial = c.presettle()
    requests.post(platform.url + "/admin/fault", json={"mode": "refuse", "infno": "2207", "next": 1,
                                                       "message": "培训：基金支付超限，请核对"}, timeout=5)
    with pytest.raises(ServiceError) as ei:
        c.settle([Tender("cash", trial.psn_cash_pay)])
    assert ei.value.code == "refused" and ei.value.detail == "培训：基金支付超限，请核对"
    with window.store.read_connection() as conn:
        state, meta = conn.exec_driver_sql("SELECT state, preview_json FROM settlements").one()
    assert state == "failed" and json.loads(meta)["error"]["err_msg"] == "培训：基金支付超限，请核对"


def test_settled_centrally_but_local_save_fails_is_unknown(window, platform):
    """The platform settles, but the local commit of the result is blocked (DB locked): the cashier is told
    not to settle again, the row keeps state 'sent' with its msgid for recovery."""
    c = Counter(window)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    c.add_line("001102000010000", "1")
    trial = c.presettle()
    requests.post(platform.url + "/admin/fault", json={"mode": "latency", "infno": "2207", "next": 1,
                                                       "delay_ms": 800}, timeout=5)
    out: dict = {}

    def run():
        try:
            c.settle([Tender("cash", trial.psn_cash_pay)])
        except ServiceError as exc:
            out["err"] = exc

    th = threading.Thread(target=run)
    th.start()
    db = Path(window.settings.data_dir) / STORE_FILE
    holder = sqlite3.connect(db, timeout=5, isolation_level=None)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not holder.execute("SELECT count(*) FROM settlements").fetchone()[0]:
        time.sleep(0.02)
    holder.execute("BEGIN EXCLUSIVE")            # the answer arrives while we hold the write lock
    th.join(30)
    holder.execute("ROLLBACK")
    holder.close()
    err = out["err"]
    assert err.code == "unknown" and "请勿重复结算" in err.message and err.msgid
    rows = ledger(window.store)
    assert [(r["state"], r["msgid"]) for r in rows] == [("sent", err.msgid)]
    assert any(r["medins_setl_id"] == err.msgid for r in platform_ledger(platform))


def test_inpatient_attach_to_existing_admission(window, platform, tmp_path):
    """Window A admits (2401); window B (its own store) attaches to that mdtrt_id, uploads, discharges, settles."""
    a = Counter(window)
    a.identify_certno(SHEN)
    a.start_inpatient(med_type="21")
    mdtrt_id = a.admit()
    assert mdtrt_id
    ctx_b = make_window(platform, tmp_path / "wb", slot=1)      # another window of the same hospital
    try:
        b = Counter(ctx_b)
        b.identify_certno(SHEN)
        b.start_inpatient(med_type="21", mdtrt_id=mdtrt_id)
        for code, cnt in LINES:
            b.add_line(code, cnt)
        trial = b.presettle()
        assert trial.differences == []
        b.acknowledge_prechecks("all", ctx_b.operator.opter)
        rec = b.settle([Tender("cash", trial.psn_cash_pay)])
        assert rec["infno"] == "2304" and rec["mdtrt_id"] == mdtrt_id and rec["state"] == "confirmed"
        assert rec["msgid"][-4:-2] == "01" and a.ctx.new_msgid()[-4:-2] == "00"
        with ctx_b.store.read_connection() as conn:
            assert conn.exec_driver_sql("SELECT reg_msgid FROM visits").scalar_one() is None   # no 2401 from B
    finally:
        ctx_b.close()


def test_two_windows_of_one_hospital_never_share_a_msgid(platform, tmp_path):
    a = open_context(training_settings_for(platform.url, tmp_path / "a"), msgid_slot=0)
    b = open_context(training_settings_for(platform.url, tmp_path / "b"), msgid_slot=3)
    try:
        ids_a = [a.new_msgid() for _ in range(300)]
        ids_b = [b.new_msgid() for _ in range(300)]
    finally:
        a.close()
        b.close()
    assert not set(ids_a) & set(ids_b)
    assert ids_a == sorted(ids_a) and len(set(ids_a)) == 300 and all(len(m) == 30 for m in ids_a + ids_b)
    assert {m[-4:-2] for m in ids_a} == {"00"} and {m[-4:-2] for m in ids_b} == {"03"}


def test_prechecks_acknowledged_per_warning_duplicate_today_and_audited(window, platform):
    """A second visit of the same person today repeating a charge: duplicate_today; acknowledging some
    warnings is not enough; positions / codes / "all"; every acknowledgement is in the audit log."""
    c = Counter(window)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    c.add_line("001102000010000", "1")
    assert c.precheck() == []
    trial = c.presettle()
    assert trial.prechecks == [] and trial.to_dict()["prechecks"] == []
    c.settle([Tender("cash", trial.psn_cash_pay)])
    c.identify_certno(SHEN)                        # the same patient comes back today
    c.start_outpatient("11")
    c.add_line("001102000010000", "1")
    c.add_line("250401015", "1")
    early = c.precheck()                           # before anything is sent
    assert [w.code for w in early] == ["duplicate_today", "class_c"] and early[0].line_refs == ("1",)
    assert table_count(window, "visits") == 1
    left = c.acknowledge_prechecks([1], "0009")
    assert [w.code for w in left] == ["class_c"]
    trial = c.presettle()
    assert [w.code for w in trial.pending_prechecks] == ["class_c"]
    with pytest.raises(ServiceError):
        c.settle([Tender("cash", trial.psn_cash_pay)])
    assert c.acknowledge_prechecks(["class_c"], "0009") == []
    rec = c.settle([Tender("cash", trial.psn_cash_pay)])
    assert rec["state"] == "confirmed" and [w["code"] for w in rec["prechecks"]] == ["duplicate_today", "class_c"]
    with window.store.read_connection() as conn:
        acks = [json.loads(x) for x in conn.exec_driver_sql(
            "SELECT detail_json FROM audit_events WHERE action = 'precheck_ack' ORDER BY seq").scalars()]
    assert [[w["code"] for w in a["warnings"]] for a in acks] == [["duplicate_today"], ["class_c"]]


def test_einvoice_issued_after_settlement_red_letter_after_reversal(window, platform):
    """The invoice is numbered from the window's pre-allocated range (allocated at context open) after the
    local commit, its upload is queued; the reversal creates the linked red letter; uploads drain."""
    from client.services import invoicing

    assert invoicing.remaining_numbers(window.store, "01") > 0          # ensure_ranges ran at open_context
    c = Counter(window)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    c.add_line("001102000010000", "1")
    trial = c.presettle()
    rec = c.settle([Tender("cash", trial.psn_cash_pay)])
    inv = rec["invoice"]
    assert inv["state"] == "allocated" and len(inv["EInvoiceCode"]) == 8 and len(inv["EInvoiceNumber"]) == 10
    assert rec["einvoice"]["Main"]["EInvoiceNumber"] == inv["EInvoiceNumber"]
    assert rec["einvoice"]["Main"]["TotalAmount"] == rec["setlinfo"]["medfee_sumamt"]
    from client.printing.common import qr_payload

    doc = invoicing.document_record(window.store, rec["settlement_id"], window.settings)
    doc["einvoice"] = rec["einvoice"]
    assert qr_payload(doc).startswith(f"MSEI1|{inv['EInvoiceCode']}|{inv['EInvoiceNumber']}|{inv['RandomNumber']}|")
    back = c.reverse(rec["setl_id"], supervisor_ok(window, rec["setl_id"]))
    red = back["red_invoice"]
    assert red and red["EInvoiceNumber"] != inv["EInvoiceNumber"] and back["invoice"] == inv
    with window.store.read_connection() as conn:
        kinds = conn.exec_driver_sql("SELECT kind, related_invoice_id IS NOT NULL FROM invoices ORDER BY id").fetchall()
        queued = conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE kind = 'einvoice.issue'").scalar_one()
    assert kinds == [("normal", 0), ("red", 1)] and queued == 2
    platform_ = invoicing.EInvoicePlatform.from_settings(window.settings)
    try:
        res = invoicing.drain_invoice_uploads(window.store, platform_)
    finally:
        platform_.close()
    assert res.acked == 2 and res.failed == res.needs_review == 0


def test_einvoice_failure_does_not_undo_the_settlement_and_is_retried(window, platform):
    """No invoice number left (and the invoice platform unreachable at that moment): the settlement stays
    confirmed with a visible warning; issue_missing_invoices issues it once numbers are available."""
    from client.services.checkout import issue_missing_invoices, settlement_record
    from client.services.context import ensure_invoice_ranges

    with window.store.connection() as conn:
        conn.exec_driver_sql("DELETE FROM invoice_ranges")
    c = Counter(window)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    c.add_line("001102000010000", "1")
    trial = c.presettle()
    rec = c.settle([Tender("cash", trial.psn_cash_pay)])
    assert rec["state"] == "confirmed" and rec["invoice"] is None
    assert any("电子票据暂未开具" in w and "无需重新结算" in w for w in rec["warnings"])
    assert ledger(window.store)[-1]["state"] == "confirmed"
    assert ensure_invoice_ranges(window) > 0
    assert issue_missing_invoices(window) == 1 and issue_missing_invoices(window) == 0
    again = settlement_record(window, rec["settlement_id"])
    assert again["invoice"]["state"] == "allocated" and again["einvoice"]["Main"]["BizCode"] == rec["setl_id"]


def test_secrets_resolved_at_open_are_masked_in_logs(platform, tmp_path):
    """open_context registers the secrets it resolves (MAC key, the gateway secret handed in) with the log
    masking filter."""
    from client.logging_setup import clear_secrets, mask_log_text
    from client.services.context import TRAINING_MAC_KEYS

    clear_secrets()
    key = TRAINING_MAC_KEYS["H31011800001"]
    assert key in mask_log_text(f"key={key}")
    with open_context(training_settings_for(platform.url, tmp_path / "w"), secret="GW-SECRET-for-test-42"):
        pass
    assert key not in mask_log_text(f"key={key}") and "GW-SECRET-for-test-42" not in mask_log_text("GW-SECRET-for-test-42")
    clear_secrets()
