"""`medsettle recover` as a subprocess: summary JSON, exit 0 when all is resolved, 3 when not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from client.api import Operator
from client.services import dayend
from client.services.checkout import Counter
from client.services.context import open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.payments import Tender
from client.services.sync import SyncService

ROOT = Path(__file__).resolve().parents[2]
OP = Operator("T001", "培训收费员", "A03", "内科")


def _recover(url: str, data: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MEDSETTLE_NO_USER_DIRS="1")
    return subprocess.run([sys.executable, "-m", "client", "recover", "--platform", url, "--data", str(data), *extra],
                          cwd=ROOT, env=env, capture_output=True, timeout=120)


def test_recovery_cli_exit_codes_and_summary(platform, tmp_path):
    data = tmp_path / "window"
    with open_context(training_settings_for(platform.url, data), operator=OP) as ctx:
        SyncService(ctx).run(bundles=["330421"])
        dayend.open_shift(ctx.store, OP.opter, Decimal("0.00"))     # no settlement without an open shift
        c = Counter(ctx)
        c.identify_certno("330421198503150016")
        c.start_outpatient("11")
        c.add_line("001102000010000", "1")
        c.presettle("0")
        c.acknowledge_prechecks("all")    # 事前提醒 confirmed by the operator (checkout requires it)
        requests.post(platform.url + "/admin/fault", json={"mode": "drop-after-commit", "infno": "2207", "next": 1},
                      timeout=5).raise_for_status()
        with pytest.raises(ServiceError):
            c.settle([Tender("cash", c.trial.psn_cash_pay)])
    # platform unreachable for every request: nothing can be decided → exit 3
    requests.post(platform.url + "/admin/fault", json={"mode": "drop-before"}, timeout=5).raise_for_status()
    p = _recover(platform.url, data, "--grace", "0", "--rounds", "1")
    assert p.returncode == 3, p.stderr.decode()
    doc = json.loads(p.stdout)
    assert doc["remaining_unknown"] == 1 and doc["clean"] is False
    assert "仍待确认" in p.stderr.decode()
    assert doc["reversals"]["sent"] == 1 and doc["reversals"]["no_answer"] == 1
    # the 2601 refused for a reason that is not "nothing to reverse": a supervisor's case, exit 3
    requests.post(platform.url + "/admin/fault", json={"clear": True}, timeout=5).raise_for_status()
    why = "冲正失败：请联系医保经办机构核实（培训演练）"
    requests.post(platform.url + "/admin/fault", json={"mode": "refuse", "infno": "2601", "next": 1, "message": why},
                  timeout=5).raise_for_status()
    p = _recover(platform.url, data, "--grace", "0", "--rounds", "1")
    assert p.returncode == 3, p.stderr.decode()
    doc = json.loads(p.stdout)
    assert [r["err_msg"] for r in doc["reviews"]] == [why] and doc["remaining_unknown"] == 1
    assert "需主管复核" in p.stderr.decode() and why in p.stderr.decode()
    # then the 2601 goes through: reversed on the platform, 未结算 here (the cashier settles again)
    p = _recover(platform.url, data, "--grace", "0")
    assert p.returncode == 0, p.stderr.decode()
    doc = json.loads(p.stdout)
    assert doc["resolved"] == {"failed": 1} and doc["clean"] is True and doc["unpaid"] == []
    assert doc["reversals"] == {"sent": 1, "accepted": 1, "nothing": 0, "refused": 0, "no_answer": 0}
    ledger = requests.get(platform.url + "/admin/ledger", timeout=5).json()
    assert [(r["kind"], r["reversed"]) for r in ledger] == [("setl", True), ("revs", False)]


def test_recover_issues_missing_invoices_and_uploads_them(platform, tmp_path):
    """The e-invoice platform was unreachable when the window settled: the settlement is confirmed
    without an invoice (numbers could not be allocated). `recover` allocates numbers, issues the
    missing invoice and uploads it; the e-invoice platform has it exactly once."""
    data = tmp_path / "window"
    for scope in ("einvoice.allocate", "einvoice.issue"):
        requests.post(platform.url + "/admin/fault", json={"mode": "drop-before", "infno": scope},
                      timeout=5).raise_for_status()
    with open_context(training_settings_for(platform.url, data), operator=OP) as ctx:
        SyncService(ctx).run(bundles=["330421"])
        dayend.open_shift(ctx.store, OP.opter, Decimal("0.00"))     # no settlement without an open shift
        c = Counter(ctx)
        c.identify_certno("330421198503150016")
        c.start_outpatient("11")
        c.add_line("001102000010000", "1")
        c.presettle("0")
        c.acknowledge_prechecks("all")
        rec = c.settle([Tender("cash", c.trial.psn_cash_pay)])
        assert rec["state"] == "confirmed" and not (rec.get("invoice") or {}).get("EInvoiceNumber")
    p = _recover(platform.url, data, "--grace", "0", "--rounds", "1")
    assert p.returncode == 3, p.stderr.decode()          # the invoice is still owed
    requests.post(platform.url + "/admin/fault", json={"clear": True}, timeout=5).raise_for_status()
    p = _recover(platform.url, data, "--grace", "0")
    assert p.returncode == 0, p.stderr.decode()
    doc = json.loads(p.stdout)
    assert doc["drain"]["einvoice"]["issued"] == 1 and doc["drain"]["einvoice"]["acked"] == 1, doc
    with open_context(training_settings_for(platform.url, data), operator=OP) as ctx:
        with ctx.store.read_connection() as conn:
            rows = conn.exec_driver_sql("SELECT einvoice_code, einvoice_number, state FROM invoices").fetchall()
    assert len(rows) == 1 and rows[0][2] not in ("pending", "failed"), rows
    import sqlite3

    plat = sqlite3.connect(platform.data_dir / "platform.sqlite3")
    try:
        n = plat.execute("SELECT COUNT(*) FROM einv_issued WHERE number = ?", (rows[0][1],)).fetchone()[0]
    finally:
        plat.close()
    assert n == 1
