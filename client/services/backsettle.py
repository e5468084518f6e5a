"""补结算 (事后结算): settle an offline full self-pay visit with the platform once it is back.

During an outage the default offline mode (``client.services.offline``) takes the whole amount from
the patient (全自费) and, for a patient identified from the cache as insured, queues the visit here
(``backsettlements`` row written in the same transaction as the self-pay). When the platform answers
again, :func:`drain` settles each queued visit as an ordinary insurance settlement — the patient's
money is already taken — and records the refund of everything the platform paid for him as an
adjustment (退补记录, direction ``refund``) to his original payment method.

Steps of one visit (state of the row after each step, all durable before the next request):

======================  =========================================================================
state                   next request (a FRESH msgid, committed to ``step_msgid`` before it leaves)
======================  =========================================================================
``queued``              1101 with the stored certificate (mdtrt_cert_type/no, card_sn): the patient
                        must still be the same insured person (psn_no) and insured (psn_insu_stas 1)
``identified``          2201 registration → ``mdtrt_id``
``registered``          2203 visit info + 2204 fee upload (fee lines marked uploaded)
``uploaded``            2206 pre-settlement, then the 2207 row (a ``settlements`` row, state ``sent``,
                        its msgid = medins_setl_id) is committed and the 2207 is sent
``settling``            the 2207 row decides: ``confirmed`` → refund recorded (``refund_owed``);
                        ``sent``/``unknown``/``prepared`` → LEFT FOR RECOVERY
                        (``client.services.recovery`` resolves it; this drain never re-sends it);
                        ``failed`` (recovery: nothing settled) → back to ``uploaded``, new attempt
``refund_owed``         the adjustment is pending: cash at the counter until handed over
                        (``medsettle offline refund``), a payment-code refund owed through its
                        channel; ``done`` once the adjustment is done
``declined``/``refused``  stays full self-pay; the reason (the patient's, or the platform's answer
                        verbatim) is recorded and shown; ``medsettle offline requeue`` retries
======================  =========================================================================

Exactly once: one row per self-pay settlement (UNIQUE), a claim of the row is its state, and the
2207 is only ever sent from ``uploaded`` after its settlements row is committed; a lost 2207 answer
leaves that row for recovery (5203 / 2601 冲正 there), so a second drain, or a drain killed at any
point, never settles the visit twice. A lost answer of 2201/2203/2204 restarts from a fresh 2201 (a
registration without a settlement carries no money; the abandoned one is listed in the audit log).

Books (to the fen): once settled, the full self-pay record is ``reversed`` (superseded: the day's
totals count the visit once, as the insurance settlement, and its e-invoice gets a red letter while
the insurance settlement gets its own); the self-pay payments are moved onto the insurance settlement (a negative
payment on the self-pay row and the same positive payment on the 2207 row, ``ref``
``backsettle:<id>``: neutral for every drawer), so the 2207 row shows what the patient paid
(= medfee_sumamt); the refund = paid − psn_cash_pay = what the platform paid for him (fund_pay_sumamt
+ acct_pay + hosp_part_amt where the province's fund_pay_sumamt excludes the account, reference §0);
patient net = psn_cash_pay.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from client.api import ApiError, BusinessError, TransportError
from client.domain.codes import PAYMENT_METHOD_NAMES
from client.domain.money import fmt2, q2
from offline_cache import settlements as lifecycle

from .errors import ServiceError

log = logging.getLogger("client.services.backsettle")

ZERO = Decimal("0.00")
ACTIVE = ("queued", "identified", "registered", "uploaded", "settling")
STATE_WORDS = {"queued": "待补结算", "identified": "补结算中（已识别）", "registered": "补结算中（已挂号）",
               "uploaded": "补结算中（已上传费用）", "settling": "补结算中（结算结果待确认）",
               "refund_owed": "已补结算，待退款", "done": "已补结算，已退款", "declined": "患者放弃补结算（全自费）",
               "refused": "医保中心拒绝补结算（全自费）"}
METHOD_WORDS = PAYMENT_METHOD_NAMES
REF_PREFIX = "backsettle:"


def queue_in_session(session, selfpay, visit, person, *, now: datetime) -> None:
    """Queue an offline self-pay visit for 补结算 (in the self-pay's own transaction)."""
    from offline_cache.models import Backsettlement

    session.add(Backsettlement(selfpay_settlement_id=selfpay.id, visit_id=visit.id, state="queued",
                               psn_no=person.psn_no, insutype=getattr(person, "insutype", None),
                               insuplc_admdvs=getattr(person, "insuplc_admdvs", None),
                               mdtrt_cert_type=getattr(person, "mdtrt_cert_type", None),
                               mdtrt_cert_no=getattr(person, "mdtrt_cert_no", None),
                               card_sn=getattr(person, "card_sn", None) or None, attempts=0,
                               created_at=now, updated_at=now))


@dataclass
class BacksettleReport:
    attempted: int = 0
    settled: int = 0                    # 2207 confirmed and the refund recorded in this run
    refused: int = 0
    awaiting_recovery: list[dict] = field(default_factory=list)   # 2207 answer lost: recovery resolves it
    refunds: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    stopped: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def message(self) -> str:
        parts = [f"补结算 {self.settled} 笔", f"医保中心拒绝 {self.refused} 笔"]
        if self.awaiting_recovery:
            parts.append(f"结算结果待确认 {len(self.awaiting_recovery)} 笔（请执行 medsettle recover）")
        if self.stopped:
            parts.append(self.stopped)
        return "补结算：" + "，".join(parts) + "。"


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


class BackSettler:
    def __init__(self, ctx, *, now=datetime.now):
        self.ctx = ctx
        self._now = now
        self._expect = ""            # the row's state when the current step started (claimed on write)

    # -- durable bookkeeping -------------------------------------------------------------------
    def _step(self, bs_id: int, infno: str) -> str:
        """A fresh msgid for the next request, committed with the row BEFORE the request leaves."""
        msgid = self.ctx.new_msgid()
        with self.ctx.store.session() as s:
            row = _claim(s, bs_id, self._expect)     # still ours: nobody moved it meanwhile
            row.step_infno, row.step_msgid, row.updated_at = infno, msgid, self._now()
        return msgid

    def _move(self, bs_id: int, state: str, *, expect: str, **fields) -> None:
        with self.ctx.store.session() as s:
            row = _claim(s, bs_id, expect)
            row.state, row.updated_at = state, self._now()
            for k, v in fields.items():
                setattr(row, k, v)

    def _snapshot(self, bs_id: int):
        from offline_cache.models import Backsettlement

        with self.ctx.store.read_session() as s:
            row = s.get(Backsettlement, bs_id)
            s.expunge_all()
        return row

    # -- steps ---------------------------------------------------------------------------------
    def _identify(self, bs) -> None:
        from client.api.evoucher import query_person_by_card, query_person_by_certno

        if bs.mdtrt_cert_type == "03":
            req = query_person_by_card(bs.mdtrt_cert_no or "", bs.card_sn or "")
        else:
            req = query_person_by_certno(bs.mdtrt_cert_no or "")
        msgid = self._step(bs.id, "1101")
        info = self.ctx.call(req, msgid=msgid)
        if info.baseinfo.psn_no != bs.psn_no:
            raise _Refused("1101", f"医保中心返回的人员编号 {info.baseinfo.psn_no} 与离线收费时的 {bs.psn_no} 不一致")
        insu = [i for i in info.insuinfo if i.insutype == bs.insutype] or list(info.insuinfo)
        if not insu:
            raise _Refused("1101", "医保中心未返回参保信息（未参保）")
        if str(insu[0].psn_insu_stas or "1") != "1":
            raise _Refused("1101", f"参保状态为 {insu[0].psn_insu_stas}（非正常参保），不能补结算")
        self._move(bs.id, "identified", expect="queued", insutype=insu[0].insutype,
                   insuplc_admdvs=insu[0].insuplc_admdvs or bs.insuplc_admdvs)

    def _register(self, bs, visit) -> None:
        from client.api.transactions import Register
        from offline_cache.models import FeeLine, Visit

        op = self.ctx.operator
        req = Register(psn_no=bs.psn_no, insutype=bs.insutype or "", begntime=_ts(visit.begntime),
                       mdtrt_cert_type=bs.mdtrt_cert_type or "02", mdtrt_cert_no=bs.mdtrt_cert_no or "",
                       ipt_otp_no=f"{visit.ipt_otp_no or 'L'}-{bs.attempts + 1}", atddr_no=op.opter,
                       dr_name=op.opter_name, dept_code=op.office_id or "A03", dept_name=op.office_name or "门诊",
                       caty=op.office_id or "A03", insuplc_admdvs=bs.insuplc_admdvs or "")
        msgid = self._step(bs.id, "2201")
        out = self.ctx.call(req, msgid=msgid)
        with self.ctx.store.session() as s:
            v = s.get(Visit, visit.id)
            v.mdtrt_id, v.reg_msgid, v.updated_at = out.mdtrt_id, msgid, self._now()
            row = _claim(s, bs.id, "identified")
            s.execute(FeeLine.__table__.update().where(FeeLine.visit_id == visit.id).values(uploaded=False))
            row.state, row.mdtrt_id, row.updated_at = "registered", out.mdtrt_id, self._now()

    def _upload(self, bs, visit, lines) -> None:
        from client.api.transactions import Diagnosis, FeeDetail, UploadFees, UploadVisit, VisitInfo
        from offline_cache.models import FeeLine

        from .checkout import DEFAULT_DIAG

        op = self.ctx.operator
        begn = _ts(visit.begntime)
        opsp = getattr(visit, "opsp_dise_code", None)     # 门诊慢特病: the disease chosen at the counter
        req = UploadVisit(VisitInfo(mdtrt_id=bs.mdtrt_id, psn_no=bs.psn_no, med_type=visit.med_type or "11",
                                    begntime=begn, dise_codg=opsp or DEFAULT_DIAG[0],
                                    dise_name=(visit.opsp_dise_name or "") if opsp else DEFAULT_DIAG[1]),
                          [Diagnosis(diag_type="1", diag_srt_no="1", diag_code=DEFAULT_DIAG[0],
                                     diag_name=DEFAULT_DIAG[1], diag_dept=op.office_name or "门诊",
                                     dise_dor_no=op.opter, dise_dor_name=op.opter_name, diag_time=begn)],
                          insuplc_admdvs=bs.insuplc_admdvs or "")
        self.ctx.call(req, msgid=self._step(bs.id, "2203"))
        rows = [FeeDetail(feedetl_sn=ln.feedetl_sn, mdtrt_id=bs.mdtrt_id, psn_no=bs.psn_no,
                          fee_ocur_time=_ts(ln.fee_ocur_time or visit.begntime), med_list_codg=ln.med_list_codg,
                          medins_list_codg=ln.medins_list_codg or ln.med_list_codg,
                          det_item_fee_sumamt=ln.det_item_fee_sumamt, cnt=ln.cnt, pric=ln.pric,
                          bilg_dept_codg=ln.bilg_dept_codg or "A03", bilg_dept_name=ln.bilg_dept_name or "门诊",
                          bilg_dr_codg=ln.bilg_dr_codg or "", bilg_dr_name=ln.bilg_dr_name or "",
                          chrg_bchno=ln.chrg_bchno or "") for ln in lines]
        msgid = self._step(bs.id, "2204")
        out = self.ctx.call(UploadFees(rows, insuplc_admdvs=bs.insuplc_admdvs or ""), msgid=msgid)
        by_sn = {r.feedetl_sn: r for r in out.result}
        with self.ctx.store.session() as s:
            b = _claim(s, bs.id, "registered")
            for ln in lines:
                row = s.get(FeeLine, ln.id)
                row.uploaded = True
                r = by_sn.get(ln.feedetl_sn)
                if r is not None:
                    row.fulamt_ownpay_amt, row.overlmt_amt = r.fulamt_ownpay_amt, r.overlmt_amt
                    row.preselfpay_amt, row.inscp_scp_amt = r.preselfpay_amt, r.inscp_scp_amt
                    row.selfpay_prop, row.pric_uplmt_amt = r.selfpay_prop, r.pric_uplmt_amt
            b.state, b.updated_at = "uploaded", self._now()

    def _settle(self, bs, selfpay, lines) -> None:
        """2206, then the 2207 row committed (``sent``, fresh msgid) and the 2207 sent."""
        from client.api.transactions import PreSettle, Settle
        from offline_cache import audit
        from offline_cache.models import Settlement

        medfee = q2(sum((ln.det_item_fee_sumamt for ln in lines), ZERO))
        chrg_bchno = lines[0].chrg_bchno if lines else ""
        acct = "1" if self.ctx.settings.offline.backsettle_account else "0"
        pre = PreSettle(psn_no=bs.psn_no, mdtrt_cert_type=bs.mdtrt_cert_type or "02",
                        mdtrt_cert_no=bs.mdtrt_cert_no or "", med_type="11", medfee_sumamt=medfee,
                        psn_setlway="01", mdtrt_id=bs.mdtrt_id, chrg_bchno=chrg_bchno or "", insutype=bs.insutype or "",
                        acct_used_flag=acct, insuplc_admdvs=bs.insuplc_admdvs or "")
        pres = self.ctx.call(pre, msgid=self._step(bs.id, "2206"))
        req = Settle.from_presettle(pre, pres)
        m2207 = self.ctx.new_msgid()
        now = self._now()
        with self.ctx.store.session() as s:       # durable before network: the 2207 row with its msgid
            b = _claim(s, bs.id, "uploaded")       # one 2207 per attempt, even with two drains at once
            st = lifecycle.new("sent", visit_id=bs.visit_id, msgid=m2207, infno="2207", mdtrt_id=bs.mdtrt_id,
                               medfee_sumamt=medfee, provisional=False, offline=False,
                               opter=selfpay.opter or self.ctx.operator.opter,   # the cashier who took the money
                               shift_id=selfpay.shift_id,
                               preview_json=json.dumps({"backsettle_of": selfpay.id, "backsettlement_id": bs.id,
                                                        "presettle": jsonable(pres.setlinfo.raw)},
                                                       ensure_ascii=False, sort_keys=True),
                               created_at=now, updated_at=now)
            s.add(st)
            s.flush()
            b.state, b.settlement_id, b.step_infno, b.step_msgid = "settling", st.id, "2207", m2207
            b.attempts, b.updated_at = (b.attempts or 0) + 1, now
            _transfer_payments(s, selfpay.id, st.id, bs.id, now=now)
            audit.append(s, actor=self.ctx.operator.opter, action="backsettle.sent",
                         detail={"backsettlement_id": bs.id, "selfpay_settlement_id": selfpay.id,
                                 "settlement_id": st.id, "msgid": m2207, "mdtrt_id": bs.mdtrt_id})
            sid = st.id
        self._expect = "settling"
        try:
            out = self.ctx.call(req, msgid=m2207)
        except TransportError:
            with self.ctx.store.session() as s:      # the answer is lost: recovery resolves the row
                lifecycle.advance(s.get(Settlement, sid), "unknown", now=self._now())
            raise
        except BusinessError as exc:
            with self.ctx.store.session() as s:      # refused: nothing settled; the money goes back
                lifecycle.advance(s.get(Settlement, sid), "failed", now=self._now())
                _transfer_payments(s, sid, selfpay.id, bs.id, now=self._now())
            raise _Refused("2207", f"[{exc.infno}] {exc.err_msg}") from None
        from .recovery import apply_central

        with self.ctx.store.session() as s:
            row = s.get(Settlement, sid)
            apply_central(s, row, out.setlinfo.raw, [d.raw for d in out.setldetail], now=self._now())

    def _finish(self, bs) -> dict | None:
        """The 2207 row is confirmed: record the refund (once) and move to refund_owed."""
        from sqlalchemy import select

        from offline_cache import audit
        from offline_cache.models import Adjustment, Backsettlement, Payment, Settlement

        now = self._now()
        with self.ctx.store.session() as s:
            b = s.get(Backsettlement, bs.id)
            if b.state != "settling" or b.adjustment_id is not None:
                return None
            st = s.get(Settlement, b.settlement_id)
            pays = list(s.scalars(select(Payment).where(Payment.settlement_id == st.id)))
            if not any((p.ref or "") == f"{REF_PREFIX}{b.id}" for p in pays):
                _transfer_payments(s, b.selfpay_settlement_id, st.id, b.id, now=now)
                pays = list(s.scalars(select(Payment).where(Payment.settlement_id == st.id)))
            paid = q2(sum((p.amount for p in pays if p.method != "account"), ZERO))
            info = json.loads(st.setlinfo_json or "{}")
            cash = q2(Decimal(str(info.get("psn_cash_pay") or st.psn_cash_pay or 0)))
            refund = paid - cash
            fund, acct = _dec(info.get("fund_pay_sumamt")), _dec(info.get("acct_pay"))
            hosp = _dec(info.get("hosp_part_amt"))
            by_method: dict[str, Decimal] = {}
            for p in pays:
                by_method[p.method] = by_method.get(p.method, ZERO) + p.amount
            method = _refund_method(by_method)
            reason = (f"医保补结算：离线全自费已收 {fmt2(paid)} 元，医保中心结算（setl_id {info.get('setl_id') or ''}）"
                      f"个人现金支付 {fmt2(cash)} 元；医保支付的部分应退还患者 {fmt2(refund)} 元"
                      f"（基金支付总额 fund_pay_sumamt {fmt2(fund)}，个人账户 acct_pay {fmt2(acct)}"
                      + (f"，医院负担 hosp_part_amt {fmt2(hosp)}" if hosp else "")
                      + f"），按原支付方式（{METHOD_WORDS.get(method, method)}）退还。")
            if refund < 0:
                raise ServiceError("refused", f"补结算 {b.id}：医保中心个人现金支付 {fmt2(cash)} 元大于已收 {fmt2(paid)} 元，"
                                              "请财务核对（不自动补收）。")
            adj = Adjustment(settlement_id=st.id, amount=refund, direction="refund", reason=reason,
                             state="pending" if refund else "done", opter=self.ctx.operator.opter, created_at=now,
                             done_at=None if refund else now)
            s.add(adj)
            s.flush()
            sp = s.get(Settlement, b.selfpay_settlement_id)
            if sp.state == "confirmed":
                # the full self-pay is superseded by the insurance settlement (its money moved there):
                # reversed, so the books count the visit once and its e-invoice gets its red letter
                meta = json.loads(sp.preview_json or "{}")
                meta["reversal"] = {"at": _ts(now), "by": "backsettle", "backsettlement_id": b.id,
                                    "replaced_by": st.id, "reason": "医保补结算后全自费记录作废（改为医保结算）"}
                sp.preview_json = json.dumps(meta, ensure_ascii=False, sort_keys=True)
                lifecycle.advance(sp, "reversed", now=now)
            b.adjustment_id, b.refund_amount, b.refund_method = adj.id, refund, method
            b.state = "refund_owed" if refund else "done"
            b.updated_at = now
            audit.append(s, actor=self.ctx.operator.opter, action="backsettle.settled",
                         detail={"backsettlement_id": b.id, "settlement_id": st.id, "msgid": st.msgid,
                                 "setl_id": info.get("setl_id"), "refund": fmt2(refund), "method": method,
                                 "adjustment_id": adj.id})
            return {"backsettlement_id": b.id, "settlement_id": st.id, "adjustment_id": adj.id,
                    "selfpay_settlement_id": b.selfpay_settlement_id, "refund": fmt2(refund), "method": method,
                    "setl_id": info.get("setl_id")}

    # -- one visit -----------------------------------------------------------------------------
    def process(self, bs_id: int, rep: BacksettleReport) -> None:
        from sqlalchemy import select

        from offline_cache.models import FeeLine, Settlement, Visit

        for _ in range(8):                                   # at most one pass through the steps
            bs = self._snapshot(bs_id)
            with self.ctx.store.read_session() as s:
                visit = s.get(Visit, bs.visit_id)
                selfpay = s.get(Settlement, bs.selfpay_settlement_id)
                lines = list(s.scalars(select(FeeLine).where(FeeLine.visit_id == bs.visit_id).order_by(FeeLine.id)))
                attempt = s.get(Settlement, bs.settlement_id) if bs.settlement_id else None
                s.expunge_all()
            self._expect = bs.state
            if bs.state == "queued":
                self._identify(bs)
            elif bs.state == "identified":
                self._register(bs, visit)
            elif bs.state == "registered":
                if bs.step_infno in ("2203", "2204"):
                    # the answer of the upload was lost: start again from a fresh registration
                    self._abandon(bs, "费用上传应答丢失，重新挂号后补结算")
                    continue
                self._upload(bs, visit, lines)
            elif bs.state == "uploaded":
                self._settle(bs, selfpay, lines)
            elif bs.state == "settling":
                if attempt is None:
                    self._move(bs.id, "uploaded", expect="settling")
                elif attempt.state == "confirmed":
                    done = self._finish(bs)
                    if done:
                        rep.settled += 1
                        rep.refunds.append(done)
                    return
                elif attempt.state == "failed":
                    # recovery: the platform has no such settlement — settle again with a new msgid
                    self._return_payments(bs, attempt)
                elif attempt.state == "reversed":
                    raise _Refused("2207", f"补结算的结算（报文ID {attempt.msgid}）已被撤销或冲正，保持全自费；"
                                           "请核对医保中心记录后用 medsettle offline requeue 重新补结算")
                else:                                        # sent / unknown / prepared
                    rep.awaiting_recovery.append({"backsettlement_id": bs.id, "settlement_id": attempt.id,
                                                  "msgid": attempt.msgid, "state": attempt.state})
                    return
            else:
                return

    def _abandon(self, bs, why: str) -> None:
        from offline_cache import audit

        with self.ctx.store.session() as s:
            b = _claim(s, bs.id, "registered")
            audit.append(s, actor=self.ctx.operator.opter, action="backsettle.abandoned_registration",
                         detail={"backsettlement_id": bs.id, "mdtrt_id": b.mdtrt_id, "step_msgid": b.step_msgid,
                                 "why": why})
            b.state, b.mdtrt_id, b.attempts, b.updated_at = "identified", None, (b.attempts or 0) + 1, self._now()
            b.step_infno = None

    def _return_payments(self, bs, attempt) -> None:
        """Recovery found the attempt not settled: its money goes back, the visit is settled again."""
        with self.ctx.store.session() as s:
            b = _claim(s, bs.id, "settling")
            if b.settlement_id != attempt.id:
                raise _Skip()
            _transfer_payments(s, attempt.id, bs.selfpay_settlement_id, bs.id, now=self._now())
            b.state, b.updated_at = "uploaded", self._now()

    # -- loop ----------------------------------------------------------------------------------
    def drain(self, *, max_items: int | None = None) -> BacksettleReport:
        """One drain at a time per store (a lease, taken over when its holder died or it expired):
        an in-flight request of another drain is indistinguishable from a lost answer."""
        rep = BacksettleReport()
        if not due_ids(self.ctx.store):
            return rep
        lease = _Lease(self.ctx)
        if not lease.acquire():
            rep.stopped = "另一个补结算正在进行（本窗口或 medsettle offline backsettle），稍后再试"
            return rep
        try:
            self._drain(rep, max_items, lease)
        finally:
            lease.release()
        return rep

    def _drain(self, rep: BacksettleReport, max_items: int | None, lease) -> None:
        for bs_id in due_ids(self.ctx.store):
            if max_items is not None and rep.attempted >= max_items:
                break
            if not lease.renew():
                rep.stopped = "补结算租约已被其他进程接管，本次停止"
                break
            rep.attempted += 1
            try:
                self.process(bs_id, rep)
            except _Skip:
                continue                                    # another drain moved the row meanwhile
            except TransportError as exc:
                rep.errors.append({"backsettlement_id": bs_id, "error": str(exc)})
                rep.stopped = f"医保中心无应答，补结算已暂停（{exc.cause}），稍后重试"
                bs = self._snapshot(bs_id)
                if bs.state == "settling":
                    rep.awaiting_recovery.append({"backsettlement_id": bs_id, "settlement_id": bs.settlement_id,
                                                  "msgid": bs.step_msgid, "state": "unknown"})
                break
            except (_Refused, BusinessError) as exc:
                why = exc.text if isinstance(exc, _Refused) else f"[{exc.infno}] {exc.err_msg}"
                self._refuse(bs_id, why)
                rep.refused += 1
                rep.errors.append({"backsettlement_id": bs_id, "refused": why})
            except ServiceError as exc:                     # settled, but the figures need a person
                rep.errors.append({"backsettlement_id": bs_id, "error": exc.message})
            except ApiError as exc:
                self._refuse(bs_id, str(exc))
                rep.refused += 1
                rep.errors.append({"backsettlement_id": bs_id, "refused": str(exc)})

    def _refuse(self, bs_id: int, why: str) -> None:
        from offline_cache import audit
        from offline_cache.models import Backsettlement

        with self.ctx.store.session() as s:
            b = s.get(Backsettlement, bs_id)
            if b is None or b.state != self._expect:
                return                    # another drain moved the row: its refusal is not this one's
            b.state, b.reason, b.updated_at = "refused", why, self._now()
            audit.append(s, actor=self.ctx.operator.opter, action="backsettle.refused",
                         detail={"backsettlement_id": bs_id, "reason": why})


LEASE = "backsettle.lease"


class _Lease:
    """``sync_state`` row ``backsettle.lease``: holder (host, pid, token) and expiry, taken and renewed
    in write transactions (BEGIN IMMEDIATE). A holder that is not running any more (same host, pid
    gone) or past its expiry (connect + read timeout + 30 s) is taken over."""

    def __init__(self, ctx):
        import os
        import socket
        import uuid

        from .recovery import grace_seconds

        self.ctx = ctx
        self.me = {"host": socket.gethostname(), "pid": os.getpid(), "token": uuid.uuid4().hex}
        self.ttl = grace_seconds(ctx)

    def _held_by_other(self, detail: dict | None, now: datetime) -> bool:
        if not detail or detail.get("token") == self.me["token"]:
            return False
        try:
            if datetime.fromisoformat(str(detail.get("until"))) < now:
                return False
        except ValueError:
            return False
        if detail.get("host") == self.me["host"] and not _pid_alive(int(detail.get("pid") or 0)):
            return False
        return True

    def _write(self, *, take: bool) -> bool:
        from datetime import timedelta

        from offline_cache.sync import get_sync_state, set_sync_state

        now = datetime.now()
        with self.ctx.store.connection() as conn:
            cur = get_sync_state(conn, LEASE)
            detail = cur.detail if cur else None
            if self._held_by_other(detail, now):
                return False
            if not take and (not detail or detail.get("token") != self.me["token"]):
                return False
            set_sync_state(conn, LEASE, in_progress=True,
                           detail=dict(self.me, until=(now + timedelta(seconds=self.ttl)).isoformat()), now=now)
        return True

    def acquire(self) -> bool:
        return self._write(take=True)

    def renew(self) -> bool:
        return self._write(take=False)

    def release(self) -> None:
        from offline_cache.sync import get_sync_state, set_sync_state

        with self.ctx.store.connection() as conn:
            cur = get_sync_state(conn, LEASE)
            if cur and cur.detail and cur.detail.get("token") == self.me["token"]:
                set_sync_state(conn, LEASE, in_progress=False, detail={}, now=datetime.now())


def _pid_alive(pid: int) -> bool:
    import os

    if pid <= 0:
        return False
    if os.name != "posix":
        return True                 # rely on the expiry elsewhere
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Skip(Exception):
    """The row is no longer in the state this step started from (another drain is on it)."""


def _claim(session, bs_id: int, expect: str):
    """The row, inside the caller's write transaction (BEGIN IMMEDIATE), if it is still in ``expect``."""
    from offline_cache.models import Backsettlement

    row = session.get(Backsettlement, bs_id)
    if row is None or row.state != expect:
        raise _Skip()
    return row


class _Refused(Exception):
    def __init__(self, infno: str, text: str):
        self.infno, self.text = infno, text
        super().__init__(text)


def _dec(v) -> Decimal:
    if v in (None, ""):
        return ZERO
    return q2(Decimal(str(v)))


def jsonable(v):
    from offline_cache.jsonutil import jsonable as _j

    return _j(v)


def _refund_method(by_method: dict[str, Decimal]) -> str:
    """原路退还: the method the patient paid with (the largest non-cash one when several, else cash)."""
    paid = {m: a for m, a in by_method.items() if a > 0 and m != "account"}
    non_cash = {m: a for m, a in paid.items() if m != "cash"}
    if non_cash:
        return max(non_cash.items(), key=lambda kv: kv[1])[0]
    return "cash"


def _transfer_payments(session, from_id: int, to_id: int, bs_id: int, *, now: datetime) -> None:
    """Move the payments' net amounts per method from one settlement to another (neutral for drawers:
    the pair carries the same shift)."""
    from sqlalchemy import select

    from offline_cache.models import Payment

    net: dict[str, tuple[Decimal, int | None]] = {}
    for p in session.scalars(select(Payment).where(Payment.settlement_id == from_id)):
        amt, shift = net.get(p.method, (ZERO, None))
        net[p.method] = (amt + p.amount, shift or p.shift_id)
    for method, (amt, shift) in net.items():
        if amt == 0:
            continue
        ref = f"{REF_PREFIX}{bs_id}"
        session.add(Payment(settlement_id=from_id, method=method, amount=-amt, ref=ref, created_at=now, shift_id=shift))
        session.add(Payment(settlement_id=to_id, method=method, amount=amt, ref=ref, created_at=now, shift_id=shift))
    session.flush()


def due_ids(store) -> list[int]:
    with store.read_connection() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT id FROM backsettlements WHERE state IN ('queued', 'identified', 'registered', 'uploaded', "
            "'settling') ORDER BY id")]


