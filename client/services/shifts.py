"""Shifts (班次): opening one and the guard every money-moving action calls first.

``require_shift`` is called by checkout (pre-settle, settle), reversals, offline settlement and
adjustments, so it lives apart from the day end (``dayend`` closes shifts and reconciles; it imports
this module, never the other way round).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from client.domain.money import fmt2, q2

from .errors import ServiceError

__all__ = ["current_shift", "open_shift", "require_shift"]

ZERO = Decimal("0.00")


def open_shift(store, opter: str, float_amt: Decimal = ZERO, *, now: datetime | None = None) -> int:
    """Open a shift for ``opter`` with an opening cash float; refuses a second open shift."""
    from offline_cache import audit
    from offline_cache.models import Shift

    t = now or datetime.now()
    with store.session() as s:
        r = s.connection().exec_driver_sql("SELECT id FROM shifts WHERE opter = ? AND closed_at IS NULL",
                                           (opter,)).fetchone()
        if r is not None:
            raise ServiceError("invalid_input", f"收费员 {opter} 已有未交班的班次（{r[0]}），请先交班。")
        sh = Shift(opter=opter, opened_at=t, float_amt=q2(float_amt))
        s.add(sh)
        s.flush()
        audit.append(s, actor=opter, action="shift.open", detail={"shift_id": sh.id, "float": fmt2(float_amt)})
        return sh.id


def current_shift(store, opter: str) -> int | None:
    with store.read_connection() as conn:
        r = conn.exec_driver_sql("SELECT id FROM shifts WHERE opter = ? AND closed_at IS NULL ORDER BY id DESC LIMIT 1",
                                 (opter,)).fetchone()
    return r[0] if r else None


def require_shift(store, opter: str, action: str = "收费") -> int:
    """The open shift of ``opter`` in this window's store, or ServiceError('shift'): no settlement,
    reversal, refund or adjustment without one (window and CLI alike). A window's store belongs to
    one window, so "this operator's open shift here" is "at this window"."""
    sid = current_shift(store, opter)
    if sid is None:
        raise ServiceError("shift", f"收费员 {opter} 在本窗口没有开班，不能{action}。请先开班（窗口：Ctrl+K 开班；"
                                    f"命令行：medsettle shift open --operator {opter} --float 备用金）。")
    return sid
