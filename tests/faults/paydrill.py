"""Payment fault drill: `medsettle checkout … --pay code:CODE` subprocesses under every payment-gateway
fault and training scenario, SIGKILLed at random points, each kill followed by `medsettle recover`.

Used by tests/faults/test_payment_drill.py (CI, ≥ 30 checkouts) and bench/faults.py ``--payments``
(≥ 200). Per checkout: one fault rule on the training gateway (``pay.micropay`` drop-after-commit =
drop after the charge, latency, http-500 / http-502, drop-before on the query, drop-after-commit on the
reverse, …) or none, a fresh payment code whose last two digits pick the scenario (SUCCESS,
USERPAYING → SUCCESS, USERPAYING → PAYERROR, SYSTEMERROR charged / not charged, NOTENOUGH,
AUTHCODEEXPIRE), a third of them split with cash; each checkout prints its receipt (``--receipt``) so
that a kill can land while the paper is made; a kill after a random delay (the phase — the trade's
state in the window database at that moment, or ``printing`` once the settlement is confirmed and its
share taken — is counted); then `recover`.

Invariants (``verify``), from the gateway's own ledger (GET /admin/payledger) and the window database:
0 double charges (a settlement with more than one kept charge), 0 charges without a settlement (a
kept charge whose trade is unknown locally or whose settlement is not confirmed), 0 settlements
without their share (confirmed, share not booked and no payments_owed row), 0 trades left open,
local and gateway states agree, and the day's statement reconciles (`medsettle payments statement`).
Paper: no receipt file is ever truncated (written atomically); every confirmed settlement without its
receipt (killed while printing, or confirmed later by recovery) is reprinted under supervision
(`checkout --reprint`) and the copy is a whole PDF.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import requests

from tests.faults.driver import PY, ROOT, STORE, Figures, _env, fault, prepare_windows
from tests.faults.driver import recover as recover_window

PAY_FAULTS = [None, ("drop-after-commit", "pay.micropay"), ("latency", "pay.micropay"), ("http-500", "pay.micropay"),
              ("http-502", "pay.micropay"), ("drop-before", "pay.orderquery"), ("drop-after-commit", "pay.reverse"),
              ("garbage", "pay.micropay"), ("latency", "pay.orderquery")]
SCENARIOS = ["00", "00", "91", "94", "95", "96", "92", "93"]
PEOPLE = ["330421198503150016", "320509195207080020", "310118197011162931", "310118195108032974"]
FEES = [{"code": "001102000010000", "cnt": "1"}, {"code": "XJ01CRA006A001010104041", "cnt": "6"}]
OPEN = ("prepared", "sent", "paying", "unknown")


@dataclass
class PayFigures:
    checkouts: int = 0
    kills: int = 0
    kill_phases: Tally = field(default_factory=Tally)
    faults: Tally = field(default_factory=Tally)
    scenarios: Tally = field(default_factory=Tally)
    outcomes: Tally = field(default_factory=Tally)       # final local trade states
    settled: int = 0
    gateway_charges_kept: int = 0
    double_charges: int = 0
    charges_without_settlement: int = 0
    settlements_without_share: int = 0
    owed: int = 0
    refunds: int = 0
    open_trades: int = 0
    state_mismatches: int = 0
    statement_reconciled: bool = False
    receipts_printed: int = 0
    receipts_truncated: int = 0
    receipts_reprinted: int = 0
    receipts: dict = field(default_factory=dict)          # settlement id -> the receipt its checkout printed
    paper_dir: Path | None = None
    problems: list = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("receipts", "paper_dir")}
        for k in ("kill_phases", "faults", "scenarios", "outcomes"):
            d[k] = dict(d[k])
        return d


def _phase(db: Path, before: int) -> str:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            s = conn.execute("SELECT id, state FROM settlements WHERE id > ? ORDER BY id DESC LIMIT 1", (before,)).fetchone()
            if s is None:
                return "before-settlement"
            t = conn.execute("SELECT state FROM pay_trades WHERE settlement_id = ? ORDER BY id DESC LIMIT 1",
                             (s[0],)).fetchone()
            if s[1] == "confirmed" and (t is None or t[0] not in OPEN):
                return "printing"              # settled, share taken or owed: only paper (and invoice) left
            return f"settlement-{s[1]}" if t is None else f"trade-{t[0]}"
        finally:
            conn.close()
    except sqlite3.Error:
        return "unreadable"


def _confirmed_after(db: Path, before: int) -> list[int]:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM settlements WHERE id > ? AND state = 'confirmed'", (before,))]
    finally:
        conn.close()


def _whole_pdf(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]


def _max_settlement(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute("SELECT coalesce(max(id), 0) FROM settlements").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def run(url: str, window: Path, work: Path, *, n: int, seed: int = 5, kill_rate: float = 0.5, log=None) -> PayFigures:
    rng = random.Random(seed)
    fig = PayFigures()
    work.mkdir(parents=True, exist_ok=True)
    fees = work / "fees.json"
    fees.write_text(json.dumps(FEES), encoding="utf-8")
    db = window / STORE
    scratch = Figures()
    fig.paper_dir = work
    for i in range(n):
        spec = PAY_FAULTS[i % len(PAY_FAULTS)]
        scen = SCENARIOS[rng.randrange(len(SCENARIOS))]
        fault(url, clear=True)
        if spec is not None:
            fault(url, mode=spec[0], infno=spec[1], next=1, delay_ms=1500 if spec[0] == "latency" else 0)
        fig.faults[f"{spec[0]}@{spec[1]}" if spec else "none"] += 1
        fig.scenarios[scen] += 1
        prefix = "13" if i % 2 == 0 else "28"                    # WeChat / Alipay
        code = f"{prefix}{seed % 100:02d}{i:012d}{scen}"
        pay = ["--pay", f"code:{code}"] if i % 3 else ["--pay", f"code:{code}:5.00", "--pay", "cash:500"]
        before = _max_settlement(db)
        receipt = work / f"receipt-{i:03d}.pdf"
        cmd = [PY, "-m", "client", "checkout", "--platform", url, "--data", str(window), "--certno",
               PEOPLE[i % len(PEOPLE)], "--fees", str(fees), "--ack-warnings", "--acct", "0", *pay,
               "--receipt", str(receipt)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        killed = False
        if rng.random() < kill_rate:
            deadline = time.monotonic() + rng.uniform(1.0, 5.0)
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
            if proc.poll() is None:
                fig.kill_phases[_phase(db, before)] += 1
                proc.send_signal(signal.SIGKILL)
                killed = True
                fig.kills += 1
        try:
            _out, err = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
            fig.problems.append(f"checkout {i} timed out")
        fig.checkouts += 1
        fault(url, clear=True)
        if killed or proc.returncode not in (0, 2):
            recover_window(url, window, scratch, 2.0)
        for sid in _confirmed_after(db, before):
            fig.receipts.setdefault(sid, receipt)
        if log:
            log(f"checkout {i}: {spec} scen {scen} exit {proc.returncode}{' killed' if killed else ''}")
    recover_window(url, window, scratch, 2.0)
    for sid in _confirmed_after(db, 0):                 # confirmed by the last recovery: never printed
        fig.receipts.setdefault(sid, work / f"receipt-late-{sid}.pdf")
    fig.problems += scratch.problems
    return fig


def verify(url: str, window: Path, fig: PayFigures) -> None:
    led = requests.get(url + "/admin/payledger", timeout=10).json()
    conn = sqlite3.connect(window / STORE)
    try:
        trades = {r[0]: {"sid": r[1], "state": r[2], "amount": r[3]} for r in conn.execute(
            "SELECT out_trade_no, settlement_id, state, amount FROM pay_trades")}
        setl = {r[0]: {"state": r[1], "psn_cash_pay": r[2]} for r in conn.execute(
            "SELECT id, state, psn_cash_pay FROM settlements")}
        booked = dict(conn.execute("SELECT settlement_id, sum(amount) FROM payments WHERE method != 'account' "
                                   "GROUP BY settlement_id").fetchall())
        owed = {r[0] for r in conn.execute("SELECT settlement_id FROM payments_owed WHERE resolved_at IS NULL")}
    finally:
        conn.close()
    kept_per_setl: Tally = Tally()
    for g in led["trades"]:
        kept = g["trade_state"] in ("SUCCESS", "REFUND") and Decimal(g["refunded_fee"]) < Decimal(g["total_fee"])
        if not kept:
            continue
        fig.gateway_charges_kept += 1
        t = trades.get(g["out_trade_no"])
        if t is None or setl.get(t["sid"], {}).get("state") != "confirmed":
            fig.charges_without_settlement += 1
            fig.problems.append(f"charge without settlement: {g['out_trade_no']}")
            continue
        kept_per_setl[t["sid"]] += 1
        if t["state"] != "paid":
            fig.state_mismatches += 1
            fig.problems.append(f"gateway kept {g['out_trade_no']} but local state {t['state']}")
    fig.double_charges = sum(1 for c in kept_per_setl.values() if c > 1)
    gw_state = {g["out_trade_no"]: g for g in led["trades"]}
    for otn, t in trades.items():
        fig.outcomes[t["state"]] += 1
        if t["state"] in OPEN:
            fig.open_trades += 1
        if t["state"] == "paid" and gw_state.get(otn, {}).get("trade_state") not in ("SUCCESS", "REFUND"):
            fig.state_mismatches += 1
            fig.problems.append(f"local paid {otn}, gateway {gw_state.get(otn, {}).get('trade_state')}")
    for sid, s in setl.items():
        if s["state"] != "confirmed":
            continue
        fig.settled += 1
        due = Decimal(s["psn_cash_pay"] or 0) / 100 if isinstance(s["psn_cash_pay"], int) else Decimal(str(s["psn_cash_pay"] or 0))
        got = Decimal(booked.get(sid) or 0) / 100
        if due > 0 and got < due and sid not in owed:
            fig.settlements_without_share += 1
            fig.problems.append(f"settlement {sid}: share {due}, booked {got}, not owed")
    fig.owed = len(owed)
    fig.refunds = len(led["refunds"])
    st = subprocess.run([PY, "-m", "client", "payments", "statement", "--platform", url, "--data", str(window)],
                        cwd=ROOT, env=_env(), capture_output=True, timeout=120)
    fig.statement_reconciled = st.returncode == 0
    if st.returncode != 0:
        fig.problems.append("statement: " + st.stderr.decode("utf-8", "replace")[-400:])
    _verify_paper(url, window, fig, setl)


def _verify_paper(url: str, window: Path, fig: PayFigures, setl: dict) -> None:
    """Every receipt on disk is whole; a confirmed settlement whose receipt is missing is reprinted."""
    for pdf in sorted(fig.paper_dir.glob("receipt-*.pdf")) if fig.paper_dir else []:
        fig.receipts_printed += 1
        if not _whole_pdf(pdf):
            fig.receipts_truncated += 1
            fig.problems.append(f"truncated receipt {pdf.name}")
    conn = sqlite3.connect(window / STORE)
    try:
        setl_ids = dict(conn.execute("SELECT id, setl_id FROM settlements WHERE state = 'confirmed'").fetchall())
    finally:
        conn.close()
    for sid, pdf in sorted(fig.receipts.items()):
        if setl.get(sid, {}).get("state") != "confirmed" or pdf.exists():
            continue
        copy = pdf.with_name(pdf.stem.replace("receipt-", "copy-") + ".pdf")
        r = subprocess.run([PY, "-m", "client", "checkout", "--platform", url, "--data", str(window),
                            "--reprint", setl_ids[sid], "--receipt", str(copy), "--supervisor", "0009",
                            "--supervisor-password-stdin"], cwd=ROOT, env=_env(), capture_output=True, timeout=120,
                           input=b"Train-0009\n")
        if r.returncode == 0 and copy.exists() and _whole_pdf(copy):
            fig.receipts_reprinted += 1
        else:
            fig.problems.append(f"reprint of settlement {sid} failed: {r.stderr.decode('utf-8', 'replace')[-300:]}")


def run_drill(base: Path, *, n: int = 30, seed: int = 5, kill_rate: float = 0.5, log=None) -> PayFigures:
    from training_platform.server import EmbeddedPlatform

    started = time.monotonic()
    base.mkdir(parents=True, exist_ok=True)
    platform = EmbeddedPlatform(base / "platform").start()
    try:
        [window] = prepare_windows(platform.url, base / "lane", 1)
        fig = run(platform.url, window, base / "work", n=n, seed=seed, kill_rate=kill_rate, log=log)
        verify(platform.url, window, fig)
    finally:
        platform.stop()
    fig.seconds = round(time.monotonic() - started, 1)
    return fig