def drain(ctx, *, max_items: int | None = None) -> BacksettleReport:
    return BackSettler(ctx).drain(max_items=max_items)


def sync_refunds(store) -> int:
    """Rows whose refund adjustment was handed over (at the window or by CLI) become ``done``."""
    with store.read_connection() as conn:      # no write transaction when there is nothing to do
        if not conn.exec_driver_sql(
                "SELECT 1 FROM backsettlements b JOIN adjustments a ON a.id = b.adjustment_id "
                "WHERE b.state = 'refund_owed' AND a.state = 'done' LIMIT 1").fetchone():
            return 0
    with store.connection() as conn:
        res = conn.exec_driver_sql(
            "UPDATE backsettlements SET state = 'done' WHERE state = 'refund_owed' AND adjustment_id IN "
            "(SELECT id FROM adjustments WHERE state = 'done')")
        return res.rowcount or 0


def listing(store, *, states: tuple[str, ...] | None = None) -> list[dict]:
    """Every queued / settled / refused offline self-pay visit with its state words and amounts."""
    sql = ("SELECT b.id, b.selfpay_settlement_id, b.state, b.psn_no, b.insuplc_admdvs, b.reason, b.refund_amount, "
           "b.refund_method, b.adjustment_id, a.state, sp.medfee_sumamt, st.psn_cash_pay, st.setl_id, st.state, "
           "sp.created_at, b.settlement_id FROM backsettlements b JOIN settlements sp ON sp.id = b.selfpay_settlement_id "
           "LEFT JOIN settlements st ON st.id = b.settlement_id LEFT JOIN adjustments a ON a.id = b.adjustment_id")
    args: tuple = ()
    if states:
        sql += " WHERE b.state IN (" + ", ".join("?" for _ in states) + ")"
        args = tuple(states)
    sql += " ORDER BY b.id"
    out = []
    with store.read_connection() as conn:
        for r in conn.exec_driver_sql(sql, args):
            state = "done" if r[2] == "refund_owed" and r[9] == "done" else r[2]
            out.append({"backsettlement_id": r[0], "selfpay_settlement_id": r[1], "state": state,
                        "state_name": STATE_WORDS.get(state, state), "psn_no": r[3], "insuplc_admdvs": r[4],
                        "reason": r[5] or "", "refund": None if r[6] is None else fmt2(Decimal(r[6]) / 100),
                        "refund_method": r[7], "refund_method_name": METHOD_WORDS.get(r[7] or "", r[7] or ""),
                        "adjustment_id": r[8], "medfee_sumamt": fmt2(Decimal(r[10] or 0) / 100),
                        "psn_cash_pay": None if r[11] is None else fmt2(Decimal(r[11]) / 100),
                        "setl_id": r[12], "settlement_state": r[13], "selfpay_at": str(r[14])[:19],
                        "settlement_id": r[15]})
    return out


