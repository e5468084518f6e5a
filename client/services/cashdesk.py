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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from client.domain.money import fmt2

from .offline import SELF_PAY_INFNO

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
