"""Hospital mode end to end: two windows settle through the real CLI against the training platform
(127.0.0.1) and push their journals to a real PostgreSQL server; the server goes away and comes
back; nothing is lost and nothing arrives twice.

Expected figures come from each window's own SQLite books (the system of record at the window),
read with plain sqlite3, never from the replication code under test.
"""

from __future__ import annotations

import json
import os
import sqlite3
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from hospital_store import admin
from tests.integration.cli_inproc import medsettle_inproc as medsettle

SHEN = "330421198503150016"
ROLE_PW = "window-role-pass-1"
FEES = [{"code": "XJ01CRA006A001010104041", "cnt": "24", "name": "头孢克洛胶囊"}, {"code": "001102000010000", "cnt": "1"}]


def _setup_window(platform, srv, dbname, base: Path, wid: str, engine) -> tuple[Path, tuple[str, ...]]:
    admin.add_window(engine, wid, ROLE_PW, label=f"门诊 {wid}")
    d = base / wid
    url = f"postgresql+psycopg://{admin.window_role_name(wid)}@{srv.host}:{srv.port}/{dbname}"
    opts = ("--platform", platform.url, "--data", str(d), "--window", wid, "--hospital", url)
    r = medsettle("config", "set-secret", "hospital-db", "--stdin", *opts, stdin=ROLE_PW + "\n")
    assert r.returncode == 0, r.stderr
    r = medsettle("sync", *opts, "--no-hilist")
    assert r.returncode == 0, r.stderr
    r = medsettle("shift", "open", *opts, "--operator", "T001", "--float", "100.00")
    assert r.returncode == 0, r.stderr
    return d, opts


def _finance(platform, srv, dbname, engine, tmp_path, user: str) -> tuple[tuple[str, ...], dict]:
    """A finance role and the options of a finance machine (its password from FIN_PW)."""
    pw = f"finance-pass-{user}"
    admin.add_finance(engine, user, pw)
    opts = ("--platform", platform.url, "--data", str(tmp_path / "finance"), "--hospital",
            f"postgresql+psycopg://{user}@{srv.host}:{srv.port}/{dbname}", "--password-env", "FIN_PW")
    return opts, {"FIN_PW": pw}


def _checkout(opts, fees: Path) -> dict:
    r = medsettle("checkout", *opts, "--certno", SHEN, "--fees", str(fees), "--med-type", "11", "--ack-warnings",
                  "--pay", "cash:500")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _yuan(fen) -> Decimal:
    """The window store keeps amounts as INTEGER fen (docs/store.md)."""
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def _local_settlements(d: Path) -> dict[int, tuple]:
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    try:
        rows = conn.execute("SELECT id, msgid, state, setl_id, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay "
                            "FROM settlements").fetchall()
        return {r[0]: (r[1], r[2], r[3], *(_yuan(x) for x in r[4:8])) for r in rows}
    finally:
        conn.close()


def _hospital_settlements(engine, wid: str) -> dict[int, tuple]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT local_id, msgid, state, setl_id, medfee_sumamt, fund_pay_sumamt, acct_pay, "
                              "psn_cash_pay FROM medsettle.settlements_current WHERE window_id = :w"), {"w": wid}).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _count(engine, sql: str, **kw) -> int:
    with engine.connect() as c:
        return int(c.execute(text(sql), kw).scalar())


