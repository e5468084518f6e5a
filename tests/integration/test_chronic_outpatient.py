"""门诊慢特病 (med_type 14) at the counter against the training platform on 127.0.0.1 (real SQLite).

陆秀英 (insured in Wujiang 320509, employee retiree, filed M03900 高血压 and M01600 糖尿病) at the
Jiashan training hospital (H33042100001, level 2): the bill of tests/fixtures/chronic/01 whose figures
are worked by hand in 01-opsp-zone-hypertension.expected.json (the disease's deductible 200, ratio
0.85). The platform's recorded 2203 must carry the disease code in dise_codg (not the ICD code); a
visit without a valid filing is refused before anything is sent.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from client.services import dayend
from client.services.checkout import Counter
from client.services.context import open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.payments import Tender
from client.services.sync import SyncService
from tests.oracles import assert_settlement_identities
from training_platform.store import DB_NAME

LU = "320509195207080020"          # filings M03900 高血压, M01600 糖尿病
SHEN = "330421198503150016"        # no filing
FIX = Path(__file__).resolve().parent.parent / "fixtures" / "chronic"
CASE = json.loads((FIX / "01-opsp-zone-hypertension.case.json").read_text(encoding="utf-8"))
EXPECTED = json.loads((FIX / "01-opsp-zone-hypertension.expected.json").read_text(encoding="utf-8"))
BEGNTIME = CASE["visit"]["begndate"] + " 10:05:00"


@pytest.fixture
def window(platform, tmp_path):
    ctx = open_context(training_settings_for(platform.url, tmp_path / "w", "H33042100001"))
    SyncService(ctx).run()
    dayend.open_shift(ctx.store, ctx.operator.opter, Decimal("200.00"))
    yield ctx
    ctx.close()


def _platform_visit(platform, mdtrt_id: str) -> dict:
    db = sqlite3.connect(Path(platform.data_dir) / DB_NAME)
    try:
        return json.loads(db.execute("SELECT doc FROM visits WHERE mdtrt_id=?", (mdtrt_id,)).fetchone()[0])
    finally:
        db.close()


def _messages(platform) -> int:
    db = sqlite3.connect(Path(platform.data_dir) / DB_NAME)
    try:
        return db.execute("SELECT count(*) FROM messages WHERE infno IN ('2201', '2203', '2204', '2206')").fetchone()[0]
    finally:
        db.close()


def test_chronic_visit_matches_the_hand_worked_case(window, platform):
    with window.store.read_connection() as conn:   # 1309 synced by the catalogue sync
        assert conn.exec_driver_sql("SELECT count(*) FROM catalog_dise WHERE infno='1309' AND code='M03900'"
                                    ).scalar_one() == 1
    c = Counter(window)
    c.identify_certno(LU)
    c.start_outpatient("14", begntime=BEGNTIME, diag_code="I10.x00", diag_name="原发性高血压")
    assert [f["opsp_dise_code"] for f in c.chronic_filings()] == ["M03900", "M01600"]
    assert c.opsp is None                         # two filings, the ICD code names neither: the cashier chooses
    for ln in CASE["lines"]:
        c.add_line(ln["code"], ln["cnt"], ln["pric"])
    with pytest.raises(ServiceError) as need:
        c.presettle("0")
    assert "请先选择备案病种" in need.value.message and "M03900 高血压" in need.value.message
    with pytest.raises(ServiceError) as wrong:
        c.choose_disease("M04300")
    assert "不是该参保人在就诊日有效的慢特病备案病种" in wrong.value.message
    assert c.choose_disease("M03900") == {"opsp_dise_code": "M03900", "opsp_dise_name": "高血压"}
    local = c.preview("0")
    trial = c.presettle("0")
    assert trial.differences == [] and trial.preview is not None
    for k, v in EXPECTED["setlinfo"].items():
        assert trial.setlinfo[k] == v, (k, trial.setlinfo[k], v)
        assert local["setlinfo"][k] == v, (k, local["setlinfo"][k], v)
    assert local["policy_id"] == EXPECTED["policy_id"] and local["category"] == EXPECTED["category"]
    assert_settlement_identities(trial.setlinfo)
    # 事前提醒: line 4 (单硝酸异山梨酯缓释片, a 冠心病 drug) is outside the hypertension drug list
    outside = [w for w in trial.prechecks if w.code == "opsp_drug_outside"]
    assert [w.line_refs for w in outside] == [("4",)] and "高血压" in outside[0].message
    c.acknowledge_prechecks("all", window.operator.opter)
    rec = c.settle([Tender("cash", Decimal("300.00"))])
    assert rec["state"] == "confirmed"
    for k, v in EXPECTED["setlinfo"].items():
        assert rec["setlinfo"][k] == v, (k, rec["setlinfo"][k], v)
    cash = next(x for x in rec["payments"] if x["method"] == "cash")
    assert (cash["amount"], cash["change"]) == ("227.86", "72.14")     # 300.00 − 227.86
    # the platform's recorded 2203: the disease code, not the ICD diagnosis
    v = _platform_visit(platform, c.mdtrt_id)
    assert v["mdtrtinfo"]["med_type"] == "14"
    assert (v["mdtrtinfo"]["dise_codg"], v["mdtrtinfo"]["dise_name"]) == ("M03900", "高血压")
    assert v["diseinfo"][0]["diag_code"] == "I10.x00"
    with window.store.read_connection() as conn:   # kept on the visit for a later 2203 (补结算, migration 0007z)
        assert conn.exec_driver_sql("SELECT opsp_dise_code, opsp_dise_name FROM visits WHERE mdtrt_id = ?",
                                    (c.mdtrt_id,)).one() == ("M03900", "高血压")


def test_the_disease_accumulates_on_its_own(window, platform):
    """A second identical visit the same day: the disease's deductible is used up (hand-worked as in
    case 02 up to the cap): act_pay_dedc 0.00, fund 308.98 × 0.85 = 262.633 → 262.63."""
    for expect_dedc, expect_hifp in (("200.00", "92.63"), ("0.00", "262.63")):
        c = Counter(window)
        c.identify_certno(LU)
        c.start_outpatient("14", begntime=BEGNTIME, disease="M03900")
        for ln in CASE["lines"]:
            c.add_line(ln["code"], ln["cnt"], ln["pric"])
        trial = c.presettle("0")
        assert trial.differences == []
        assert (trial.setlinfo["act_pay_dedc"], trial.setlinfo["hifp_pay"]) == (expect_dedc, expect_hifp)
        c.acknowledge_prechecks("all", window.operator.opter)
        c.settle([Tender("cash", trial.psn_cash_pay)])
    # an ordinary outpatient visit of the same person the same day: not a chronic-disease settlement
    c = Counter(window)
    c.identify_certno(LU)
    c.start_outpatient("11", begntime=BEGNTIME)
    c.add_line("001102000010000", "1", "23.51")
    trial = c.presettle("0")
    c.acknowledge_prechecks("all", window.operator.opter)
    c.settle([Tender("cash", trial.psn_cash_pay)])
    # Z report: the chronic-disease settlements as their own line (of the day the settlements were made)
    from client.printing.reports import render_zreport
    from client.services.reports import zreport, zreport_csv

    day = date.today()
    z = zreport(window.store, day)
    assert z.settled.count == 3 and z.chronic.count == 2 and z.chronic_reversed.count == 0
    # 2 × 320.49 = 640.98; fund 92.63 + 262.63 = 355.26; cash 227.86 + (640.98/2 − 262.63 = 57.86) = 285.72
    assert (z.chronic.medfee_sumamt, z.chronic.fund_pay_sumamt, z.chronic.psn_cash_pay) == \
        (Decimal("640.98"), Decimal("355.26"), Decimal("285.72"))
    assert z.settled.medfee_sumamt == Decimal("640.98") + Decimal("23.51")
    text = zreport_csv(z).decode("utf-8-sig")
    assert "门诊慢特病·结算,,,医疗费总额,2,640.98" in text and "门诊慢特病·净额,,,基金支付,,355.26" in text
    assert render_zreport(z)[:4] == b"%PDF"


def test_no_filing_is_refused_before_anything_is_sent(window, platform):
    before = _messages(platform)
    c = Counter(window)
    c.identify_certno(SHEN)
    with pytest.raises(ServiceError) as ei:
        c.start_outpatient("14", begntime=BEGNTIME)
    assert ei.value.code == "refused"
    assert "没有有效的门诊慢特病备案" in ei.value.message and "医疗类别 14" in ei.value.message
    assert c.kind is None
    assert _messages(platform) == before
