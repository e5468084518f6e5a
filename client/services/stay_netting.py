"""The deposit netting of one inpatient stay settlement, for the 出院结算单 (the settlement form) and
the screen (client/ui/inpatient.py): what the deposit balance was when the settlement came, how much
of it paid the settlement's psn_cash_pay (预交金抵扣), what was collected on top (补收) and — for the
final settlement — what went back to the patient (退还预交金, per channel).

Read from the stay's ledger (``stay_deposits``, client.services.inpatient) in ledger order: the rows
before the settlement's first ``applied`` row make the balance before it. Identities (to the fen):

    taken − refunded_before − applied_before == balance_before
    balance_before − applied == balance_after
    applied + collected == psn_cash_pay
    final: refunded == balance_after once the surplus refund is done (refund_pending otherwise)
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from client.domain.codes import PAYMENT_METHOD_NAMES
from client.domain.money import fmt2

ZERO = Decimal("0.00")
METHOD_NAMES = PAYMENT_METHOD_NAMES


def _fen(v: Any) -> Decimal:
    return (Decimal(v or 0) / 100).quantize(Decimal("0.01"))


def netting_of(conn: Any, settlement_id: int) -> dict | None:
    """The netting dict (amount strings) of settlement ``settlement_id``, or None when it is not the
    settlement of an inpatient stay (an outpatient visit, or a store without the stays table)."""
    dialect = getattr(getattr(conn, "dialect", None), "name", "sqlite")
    if dialect != "sqlite":                  # the hospital store (PostgreSQL) has no stays: nothing to net
        return None
    has = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stay_deposits'").first()
    if has is None:
        return None
    st = conn.exec_driver_sql("SELECT s.id, s.ipt_no, x.preview_json, x.setlinfo_json, x.created_at FROM settlements x "
                              "JOIN stays s ON s.visit_id = x.visit_id WHERE x.id = ?", (settlement_id,)).first()
    if st is None:
        return None
    stay_id, ipt_no, meta_js, info_js, created = st
    meta = json.loads(meta_js or "{}") or {}
    info = json.loads(info_js) if info_js else {}
    rows = [dict(r) for r in conn.exec_driver_sql(
        "SELECT id, kind, method, amount, state, settlement_id, reason, created_at FROM stay_deposits WHERE stay_id = ? "
        "ORDER BY id", (stay_id,)).mappings()]
    mine = [r for r in rows if r["kind"] == "applied" and r["settlement_id"] == settlement_id and r["state"] == "done"]
    if mine:
        cut = mine[0]["id"]
        before_rows = [r for r in rows if r["id"] < cut]
        after_rows = [r for r in rows if r["id"] > cut]
    else:                                   # nothing applied (balance 0 or nothing due): by time
        before_rows = [r for r in rows if str(r["created_at"]) <= str(created)]
        after_rows = [r for r in rows if str(r["created_at"]) > str(created)]
    done = [r for r in before_rows if r["state"] == "done"]
    taken = sum((_fen(r["amount"]) for r in done if r["kind"] == "deposit"), ZERO)
    refunded_before = sum((_fen(r["amount"]) for r in done if r["kind"] == "refund"), ZERO)
    applied_before = sum((_fen(r["amount"]) for r in done if r["kind"] == "applied"), ZERO) - \
        sum((_fen(r["amount"]) for r in done if r["kind"] == "restored"), ZERO)
    balance_before = taken - refunded_before - applied_before
    applied = sum((_fen(r["amount"]) for r in mine), ZERO)
    cash = Decimal(str(info.get("psn_cash_pay") or "0.00"))
    final = meta.get("mid_setl_flag") == "0"
    balance_after = balance_before - applied
    refunds = [r for r in after_rows if r["kind"] == "refund" and str(r["reason"] or "").startswith("出院结算退还")]
    refunded = sum((_fen(r["amount"]) for r in refunds if r["state"] == "done"), ZERO)
    return {
        "stay_id": stay_id, "ipt_no": ipt_no, "final": final, "mid_setl_flag": "0" if final else "1",
        "taken": fmt2(taken), "refunded_before": fmt2(refunded_before), "applied_before": fmt2(applied_before),
        "balance_before": fmt2(balance_before), "applied": fmt2(applied), "psn_cash_pay": fmt2(cash),
        "collected": fmt2(cash - applied), "balance_after": fmt2(balance_after),
        "refunded": fmt2(refunded) if final else "0.00",
        "refund_pending": fmt2(balance_after - refunded) if final else "0.00",
        "refunds": [{"method": r["method"], "method_name": METHOD_NAMES.get(r["method"], r["method"]),
                     "amount": fmt2(_fen(r["amount"])), "state": r["state"]} for r in refunds] if final else [],
    }
