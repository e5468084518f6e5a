"""Hospital simulation driver (tests/integration/test_hospital_simulation.py, bench/hospital.py).

N windows, each a series of real ``medsettle checkout`` processes (python -m client) against one
training platform and one PostgreSQL hospital store; the hospital server is stopped once while
the windows keep settling and started again; then every window catches up (``hospital push``),
finance reconciles the institution, and a seeded difference at one window must be named.

Expected values come from the windows' own SQLite books (plain sqlite3, amounts in fen) and the
platform's ledger, never from the replication code under test.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from hospital_store import admin

ROOT = Path(__file__).resolve().parents[1]
ROLE_PW = "sim-window-pass-1"
FIN_PW = "sim-finance-pass1"
FEES = [{"code": "XJ01CRA006A001010104041", "cnt": "24", "name": "头孢克洛胶囊"}, {"code": "001102000010000", "cnt": "1"}]
PEOPLE = ("330421198503150016",)


def medsettle(*args: str, env: dict | None = None, stdin: str = "", timeout: float = 180) -> subprocess.CompletedProcess:
    e = dict(os.environ, MEDSETTLE_NO_USER_DIRS="1", PYTHONIOENCODING="utf-8", **(env or {}))
    e.pop("MEDSETTLE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "client", *args], capture_output=True, text=True, timeout=timeout,
                          env=e, cwd=ROOT, input=stdin)


def yuan(fen) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


@dataclass
class Window:
    wid: str
    data: Path
    opts: tuple[str, ...]


@dataclass
class SimResult:
    windows: int
    settlements: int
    wall_s: float
    outage_s: float
    failures: list[str] = field(default_factory=list)
    lag_p50_s: float | None = None
    lag_p95_s: float | None = None
    confirm_lag_p50_s: float | None = None
    confirm_lag_p95_s: float | None = None
    reconcile_s: float | None = None
    reconcile: dict | None = None
    mismatch_stderr: str = ""
    mismatch_rc: int | None = None
    seeded_window: str = ""
    exactly_once: bool = False
    books_equal: bool = False

    @property
    def rate(self) -> float:
        return self.settlements / self.wall_s if self.wall_s else 0.0


def setup_windows(platform_url: str, srv, dbname: str, engine, base: Path, n: int) -> list[Window]:
    out = []
    for i in range(1, n + 1):
        wid = f"w{i:02d}"
        admin.add_window(engine, wid, ROLE_PW, label=f"门诊 {i} 号窗")
        d = base / wid
        url = f"postgresql+psycopg://{admin.window_role_name(wid)}@{srv.host}:{srv.port}/{dbname}"
        opts = ("--platform", platform_url, "--data", str(d), "--window", wid, "--hospital", url)
        for args, stdin in ((("config", "set-secret", "hospital-db", "--stdin"), ROLE_PW + "\n"),
                            (("sync", "--no-hilist"), ""),
                            (("shift", "open", "--operator", "T001", "--float", "100.00"), "")):
            r = medsettle(*args, *opts, stdin=stdin)
            if r.returncode != 0:
                raise RuntimeError(f"{wid} {args[0]}: {r.stderr}")
        out.append(Window(wid, d, opts))
    return out


def _settle_series(w: Window, fees: Path, m: int, failures: list[str], done: list[int], lock) -> None:
    for k in range(m):
        person = PEOPLE[k % len(PEOPLE)]
        r = medsettle("checkout", *w.opts, "--certno", person, "--fees", str(fees), "--med-type", "11",
                      "--ack-warnings", "--pay", "cash:500")
        with lock:
            if r.returncode != 0:
                failures.append(f"{w.wid}#{k}: rc={r.returncode} {r.stderr.strip()[-300:]}")
            done[0] += 1


def local_books(w: Window) -> dict[int, tuple]:
    conn = sqlite3.connect(w.data / "medsettle.sqlite3")
    try:
        rows = conn.execute("SELECT id, msgid, state, setl_id, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay "
                            "FROM settlements").fetchall()
        last = conn.execute("SELECT coalesce(max(seq), 0) FROM replication_journal").fetchone()[0]
    finally:
        conn.close()
    return {"rows": {r[0]: (r[1], r[2], r[3], *(yuan(x) for x in r[4:8])) for r in rows}, "last_seq": last}


def run(platform_url: str, srv, dbname: str, engine, base: Path, *, windows: int, patients: int,
        parallel: int = 4, outage_at: float = 0.4, outage_s: float = 4.0, log=print) -> SimResult:
    fees = base / "fees.json"
    fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
    ws = setup_windows(platform_url, srv, dbname, engine, base, windows)
    total = windows * patients
    failures: list[str] = []
    done = [0]
    lock = threading.Lock()
    outage = {"stop": None, "start": None}

    def chaos():
        while done[0] < total * outage_at and done[0] < total:
            time.sleep(0.05)
        if done[0] >= total:
            return
        outage["stop"] = time.time()
        srv.stop("fast")
        log(f"  hospital server stopped after {done[0]} checkouts")
        time.sleep(outage_s)
        srv.start()
        outage["start"] = time.time()
        log(f"  hospital server started again after {done[0]} checkouts")

    t0 = time.perf_counter()
    ct = threading.Thread(target=chaos, daemon=True)
    ct.start()
    with ThreadPoolExecutor(max_workers=parallel) as ex:
        list(ex.map(lambda w: _settle_series(w, fees, patients, failures, done, lock), ws))
    wall = time.perf_counter() - t0
    ct.join(timeout=outage_s + 60)
    if not srv.running():
        srv.start()
    res = SimResult(windows=windows, settlements=total, wall_s=wall,
                    outage_s=(outage["start"] or 0) - (outage["stop"] or 0), failures=failures)
    # every window catches up
    for w in ws:
        r = medsettle("hospital", "push", *w.opts)
        if r.returncode != 0:
            failures.append(f"{w.wid} push: {r.stderr.strip()[-300:]}")
    # exactly once, books equal
    ok_once, ok_books = True, True
    with engine.connect() as c:
        for w in ws:
            lb = local_books(w)
            n_j, max_j, distinct = c.execute(text("SELECT count(*), coalesce(max(seq), 0), count(DISTINCT seq) "
                                                  "FROM medsettle.journal WHERE window_id = :w"), {"w": w.wid}).one()
            ok_once &= (n_j == distinct == lb["last_seq"] == max_j)
            hb = {r[0]: tuple(r[1:]) for r in c.execute(text(
                "SELECT local_id, msgid, state, setl_id, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay "
                "FROM medsettle.settlements_current WHERE window_id = :w"), {"w": w.wid})}
            ok_books &= hb == lb["rows"]
        # lag of the entries the outage did not hold back (committed and received while the server was up)
        up = ("NOT (captured_at <= to_timestamp(:b) AND received_at >= to_timestamp(:a))")
        bounds = {"a": (outage["stop"] or 0), "b": (outage["start"] or 0) + 1}
        lags = [float(x) for x in c.execute(text(
            f"SELECT extract(epoch FROM received_at - captured_at) FROM medsettle.journal WHERE {up}"), bounds).scalars()]
        # the moment that matters to finance: a settlement becoming confirmed at its window
        conf = [float(x) for x in c.execute(text(
            "SELECT extract(epoch FROM j.received_at - j.captured_at) FROM medsettle.journal j "
            "JOIN medsettle.settlement_versions v ON v.window_id = j.window_id AND v.seq = j.seq "
            f"WHERE v.state = 'confirmed' AND j.op = 'update' AND {up.replace('captured_at', 'j.captured_at').replace('received_at', 'j.received_at')}"
            " AND NOT EXISTS (SELECT 1 FROM medsettle.settlement_versions p WHERE p.window_id = v.window_id "
            "AND p.local_id = v.local_id AND p.state = 'confirmed' AND p.seq < v.seq)"), bounds).scalars()]
    res.exactly_once, res.books_equal = ok_once, ok_books
    res.lag_p50_s, res.lag_p95_s = _pct(lags)
    res.confirm_lag_p50_s, res.confirm_lag_p95_s = _pct(conf)
    # finance reconciles the institution
    admin.add_finance(engine, "fin_sim", FIN_PW)
    fin = ("--platform", platform_url, "--data", str(base / "finance"), "--hospital",
           f"postgresql+psycopg://fin_sim@{srv.host}:{srv.port}/{dbname}", "--password-env", "FIN_PW")
    day = _day(ws[0])
    t1 = time.perf_counter()
    r = medsettle("dayend", "reconcile", "--date", day, *fin, env={"FIN_PW": FIN_PW})
    res.reconcile_s = time.perf_counter() - t1
    res.reconcile = json.loads(r.stdout) if r.stdout.strip() else {"rc": r.returncode, "stderr": r.stderr}
    if r.returncode != 0:
        failures.append(f"reconcile rc={r.returncode}: {r.stderr.strip()[-500:]}")
    # a seeded difference at one window must be named
    seeded = ws[len(ws) // 2]
    conn = sqlite3.connect(seeded.data / "medsettle.sqlite3")
    sid, info_js = conn.execute("SELECT id, setlinfo_json FROM settlements WHERE state = 'confirmed' "
                                "ORDER BY id LIMIT 1").fetchone()
    info = json.loads(info_js)
    info["fund_pay_sumamt"] = str(Decimal(str(info["fund_pay_sumamt"])) - Decimal("0.01"))
    conn.execute("UPDATE settlements SET setlinfo_json = ? WHERE id = ?", (json.dumps(info, ensure_ascii=False), sid))
    conn.commit()
    conn.close()
    medsettle("hospital", "push", *seeded.opts)
    r = medsettle("dayend", "reconcile", "--date", day, *fin, env={"FIN_PW": FIN_PW})
    res.mismatch_rc, res.mismatch_stderr, res.seeded_window = r.returncode, r.stderr, f"{seeded.wid}#{sid}"
    return res


def _pct(xs: list[float]) -> tuple[float | None, float | None]:
    if not xs:
        return None, None
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def _day(w: Window) -> str:
    conn = sqlite3.connect(w.data / "medsettle.sqlite3")
    try:
        return json.loads(conn.execute("SELECT setlinfo_json FROM settlements WHERE setlinfo_json IS NOT NULL "
                                       "LIMIT 1").fetchone()[0])["setl_time"][:10]
    finally:
        conn.close()
