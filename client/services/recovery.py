"""Crash recovery: resolve settlements whose outcome is unknown the way real clients do — 冲正.

Called on start-up (the window, before the first checkout), by ``medsettle recover`` and by the day
end for one-sided entries. Nothing is ever resent: a settlement row holds the msgid of its
2207/2304 (committed before the request left this machine); a msgid is never sent twice (the
platform refuses a reused msgid as a duplicate, reference §3.8), and no platform is asked for a
"stored answer".

Decision table (docs/offline-and-recovery.md §3/§4 is the version for the finance office):

=======================================  ============================================================
 local row                                what recovery does
=======================================  ============================================================
 2207/2304 ``prepared``/``sent``/          stays ``unknown`` (the request may still be in flight);
 ``unknown``, younger than the grace      asked again later (``recover --wait`` waits for it)
 period (connect + read timeout + 30 s)
 2207/2304 ``prepared``/``sent``/          2601 冲正 with a FRESH msgid: ``omsgid`` = the row's msgid,
 ``unknown``, older than the grace         ``oinfno`` = the infno actually sent (the region's wire
 period                                   name, e.g. Zhejiang 2207A), ``psn_no``; the attempt is
                                          recorded in ``preview_json.recovery.attempts`` and
                                          COMMITTED before the call. Then, by the answer:
   · 2601 accepted (infcode 0)            → ``failed`` (未结算): the platform's settlement, if any, is
                                            undone; the cashier settles again with a new msgid
   · 2601 refused "nothing to reverse"    → ``failed`` (未结算), as above: the original was never
     (``reversal_finds_nothing``: 无需冲正,    committed or is already cancelled
     退费结算标志不为未退费, …)
   · 2601 refused for another reason      → stays ``unknown``, listed for a supervisor
                                            (``RecoveryReport.reviews``, audit
                                            ``recovery.reversal_refused``): never guess; the next
                                            run tries again with a fresh msgid
   · no answer to the 2601                → stays ``unknown`` (retried later, fresh msgid)
 a settlement recorded with               never reversed: infcode 0 with an err_msg means the
 ``preview_json.review``                  platform committed it; stays for a supervisor (review)
 2208/2305 whose answer was lost          5203 with its real inputs (psn_no, setl_id, mdtrt_id):
 (``unknown`` with ``revoke_msgid``)
   · ``refd_setl_flag`` "1"               → ``reversed`` (reversal record + refund payments locally)
   · ``refd_setl_flag`` "0", after the    → back to ``confirmed`` (the reversal did not happen;
     grace period                           reverse again if still wanted)
   · "0" within the grace period, no      → stays ``unknown``
     answer, refused
 offline settlements (``provisional``)    not touched here: the store-and-forward drain sends them
                                          (client.services.forward, same rules)
=======================================  ============================================================

Reversal of a settlement confirmed by the platform is never automatic: it is a finance decision
executed with ``checkout.reverse_settlement`` under a supervisor's authorisation.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from client.api import ApiError, BusinessError, TransportError
from client.api.errors import reversal_finds_nothing
from client.api.transactions import QuerySettlement, Reverse
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
    within_grace: bool = False     # not resolved because its grace period is not over: ask again later
    review: dict | None = None     # a 2601 refused for a reason other than "nothing to reverse"
    reversal: str = ""             # 2601 outcome: sent-no-answer | accepted | nothing | refused

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
    payments: dict | None = None      # payment codes finished by codepay.resolve_unknown (docs/payments.md)
    stays: dict | None = None         # inpatient stays finished by inpatient.recover_stays (0008b)
    partial_refunds: list = field(default_factory=list)   # 部分退费 resumed (client.services.partial_refund)

    @property
    def reviews(self) -> list[dict]:
        """Settlements a supervisor must look at (2601 refused for another reason, or a settlement
        the platform answered with infcode 0 + err_msg): never resolved by guessing."""
        return [dict(r.review, settlement_id=r.settlement_id, msgid=r.msgid) for r in self.resolutions if r.review]

    def reversals(self) -> dict[str, int]:
        """2601 sent / accepted / nothing to reverse / refused / no answer in this run."""
        out = {"sent": 0, "accepted": 0, "nothing": 0, "refused": 0, "no_answer": 0}
        for r in self.resolutions:
            if r.reversal:
                out["sent"] += 1
                out[{"accepted": "accepted", "nothing": "nothing", "refused": "refused"}.get(r.reversal,
                                                                                            "no_answer")] += 1
        return out

    @property
    def clean(self) -> bool:
        return (self.remaining_unknown == 0 and self.remaining_outbox == 0 and self.needs_review == 0
                and self.invoices_owed == 0 and not (self.payments or {}).get("open")
                and all(p.get("ok") for p in self.partial_refunds))

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
                "invoices_owed": self.invoices_owed, "reviews": self.reviews, "reversals": self.reversals(),
                "clean": self.clean, **({"payments": self.payments} if self.payments is not None else {}),
                **({"stays": self.stays} if self.stays is not None else {}),
                **({"partial_refunds": self.partial_refunds} if self.partial_refunds else {})}

    def message(self) -> str:
        c = self.counts()
        parts = [f"确认已结算 {c.get('confirmed', 0)} 笔",
                 f"确认未结算 {c.get('failed', 0)} 笔" + ("（已冲正或医保中心无此结算，请为患者重新办理结算）"
                                                   if c.get("failed") else ""),
                 f"已撤销 {c.get('reversed', 0)} 笔"]
        if self.remaining_unknown:
            parts.append(f"仍待确认 {self.remaining_unknown} 笔（医保中心暂时无法确认，请稍后再执行 medsettle recover）")
        if self.remaining_outbox:
            parts.append(f"待上传 {self.remaining_outbox} 笔")
        if self.needs_review:
            parts.append(f"被医保中心拒绝待人工处理 {self.needs_review} 笔")
        if self.reviews:
            parts.append(f"冲正被医保中心拒绝、需主管复核 {len(self.reviews)} 笔（"
                         + "；".join(f"结算记录 {r['settlement_id']}：{r.get('err_msg') or ''}" for r in self.reviews)
                         + "）")
        if self.invoices_owed:
            parts.append(f"电子票据待开具 {self.invoices_owed} 笔（电子票据平台联通后执行 medsettle recover 补开）")
        pays = self.payments or {}
        if any(pays.values()):
            parts.append(f"付款码：确认扣款 {pays['paid']} 笔，撤销 {pays['reversed']} 笔，未发送 {pays['failed']} 笔，"
                         f"原路退款 {pays['refunded']} 笔，仍待确认 {pays['open']} 笔")
        for p in self.partial_refunds:
            parts.append(p["message"])
        if self.unpaid:
            parts.append(f"已结算但未收款 {len(self.unpaid)} 笔（请收取患者自付部分或按规定撤销）")
        return "恢复完成：" + "，".join(parts) + "。"


def grace_seconds(ctx) -> float:
    p = ctx.settings.platform
    return float(p.connect_timeout + p.read_timeout + DEFAULT_GRACE_MARGIN_S)


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def void_words(ctx) -> tuple[str, ...] | None:
    """The configured "nothing to reverse" words ([platform] reversal_void_words)."""
    words = getattr(getattr(ctx.central, "settings", None), "reversal_void_words", None)
    return tuple(words) if words else None


def query_settlement(ctx, *, psn_no: str, setl_id: str, mdtrt_id: str, insuplc_admdvs: str):
    """5203 with its real inputs. Returns the SettleResult, or None when refused (logged).
    TransportError propagates (nothing known)."""
    try:
        return ctx.call(QuerySettlement(psn_no=psn_no, setl_id=setl_id, mdtrt_id=mdtrt_id,
                                        insuplc_admdvs=insuplc_admdvs or ""))
    except BusinessError as exc:
        log.info("5203 setl_id=%s: %s", setl_id, exc.err_msg)
        return None


@dataclass
class ReversalOutcome:
    """What a 2601 冲正 answered: ``accepted`` | ``nothing`` | ``refused`` | ``no_answer``."""

    kind: str
    msgid: str
    err_msg: str = ""
    output: dict | None = None


def send_reversal(ctx, *, omsgid: str, infno: str, psn_no: str, insuplc_admdvs: str,
                  record) -> ReversalOutcome:
    """2601 of ``omsgid`` (national ``infno``; ``oinfno`` is the wire name this region uses) with a
    FRESH msgid. ``record(attempt)`` must commit the attempt locally before it is called (durable
    before network); it is called again with the outcome."""
    msgid = ctx.new_msgid()
    oinfno = ctx.central.wire_infno(infno)
    attempt = {"msgid": msgid, "omsgid": omsgid, "oinfno": oinfno, "at": _ts(datetime.now()), "result": "sent"}
    record(attempt)
    try:
        out = ctx.call(Reverse(psn_no=psn_no, omsgid=omsgid, oinfno=oinfno, insuplc_admdvs=insuplc_admdvs or ""),
                       msgid=msgid)
    except BusinessError as exc:
        kind = "nothing" if reversal_finds_nothing(exc.err_msg, void_words(ctx)) else "refused"
        res = ReversalOutcome(kind, msgid, exc.err_msg)
    except TransportError as exc:
        res = ReversalOutcome("no_answer", msgid, exc.cause)
    else:
        res = ReversalOutcome("accepted", msgid, out.review_msg or "", jsonable(out.output))
    record(dict(attempt, result=res.kind, err_msg=res.err_msg or None,
                output=res.output if res.output else None))
    return res


def _record_attempt(ctx, settlement_id: int, key: str = "recovery"):
    """A ``record`` callback for send_reversal: the attempt in ``preview_json.<key>.attempts``
    (replaced by its outcome when called again with the same msgid), committed at once."""
    from offline_cache.models import Settlement

    def record(attempt: dict) -> None:
        with ctx.store.session() as s:
            row = s.get(Settlement, settlement_id)
            meta = json.loads(row.preview_json or "{}")
            rec = meta.setdefault(key, {})
            atts = [a for a in rec.get("attempts", []) if a.get("msgid") != attempt["msgid"]]
            rec["attempts"] = atts + [attempt]
            row.preview_json = json.dumps(meta, ensure_ascii=False)
    return record


def resolve_one(ctx, settlement_id: int, *, grace_s: float, now: datetime | None = None) -> Resolution:
    """Resolve one online settlement in prepared/sent/unknown (decision table above)."""
    from offline_cache.models import Settlement, Visit

    with ctx.store.read_session() as s:
        row = s.get(Settlement, settlement_id)
        if row is None:
            raise ServiceError("invalid_input", f"没有编号 {settlement_id} 的结算记录。")
        visit = s.get(Visit, row.visit_id)
        msgid, before, updated, infno = row.msgid, row.state, row.updated_at, row.infno
        revoke, setl_id = row.revoke_msgid, row.setl_id
        meta = json.loads(row.preview_json or "{}")
        psn_no = visit.psn_no if visit else ""
        mdtrt_id = row.mdtrt_id or (visit.mdtrt_id if visit else None) or ""
        adm = (visit.insuplc_admdvs if visit else "") or ""
    if before not in UNRESOLVED_STATES:
        return Resolution(settlement_id, msgid, before, before, "无需处理")
    t = now or datetime.now()
    young = (t - (updated or t)).total_seconds() < grace_s
    if revoke and setl_id:
        return _resolve_lost_reversal(ctx, settlement_id, msgid, before, psn_no=psn_no, setl_id=setl_id,
                                      mdtrt_id=mdtrt_id, adm=adm, young=young, grace_s=grace_s, now=t)
    if meta.get("review"):
        review = dict(meta["review"], reason="医保中心返回成功但附带信息（已结算），不自动冲正，请主管复核")
        return Resolution(settlement_id, msgid, before, before, review["reason"], review=review)
    if young:
        _keep_unknown(ctx, settlement_id, before, updated)
        return Resolution(settlement_id, msgid, before, "unknown",
                          f"结算请求发出不足 {int(grace_s)} 秒，医保中心可能仍在处理，稍后再确认", within_grace=True)
    if infno not in ("2207", "2304"):
        return Resolution(settlement_id, msgid, before, before, f"交易 {infno} 不能冲正，请主管核对",
                          review={"infno": infno, "err_msg": "不可冲正的交易"})
    try:
        out = send_reversal(ctx, omsgid=msgid, infno=infno, psn_no=psn_no, insuplc_admdvs=adm,
                            record=_record_attempt(ctx, settlement_id))
    except ApiError as exc:              # configuration: nothing was sent
        return Resolution(settlement_id, msgid, before, before, str(exc))
    return _apply_reversal(ctx, settlement_id, msgid, before, infno, out, now=t)


def _keep_unknown(ctx, settlement_id: int, before: str, updated) -> None:
    from offline_cache.models import Settlement

    with ctx.store.session() as s:
        row = s.get(Settlement, settlement_id)
        if row.state == before and before != "unknown":
            lifecycle.advance(row, "unknown", now=None)
            row.updated_at = updated or row.updated_at     # keep the age of the attempt


def _apply_reversal(ctx, settlement_id: int, msgid: str, before: str, infno: str, out: ReversalOutcome, *,
                    now: datetime) -> Resolution:
    from offline_cache import audit
    from offline_cache.models import Settlement

    with ctx.store.session() as s:
        row = s.get(Settlement, settlement_id)
        if row.state != before and row.state not in UNRESOLVED_STATES:
            return Resolution(settlement_id, msgid, before, row.state, "已由其他流程处理", reversal=out.kind)
        detail = {"settlement_id": settlement_id, "msgid": msgid, "infno": infno, "revs_msgid": out.msgid,
                  "err_msg": out.err_msg or None}
        if out.kind in ("accepted", "nothing"):
            meta = json.loads(row.preview_json or "{}")
            meta.setdefault("recovery", {})["result"] = "reversed" if out.kind == "accepted" else "nothing"
            meta["recovery"]["revs_msgid"] = out.msgid
            row.preview_json = json.dumps(meta, ensure_ascii=False)
            lifecycle.advance(row, "failed", now=now)
            audit.append(s, actor=ctx.operator.opter, action="recovery.reversal",
                         detail=dict(detail, result=out.kind, to="failed"))
            note = ("已冲正（医保中心撤销了可能已完成的结算）：本次未结算，请重新办理结算" if out.kind == "accepted"
                    else f"医保中心无可冲正的结算（{out.err_msg}）：本次未结算，请重新办理结算")
            return Resolution(settlement_id, msgid, before, "failed", note, reversal=out.kind)
        if row.state != "unknown":
            lifecycle.advance(row, "unknown", now=None)
        if out.kind == "refused":
            review = {"infno": "2601", "omsgid": msgid, "revs_msgid": out.msgid, "err_msg": out.err_msg,
                      "at": _ts(now), "reason": "冲正被医保中心拒绝，需主管复核（不自动判定结果）"}
            meta = json.loads(row.preview_json or "{}")
            meta.setdefault("recovery", {})["review"] = review
            row.preview_json = json.dumps(meta, ensure_ascii=False)
            audit.append(s, actor=ctx.operator.opter, action="recovery.reversal_refused", detail=detail)
            return Resolution(settlement_id, msgid, before, "unknown",
                              f"冲正被医保中心拒绝：{out.err_msg}。结果仍未知，请主管复核", review=review,
                              reversal=out.kind)
        return Resolution(settlement_id, msgid, before, "unknown",
                          f"冲正请求无应答（{out.err_msg}），稍后再试", reversal=out.kind)


def _resolve_lost_reversal(ctx, settlement_id: int, msgid: str, before: str, *, psn_no: str, setl_id: str,
                           mdtrt_id: str, adm: str, young: bool, grace_s: float, now: datetime) -> Resolution:
    """A 2208/2305 whose answer was lost: 5203 of the original settlement decides."""
    from offline_cache import audit
    from offline_cache.models import Settlement

    try:
        res = query_settlement(ctx, psn_no=psn_no, setl_id=setl_id, mdtrt_id=mdtrt_id, insuplc_admdvs=adm)
    except TransportError as exc:
        return Resolution(settlement_id, msgid, before, before, f"医保中心暂时无法连接（{exc.cause}），稍后再确认")
    except ApiError as exc:
        return Resolution(settlement_id, msgid, before, before, str(exc))
    if res is None:
        return Resolution(settlement_id, msgid, before, before, "医保中心拒绝了结算信息查询(5203)，稍后再确认")
    flag = str(res.setlinfo.raw.get("refd_setl_flag") or "0")
    if flag != "1" and young:
        return Resolution(settlement_id, msgid, before, before,
                          f"撤销请求发出不足 {int(grace_s)} 秒，医保中心可能仍在处理，稍后再确认", within_grace=True)
    with ctx.store.session() as s:
        row = s.get(Settlement, settlement_id)
        if row.state != before:
            return Resolution(settlement_id, msgid, before, row.state, "已由其他流程处理")
        if flag == "1":
            mark_reversed(s, row, now=now)
            after, note = "reversed", "医保中心显示该结算已退费（refd_setl_flag=1）：本地补记撤销和退款"
        else:
            lifecycle.advance(row, "confirmed", now=now, revoke_msgid=None)
            after, note = "confirmed", "撤销未在医保中心生效（refd_setl_flag=0），结算仍有效；如需撤销请重新办理"
        audit.append(s, actor=ctx.operator.opter, action="recovery.resolve",
                     detail={"settlement_id": settlement_id, "msgid": msgid, "from": before, "to": after,
                             "setl_id": setl_id, "refd_setl_flag": flag})
    return Resolution(settlement_id, msgid, before, after, note, setl_id)


def mark_reversed(session, row, *, now: datetime) -> None:
    """Local completion of a reversal confirmed by the platform (5203 refd_setl_flag "1"): state
    ``reversed``, the reversal record under ``preview_json.reversal.setlinfo`` (as checkout writes
    it, the original amounts negated; its setl_id is not known — 5203 of the original does not give
    it — and stays "" until the day end's 3202 names it) and refund payments."""
    from sqlalchemy import select

    from offline_cache.models import Payment, Visit

    orig = json.loads(row.setlinfo_json or "{}")
    revs = {k: (fmt2(-Decimal(str(v))) if k in _MONEY and v not in (None, "") else v) for k, v in orig.items()
            if k in _MONEY or k in ("mdtrt_id", "psn_no", "insutype", "clr_type", "clr_optins", "clr_way")}
    revs.update({"setl_id": "", "refd_setl_flag": "1", "setl_time": _ts(now), "revoke_msgid": row.revoke_msgid})
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
    session.flush()
    from .stay_books import restore_applied  # an inpatient stay's deposit applied to it: back to the balance

    restore_applied(session.connection(), row.id, now=now, shift_id=row.shift_id)


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
    # an inpatient settlement paid (partly) from the stay's deposit counts that part as paid (0008b)
    sql = ("SELECT s.id, s.msgid, s.setl_id, s.psn_cash_pay, coalesce(sum(CASE WHEN p.method != 'account' "
           "THEN p.amount ELSE 0 END), 0) + coalesce((SELECT sum(CASE d.kind WHEN 'applied' THEN d.amount ELSE "
           "-d.amount END) FROM stay_deposits d WHERE d.settlement_id = s.id AND d.state = 'done' AND d.kind IN "
           "('applied', 'restored')), 0) FROM settlements s LEFT JOIN payments p ON p.settlement_id = s.id "
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
