"""门诊慢特病 (med_type 14) checkout SIGKILLed at each step of the outpatient protocol, then `medsettle
recover`, then — when the patient is not settled (未结算) — the cashier settles again (tests/faults/driver.py
does the same with random kills). Issue #19's acceptance: "a chronic-disease visit … a SIGKILL at each
step recovered".

The child is ``python -m client checkout --med-type 14 --disease M01600 --certno 320509195207080020 …``
run with ``MEDSETTLE_KILL_AT=<step>``: client.services.checkout (``Counter._checkpoint``, training
windows only) kills itself right after the step named. ``2207.lost`` is not a kill: the training
platform commits the 2207 and drops its answer (POST /admin/fault drop-after-commit), the child exits 3.

Hand-worked case (the one of test_cli_checkout.py::test_chronic_disease_checkout_needs_a_filed_disease):
陆秀英 (Wujiang 320509 employee retiree, filings M03900 高血压 / M01600 糖尿病) at the Qingpu training
hospital H31011800001 (policy 320509-310-otp-ret, opsp.M01600: deductible 200.00, nothing paid for it
yet on a fresh platform), one line 普通门诊诊查费 001102000010000 × 1 @ 25.00 (甲类, no self-pay part):
    medfee_sumamt 25.00; inscp_scp_amt 25.00;
    act_pay_dedc = min(25.00, 200.00 − 0.00) = 25.00 → nothing above the deductible → hifp_pay 0.00,
    fund_pay_sumamt 0.00; --acct 0 → acct_pay 0.00; psn_cash_pay = 25.00 − 0.00 − 0.00 = 25.00;
    tendered cash 30.00 → change 5.00.
Deductible state: each step runs on a fresh platform (the ``platform`` fixture), so only this step's
visits count. Where the killed 2207 was committed and then 冲正ed by 2601, the settlement of the second
try still sees at most 25.00 of the 200.00 used (200.00 − 25.00 = 175.00 ≥ 25.00), so act_pay_dedc is
25.00 whether or not the platform gives the reversed one's deductible back: the figures above hold
for the one settlement that stands in every case.

Oracles after each kill + recovery: the platform's ledger (GET /admin/ledger: one active settlement,
med_type 14, the visit's 2203 carried dise_codg M01600 — every 2203 the platform received, never the
ICD code), the platform's visits table, and the window's SQLite (Σ payments of the confirmed settlement
== its psn_cash_pay, a failed one has no money, no msgid sent twice, the disease on every visit row).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from tests.integration.cli_inproc import medsettle_inproc
from tests.integration.conftest import platform_db

ROOT = Path(__file__).resolve().parents[2]
STORE = "medsettle.sqlite3"
LU = "320509195207080020"
DISEASE = ("M01600", "糖尿病")
FEES = [{"code": "001102000010000", "cnt": "1", "pric": "25.00"}]
# hand-worked above
FIGURES = {"medfee_sumamt": "25.00", "act_pay_dedc": "25.00", "hifp_pay": "0.00", "fund_pay_sumamt": "0.00",
           "acct_pay": "0.00", "psn_cash_pay": "25.00"}
FEN = {k: int(Decimal(v) * 100) for k, v in FIGURES.items()}

# step → (what the killed run leaves on the platform: settlement records of kind "setl", how many of them
# reversed by 2601; the local settlement states of the killed run after recovery; settled again?)
STEPS = {
    "2201.registered": (0, 0, [], True),
    "2203.answered": (0, 0, [], True),
    "2204.answered": (0, 0, [], True),
    "2206.answered": (0, 0, [], True),
    "2207.prepared": (0, 0, ["failed"], True),     # committed here, never sent: 2601 finds nothing → 未结算
    "2207.lost": (1, 1, ["failed"], True),         # committed centrally, answer dropped: 2601 冲正 → 未结算
    "2207.answered": (1, 1, ["failed"], True),     # answer received, killed before saving it: as lost
    "2207.confirmed": (0, 0, ["confirmed"], False),  # saved, killed before invoice/receipt: it stands
}


def _env(kill: str | None) -> dict:
    env = dict(os.environ, MEDSETTLE_NO_USER_DIRS="1", PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("MEDSETTLE_KILL_AT", None)
    env.pop("MEDSETTLE_CONFIG", None)
    if kill:
        env["MEDSETTLE_KILL_AT"] = kill
    return env


def _ok(*args: str) -> None:
    r = medsettle_inproc(*args)
    assert r.returncode == 0, (args, r.stderr)


def _db(data: Path, sql: str, args: tuple = ()) -> list:
    conn = sqlite3.connect(data / STORE)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("step", list(STEPS))
def test_chronic_visit_killed_at_each_step_is_recovered(platform, tmp_path, step):
    data = tmp_path / "w"
    _ok("sync", "--platform", platform.url, "--data", str(data))
    _ok("shift", "open", "--platform", platform.url, "--data", str(data), "--operator", "T001", "--float", "200.00")
    fees = tmp_path / "fees.json"
    fees.write_text(json.dumps(FEES), encoding="utf-8")

    def checkout(receipt: str, kill: str | None = None) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "client", "checkout", "--platform", platform.url, "--data", str(data),
               "--med-type", "14", "--disease", DISEASE[0], "--certno", LU, "--fees", str(fees), "--ack-warnings",
               "--acct", "0", "--pay", "cash:30", "--receipt", str(tmp_path / receipt)]
        return subprocess.run(cmd, cwd=ROOT, env=_env(kill), capture_output=True, text=True, timeout=180)

    n_setl, n_reversed, killed_states, again = STEPS[step]
    if step == "2207.lost":
        requests.post(platform.url + "/admin/fault", json={"mode": "drop-after-commit", "infno": "2207", "next": 1},
                      timeout=5).raise_for_status()
        first = checkout("r1.pdf")
        assert first.returncode == 3, (first.returncode, first.stderr)      # 结果未知: exit 3
        requests.post(platform.url + "/admin/fault", json={"clear": True}, timeout=5).raise_for_status()
        assert _db(data, "SELECT state FROM settlements") == [("unknown",)]
    else:
        first = checkout("r1.pdf", kill=step)
        assert first.returncode == -signal.SIGKILL, (step, first.returncode, first.stderr)
    assert not (tmp_path / "r1.pdf").exists()          # killed before the paper in every case
    # the killed run's visit row: the filed disease kept locally (visits.opsp_dise_code)
    assert _db(data, "SELECT opsp_dise_code, opsp_dise_name, med_type FROM visits") == [(*DISEASE, "14")]

    rec = subprocess.run([sys.executable, "-m", "client", "recover", "--platform", platform.url, "--data", str(data),
                          "--grace", "0"], cwd=ROOT, env=_env(None), capture_output=True, text=True, timeout=180)
    assert rec.returncode == 0, (rec.returncode, rec.stdout, rec.stderr)
    assert [s for (s,) in _db(data, "SELECT state FROM settlements ORDER BY id")] == killed_states
    if again:    # 未结算 (or never got to the 2207): the cashier settles the patient again
        second = checkout("r2.pdf")
        assert second.returncode == 0, (second.returncode, second.stderr)
        assert (tmp_path / "r2.pdf").read_bytes()[:4] == b"%PDF"

    # --- the platform's ledger: one active settlement for this run's visits, med_type 14, disease M01600
    ledger = requests.get(platform.url + "/admin/ledger", timeout=10).json()
    setl = [r for r in ledger if r["kind"] == "setl"]
    active = [r for r in setl if not r["reversed"]]
    assert len(active) == 1, active
    a = active[0]
    assert (a["med_type"], a["infno"]) == ("14", "2207")
    assert (a["dise_codg"], a["dise_name"]) == DISEASE                    # the visit's 2203, not I10/E11
    assert {k: a[k] for k in FIGURES} == FIGURES, a
    assert len(setl) == n_setl + 1 and sum(r["reversed"] for r in setl) == n_reversed
    revs = [r for r in ledger if r["kind"] == "revs"]
    assert [(r["infno"], r["init_setl_id"]) for r in revs] == [("2601", r["setl_id"]) for r in setl if r["reversed"]]
    msgids = [r["medins_setl_id"] for r in setl]
    assert len(msgids) == len(set(msgids))                                 # no 2207 msgid sent twice
    # every 2203 the platform received, for every visit of the run (settled or not): the disease code
    conn = platform_db(platform)
    try:
        visits = [json.loads(d) for (d,) in conn.execute("SELECT doc FROM visits WHERE kind = 'otp' ORDER BY rowid")]
    finally:
        conn.close()
    sent_2203 = [m for v in visits for m in v.get("mdtrt_2203", [])]
    expect_visits = 1 + (again and step != "2207.confirmed")
    assert len(visits) == expect_visits
    assert len(sent_2203) == expect_visits - (step == "2201.registered")   # the 1st visit died before its 2203
    assert {(m["med_type"], m["dise_codg"], m["dise_name"]) for m in sent_2203} == {("14", *DISEASE)}
    assert a["mdtrt_2203"] and all(m["dise_codg"] == DISEASE[0] for m in a["mdtrt_2203"])

    # --- the window's books, to the fen
    rows = _db(data, "SELECT id, msgid, state, setl_id, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay, "
                     "print_count FROM settlements ORDER BY id")
    confirmed = [r for r in rows if r[2] == "confirmed"]
    assert len(confirmed) == 1
    sid, msgid, _, setl_id, med, fund, acct, cash, printed = confirmed[0]
    assert (msgid, setl_id) == (a["medins_setl_id"], a["setl_id"])
    assert (med, fund, acct, cash) == (FEN["medfee_sumamt"], FEN["fund_pay_sumamt"], FEN["acct_pay"],
                                       FEN["psn_cash_pay"])
    assert med == fund + acct + cash                                      # 2500 = 0 + 0 + 2500
    pays = _db(data, "SELECT method, amount, tendered, change FROM payments WHERE settlement_id = ?", (sid,))
    assert sum(p[1] for p in pays) == cash == 2500
    assert pays == [("cash", 2500, 3000, 500)]                            # 30.00 tendered, 5.00 change
    assert printed == (0 if step == "2207.confirmed" else 1)              # killed before the paper: reprint later
    for r in rows:
        if r[2] != "confirmed":
            assert r[2] == "failed" and r[3] is None
            net = _db(data, "SELECT coalesce(sum(amount), 0) FROM payments WHERE settlement_id = ?", (r[0],))
            assert net == [(0,)]
            assert [x for x in setl if x["medins_setl_id"] == r[1] and not x["reversed"]] == []
    local_msgids = [r[1] for r in rows]
    assert len(local_msgids) == len(set(local_msgids))
    assert set(local_msgids) >= set(msgids)                              # every central settlement known here
    # every visit row of the run keeps the filed disease (a settle-again is its own visit, same disease)
    vs = _db(data, "SELECT opsp_dise_code, opsp_dise_name, med_type FROM visits")
    assert len(vs) == expect_visits and set(vs) == {(*DISEASE, "14")}