def summary(store, day=None) -> dict:
    """Counts for the status bar and the day-end / Z report: offline self-pay visits (of the day, when
    given), 补结算 done, refunds owed / paid (amounts)."""
    d = day.isoformat() if day is not None else None
    where = " AND substr(sp.created_at, 1, 10) = ?" if d else ""
    args = (d,) if d else ()
    with store.read_connection() as conn:
        n_selfpay = conn.exec_driver_sql(
            "SELECT count(*) FROM settlements sp WHERE sp.infno = '0000' AND sp.offline = 1" + where, args).scalar_one()
        rows = conn.exec_driver_sql(
            "SELECT b.state, a.state, count(*), coalesce(sum(b.refund_amount), 0), coalesce(b.refund_amount, 0) > 0 "
            "FROM backsettlements b JOIN settlements sp ON sp.id = b.selfpay_settlement_id "
            "LEFT JOIN adjustments a ON a.id = b.adjustment_id WHERE 1 = 1" + where
            + " GROUP BY b.state, a.state, coalesce(b.refund_amount, 0) > 0", args).fetchall()
    out = {"offline_self_pay": n_selfpay, "queued": 0, "in_progress": 0, "backsettled": 0, "refused": 0,
           "declined": 0, "refunds_owed": 0, "refunds_owed_amount": ZERO, "refunds_paid": 0,
           "refunds_paid_amount": ZERO}
    for state, adj_state, n, fen, owed in rows:
        amt = Decimal(fen or 0) / 100
        if state == "queued":
            out["queued"] += n
        elif state in ACTIVE:
            out["in_progress"] += n
        elif state in ("refund_owed", "done"):
            out["backsettled"] += n
            if not owed:
                continue                                # the platform paid nothing: no refund
            if state == "refund_owed" and adj_state != "done":
                out["refunds_owed"] += n
                out["refunds_owed_amount"] += amt
            else:
                out["refunds_paid"] += n
                out["refunds_paid_amount"] += amt
        elif state in ("refused", "declined"):
            out[state] += n
    out["refunds_owed_amount"] = fmt2(out["refunds_owed_amount"])
    out["refunds_paid_amount"] = fmt2(out["refunds_paid_amount"])
    return out


