"""Fault drill driver: real `medsettle checkout` subprocesses against a faulty training platform,
SIGKILLed at random points, each kill followed by `medsettle recover`; then the invariants.

Used by tests/faults/test_fault_suite.py (CI, ≥ 30 checkouts) and bench/faults.py (≥ 200, figures).

Per checkout the driver
1. sets one fault rule on the platform (POST /admin/fault): the modes cycle through every mode
   (latency, drop-before, drop-after-commit, http-500, http-502, garbage, refuse, trickle), scoped
   to a random infno of the flow (mostly the settlement) with ``next`` 1, or global with a
   probability; drop-after-commit always hits the settlement (2207, or 2304 for the inpatient
   checkouts — a third of the checkouts are inpatient discharges, ``--med-type 21``);
2. starts ``python -m client checkout --certno … --fees F --receipt R.pdf --platform URL --data DIR``
   for one of several window data directories (each used by one process at a time: the msgid state
   file is single-process);
3. with probability ``kill_rate`` SIGKILLs it after a random delay (latency / trickle faults stretch
   the 2207 so kills land in the send / response phases), and records the phase from the window's
   database and the platform ledger at the moment of the kill;
4. clears the fault and, after a kill or an exit 3, runs ``medsettle recover --grace G --wait``
   (repeated while it exits 3). Recovery 冲正s (2601, fresh msgid) every settlement whose answer was
   lost; the figures count the 2601 sent / accepted / nothing to reverse / refused / unanswered
   (from the attempts recorded in the window databases) and the 2601 reversal records on the ledger;
   a checkout that ended 未结算 after recovery is settled again (a new checkout, no fault), as the
   cashier is told to do.

Invariants checked at the end (``verify``): for every window database, every settlement is
terminal (confirmed / failed / reversed), nothing is left in the outbox, every local confirmed
settlement matches exactly one central settlement with the same msgid, setl_id and amounts, every
local failed settlement has no central settlement in force (none, or one reversed by 2601), every central settlement of the institution
is known locally (none lost), no visit is settled twice (none duplicated), 3201/3202 reconcile
for each window, and ``PRAGMA integrity_check`` is ok on every database.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
MODES = ["latency", "drop-before", "drop-after-commit", "http-500", "http-502", "garbage", "refuse", "trickle"]
PEOPLE = ["330421198503150016", "320509195207080020", "310118199001010036", "310118197011162931",
          "310118195108032974", "310118198607181580", "310118194711030792"]
CODES = [("001102000010000", "1"), ("XJ01CRA006A001010104041", "6"), ("ZA09BAX0367010102963", "1"),
         ("250401015", "1")]
STORE = "medsettle.sqlite3"
INPATIENT_PERSON = "310118199001010036"   # 张伟, Qingpu employee (tests/integration/test_sandbox_inpatient.py)
INSTITUTION = "H31011800001"


@dataclass
class Figures:
    checkouts: int = 0
    exits: Tally = field(default_factory=Tally)
    faults: Tally = field(default_factory=Tally)
    kills: int = 0
    kill_phases: Tally = field(default_factory=Tally)
    triggers: Tally = field(default_factory=Tally)
    recoveries: int = 0
    recover_exit3: int = 0
    adjustments: int = 0
    settled_once: int = 0
    failed_visible: int = 0
    not_started: int = 0         # killed / refused before a settlement row existed
    lost: int = 0
    duplicated: int = 0
    mismatched_amounts: int = 0
    non_terminal: int = 0
    outbox_left: int = 0
    integrity_ok: int = 0
    inpatient: int = 0
    settled_again: Tally = field(default_factory=Tally)   # exit codes of the re-settlement after 未结算
    reversals_sent: int = 0           # 2601 sent by recovery (attempts recorded before the call)
    reversals_accepted: int = 0       # infcode 0: the platform undid the settlement
    reversals_nothing: int = 0        # refused "nothing to reverse" (never committed / already reversed)
    reversals_refused: int = 0        # refused for another reason (supervisor review)
    reversals_no_answer: int = 0
    ledger_2601_records: int = 0      # reversal records written by 2601 on the platform
    databases: int = 0
    reconciled_windows: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        for k in ("exits", "faults", "kill_phases", "triggers", "settled_again"):
            d[k] = dict(sorted(d[k].items(), key=lambda kv: str(kv[0])))
        d["problems"] = self.problems[:20]
        return d


def _env() -> dict:
    env = dict(os.environ)
    env["MEDSETTLE_NO_USER_DIRS"] = "1"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def prepare_windows(url: str, base: Path, n: int) -> list[Path]:
    """n window data directories, each with a synced catalogue and the zone's policy bundles."""
    from client.api import Operator
    from client.services.context import open_context, training_settings_for
    from client.services.sync import SyncService

    dirs = []
    for i in range(n):
        d = base / f"window{i + 1}"
        with open_context(training_settings_for(url, d), operator=Operator("T001", "培训收费员", "A03", "内科")) as ctx:
            SyncService(ctx).run(bundles=["310118", "320509", "330421"])
            from client.services import dayend

            dayend.open_shift(ctx.store, "T001", Decimal("0.00"))   # no settlement without an open shift
        dirs.append(d)
    return dirs


