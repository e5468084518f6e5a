"""Store and forward: drain the outbox when the platform is reachable again.

Rules (desktop-anchors §D, Odoo POS ``syncAllOrders`` one order per request):

* items are sent in outbox order (``id``), ONE document per request sequence; an item of a chain
  is not sent while an older item of its chain is unresolved (``offline_cache.outbox.claim_next``);
* every state-changing request gets a FRESH msgid on every attempt (a msgid is never sent twice:
  the platform refuses a reused one as a duplicate, reference §3.8); each msgid is recorded in
  ``preview_json.forward.spent`` and committed BEFORE the request leaves;
* progress is committed after every step (visit ``mdtrt_id`` after 2201, fee lines ``uploaded``
  after 2204, settlement ``sent`` BEFORE the 2207 leaves, then ``confirmed``), so a crash resumes
  at the right step, and a retried step first undoes what its lost predecessor may have done:
  a retried 2204 first sends 2205 (chrg_bchno "0000": delete the visit's unsettled lines) and then
  uploads again; a retried 2207 whose previous answer was lost first sends 2601 冲正 of the previous
  msgid (accepted, or "nothing to reverse" → settle again with a new msgid; refused for another
  reason → ``needs_review``, never guessed); a retried 2201 (not reversible by 2601) registers
  with the same 门诊号 plus an attempt suffix, leaving the lost registration without fees on the
  platform (UNVERIFIED whether a region objects; docs/offline-and-recovery.md);
* ``TransportError`` → the item goes back to the queue with back-off (``failed`` = retry later) and
  the drain stops (the platform is not answering); ``BusinessError`` → ``needs_review`` with the
  platform's ``err_msg`` verbatim (a person decides: correct and requeue, or settle otherwise);
* the central result is compared with the provisional one field by field; any difference becomes
  an ``adjustments`` row (退补差额: refund or extra charge of the patient's share, with the differing
  fields listed) — never silently absorbed; the settlement keeps both results (``preview_json`` =
  provisional, ``setlinfo_json`` = central).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from client.api import ApiError, BusinessError, TransportError
from client.api.transactions import CancelFees, FeeDetail, PreSettle, Register, Settle, UploadFees
from client.domain.money import fmt2, q2
from offline_cache import settlements as lifecycle

from .offline import OUTBOX_KIND
from .recovery import _record_attempt, apply_central, normalise_setlinfo, send_reversal

log = logging.getLogger("client.services.forward")

ZERO = Decimal("0.00")
COMPARED_FIELDS = ["medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                   "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay",
                   "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt"]
FIELD_NAMES = {"medfee_sumamt": "医疗费总额", "fulamt_ownpay_amt": "全自费金额", "overlmt_selfpay": "超限价自费",
               "preselfpay_amt": "先行自付", "inscp_scp_amt": "政策范围内金额", "act_pay_dedc": "起付线",
               "hifp_pay": "统筹基金支付", "cvlserv_pay": "公务员医疗补助", "hifes_pay": "企业补充医疗保险",
               "hifmi_pay": "大病保险", "hifob_pay": "大额医疗补助", "maf_pay": "医疗救助", "oth_pay": "其他支付",
               "fund_pay_sumamt": "基金支付总额", "psn_part_amt": "个人负担", "acct_pay": "个人账户支付",
               "psn_cash_pay": "个人现金支付", "hosp_part_amt": "医院负担"}


@dataclass
class DrainReport:
    attempted: int = 0
    acked: int = 0
    retry_later: int = 0
    needs_review: int = 0
    adjustments: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    stopped: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _d(v) -> Decimal:
    if v in (None, ""):
        return ZERO
    return q2(Decimal(str(v)))


def differences(provisional: dict, central: dict) -> list[tuple[str, Decimal, Decimal]]:
    out = []
    for k in COMPARED_FIELDS:
        a, b = _d(provisional.get(k)), _d(central.get(k))
        if a != b:
            out.append((k, a, b))
    return out


def record_adjustment(session, settlement, provisional: dict, central: dict, paid: Decimal, *,
                      opter: str, now: datetime) -> dict | None:
    """Compare and write the adjustment row (in the caller's transaction). Returns its summary or None."""
    from offline_cache.models import Adjustment

    diffs = differences(provisional, central)
    owed = _d(central.get("psn_cash_pay")) - q2(paid)
    if not diffs and owed == 0:
        return None
    listed = "；".join(f"{FIELD_NAMES.get(k, k)}({k}) 离线 {fmt2(a)} / 中心 {fmt2(b)}" for k, a, b in diffs)
    if owed > 0:
        direction, what = "charge", f"应向患者补收 {fmt2(owed)} 元"
    elif owed < 0:
        direction, what = "refund", f"应退还患者 {fmt2(-owed)} 元"
    else:
        direction, what = "refund", "患者自付金额一致，无需退补（仅基金分担不同，供财务核对）"
    reason = (f"离线结算与医保中心结算不一致（已收 {fmt2(paid)} 元，中心个人现金支付 "
              f"{fmt2(_d(central.get('psn_cash_pay')))} 元）：{listed or '无字段差异'}。{what}。")
    adj = Adjustment(settlement_id=settlement.id, amount=abs(owed), direction=direction, reason=reason,
                     state="pending" if owed != 0 else "done", opter=opter, created_at=now,
                     done_at=None if owed != 0 else now)
    session.add(adj)
    session.flush()
    return {"adjustment_id": adj.id, "settlement_id": settlement.id, "msgid": settlement.msgid,
            "direction": direction, "amount": fmt2(abs(owed)), "reason": reason,
            "fields": [k for k, _, _ in diffs]}


class Forwarder:
    def __init__(self, ctx, *, now=datetime.now):
        self.ctx = ctx
        self._now = now

    # -- msgids --------------------------------------------------------------------------------
    def _spent(self, sid: int, infno: str) -> list[str]:
        from offline_cache.models import Settlement

        with self.ctx.store.read_session() as s:
            meta = json.loads(s.get(Settlement, sid).preview_json or "{}")
        return [x["msgid"] for x in (meta.get("forward") or {}).get("spent", []) if x.get("infno") == infno]

    def _spend(self, sid: int, infno: str, queued: str | None = None) -> str:
        """A fresh msgid for one attempt of ``infno``, recorded (committed) before it is used: the
        msgid generated when the document was queued (``queued``, never sent before) on the first
        attempt, a new one on every retry."""
        from offline_cache.models import Settlement

        with self.ctx.store.session() as s:
            row = s.get(Settlement, sid)
            meta = json.loads(row.preview_json or "{}")
            used = {x.get("msgid") for x in (meta.get("forward") or {}).get("spent", [])}
            msgid = queued if queued and queued not in used else self.ctx.new_msgid()
            meta.setdefault("forward", {}).setdefault("spent", []).append(
                {"infno": infno, "msgid": msgid, "at": self._now().strftime("%Y-%m-%d %H:%M:%S")})
            row.preview_json = json.dumps(meta, ensure_ascii=False)
        return msgid

    # -- steps ---------------------------------------------------------------------------------
    def _load(self, payload: dict):
        from sqlalchemy import select

        from offline_cache.models import FeeLine, Payment, Settlement, Visit

        with self.ctx.store.read_session() as s:
            v = s.get(Visit, payload["visit_id"])
            st = s.get(Settlement, payload["settlement_id"])
            lines = list(s.scalars(select(FeeLine).where(FeeLine.visit_id == v.id).order_by(FeeLine.id)))
            paid = sum((p.amount for p in s.scalars(select(Payment).where(Payment.settlement_id == st.id))
                        if p.method != "account"), ZERO)
            s.expunge_all()      # plain snapshots: the read transaction's rollback must not expire them
        return v, st, lines, paid

    def _register(self, payload: dict, v) -> str:
        from offline_cache.models import Settlement, Visit

        op = self.ctx.operator
        sid = payload["settlement_id"]
        tries = len(self._spent(sid, "2201"))
        ipt_otp_no = payload["ipt_otp_no"] + (f"R{tries}" if tries else "")
        req = Register(psn_no=payload["psn_no"], insutype=payload["insutype"], begntime=payload["begntime"],
                       mdtrt_cert_type=payload["mdtrt_cert_type"], mdtrt_cert_no=payload["mdtrt_cert_no"],
                       ipt_otp_no=ipt_otp_no, atddr_no=op.opter, dr_name=op.opter_name,
                       dept_code=op.office_id or "A03", dept_name=op.office_name or "门诊",
                       caty=op.office_id or "A03", insuplc_admdvs=payload["insuplc_admdvs"])
        out = self.ctx.call(req, msgid=self._spend(sid, "2201", payload["msgids"].get("2201")))
        with self.ctx.store.session() as s:
            vv = s.get(Visit, v.id)
            vv.mdtrt_id = out.mdtrt_id
            vv.state = "registered"
            vv.updated_at = self._now()
            st = s.get(Settlement, payload["settlement_id"])
            st.mdtrt_id = out.mdtrt_id
        return out.mdtrt_id

    def _upload(self, payload: dict, mdtrt_id: str, lines) -> None:
        from offline_cache.models import FeeLine, Visit

        rows = [FeeDetail(feedetl_sn=ln.feedetl_sn, mdtrt_id=mdtrt_id, psn_no=payload["psn_no"],
                          fee_ocur_time=(ln.fee_ocur_time or self._now()).strftime("%Y-%m-%d %H:%M:%S"),
                          med_list_codg=ln.med_list_codg, medins_list_codg=ln.medins_list_codg or ln.med_list_codg,
                          det_item_fee_sumamt=ln.det_item_fee_sumamt, cnt=ln.cnt, pric=ln.pric,
                          bilg_dept_codg=ln.bilg_dept_codg or "A03", bilg_dept_name=ln.bilg_dept_name or "门诊",
                          bilg_dr_codg=ln.bilg_dr_codg or "", bilg_dr_name=ln.bilg_dr_name or "",
                          chrg_bchno=ln.chrg_bchno or payload["chrg_bchno"])
                for ln in lines]
        sid = payload["settlement_id"]
        if self._spent(sid, "2204"):         # an earlier upload's answer was lost: clear what it may have left
            self.ctx.call(CancelFees(mdtrt_id=mdtrt_id, psn_no=payload["psn_no"], chrg_bchno="0000",
                                     insuplc_admdvs=payload["insuplc_admdvs"]), msgid=self._spend(sid, "2205"))
        out = self.ctx.call(UploadFees(rows, insuplc_admdvs=payload["insuplc_admdvs"]),
                            msgid=self._spend(sid, "2204", payload["msgids"].get("2204")))
        by_sn = {r.feedetl_sn: r for r in out.result}
        with self.ctx.store.session() as s:
            for ln in lines:
                row = s.get(FeeLine, ln.id)
                row.uploaded = True
                r = by_sn.get(ln.feedetl_sn)
                if r is not None:
                    row.fulamt_ownpay_amt, row.overlmt_amt = r.fulamt_ownpay_amt, r.overlmt_amt
                    row.preselfpay_amt, row.inscp_scp_amt = r.preselfpay_amt, r.inscp_scp_amt
                    row.selfpay_prop, row.pric_uplmt_amt = r.selfpay_prop, r.pric_uplmt_amt
            vv = s.get(Visit, payload["visit_id"])
            vv.state = "uploaded"
            vv.updated_at = self._now()

    def _settle(self, payload: dict, mdtrt_id: str, st, paid: Decimal) -> dict | None:
        from offline_cache import audit
        from offline_cache.models import Settlement

        previous = self._spent(st.id, "2207")
        if previous:          # the last 2207's answer was lost: 冲正 it before settling again
            out = send_reversal(self.ctx, omsgid=previous[-1], infno="2207", psn_no=payload["psn_no"],
                                insuplc_admdvs=payload["insuplc_admdvs"], record=_record_attempt(self.ctx, st.id, "forward"))
            if out.kind == "no_answer":
                raise TransportError(out.msgid, "2601", True, out.err_msg)
            if out.kind == "refused":
                raise BusinessError(-1, out.err_msg, out.msgid, "2601")
        pre = PreSettle(psn_no=payload["psn_no"], mdtrt_cert_type=payload["mdtrt_cert_type"],
                        mdtrt_cert_no=payload["mdtrt_cert_no"], med_type=payload["med_type"],
                        medfee_sumamt=st.medfee_sumamt, psn_setlway="01", mdtrt_id=mdtrt_id,
                        chrg_bchno=payload["chrg_bchno"], insutype=payload["insutype"],
                        acct_used_flag=payload.get("acct_used_flag", "0"),
                        insuplc_admdvs=payload["insuplc_admdvs"])
        pres = self.ctx.call(pre)
        req = Settle.from_presettle(pre, pres)
        m2207 = self._spend(st.id, "2207", payload["msgids"].get("2207"))
        with self.ctx.store.session() as s:      # durable before network: the row carries this attempt's msgid
            row = s.get(Settlement, st.id)
            if row.msgid != m2207:
                row.msgid = m2207
            lifecycle.advance(row, "sent", now=self._now())
        out = self.ctx.call(req, msgid=m2207)
        central = (out.setlinfo.raw, [d.raw for d in out.setldetail])
        info = normalise_setlinfo(central[0])
        now = self._now()
        with self.ctx.store.session() as s:
            row = s.get(Settlement, st.id)
            provisional = json.loads(row.preview_json or "{}").get("setlinfo", {})
            apply_central(s, row, info, central[1], now=now)
            adj = record_adjustment(s, row, provisional, info, paid, opter=self.ctx.operator.opter, now=now)
            audit.append(s, actor=self.ctx.operator.opter, action="offline.forwarded",
                         detail={"settlement_id": st.id, "msgid": m2207, "setl_id": info.get("setl_id"),
                                 "adjustment": adj})
        return adj

    def process(self, item) -> dict | None:
        """Send one offline_checkout document (resuming at its first unfinished step)."""
        payload = item.payload
        v, st, lines, paid = self._load(payload)
        if st.state in ("confirmed", "reversed"):
            return None
        mdtrt_id = v.mdtrt_id or self._register(payload, v)
        pending = [ln for ln in lines if not ln.uploaded]
        if pending:
            self._upload(payload, mdtrt_id, pending)
        return self._settle(payload, mdtrt_id, st, paid)

    # -- loop ----------------------------------------------------------------------------------
    def drain(self, *, max_items: int | None = None) -> DrainReport:
        from offline_cache import outbox

        rep = DrainReport()
        while max_items is None or rep.attempted < max_items:
            with self.ctx.store.session() as s:
                item = outbox.claim_next(s, now=self._now(), kinds=(OUTBOX_KIND,))
            if item is None:
                break
            rep.attempted += 1
            try:
                adj = self.process(item)
            except TransportError as exc:
                with self.ctx.store.session() as s:
                    outbox.mark_failed(s, item.id, str(exc), now=self._now())
                rep.retry_later += 1
                rep.errors.append({"outbox_id": item.id, "msgid": item.idempotency_key, "error": str(exc)})
                rep.stopped = f"医保中心无应答，已暂停上传（{exc.cause}），稍后自动重试。"
                break
            except BusinessError as exc:
                with self.ctx.store.session() as s:
                    outbox.mark_needs_review(s, item.id, f"[{exc.infno}] {exc.err_msg}", now=self._now())
                rep.needs_review += 1
                rep.errors.append({"outbox_id": item.id, "msgid": item.idempotency_key, "infno": exc.infno,
                                   "err_msg": exc.err_msg})
                continue
            except ApiError as exc:
                with self.ctx.store.session() as s:
                    outbox.mark_needs_review(s, item.id, str(exc), now=self._now())
                rep.needs_review += 1
                rep.errors.append({"outbox_id": item.id, "msgid": item.idempotency_key, "error": str(exc)})
                continue
            except BaseException:
                # a crash of our own code: leave the item claimable again (never 'sending' forever)
                with self.ctx.store.session() as s:
                    outbox.mark_failed(s, item.id, "程序内部错误，稍后重试", now=self._now())
                raise
            with self.ctx.store.session() as s:
                outbox.mark_acked(s, item.id, server_ref=item.idempotency_key, now=self._now())
            rep.acked += 1
            if adj:
                rep.adjustments.append(adj)
        return rep


def retry_now(ctx) -> int:
    """Make every pending / failed item due now (``medsettle recover`` does not wait for back-off)."""
    with ctx.store.connection() as conn:
        res = conn.exec_driver_sql("UPDATE outbox SET next_attempt_at = ? WHERE state IN ('pending', 'failed')",
                                   (datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f"),))
        return res.rowcount or 0


def drain(ctx, *, max_items: int | None = None) -> DrainReport:
    return Forwarder(ctx).drain(max_items=max_items)


def pending_adjustments(store) -> list[dict]:
    """Adjustments waiting for the cashier (refund / extra charge), oldest first."""
    with store.read_connection() as conn:
        rows = conn.exec_driver_sql(
            "SELECT a.id, a.settlement_id, s.msgid, s.setl_id, a.direction, a.amount, a.reason, a.created_at "
            "FROM adjustments a JOIN settlements s ON s.id = a.settlement_id WHERE a.state = 'pending' "
            "ORDER BY a.id").fetchall()
    return [{"adjustment_id": r[0], "settlement_id": r[1], "msgid": r[2], "setl_id": r[3], "direction": r[4],
             "direction_name": "退还患者" if r[4] == "refund" else "向患者补收",
             "amount": fmt2(Decimal(r[5] or 0) / 100), "reason": r[6], "created_at": str(r[7])} for r in rows]


def settle_adjustment(ctx, adjustment_id: int, *, method: str = "cash", opter: str | None = None) -> None:
    """The cashier refunded / collected the difference: the adjustment is done (audited)."""
    from offline_cache import audit
    from offline_cache.models import Adjustment

    from .errors import ServiceError
    from .shifts import require_shift

    require_shift(ctx.store, opter or ctx.operator.opter, "办理退补差额")
    with ctx.store.session() as s:
        a = s.get(Adjustment, adjustment_id)
        if a is None or a.state != "pending":
            raise ServiceError("invalid_input", f"退补记录 {adjustment_id} 不存在或已处理。")
        a.state = "done"
        a.done_at = datetime.now()
        audit.append(s, actor=opter or ctx.operator.opter, action="adjustment.done",
                     detail={"adjustment_id": adjustment_id, "settlement_id": a.settlement_id,
                             "direction": a.direction, "amount": fmt2(a.amount), "method": method})