def refund_paid(ctx, bs_id: int, *, opter: str | None = None, in_cash: bool = False) -> dict:
    """The cash refund was handed over at the counter: the adjustment is done (audited, needs an open
    shift; the drawer's expected cash goes down by it) and the row ``done``.

    A refund owed to a payment code / card (原路退还 through WeChat, Alipay, bank card, e-CNY) is made by
    the payment gateway's refund, not here: it stays owed (``refund_method`` names the channel) unless
    the patient agrees to take it in cash at the counter (``in_cash``)."""
    from offline_cache import audit
    from offline_cache.models import Adjustment

    from .shifts import require_shift

    rows = [r for r in listing(ctx.store) if r["backsettlement_id"] == bs_id]
    if not rows:
        raise ServiceError("invalid_input", f"没有编号为 {bs_id} 的补结算记录，请用 medsettle offline list 查看。")
    r = rows[0]
    if r["state"] != "refund_owed" or not r["adjustment_id"]:
        raise ServiceError("invalid_input", f"补结算记录 {bs_id} 当前为“{r['state_name']}”，没有待退款项。")
    if (r["refund_method"] or "cash") != "cash" and not in_cash:
        raise ServiceError("invalid_input", f"补结算记录 {bs_id} 的退款 {r['refund']} 元应按原支付方式"
                                            f"（{r['refund_method_name']}）原路退还，须通过支付渠道办理；"
                                            "如患者同意改为现金退款，请加 --cash。")
    who = opter or ctx.operator.opter
    require_shift(ctx.store, who, "办理补结算退款")
    with ctx.store.session() as s:          # as forward.settle_adjustment does for 退补差额
        a = s.get(Adjustment, r["adjustment_id"])
        if a is None or a.state != "pending":
            raise ServiceError("invalid_input", f"退补记录 {r['adjustment_id']} 不存在或已处理。")
        a.state, a.done_at = "done", datetime.now()
        audit.append(s, actor=who, action="adjustment.done",
                     detail={"adjustment_id": a.id, "settlement_id": a.settlement_id, "direction": a.direction,
                             "amount": fmt2(a.amount), "method": "cash",
                             "original_method": r["refund_method"] or "cash", "backsettlement_id": bs_id})
    sync_refunds(ctx.store)
    return dict(r, state="done", state_name=STATE_WORDS["done"])