def test_two_windows_replicate_exactly_once_across_a_server_outage(platform, hospital, tmp_path):
    srv, dbname, engine = hospital
    fees = tmp_path / "fees.json"
    fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
    d1, o1 = _setup_window(platform, srv, dbname, tmp_path, "w01", engine)
    d2, o2 = _setup_window(platform, srv, dbname, tmp_path, "w02", engine)
    a = _checkout(o1, fees)
    b = _checkout(o2, fees)
    assert a["setl_id"] != b["setl_id"]
    # both arrived right after the checkout (the CLI pushes after its commit)
    for d, wid in ((d1, "w01"), (d2, "w02")):
        assert _hospital_settlements(engine, wid) == _local_settlements(d)
        # and against the platform's own answer: the settlement's medfee_sumamt as the CLI printed it
    assert a["setlinfo"]["medfee_sumamt"] == "99.40"   # the fees' total, as test_cli_checkout works it
    assert {v[3] for v in _hospital_settlements(engine, "w01").values()} == {Decimal("99.40")}
    st = json.loads(medsettle("hospital", "status", "--admin-url", srv.url(dbname), "--platform", platform.url,
                              "--data", str(d1)).stdout)
    assert {w["window_id"]: w["backlog"] for w in st["windows"]} == {"w01": 0, "w02": 0}

    # the hospital server goes away: the window still settles, the backlog waits
    srv.stop()
    r = medsettle("checkout", *o1, "--certno", SHEN, "--fees", str(fees), "--med-type", "11", "--ack-warnings",
                  "--pay", "cash:500")
    assert r.returncode == 0, r.stderr
    assert "医院库" in r.stderr and "积压" in r.stderr
    local = _local_settlements(d1)
    assert len(local) == 2
    r = medsettle("hospital", "push", *o1)
    assert r.returncode == 2 and "连不上医院库" in r.stderr
    assert json.loads(r.stdout)["backlog"] > 0

    # back: one push catches up; a second push has nothing to do
    srv.start()
    r = medsettle("hospital", "push", *o1)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["backlog"] == 0
    assert _hospital_settlements(engine, "w01") == local
    r = medsettle("hospital", "push", *o1)
    assert r.returncode == 0 and json.loads(r.stdout)["pushed"] == 0

    # a crash after the hospital's commit but before the window noted it: the same seqs go again
    n_journal = _count(engine, "SELECT count(*) FROM medsettle.journal WHERE window_id = 'w01'")
    n_versions = _count(engine, "SELECT count(*) FROM medsettle.settlement_versions WHERE window_id = 'w01'")
    conn = sqlite3.connect(d1 / "medsettle.sqlite3")
    conn.execute("UPDATE replication_state SET pushed_seq = 0")
    conn.commit()
    conn.close()
    r = medsettle("hospital", "push", *o1)
    assert r.returncode == 0, r.stderr
    assert _count(engine, "SELECT count(*) FROM medsettle.journal WHERE window_id = 'w01'") == n_journal
    assert _count(engine, "SELECT count(*) FROM medsettle.settlement_versions WHERE window_id = 'w01'") == n_versions
    assert _hospital_settlements(engine, "w01") == local
    # payments add up: each window's cash in the hospital store equals its local payments
    for d, wid in ((d1, "w01"), (d2, "w02")):
        conn = sqlite3.connect(d / "medsettle.sqlite3")
        want = sum((_yuan(x[0]) for x in conn.execute("SELECT amount FROM payments")), Decimal("0.00"))
        conn.close()
        with engine.connect() as c:
            got = c.execute(text("SELECT coalesce(sum(amount), 0) FROM medsettle.payments_current WHERE window_id = :w"),
                            {"w": wid}).scalar()
        assert got == want


