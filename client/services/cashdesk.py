"""The counter's own rules and lists, Qt-free (window and CLI alike).

* :func:`account_flag` — the default ``acct_used_flag`` (个人账户使用标志) of a visit: the insured
  place's rule for this kind of visit (site configuration ``[counter]``), then the patient's choice
  (the window's F6 toggles it; the CLI's ``--acct``);
* :func:`today_settlements` — 今日结算: the day's settlements at this window, searchable by name,
  ID-number tail, setl_id or msgid, with their state in the cashier's words; reprint, reversal and the
  all-fields view act on one chosen from it;
* :data:`SELF_PAY_REASONS` — why a patient is settled as full self-pay (转自费) at an online window.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from client.domain.money import fmt2

from .offline import SELF_PAY_INFNO

log = logging.getLogger("client.services.cashdesk")

#: 转自费 reasons (code → the words on the receipt and in the audit log)
SELF_PAY_REASONS = {
    "uninsured": "未参保或参保信息查询不到",
    "suspended": "暂停参保，不能享受医保待遇",
    "refused": "医保中心拒绝医保结算",
    "declined": "患者本人不使用医保",
    "other": "其他原因",
}

#: the settlement states a cashier sees in 今日结算
STATE_WORDS = {"confirmed": "已结算", "reversed": "已撤销", "provisional": "离线待上传", "unknown": "结果待确认",
               "sent": "结果待确认", "prepared": "结果待确认"}
LISTED_STATES = tuple(STATE_WORDS)


def account_flag(counter_settings, insuplc_admdvs: str, kind: str, balance: Decimal | str | None) -> str:
    """``"1"`` when the personal account is used by default for this visit, else ``"0"``.

    No balance (residents have no account; an empty account) → "0". Otherwise the insured place's
    rule: ``account_places`` by the longest matching prefix (6, 4, then 2 digits), else
    ``account_outpatient`` / ``account_inpatient`` — "use" → "1", "ask" → "0" (used when the patient
    asks: F6)."""
    try:
        bal = Decimal(str(balance)) if balance not in (None, "") else None
    except ArithmeticError:
        bal = None
    if bal is None or not bal.is_finite() or bal <= 0:
        return "0"
    places = dict(counter_settings.account_places or {})
    adm = str(insuplc_admdvs or "")
    rule = next((places[k] for k in (adm[:6], adm[:4], adm[:2]) if k and k in places), None)
    if rule is None:
        rule = counter_settings.account_inpatient if kind == "inpatient" else counter_settings.account_outpatient
    return "1" if rule == "use" else "0"


@dataclass(frozen=True)
class TodaySettlement:
    """One row of 今日结算."""

    settlement_id: int
    setl_id: str
    msgid: str
    time: str                    # HH:MM:SS of the settlement
    psn_name: str
    masked_certno: str
    state: str                   # confirmed | reversed | provisional | unknown …
    kind: str                    # 医保 | 全自费 | 离线
    medfee_sumamt: str
    fund_pay_sumamt: str
    acct_pay: str
    psn_cash_pay: str
    opter: str

    @property
    def state_words(self) -> str:
        return STATE_WORDS.get(self.state, self.state)

    @property
    def reversible(self) -> bool:
        return self.state == "confirmed" and self.kind == "医保"

    def matches(self, query: str) -> bool:
        """Name (part), ID-number tail (the visible last digits), setl_id or msgid (part)."""
        q = (query or "").strip().upper()
        if not q:
            return True
        tail = self.masked_certno.replace("*", "")[-4:]
        return (q in self.psn_name.upper() or (q.isalnum() and len(q) <= 4 and tail.endswith(q))
                or q in (self.setl_id or "").upper() or q in self.msgid.upper())


def _fen(v) -> str:
    return fmt2((Decimal(v or 0) / 100).quantize(Decimal("0.01")))


def today_settlements(store, day: date | None = None, query: str = "", *, limit: int = 500) -> list[TodaySettlement]:
    """The day's settlements at this window (its store), newest first: settled, reversed, offline
    provisional and unknown outcomes (failed attempts are not settlements and are left out)."""
    d = (day or date.today()).isoformat()
    marks = ",".join("?" * len(LISTED_STATES))
    with store.read_connection() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT id, setl_id, msgid, created_at, state, infno, offline, medfee_sumamt, fund_pay_sumamt, acct_pay, "
            f"psn_cash_pay, opter, preview_json, setlinfo_json FROM settlements WHERE substr(created_at, 1, 10) = ? "
            f"AND state IN ({marks}) ORDER BY id DESC LIMIT ?", (d, *LISTED_STATES, limit)).fetchall()
    out = []
    for (sid, setl_id, msgid, created, state, infno, offline, med, fund, acct, cash, opter, meta_js,
         info_js) in rows:
        meta = json.loads(meta_js or "{}")
        person = meta.get("person") or {}
        info = json.loads(info_js) if info_js else {}
        kind = "全自费" if infno == SELF_PAY_INFNO else ("离线" if offline else "医保")
        out.append(TodaySettlement(
            settlement_id=sid, setl_id=setl_id or "", msgid=msgid, time=str(created)[11:19],
            psn_name=person.get("name") or info.get("psn_name") or "", masked_certno=person.get("masked_certno") or "",
            state=state, kind=kind, medfee_sumamt=_fen(med), fund_pay_sumamt=_fen(fund), acct_pay=_fen(acct),
            psn_cash_pay=_fen(cash), opter=opter or ""))
    return [r for r in out if r.matches(query)]


def settle_self_pay(ctx, person, fees, tenders, *, reason_code: str, note: str = "", his=None,
                    bills: tuple[str, ...] = (), window: str | None = None):
    """转自费 at an online window: the whole total is paid by the patient; no insurance transaction is
    sent. ``person`` is the identified person (even suspended) or an
    :class:`~client.services.offline.SelfPayPatient` (name + ID number) for the uninsured. The reason
    is recorded with the settlement and printed on the receipt; the e-invoice is issued at once and the
    HIS told that the bills are paid (a failure of either is a warning, never undoes the payment).
    Returns the ``OfflineResult``."""
    from .checkout import issue_invoice, record_warning
    from .errors import ServiceError
    from .offline import OfflineService

    if reason_code not in SELF_PAY_REASONS:
        raise ServiceError("invalid_input", f"转自费原因“{reason_code}”不正确，可选：" + "、".join(
            f"{k} {v}" for k, v in SELF_PAY_REASONS.items()) + "。")
    reason = SELF_PAY_REASONS[reason_code] + (f"（{note.strip()}）" if note and note.strip() else "")
    res = OfflineService(ctx).settle_self_pay(person, fees, tenders, reason=reason, reason_code=reason_code,
                                              online=True, his_bills=tuple(bills))
    issue_invoice(ctx, res.settlement_id, window=window)
    if his is not None and bills:
        try:
            his.confirm_paid(list(bills), setl_id="", msgid=res.msgid)
        except ServiceError as exc:
            record_warning(ctx, res.settlement_id, f"HIS 未确认缴费（{exc.message}）：请在 HIS 中核对单据 "
                                                   f"{'、'.join(bills)} 的缴费状态。")
    return res


class CashDesk:
    """The counter's use cases beyond one patient's checkout, Qt-free and typed: the receipt after a
    settlement and reprints, offline and 转自费 settlements with their receipt, today's last
    settlement, start-up recovery and store-and-forward, 退补差额 adjustments, shifts (开班/交班 with
    the day's reconciliation and the Z report). The window's controllers call it on worker threads;
    the CLI calls the same functions. One patient's checkout itself is
    :class:`client.services.checkout.Counter`."""

    def __init__(self, ctx, *, counter=None, receipts_dir=None, send_to_printer=None):
        from .receipts import Receipts

        self.ctx = ctx
        self.counter = counter
        self.receipts = Receipts(ctx, receipts_dir=receipts_dir, send_to_printer=send_to_printer)

    @property
    def settings(self):
        return self.ctx.settings

    def audit(self, action: str, actor: str | None = None, detail: dict | None = None) -> None:
        from .receipts import audit

        audit(self.ctx, f"ui.{action}", detail, actor=actor)

    # -- receipts ------------------------------------------------------------------------------
    def print_receipt(self, settlement_id: int, *, reprint: bool = False) -> dict:
        """The slip after the local commit; the print is counted first (补打（第N次） from the second)."""
        return self.receipts.print(settlement_id, reprint=reprint)

    def finish_settlement(self, record: dict) -> dict:
        """After Counter.settle (committed): print the receipt. A print failure never undoes the settlement."""
        return self.receipts.after_settlement(record)

    # -- offline (离线应急结算) and 转自费 --------------------------------------------------------
    def _after_offline(self, res, *, what: str, flags: dict) -> dict:
        try:
            rec = self.receipts.print(res.settlement_id)
        except Exception as exc:  # noqa: BLE001 - settled is settled; report the print problem
            log.exception("receipt printing failed (%s)", what)
            rec = {"settlement_id": res.settlement_id, "msgid": res.msgid, "setlinfo": res.setlinfo,
                   "payments": res.payments, "flags": dict(flags, training=self.receipts.training),
                   "warnings": [f"{what}，但票据打印失败：{exc}。请用补打（F12）重新打印。"]}
        rec["payments"] = res.payments
        return rec

    def offline_settle(self, person, fees, tenders, *, quote=None, self_pay: bool = False, reason: str = "") -> dict:
        """Settle offline and print the receipt marked 离线结算; returns the record."""
        from .offline import OfflineService

        svc = OfflineService(self.ctx)
        res = (svc.settle_self_pay(person, fees, tenders, reason=reason) if self_pay
               else svc.settle(person, fees, tenders, quote=quote))
        rec = self._after_offline(res, what="离线结算已完成", flags={"offline": True})
        rec["offline_note"] = res.receipt.get("note", "")
        rec["self_pay"] = res.self_pay
        rec["backsettle"] = bool(res.setlinfo.get("backsettle"))    # queued for 医保补结算
        return rec

    def self_pay_settle(self, person, fees, tenders, *, reason_code: str, note: str = "",
                        bills: tuple[str, ...] = ()) -> dict:
        """转自费 at the online window: :func:`settle_self_pay`, then the receipt."""
        res = settle_self_pay(self.ctx, person, fees, tenders, reason_code=reason_code, note=note,
                              his=self.counter.his if self.counter is not None else None, bills=bills,
                              window=self.settings.window_id or None)
        rec = self._after_offline(res, what="已按全自费收费", flags={"self_pay": True})
        rec["self_pay"] = True
        return rec

    def last_settlement(self) -> dict | None:
        from .checkout import settlement_record

        with self.ctx.store.read_connection() as conn:
            sid = conn.exec_driver_sql("SELECT id FROM settlements WHERE state IN ('confirmed', 'reversed') "
                                       "ORDER BY id DESC LIMIT 1").scalar()
        return None if sid is None else settlement_record(self.ctx, sid)

    # -- start-up recovery and store-and-forward -------------------------------------------------
    def recover(self) -> dict:
        """Start-up recovery: finish the catalogue search index a killed sync left pending (so those
        items are found by pinyin again), then :func:`housekeeping.recover` (resolve unknown
        outcomes, drain the outbox, owed e-invoices). Returns the report dict with its ``message``."""
        from offline_cache.catalog import index_pending_names

        from .housekeeping import recover

        indexed = 0
        try:
            indexed = index_pending_names(self.ctx.store).names
        except Exception:  # noqa: BLE001 - the next sync retries; settlement recovery must still run
            log.exception("building the pending catalogue search index failed")
        rep = recover(self.ctx)
        out = rep.to_dict()
        out["message"] = rep.message()
        out["catalog_names_indexed"] = indexed
        return out

    def drain(self) -> dict:
        """Back online: send the offline settlements, then the e-invoice uploads (housekeeping.drain)."""
        from .housekeeping import drain

        return drain(self.ctx)

    # -- adjustments (退补差额) -------------------------------------------------------------------
    def adjustments(self) -> list[dict]:
        """Every adjustment (pending first), newest first within its state."""
        from sqlalchemy import select

        from offline_cache.models import Adjustment, Settlement

        a, st = Adjustment.__table__, Settlement.__table__
        q = (select(a.c.id, st.c.setl_id, st.c.msgid, a.c.direction, a.c.amount, a.c.reason, a.c.state, a.c.created_at)
             .join(st, st.c.id == a.c.settlement_id).order_by(a.c.state != "pending", a.c.id.desc()).limit(500))
        with self.ctx.store.read_connection() as conn:
            rows = conn.execute(q).all()
        return [{"adjustment_id": r[0], "setl_id": r[1] or "", "msgid": r[2], "direction": r[3],
                 "amount": r[4] if r[4] is not None else Decimal("0.00"), "reason": r[5] or "", "state": r[6],
                 "created_at": str(r[7])[:19]} for r in rows]

    def settle_adjustment(self, adjustment_id: int, method: str) -> None:
        from .forward import settle_adjustment

        settle_adjustment(self.ctx, adjustment_id, method=method, opter=self.ctx.operator.opter)

    # -- shifts (开班 / 交班) ---------------------------------------------------------------------
    def current_shift(self, opter: str) -> int | None:
        from .shifts import current_shift

        return current_shift(self.ctx.store, opter)

    def open_shift(self, opter: str, float_amt: Decimal) -> int:
        from .shifts import open_shift

        return open_shift(self.ctx.store, opter, float_amt)

    def shift_state(self, opter: str) -> dict:
        """For the shift-close dialog: the open shift's summary (expected per method) and the blockers."""
        from .dayend import blockers, shift_summary
        from .errors import ServiceError

        sid = self.current_shift(opter)
        if sid is None:
            raise ServiceError("shift", f"收费员 {opter} 在本窗口没有开班，无需交班。")
        return {"shift_id": sid, "summary": shift_summary(self.ctx.store, sid), "blockers": blockers(self.ctx.store)}

    def close_shift(self, shift_id: int, counted: dict[str, Decimal], *, force_by: str | None = None,
                    reason: str = "", reconcile: bool = True, confirm_difference: bool = False,
                    difference_reason: str = "") -> dict:
        """Close the shift (dayend.close_shift), reconcile the day (3201/3202) when the platform
        answers, and write the Z report PDF. Returns {"closing", "reconciliation", "recon_error",
        "zreport_path"}."""
        from . import dayend
        from .errors import ServiceError

        out: dict = {"closing": dayend.close_shift(self.ctx.store, shift_id, counted, force_by=force_by,
                                                   reason=reason, confirm_difference=confirm_difference,
                                                   difference_reason=difference_reason)}
        out["reconciliation"] = None
        out["recon_error"] = ""
        if reconcile:
            try:
                out["reconciliation"] = dayend.reconcile_day(self.ctx)
            except ServiceError as exc:
                out["recon_error"] = exc.message
        try:
            out["zreport_path"] = str(self.write_zreport(out["reconciliation"]))
        except Exception as exc:  # noqa: BLE001 - the shift is closed; the report can be printed later
            log.exception("Z report failed")
            out["zreport_path"] = ""
            out["zreport_error"] = f"日结报表生成失败：{exc}"
        return out

    def write_zreport(self, reconciliation: dict | None) -> Path:
        from client.printing.reports import render_zreport

        from .reports import zreport

        recon = None
        if reconciliation:
            recon = [{"infno": "3201", "setl_optins": t.get("setl_optins"), "stmt_rslt": t.get("stmt_rslt"),
                      "stmt_rslt_dscr": t.get("stmt_rslt_dscr") or ("平" if t.get("balanced") else "不平")}
                     for t in reconciliation.get("totals") or []]
            recon += [{"infno": "3202", "setl_optins": d.get("setl_optins"),
                       "stmt_rslt": "0" if d.get("balanced") else "1",
                       "stmt_rslt_dscr": "明细一致" if d.get("balanced") else
                       "明细不符：" + "、".join(str(m.get("setl_id") or m.get("msgid")) for m in d.get("mismatches") or [])}
                      for d in reconciliation.get("details") or []]
        s = self.settings.site
        rep = zreport(self.ctx.store, date.today(), operator=self.ctx.operator.opter,
                      institution={"fixmedins_code": s.fixmedins_code, "fixmedins_name": s.fixmedins_name},
                      reconciliation=recon)
        out_dir = Path(self.settings.data_dir) / "reports"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"zreport-{date.today():%Y%m%d}-{self.ctx.operator.opter}-{datetime.now():%H%M%S}.pdf"
        render_zreport(rep, path)
        return path
