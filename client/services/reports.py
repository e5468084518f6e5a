"""Report data from the local store: shift/day-end Z report and the monthly cross-region report.

Figures only (Decimal, exact to the fen — amounts are summed from INTEGER-fen columns); the PDF is
drawn by ``client.printing.reports`` and the CSV written by :func:`zreport_csv` /
:func:`monthly_csv` from the SAME objects, so paper and spreadsheet always agree.
Definitions: docs/reports.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from client.domain import regions
from client.domain.codes import PAYMENT_METHOD_NAMES, PAYMENT_METHOD_ORDER, payment_method_name
from client.domain.money import ZERO, fmt2
from offline_cache import outbox
from offline_cache.models import Invoice, Operator, Payment, Settlement, Shift, Visit

from .errors import ServiceError

CHRONIC_MED_TYPE = "14"   # 门诊慢特病: its own line in the Z report

__all__ = ["METHOD_NAMES", "CrossRegionRow", "MonthlyReport", "ZMethodRow", "ZReport", "ZCashRow",
           "monthly", "monthly_csv", "parse_month", "percent", "zreport", "zreport_csv"]

METHOD_NAMES = PAYMENT_METHOD_NAMES
METHOD_ORDER = PAYMENT_METHOD_ORDER
SETTLED = ("confirmed", "provisional", "reversed")
CENT = Decimal("0.01")


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part / whole`` in percent, 2 decimals ROUND_HALF_UP; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, ROUND_HALF_UP)


def pct_text(p: Decimal | None) -> str:
    return "—" if p is None else f"{p}%"


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def _setl_time(st: Settlement) -> datetime:
    try:
        info = json.loads(st.setlinfo_json or "{}")
        return datetime.strptime(str(info.get("setl_time"))[:19], "%Y-%m-%d %H:%M:%S")
    except (ValueError, TypeError):
        return st.created_at


def _reversal_time(st: Settlement) -> datetime:
    try:
        at = (json.loads(st.preview_json or "{}").get("reversal") or {}).get("at")
        if at:
            return datetime.strptime(str(at)[:19], "%Y-%m-%d %H:%M:%S")
    except (ValueError, TypeError, AttributeError):
        pass
    return st.updated_at


def _z(v: Decimal | None) -> Decimal:
    return v if v is not None else ZERO


# ---------------------------------------------------------------------------------------------
# Z report (shift / day end)
# ---------------------------------------------------------------------------------------------

@dataclass
class Totals:
    count: int = 0
    medfee_sumamt: Decimal = ZERO
    fund_pay_sumamt: Decimal = ZERO
    acct_pay: Decimal = ZERO
    psn_cash_pay: Decimal = ZERO

    def add(self, st: Settlement, sign: int = 1) -> None:
        self.count += sign
        self.medfee_sumamt += sign * _z(st.medfee_sumamt)
        self.fund_pay_sumamt += sign * _z(st.fund_pay_sumamt)
        self.acct_pay += sign * _z(st.acct_pay)
        self.psn_cash_pay += sign * _z(st.psn_cash_pay)

    def minus(self, other: Totals) -> Totals:
        return Totals(self.count - other.count, self.medfee_sumamt - other.medfee_sumamt,
                      self.fund_pay_sumamt - other.fund_pay_sumamt, self.acct_pay - other.acct_pay,
                      self.psn_cash_pay - other.psn_cash_pay)


@dataclass
class ZMethodRow:
    opter: str
    opter_name: str
    method: str
    count: int            # payment rows (refunds count too)
    amount: Decimal       # received − refunded

    @property
    def method_name(self) -> str:
        return METHOD_NAMES.get(self.method, self.method)


@dataclass
class ZCashRow:
    opter: str
    opter_name: str
    float_amt: Decimal           # 备用金 of the operator's shifts of the day
    cash_net: Decimal            # cash received − cash refunded
    counted: Decimal | None      # counted at the close (None = not counted yet)
    reasons: tuple[str, ...] = ()  # the confirmed over/short reasons given at the close (长短款原因)

    @property
    def expected(self) -> Decimal:
        return self.float_amt + self.cash_net

    @property
    def difference(self) -> Decimal | None:
        return None if self.counted is None else self.counted - self.expected

    @property
    def result(self) -> str:
        d = self.difference
        if d is None:
            return "未清点"
        return "平" if d == 0 else ("长款" if d > 0 else "短款")


@dataclass
class ZReport:
    day: date
    operator: str | None
    institution: dict
    generated_at: datetime
    settled: Totals
    reversed: Totals
    offline_count: int
    methods: list[ZMethodRow]
    cash: list[ZCashRow]
    invoices: dict[str, int]
    outbox_unresolved: int
    reconciliation: list[dict] = field(default_factory=list)  # 3201/3202 results, if day-end ran
    backsettle: dict = field(default_factory=dict)            # offline self-pay and 补结算 (backsettle.summary)
    # 门诊慢特病 (visits of med_type 14): their own line, part of settled / reversed above
    chronic: Totals = field(default_factory=Totals)
    chronic_reversed: Totals = field(default_factory=Totals)
    pay_channels: list = field(default_factory=list)         # payment codes per channel (codepay.channel_totals)
    pay_statement: dict | None = None                         # the gateway statement's reconciliation, if run
    # inpatient deposits (预交金, 0008b) of the day: taken / refunded (money moved: also in methods and
    # cash above) and applied to settlements (net of 2305 restorations: no money moved)
    deposits: dict = field(default_factory=dict)
    # 部分退费 of the day: their own line (the old settlement is in "reversed", the new one in "settled")
    partial_refunds: dict = field(default_factory=dict)

    @property
    def net(self) -> Totals:
        return self.settled.minus(self.reversed)

    @property
    def chronic_net(self) -> Totals:
        return self.chronic.minus(self.chronic_reversed)

    @property
    def methods_total(self) -> Decimal:
        return sum((r.amount for r in self.methods), ZERO)

    def method_totals(self) -> list[tuple[str, Decimal]]:
        agg: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for r in self.methods:
            agg[r.method] += r.amount
        return [(m, agg[m]) for m in METHOD_ORDER if m in agg]


def _opter_names(s) -> dict[str, str]:
    return {o.opter: o.opter_name for o in s.scalars(select(Operator))}


def _counted_cash(counted_json: str | None) -> tuple[Decimal | None, list[dict]]:
    """``shifts.counted_json``: ``{"cash": "1234.50", ...}`` or ``{"counted": {"cash": ...},
    "reconciliation": [...]}``. Returns (counted cash, reconciliation results)."""
    if not counted_json:
        return None, []
    try:
        doc = json.loads(counted_json)
    except ValueError:
        return None, []
    if not isinstance(doc, dict):
        return None, []
    counted = doc.get("counted") if isinstance(doc.get("counted"), dict) else doc
    recon = doc.get("reconciliation") or []
    if isinstance(recon, dict):
        recon = [recon]
    cash = counted.get("cash")
    if cash is None and isinstance(doc.get("methods"), list):      # client.services.dayend.close_shift
        cash = next((m.get("counted") for m in doc["methods"] if isinstance(m, dict) and m.get("method") == "cash"),
                    None)
    try:
        return (Decimal(str(cash)).quantize(CENT) if cash not in (None, "") else None), list(recon)
    except ArithmeticError:
        return None, list(recon)


def _difference_reason(counted_json: str | None) -> str:
    """The over/short reason confirmed at a shift close (client.services.dayend.close_shift), or ""."""
    try:
        doc = json.loads(counted_json or "{}")
    except ValueError:
        return ""
    return str(doc.get("difference_reason") or "") if isinstance(doc, dict) else ""


def _dayend_reconciliation(store: Any, day: date) -> list[dict]:
    """3201/3202 results from the day-end service, when it provides ``reconciliation_for(store, day)``."""
    try:
        from client.services import dayend  # type: ignore[attr-defined]
    except ImportError:
        return []
    fn = getattr(dayend, "reconciliation_for", None)
    if fn is None:
        return []
    try:
        out = fn(store, day) or []
    except Exception:  # noqa: BLE001 - the report must still print without the day-end data
        return []
    return [out] if isinstance(out, dict) else list(out)


def zreport(store: Any, day: date, *, operator: str | None = None, institution: dict | None = None,
            reconciliation: list[dict] | None = None, pay_statement: dict | None = None) -> ZReport:
    """The Z report of ``day`` (all operators, or one). Settlements count on their settlement day,
    reversals on their reversal day; payments (refunds are negative rows) on their own day."""
    start, end = _day_bounds(day)
    settled, rev = Totals(), Totals()
    offline = 0
    methods: dict[tuple[str, str], list] = {}
    cash_by_op: dict[str, Decimal] = defaultdict(lambda: ZERO)
    with store.read_session() as s:
        names = _opter_names(s)
        q = select(Settlement).where(Settlement.state.in_(SETTLED))
        if operator:
            q = q.where(Settlement.opter == operator)
        sts = list(s.scalars(q))
        by_id = {st.id: st for st in sts}
        for st in sts:  # checkout keeps the cashier's name in preview_json
            if st.opter and st.opter not in names:
                try:
                    nm = (json.loads(st.preview_json or "{}").get("cashier") or {}).get("opter_name")
                except (ValueError, AttributeError):
                    nm = None
                if nm:
                    names[st.opter] = nm
        chronic_ids = {vid for vid, in s.execute(select(Visit.id).where(Visit.med_type == CHRONIC_MED_TYPE))}
        chronic, chronic_rev = Totals(), Totals()
        for st in sts:
            is_chronic = st.visit_id in chronic_ids
            if start <= _setl_time(st) < end:
                settled.add(st)
                offline += 1 if st.offline else 0
                if is_chronic:
                    chronic.add(st)
            if st.state == "reversed" and start <= _reversal_time(st) < end:
                rev.add(st)
                if is_chronic:
                    chronic_rev.add(st)
        pq = select(Payment).where(Payment.created_at >= start, Payment.created_at < end).order_by(Payment.id)
        for p in s.scalars(pq):
            st = by_id.get(p.settlement_id)
            if st is None:
                continue
            key = (st.opter or "", p.method)
            row = methods.setdefault(key, [0, ZERO])
            row[0] += 1
            row[1] += p.amount
            if p.method == "cash":
                cash_by_op[st.opter or ""] += p.amount
        deposits = {k: [0, ZERO] for k in ("deposit", "refund", "applied", "restored")}
        has_dep = s.connection().exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stay_deposits'").first() is not None
        dq = ("SELECT opter, kind, method, amount FROM stay_deposits WHERE state = 'done' AND created_at >= ? AND "
              "created_at < ?" + (" AND opter = ?" if operator else "") + " ORDER BY id")
        for op_, kind, method, amt in (s.connection().exec_driver_sql(
                dq, (start, end, operator) if operator else (start, end)) if has_dep else []):
            a = Decimal(amt or 0) / 100
            deposits[kind][0] += 1
            deposits[kind][1] += a
            if kind in ("deposit", "refund"):
                signed = a if kind == "deposit" else -a
                row = methods.setdefault((op_ or "", method), [0, ZERO])
                row[0] += 1
                row[1] += signed
                if method == "cash":
                    cash_by_op[op_ or ""] += signed
        shq = select(Shift).where(Shift.opened_at >= start, Shift.opened_at < end)
        if operator:
            shq = shq.where(Shift.opter == operator)
        floats: dict[str, Decimal] = defaultdict(lambda: ZERO)
        reasons: dict[str, list[str]] = defaultdict(list)
        counted: dict[str, Decimal | None] = {}
        recon: list[dict] = []
        for sh in s.scalars(shq.order_by(Shift.id)):
            floats[sh.opter] += _z(sh.float_amt)
            c, r = _counted_cash(sh.counted_json)
            recon += r
            why = _difference_reason(sh.counted_json)
            if why:
                reasons[sh.opter].append(why)
            if c is not None:
                counted[sh.opter] = (counted.get(sh.opter) or ZERO) + c
            else:
                counted.setdefault(sh.opter, None)
        iq = select(Invoice).where(Invoice.created_at >= start, Invoice.created_at < end)
        inv_counts: dict[str, int] = defaultdict(int)
        for inv in s.scalars(iq):
            if operator and (by_id.get(inv.settlement_id) is None):
                continue
            inv_counts[inv.kind + ":" + inv.state] += 1
        unresolved = outbox.count_unresolved(s)
    ops = sorted(set(cash_by_op) | set(floats))
    cash_rows = [ZCashRow(o, names.get(o, o), floats.get(o, ZERO), cash_by_op.get(o, ZERO), counted.get(o),
                          tuple(reasons.get(o, ()))) for o in ops]
    mrows = [ZMethodRow(o, names.get(o, o), m, v[0], v[1])
             for (o, m), v in sorted(methods.items(), key=lambda kv: (kv[0][0], METHOD_ORDER.index(kv[0][1])
                                                                      if kv[0][1] in METHOD_ORDER else 99))]
    if reconciliation is None:
        reconciliation = recon or _dayend_reconciliation(store, day)
    return ZReport(day, operator, institution or {}, datetime.now().replace(microsecond=0), settled, rev, offline,
                   mrows, cash_rows, dict(inv_counts), unresolved, list(reconciliation), _backsettle(store, day),
                   chronic, chronic_rev, _pay_channels(store, day), pay_statement,
                   {"taken": fmt2(deposits["deposit"][1]), "taken_count": deposits["deposit"][0],
                    "refunded": fmt2(deposits["refund"][1]), "refunded_count": deposits["refund"][0],
                    "applied": fmt2(deposits["applied"][1] - deposits["restored"][1]),
                    "applied_count": deposits["applied"][0], "restored": fmt2(deposits["restored"][1])},
                   _partial_refunds(store, day, operator))


def _partial_refunds(store: Any, day: date, operator: str | None = None) -> dict:
    """部分退费 done or being finished on ``day``: count, the old and new patient cash shares, the refund and
    its parts per payment method (client.services.partial_refund plan). {} when there are none."""
    start, end = _day_bounds(day)
    try:
        with store.read_connection() as conn:
            rows = conn.exec_driver_sql(
                "SELECT state, old_psn_cash_pay, new_psn_cash_pay, refund_amount, plan_json, opter FROM partial_refunds "
                "WHERE state IN ('settled', 'refunded', 'invoiced') AND updated_at >= ? AND updated_at < ?",
                (start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S"))).fetchall()
    except Exception:  # noqa: BLE001 - a store before migration 0008a has no partial refunds
        return {}
    out: dict = {"count": 0, "old_psn_cash_pay": ZERO, "new_psn_cash_pay": ZERO, "refund": ZERO, "by_method": {},
                 "open": 0}
    for state, old, new, refund, plan, opter in rows:
        if operator and opter != operator:
            continue
        out["count"] += 1
        out["open"] += 0 if state == "invoiced" else 1
        out["old_psn_cash_pay"] += Decimal(old or 0) / 100
        out["new_psn_cash_pay"] += Decimal(new or 0) / 100
        out["refund"] += Decimal(refund or 0) / 100
        for p in json.loads(plan or "[]"):
            if p.get("refund"):
                out["by_method"][p["method"]] = out["by_method"].get(p["method"], ZERO) + Decimal(p["refund"])
    return out if out["count"] else {}


def _pay_channels(store: Any, day: date) -> list:
    from .codepay import channel_totals

    try:
        return channel_totals(store, day)
    except Exception:  # noqa: BLE001 - a store before migration 0007y has no pay_trades
        return []


def _backsettle(store: Any, day: date) -> dict:
    """The day's offline full self-pay visits and their 补结算 (``all_owed``: refunds owed of every day)."""
    from .backsettle import summary

    out = summary(store, day)
    total = summary(store)
    out["all_refunds_owed"], out["all_refunds_owed_amount"] = total["refunds_owed"], total["refunds_owed_amount"]
    return out


