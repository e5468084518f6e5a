"""部分退费 (partial refund, issue 19 scope 1): one line of a settlement paid with a payment code AND cash
is returned; the difference goes back to the original channels in proportion. Training platform and
payment gateway over 127.0.0.1, real SQLite.

Oracles: the old and new settlements' figures are the platform's answers (2207 setlinfo, and the
platform's own ledger); the refund split is worked by hand below; the gateway's refund from its
own ledger (/admin/payledger)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
import requests

from tests.integration.cli_inproc import medsettle_inproc as medsettle
from tests.integration.test_cli_checkout import SHEN, fees_file

ALI_OK = "28763443825664394"
# three lines: 头孢克洛胶囊 ×24, 普通门诊诊查费 ×1, 阿莫西林 ×? — the patient returns the first
FEES = [{"code": "XJ01CRA006A001010104041", "cnt": "24", "name": "头孢克洛胶囊"},
        {"code": "001102000010000", "cnt": "1"}]
SUP = ("--supervisor", "0009", "--supervisor-password-stdin")


@pytest.fixture
def window(platform, tmp_path):
    d = tmp_path / "w1"
    assert medsettle("sync", "--platform", platform.url, "--data", str(d)).returncode == 0
    r = medsettle("shift", "open", "--platform", platform.url, "--data", str(d), "--operator", "T001", "--float", "200.00")
    assert r.returncode == 0, r.stderr
    return platform, d


def payledger(platform) -> dict:
    return requests.get(platform.url + "/admin/payledger", timeout=10).json()


def ledger(platform) -> list[dict]:
    return requests.get(platform.url + "/admin/ledger", timeout=10).json()


def checkout(platform, d, tmp_path) -> dict:
    r = medsettle("checkout", "--platform", platform.url, "--data", str(d), "--certno", SHEN, "--fees",
                  fees_file(tmp_path, FEES), "--ack-warnings", "--acct", "0", "--pay", "code:" + ALI_OK + ":30.00",
                  "--pay", "cash:100")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def books(d) -> dict:
    """Per settlement: (state, psn_cash_pay, sum of its non-account payments incl. negative ones) in fen."""
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    try:
        return {sid: (st, cash, paid) for sid, st, cash, paid in conn.execute(
            "SELECT s.id, s.state, s.psn_cash_pay, coalesce((SELECT sum(amount) FROM payments p WHERE p.settlement_id "
            "= s.id AND p.method != 'account'), 0) FROM settlements s ORDER BY s.id")}
    finally:
        conn.close()


def assert_books_balance(d) -> None:
    for sid, (state, cash, paid) in books(d).items():
        want = 0 if state in ("reversed", "failed") else cash
        assert paid == want, f"settlement {sid} ({state}): payments {paid} fen != final psn_cash_pay {want} fen"


def test_partial_refund_of_one_line_split_between_payment_code_and_cash(window, tmp_path):
    platform, d = window
    base = ("--platform", platform.url, "--data", str(d))
    rec = checkout(platform, d, tmp_path)
    # the platform's answer for 头孢克洛胶囊 ×24 + 普通门诊诊查费 ×1 (99.40): psn_cash_pay 67.75, no account;
    # paid: Alipay 30.00 (the code's amount), cash 67.75 − 30.00 = 37.75 (of 100.00 tendered)
    assert rec["setlinfo"]["psn_cash_pay"] == "67.75" and rec["setlinfo"]["acct_pay"] == "0.00"
    old_inv = rec["invoice"]
    listed = json.loads(medsettle("refund", rec["setl_id"], "--lines", *base).stdout)
    assert [(x["no"], x["name"], x["cnt"], x["amount"]) for x in listed["lines"]] == [
        (1, "头孢克洛胶囊", "24", "74.40"), (2, "普通门诊诊查费", "1", "25.00")]
    receipt = tmp_path / "partial.pdf"
    out = medsettle("refund", rec["setl_id"], "--return", "1", "--reason", "患者退药", "--receipt", str(receipt),
                    *base, *SUP, stdin="Train-0009\n")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    new = doc["new"]
    # hand-worked new settlement: only 普通门诊诊查费 25.00 (甲类, in scope) is kept. The 2208 gives back this
    # visit's deductible (the old settlement paid 50.00 of the remaining 50.00), so 25.00 ≤ 50.00 remaining
    # deductible goes entirely to the deductible: fund 0.00, the patient pays 25.00 in cash (no account).
    assert new["state"] == "confirmed" and new["setl_id"] != rec["setl_id"]
    assert {k: new["setlinfo"][k] for k in ("medfee_sumamt", "act_pay_dedc", "fund_pay_sumamt", "acct_pay",
                                            "psn_cash_pay")} == {
        "medfee_sumamt": "25.00", "act_pay_dedc": "25.00", "fund_pay_sumamt": "0.00", "acct_pay": "0.00",
        "psn_cash_pay": "25.00"}
    assert [ln["name"] for ln in new["lines"]] == ["普通门诊诊查费"]
    # hand-worked refund: 67.75 − 25.00 = 42.75, split in proportion to what each tender paid:
    #   Alipay 42.75 × 30.00 / 67.75 = 18.9299… → 18.93
    #   cash   42.75 × 37.75 / 67.75 = 23.8201… → 23.82       18.93 + 23.82 = 42.75, no remainder fen
    assert (doc["old_psn_cash_pay"], doc["new_psn_cash_pay"], doc["refund_amount"]) == ("67.75", "25.00", "42.75")
    plan = {p["method"]: p["refund"] for p in doc["plan"]}
    assert plan == {"alipay": "18.93", "cash": "23.82"}
    assert "支付宝 原路退回 18.93 元" in out.stderr and "现金 退还 23.82 元" in out.stderr
    # the gateway's ledger: one refund of 18.93 on the Alipay trade, recorded locally with its refund id
    [tr] = new["pay_trades"]
    [rf] = payledger(platform)["refunds"]
    assert rf["refund_fee"] == "18.93" and tr["refunded"] == "18.93" and tr["state"] == "paid"
    assert [e["refund_id"] for e in tr["refunds"]] == [rf["refund_id"]]
    # the platform: the old settlement reversed, exactly one settlement in force for the visit (the new one)
    rows = [x for x in ledger(platform) if x["mdtrt_id"] == rec["mdtrt_id"] and x["kind"] == "setl"]
    assert [(x["setl_id"], x["reversed"]) for x in rows] == [(rec["setl_id"], True), (new["setl_id"], False)]
    assert doc["old"]["state"] == "reversed"
    # e-invoices: the old one red-lettered, a new one for the new settlement
    assert doc["old"]["red_invoice"]["state"] == "issued" and doc["old"]["invoice"]["EInvoiceNumber"] == old_inv[
        "EInvoiceNumber"]
    assert new["invoice"]["state"] == "issued" and new["invoice"]["EInvoiceNumber"] != old_inv["EInvoiceNumber"]
    # ONE audit event linking both settlements with the amounts
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    [(detail,)] = conn.execute("SELECT detail_json FROM audit_events WHERE action = 'partial_refund'").fetchall()
    ev = json.loads(detail)
    assert (ev["old_setl_id"], ev["new_setl_id"], ev["refund"], ev["authorized_by"]) == (
        rec["setl_id"], new["setl_id"], "42.75", "0009")
    # books: the cash refund is a negative cash row on the open shift; per settlement payments == final share
    [(amt, shift)] = conn.execute("SELECT amount, shift_id FROM payments WHERE ref LIKE 'prefund:%'").fetchall()
    open_shift = conn.execute("SELECT id FROM shifts WHERE closed_at IS NULL").fetchone()[0]
    assert (amt, shift) == (-2382, open_shift)
    conn.close()
    assert_books_balance(d)
    assert receipt.read_bytes()[:5] == b"%PDF-"
    import os
    import shutil
    import subprocess

    text = subprocess.run(["pdftotext", "-raw", str(receipt), "-"], capture_output=True, text=True, check=True).stdout
    for words in ("部分退费凭条", "原结算（已撤销）", "退回项目", "头孢克洛胶囊", "新结算（保留项目）", "应退个人现金 42.75",
                  "支付宝 原路退回 18.93", "现金 当面退还 23.82", "已冲红", rec["setl_id"], new["setl_id"]):
        assert words in text, (words, text)
    assert "330421198503150016" not in text and "330421********0016" in text
    if os.environ.get("MEDSETTLE_SCREENSHOTS"):      # docs/screenshots/partial-refund-receipt.png
        shutil.copy(receipt, os.environ["MEDSETTLE_SCREENSHOTS"])
    # the Z report: the partial refund on its own line; the drawer: float 200.00 + cash 37.75 taken − 23.82
    # handed back = 213.93 expected (the tenders moved from the old settlement to the new one net to zero)
    zr = tmp_path / "z.pdf"
    z = medsettle("report", "zreport", "--data", str(d), "--date", date.today().isoformat(), "--out", str(zr))
    assert z.returncode == 0, z.stderr
    ztext = subprocess.run(["pdftotext", "-raw", str(zr), "-"], capture_output=True, text=True, check=True).stdout
    assert "部分退费 1 67.75 25.00 42.75" in ztext, ztext
    assert "现金 23.82" in ztext and "支付宝 18.93" in ztext and "213.93" in ztext, ztext
    # the shift close: the partial refund handed back in this shift on its own line, in the expected cash
    sh = json.loads(medsettle("shift", "status", "--data", str(d), "--operator", "T001", *base[:2]).stdout)
    summary = sh.get("shift") or sh
    assert summary["partial_refunds"] == {"alipay": "18.93", "cash": "23.82"}, summary
    assert summary["expected"]["cash"] == "213.93", summary
    # the same settlement again: already reversed, nothing changes
    again = medsettle("refund", rec["setl_id"], "--return", "1", *base, *SUP, stdin="Train-0009\n")
    assert again.returncode == 2 and "已经撤销" in again.stderr


@pytest.mark.parametrize("spec,words", [
    (("--return", "1", "--return", "2"), "全额撤销"),
    (("--keep", "1:0", "--keep", "2:0"), "全额撤销"),
    (("--keep", "1", "--keep", "2"), "没有要退的项目"),
    (("--return", "1:0"), "必须大于 0"),
    (("--return", "1:25"), "超过结算数量"),
    (("--return", "9"), "没有明细"),
])
def test_bad_choice_is_refused_and_nothing_changes(window, tmp_path, spec, words):
    platform, d = window
    base = ("--platform", platform.url, "--data", str(d))
    rec = checkout(platform, d, tmp_path)
    before = (books(d), len(ledger(platform)), payledger(platform))
    out = medsettle("refund", rec["setl_id"], *spec, *base, *SUP, stdin="Train-0009\n")
    assert out.returncode == 2 and words in out.stderr, out.stderr
    assert (books(d), len(ledger(platform)), payledger(platform)) == before
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    assert conn.execute("SELECT count(*) FROM partial_refunds").fetchone()[0] == 0


def test_no_supervisor_reversed_or_other_day_is_refused(window, tmp_path):
    platform, d = window
    base = ("--platform", platform.url, "--data", str(d))
    rec = checkout(platform, d, tmp_path)
    no_sup = medsettle("refund", rec["setl_id"], "--return", "1", *base)
    assert no_sup.returncode == 2 and "授权" in no_sup.stderr
    # a settlement of another day (its setl_time moved back one day in the local store)
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    js = conn.execute("SELECT setlinfo_json FROM settlements WHERE setl_id = ?", (rec["setl_id"],)).fetchone()[0]
    info = json.loads(js)
    info["setl_time"] = "2026-01-02 10:00:00" if date.today().isoformat() != "2026-01-02" else "2026-01-03 10:00:00"
    conn.execute("UPDATE settlements SET setlinfo_json = ? WHERE setl_id = ?", (json.dumps(info), rec["setl_id"]))
    conn.commit()
    old_day = medsettle("refund", rec["setl_id"], "--return", "1", *base, *SUP, stdin="Train-0009\n")
    assert old_day.returncode == 2 and "只能对当日的结算部分退费" in old_day.stderr
    info["setl_time"] = rec["setl_time"]
    conn.execute("UPDATE settlements SET setlinfo_json = ? WHERE setl_id = ?", (json.dumps(info), rec["setl_id"]))
    conn.commit()
    conn.close()
    rev = medsettle("checkout", *base, "--reverse", rec["setl_id"], *SUP, "--reason", "x", stdin="Train-0009\n")
    assert rev.returncode == 0, rev.stderr
    before = books(d)
    again = medsettle("refund", rec["setl_id"], "--return", "1", *base, *SUP, stdin="Train-0009\n")
    assert again.returncode == 2 and "已经撤销" in again.stderr and books(d) == before


def test_refused_resettlement_stops_clearly_and_resume_finishes_once(window, tmp_path):
    """The platform refuses the new 2207 once (fault rule): the operation stops at 保留明细已上传 with a
    Chinese message naming `--resume`, the old settlement is reversed, nothing is refunded yet (the
    trade stays paid); `refund --resume` settles and refunds once."""
    platform, d = window
    base = ("--platform", platform.url, "--data", str(d))
    rec = checkout(platform, d, tmp_path)
    r = requests.post(platform.url + "/admin/fault", json={"mode": "refuse", "infno": "2207", "next": 1}, timeout=10)
    assert r.status_code == 200, r.text
    out = medsettle("refund", rec["setl_id"], "--return", "1", *base, *SUP, stdin="Train-0009\n")
    assert out.returncode == 2 and "部分退费（编号 1）未完成" in out.stderr and "--resume" in out.stderr, out.stderr
    led = [x for x in ledger(platform) if x["mdtrt_id"] == rec["mdtrt_id"] and x["kind"] == "setl"]
    assert [x["reversed"] for x in led] == [True]
    assert payledger(platform)["refunds"] == []
    listed = [json.loads(x) for x in medsettle("refund", "--list", *base).stdout.splitlines()]
    assert [(x["state"], x["new_settlement_id"]) for x in listed] == [("kept_uploaded", None)]
    assert "拒绝" in listed[0]["error"]
    res = medsettle("refund", "--resume", *base)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)[0]["state"] == "invoiced"
    [rf] = payledger(platform)["refunds"]
    assert rf["refund_fee"] == "18.93"                        # hand-worked in the first test of this file
    led = [x for x in ledger(platform) if x["mdtrt_id"] == rec["mdtrt_id"] and x["kind"] == "setl"]
    assert [x["reversed"] for x in led] == [True, False]
    assert_books_balance(d)


def test_returned_lines_are_not_charged_today_for_the_same_day_prechecks(window, tmp_path):
    """After 头孢克洛胶囊 is returned (部分退费), a second visit the same day with both items warns
    事前提醒 duplicate_today only for what the patient was still charged (普通门诊诊查费, the kept line),
    never for the returned drug (the old visit's lines stay in its store, deleted centrally by 2205)."""
    from decimal import Decimal

    from client.services.checkout import Counter
    from client.services.context import open_context, training_settings_for

    platform, d = window
    base = ("--platform", platform.url, "--data", str(d))
    rec = checkout(platform, d, tmp_path)
    out = medsettle("refund", rec["setl_id"], "--return", "1", *base, *SUP, stdin="Train-0009\n")
    assert out.returncode == 0, out.stderr
    ctx = open_context(training_settings_for(platform.url, d))
    try:
        c = Counter(ctx)
        c.identify_certno(SHEN)
        c.start_outpatient("11")
        c.add_line("XJ01CRA006A001010104041", Decimal("24"))
        c.add_line("001102000010000", Decimal("1"))
        today = {w.item_code for w in c.precheck() if w.code == "duplicate_today"}
    finally:
        ctx.close()
    assert today == {"001102000010000"}, today
