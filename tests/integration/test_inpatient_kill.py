"""SIGKILL at each step of an inpatient stay, then recovery (`medsettle inpatient recover` and `medsettle
recover`), then the cashier repeats what did not happen — as in tests/faults/driver.py, but the kill lands
at a NAMED step: the child `python -m client inpatient …` runs with MEDSETTLE_KILL_AT=<step> and kills
itself there (client.services.inpatient.checkpoint; training windows only).

The stay is the one of test_inpatient_stay.py (same fee lines and hand-worked figures: mid-stay
psn_cash_pay 2059.14, final 55.52; deposits cash 2000.00 + WeChat 3000.00; surplus 2885.34 back to WeChat).
Afterwards: the platform holds exactly one active 2304 per settlement (mid "1", final "0"; the one lost
in flight was 冲正ed by 2601), the gateway charged the deposit code once, refunded 2885.34 once, and the
local books add up to the fen with a balance of 0.00.
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

import requests

from tests.integration.test_inpatient_stay import FINAL, MID, ZHANG
from training_platform.store import DB_NAME

ROOT = Path(__file__).resolve().parents[2]
STORE = "medsettle.sqlite3"


def _env(kill: str | None) -> dict:
    env = dict(os.environ)
    env["MEDSETTLE_NO_USER_DIRS"] = "1"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("MEDSETTLE_KILL_AT", None)
    if kill:
        env["MEDSETTLE_KILL_AT"] = kill
    return env


class Window:
    def __init__(self, url: str, data: Path):
        self.url, self.data = url, data
        self.kills: list[str] = []

    def run(self, *args: str, kill: str | None = None) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "client", *args, "--platform", self.url, "--data", str(self.data)]
        p = subprocess.run(cmd, cwd=ROOT, env=_env(kill), capture_output=True, text=True, timeout=180)
        if kill:
            assert p.returncode == -signal.SIGKILL, (kill, p.returncode, p.stderr)
            self.kills.append(kill)
        return p

    def ok(self, *args: str) -> dict:
        p = self.run(*args)
        assert p.returncode == 0, (args, p.stderr)
        return json.loads(p.stdout) if p.stdout.strip().startswith(("{", "[")) else {}

    def recover(self) -> None:
        self.ok("inpatient", "recover", "--grace", "0")
        p = self.run("recover", "--grace", "0")
        assert p.returncode in (0, 1), p.stderr

    def db(self, sql: str, args: tuple = ()) -> list:
        conn = sqlite3.connect(self.data / STORE)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def stay_id(self) -> int:
        return self.db("SELECT max(id) FROM stays")[0][0]


def test_sigkill_at_each_step_is_recovered_without_double_settlement_or_charge(platform, tmp_path):
    if platform.paygate is not None:
        platform.paygate.userpaying_s = 1.0
    w = Window(platform.url, tmp_path / "win")
    w.ok("sync")
    w.ok("shift", "open", "--operator", "T001", "--float", "200.00")

    # 入院登记: killed before the 2401 left (recovery: 2601 finds nothing → cancelled), then killed with
    # the answer in flight (2601 accepted: the platform's admission cancelled) → admitted at the 3rd try
    for step in ("2401.before_send", "2401.answered"):
        w.run("inpatient", "admit", "--certno", ZHANG, "--his", kill=step)
        assert w.db("SELECT state FROM stays WHERE id = ?", (w.stay_id(),)) == [("admitting",)]
        w.recover()
        assert w.db("SELECT state FROM stays WHERE id = ?", (w.stay_id(),)) == [("cancelled",)]
    sid = str(w.ok("inpatient", "admit", "--certno", ZHANG, "--his")["stay_id"])
    # cash deposit: killed right after its commit — it is taken (durable), nothing to redo
    w.run("inpatient", "deposit", sid, "--amount", "2000.00", kill="deposit.cash.committed")
    w.recover()
    # day 1: killed before the 2301; day 2: killed with the 2301 answer in flight (2302 per line clears it)
    w.run("inpatient", "upload", sid, "--day", "1", kill="2301.before_send")
    w.recover()
    w.ok("inpatient", "upload", sid, "--day", "1")
    w.run("inpatient", "upload", sid, "--day", "2", kill="2301.answered")
    w.recover()
    assert w.db("SELECT count(*) FROM fee_lines f JOIN stays s ON s.visit_id = f.visit_id WHERE s.id = ?", (sid,)) == [(6,)]
    w.ok("inpatient", "upload", sid, "--day", "2")
    # code deposit: killed with the trade prepared (never sent → not taken), then killed with the
    # gateway's answer in flight (the query finds it paid → taken once)
    w.run("inpatient", "deposit", sid, "--amount", "3000.00", "--code", "134567890123456700", kill="deposit.code.prepared")
    w.recover()
    w.run("inpatient", "deposit", sid, "--amount", "3000.00", "--code", "134567890123456800", kill="pay.answered")
    w.recover()
    rec = w.ok("inpatient", "show", sid)
    assert rec["books"]["taken"] == "5000.00" and rec["books"]["open_items"] == 0
    assert [(d["method"], d["state"]) for d in rec["deposits"]] == [("cash", "done"), ("wechat", "failed"),
                                                                    ("wechat", "done")]
    # 中途结算: killed before the 2304, then with its answer in flight (2601 冲正), then settled
    w.run("inpatient", "midsettle", sid, kill="2304.before_send")
    w.recover()
    w.run("inpatient", "midsettle", sid, kill="2304.answered")
    w.recover()
    mid = w.ok("inpatient", "midsettle", sid)
    assert {k: mid["settlement"]["setlinfo"][k] for k in MID} == MID
    for day in ("3", "4", "5"):
        w.ok("inpatient", "upload", sid, "--day", day)
    # discharge: killed with the 2402 answer in flight (2405 undoes it, 2402 again), then killed after the
    # final settlement's commit (the surplus refund is recovery's), then killed with the refund pending
    w.run("inpatient", "discharge", sid, kill="2402.answered")
    w.recover()
    w.run("inpatient", "discharge", sid, kill="2304.confirmed")
    p = w.run("inpatient", "recover", "--grace", "0", kill="refund.code.pending")
    w.recover()
    rec = w.ok("inpatient", "show", sid)
    assert rec["state"] == "settled"
    final = [s for s in rec["settlements"] if s["state"] == "confirmed" and s["mid_setl_flag"] == "0"]
    assert len(final) == 1 and final[0]["psn_cash_pay"] == FINAL["psn_cash_pay"]
    assert rec["books"] == {"taken": "5000.00", "refunded": "2885.34", "applied": "2114.66", "restored": "0.00",
                            "applied_net": "2114.66", "balance": "0.00", "open_items": 0}
    assert Decimal("5000.00") - Decimal("2885.34") - Decimal("2114.66") == Decimal("0.00")
    # the platform: one active settlement per local confirmed one; the lost one reversed by 2601
    conn = sqlite3.connect(Path(platform.data_dir) / DB_NAME)
    try:
        cs = conn.execute("SELECT s.kind, s.reversed, s.infno, json_extract(s.setlinfo, '$.psn_cash_pay') FROM settlements s "
                          "WHERE s.mdtrt_id = ? ORDER BY rowid", (rec["mdtrt_id"],)).fetchall()
        visits = conn.execute("SELECT status FROM visits WHERE kind = 'ipt' ORDER BY rowid").fetchall()
    finally:
        conn.close()
    active = [c for c in cs if c[0] == "setl" and not c[1]]
    assert [(c[2], c[3]) for c in active] == [("2304", "2059.14"), ("2304", "55.52")]
    assert [(c[0], c[1]) for c in cs] == [("setl", 1), ("revs", 0), ("setl", 0), ("setl", 0)]
    assert visits == [("cancelled",), ("settled",)]      # the 2nd admission attempt was 冲正ed (2601)
    local_ok = w.db("SELECT setl_id FROM settlements WHERE state = 'confirmed' ORDER BY id")
    assert len(local_ok) == 2
    # the gateway: the deposit code charged once, the surplus refunded once
    led = requests.get(platform.url + "/admin/payledger", timeout=10).json()
    assert [(t["total_fee"], t["trade_state"], t["refunded_fee"]) for t in led["trades"]] == [
        ("3000.00", "SUCCESS", "2885.34")]             # the code of the killed-before-sending try never reached it
    assert [r["refund_fee"] for r in led["refunds"]] == ["2885.34"]
    assert w.kills == ["2401.before_send", "2401.answered", "deposit.cash.committed", "2301.before_send",
                       "2301.answered", "deposit.code.prepared", "pay.answered", "2304.before_send", "2304.answered",
                       "2402.answered", "2304.confirmed", "refund.code.pending"]
    assert p.returncode == -signal.SIGKILL