def test_institution_day_end_over_all_windows_and_a_seeded_mismatch_is_named(platform, hospital, tmp_path):
    srv, dbname, engine = hospital
    fees = tmp_path / "fees.json"
    fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
    d1, o1 = _setup_window(platform, srv, dbname, tmp_path, "w01", engine)
    d2, o2 = _setup_window(platform, srv, dbname, tmp_path, "w02", engine)
    a = _checkout(o1, fees)
    _checkout(o2, fees)
    day = a["setl_time"][:10] if a.get("setl_time") else None
    if day is None:
        conn = sqlite3.connect(d1 / "medsettle.sqlite3")
        day = json.loads(conn.execute("SELECT setlinfo_json FROM settlements").fetchone()[0])["setl_time"][:10]
        conn.close()
    # one window alone cannot balance: the platform's totals are the institution's
    alone = medsettle("dayend", "reconcile", "--date", day, "--platform", platform.url, "--data", str(d1))
    assert alone.returncode == 1, alone.stderr
    assert "本窗口对账不平" in alone.stderr

    fin, env = _finance(platform, srv, dbname, engine, tmp_path, "fin_day")
    r = medsettle("dayend", "reconcile", "--date", day, *fin, env=env)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["clean"] and res["records"] == 2 and set(res["by_window"]) == {"w01", "w02"}
    assert "全院对账平" in r.stderr
    with engine.connect() as c:
        assert c.execute(text("SELECT clean FROM medsettle.reconciliations")).scalars().all() == [True]
    # the finance view: cash by window equals each window's own payments (read from its SQLite in fen)
    r = medsettle("dayend", "summary", "--date", day, *fin, env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    for d, wid in ((d1, "w01"), (d2, "w02")):
        conn = sqlite3.connect(d / "medsettle.sqlite3")
        want = {m: _yuan(v) for m, v in conn.execute("SELECT method, sum(amount) FROM payments GROUP BY method")}
        conn.close()
        assert {m: Decimal(v["amount"]) for m, v in doc["payments_by_window"][wid].items()} == want
    assert doc["reconciliation"]["clean"] is True and "对账：平" in r.stderr

    # a window whose books disagree with the platform (its fund share recorded 0.01 low)
    conn = sqlite3.connect(d2 / "medsettle.sqlite3")
    info = json.loads(conn.execute("SELECT setlinfo_json FROM settlements").fetchone()[0])
    info["fund_pay_sumamt"] = str(Decimal(str(info["fund_pay_sumamt"])) - Decimal("0.01"))
    conn.execute("UPDATE settlements SET setlinfo_json = ?", (json.dumps(info, ensure_ascii=False),))
    conn.commit()
    conn.close()
    assert medsettle("hospital", "push", *o2).returncode == 0
    r = medsettle("dayend", "reconcile", "--date", day, *fin, env=env)
    assert r.returncode == 1, r.stderr
    assert "全院对账不平" in r.stderr
    assert "窗口 w02 收费员 T001 本地结算 1" in r.stderr and "w01" not in r.stderr.split("全院对账不平")[1]


def test_institution_day_end_explains_a_settlement_undone_by_2601_at_a_window(platform, hospital, tmp_path):
    """w01's 2207 answer is lost after the platform committed it; recovery at w01 reverses it by 2601
    (the platform then holds the settlement and its 冲正 record); the patient is settled again. The
    hospital's day end is clean: the pair nets to zero and is listed as explained, naming w01."""
    import requests

    srv, dbname, engine = hospital
    fees = tmp_path / "fees.json"
    fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
    d1, o1 = _setup_window(platform, srv, dbname, tmp_path, "w01", engine)
    requests.post(platform.url + "/admin/fault", json={"mode": "drop-after-commit", "infno": "2207", "next": 1},
                  timeout=5).raise_for_status()
    r = medsettle("checkout", *o1, "--certno", SHEN, "--fees", str(fees), "--med-type", "11", "--ack-warnings",
                  "--pay", "cash:500")
    assert r.returncode == 3, r.stderr          # outcome unknown
    r = medsettle("recover", *o1, "--grace", "0", "--rounds", "1")
    assert r.returncode == 0, r.stderr
    again = _checkout(o1, fees)
    assert medsettle("hospital", "push", *o1).returncode == 0
    with engine.connect() as c:
        states = sorted(c.execute(text("SELECT state FROM medsettle.settlements_current")).scalars())
    assert states == ["confirmed", "failed"]
    fin, env = _finance(platform, srv, dbname, engine, tmp_path, "fin_rev")
    day = again["setlinfo"]["setl_time"][:10]
    r = medsettle("dayend", "reconcile", "--date", day, *fin, env=env)
    assert r.returncode == 0, r.stderr + r.stdout
    res = json.loads(r.stdout)
    assert res["records"] == 1 and res["clean"]
    assert {x["settlement_id"] for x in res["repaired"]} == {"w01#1"} and len(res["repaired"]) == 2


def test_hospital_z_report_and_monthly_over_windows_csv_and_pdf(platform, hospital, tmp_path):
    """The hospital Z report adds up every window's books (each window's own SQLite, in fen, is the
    oracle); a per-window report has only that window; the same cashier code at two windows stays
    two lines (w01/T001, w02/T001); the monthly report counts the Jiashan patient's three visits
    (insured in 330421, Zhejiang, treated in Qingpu 310118, Shanghai) as 跨省异地."""
    import csv
    import io

    srv, dbname, engine = hospital
    fees = tmp_path / "fees.json"
    fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
    d1, o1 = _setup_window(platform, srv, dbname, tmp_path, "w01", engine)
    d2, o2 = _setup_window(platform, srv, dbname, tmp_path, "w02", engine)
    a = _checkout(o1, fees)
    _checkout(o1, fees)
    _checkout(o2, fees)
    day = a["setlinfo"]["setl_time"][:10]
    fin, env = _finance(platform, srv, dbname, engine, tmp_path, "fin_rep")

    def zcsv(*extra) -> list[list[str]]:
        out = tmp_path / f"z{len(extra)}{extra[-1] if extra else ''}.csv"
        r = medsettle("report", "zreport", "--date", day, "--out", str(out), *extra, *fin, env=env)
        assert r.returncode == 0, r.stderr
        return list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))

    def local_cash(d: Path) -> Decimal:
        conn = sqlite3.connect(d / "medsettle.sqlite3")
        try:
            return sum((_yuan(x) for (x,) in conn.execute("SELECT amount FROM payments WHERE method = 'cash'")),
                       Decimal("0.00"))
        finally:
            conn.close()

    rows = zcsv("--whole-hospital")
    settled = [r for r in rows if r[0] == "结算" and r[3] == "医疗费总额"][0]
    assert settled[4] == "3" and Decimal(settled[5]) == Decimal("99.40") * 3
    cash = {r[2]: Decimal(r[5]) for r in rows if r[0] == "收款方式" and r[3] == "现金"}
    assert cash == {"w01/T001": local_cash(d1), "w02/T001": local_cash(d2)}
    only = zcsv("--of-window", "w02")
    assert [r[4] for r in only if r[0] == "结算" and r[3] == "医疗费总额"] == ["1"]
    assert {r[2] for r in only if r[0] == "收款方式"} == {"w02/T001"}
    pdf = tmp_path / "z-hospital.pdf"
    r = medsettle("report", "zreport", "--date", day, "--out", str(pdf), "--whole-hospital", *fin, env=env)
    assert r.returncode == 0 and pdf.read_bytes()[:5] == b"%PDF-"
    import shutil

    if os.environ.get("MEDSETTLE_KEEP_REPORTS"):
        shutil.copy(pdf, os.environ["MEDSETTLE_KEEP_REPORTS"])
    mcsv = tmp_path / "monthly.csv"
    r = medsettle("report", "monthly", "--month", day[:7], "--out", str(mcsv), "--whole-hospital", *fin, env=env)
    assert r.returncode == 0, r.stderr
    mrows = list(csv.reader(io.StringIO(mcsv.read_bytes().decode("utf-8-sig"))))
    jiashan = [r for r in mrows if r and r[0] == "330421"]
    assert jiashan and "3" in jiashan[0] and "跨省异地" in jiashan[0]


