"""Offline emergency settlement (离线应急结算) and the full self-pay fallback (全自费).

When the platform cannot be reached the window may still settle a patient, within limits the
hospital configures (``[offline]`` in the site file, ``client.config.OfflineSettings``).

DEFAULT = full self-pay, settled afterwards (全自费 + 补结算): the patient pays the whole amount and
the receipt says it is a 全自费 receipt pending 医保补结算; when the patient was identified from the
cache as insured, the visit is queued (``backsettlements`` row, in the same transaction) and
``client.services.backsettle`` settles it with the platform when it is back and refunds what the
platform paid. This is public practice during outages.

The locally computed PROVISIONAL insurance settlement below is a per-region option only
(``[offline] provisional_regions``, off by default; it needs the regional office's approval):

* identification only from the local person cache, by social-security card or ID number — an
  e-voucher QR cannot be decoded without the platform (``ServiceError('invalid_input')`` saying so);
* the settlement is computed locally by the engine (``casebuild.build_case`` → ``engine.settle``)
  with the cached catalogue and policy bundle, and is PROVISIONAL: the platform's result, obtained
  when the outbox is drained (``client.services.forward``), is authoritative and any difference
  becomes an adjustment record (退补差额);
* the personal account is never used offline (``acct_used_flag`` "0"): its balance lives on the
  platform, so the patient's whole share (``psn_part_amt``) is taken by cash / card / QR payment;
* the visit, its fee lines, the provisional settlement, the payments and ONE outbox document
  (kind ``offline_checkout``: 2201 registration → 2204 fee upload → 2206/2207 settlement, with the
  msgids of 2201, 2204 and 2207 generated and recorded here, before any attempt) are written in ONE
  SQLite transaction: either all of it exists or none of it;
* limits — offline disabled, inpatient not allowed, total above ``max_amount``, cached person /
  policy bundle / catalogue older than ``max_cache_age_hours``, no cached policy bundle, insurance
  suspended — raise ``OfflineLimitExceeded`` (code ``offline_limit``) listing every reason in
  Chinese; the window then offers full self-pay (``settle_self_pay``), recorded as such
  (settlement ``infno`` "0000", never sent, listed for later reimbursement at the insured place).

Receipts: the result's ``receipt`` dict carries ``flags`` (``["离线结算"]`` or ``["全自费"]``) for
the receipt printer; the patient is told the amount is provisional.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from client.domain import casebuild, engine
from client.domain.codes import BACKSETTLE_NOTE
from client.domain.money import fmt2, q2
from offline_cache import settlements as lifecycle

from .errors import ServiceError

log = logging.getLogger("client.services.offline")

OUTBOX_KIND = "offline_checkout"
SETLINFO_ZERO_FIELDS = ("overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "cvlserv_pay",
                        "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt", "acct_pay",
                        "hosp_part_amt", "balc", "acct_mulaid_pay")
SELF_PAY_INFNO = "0000"
FLAG_OFFLINE = "离线结算"
FLAG_SELF_PAY = "全自费"
FLAG_BACKSETTLE = "待医保补结算"
BACKSETTLE_REASON = "医保中心连接中断，按全自费收取，医保中心恢复后办理补结算"
ZERO = Decimal("0.00")


class OfflineLimitExceeded(ServiceError):
    """Offline insurance settlement is not allowed for this case; offer full self-pay instead."""

    def __init__(self, reasons: list[str], total: Decimal):
        self.reasons = list(reasons)
        self.total = q2(total)
        msg = ("不能离线医保结算：" + "；".join(reasons) + f"。可按全自费收取 {fmt2(self.total)} 元"
               "（全自费收据；医保中心恢复后办理补结算，医保支付部分退还患者），或等待医保中心恢复后再结算。")
        super().__init__("offline_limit", msg, detail="；".join(reasons))


@dataclass
class OfflineLine:
    feedetl_sn: str
    code: str
    name: str
    cnt: Decimal
    pric: Decimal
    amount: Decimal
    entry: dict | None          # cached catalogue row (None = 目录外)

    def fee_line(self) -> dict:
        return {"feedetl_sn": self.feedetl_sn, "med_list_codg": self.code, "cnt": str(self.cnt),
                "pric": str(self.pric), "det_item_fee_sumamt": fmt2(self.amount)}


@dataclass
class OfflineQuote:
    lines: list[OfflineLine]
    total: Decimal
    setlinfo: dict | None = None        # provisional (None when limits forbid insurance settlement)
    setldetail: list = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    backsettle: bool = False            # a self-pay of this patient would be queued for 补结算
    default_self_pay: bool = False      # the default offline mode (no provisional option for the region)

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def due(self) -> Decimal:
        if self.setlinfo is None:
            return self.total
        return q2(Decimal(self.setlinfo["psn_cash_pay"]))


@dataclass
class OfflineResult:
    settlement_id: int
    visit_id: int
    msgid: str
    self_pay: bool
    setlinfo: dict
    payments: list[dict]
    outbox_id: int | None
    receipt: dict

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _entry_dict(item) -> dict:
    return {"med_list_codg": item.med_list_codg, "name": item.name, "chrgitm_lv": item.chrgitm_lv,
            "med_chrgitm_type": item.med_chrgitm_type,
            "selfpay_prop": None if item.selfpay_prop is None else str(item.selfpay_prop),
            "pric_uplmt_amt": None if item.pric_uplmt_amt is None else str(item.pric_uplmt_amt),
            "begndate": item.begndate.isoformat() if item.begndate else None,
            "enddate": item.enddate.isoformat() if item.enddate else None, "vali_flag": item.vali_flag or "1"}


class OfflineService:
    def __init__(self, ctx, *, now=datetime.now):
        self.ctx = ctx
        self._now = now
        self.limits = ctx.settings.offline

    # -- identification ------------------------------------------------------------------------
    def identify(self, *, certno: str | None = None, card: str | None = None, ecqr: str | None = None):
        """The cached person (IdentifiedPerson) by ID number or card data; never calls the platform."""
        from client.domain import identity

        from .identify import IdentifyService

        if ecqr:
            raise ServiceError("invalid_input", "医保中心连接中断，医保电子凭证无法离线识别。"
                                                "请患者出示社保卡（读卡）或提供身份证号，按离线应急结算办理。")
        svc = IdentifyService(self.ctx)
        try:
            if certno:
                rid = identity.parse_resident_id(certno)
                key, cert_type, cert_no, card_sn = ("certno", rid.certno), "02", rid.certno, ""
            elif card:
                cd = identity.parse_card_data(card)
                key, cert_type, cert_no, card_sn = ("card_no", cd.card_no), "03", cd.card_no, cd.card_sn
            else:
                raise ServiceError("invalid_input", "请读社保卡或输入身份证号。")
        except identity.IdentityError as exc:
            raise ServiceError("invalid_input", exc.message) from None
        person = svc.identify_from_cache(key, cert_type, cert_no, card_sn)
        if person is None:
            raise ServiceError("offline", "医保中心连接中断，本机没有该患者的缓存参保信息，不能离线医保结算。"
                                          "可按全自费收费，或请患者稍后再来。")
        return person

    # -- quoting -------------------------------------------------------------------------------
    def price_lines(self, fees) -> list[OfflineLine]:
        """The fee inputs priced from the local catalogue (or their own price): the lines of an offline
        or self-pay settlement. A line with neither is refused, naming it."""
        from offline_cache.catalog import get_item

        out = []
        for i, f in enumerate(fees, 1):
            item = get_item(self.ctx.store, self.ctx.admdvs, f.code, at=self._now().date())
            pric = f.pric if f.pric is not None else (item.pric if item is not None else None)
            if pric is None:
                raise ServiceError("invalid_input", f"费用{f.where or f'第{i}条'}的项目 {f.code} 不在本机缓存的目录中，"
                                                    "也没有填写单价，不能离线收费。请填写单价或核对编码。")
            out.append(OfflineLine(str(i), f.code, f.name or (item.name if item else f.code), f.cnt, Decimal(pric),
                                   q2(f.cnt * Decimal(pric)), _entry_dict(item) if item else None))
        if not out:
            raise ServiceError("invalid_input", "没有费用明细，不能结算。")
        return out

    def cache_times(self, person) -> dict[str, datetime | None]:
        from .connectivity import as_datetime, cache_ages

        ages = cache_ages(self.ctx.store)
        with self.ctx.store.read_connection() as conn:
            b = conn.exec_driver_sql("SELECT max(fetched_at) FROM policy_bundles WHERE insuplc_admdvs = ?",
                                     (person.insuplc_admdvs,)).scalar_one()
            p = conn.exec_driver_sql("SELECT fetched_at FROM persons WHERE psn_no = ?", (person.psn_no,)).scalar_one_or_none()
        return {"person": as_datetime(p), "bundle": as_datetime(b), "catalog": ages.catalog_synced_at}

    def quote(self, person, fees, *, kind: str = "outpatient", med_type: str = "11") -> OfflineQuote:
        """Lines, total and (when allowed) the provisional settlement; ``reasons`` lists the limits hit."""
        from .sync import stored_bundle

        lines = self.price_lines(fees)
        total = q2(sum((ln.amount for ln in lines), ZERO))
        q = OfflineQuote(lines, total, backsettle=self.backsettle_possible(person, kind))
        lim = self.limits
        if not lim.provisional_allowed(getattr(person, "insuplc_admdvs", None)):
            # the default: no locally computed fund payment; full self-pay, 补结算 afterwards
            q.reasons.append(PROVISIONAL_OFF)
            q.default_self_pay = True
            return q
        if not lim.enabled:
            q.reasons.append("本院未开通离线医保结算")
        if kind != "outpatient" and not lim.allow_inpatient:
            q.reasons.append("本院规定住院不能离线结算")
        if total > lim.max_amount:
            q.reasons.append(f"费用总额 {fmt2(total)} 元超过离线结算限额 {fmt2(lim.max_amount)} 元")
        if getattr(person.view, "suspended", False):
            q.reasons.append("缓存显示该参保人暂停参保")
        now = self._now()
        max_age = timedelta(hours=lim.max_cache_age_hours)
        names = {"person": "参保人信息", "bundle": "参保地待遇政策包", "catalog": "医保目录"}
        for k, t in self.cache_times(person).items():
            if k == "bundle":       # imported site data with its own validity dates: checked below, not by age
                continue
            if t is None:
                q.reasons.append(f"本机没有{names[k]}缓存")
            elif now - t > max_age:
                q.reasons.append(f"本机{names[k]}缓存时间为 {t:%Y-%m-%d %H:%M}，超过 {lim.max_cache_age_hours} 小时")
        bundle = stored_bundle(self.ctx.store, person.insuplc_admdvs, now.date())
        if bundle is None:
            from .policies import place_name

            q.reasons.append(f"无{place_name(person.insuplc_admdvs)}政策参数（本机没有该参保地在今天有效的政策参数），"
                             "不能离线医保结算")
        if q.reasons or bundle is None:
            return q
        today = now.date().isoformat()
        visit = {"mdtrtarea_admvs": self.ctx.admdvs, "hosp_lv": self.ctx.hosp_lv, "med_type": med_type,
                 "begndate": today, "filing": casebuild.filing_for_visit(person.filing, self.ctx.admdvs, today)}
        opsp = _only_filing(person, med_type, today)
        if opsp:
            visit["opsp_dise_code"] = opsp["opsp_dise_code"]
        try:
            case = casebuild.build_case(visit, person.case_person("0"), [ln.entry for ln in lines if ln.entry],
                                        [ln.fee_line() for ln in lines], bundle)
            result = engine.settle(case)
        except casebuild.CaseBuildError as exc:
            q.reasons.append(f"本地无法计算：{exc.message}")
            return q
        except engine.CaseError as exc:
            q.reasons.append(f"本地无法计算：{exc.message}")
            return q
        q.setlinfo = dict(result["setlinfo"], category=result.get("category"), policy_id=result.get("policy_id"))
        q.setldetail = list(result.get("setldetail") or [])
        return q

    def backsettle_possible(self, person, kind: str = "outpatient") -> bool:
        """Whether an offline self-pay of *person* is queued for 补结算: an insured patient (from the
        cache, with a certificate to identify him again), an outpatient visit, ``[offline] backsettle``."""
        return bool(self.limits.backsettle and kind == "outpatient" and getattr(person, "psn_no", "")
                    and getattr(person, "insuplc_admdvs", "") and getattr(person, "mdtrt_cert_no", ""))

    # -- settling ------------------------------------------------------------------------------

    def settle(self, person, fees, tenders, *, kind: str = "outpatient", med_type: str = "11",
               quote: OfflineQuote | None = None) -> OfflineResult:
        """Provisional insurance settlement offline; raises OfflineLimitExceeded past a limit."""
        from .payments import allocate, require_references

        q = quote or self.quote(person, fees, kind=kind, med_type=med_type)
        if q.reasons or q.setlinfo is None:
            raise OfflineLimitExceeded(q.reasons or ["本机没有参保地待遇政策包"], q.total)
        require_references(list(tenders))
        pay = allocate(q.due, list(tenders))
        return self._write(person, q, pay, kind=kind, med_type=med_type, self_pay=False, reason="")

    def settle_self_pay(self, person, fees, tenders, *, reason: str = "", reason_code: str = "offline",
                        online: bool = False, his_bills: tuple[str, ...] = ()) -> OfflineResult:
        """Full self-pay (全自费): the patient pays the whole total; nothing is sent to the platform.
        Offline (the default) or at an online window (转自费: uninsured, suspended, refused, or the
        patient declines the insurance — ``reason_code``/``reason`` recorded with the settlement)."""
        from .payments import allocate, require_references

        lines = self.price_lines(fees)
        total = q2(sum((ln.amount for ln in lines), ZERO))
        backsettle = not online and reason_code == "offline" and self.backsettle_possible(person)
        q = OfflineQuote(lines, total, backsettle=backsettle)
        require_references(list(tenders))
        pay = allocate(total, list(tenders))
        default = BACKSETTLE_REASON if backsettle else "离线期间超出离线结算条件，患者选择全自费"
        return self._write(person, q, pay, kind="outpatient", med_type="11", self_pay=True,
                           reason=reason or default, reason_code=reason_code,
                           offline=not online, his_bills=tuple(his_bills))

    def _write(self, person, q: OfflineQuote, pay, *, kind: str, med_type: str, self_pay: bool,
               reason: str, reason_code: str = "", offline: bool = True,
               his_bills: tuple[str, ...] = ()) -> OfflineResult:
        from offline_cache import audit, outbox
        from offline_cache.models import FeeLine, Payment, Visit

        from .shifts import require_shift

        ctx = self.ctx
        shift_id = require_shift(ctx.store, ctx.operator.opter, "收费")
        now = self._now()
        # every msgid is generated (and made durable by the generator) before the transaction
        m2207 = ctx.new_msgid()
        m2201 = None if self_pay else ctx.new_msgid()
        m2204 = None if self_pay else ctx.new_msgid()
        ipt_otp_no = "L" + m2207[12:]
        chrg_bchno = "B" + m2207[16:]
        psn_no = getattr(person, "psn_no", "") or "SELFPAY"
        if self_pay:
            # every setlinfo money field, as a settlement record of the receipt and e-invoice needs them:
            # the whole total is 全自费 and paid by the patient; no fund, no account
            info = {k: "0.00" for k in SETLINFO_ZERO_FIELDS}
            info.update({"self_pay": True, "medfee_sumamt": fmt2(q.total), "fulamt_ownpay_amt": fmt2(q.total),
                         "psn_part_amt": fmt2(q.total), "psn_cash_pay": fmt2(q.total), "reason": reason,
                         "reason_code": reason_code, "setl_time": now.strftime("%Y-%m-%d %H:%M:%S"),
                         "psn_name": getattr(person, "psn_name", "") or "",
                         "certno": getattr(person, "certno", "") or "", "med_type": med_type})
            if q.backsettle:
                info["backsettle"] = True       # the receipt says: 全自费收据, pending 医保补结算
        else:
            info = dict(q.setlinfo, provisional=True, psn_no=psn_no, insutype=person.insutype,
                        insuplc_admdvs=person.insuplc_admdvs, med_type=med_type)
        from .mapping import resolve_line

        hosp = {ln.code: resolve_line(ctx.store, hosp_code="", national=ln.code, name=ln.name).medins_list_codg
                for ln in q.lines}      # 目录对照: the hospital code of an accepted mapping, else the national code
        with ctx.store.session() as s:
            v = Visit(kind=kind, psn_no=psn_no, insutype=getattr(person, "insutype", None),
                      insuplc_admdvs=getattr(person, "insuplc_admdvs", None),
                      mdtrt_cert_type=getattr(person, "mdtrt_cert_type", None), med_type=med_type, begntime=now,
                      state="settled" if self_pay else "open", reg_msgid=m2201, upload_msgid=m2204,
                      ipt_otp_no=ipt_otp_no, opter=ctx.operator.opter, created_at=now, updated_at=now)
            opsp = _only_filing(person, med_type, now.date().isoformat())
            if opsp:       # 门诊慢特病: the 补结算 2203 sends this disease
                v.opsp_dise_code, v.opsp_dise_name = opsp["opsp_dise_code"], opsp["opsp_dise_name"]
            s.add(v)
            s.flush()
            for ln in q.lines:
                e = ln.entry or {}
                s.add(FeeLine(visit_id=v.id, feedetl_sn=ln.feedetl_sn, med_list_codg=ln.code,
                              medins_list_codg=hosp[ln.code], name=ln.name, cnt=ln.cnt, pric=ln.pric,
                              det_item_fee_sumamt=ln.amount, chrg_bchno=chrg_bchno, fee_ocur_time=now,
                              bilg_dept_codg=ctx.operator.office_id or "A03",
                              bilg_dept_name=ctx.operator.office_name or "门诊",
                              bilg_dr_codg=ctx.operator.opter, bilg_dr_name=ctx.operator.opter_name, uploaded=False,
                              chrgitm_lv=e.get("chrgitm_lv"), med_chrgitm_type=e.get("med_chrgitm_type")))
            st = lifecycle.new("confirmed" if self_pay else "provisional",
                            visit_id=v.id, msgid=m2207, infno=SELF_PAY_INFNO if self_pay else "2207",
                            medfee_sumamt=q.total, fund_pay_sumamt=q2(Decimal(info["fund_pay_sumamt"])),
                            acct_pay=q2(Decimal(info["acct_pay"])), psn_cash_pay=q2(Decimal(info["psn_cash_pay"])),
                            setlinfo_json=json.dumps(info, ensure_ascii=False, sort_keys=True) if self_pay else None,
                            setldetail_json=None,
                            preview_json=json.dumps(
                                {"person": _person_meta(person), "his_bills": list(his_bills),
                                 "self_pay": {"reason_code": reason_code, "reason": reason}} if self_pay else
                                {"setlinfo": info, "setldetail": q.setldetail, "person": _person_meta(person)},
                                ensure_ascii=False, sort_keys=True),
                            provisional=not self_pay, offline=offline, opter=ctx.operator.opter, shift_id=shift_id,
                            created_at=now, updated_at=now)
            s.add(st)
            s.flush()
            for p in pay:
                s.add(Payment(settlement_id=st.id, method=p.method, amount=p.amount, tendered=p.tendered,
                              change=p.change, ref=p.ref or None, created_at=now, shift_id=shift_id))
            outbox_id = None
            if not self_pay:
                payload = {"visit_id": v.id, "settlement_id": st.id, "psn_no": psn_no, "insutype": person.insutype,
                           "insuplc_admdvs": person.insuplc_admdvs, "mdtrt_cert_type": person.mdtrt_cert_type,
                           "mdtrt_cert_no": person.mdtrt_cert_no, "card_sn": person.card_sn, "med_type": med_type,
                           "begntime": now.strftime("%Y-%m-%d %H:%M:%S"), "ipt_otp_no": ipt_otp_no,
                           "chrg_bchno": chrg_bchno, "acct_used_flag": "0",
                           "msgids": {"2201": m2201, "2204": m2204, "2207": m2207}}
                outbox_id = outbox.enqueue(s, key=m2207, kind=OUTBOX_KIND, chain=f"visit:{v.id}", payload=payload,
                                           now=now)
            if self_pay and q.backsettle:
                from .backsettle import queue_in_session

                queue_in_session(s, st, v, person, now=now)
            action = ("offline.self_pay" if offline else "counter.self_pay") if self_pay else "offline.settle"
            audit.append(s, actor=ctx.operator.opter, action=action,
                         detail={"settlement_id": st.id, "msgid": m2207, "total": fmt2(q.total),
                                 "due": info["psn_cash_pay"], "reason": reason, "reason_code": reason_code})
            sid, vid = st.id, v.id
        flags = ([FLAG_SELF_PAY, FLAG_BACKSETTLE] if q.backsettle else [FLAG_SELF_PAY]) if self_pay else [FLAG_OFFLINE]
        note = (BACKSETTLE_NOTE if self_pay and q.backsettle else
                f"全自费（{reason}）：未经医保结算，患者可凭本票据到参保地医保经办机构申请报销。" if self_pay else
                OFFLINE_NOTE)
        receipt = {"flags": flags, "note": note, "settlement_id": sid, "msgid": m2207,
                   "psn_name": getattr(person, "psn_name", ""), "setlinfo": info,
                   "lines": [{"name": ln.name, "code": ln.code, "cnt": str(ln.cnt), "pric": str(ln.pric),
                              "amount": fmt2(ln.amount)} for ln in q.lines],
                   "payments": [p.to_dict() for p in pay], "time": now.strftime("%Y-%m-%d %H:%M:%S")}
        log.info("offline %s settlement %s (msgid %s) total %s", "self-pay" if self_pay else "provisional", sid,
                 m2207, fmt2(q.total))
        return OfflineResult(sid, vid, m2207, self_pay, info, [p.to_dict() for p in pay], outbox_id, receipt)


OFFLINE_NOTE = "离线结算：医保中心恢复后补传，金额以医保中心结算为准，如有差额将退补。"
PROVISIONAL_OFF = ("本院未对该参保地开通离线暂定结算（须经当地医保经办机构同意）：离线期间按全自费收取，"
                   "医保中心恢复后办理补结算，医保支付部分退还患者")


def _person_meta(person) -> dict:
    """Who was settled, for today's list and the receipt: name and masked ID number (never the ID)."""
    from client.domain.masking import mask_certno

    view = getattr(person, "view", None)
    if view is not None:
        return view.to_dict()
    certno = getattr(person, "certno", "") or ""
    return {"name": getattr(person, "psn_name", "") or "", "masked_certno": mask_certno(certno) if certno else "",
            "psn_no": getattr(person, "psn_no", "") or ""}