def decline(ctx, bs_id: int, reason: str) -> None:
    """The patient declines 补结算 (or it is not possible): stays full self-pay, the reason recorded."""
    from offline_cache import audit
    from offline_cache.models import Backsettlement

    if not (reason or "").strip():
        raise ServiceError("invalid_input", "请填写患者放弃补结算的原因。")
    with ctx.store.session() as s:
        b = s.get(Backsettlement, bs_id)
        if b is None:
            raise ServiceError("invalid_input", f"没有编号为 {bs_id} 的补结算记录。")
        if b.state not in ("queued", "identified", "registered", "refused"):
            raise ServiceError("invalid_input", f"补结算记录 {bs_id} 已在结算或已结算（{STATE_WORDS.get(b.state)}），"
                                                "不能放弃。")
        b.state, b.reason, b.updated_at = "declined", reason.strip(), datetime.now()
        audit.append(s, actor=ctx.operator.opter, action="backsettle.declined",
                     detail={"backsettlement_id": bs_id, "reason": reason.strip()})


def requeue(ctx, bs_id: int) -> None:
    """A refused (or declined) visit is tried again from the start (a person corrected the cause)."""
    from offline_cache import audit
    from offline_cache.models import Backsettlement

    with ctx.store.session() as s:
        b = s.get(Backsettlement, bs_id)
        if b is None or b.state not in ("refused", "declined"):
            raise ServiceError("invalid_input", f"补结算记录 {bs_id} 不存在，或不是被拒绝/放弃的记录。")
        audit.append(s, actor=ctx.operator.opter, action="backsettle.requeued",
                     detail={"backsettlement_id": bs_id, "previous_reason": b.reason})
        b.state, b.mdtrt_id, b.step_infno, b.updated_at = "queued", None, None, datetime.now()