def test_an_owed_share_at_a_window_is_an_open_item_of_the_hospital_day(platform, hospital, tmp_path):
    """A payment code refused (training code …92: NOTENOUGH) leaves the share owed at w01; finance
    sees it in the day's open items, and the day end says the day is not closed."""
    srv, dbname, engine = hospital
    fees = tmp_path / "fees.json"
    fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
    d1, o1 = _setup_window(platform, srv, dbname, tmp_path, "w01", engine)
    r = medsettle("checkout", *o1, "--certno", SHEN, "--fees", str(fees), "--med-type", "11", "--ack-warnings",
                  "--pay", "code:134567890123456792")
    rec = json.loads(r.stdout)
    day = rec["setlinfo"]["setl_time"][:10]
    conn = sqlite3.connect(d1 / "medsettle.sqlite3")
    owed = conn.execute("SELECT settlement_id, amount FROM payments_owed").fetchall()
    conn.close()
    assert len(owed) == 1
    fin, env = _finance(platform, srv, dbname, engine, tmp_path, "fin_owed")
    r = medsettle("dayend", "summary", "--date", day, *fin, env=env)
    assert r.returncode == 0, r.stderr
    shares = json.loads(r.stdout)["open_items"]["owed_shares"]
    assert [(s["window_id"], s["settlement_local_id"], Decimal(s["amount"])) for s in shares] == \
        [("w01", owed[0][0], _yuan(owed[0][1]))]
    assert "待收款 1 笔" in r.stderr
    r = medsettle("dayend", "reconcile", "--date", day, *fin, env=env)
    assert r.returncode == 1 and "待收款：窗口 w01" in r.stderr