def fault(url: str, **spec) -> None:
    r = requests.post(url + "/admin/fault", json=spec, timeout=5)
    r.raise_for_status()


def _ledger(url: str) -> list[dict]:
    return requests.get(url + "/admin/ledger", timeout=10).json()


def _phase(db: Path, before_visit: int, url: str) -> str:
    """Which phase a kill hit, from the window database (and the ledger) right after the kill."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        v = conn.execute("SELECT id FROM visits WHERE id > ? ORDER BY id DESC LIMIT 1", (before_visit,)).fetchone()
        if v is None:
            return "before_local_commit"
        s = conn.execute("SELECT msgid, state, print_count FROM settlements WHERE visit_id = ? ORDER BY id DESC LIMIT 1",
                         (v[0],)).fetchone()
    finally:
        conn.close()
    if s is None:
        return "visit_steps(2201-2206)"
    msgid, state, _printed = s
    if state == "confirmed":
        return "after_local_confirm(printing)"
    if state in ("sent", "prepared", "unknown"):
        central = any(r.get("medins_setl_id") == msgid for r in _ledger(url))
        return "sent_processed_no_local_confirm" if central else "committed_not_processed"
    return f"settlement_{state}"


def _last_settlement_state(db: Path, before_visit: int) -> str | None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        r = conn.execute("SELECT s.state FROM settlements s JOIN visits v ON v.id = s.visit_id WHERE v.id > ? "
                         "ORDER BY s.id DESC LIMIT 1", (before_visit,)).fetchone()
    finally:
        conn.close()
    return r[0] if r else None


def _max_visit(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("SELECT coalesce(max(id), 0) FROM visits").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


# Kill triggers: a random moment, or as soon as the window's database shows a given step
# (+ a small random delay), so kills land in every phase of the durable-before-network protocol.
TRIGGERS = ["random_time", "visit_committed", "settlement_sent", "settlement_sent+delay", "confirmed(printing)"]


def _db_state(db: Path, before_visit: int) -> str:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return ""
    try:
        r = conn.execute("SELECT v.id, (SELECT state FROM settlements s WHERE s.visit_id = v.id ORDER BY s.id DESC "
                         "LIMIT 1) FROM visits v WHERE v.id > ? ORDER BY v.id DESC LIMIT 1", (before_visit,)).fetchone()
    except sqlite3.Error:
        return ""
    finally:
        conn.close()
    if r is None:
        return ""
    return r[1] or "visit"


def _kill_on(proc, trigger: str, db: Path, before_visit: int, rng: random.Random, typical: float) -> bool:
    deadline = time.monotonic() + max(20.0, typical * 4)
    if trigger == "random_time":
        at = time.monotonic() + rng.uniform(0.3, 1.2) * typical
        while time.monotonic() < at and proc.poll() is None:
            time.sleep(0.01)
    else:
        want = {"visit_committed": ("visit", "sent", "unknown", "confirmed", "failed"),
                "settlement_sent": ("sent", "unknown", "confirmed", "failed"),
                "settlement_sent+delay": ("sent", "unknown", "confirmed", "failed"),
                "confirmed(printing)": ("confirmed", "failed")}[trigger]
        while proc.poll() is None and time.monotonic() < deadline:
            if _db_state(db, before_visit) in want:
                break
            time.sleep(0.005)
        if trigger == "settlement_sent+delay":
            time.sleep(rng.uniform(0.0, 0.6))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        return True
    return False


def recover(url: str, data: Path, fig: Figures, grace: float) -> None:
    for attempt in range(4):
        fig.recoveries += 1
        p = subprocess.run([PY, "-m", "client", "recover", "--platform", url, "--data", str(data), "--grace", str(grace),
                            "--wait", "--max-wait", str(grace * 4)], cwd=ROOT, env=_env(), capture_output=True,
                           timeout=120)
        if p.returncode == 0:
            return
        fig.recover_exit3 += 1
        if p.returncode not in (3,):
            fig.problems.append(f"recover exit {p.returncode}: {p.stderr.decode('utf-8', 'replace')[-300:]}")
        fault(url, clear=True)
        time.sleep(0.5 * (attempt + 1))
    fig.problems.append(f"recover did not finish for {data}")


def run(url: str, windows: list[Path], work: Path, *, n: int, seed: int = 7, kill_rate: float = 0.5,
        grace: float = 3.0, log=None, lane: int = 0) -> Figures:
    rng = random.Random(seed)
    fig = Figures()
    typical = 4.0          # seconds of an undisturbed checkout (moving average)
    started = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        win = windows[i % len(windows)]
        db = win / STORE
        mode = MODES[i % len(MODES)]
        spec: dict = {"mode": mode}
        inpatient = (i + lane) % 3 == 2       # a third of the checkouts; lanes differ so that both
        #                                        kinds meet drop-after-commit in a short run
        settle = "2304" if inpatient else "2207"
        flow = (["2304", "2304", "2304", "2301", "2401", "2303", "1101"] if inpatient
                else ["2207", "2207", "2207", "2204", "2201", "2206", "1101"])
        if mode == "drop-after-commit":
            spec["infno"], spec["next"] = settle, 1
            fig.faults[f"{mode}@{settle}"] += 1
        elif rng.random() < 0.2 and mode not in ("refuse",):
            spec["prob"] = 0.3
            fig.faults[f"{mode}(global p=0.3)"] += 1
        else:
            spec["infno"] = rng.choice(flow)
            spec["next"] = 1
            fig.faults[f"{mode}@{spec['infno']}"] += 1
        fig.inpatient += inpatient
        if mode in ("latency", "trickle"):
            spec["delay_ms"] = rng.choice([300, 800, 1200])
        fault(url, clear=True)
        fault(url, **spec)
        lines = rng.sample(CODES, rng.randint(1, len(CODES)))
        fees = work / f"fees{i}.json"
        fees.write_text(json.dumps([{"code": c, "cnt": k} for c, k in lines]), encoding="utf-8")
        before = _max_visit(db)
        who = INPATIENT_PERSON if inpatient else rng.choice(PEOPLE)
        cmd = [PY, "-m", "client", "checkout", "--platform", url, "--data", str(win), "--certno", who,
               "--fees", str(fees), "--receipt", str(work / f"receipt{i}.pdf"), "--ack-warnings"]
        if inpatient:
            cmd += ["--med-type", "21"]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        fig.checkouts += 1
        killed = False
        if rng.random() < kill_rate:
            trigger = rng.choice(TRIGGERS)
            fig.triggers[trigger] += 1
            killed = _kill_on(proc, trigger, db, before, rng, typical)
        try:
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            fig.problems.append(f"checkout {i} hung")
        fault(url, clear=True)
        if not killed and proc.returncode == 0:
            typical = 0.8 * typical + 0.2 * (time.monotonic() - t0)
        if killed:
            fig.kills += 1
            ph = _phase(db, before, url)
            fig.kill_phases[ph] += 1
            fig.exits["killed"] += 1
        else:
            fig.exits[proc.returncode] += 1
            if proc.returncode not in (0, 2, 3):
                fig.problems.append(f"checkout {i} exit {proc.returncode}: {err.decode('utf-8', 'replace')[-400:]}")
        if killed or proc.returncode == 3:
            recover(url, win, fig, grace)
            if _last_settlement_state(db, before) == "failed":
                # 未结算 after 冲正 (or nothing to reverse): the cashier settles the patient again,
                # a new checkout with new msgids, no fault
                again = subprocess.run(cmd[:cmd.index("--receipt")] + ["--receipt", str(work / f"receipt{i}b.pdf"),
                                                                       *cmd[cmd.index("--receipt") + 2:]],
                                       cwd=ROOT, env=_env(), capture_output=True, timeout=120)
                fig.settled_again[again.returncode] += 1
                if again.returncode != 0:
                    fig.problems.append(f"checkout {i} settled again: exit {again.returncode}: "
                                        f"{again.stderr.decode('utf-8', 'replace')[-300:]}")
        if log and (i + 1) % 10 == 0:
            log(f"{i + 1}/{n} checkouts, {fig.kills} kills, {fig.recoveries} recoveries")
    for win in windows:       # a final pass: every window resolved and drained
        recover(url, win, fig, grace)
    verify(url, windows, fig)
    fig.seconds = round(time.monotonic() - started, 1)
    return fig


def _amount_fen(v) -> int:
    return int((Decimal(str(v)) * 100).to_integral_value())


def verify(url: str, windows: list[Path], fig: Figures) -> None:
    from client.api import Operator
    from client.services import dayend
    from client.services.context import open_context, training_settings_for

    ledger = [r for r in _ledger(url) if r.get("fixmedins_code", INSTITUTION) == INSTITUTION]
    central_setl = [r for r in ledger if r["kind"] == "setl"]
    fig.ledger_2601_records += sum(1 for r in ledger if r["kind"] == "revs" and r["infno"] == "2601")
    by_msgid: dict[str, list[dict]] = {}
    for r in central_setl:
        by_msgid.setdefault(r["medins_setl_id"], []).append(r)
    known_msgids: set[str] = set()
    for win in windows:
        db = win / STORE
        fig.databases += 1
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            fig.integrity_ok += ok == "ok"
            if ok != "ok":
                fig.problems.append(f"integrity_check {db}: {ok}")
            fig.outbox_left += conn.execute("SELECT count(*) FROM outbox WHERE state != 'acked'").fetchone()[0]
            fig.adjustments += conn.execute("SELECT count(*) FROM adjustments").fetchone()[0]
            rows = conn.execute("SELECT s.id, s.msgid, s.state, s.setl_id, s.medfee_sumamt, s.fund_pay_sumamt, s.acct_pay, "
                                "s.psn_cash_pay, s.visit_id FROM settlements s ORDER BY s.id").fetchall()
            for (meta_js,) in conn.execute("SELECT preview_json FROM settlements"):
                meta = json.loads(meta_js or "{}")
                for a in (meta.get("recovery") or {}).get("attempts", []) + (meta.get("forward") or {}).get("attempts", []):
                    fig.reversals_sent += 1
                    res = a.get("result")
                    fig.reversals_accepted += res == "accepted"
                    fig.reversals_nothing += res == "nothing"
                    fig.reversals_refused += res == "refused"
                    fig.reversals_no_answer += res in ("no_answer", "sent")
            visits = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
        finally:
            conn.close()
        settled_visits: Tally = Tally()
        with_settlement = set()
        for sid, msgid, state, setl_id, med, fund, acct, cash, visit_id in rows:
            known_msgids.add(msgid)
            with_settlement.add(visit_id)
            central = by_msgid.get(msgid, [])
            if state in ("sent", "prepared", "unknown", "provisional"):
                fig.non_terminal += 1
                fig.problems.append(f"{db.parent.name} settlement {sid} left {state}")
            elif state in ("confirmed", "reversed"):
                if len(central) != 1:
                    fig.duplicated += max(0, len(central) - 1)
                    fig.lost += len(central) == 0
                    fig.problems.append(f"{db.parent.name} settlement {sid} ({state}) has {len(central)} central rows")
                    continue
                c = central[0]
                same = (c["setl_id"] == setl_id and _amount_fen(c["medfee_sumamt"]) == med
                        and _amount_fen(c["fund_pay_sumamt"]) == fund and _amount_fen(c["acct_pay"]) == acct
                        and _amount_fen(c["psn_cash_pay"]) == cash)
                if not same:
                    fig.mismatched_amounts += 1
                    fig.problems.append(f"{db.parent.name} settlement {sid} differs from central {c['setl_id']}")
                if state == "confirmed" and c["reversed"]:
                    fig.problems.append(f"{db.parent.name} settlement {sid} confirmed locally, reversed centrally")
                if state == "confirmed":
                    settled_visits[visit_id] += 1
                    fig.settled_once += 1
            elif state == "failed":
                if any(not c["reversed"] for c in central):
                    fig.lost += 1
                    fig.problems.append(f"{db.parent.name} settlement {sid} failed locally but settled centrally")
                else:
                    fig.failed_visible += 1      # never committed, or committed and undone by 2601
        fig.duplicated += sum(n - 1 for n in settled_visits.values() if n > 1)
        fig.not_started += visits - len(with_settlement)
        s = training_settings_for(url, win)
        with open_context(s, operator=Operator("T001", "培训收费员", "A03", "内科")) as ctx:
            rec = dayend.reconcile_day(ctx)
        if rec["clean"]:
            fig.reconciled_windows += 1
        else:
            fig.problems.append(f"{win.name} reconciliation: {json.dumps(rec, ensure_ascii=False)[:400]}")
    orphans = [m for m in by_msgid if m not in known_msgids]
    fig.lost += len(orphans)
    if orphans:
        fig.problems.append(f"central settlements unknown locally: {orphans[:5]}")


def merge(figs: list[Figures]) -> Figures:
    out = Figures()
    for f in figs:
        for k, v in f.__dict__.items():
            if isinstance(v, Tally):
                getattr(out, k).update(v)
            elif isinstance(v, list):
                getattr(out, k).extend(v)
            elif isinstance(v, int | float) and k != "seconds":
                setattr(out, k, getattr(out, k) + v)
    return out


def run_parallel(base: Path, *, n: int, workers: int = 3, seed: int = 7, kill_rate: float = 0.5,
                 grace: float = 3.0, log=None) -> Figures:
    """``workers`` independent lanes, each with its own training platform (so one lane's fault rules
    never hit another lane) and its own window data directory; ``n`` checkouts in total."""
    import threading

    from training_platform.server import EmbeddedPlatform

    started = time.monotonic()
    base.mkdir(parents=True, exist_ok=True)
    platforms = [EmbeddedPlatform(base / f"platform{k + 1}").start() for k in range(workers)]
    try:
        windows = [prepare_windows(p.url, base / f"lane{k + 1}", 1) for k, p in enumerate(platforms)]
        results: list[Figures | None] = [None] * workers
        errors: list[BaseException] = []

        def lane(k: int) -> None:
            try:
                share = n // workers + (1 if k < n % workers else 0)
                results[k] = run(platforms[k].url, windows[k], base / f"work{k + 1}", n=share, seed=seed * 100 + k,
                                 kill_rate=kill_rate, grace=grace, lane=k,
                                 log=(lambda m, k=k: log(f"[lane {k + 1}] {m}")) if log else None)
            except BaseException as exc:  # noqa: BLE001 - reported by the caller
                errors.append(exc)

        threads = [threading.Thread(target=lane, args=(k,), name=f"fault-lane-{k + 1}") for k in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        fig = merge([r for r in results if r is not None])
    finally:
        for p in platforms:
            p.stop()
    fig.seconds = round(time.monotonic() - started, 1)
    return fig
