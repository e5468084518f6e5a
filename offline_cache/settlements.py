"""The settlement lifecycle: every legal state change of a ``settlements`` row, in one table.

A settlement row is written BEFORE its request leaves the window (durable before network) and then
moves only along the edges below. Every writer — the checkout service, recovery, the offline
forwarder, the offline counter — goes through :func:`move` (Core connection) or :func:`advance`
(ORM row in a session); both refuse an edge that is not in :data:`TRANSITIONS` with
:class:`IllegalTransition`, so a bug can never turn, say, a reversed settlement back into a
confirmed one.

=============  ======================================================================================
state          meaning
=============  ======================================================================================
prepared       row written by an older version before its request (still resolved by recovery)
sent           2207/2304 sent (or about to be) with this row's msgid; answer not yet recorded
unknown        the answer was lost (timeout, reset) — recovery asks the platform (5203 / query)
failed         the platform refused, or has no record after the grace period: nothing was settled
provisional    settled offline at the counter; the outbox forwards it when the platform is back
confirmed      the platform's setlinfo/setldetail are recorded; payments recorded with it
reversed       2208/2305 confirmed (same-day reversal), refund payments recorded
=============  ======================================================================================

Amounts are written through the :class:`~offline_cache.types.Money` column type only (Core
``update`` with the ORM table, never hand-converted fen), JSON through :func:`jsonable` +
``json.dumps``, and reads come back as a typed :class:`SettlementRecord`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from .errors import StoreError
from .jsonutil import jsonable
from .models import SETTLEMENT_STATES, Settlement
from .types import to_fen

__all__ = [
    "AMOUNT_FIELDS",
    "INSERT_STATES",
    "TRANSITIONS",
    "IllegalTransition",
    "SettlementRecord",
    "advance",
    "check",
    "load",
    "load_by_setl_id",
    "move",
    "new",
]

#: the states a new row may be inserted in: an online attempt (``sent``), an offline insured
#: settlement (``provisional``), an offline self-pay settlement that needs no platform (``confirmed``).
INSERT_STATES = frozenset({"sent", "provisional", "confirmed"})

#: from-state → the states it may move to. ``sent → sent`` is the offline forwarder sending again
#: with the same msgid; ``unknown → unknown`` is recovery keeping a young attempt for later;
#: ``unknown → confirmed`` also covers a reversal whose answer was lost and that did not take effect.
TRANSITIONS: dict[str, frozenset[str]] = {
    "prepared": frozenset({"sent", "unknown", "failed", "confirmed", "reversed"}),
    "sent": frozenset({"sent", "unknown", "failed", "confirmed", "reversed"}),
    "unknown": frozenset({"unknown", "failed", "confirmed", "reversed"}),
    "provisional": frozenset({"sent", "confirmed"}),
    "confirmed": frozenset({"unknown", "reversed"}),
    "failed": frozenset(),
    "reversed": frozenset(),
}

AMOUNT_FIELDS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay")

assert set(TRANSITIONS) == set(SETTLEMENT_STATES), "every stored state has its row in the table"
assert all(t <= set(SETTLEMENT_STATES) for t in TRANSITIONS.values())
assert INSERT_STATES <= set(SETTLEMENT_STATES)

_COLUMNS = frozenset(c.name for c in Settlement.__table__.columns) - {"id", "state", "visit_id", "msgid"}


class IllegalTransition(StoreError):
    """A settlement state change that the lifecycle table does not allow (a programming error)."""

    def __init__(self, settlement_id: int | None, before: str | None, after: str):
        self.settlement_id, self.before, self.after = settlement_id, before, after
        super().__init__(f"结算记录 {settlement_id} 不能从“{before}”变为“{after}”（结算状态流转表不允许）。")


def check(before: str | None, after: str, settlement_id: int | None = None) -> None:
    """Raise :class:`IllegalTransition` unless ``before → after`` is an edge (``None`` = insert)."""
    if before is None:
        ok = after in INSERT_STATES
    else:
        ok = after in TRANSITIONS.get(before, frozenset())
    if not ok:
        raise IllegalTransition(settlement_id, before, after)


def _merge_meta(meta_js: str | None, meta: dict[str, Any]) -> str:
    """``preview_json`` with *meta* merged in; a dotted key (``"reversal.error"``) sets a nested value."""
    doc = json.loads(meta_js or "{}")
    for key, value in meta.items():
        *parents, leaf = key.split(".")
        node = doc
        for p in parents:
            nxt = node.get(p)
            if not isinstance(nxt, dict):
                nxt = node[p] = {}
            node = nxt
        node[leaf] = jsonable(value)
    return json.dumps(doc, ensure_ascii=False)


def _values(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - _COLUMNS - {"setlinfo", "setldetail"}
    if unknown:
        raise ValueError(f"settlements has no column {sorted(unknown)}")
    out = {k: v for k, v in fields.items() if k in _COLUMNS}
    if "setlinfo" in fields:
        out["setlinfo_json"] = json.dumps(jsonable(fields["setlinfo"]), ensure_ascii=False, sort_keys=True)
    if "setldetail" in fields:
        out["setldetail_json"] = json.dumps(jsonable(fields["setldetail"] or []), ensure_ascii=False)
    for k in AMOUNT_FIELDS:
        if k in out and out[k] == "":
            out[k] = None
        if k in out and out[k] is not None and not isinstance(out[k], Decimal):
            out[k] = Decimal(str(out[k]))       # wire strings
        if k in out:
            to_fen(out[k], k)                   # refused here (plain ValueError) when not exact to the fen
    return out


def new(state: str, **fields: Any) -> Settlement:
    """A new settlements row (to add to a session) in one of :data:`INSERT_STATES`."""
    check(None, state)
    return Settlement(state=state, **fields)


def move(conn: Connection, settlement_id: int, to: str | None = None, *, now: datetime,
         expect: Iterable[str] | None = None, meta: dict[str, Any] | None = None, **fields: Any) -> str:
    """Change one row (in the caller's transaction) and return the state it had.

    ``to`` — the new state (checked against :data:`TRANSITIONS`); ``None`` changes fields only.
    ``expect`` — the states the caller believes the row is in; anything else is refused.
    ``meta`` — keys merged into ``preview_json`` (dotted keys nest). Other keyword arguments are
    columns (amounts as Decimal or exact strings, through ``Money``) or ``setlinfo`` / ``setldetail``
    (stored as JSON)."""
    tbl = Settlement.__table__
    row = conn.execute(select(tbl.c.state, tbl.c.preview_json).where(tbl.c.id == settlement_id)).one_or_none()
    if row is None:
        raise StoreError(f"没有编号 {settlement_id} 的结算记录。")
    before, meta_js = row
    if expect is not None and before not in set(expect):
        raise IllegalTransition(settlement_id, before, to or before)
    values = _values(fields)
    if to is not None:
        check(before, to, settlement_id)
        values["state"] = to
    if meta:
        values["preview_json"] = _merge_meta(meta_js, meta)
    values["updated_at"] = now
    conn.execute(update(tbl).where(tbl.c.id == settlement_id).values(**values))
    return before


def advance(row: Settlement, to: str, *, now: datetime | None, **fields: Any) -> str:
    """The ORM twin of :func:`move` for code that holds the row in a session: check, set, return before.

    ``now=None`` keeps ``updated_at`` (recovery keeps the age of a young attempt)."""
    before = row.state
    check(before, to, row.id)
    for k, v in _values(fields).items():
        setattr(row, k, v)
    row.state = to
    if now is not None:
        row.updated_at = now
    return before


@dataclass(frozen=True)
class SettlementRecord:
    """One settlements row as the services read it: typed amounts, decoded JSON."""

    id: int
    visit_id: int
    msgid: str
    infno: str
    state: str
    setl_id: str | None
    mdtrt_id: str | None
    medfee_sumamt: Decimal | None
    fund_pay_sumamt: Decimal | None
    acct_pay: Decimal | None
    psn_cash_pay: Decimal | None
    revoke_msgid: str | None
    provisional: bool
    offline: bool
    opter: str | None
    shift_id: int | None
    print_count: int
    created_at: datetime | None
    updated_at: datetime | None
    setlinfo: dict = field(default_factory=dict)
    setldetail: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    @property
    def settled_online(self) -> bool:
        return self.state == "confirmed" and not self.provisional

    @classmethod
    def from_row(cls, r: Any) -> SettlementRecord:
        m = r._mapping
        return cls(id=m["id"], visit_id=m["visit_id"], msgid=m["msgid"], infno=m["infno"], state=m["state"],
                   setl_id=m["setl_id"], mdtrt_id=m["mdtrt_id"], medfee_sumamt=m["medfee_sumamt"],
                   fund_pay_sumamt=m["fund_pay_sumamt"], acct_pay=m["acct_pay"], psn_cash_pay=m["psn_cash_pay"],
                   revoke_msgid=m["revoke_msgid"], provisional=bool(m["provisional"]), offline=bool(m["offline"]),
                   opter=m["opter"], shift_id=m["shift_id"], print_count=m["print_count"] or 0,
                   created_at=m["created_at"], updated_at=m["updated_at"],
                   setlinfo=json.loads(m["setlinfo_json"] or "{}"),
                   setldetail=json.loads(m["setldetail_json"] or "[]"),
                   meta=json.loads(m["preview_json"] or "{}"))


def load(conn: Connection, settlement_id: int) -> SettlementRecord | None:
    r = conn.execute(select(Settlement.__table__).where(Settlement.__table__.c.id == settlement_id)).one_or_none()
    return None if r is None else SettlementRecord.from_row(r)


def load_by_setl_id(conn: Connection, setl_id: str) -> SettlementRecord | None:
    tbl = Settlement.__table__
    r = conn.execute(select(tbl).where(tbl.c.setl_id == setl_id).order_by(tbl.c.id.desc()).limit(1)).one_or_none()
    return None if r is None else SettlementRecord.from_row(r)