def test_deposits_and_partial_refunds_reach_the_hospital_z_report_and_open_items(platform, hospital, tmp_path):
    """Issue 19 scope 4 in hospital mode: w01 admits 张伟 and takes a 3000.00 cash deposit (2401, no
    settlement yet); w02 settles 沈明 in cash and returns the 头孢克洛胶囊 line (部分退费). The hospital
    Z report lists the deposit and the partial refund as their own lines, the day summary shows the
    deposit held for the in-stay patient (not a blocker) and no unfinished partial refund. Oracles: the
    typed deposit amount and each window's own SQLite rows (partial_refunds, in fen)."""
    import csv
    import io

    srv, dbname, engine = hospital
    d1, o1 = _setup_window(platform, srv, dbname, tmp_path, "w01", engine)
    d2, o2 = _setup_window(platform, srv, dbname, tmp_path, "w02", engine)
    r = medsettle("inpatient", "admit", *o1, "--certno", "310118199001010036", "--his")
    assert r.returncode == 0, r.stderr
    stay = json.loads(r.stdout)["stay_id"]
    r = medsettle("inpatient", "deposit", *o1, str(stay), "--amount", "3000.00", "--cash-tendered", "3000")
    assert r.returncode == 0, r.stderr
    fees = tmp_path / "fees.json"
    fees.write_text(json.dumps(FEES, ensure_ascii=False), encoding="utf-8")
    r = medsettle("checkout", *o2, "--certno", SHEN, "--fees", str(fees), "--med-type", "11", "--ack-warnings",
                  "--acct", "0", "--pay", "cash:100")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    day = rec["setlinfo"]["setl_time"][:10]
    r = medsettle("refund", rec["setl_id"], "--return", "1", "--reason", "患者退药", *o2, "--supervisor", "0009",
                  "--supervisor-password-stdin", stdin="Train-0009\n")
    assert r.returncode == 0, r.stderr
    for o in (o1, o2):                                      # every window's journal is in the hospital store
        assert medsettle("hospital", "push", *o).returncode == 0
    conn = sqlite3.connect(d2 / "medsettle.sqlite3")
    [(old, new, refund, state)] = conn.execute(
        "SELECT old_psn_cash_pay, new_psn_cash_pay, refund_amount, state FROM partial_refunds").fetchall()
    conn.close()
    assert state == "invoiced" and _yuan(old) - _yuan(new) == _yuan(refund) > 0
    fin, env = _finance(platform, srv, dbname, engine, tmp_path, "fin_ipt")
    out = tmp_path / "z.csv"
    r = medsettle("report", "zreport", "--date", day, "--out", str(out), "--whole-hospital", *fin, env=env)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    dep = {r[3]: (r[4], r[5]) for r in rows if r[0] == "预交金"}
    assert dep["交预交金"] == ("1", "3000.00") and dep["退预交金"] == ("0", "0.00"), dep
    pr = {r[3]: (r[4], r[5]) for r in rows if r[0] == "部分退费"}
    assert pr["原个人现金支付"] == ("1", f"{_yuan(old):.2f}") and pr["新个人现金支付"][1] == f"{_yuan(new):.2f}"
    assert pr["退还患者"][1] == f"{_yuan(refund):.2f}" and pr["退还·现金"][1] == f"{_yuan(refund):.2f}", pr
    # the deposit is cash taken at w01 (its cashier line), the refund handed back at w02
    cash = {r[2]: Decimal(r[5]) for r in rows if r[0] == "收款方式" and r[3] == "现金"}
    assert cash["w01/T001"] == Decimal("3000.00"), cash
    r = medsettle("dayend", "summary", "--date", day, *fin, env=env)
    assert r.returncode == 0, r.stderr
    oi = json.loads(r.stdout)["open_items"]
    assert [(h["window_id"], h["stay_local_id"], h["balance"]) for h in oi["deposits_held"]] == [("w01", stay, "3000.00")]
    assert oi["partial_refunds_open"] == []
    assert "在院预交金：1 人，余额合计 3000.00 元" in r.stderr and "部分退费未完成 0 笔" in r.stderr
    # the institution's 3201/3202 against the platform: the old settlement's 2208 and the new 2207 both
    # counted, nothing one-sided; the deposit held does not keep the day open
    r = medsettle("dayend", "reconcile", "--date", day, *fin, env=env)
    assert r.returncode == 0, r.stderr