@dataclass(frozen=True)
class SelfPayPatient:
    """A patient settled as full self-pay without an insurance identity (未参保, or identification
    refused): the name and ID number the cashier took, for the receipt and the e-invoice."""

    psn_name: str
    certno: str = ""
    psn_no: str = ""
    insutype: str | None = None
    insuplc_admdvs: str | None = None
    mdtrt_cert_type: str | None = None


def today_offline(store, day: date | None = None) -> list[dict]:
    """Offline settlements of a day with their state (for the status bar and the day-end report)."""
    d = (day or date.today()).isoformat()
    with store.read_connection() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, msgid, infno, state, medfee_sumamt, psn_cash_pay FROM settlements WHERE offline = 1 "
            "AND substr(created_at, 1, 10) = ? ORDER BY id", (d,)).fetchall()
    return [{"settlement_id": r[0], "msgid": r[1], "self_pay": r[2] == SELF_PAY_INFNO, "state": r[3],
             "medfee_sumamt": fmt2(Decimal(r[4] or 0) / 100), "psn_cash_pay": fmt2(Decimal(r[5] or 0) / 100)}
            for r in rows]


def _only_filing(person, med_type: str, day: str) -> dict | None:
    """门诊慢特病 offline: the patient's only 5301 filing valid on ``day`` (cached), else None (several
    filings cannot be chosen offline: the provisional quote then says the disease is missing)."""
    if med_type != "14":
        return None
    from client.domain.opsp import filings_valid_on

    filed = filings_valid_on(getattr(person, "chronic", None) or [], day)
    return filed[0] if len(filed) == 1 else None
