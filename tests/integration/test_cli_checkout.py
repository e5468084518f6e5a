"""`medsettle sync|checkout|ledger|shift|audit` against the training platform on 127.0.0.1.

The CLI contract runs in real subprocesses: exit 0 with the settlement JSON on stdout and the
ledger's JSON lines (test_outpatient_with_ecqr_card_and_certno), exit 3 "outcome unknown" with its
Chinese warning (test_lost_2207_answer_exit_3_unknown_with_msgid) and exit 2 with the error JSON and
a Chinese message (the first refusal of test_bad_input_is_refused_and_nothing_half_written). Everything
else — the fixture's sync and shift, input validation, refusals, reversal and reprint rules — calls
``client.cli.main(argv)`` in this process (tests/integration/cli_inproc.py) with the same assertions.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.integration.cli_inproc import medsettle_inproc
from training_platform import demo

SHEN = "330421198503150016"
DATA = demo.generate()
PEOPLE = {p["certno"]: p for p in DATA["people"]}


def medsettle_subprocess(*args: str, timeout: float = 90, stdin: str = "") -> subprocess.CompletedProcess:
    """`medsettle ARGS` in a real process (the CLI contract tests)."""
    env = dict(os.environ, MEDSETTLE_NO_USER_DIRS="1", PYTHONIOENCODING="utf-8")
    env.pop("MEDSETTLE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "client", *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=Path(__file__).resolve().parents[2], input=stdin)


def medsettle(*args: str, stdin: str = ""):
    """`medsettle ARGS` through ``client.cli.main`` in this process (same result shape)."""
    return medsettle_inproc(*args, stdin=stdin)


def assert_refused(r, *words: str) -> dict:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    doc = json.loads(r.stdout)
    for w in words:
        assert w in r.stderr, r.stderr
    return doc["error"]


@pytest.fixture
def window(platform, tmp_path):
    d = tmp_path / "w1"
    r = medsettle("sync", "--platform", platform.url, "--data", str(d))
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["catalog_rows"] > 100 and "330421" in summary["bundles"]
    assert "同步完成" in r.stderr
    r = medsettle("shift", "open", "--platform", platform.url, "--data", str(d), "--operator", "T001", "--float", "200.00")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["float"] == "200.00" and "已开班" in r.stderr
    return platform, d


def fees_file(tmp_path: Path, lines: list[dict], name: str = "fees.json") -> str:
    p = tmp_path / name
    p.write_text(json.dumps(lines, ensure_ascii=False), encoding="utf-8")
    return str(p)


FEES = [{"code": "XJ01CRA006A001010104041", "cnt": "24", "name": "头孢克洛胶囊"}, {"code": "001102000010000", "cnt": "1"}]


def db_count(d: Path, table: str) -> int:
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_outpatient_with_ecqr_card_and_certno(window, tmp_path):
    platform, d = window
    p = PEOPLE[SHEN]
    fees = fees_file(tmp_path, FEES)
    base = ("checkout", "--platform", platform.url, "--data", str(d), "--fees", fees, "--med-type", "11", "--ack-warnings")
    setl_ids = []
    for who in (("--ecqr", p["ecqr"]), ("--card", p["card"]["card_data"]), ("--certno", SHEN)):
        r = medsettle_subprocess(*base, *who, "--pay", "cash:200")
        assert r.returncode == 0, r.stderr
        rec = json.loads(r.stdout)
        assert rec["state"] == "confirmed" and rec["setlinfo"]["medfee_sumamt"] == "99.40"
        assert rec["setlinfo"]["certno"] == "330421********0016" and rec["differences"] == []
        cash = rec["payments"][0]
        assert cash["method"] == "cash" and cash["tendered"] == "200.00"
        assert float(cash["amount"]) + float(cash["change"]) == 200.0
        setl_ids.append(rec["setl_id"])
    r = medsettle_subprocess("ledger", "--data", str(d))
    assert r.returncode == 0
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["setl_id"] for x in rows] == setl_ids and {x["state"] for x in rows} == {"confirmed"}
    assert all(x["msgid"].startswith("H31011800001") and len(x["msgid"]) == 30 for x in rows)
    assert all("psn_cash_pay" in x and "hifp_pay" in x for x in rows)


def test_his_charges_receipt_and_reversal(window, tmp_path):
    platform, d = window
    out = tmp_path / "slip.pdf"
    r = medsettle("checkout", "--platform", platform.url, "--data", str(d), "--certno", SHEN, "--his",
                  "--pay", "wechat:10:4200002026120400000002", "cash:1000", "--receipt", str(out), "--ack-warnings")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert out.read_bytes()[:5] == b"%PDF-" and "结算成功" in r.stderr
    inv = rec["invoice"]                        # e-invoice issued after the local commit, uploaded at once
    assert inv["state"] == "issued" and "电子票据：代码" in r.stderr and "einvoice" not in rec
    assert qr_of(out) == f"MSEI1|{inv['EInvoiceCode']}|{inv['EInvoiceNumber']}|{inv['RandomNumber']}|" \
                         f"{rec['setlinfo']['medfee_sumamt']}|{rec['setl_time'][:10].replace('-', '')}|H31011800001"
    assert [p["method"] for p in rec["payments"]][:2] == ["wechat", "cash"]
    no_sup = medsettle("checkout", "--platform", platform.url, "--data", str(d), "--reverse", rec["setl_id"])
    assert_refused(no_sup, "授权")
    rev = medsettle("checkout", "--platform", platform.url, "--data", str(d), "--reverse", rec["setl_id"],
                    "--supervisor", "0009", "--supervisor-password-stdin", "--reason", "患者要求退费",
                    stdin="Train-0009\n")
    assert rev.returncode == 0, rev.stderr
    back = json.loads(rev.stdout)
    assert back["state"] == "reversed" and back["reversal"]["authorization"]["authorized_by"] == "0009"
    assert back["red_invoice"]["state"] == "issued" and back["invoice"]["EInvoiceNumber"] == inv["EInvoiceNumber"]
    # a reprint needs another supervisor too, is marked 补打 and audited
    copy = tmp_path / "copy.pdf"
    assert_refused(medsettle("checkout", "--platform", platform.url, "--data", str(d), "--reprint", rec["setl_id"],
                             "--receipt", str(copy), "--receipt-kind", "slip"), "授权")
    rp = medsettle("checkout", "--platform", platform.url, "--data", str(d), "--reprint", rec["setl_id"],
                   "--receipt", str(copy), "--receipt-kind", "slip", "--supervisor", "0008",
                   "--supervisor-password-stdin", stdin="Train-0008\n")
    assert rp.returncode == 0, rp.stderr
    assert json.loads(rp.stdout)["flags"] == {"training": True, "offline": False, "reprint": True, "print_count": 1}
    text = subprocess.run(["pdftotext", str(copy), "-"], capture_output=True, text=True, check=True).stdout
    assert "补打" in text and SHEN not in text
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    try:
        acts = [a for (a,) in conn.execute("SELECT action FROM audit_events ORDER BY seq")]
    finally:
        conn.close()
    assert acts[-3:] == ["authorize", "receipt.print", "reprint"]    # every print is audited, CLI too
    assert medsettle("audit", "verify", "--data", str(d)).returncode == 0


def qr_of(pdf: Path) -> str:
    from PIL import Image
    from pyzbar.pyzbar import decode

    base = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(pdf), str(base)], check=True)
    with Image.open(str(base) + ".png") as img:
        codes = decode(img)
    assert len(codes) == 1
    return codes[0].data.decode("ascii")


def test_prechecks_stop_before_anything_is_sent_unless_acknowledged(window, tmp_path):
    """事前提醒 (price above the insurance limit, a duplicate line, a class C item): without --ack-warnings exit 2
    with the warnings and a Chinese hint, nothing written or sent; with it: settled, acknowledgement audited."""
    platform, d = window
    fees = fees_file(tmp_path, FEES + [{"code": "001102000010000", "cnt": "1"}, {"code": "250401015", "cnt": "1"}])
    common = ("checkout", "--platform", platform.url, "--data", str(d), "--certno", SHEN, "--fees", fees)
    before = len(requests.get(platform.url + "/admin/ledger", timeout=5).json())
    err = assert_refused(medsettle(*common), "事前提醒", "超过医保限价", "丙类", "--ack-warnings", "没有向医保中心发送")
    assert err["code"] == "invalid_input"
    assert db_count(d, "visits") == 0 and db_count(d, "fee_lines") == 0 and db_count(d, "settlements") == 0
    assert len(requests.get(platform.url + "/admin/ledger", timeout=5).json()) == before
    ok = medsettle(*common, "--ack-warnings")
    assert ok.returncode == 0, ok.stderr
    rec = json.loads(ok.stdout)
    codes = {w["code"] for w in rec["prechecks"]}
    assert {"over_limit_price", "qty_over_max", "duplicate_in_visit", "class_c"} <= codes, codes
    assert "已确认" in ok.stderr
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    try:
        acks = [json.loads(x) for (x,) in conn.execute("SELECT detail_json FROM audit_events WHERE action = 'precheck_ack'")]
    finally:
        conn.close()
    assert len(acks) == 1 and {w["code"] for w in acks[0]["warnings"]} == codes and acks[0]["count"] == len(codes)


def central_reversed(platform, setl_id: str) -> bool:
    return next(r for r in requests.get(platform.url + "/admin/ledger", timeout=5).json()
                if r["setl_id"] == setl_id)["reversed"]


def test_reversal_refused_without_a_verified_other_supervisor(window, tmp_path):
    """No supervisor, no password, the operator's own credentials, a cashier's, a wrong password: exit 2 with
    a Chinese message, nothing sent (the platform's ledger still shows it settled); then 0009 reverses."""
    from dataclasses import replace

    from client.security.operators import create_operator
    from client.services.operators import StoreOperatorRepository
    from offline_cache.store import open_store

    platform, d = window
    r = medsettle("checkout", "--platform", platform.url, "--data", str(d), "--certno", SHEN, "--fees",
                  fees_file(tmp_path, FEES), "--ack-warnings")
    assert r.returncode == 0, r.stderr
    setl_id = json.loads(r.stdout)["setl_id"]
    store = open_store(d / "medsettle.sqlite3")
    try:       # a cashier whose initial password was already changed (so only the role refuses)
        StoreOperatorRepository(store).add_operator(replace(create_operator("C002", "收费员乙", "cashier",
                                                                            "Cashier#2026-yi"),
                                                            must_change_password=False))
    finally:
        store.close()
    rev = ("checkout", "--platform", platform.url, "--data", str(d), "--reverse", setl_id)
    cases = [((), "--supervisor"),
             (("--supervisor", "0009"), "密码"),
             (("--operator", "0009", "--supervisor", "0009", "--supervisor-password-stdin"), "不能为自己的操作授权"),
             (("--supervisor", "C002", "--supervisor-password-stdin"), "无权授权"),
             (("--supervisor", "0009", "--supervisor-password-stdin"), "密码错误")]
    pwds = ["", "", "Train-0009\n", "Cashier#2026-yi\n", "Train-0008\n"]
    for (extra, word), pw in zip(cases, pwds, strict=True):
        err = assert_refused(medsettle(*rev, *extra, stdin=pw), word, "未撤销" if pw else "授权")
        assert err["code"] in ("invalid_input", "refused")
        assert not central_reversed(platform, setl_id)
    rows = [json.loads(x) for x in medsettle("ledger", "--data", str(d)).stdout.splitlines()]
    assert [(x["state"], x["revoke_msgid"]) for x in rows] == [("confirmed", None)]
    ok = medsettle(*rev, "--supervisor", "0009", "--supervisor-password-stdin", "--reason", "退费", stdin="Train-0009\n")
    assert ok.returncode == 0, ok.stderr
    auth = json.loads(ok.stdout)["reversal"]["authorization"]
    assert auth["authorized_by"] == "0009" and auth["requested_by"] == "T001" and auth["verified"] is True
    assert central_reversed(platform, setl_id)
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    try:
        events = conn.execute("SELECT action, actor, detail_json FROM audit_events ORDER BY seq").fetchall()
    finally:
        conn.close()
    acts = [a for a, _, _ in events]
    assert acts.count("authorize_refused") == 3 and acts.count("authorize") == 1
    # identification, settlement and reversal are in the audit chain (masked), and the chain verifies
    assert acts.index("identify") < acts.index("settle") < acts.index("authorize") < acts.index("reverse")
    ident = json.loads(next(x for a, _, x in events if a == "identify"))
    assert ident["certno"] == "330421********0016" and ident["method"] == "certno" and ident["psn_name"] == "沈*"
    settle = json.loads(next(x for a, _, x in events if a == "settle"))
    assert settle["setl_id"] == setl_id and settle["medfee_sumamt"] == "99.40"
    reverse = json.loads(next(x for a, _, x in events if a == "reverse"))
    assert reverse["setl_id"] == setl_id and reverse["authorized_by"] == "0009" and reverse["revoke_msgid"]
    from client.security import leakscan

    assert all(leakscan.find_in_text(x, "audit", cards=[], secrets=[]) == [] for _, _, x in events)
    verify = medsettle("audit", "verify", "--data", str(d))
    assert verify.returncode == 0 and "完整" in verify.stdout + verify.stderr, verify.stderr


def test_bad_input_is_refused_and_nothing_half_written(window, tmp_path):
    platform, d = window
    common = ("checkout", "--platform", platform.url, "--data", str(d))
    bad = fees_file(tmp_path, [{"code": "001102000010000", "cnt": "1"}, {"code": "NOT-IN-CATALOG-1", "cnt": "2"}])
    err = assert_refused(medsettle_subprocess(*common, "--certno", SHEN, "--fees", bad), "NOT-IN-CATALOG-1",
                         "第2条明细")   # in a real process: exit 2, error JSON, Chinese message
    assert err["code"] == "invalid_input"
    csv = tmp_path / "fees.csv"
    csv.write_text("code,cnt,pric\n001102000010000,1,25.00\n250401015,,\n\"x,1\n", encoding="utf-8")
    assert_refused(medsettle(*common, "--certno", SHEN, "--fees", str(csv)), "第")
    sus = next(p for p in DATA["people"] if p["insuinfo"][0]["psn_insu_stas"] == "2")
    err = assert_refused(medsettle(*common, "--certno", sus["certno"], "--fees", fees_file(tmp_path, FEES, "f2.json")),
                         "参保状态")
    assert err["code"] == "refused"
    assert_refused(medsettle(*common, "--certno", "330421198503150017", "--fees", bad), "校验位")
    assert_refused(medsettle(*common, "--certno", SHEN, "--fees", bad, "--pay", "bitcoin:5"), "不支持的付款方式")
    assert db_count(d, "visits") == 0 and db_count(d, "fee_lines") == 0 and db_count(d, "settlements") == 0


def test_locked_and_corrupt_database(window, tmp_path):
    platform, d = window
    holder = sqlite3.connect(d / "medsettle.sqlite3", timeout=1, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        r = medsettle("checkout", "--platform", platform.url, "--data", str(d), "--certno", SHEN, "--fees",
                      fees_file(tmp_path, FEES))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_refused(r, "占用")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "medsettle.sqlite3").write_bytes(b"this is not a database at all" * 100)
    r = medsettle("checkout", "--platform", platform.url, "--data", str(bad), "--certno", SHEN, "--fees",
                  fees_file(tmp_path, FEES))
    assert_refused(r, "数据库")
    r = medsettle("ledger", "--data", str(bad))
    assert_refused(r, "数据库")


def test_lost_2207_answer_exit_3_unknown_with_msgid(window, tmp_path):
    platform, d = window
    requests.post(platform.url + "/admin/fault", json={"mode": "drop-after-commit", "infno": "2207", "next": 1},
                  timeout=5)
    r = medsettle_subprocess("checkout", "--platform", platform.url, "--data", str(d), "--certno", SHEN, "--fees",
                             fees_file(tmp_path, FEES), "--ack-warnings")
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "请勿重复结算" in r.stderr
    doc = json.loads(r.stdout)
    msgid = doc["error"]["msgid"]
    assert doc["state"] == "unknown" and doc["error"]["infno"] == "2207" and len(msgid) == 30
    rows = [json.loads(x) for x in medsettle("ledger", "--data", str(d)).stdout.splitlines()]
    assert [(x["state"], x["msgid"]) for x in rows] == [("unknown", msgid)]
    plat = [x for x in requests.get(platform.url + "/admin/ledger", timeout=5).json() if x["medins_setl_id"] == msgid]
    assert len(plat) == 1 and plat[0]["kind"] == "setl" and not plat[0]["reversed"]


def test_reversal_with_verified_supervisor_password(window, tmp_path):
    from dataclasses import replace

    from client.security.operators import create_operator
    from client.services.operators import StoreOperatorRepository
    from offline_cache.store import open_store

    platform, d = window
    r = medsettle("checkout", "--platform", platform.url, "--data", str(d), "--certno", SHEN, "--fees",
                  fees_file(tmp_path, FEES), "--ack-warnings")
    assert r.returncode == 0, r.stderr
    setl_id = json.loads(r.stdout)["setl_id"]
    store = open_store(d / "medsettle.sqlite3")
    try:
        sup = create_operator("S001", "组长甲", "supervisor", "Qingpu#2026-zuzhang")
        StoreOperatorRepository(store).add_operator(replace(sup, must_change_password=False))
    finally:
        store.close()
    common = ("checkout", "--platform", platform.url, "--data", str(d), "--reverse", setl_id, "--supervisor", "S001",
              "--supervisor-password-env", "SUP_PW_TEST")
    os.environ["SUP_PW_TEST"] = "wrong-password-1"
    try:
        assert_refused(medsettle(*common), "授权失败")
        os.environ["SUP_PW_TEST"] = "Qingpu#2026-zuzhang"
        ok = medsettle(*common)
    finally:
        os.environ.pop("SUP_PW_TEST", None)
    assert ok.returncode == 0, ok.stderr
    auth = json.loads(ok.stdout)["reversal"]["authorization"]
    assert auth["authorized_by"] == "S001" and auth["authorized_by_role"] == "supervisor" and auth["verified"] is True


def test_shift_commands_and_no_checkout_without_a_shift(window, tmp_path):
    """`medsettle shift open|status|close`: no settlement without an open shift (the CLI like the window);
    an over/short at the close needs --confirm-difference and a reason."""
    platform, d = window
    base = ("--platform", platform.url, "--data", str(d))
    zhou = "310118196804120067"     # one clean HIS bill: 68.86, cash 27.54 (tests/gui/test_gui_counter_keys.py)
    r = medsettle("shift", "status", *base, "--operator", "T001")
    assert r.returncode == 0 and json.loads(r.stdout)["shift"]["float"] == "200.00"
    # another cashier without a shift is refused before anything is sent
    r = medsettle("checkout", *base, "--certno", zhou, "--his", "--pay", "cash:50", "--operator", "0001")
    err = assert_refused(r, "没有开班", "medsettle shift open")
    assert err["code"] == "shift" and db_count(d, "settlements") == 0
    r = medsettle("checkout", *base, "--certno", zhou, "--his", "--pay", "cash:50")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    cash = [p for p in rec["payments"] if p["method"] == "cash"][0]
    assert (cash["amount"], cash["tendered"], cash["change"]) == ("27.54", "50.00", "22.46")
    # expected cash 200.00 + 27.54 = 227.54; counted 220.00 → short 7.54
    close = ("shift", "close", *base, "--operator", "T001", "--counted", "cash:220.00")
    assert_refused(medsettle(*close), "长短款", "确认")
    assert_refused(medsettle(*close, "--confirm-difference"), "原因")
    r = medsettle(*close, "--confirm-difference", "--difference-reason", "找零差错")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    row = [m for m in out["closing"]["methods"] if m["method"] == "cash"][0]
    assert (row["expected"], row["counted"], row["difference"]) == ("227.54", "220.00", "-7.54")
    assert out["closing"]["difference_reason"] == "找零差错"
    r = medsettle("shift", "status", *base, "--operator", "T001")
    assert r.returncode == 0 and json.loads(r.stdout)["shift"] is None and "没有开班" in r.stderr
    fees = fees_file(tmp_path, FEES)
    assert_refused(medsettle("checkout", *base, "--certno", zhou, "--fees", fees, "--ack-warnings", "--pay", "cash:500"),
                   "没有开班")


def test_several_his_bills_need_a_choice_and_self_pay(window, tmp_path):
    """A patient with two unpaid bills: `--his` alone is refused with the list (never one taken silently);
    `--his-bill` chooses. A suspended patient is settled with `--self-pay suspended`: no insurance transaction."""
    platform, d = window
    base = ("checkout", "--platform", platform.url, "--data", str(d))
    yu = "330421195701184838"       # 余军: two outpatient bills at the Qingpu hospital
    err = assert_refused(medsettle(*base, "--certno", yu, "--his", "--pay", "cash:500"), "2 张待缴费单据")
    assert "MZ310118" in err["message"]
    bills = [v["ipt_otp_no"] for v in DATA["his_charges"][yu] if v["fixmedins_code"] == "H31011800001"]
    r = medsettle(*base, "--certno", yu, "--his", "--his-bill", bills[1], "--pay", "cash:500")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["state"] == "confirmed"
    # the other bill is still unpaid at the HIS, the settled one is not
    left = requests.post(platform.url + "/his/api/pendingCharges",
                         json={"fixmedins_code": "H31011800001", "certno": yu}, timeout=5).json()["data"]
    assert [v["ipt_otp_no"] for v in left] == [bills[0]]
    suspended = "310101194805170983"
    before = len(requests.get(platform.url + "/admin/ledger", timeout=5).json())
    r = medsettle(*base, "--certno", suspended, "--his", "--his-bill",
                  [v["ipt_otp_no"] for v in DATA["his_charges"][suspended]][0], "--self-pay", "suspended",
                  "--pay", "cash:500")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["infno"] == "0000" and rec["state"] == "confirmed" and rec["setlinfo"]["fund_pay_sumamt"] == "0.00"
    assert "暂停参保" in rec["setlinfo"]["reason"] and "未发送医保交易" in r.stderr
    assert len(requests.get(platform.url + "/admin/ledger", timeout=5).json()) == before


def test_checkout_shows_warn_msg_and_review_verbatim(window, tmp_path):
    """warn_msg on 2207 and an infcode 0 answer with err_msg: printed verbatim, recorded, marked 待复核."""
    platform, d = window
    warn, review = "培训：本次按个人账户支付", "培训：结算成功，但电子凭证状态待核实"
    args = ("checkout", "--platform", platform.url, "--data", str(d), "--certno", SHEN, "--fees",
            fees_file(tmp_path, FEES), "--ack-warnings", "--pay", "cash:200")
    requests.post(platform.url + "/admin/fault", json={"mode": "warn-msg", "infno": "2207", "next": 1,
                                                       "message": warn}, timeout=5)
    r = medsettle(*args)
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["warn_msg"] == warn and rec["review"] is None
    assert f"医保中心提示：{warn}" in r.stderr and "结算成功" in r.stderr
    requests.post(platform.url + "/admin/fault", json={"mode": "success-with-err-msg", "infno": "2207", "next": 1,
                                                       "message": review}, timeout=5)
    r = medsettle(*args)
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["state"] == "confirmed" and rec["review"]["err_msg"] == review
    assert f"需复核：医保中心返回成功但附带信息：{review}" in r.stderr and "结算已记录（待复核）" in r.stderr


def test_chronic_disease_checkout_needs_a_filed_disease(window, tmp_path):
    """`checkout --med-type 14 [--disease CODE]`: 陆秀英 has two filings (M03900, M01600), so the disease
    must be named; 沈明 has none and is refused before anything is sent. Hand-worked for 陆秀英 at the
    Qingpu hospital (policy 320509-310-otp-ret, opsp.M01600 deductible 200, nothing paid for it yet):
    普通门诊诊查费 25.00 甲类 → act_pay_dedc = min(25.00, 200) = 25.00, fund 0.00, cash 25.00."""
    platform, d = window
    lu = "320509195207080020"
    fees = fees_file(tmp_path, [{"code": "001102000010000", "cnt": "1", "pric": "25.00"}])
    base = ("checkout", "--platform", platform.url, "--data", str(d), "--fees", fees, "--ack-warnings", "--acct", "0")
    err = assert_refused(medsettle(*base, "--med-type", "14", "--certno", lu), "请先选择备案病种", "M03900 高血压",
                         "M01600 糖尿病")
    assert err["code"] == "invalid_input"
    assert_refused(medsettle(*base, "--med-type", "14", "--certno", lu, "--disease", "M04300"),
                   "不是该参保人在就诊日有效的慢特病备案病种")
    assert_refused(medsettle(*base, "--med-type", "11", "--certno", lu, "--disease", "M01600"), "只用于门诊慢特病")
    before = db_count(d, "visits")
    assert_refused(medsettle(*base, "--med-type", "14", "--certno", SHEN), "没有有效的门诊慢特病备案")
    assert db_count(d, "visits") == before
    r = medsettle(*base, "--med-type", "14", "--certno", lu, "--disease", "M01600", "--pay", "cash:30")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    info = rec["setlinfo"]
    assert (info["medfee_sumamt"], info["act_pay_dedc"], info["hifp_pay"], info["psn_cash_pay"]) == \
        ("25.00", "25.00", "0.00", "25.00")
    assert rec["differences"] == []
