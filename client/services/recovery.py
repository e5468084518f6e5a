"""Crash recovery: resolve settlements whose outcome is unknown by ASKING the platform.

Called on start-up (the window, before the first checkout) and by ``medsettle recover``.
Nothing is ever resent blindly: a settlement row holds the msgid of its 2207/2304 (committed
before the request left this machine), and the platform stores that msgid as ``medins_setl_id``.

Decision table (docs/offline-and-recovery.md §3 is the version for the finance office):

=====================================  ==============================================================
 local row (state, online settlement)   what recovery does
=====================================  ==============================================================
 outbox item left ``sending``           back to ``pending`` (the drain resends it with the SAME msgid;
                                        the platform's msgid idempotency answers a repeat with the
                                        stored result, so it is processed at most once)
 ``prepared`` / ``sent`` / ``unknown``  5203 by ``medins_setl_id`` = msgid (falls back to ``mdtrt_id``
                                        and checks the medins_setl_id):
   · platform has it, not reversed      → ``confirmed`` with the platform's setlinfo/setldetail; the
                                          visit becomes ``settled``; if the patient's share was not
                                          (fully) taken the settlement is listed as 待收款
   · platform has it, reversed          → ``reversed``
   · platform has no record, and the    → ``failed`` (未结算, shown in the recovery summary and the
     request is older than the grace      day-end report; the cashier settles the patient again)
     period (read timeout + margin)
   · no record yet, request younger     → stays ``unknown`` (a request may still be in flight);
     than the grace period                asked again later (``recover --wait`` waits for it)
   · platform unreachable / refuses     → stays ``unknown`` and blocks the shift close
     the query
 offline settlements (``provisional``)  not touched here: the store-and-forward drain sends them
=====================================  ==============================================================

A reversal (2208/2305, ``checkout.reverse_settlement``) whose answer was lost leaves the row
``unknown`` with ``revoke_msgid`` set: 5203 of the original shows ``revs_flag`` — "1" → ``reversed``
(reversal record + refund payments written locally), "0" → back to ``confirmed``.

Reversal of a settlement confirmed by recovery is never automatic: it is a finance decision (patient
gone and the share not taken, see the docs) executed with ``checkout.reverse_settlement`` under a
supervisor's authorisation.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from client.api import ApiError, BusinessError, TransportError
from client.api.transactions import QuerySettlement
from client.domain.money import fmt2, q2
from offline_cache import settlements as lifecycle
from offline_cache.jsonutil import jsonable

from .errors import ServiceError

log = logging.getLogger("client.services.recovery")

UNRESOLVED_STATES = ("prepared", "sent", "unknown")
ZERO = Decimal("0.00")
DEFAULT_GRACE_MARGIN_S = 30.0


def _dec(v) -> Decimal | None:
    if v in (None, ""):
        return None
    try:
        return q2(Decimal(str(v)))
    except ArithmeticError:
        return None


def normalise_setlinfo(raw: dict) -> dict:
    """A setlinfo dict (2207 or 5203) with ``psn_cash_pay``/``psn_part_amt`` always present
    (5203 names them ``cash_payamt``/``psn_pay``, reference §0)."""
    info = dict(raw)
    if info.get("psn_cash_pay") in (None, "") and info.get("cash_payamt") not in (None, ""):
        info["psn_cash_pay"] = info["cash_payamt"]
    if info.get("psn_part_amt") in (None, "") and info.get("psn_pay") not in (None, ""):
        info["psn_part_amt"] = info["psn_pay"]
    return info


def apply_central(session, settlement, setlinfo: dict, setldetail: list, *, now: datetime | None = None,
                  to: str = "confirmed") -> None:
    """Write the platform's settlement onto the local row (in the caller's transaction): state
    ``confirmed`` (or ``reversed`` when the platform shows it reversed), setl_id, amounts,
    setlinfo/setldetail JSON; the visit becomes ``settled``."""
    from offline_cache.models import Visit

    t = now or datetime.now()
    info = normalise_setlinfo(jsonable(setlinfo))
    lifecycle.advance(settlement, to, now=t, setl_id=info.get("setl_id") or settlement.setl_id,
                      mdtrt_id=info.get("mdtrt_id") or settlement.mdtrt_id,
                      **{k: info.get(k) for k in lifecycle.AMOUNT_FIELDS},
                      setlinfo=info, setldetail=setldetail or [], provisional=False)
    visit = session.get(Visit, settlement.visit_id)
    if visit is not None and visit.state not in ("reversed", "cancelled"):
        visit.state = "settled"
        if info.get("mdtrt_id") and not visit.mdtrt_id:
            visit.mdtrt_id = info["mdtrt_id"]
        visit.updated_at = t


@dataclass
class Resolution:
    settlement_id: int
    msgid: str
    before: str
    after: str
    note: str = ""
    setl_id: str = ""
    within_grace: bool = False     # not found, but asked before its grace period was over: ask again later

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class RecoveryReport:
    outbox_reset: int = 0
    resolutions: list[Resolution] = field(default_factory=list)
    unpaid: list[dict] = field(default_factory=list)      # confirmed centrally, share not (fully) taken
    drain: dict | None = None
    remaining_unknown: int = 0
    remaining_outbox: int = 0         # pending + sending + failed
    needs_review: int = 0
    invoices_owed: int = 0            # settlements still without their e-invoice / red letter
    started: datetime | None = None

    @property
    def clean(self) -> bool:
        return (self.remaining_unknown == 0 and self.remaining_outbox == 0 and self.needs_review == 0
                and self.invoices_owed == 0)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.resolutions:
            out[r.after] = out.get(r.after, 0) + 1
        return out

    def to_dict(self) -> dict:
        return {"outbox_reset": self.outbox_reset, "resolved": self.counts(),
                "resolutions": [r.to_dict() for r in self.resolutions], "unpaid": self.unpaid,
                "drain": self.drain, "remaining_unknown": self.remaining_unknown,
                "remaining_outbox": self.remaining_outbox, "needs_review": self.needs_review,
                "invoices_owed": self.invoices_owed, "clean": self.clean}

    def message(self) -> str:
        c = self.counts()
        parts = [f"确认已结算 {c.get('confirmed', 0)} 笔", f"确认未结算 {c.get('failed', 0)} 笔",
                 f"已撤销 {c.get('reversed', 0)} 笔"]
        if self.remaining_unknown:
            parts.append(f"仍待确认 {self.remaining_unknown} 笔（医保中心暂时无法确认，请稍后再执行 medsettle recover）")
        if self.remaining_outbox:
            parts.append(f"待上传 {self.remaining_outbox} 笔")
        if self.needs_review:
            parts.append(f"被医保中心拒绝待人工处理 {self.needs_review} 笔")
        if self.invoices_owed:
            parts.append(f"电子票据待开具 {self.invoices_owed} 笔（电子票据平台联通后执行 medsettle recover 补开）")
        if self.unpaid:
            parts.append(f"已结算但未收款 {len(self.unpaid)} 笔（请收取患者自付部分或按规定撤销）")
        return "恢复完成：" + "，".join(parts) + "。"


def grace_seconds(ctx) -> float:
    p = ctx.settings.platform
    return float(p.connect_timeout + p.read_timeout + DEFAULT_GRACE_MARGIN_S)


def query_by_msgid(ctx, *, msgid: str, psn_no: str, mdtrt_id: str | None, insuplc_admdvs: str):
    """5203 for the settlement whose medins_setl_id is ``msgid``. Returns the SettleResult or None
    when the platform has no such settlement. TransportError propagates (nothing known)."""
    try:
        return ctx.call(QuerySettlement(psn_no=psn_no, medins_setl_id=msgid, insuplc_admdvs=insuplc_admdvs or ""))
    except BusinessError as exc:
        log.info("5203 by medins_setl_id %s: %s", msgid, exc.err_msg)
    if not mdtrt_id:
        return None
    try:
        res = ctx.call(QuerySettlement(psn_no=psn_no, mdtrt_id=mdtrt_id, insuplc_admdvs=insuplc_admdvs or ""))
    except BusinessError as exc:
        log.info("5203 by mdtrt_id %s: %s", mdtrt_id, exc.err_msg)
        return None
    if res.setlinfo.medins_setl_id and res.setlinfo.medins_setl_id != msgid:
        return None      # a different settlement of the same visit (another attempt)
    return res


def resolve_one(ctx, settlement_id: int, *, grace_s: float, now: datetime | None = None) -> Resolution:
    """Resolve one online settlement in prepared/sent/unknown by asking the platform."""
    from offline_cache import audit
    from offline_cache.models import Settlement, Visit

    with ctx.store.read_session() as s:
        row = s.get(Settlement, settlement_id)
        if row is None:
            raise ServiceError("invalid_input", f"没有编号 {settlement_id} 的结算记录。")
        visit = s.get(Visit, row.visit_id)
        msgid, before, updated = row.msgid, row.state, row.updated_at
        psn_no = visit.psn_no if visit else ""
        mdtrt_id = row.mdtrt_id or (visit.mdtrt_id if visit else None)
        adm = (visit.insuplc_admdvs if visit else "") or ""
    if before not in UNRESOLVED_STATES:
        return Resolution(settlement_id, msgid, before, before, "无需处理")
    t = now or datetime.now()
    try:
        res = query_by_msgid(ctx, msgid=msgid, psn_no=psn_no, mdtrt_id=mdtrt_id, insuplc_admdvs=adm)
    except TransportError as exc:
        return Resolution(settlement_id, msgid, before, before, f"医保中心暂时无法连接（{exc.cause}），稍后再确认")
    except ApiError as exc:
        return Resolution(settlement_id, msgid, before, before, str(exc))
    with ctx.store.session() as s:
        row = s.get(Settlement, settlement_id)
        if row.state != before:      # someone else resolved it meanwhile
            return Resolution(settlement_id, msgid, before, row.state, "已由其他流程处理")
        if res is not None:
            raw = normalise_setlinfo(res.setlinfo.raw)
            reversed_centrally = str(raw.get("revs_flag") or "0") == "1"
            if row.revoke_msgid and row.setl_id:
                # a reversal (2208/2305) whose answer was lost: the original settlement is known
                if reversed_centrally:
                    mark_reversed(s, row, raw, now=t)
                    after, note = "reversed", "医保中心显示撤销已完成，本地补记撤销和退款"
                else:
                    lifecycle.advance(row, "confirmed", now=t, revoke_msgid=None)
                    after, note = "confirmed", "撤销未在医保中心生效，结算仍有效；如需撤销请重新办理"
            elif reversed_centrally:
                apply_central(s, row, raw, [d.raw for d in res.setldetail], now=t, to="reversed")
                after, note = "reversed", "医保中心显示该结算已撤销"
            else:
                apply_central(s, row, raw, [d.raw for d in res.setldetail], now=t)
                after, note = "confirmed", "医保中心已结算，本地补记确认"
            audit.append(s, actor=ctx.operator.opter, action="recovery.resolve",
                         detail={"settlement_id": settlement_id, "msgid": msgid, "from": before, "to": after,
                                 "setl_id": raw.get("setl_id")})
            return Resolution(settlement_id, msgid, before, after, note, str(raw.get("setl_id") or ""))
        age = (t - (updated or t)).total_seconds()
        if age < grace_s:
            lifecycle.advance(row, "unknown", now=None)     # keep the age of the attempt
            row.updated_at = updated or t
            return Resolution(settlement_id, msgid, before, "unknown",
                              f"医保中心暂无该结算记录，但请求发出不足 {int(grace_s)} 秒，稍后再确认",
                              within_grace=True)
        lifecycle.advance(row, "failed", now=t)
        audit.append(s, actor=ctx.operator.opter, action="recovery.resolve",
                     detail={"settlement_id": settlement_id, "msgid": msgid, "from": before, "to": "failed"})
        return Resolution(settlement_id, msgid, before, "failed", "医保中心没有该结算记录：本次未结算，请重新办理")


def mark_reversed(session, row, central: dict, *, now: datetime) -> None:
    """Local completion of a reversal confirmed by the platform: state ``reversed``, the reversal
    record under ``preview_json.reversal.setlinfo`` (as checkout writes it) and refund payments."""
    from sqlalchemy import select

    from offline_cache.models import Payment, Visit

    orig = json.loads(row.setlinfo_json or "{}")
    revs = {k: (fmt2(-Decimal(str(v))) if k in _MONEY and v not in (None, "") else v) for k, v in orig.items()
            if k in _MONEY or k in ("mdtrt_id", "psn_no", "insutype", "clr_type", "clr_optins", "clr_way")}
    revs.update({"setl_id": central.get("revs_setl_id") or "", "init_setl_id": row.setl_id, "refd_setl_flag": "1"})
    meta = json.loads(row.preview_json or "{}")
    meta.setdefault("reversal", {})["setlinfo"] = revs
    meta["reversal"]["resolved_by"] = "recovery"
    row.preview_json = json.dumps(meta, ensure_ascii=False)
    lifecycle.advance(row, "reversed", now=now)
    refs = {p.ref for p in session.scalars(select(Payment).where(Payment.settlement_id == row.id))}
    if f"refund:{row.revoke_msgid}" not in refs:
        for p in list(session.scalars(select(Payment).where(Payment.settlement_id == row.id, Payment.amount > 0))):
            session.add(Payment(settlement_id=row.id, method=p.method, amount=-p.amount,
                                ref=f"refund:{row.revoke_msgid}", created_at=now))
    v = session.get(Visit, row.visit_id)
    if v is not None:
        v.state, v.updated_at = "reversed", now


_MONEY = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
          "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt",
          "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt", "acct_mulaid_pay")


def unresolved_ids(store) -> list[int]:
    with store.read_connection() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT id FROM settlements WHERE state IN ('prepared', 'sent', 'unknown') AND offline = 0 ORDER BY id")]


def unpaid_settlements(store, since: datetime | None = None) -> list[dict]:
    """Confirmed settlements whose recorded payments (excluding the personal account) are less than
    the patient's cash share: the patient still owes it (or the settlement must be reversed)."""
    sql = ("SELECT s.id, s.msgid, s.setl_id, s.psn_cash_pay, coalesce(sum(CASE WHEN p.method != 'account' "
           "THEN p.amount ELSE 0 END), 0) FROM settlements s LEFT JOIN payments p ON p.settlement_id = s.id "
           "WHERE s.state = 'confirmed' AND s.infno IN ('2207', '2304')")
    args: tuple = ()
    if since is not None:
        sql += " AND s.updated_at >= ?"
        args = (since.strftime("%Y-%m-%d %H:%M:%S.%f"),)
    sql += " GROUP BY s.id ORDER BY s.id"
    out = []
    with store.read_connection() as conn:
        for sid, msgid, setl_id, cash_fen, paid_fen in conn.exec_driver_sql(sql, args):
            due = Decimal(cash_fen or 0) / 100
            paid = Decimal(paid_fen or 0) / 100
            if paid < due:
                out.append({"settlement_id": sid, "msgid": msgid, "setl_id": setl_id, "due": fmt2(due),
                            "paid": fmt2(paid), "owed": fmt2(due - paid)})
    return out


