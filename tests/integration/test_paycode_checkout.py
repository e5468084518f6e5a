"""Payment codes through the training aggregate-payment gateway (issue 18), over 127.0.0.1, real SQLite.

Expected figures: the gateway's own ledger (/admin/payledger, training_platform.paygate) and the
settlement's psn_cash_pay as the platform answered it; split tenders are worked by hand in each test.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import pytest
import requests

from tests.integration.cli_inproc import medsettle_inproc as medsettle
from tests.integration.test_cli_checkout import FEES, SHEN, fees_file

WX_OK = "134567890123456700"          # WeChat: 18 digits, 13…; last two digits pick the training scenario
ALI_OK = "28763443825664394"          # Alipay: 17 digits, 28… (the trade.pay auth_code example)


@pytest.fixture
def window(platform, tmp_path):
    d = tmp_path / "w1"
    assert medsettle("sync", "--platform", platform.url, "--data", str(d)).returncode == 0
    r = medsettle("shift", "open", "--platform", platform.url, "--data", str(d), "--operator", "T001", "--float", "200.00")
    assert r.returncode == 0, r.stderr
    platform.pay_userpaying_s = 1.0
    if platform.paygate is not None:
        platform.paygate.userpaying_s = 1.0
    return platform, d


def payledger(platform) -> dict:
    return requests.get(platform.url + "/admin/payledger", timeout=10).json()


def checkout(platform, d, tmp_path, *pay, acct="0"):
    args = ["checkout", "--platform", platform.url, "--data", str(d), "--certno", SHEN, "--fees",
            fees_file(tmp_path, FEES), "--ack-warnings", "--acct", acct]
    for p in pay:
        args += ["--pay", p]
    return medsettle(*args)


def fault(platform, **rule):
    r = requests.post(platform.url + "/admin/fault", json=rule, timeout=10)
    assert r.status_code == 200, r.text


def test_payment_code_checkout_settles_with_channel_and_trade_no(window, tmp_path):
    platform, d = window
    r = checkout(platform, d, tmp_path, "code:" + WX_OK)
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    due = rec["setlinfo"]["psn_cash_pay"]
    [tr] = rec["pay_trades"]
    led = payledger(platform)
    [gw] = led["trades"]
    assert tr["state"] == "paid" and tr["channel"] == "wechat" and tr["amount"] == due
    assert tr["transaction_id"] == gw["transaction_id"] and gw["trade_state"] == "SUCCESS" and gw["total_fee"] == due
    assert tr["out_trade_no"] == gw["out_trade_no"] and len(tr["out_trade_no"]) <= 32
    assert [p for p in rec["payments"] if p["method"] == "wechat"] == [
        {"method": "wechat", "amount": due, "ref": tr["out_trade_no"], "channel": "wechat",
         "trade_no": gw["transaction_id"], "out_trade_no": tr["out_trade_no"]}]
    assert rec["owed"] == [] and "付款码收款：微信支付" in r.stderr
    assert tr["code"] == "1345**********6700"          # the code is never stored in full
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    assert WX_OK not in json.dumps(conn.execute("SELECT * FROM pay_trades").fetchall())
    # the same code again: refused before anything is sent, nothing charged
    r2 = checkout(platform, d, tmp_path, "code:" + WX_OK)
    assert r2.returncode == 2 and "已经使用过" in r2.stderr
    assert len(payledger(platform)["trades"]) == 1


def test_userpaying_resolves_by_query(window, tmp_path):
    platform, d = window
    r = checkout(platform, d, tmp_path, "code:134567890123456791")
    assert r.returncode == 0, r.stderr
    [tr] = json.loads(r.stdout)["pay_trades"]
    assert tr["state"] == "paid"
    [gw] = payledger(platform)["trades"]
    assert gw["trade_state"] == "SUCCESS"


@pytest.mark.parametrize("how", ["systemerror-paid", "drop-after-charge", "http-500"])
def test_lost_or_unclear_answer_is_queried_never_charged_twice(window, tmp_path, how):
    platform, d = window
    code = "134567890123456794" if how == "systemerror-paid" else "134567890123456711"
    if how == "drop-after-charge":
        fault(platform, mode="drop-after-commit", infno="pay.micropay", next=1)
    if how == "http-500":
        fault(platform, mode="http-500", infno="pay.micropay", next=1)
    r = checkout(platform, d, tmp_path, "code:" + code)
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    [tr] = rec["pay_trades"]
    led = payledger(platform)
    charged = [t for t in led["trades"] if t["trade_state"] == "SUCCESS"]
    if how == "http-500":                  # never reached the gateway: queried (ORDERNOTEXIST), reversed → owed
        assert charged == [] and tr["state"] in ("failed", "reversed")
        assert [o["amount"] for o in rec["owed"]] == [rec["setlinfo"]["psn_cash_pay"]]
    else:                                  # charged once; the query found it; no second charge
        assert len(led["trades"]) == 1 and len(charged) == 1 and tr["state"] == "paid"
        assert tr["transaction_id"] == charged[0]["transaction_id"] and rec["owed"] == []


def test_systemerror_not_charged_is_reversed_and_owed(window, tmp_path):
    platform, d = window
    r = checkout(platform, d, tmp_path, "code:134567890123456795")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    [tr] = rec["pay_trades"]
    assert tr["state"] == "reversed"
    [gw] = payledger(platform)["trades"]
    assert gw["trade_state"] == "REVOKED"
    assert rec["owed"][0]["amount"] == rec["setlinfo"]["psn_cash_pay"] and "欠费" in r.stderr


@pytest.mark.parametrize("code,words", [("134567890123456793", "已过期"), ("134567890123456792", "余额不足")])
def test_expired_or_short_code_nothing_charged_share_owed(window, tmp_path, code, words):
    platform, d = window
    r = checkout(platform, d, tmp_path, "code:" + code)
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["pay_trades"][0]["state"] == "failed" and words in r.stderr
    assert payledger(platform)["trades"] == [] and rec["owed"]


@pytest.mark.parametrize("code", ["1234", "330421198503150016", "4243754826492874240001130000", "99887766554433221100"])
def test_hand_typed_or_not_a_payment_code_is_refused(window, tmp_path, code):
    platform, d = window
    r = checkout(platform, d, tmp_path, "code:" + code)
    assert r.returncode == 2 and "不是有效的付款码" in r.stderr, r.stderr
    assert payledger(platform)["trades"] == []
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    assert conn.execute("SELECT count(*) FROM settlements").fetchone()[0] == 0


def test_split_tender_code_and_cash_to_the_fen(window, tmp_path):
    platform, d = window
    r = checkout(platform, d, tmp_path, "code:" + ALI_OK + ":50.00", "cash:100")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    due = Decimal(rec["setlinfo"]["psn_cash_pay"])
    pays = {p["method"]: p for p in rec["payments"]}
    # hand-worked: Alipay takes exactly 50.00; cash covers due − 50.00 out of 100.00 tendered,
    # change = 100.00 − (due − 50.00) = 150.00 − due
    assert pays["alipay"]["amount"] == "50.00"
    assert Decimal(pays["cash"]["amount"]) == due - Decimal("50.00")
    assert Decimal(pays["cash"]["change"]) == Decimal("150.00") - due
    [gw] = payledger(platform)["trades"]
    assert gw["channel"] == "alipay" and gw["total_fee"] == "50.00"


def test_reversal_refunds_to_the_original_channel(window, tmp_path):
    platform, d = window
    r = checkout(platform, d, tmp_path, "code:" + WX_OK)
    rec = json.loads(r.stdout)
    rev = medsettle("checkout", "--platform", platform.url, "--data", str(d), "--reverse", rec["setl_id"],
                    "--supervisor", "0009", "--supervisor-password-stdin", "--reason", "患者要求退费", stdin="Train-0009\n")
    assert rev.returncode == 0, rev.stderr
    back = json.loads(rev.stdout)
    [tr] = back["pay_trades"]
    assert tr["state"] == "refunded" and tr["refunded"] == rec["setlinfo"]["psn_cash_pay"]
    [rf] = payledger(platform)["refunds"]
    assert rf["refund_fee"] == tr["amount"] and tr["refunds"][0]["refund_id"] == rf["refund_id"]
    # the books: +share, −share on wechat (the reversal's refund row)
    assert sum(Decimal(p["amount"]) for p in back["payments"] if p["method"] == "wechat") == 0


def test_unanswered_charge_is_left_unknown_and_recover_finishes_it(window, tmp_path):
    """micropay charged but its answer lost, and the gateway unreachable for the queries and the reverse:
    the trade stays 'unknown' (warning, never re-sent). `medsettle recover` later queries: paid, once."""
    platform, d = window
    fault(platform, mode="drop-after-commit", infno="pay.micropay", next=1)
    fault(platform, mode="drop-before", infno="pay.orderquery", next=3)
    fault(platform, mode="drop-before", infno="pay.reverse", next=1)
    r = checkout(platform, d, tmp_path, "code:134567890123456712")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    [tr] = rec["pay_trades"]
    assert tr["state"] == "unknown" and any("结果未知" in w for w in rec["warnings"])
    rr = medsettle("recover", "--platform", platform.url, "--data", str(d))
    assert "付款码：确认扣款 1 笔" in rr.stderr and json.loads(rr.stdout)["payments"]["paid"] == 1, rr.stderr
    listed = medsettle("payments", "list", "--platform", platform.url, "--data", str(d))
    [tr] = [json.loads(x) for x in listed.stdout.splitlines()]
    led = payledger(platform)
    assert tr["state"] == "paid" and len(led["trades"]) == 1 and led["trades"][0]["trade_state"] == "SUCCESS"
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    assert conn.execute("SELECT count(*), sum(amount) FROM payments WHERE method = 'wechat'").fetchone()[0] == 1


def test_payments_refund_partial_to_the_channel(window, tmp_path):
    platform, d = window
    r = checkout(platform, d, tmp_path, "code:" + ALI_OK)
    [tr] = json.loads(r.stdout)["pay_trades"]
    base = ("--platform", platform.url, "--data", str(d))
    out = medsettle("payments", "refund", tr["out_trade_no"], "--amount", "1.25", *base)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["refunded"] == "1.25" and doc["state"] == "paid" and "已原路退款" in out.stderr
    too_much = medsettle("payments", "refund", tr["out_trade_no"], "--amount", "99999", *base)
    assert too_much.returncode == 2 and "可退" in too_much.stderr
    [rf] = payledger(platform)["refunds"]
    assert rf["refund_fee"] == "1.25"
    q = json.loads(medsettle("payments", "query", tr["out_trade_no"], *base).stdout)
    assert q["gateway"]["trade_state"] == "REFUND"


def test_day_end_statement_reconciles_per_channel(window, tmp_path):
    platform, d = window
    base = ("--platform", platform.url, "--data", str(d))
    r1 = checkout(platform, d, tmp_path, "code:" + WX_OK)
    r2 = checkout(platform, d, tmp_path, "code:" + ALI_OK + ":10.00", "cash:500")
    wx = json.loads(r1.stdout)["pay_trades"][0]
    ali = json.loads(r2.stdout)["pay_trades"][0]
    assert medsettle("payments", "refund", ali["out_trade_no"], "--amount", "3.00", *base).returncode == 0
    st = medsettle("payments", "statement", *base)
    assert st.returncode == 0, st.stderr
    doc = json.loads(st.stdout)
    # hand-worked: wechat 1 trade = the first share; alipay 10.00 and refund −3.00 → 2 lines, 7.00
    assert doc["reconciled"] and doc["channels"]["wechat"]["gateway"] == {"count": 1, "amount": wx["amount"]}
    assert doc["channels"]["alipay"]["gateway"] == {"count": 2, "amount": "7.00"} == doc["channels"]["alipay"]["books"]
    assert "对账一致" in st.stderr and list((d / "statements").glob("pay-*.csv"))
    # a charge the books do not know (made behind the window's back) is named
    from client.api.paygateway import HttpPayGateway

    gw = HttpPayGateway(platform.url, "H31011800001", "TRAINING-ONLY-PAY-H31011800001")
    assert gw.pay("MOUTSIDE0001", "134567890123456733", Decimal("2.00"), "x").outcome == "paid"
    gw.close()
    st = medsettle("payments", "statement", *base)
    doc = json.loads(st.stdout)
    assert st.returncode == 1 and [x["no"] for x in doc["differences"]] == ["MOUTSIDE0001"]
    assert "MOUTSIDE0001" in st.stderr and "本机账上没有" in st.stderr
    # the Z report: per-channel totals and the statement's result with its difference named
    import subprocess
    from datetime import date

    zr = tmp_path / "z.pdf"
    r = medsettle("report", "zreport", "--data", str(d), "--date", date.today().isoformat(), "--out", str(zr))
    assert r.returncode == 0, r.stderr
    text = subprocess.run(["pdftotext", "-raw", str(zr), "-"], capture_output=True, text=True, check=True).stdout
    assert "付款码（聚合支付）" in text and "1 处差异" in text and "MOUTSIDE0001" in text
    assert "支付宝 1 10.00 3.00" in text, text


@pytest.mark.parametrize("kind", ["slip", "form"])
def test_receipt_names_the_channel_trade_no(window, tmp_path, kind):
    import subprocess

    platform, d = window
    out = tmp_path / f"{kind}.pdf"
    args = ["checkout", "--platform", platform.url, "--data", str(d), "--certno", SHEN, "--fees",
            fees_file(tmp_path, FEES), "--ack-warnings", "--acct", "0", "--pay", "code:" + WX_OK,
            "--receipt", str(out), "--receipt-kind", kind]
    r = medsettle(*args)
    assert r.returncode == 0, r.stderr
    [gw] = payledger(platform)["trades"]
    text = subprocess.run(["pdftotext", "-raw", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert gw["transaction_id"] in text.replace(" ", "") and "微信" in text


def test_code_for_more_than_is_due_is_refused_nothing_charged(window, tmp_path):
    platform, d = window
    r = checkout(platform, d, tmp_path, "code:" + WX_OK + ":9999.00")
    assert r.returncode == 2 and "超过应收" in r.stderr, r.stderr
    assert payledger(platform)["trades"] == []
    r = checkout(platform, d, tmp_path, "code:" + WX_OK, "code:" + ALI_OK)
    assert r.returncode == 2 and "写明金额" in r.stderr
    assert payledger(platform)["trades"] == []
    r = checkout(platform, d, tmp_path, "code:" + WX_OK, "cash:50")     # the code takes all: no cash wanted
    assert r.returncode == 2 and "无需再收现金" in r.stderr, r.stderr
    assert payledger(platform)["trades"] == []


def test_owed_share_is_resolved_by_a_supervisor(window, tmp_path):
    platform, d = window
    base = ("--platform", platform.url, "--data", str(d))
    r = checkout(platform, d, tmp_path, "code:134567890123456792")          # NOTENOUGH → owed
    rec = json.loads(r.stdout)
    [owed] = [json.loads(x) for x in medsettle("payments", "list", "--owed", *base).stdout.splitlines()]
    assert owed["settlement_id"] == rec["settlement_id"] and owed["amount"] == rec["setlinfo"]["psn_cash_pay"]
    no_auth = medsettle("payments", "owed-resolve", str(owed["owed_id"]), "--pay", f"cash:{owed['amount']}", *base)
    assert no_auth.returncode == 2 and "授权" in no_auth.stderr
    wrong = medsettle("payments", "owed-resolve", str(owed["owed_id"]), "--pay", "cash:0.01", "--supervisor", "0009",
                      "--supervisor-password-stdin", *base, stdin="Train-0009\n")
    assert wrong.returncode == 2 and "不一致" in wrong.stderr
    ok = medsettle("payments", "owed-resolve", str(owed["owed_id"]), "--pay", f"cash:{owed['amount']}",
                   "--supervisor", "0009", "--supervisor-password-stdin", *base, stdin="Train-0009\n")
    assert ok.returncode == 0, ok.stderr
    assert medsettle("payments", "list", "--owed", *base).stdout.strip() == ""
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    assert conn.execute("SELECT method, ref FROM payments WHERE settlement_id = ? AND method = 'cash'",
                        (rec["settlement_id"],)).fetchall() == [("cash", f"owed:{owed['owed_id']}")]


def test_owed_share_is_collected_from_a_new_payment_code_exactly_once(window, tmp_path):
    """NOTENOUGH at the checkout → the share is owed. The patient tops up and shows a new code:
    a refused new code (expired, scenario 93) leaves the share owed again — one open owed row naming
    the new trade, nothing charged; a good code (SUCCESS) is charged once for exactly the owed amount,
    booked against the settlement, and nothing stays owed. Every amount below comes from the gateway's
    own ledger and the platform's psn_cash_pay."""
    platform, d = window
    base = ("--platform", platform.url, "--data", str(d))
    sup = ("--supervisor", "0009", "--supervisor-password-stdin")
    rec = json.loads(checkout(platform, d, tmp_path, "code:134567890123456792").stdout)   # NOTENOUGH
    share = rec["setlinfo"]["psn_cash_pay"]
    [owed] = [json.loads(x) for x in medsettle("payments", "list", "--owed", *base).stdout.splitlines()]
    hand = medsettle("payments", "owed-resolve", str(owed["owed_id"]), "--pay", "code:1345678", *sup, *base,
                     stdin="Train-0009\n")
    assert hand.returncode == 2 and "不是有效的付款码" in hand.stderr          # typed by hand: refused, nothing sent
    expired = medsettle("payments", "owed-resolve", str(owed["owed_id"]), "--pay", "code:134567890123450193",
                        *sup, *base, stdin="Train-0009\n")
    assert expired.returncode == 2 and "仍记为欠费" in expired.stderr, expired.stderr
    [again] = [json.loads(x) for x in medsettle("payments", "list", "--owed", *base).stdout.splitlines()]
    assert again["amount"] == share and again["owed_id"] != owed["owed_id"]
    ok = medsettle("payments", "owed-resolve", str(again["owed_id"]), "--pay", "code:284567890123450100",
                   *sup, *base, stdin="Train-0009\n")
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert doc["collected"] and doc["trade"]["amount"] == share and doc["trade"]["channel"] == "alipay"
    assert medsettle("payments", "list", "--owed", *base).stdout.strip() == ""
    gw = {t["out_trade_no"]: t for t in payledger(platform)["trades"]}
    kept = [t for t in gw.values() if t["trade_state"] == "SUCCESS"]
    assert [t["out_trade_no"] for t in kept] == [doc["trade"]["out_trade_no"]] and kept[0]["total_fee"] == share
    conn = sqlite3.connect(d / "medsettle.sqlite3")
    rows = conn.execute("SELECT method, amount, ref FROM payments WHERE settlement_id = ? AND method != 'account'",
                        (rec["settlement_id"],)).fetchall()
    assert rows == [("alipay", int(Decimal(share) * 100), doc["trade"]["out_trade_no"])]
    acts = [r[0] for r in conn.execute("SELECT action FROM audit_events WHERE action = 'owed_collect'")]
    assert len(acts) == 2                              # the refused and the good attempt, each authorised


def test_sandbox_ledger_shows_the_gateway_trades_and_refunds(window, tmp_path):
    platform, d = window
    rec = json.loads(checkout(platform, d, tmp_path, "code:" + ALI_OK).stdout)
    [tr] = rec["pay_trades"]
    assert medsettle("payments", "refund", tr["out_trade_no"], "--amount", "0.50", "--platform", platform.url,
                     "--data", str(d)).returncode == 0
    r = medsettle("sandbox", "ledger", "--data", str(platform.data_dir), "--payments")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    [t] = [x for x in rows if x.get("kind") == "pay_trade"]
    [f] = [x for x in rows if x.get("kind") == "pay_refund"]
    assert t["out_trade_no"] == tr["out_trade_no"] and t["channel"] == "alipay" and t["trade_state"] == "SUCCESS"
    assert f["out_trade_no"] == tr["out_trade_no"] and f["refund_fee"] == "0.50"
    assert any(x.get("kind") == "setl" for x in rows)          # the settlement ledger is still printed first
