"""Z report and monthly cross-region report from a real store file: PDF (fonts embedded, figures in
the text), CSV (UTF-8 BOM, sums equal the store's own SQL sums to the fen), and the CLI.

Settlements are seeded with the store's ORM models and engine amounts (see test_invoicing_flow).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from client.domain.money import fmt2, fmt_display
from client.printing.reports import render_monthly, render_zreport
from client.services import reports
from offline_cache.models import Shift
from offline_cache.store import open_store
from offline_cache.types import from_fen
from tests.integration.test_invoicing_flow import open_shift, reverse_locally, seed_settlement

DAY = datetime(2021, 7, 13, 8, 30)
INST = {"fixmedins_code": "H31011800001", "fixmedins_name": "上海市青浦区培训医院", "admdvs": "310118"}
PLAN = [  # insured place, lines, method, offline, operator, acct balance
    ("330421", 6, "cash", False, "T001", "120.00"), ("320509", 5, "wechat", False, "T001", "0.00"),
    ("310118", 4, "cash", True, "T002", "50.00"), ("110105", 6, "alipay", False, "T002", "120.00"),
    ("420106", 3, "bank_card", False, "T001", "10.00"), ("330421", 4, "cash", True, "T001", "120.00"),
    ("320509", 6, "ecny", False, "T002", "0.00"), ("330421", 5, "cash", False, "T002", "30.00"),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    d = tmp_path_factory.mktemp("reports") / "data"
    store = open_store(d / "medsettle.sqlite3")
    sh1 = open_shift(store, "T001", "200.00", DAY)
    open_shift(store, "T002", "100.00", DAY)
    ids = []
    for i, (a, n, m, off, op, balc) in enumerate(PLAN):
        ids.append(seed_settlement(store, insuplc=a, n_lines=n, method=m, offline=off, opter=op, acct_balc=balc,
                                   when=DAY + timedelta(minutes=17 * i), tendered="500.00" if m == "cash" else None,
                                   shift_id=sh1 if op == "T001" else None))
    # a settlement of the previous day and one of the next month must not count
    seed_settlement(store, insuplc="330421", when=DAY - timedelta(days=1), opter="T001")
    seed_settlement(store, insuplc="330421", when=DAY + timedelta(days=20), opter="T001")
    reverse_locally(store, ids[1], DAY + timedelta(hours=5))   # wechat, reversed the same day
    # T001 counted the drawer: expected float + net cash; counted 0.50 short; a 3201 result recorded
    with store.read_connection() as c:
        t001_cash = from_fen(c.exec_driver_sql(
            "SELECT SUM(p.amount) FROM payments p JOIN settlements s ON s.id = p.settlement_id "
            "WHERE s.opter = 'T001' AND p.method = 'cash' AND date(p.created_at) = '2021-07-13'").scalar())
    with store.session() as s:
        s.get(Shift, sh1).counted_json = json.dumps({
            "counted": {"cash": fmt2(Decimal("200.00") + t001_cash - Decimal("0.50"))},
            "reconciliation": [{"infno": "3201", "setl_optins": "330421", "stmt_rslt": "0", "stmt_rslt_dscr": "对账一致"}]},
            ensure_ascii=False)
    yield store, ids, d
    store.close()


def sql_sum(store, sql: str) -> Decimal:
    with store.read_connection() as c:
        return from_fen(c.exec_driver_sql(sql).scalar() or 0)


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def assert_fonts_embedded(path: Path) -> None:
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    for r in rows:
        assert r.split()[-5] == "yes", r  # emb column
        assert "WenQuanYi" in r, r


def test_zreport_csv_sums_equal_store(seeded, tmp_path):
    store, ids, _ = seeded
    z = reports.zreport(store, DAY.date(), institution=INST)
    rows = csv_rows(reports.zreport_csv(z))
    method_rows = [r for r in rows if r[0] == "收款方式"]
    # Σ by operator/method == all payments of the day in SQL (refunds are negative rows)
    day_pay = sql_sum(store, "SELECT SUM(amount) FROM payments WHERE date(created_at) = '2021-07-13'")
    assert sum(Decimal(r[5]) for r in method_rows) == day_pay == z.methods_total
    with store.read_connection() as c:
        n_rows = c.exec_driver_sql("SELECT COUNT(*) FROM payments WHERE date(created_at) = '2021-07-13'").scalar()
    assert sum(int(r[4]) for r in method_rows) == n_rows
    # settled totals == SUM over the day's settlements in SQL; net excludes the reversed one
    settled = {r[3]: r for r in rows if r[0] == "结算"}
    assert Decimal(settled["医疗费总额"][5]) == sql_sum(
        store, "SELECT SUM(medfee_sumamt) FROM settlements WHERE date(created_at) = '2021-07-13'")
    assert int(settled["医疗费总额"][4]) == len(PLAN)
    net = {r[3]: r for r in rows if r[0] == "净额"}
    assert Decimal(net["基金支付"][5]) == sql_sum(
        store, "SELECT SUM(fund_pay_sumamt) FROM settlements WHERE date(created_at) = '2021-07-13' "
               "AND state != 'reversed'")
    # the wechat settlement was reversed: its payment and refund cancel out
    wechat = [r for r in method_rows if r[3] == "微信支付"]
    assert [r[5] for r in wechat] == ["0.00"] and wechat[0][4] == "2"
    # cash count: T001 short by 0.50; T002 not counted
    cash = {(r[2], r[3]): r[5] for r in rows if r[0] == "现金清点"}
    assert cash[("T001", "差额（短款）")] == "-0.50"
    assert cash[("T002", "实点现金")] == ""
    t002_cash = sql_sum(store, "SELECT SUM(p.amount) FROM payments p JOIN settlements s ON s.id = p.settlement_id "
                               "WHERE s.opter = 'T002' AND p.method = 'cash'")
    assert Decimal(cash[("T002", "应有现金")]) == Decimal("100.00") + t002_cash
    assert [r for r in rows if r[0] == "对账"][0][3] == "3201 0"


def test_zreport_operator_filter_and_pdf(seeded, tmp_path):
    store, _, _ = seeded
    z = reports.zreport(store, DAY.date(), operator="T002", institution=INST)
    assert {m.opter for m in z.methods} == {"T002"}
    assert z.methods_total == sql_sum(
        store, "SELECT SUM(p.amount) FROM payments p JOIN settlements s ON s.id = p.settlement_id "
               "WHERE s.opter = 'T002' AND date(p.created_at) = '2021-07-13'")
    full = reports.zreport(store, DAY.date(), institution=INST)
    out = tmp_path / "z.pdf"
    render_zreport(full, out)
    assert_fonts_embedded(out)
    text = pdf_text(out)
    for figure in (full.settled.medfee_sumamt, full.net.medfee_sumamt, full.net.fund_pay_sumamt,
                   full.methods_total, full.cash[0].expected):
        assert fmt_display(figure) in text, figure
    assert "短款" in text and "对账一致" in text and "收费日结报表" in text and "培训收费员" in text


def test_monthly_rows_rates_and_pdf(seeded, tmp_path):
    store, ids, _ = seeded
    m = reports.monthly(store, "2021-07", institution=INST)
    by = {r.insuplc_admdvs: r for r in m.rows}
    assert m.reversed_count == 1
    # 330421: 3 settlements (one offline) + the previous-day one (same month) → 4, 1 offline
    assert (by["330421"].count, by["330421"].offline_count) == (4, 1)
    assert by["330421"].online_rate == Decimal("75.00")
    assert by["310118"].locality == "本地" and by["110105"].locality == "跨省异地"
    assert by["330421"].region_name == "嘉兴市嘉善县"
    # totals add up to the fen with the store's SQL over the month (not reversed)
    where = ("FROM settlements WHERE created_at >= '2021-07-01' AND created_at < '2021-08-01' "
             "AND state != 'reversed'")
    assert m.total.medfee_sumamt == sql_sum(store, "SELECT SUM(medfee_sumamt) " + where)
    assert m.total.fund_pay_sumamt == sql_sum(store, "SELECT SUM(fund_pay_sumamt) " + where)
    assert m.total.count == len(PLAN) - 1 + 1
    assert m.total.online_rate == reports.percent(m.total.online_count, m.total.count)
    assert m.cross_region.count == m.total.count - by["310118"].count
    rows = csv_rows(reports.monthly_csv(m))
    body = rows[1:-2]
    assert sum(Decimal(r[4]) for r in body) == Decimal(rows[-1][4]) == m.total.medfee_sumamt
    assert sum(Decimal(r[5]) for r in body) == Decimal(rows[-1][5]) == m.total.fund_pay_sumamt
    assert sum(int(r[3]) for r in body) == int(rows[-1][3])
    assert rows[-1][9] == f"{m.total.online_rate}%"
    out = tmp_path / "m.pdf"
    render_monthly(m, out)
    assert_fonts_embedded(out)
    text = pdf_text(out)
    for r in m.rows + [m.total, m.cross_region]:
        assert fmt_display(r.medfee_sumamt) in text and fmt_display(r.fund_pay_sumamt) in text
    assert f"联网结算率 {m.total.online_rate}%" in text and "嘉兴市嘉善县" in text


def test_report_cli_writes_pdf_csv_and_refuses_bad_input(seeded, tmp_path):
    store, _, data = seeded
    cmd = [sys.executable, "-m", "client", "report"]
    r = subprocess.run(cmd + ["monthly", "--data", str(data), "--month", "2021-07", "--out", str(tmp_path / "m.csv")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = csv_rows((tmp_path / "m.csv").read_bytes())
    assert Decimal(rows[-1][4]) == reports.monthly(store, "2021-07").total.medfee_sumamt
    r = subprocess.run(cmd + ["zreport", "--data", str(data), "--date", "2021-07-13", "--operator", "T001",
                              "--out", str(tmp_path / "z.pdf")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "z.pdf").read_bytes().startswith(b"%PDF")
    r = subprocess.run(cmd + ["zreport", "--data", str(data), "--date", "13/07/2021", "--out",
                              str(tmp_path / "bad.pdf")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "bad.pdf").exists()