def _csv_bytes(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def zreport_csv(r: ZReport) -> bytes:
    """UTF-8 with BOM (Excel). One table: 类别, 收费员, 工号, 项目, 笔数, 金额 — the same figures as the PDF."""
    rows: list[list[Any]] = [["类别", "收费员", "工号", "项目", "笔数", "金额"]]
    for label, t in (("结算", r.settled), ("撤销", r.reversed), ("净额", r.net)):
        rows.append([label, "", "", "医疗费总额", t.count, fmt2(t.medfee_sumamt)])
        rows.append([label, "", "", "基金支付", "", fmt2(t.fund_pay_sumamt)])
        rows.append([label, "", "", "个人账户支付", "", fmt2(t.acct_pay)])
        rows.append([label, "", "", "个人现金支付", "", fmt2(t.psn_cash_pay)])
    if r.chronic.count or r.chronic_reversed.count:
        for label, t in (("门诊慢特病·结算", r.chronic), ("门诊慢特病·撤销", r.chronic_reversed),
                         ("门诊慢特病·净额", r.chronic_net)):
            rows.append([label, "", "", "医疗费总额", t.count, fmt2(t.medfee_sumamt)])
            rows.append([label, "", "", "基金支付", "", fmt2(t.fund_pay_sumamt)])
            rows.append([label, "", "", "个人账户支付", "", fmt2(t.acct_pay)])
            rows.append([label, "", "", "个人现金支付", "", fmt2(t.psn_cash_pay)])
    b = r.backsettle or {}
    if b.get("offline_self_pay") or b.get("backsettled") or b.get("all_refunds_owed"):
        rows.append(["补结算", "", "", "离线全自费", b.get("offline_self_pay", 0), ""])
        rows.append(["补结算", "", "", "待补结算（含补结算中）", b.get("queued", 0) + b.get("in_progress", 0), ""])
        rows.append(["补结算", "", "", "已补结算", b.get("backsettled", 0), ""])
        rows.append(["补结算", "", "", "退还医保支付部分·待退", b.get("refunds_owed", 0), b.get("refunds_owed_amount", "0.00")])
        rows.append(["补结算", "", "", "退还医保支付部分·已退", b.get("refunds_paid", 0), b.get("refunds_paid_amount", "0.00")])
        rows.append(["补结算", "", "", "拒绝或放弃补结算（保持全自费）", b.get("refused", 0) + b.get("declined", 0), ""])
    d = r.deposits or {}
    if d.get("taken_count") or d.get("refunded_count") or d.get("applied_count"):
        rows.append(["预交金", "", "", "交预交金", d.get("taken_count", 0), d.get("taken", "0.00")])
        rows.append(["预交金", "", "", "退预交金", d.get("refunded_count", 0), d.get("refunded", "0.00")])
        rows.append(["预交金", "", "", "预交金冲抵结算（净额）", d.get("applied_count", 0), d.get("applied", "0.00")])
    pr = r.partial_refunds or {}
    if pr.get("count"):
        rows.append(["部分退费", "", "", "原个人现金支付", pr["count"], fmt2(pr["old_psn_cash_pay"])])
        rows.append(["部分退费", "", "", "新个人现金支付", "", fmt2(pr["new_psn_cash_pay"])])
        rows.append(["部分退费", "", "", "退还患者", "", fmt2(pr["refund"])])
        for method, amt in sorted(pr.get("by_method", {}).items()):
            rows.append(["部分退费", "", "", f"退还·{payment_method_name(method)}", "", fmt2(amt)])
    for m in r.methods:
        rows.append(["收款方式", m.opter_name, m.opter, m.method_name, m.count, fmt2(m.amount)])
    for c in r.cash:
        rows.append(["现金清点", c.opter_name, c.opter, "备用金", "", fmt2(c.float_amt)])
        rows.append(["现金清点", c.opter_name, c.opter, "现金净收", "", fmt2(c.cash_net)])
        rows.append(["现金清点", c.opter_name, c.opter, "应有现金", "", fmt2(c.expected)])
        rows.append(["现金清点", c.opter_name, c.opter, "实点现金", "", "" if c.counted is None else fmt2(c.counted)])
        rows.append(["现金清点", c.opter_name, c.opter, f"差额（{c.result}）", "",
                     "" if c.difference is None else fmt2(c.difference)])
        for why in c.reasons:
            rows.append(["现金清点", c.opter_name, c.opter, "长短款原因", "", why])
    for rc in r.reconciliation:
        rows.append(["对账", "", "", f"{rc.get('infno', '')} {rc.get('stmt_rslt', '')}",
                     "", str(rc.get("stmt_rslt_dscr") or "")])
    return _csv_bytes(rows)


# ---------------------------------------------------------------------------------------------
# Monthly cross-region report
# ---------------------------------------------------------------------------------------------

@dataclass
class CrossRegionRow:
    insuplc_admdvs: str
    region_name: str
    locality: str              # 本地 | 省内异地 | 跨省异地
    count: int = 0
    online_count: int = 0
    offline_count: int = 0
    medfee_sumamt: Decimal = ZERO
    fund_pay_sumamt: Decimal = ZERO

    @property
    def fund_share(self) -> Decimal | None:
        return percent(self.fund_pay_sumamt, self.medfee_sumamt)

    @property
    def online_rate(self) -> Decimal | None:
        return percent(self.online_count, self.count)


@dataclass
class MonthlyReport:
    month: str                       # YYYY-MM
    institution: dict
    generated_at: datetime
    rows: list[CrossRegionRow]       # by insured place, cross-region first (by medfee desc)
    reversed_count: int              # settlements of the month reversed (excluded from the rows)

    def _sum(self, rows: list[CrossRegionRow], label: str) -> CrossRegionRow:
        t = CrossRegionRow("", label, "")
        for r in rows:
            t.count += r.count
            t.online_count += r.online_count
            t.offline_count += r.offline_count
            t.medfee_sumamt += r.medfee_sumamt
            t.fund_pay_sumamt += r.fund_pay_sumamt
        return t

    @property
    def cross_region(self) -> CrossRegionRow:
        return self._sum([r for r in self.rows if r.locality != "本地"], "异地合计")

    @property
    def total(self) -> CrossRegionRow:
        return self._sum(self.rows, "全部合计")


def parse_month(text: str) -> tuple[date, date]:
    try:
        first = datetime.strptime(text.strip(), "%Y-%m").date()
    except (ValueError, AttributeError):
        raise ServiceError("invalid_input", f"月份“{text}”格式不对，应为 YYYY-MM，例如 2021-07。") from None
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def monthly(store: Any, month: str, *, institution: dict | None = None, mdtrtarea_admvs: str | None = None
            ) -> MonthlyReport:
    """Settlements of ``month`` by insured place. Counted: settled (online or offline) and not
    reversed. 联网结算率 = settlements settled online / all settlements of the row."""
    first, nxt = parse_month(month)
    start, end = datetime.combine(first, time.min), datetime.combine(nxt, time.min)
    here = mdtrtarea_admvs or (institution or {}).get("admdvs") or ""
    rows: dict[str, CrossRegionRow] = {}
    reversed_count = 0
    with store.read_session() as s:
        q = (select(Settlement, Visit.insuplc_admdvs).join(Visit, Visit.id == Settlement.visit_id)
             .where(Settlement.state.in_(SETTLED)))
        for st, insuplc in s.execute(q):
            if not start <= _setl_time(st) < end:
                continue
            if st.state == "reversed":
                reversed_count += 1
                continue
            code = insuplc or "000000"
            row = rows.get(code)
            if row is None:
                row = rows[code] = CrossRegionRow(code, regions.region_name(code) if regions.is_valid_admdvs(code)
                                                  else "未知参保地", _locality(code, here))
            row.count += 1
            if st.offline:
                row.offline_count += 1
            else:
                row.online_count += 1
            row.medfee_sumamt += _z(st.medfee_sumamt)
            row.fund_pay_sumamt += _z(st.fund_pay_sumamt)
    order = {"跨省异地": 0, "省内异地": 1, "本地": 2, "": 3}
    ordered = sorted(rows.values(), key=lambda r: (order.get(r.locality, 3), -r.medfee_sumamt, r.insuplc_admdvs))
    return MonthlyReport(month, institution or {}, datetime.now().replace(microsecond=0), ordered, reversed_count)


def _locality(insuplc: str, here: str) -> str:
    if not here:
        return ""
    try:
        return regions.classify_locality(insuplc, here).label
    except ValueError:
        return ""


def monthly_csv(r: MonthlyReport) -> bytes:
    """UTF-8 with BOM: one row per insured place, then 异地合计 and 全部合计 (same figures as the PDF)."""
    rows: list[list[Any]] = [["参保地区划", "参保地", "类别", "结算笔数", "医疗费总额", "基金支付", "基金支付占比",
                              "联网结算笔数", "离线结算笔数", "联网结算率"]]
    for x in r.rows + [r.cross_region, r.total]:
        rows.append([x.insuplc_admdvs, x.region_name, x.locality, x.count, fmt2(x.medfee_sumamt),
                     fmt2(x.fund_pay_sumamt), pct_text(x.fund_share), x.online_count, x.offline_count,
                     pct_text(x.online_rate)])
    return _csv_bytes(rows)
