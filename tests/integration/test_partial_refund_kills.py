"""部分退费 SIGKILLed at every step, then resumed: the child `medsettle refund` process kills itself at a
named phase (MEDSETTLE_PREFUND_DIE_AT: after a state was committed, or right after a request's answer
arrived and before it was recorded — the lost answer), then `medsettle refund --resume` (even phases) or
the start-up recovery `medsettle recover` (odd phases: the payment recovery must not refund the whole
payment-code trade of the reversed old settlement) finishes it.

Invariants after each resume (training platform ledger and gateway ledger over 127.0.0.1, real SQLite):
exactly one settlement in force at the platform for the visit — the local new one (a 2207 whose answer
was lost is 冲正ed by 2601, never settled twice); the payment-code refund paid exactly once (gateway
refunds); the cash refund booked once; the books balance per settlement."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest
import requests

from tests.faults.driver import PY, ROOT, _env
from tests.integration.cli_inproc import medsettle_inproc as medsettle
from tests.integration.test_cli_checkout import SHEN, fees_file
from tests.integration.test_partial_refund import FEES, assert_books_balance

PHASES = ["after:prepared", "answer:2208", "after:reversed", "answer:2205", "after:fees_cancelled", "answer:2204",
          "after:kept_uploaded", "answer:2206", "after:presettled", "answer:2207", "after:settled", "refunded:code",
          "after:refunded"]


@pytest.fixture
def window(platform, tmp_path):
    """A fresh platform per phase: the patient's year-to-date deductible makes every figure hand-workable."""
    d = tmp_path / "w1"
    assert medsettle("sync", "--platform", platform.url, "--data", str(d)).returncode == 0
    r = medsettle("shift", "open", "--platform", platform.url, "--data", str(d), "--operator", "T001",
                  "--float", "200.00")
    assert r.returncode == 0, r.stderr
    return platform, d


@pytest.mark.timeout(600)
@pytest.mark.parametrize("phase", PHASES)
def test_killed_at_each_step_is_resumed_exactly_once(window, tmp_path, phase):
    platform, d = window
    base = ("--platform", platform.url, "--data", str(d))
    code = f"13456789012345{PHASES.index(phase):02d}00"          # WeChat, scenario 00 (SUCCESS), unused
    r = medsettle("checkout", *base, "--certno", SHEN, "--fees", fees_file(tmp_path, FEES), "--ack-warnings",
                  "--acct", "0", "--pay", "code:" + code + ":30.00", "--pay", "cash:100")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    otn = rec["pay_trades"][0]["out_trade_no"]
    env = dict(_env(), MEDSETTLE_PREFUND_DIE_AT=phase)
    child = subprocess.run([PY, "-m", "client", "refund", rec["setl_id"], "--return", "1", *base, "--supervisor", "0009",
                            "--supervisor-password-stdin"], cwd=ROOT, env=env, input="Train-0009\n",
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, (child.returncode, child.stderr)        # SIGKILLed at the phase
    if PHASES.index(phase) % 2:      # the start-up recovery (window / `medsettle recover`) finishes it too
        res = medsettle("recover", "--grace", "0", *base)
        assert res.returncode == 0, res.stderr
        [done] = json.loads(res.stdout)["partial_refunds"]
        assert "部分退费" in res.stderr and "已完成" in res.stderr, res.stderr
    else:
        res = medsettle("refund", "--resume", "--grace", "0", *base)
        assert res.returncode == 0, res.stderr
        [done] = json.loads(res.stdout)
    assert done["ok"] and done["state"] == "invoiced", done
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    op_id = done["id"]
    new_sid, refund, plan = conn.execute("SELECT new_settlement_id, refund_amount, plan_json FROM partial_refunds "
                                         "WHERE id = ?", (op_id,)).fetchone()
    new_setl = conn.execute("SELECT setl_id FROM settlements WHERE id = ?", (new_sid,)).fetchone()[0]
    # hand-worked (tests/integration/test_partial_refund.py): 67.75 − 25.00 = 42.75 → WeChat 18.93, cash 23.82
    assert refund == 4275 and {p["method"]: p["refund"] for p in json.loads(plan)} == {"wechat": "18.93",
                                                                                       "cash": "23.82"}
    led = requests.get(platform.url + "/admin/ledger", timeout=10).json()
    in_force = [x["setl_id"] for x in led if x["mdtrt_id"] == rec["mdtrt_id"] and x["kind"] == "setl"
                and not x["reversed"]]
    assert in_force == [new_setl], (phase, in_force)
    if phase == "answer:2207":       # the 2207 whose answer was lost was 冲正ed (2601), then settled anew once
        gone = [x for x in led if x["mdtrt_id"] == rec["mdtrt_id"] and x["kind"] == "setl" and x["reversed"]]
        assert len(gone) == 2 and rec["setl_id"] in {x["setl_id"] for x in gone}
        states = [st for (st,) in conn.execute("SELECT state FROM settlements WHERE visit_id = (SELECT visit_id FROM "
                                               "settlements WHERE id = ?) ORDER BY id", (new_sid,))]
        assert states == ["reversed", "failed", "confirmed"], states
    refunds = [x for x in requests.get(platform.url + "/admin/payledger", timeout=10).json()["refunds"]
               if x["out_trade_no"] == otn]
    assert [x["refund_fee"] for x in refunds] == ["18.93"], (phase, refunds)
    cash = conn.execute("SELECT amount FROM payments WHERE ref = ?", (f"prefund:{op_id}:cash",)).fetchall()
    assert cash == [(-2382,)]
    acts = [a for (a,) in conn.execute("SELECT action FROM audit_events WHERE action = 'partial_refund'")]
    assert len(acts) == 1                                # one audit event for the operation
    conn.close()
    assert_books_balance(d)
