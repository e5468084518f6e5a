"""Shift close and day-end reconciliation (3201 + 9101/3202/9102) against the training platform."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from client.api import Operator
from client.services import dayend
from client.services.checkout import Counter, reverse_settlement
from client.services.context import open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.payments import Tender
from client.services.sync import SyncService

OP = Operator("T001", "培训收费员", "A03", "内科")
PEOPLE = ["330421198503150016", "320509195207080020", "310118199001010036", "310118197011162931"]
LINES = [("001102000010000", "1"), ("XJ01CRA006A001010104041", "12")]


@pytest.fixture
def day(platform, tmp_path):
    """A window with an open shift and four settlements (two insured places), one of them reversed."""
    s = training_settings_for(platform.url, tmp_path / "window")
    with open_context(s, operator=OP) as ctx:
        SyncService(ctx).run(bundles=["310118", "320509", "330421"])
        shift = dayend.open_shift(ctx.store, OP.opter, Decimal("200.00"))
        recs = []
        for certno in PEOPLE:
            c = Counter(ctx)
            c.identify_certno(certno)
            c.start_outpatient("11")
            for code, cnt in LINES:
                c.add_line(code, cnt)
            trial = c.presettle("1")
            c.acknowledge_prechecks("all")    # 事前提醒 confirmed by the operator (checkout requires it)
            recs.append(c.settle([Tender("cash", trial.psn_cash_pay + Decimal("10"))] if trial.psn_cash_pay else []))
        reverse_settlement(ctx, recs[-1]["setl_id"], _supervisor(ctx, recs[-1]["setl_id"]), reason="患者退费")
        _upload_invoices(ctx)    # the e-invoices of the day are uploaded (medsettle recover's job) before day end
        yield ctx, shift, recs


def _cash(recs) -> Decimal:
    return sum((Decimal(p["amount"]) for r in recs[:-1] for p in r["payments"] if p["method"] == "cash"), Decimal("0"))


def test_dayend_clean_close_and_reconciliation(day):
    ctx, shift, recs = day
    summary = dayend.shift_summary(ctx.store, shift)
    expected_cash = Decimal("200.00") + _cash(recs)          # the reversed one was refunded
    assert Decimal(summary["expected"]["cash"]) == expected_cash
    closed = dayend.close_shift(ctx.store, shift, {"cash": expected_cash})
    assert closed["closed_at"] and closed["forced_by"] is None
    assert [m["difference"] for m in closed["closing"]["methods"] if m["method"] == "cash"] == ["0.00"]

    rec = dayend.reconcile_day(ctx)
    assert rec["clean"], json.dumps(rec, ensure_ascii=False, indent=1)
    assert rec["records"] == 5                                # 4 settlements + 1 reversal record
    assert {t["setl_optins"] for t in rec["totals"]} == {"330421", "320509", "310118"}
    assert sum(t["fixmedins_setl_cnt"] for t in rec["totals"]) == 3
    report = dayend.day_report(ctx.store, reconciliation=rec)
    assert report["reconciliation"]["clean"] and report["shifts"][0]["closing"]["methods"]
    assert report["open_items"] == {"outbox": [], "unknown_settlements": []}
    json.dumps(report, ensure_ascii=False)                    # printable data only
    # The Z report printed later carries the counted cash and the kept reconciliation result.
    from datetime import date

    from client.services.reports import zreport

    z = zreport(ctx.store, date.today())
    assert [c.counted for c in z.cash] == [expected_cash] and [c.difference for c in z.cash] == [Decimal("0.00")]
    assert {(r["infno"], r["stmt_rslt"]) for r in z.reconciliation} == {("3201", "0"), ("3202", "0")}


def test_dayend_seeded_mismatch_names_the_settlement(day):
    ctx, _shift, recs = day
    victim = recs[1]
    with ctx.store.connection() as conn:
        info = json.loads(conn.exec_driver_sql("SELECT setlinfo_json FROM settlements WHERE id = ?",
                                               (victim["settlement_id"],)).scalar_one())
        info["medfee_sumamt"] = str(Decimal(info["medfee_sumamt"]) + Decimal("1.00"))
        conn.exec_driver_sql("UPDATE settlements SET setlinfo_json = ? WHERE id = ?",
                             (json.dumps(info, ensure_ascii=False), victim["settlement_id"]))
    rec = dayend.reconcile_day(ctx)
    assert not rec["clean"]
    assert rec["mismatched_settlements"] == [victim["settlement_id"]]
    bad_totals = [t for t in rec["totals"] if not t["balanced"]]
    assert len(bad_totals) == 1 and bad_totals[0]["setl_optins"] == info["clr_optins"]
    mm = [m for d in rec["details"] for m in d["mismatches"]]
    assert len(mm) == 1 and mm[0]["setl_id"] == victim["setl_id"] and mm[0]["msgid"] == victim["msgid"]
    assert mm[0]["local"]["medfee_sumamt"] != mm[0]["central"]["medfee_sumamt"]
    rows = dayend.reconciliation_for(ctx.store, date.today())
    bad = [r for r in rows if r["stmt_rslt"] != "0"]
    assert any(r["infno"] == "3202" and victim["setl_id"] in r["stmt_rslt_dscr"] for r in bad), rows


def test_dayend_close_blocked_while_outbox_unresolved_unless_forced(day):
    from offline_cache import outbox

    ctx, shift, recs = day
    with ctx.store.session() as s:
        outbox.enqueue(s, key="K-pending", kind="offline_checkout_test", payload={"x": 1})
    with pytest.raises(ServiceError) as ei:
        dayend.close_shift(ctx.store, shift, {"cash": Decimal("0")})
    assert ei.value.code == "blocked" and "medsettle recover" in ei.value.message
    with pytest.raises(ServiceError):
        dayend.close_shift(ctx.store, shift, {"cash": Decimal("0")}, force_by="S001")   # reason required
    with pytest.raises(ServiceError) as ei:          # the over/short is not confirmed
        dayend.close_shift(ctx.store, shift, {"cash": Decimal("100.00")}, force_by="S001", reason="网络故障，次日补传")
    assert "长短款" in ei.value.message and "确认" in ei.value.message
    with pytest.raises(ServiceError) as ei:          # confirmed, but no reason
        dayend.close_shift(ctx.store, shift, {"cash": Decimal("100.00")}, force_by="S001", reason="网络故障，次日补传",
                           confirm_difference=True)
    assert "原因" in ei.value.message
    out = dayend.close_shift(ctx.store, shift, {"cash": Decimal("100.00")}, force_by="S001", reason="网络故障，次日补传",
                             confirm_difference=True, difference_reason="备用金未清点")
    assert out["closing"]["difference_confirmed"] is True and out["closing"]["difference_reason"] == "备用金未清点"
    assert out["forced_by"] == "S001" and out["closing"]["forced"]
    assert out["closing"]["open_items"]["outbox"][0]["msgid"] == "K-pending"
    cash = [m for m in out["closing"]["methods"] if m["method"] == "cash"][0]
    assert Decimal(cash["difference"]) == Decimal("100.00") - (Decimal("200.00") + _cash(recs))


def _supervisor(ctx, setl_id: str):
    """A verified reversal authorization by training supervisor 0009 (checkout refuses anything else)."""
    from client.security.passwords import TEST_PARAMS, make_hasher
    from client.services.operators import OperatorService, seed_training_operators

    hasher = make_hasher(TEST_PARAMS)
    seed_training_operators(ctx.store, ctx.settings, hasher=hasher)
    return OperatorService(ctx.store, hasher=hasher).authorize(ctx.operator.opter, "0009", "Train-0009",
                                                               action="reverse", subject=setl_id)


def _upload_invoices(ctx) -> None:
    from client.services import invoicing

    platform = invoicing.EInvoicePlatform.from_settings(ctx.settings)
    try:
        res = invoicing.drain_invoice_uploads(ctx.store, platform)
    finally:
        platform.close()
    assert res.failed == res.needs_review == 0