def resolve_unknown(ctx, *, grace_s: float | None = None, wait: bool = False, max_wait_s: float = 120.0,
                    now_fn=datetime.now, sleep=time.sleep) -> RecoveryReport:
    """Reset stuck outbox items and resolve the settlements of unknown outcome by asking the platform.
    With ``wait`` the young unknown settlements are asked again once their grace period has passed
    (at most ``max_wait_s``). The whole start-up sequence (this, then the outbox, then the owed
    e-invoices) is :func:`client.services.housekeeping.recover`."""
    from offline_cache import outbox

    grace = grace_seconds(ctx) if grace_s is None else float(grace_s)
    started = now_fn()
    rep = RecoveryReport()
    with ctx.store.session() as s:
        rep.outbox_reset = outbox.reset_sending(s)
    deadline = started + timedelta(seconds=max_wait_s)
    while True:
        pending_young = False
        for sid in unresolved_ids(ctx.store):
            r = resolve_one(ctx, sid, grace_s=grace, now=now_fn())
            if r.after != r.before or r.after != "unknown" or not wait:
                rep.resolutions = [x for x in rep.resolutions if x.settlement_id != sid] + [r]
            if r.within_grace:
                pending_young = True
        if not (wait and pending_young and now_fn() < deadline):
            break
        sleep(min(2.0, max(0.2, grace / 4)))
    rep.started = started
    return rep
