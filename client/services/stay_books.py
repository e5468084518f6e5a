"""The deposit ledger's store-level rules that other services apply inside their own transactions
(checkout.reverse_settlement and recovery.mark_reversed restore a stay's applied deposit on a 2305).
Leaf module: SQL on the caller's connection, no service imports (client.services.inpatient re-exports)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

ZERO = Decimal("0.00")


def _fen(v) -> Decimal:
    return (Decimal(v or 0) / 100).quantize(Decimal("0.01"))


def restore_applied(conn, settlement_id: int, *, now: datetime, shift_id: int | None) -> Decimal:
    """A 2305 reversal of an inpatient settlement (checkout.reverse_settlement / recovery.mark_reversed):
    every deposit amount applied to it goes back to the balance (``restored`` rows), the stay is open for
    settlement again. Runs inside the caller's transaction. Returns the amount restored."""
    has = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stay_deposits'").first()
    if has is None:
        return ZERO
    total = ZERO
    rows = conn.exec_driver_sql(
        "SELECT a.id, a.stay_id, a.amount FROM stay_deposits a WHERE a.settlement_id = ? AND a.kind = 'applied' AND "
        "a.state = 'done' AND NOT EXISTS (SELECT 1 FROM stay_deposits r WHERE r.kind = 'restored' AND r.related_id = a.id)",
        (settlement_id,)).fetchall()
    for aid, stay_id, amt in rows:
        conn.exec_driver_sql(
            "INSERT INTO stay_deposits (stay_id, kind, method, amount, state, settlement_id, related_id, shift_id, "
            "reason, created_at, updated_at) VALUES (?, 'restored', 'deposit', ?, 'done', ?, ?, ?, '结算撤销（2305）', ?, ?)",
            (stay_id, amt, settlement_id, aid, shift_id, now, now))
        total += _fen(amt)
    st = conn.exec_driver_sql("SELECT s.id, s.state, x.preview_json FROM settlements x JOIN stays s ON s.visit_id = "
                              "x.visit_id WHERE x.id = ?", (settlement_id,)).first()
    if st is not None:
        final = (json.loads(st[2] or "{}") or {}).get("mid_setl_flag") == "0"
        if final and st[1] == "settled":
            conn.exec_driver_sql("UPDATE stays SET state = 'discharged', updated_at = ? WHERE id = ?", (now, st[0]))
        conn.exec_driver_sql("UPDATE visits SET state = 'uploaded', updated_at = ? WHERE id = (SELECT visit_id FROM stays "
                             "WHERE id = ?)", (now, st[0]))
    return total


def applied_of(conn, settlement_id: int) -> Decimal:
    """The deposit amount (net of restorations) that paid settlement ``settlement_id``'s psn_cash_pay."""
    has = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stay_deposits'").first()
    if has is None:
        return ZERO
    v = conn.exec_driver_sql("SELECT coalesce(sum(CASE kind WHEN 'applied' THEN amount ELSE -amount END), 0) FROM "
                             "stay_deposits WHERE settlement_id = ? AND state = 'done' AND kind IN ('applied', 'restored')",
                             (settlement_id,)).scalar_one()
    return _fen(v)
