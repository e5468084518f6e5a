"""Inpatient stays with deposits (住院: 入院登记 → 预交金 → 每日费用上传 → 中途结算 → 出院结算), issue #19 scope 3.

One :class:`StayService` per window (or per CLI run); a stay lives in the store across processes (table
``stays`` over the local ``visits`` row that holds its fee lines and settlements; ledger ``stay_deposits``)::

    svc = StayService(ctx, his=HttpHisAdapter(...))
    person = IdentifyService(ctx).by_certno("310118199001010036")
    stay = svc.admit(person, dept_code="A04", dept_name="外科", bed="07", dr_code="D1", dr_name="韩立新",
                     diag_code="K80.100", diag_name="胆囊结石伴慢性胆囊炎")          # 2401
    svc.take_deposit(stay["stay_id"], Decimal("2000.00"))                          # cash, receipt YJ…
    svc.take_deposit(stay["stay_id"], Decimal("3000.00"), method="code", code=scanned)   # payment code
    svc.upload(stay["stay_id"], day=1)                                             # 2301 (HIS fees of day 1)
    svc.presettle(stay["stay_id"]); svc.settle(stay["stay_id"])                    # 中途结算 2303/2304 mid "1"
    svc.discharge(stay["stay_id"])                                                 # 2402
    svc.presettle(stay["stay_id"]); svc.settle(stay["stay_id"])                    # final 2304, surplus refunded

Netting rule (docs/settlement.md "Inpatient deposits"): each settlement's psn_cash_pay is paid from the
deposit balance first (``applied`` = min(psn_cash_pay, balance)); what the balance does not cover is
collected with tenders like an outpatient settlement; after the FINAL settlement the balance left is
refunded — payment-code deposits back to their channel first (newest deposit first, each up to what is
left unrefunded of it), then cash from the drawer. Identity per stay, to the fen:
``taken − refunded − applied + restored == balance`` (0 after the final settlement), and per confirmed
settlement ``applied − restored + collected == psn_cash_pay``.

DURABLE BEFORE NETWORK: every state-changing call has its msgid (2401 visits.reg_msgid, 2402
visits.mdtrt_msgid, 2403/2302/2404 stays.changes_json, 2301 fee_lines.chrg_bchno, 2304 settlements.msgid)
or its out_trade_no / out_refund_no (deposits) committed first. A lost answer leaves the row for
:func:`recover_stays` (2401 → 2601 冲正; 2301 → 2302 per line; 2402 → 2405 then 2402 again at the next
discharge; deposits → gateway query / reverse / the same out_refund_no) and
client.services.recovery (2304 → 2601). Nothing is ever sent twice under the same msgid.

Errors: :class:`~client.services.errors.ServiceError` with a Chinese ``message`` — ``invalid_input`` (bad
input or wrong state; nothing written), ``refused`` (the platform / gateway refused, its words),
``unknown`` (outcome unknown: left for recovery), ``offline``, ``shift`` (no open shift), ``config``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from client.api import BusinessError, TransportError
from client.api.errors import fee_cancel_finds_nothing
from client.api.transactions import (
    AdmissionChangeInfo,
    AdmissionInfo,
    Admit,
    CancelAdmit,
    CancelDischarge,
    CancelInpatientFees,
    ChangeAdmission,
    Discharge,
    DischargeInfo,
    FeeDetail,
    InpatientDiagnosis,
    InpatientPreSettle,
    InpatientSettle,
    UploadInpatientFees,
)
from client.domain.codes import PAYMENT_METHOD_NAMES
from client.domain.money import fmt2, q2
from offline_cache import settlements as lifecycle
from offline_cache.jsonutil import jsonable

from .drills import kill_point
from .errors import ServiceError, send_central, translate_store_errors
from .fees import FeeInput
from .payments import Tender, allocate
from .stay_books import applied_of, restore_applied  # noqa: F401 - part of this module's API

log = logging.getLogger("client.services.inpatient")

ZERO = Decimal("0.00")
BATCH = 50
STATE_NAMES = {"admitting": "入院登记中（结果待确认）", "admitted": "在院", "discharged": "已出院（待结算）",
               "settled": "已出院结算", "cancelled": "已撤销入院"}
KIND_NAMES = {"deposit": "交预交金", "refund": "退预交金", "applied": "预交金冲抵结算", "restored": "撤销结算退回预交金"}
METHOD_NAMES = {**PAYMENT_METHOD_NAMES, "deposit": "预交金"}
ACTIVE = ("admitting", "admitted", "discharged")
CHANGE_FIELDS = ("bed", "dept_code", "dept_name", "dr_code", "dr_name", "diag_code", "diag_name")
KILL_ENV = "MEDSETTLE_KILL_AT"       # training drills only: SIGKILL this process at a named step


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _parse_time(s: str, what: str) -> datetime:
    try:
        return datetime.strptime(str(s)[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ServiceError("invalid_input", f"{what}“{s}”格式错误，应为 yyyy-MM-dd HH:mm:ss。") from None


def _fen(v) -> Decimal:
    return (Decimal(v or 0) / 100).quantize(Decimal("0.01"))


def money(value: Any, what: str = "金额") -> Decimal:
    """A positive amount (元, at most 2 decimals) or ServiceError('invalid_input') in Chinese."""
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError("invalid_input", f"{what}“{value}”不是有效金额。") from None
    if not d.is_finite() or d != d.quantize(Decimal("0.01")):
        raise ServiceError("invalid_input", f"{what}“{value}”不是有效金额（最多两位小数）。")
    if d <= 0:
        raise ServiceError("invalid_input", f"{what}必须大于0（输入了 {value}）。")
    return q2(d)


def checkpoint(ctx, name: str) -> None:
    """Training fault drills: when ``MEDSETTLE_KILL_AT`` names this step (and the window is a training
    window), the process kills itself here — as a power cut would (tests/integration/test_inpatient_kill.py)."""
    kill_point(name, KILL_ENV, allowed=bool(ctx.settings.training.enabled))


@dataclass
class StayTrial:
    """A 2303 answer kept for the 2304 of the same stay (in memory of the service object)."""

    stay_id: int
    final: bool
    request: Any
    result: Any
    setlinfo: dict
    setldetail: list
    feedetl_sns: list[str]
    medfee_sumamt: Decimal
    acct_used_flag: str
    warnings: list[str] = field(default_factory=list)


# ============================================================================================ reads
def _stay(conn, stay_id: Any) -> dict:
    try:
        sid = int(stay_id)
    except (TypeError, ValueError):
        raise ServiceError("invalid_input", f"住院记录号“{stay_id}”无效。") from None
    r = conn.exec_driver_sql("SELECT s.*, v.mdtrt_id, v.reg_msgid, v.mdtrt_msgid, v.cancel_msgid, v.state AS visit_state "
                             "FROM stays s JOIN visits v ON v.id = s.visit_id WHERE s.id = ?", (sid,)).mappings().first()
    if r is None:
        raise ServiceError("invalid_input", f"本机没有住院记录 {stay_id}，请核对（medsettle inpatient show 可列出在院患者）。")
    d = dict(r)
    for k in ("begntime", "endtime", "created_at", "updated_at"):
        d[k] = _dt(d[k])
    return d


def _dt(v: Any) -> datetime | None:
    """A DateTime read with raw SQL (text in SQLite) as a datetime."""
    if v is None or isinstance(v, datetime):
        return v
    return datetime.fromisoformat(str(v))


def _books(conn, stay_id: int) -> dict:
    sums = {k: ZERO for k in ("deposit", "refund", "applied", "restored")}
    for kind, amt in conn.exec_driver_sql("SELECT kind, sum(amount) FROM stay_deposits WHERE stay_id = ? AND state = "
                                          "'done' GROUP BY kind", (stay_id,)):
        sums[kind] = _fen(amt)
    open_ = conn.exec_driver_sql("SELECT count(*) FROM stay_deposits WHERE stay_id = ? AND state IN ('pending', 'unknown')",
                                 (stay_id,)).scalar_one()
    balance = sums["deposit"] - sums["refund"] - sums["applied"] + sums["restored"]
    return {"taken": fmt2(sums["deposit"]), "refunded": fmt2(sums["refund"]), "applied": fmt2(sums["applied"]),
            "restored": fmt2(sums["restored"]), "applied_net": fmt2(sums["applied"] - sums["restored"]),
            "balance": fmt2(balance), "open_items": open_}


def balance_of(store, stay_id: int) -> Decimal:
    with store.read_connection() as conn:
        return Decimal(_books(conn, stay_id)["balance"])


def _fee_rows(conn, visit_id: int) -> list[dict]:
    return [dict(r) for r in conn.exec_driver_sql(
        "SELECT id, feedetl_sn, med_list_codg, name, cnt, pric, det_item_fee_sumamt, fee_ocur_time, uploaded, chrg_bchno "
        "FROM fee_lines WHERE visit_id = ? ORDER BY id", (visit_id,)).mappings()]


def _settled_sns(conn, visit_id: int) -> set[str]:
    """feedetl_sn of the lines in an active settlement of the visit (confirmed, or sent / unknown)."""
    out: set[str] = set()
    for (js,) in conn.exec_driver_sql("SELECT preview_json FROM settlements WHERE visit_id = ? AND state IN "
                                      "('confirmed', 'sent', 'unknown', 'prepared')", (visit_id,)):
        out |= set((json.loads(js or "{}") or {}).get("feedetl_sns") or [])
    return out


def _deposit_dict(r: dict) -> dict:
    return {"deposit_id": r["id"], "stay_id": r["stay_id"], "kind": r["kind"], "kind_name": KIND_NAMES[r["kind"]],
            "method": r["method"], "method_name": METHOD_NAMES.get(r["method"], r["method"]),
            "amount": fmt2(_fen(r["amount"])), "state": r["state"], "receipt_no": r["receipt_no"],
            "out_trade_no": r["out_trade_no"], "out_refund_no": r["out_refund_no"], "settlement_id": r["settlement_id"],
            "related_id": r["related_id"], "shift_id": r["shift_id"], "opter": r["opter"],
            "authorized_by": r["authorized_by"], "reason": r["reason"], "err_msg": r["err_msg"],
            "created_at": str(r["created_at"])[:19]}


def ledger_of(store, stay_id: int) -> list[dict]:
    """The stay's deposit ledger, oldest first; ``balance`` = the running balance after each done row."""
    out, bal = [], ZERO
    with store.read_connection() as conn:
        rows = [dict(r) for r in conn.exec_driver_sql("SELECT * FROM stay_deposits WHERE stay_id = ? ORDER BY id",
                                                      (stay_id,)).mappings()]
    for r in rows:
        d = _deposit_dict(r)
        if r["state"] == "done":
            amt = _fen(r["amount"])
            bal += amt if r["kind"] in ("deposit", "restored") else -amt
        d["balance"] = fmt2(bal)
        out.append(d)
    return out


def stay_record(ctx_or_store: Any, stay_id: int) -> dict:
    """Everything about one stay (JSON-ready): header, state, fees, settlements, deposit ledger, books."""
    store = getattr(ctx_or_store, "store", ctx_or_store)
    with store.read_connection() as conn:
        s = _stay(conn, stay_id)
        fees = _fee_rows(conn, s["visit_id"])
        settled = _settled_sns(conn, s["visit_id"])
        books = _books(conn, s["id"])
        setl = [dict(r) for r in conn.exec_driver_sql(
            "SELECT id, msgid, setl_id, state, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay, preview_json, "
            "setlinfo_json, created_at FROM settlements WHERE visit_id = ? ORDER BY id", (s["visit_id"],)).mappings()]
        applied = {sid: _fen(a) for sid, a in conn.exec_driver_sql(
            "SELECT settlement_id, sum(CASE kind WHEN 'applied' THEN amount ELSE -amount END) FROM stay_deposits WHERE "
            "stay_id = ? AND kind IN ('applied', 'restored') AND state = 'done' GROUP BY settlement_id", (s["id"],))}
        collected = {sid: _fen(a) for sid, a in conn.exec_driver_sql(
            "SELECT p.settlement_id, sum(p.amount) FROM payments p JOIN settlements x ON x.id = p.settlement_id WHERE "
            "x.visit_id = ? AND p.method != 'account' GROUP BY p.settlement_id", (s["visit_id"],))}
    days: dict[str, dict] = {}
    for f in fees:
        d = str(f["fee_ocur_time"])[:10]
        e = days.setdefault(d, {"date": d, "lines": 0, "amount": ZERO})
        e["lines"] += 1
        e["amount"] += _fen(f["det_item_fee_sumamt"])
    uploaded = [f for f in fees if f["uploaded"]]
    unsettled = [f for f in uploaded if f["feedetl_sn"] not in settled]
    settlements = []
    for r in setl:
        meta = json.loads(r["preview_json"] or "{}")
        info = json.loads(r["setlinfo_json"]) if r["setlinfo_json"] else {}
        settlements.append({
            "settlement_id": r["id"], "msgid": r["msgid"], "setl_id": r["setl_id"], "state": r["state"],
            "mid_setl_flag": meta.get("mid_setl_flag"), "setl_time": info.get("setl_time"),
            "medfee_sumamt": fmt2(_fen(r["medfee_sumamt"])) if r["medfee_sumamt"] is not None else None,
            "fund_pay_sumamt": info.get("fund_pay_sumamt"), "acct_pay": info.get("acct_pay"),
            "psn_cash_pay": info.get("psn_cash_pay"), "act_pay_dedc": info.get("act_pay_dedc"),
            "deposit_applied": fmt2(applied.get(r["id"], ZERO)), "collected": fmt2(collected.get(r["id"], ZERO)),
            "lines": len(meta.get("feedetl_sns") or [])})
    from client.domain.masking import mask_certno  # noqa: F401 - the stored value is masked already

    return {
        "stay_id": s["id"], "state": s["state"], "state_name": STATE_NAMES[s["state"]], "ipt_no": s["ipt_no"],
        "mdtrt_id": s["mdtrt_id"], "visit_id": s["visit_id"], "med_type": s["med_type"],
        "person": {"psn_no": s["psn_no"], "psn_name": s["psn_name"], "certno": s["certno_masked"],
                   "insutype": s["insutype"], "insuplc_admdvs": s["insuplc_admdvs"]},
        "dept_code": s["dept_code"], "dept_name": s["dept_name"], "bed": s["bed"], "dr_code": s["dr_code"],
        "dr_name": s["dr_name"], "diag_code": s["diag_code"], "diag_name": s["diag_name"],
        "begntime": str(s["begntime"])[:19], "endtime": str(s["endtime"])[:19] if s["endtime"] else None,
        "fees": {"lines": len(fees), "uploaded": len(uploaded), "not_uploaded": len(fees) - len(uploaded),
                 "amount": fmt2(sum((_fen(f["det_item_fee_sumamt"]) for f in fees), ZERO)),
                 "unsettled_lines": len(unsettled),
                 "unsettled_amount": fmt2(sum((_fen(f["det_item_fee_sumamt"]) for f in unsettled), ZERO)),
                 "days": [dict(v, amount=fmt2(v["amount"])) for _k, v in sorted(days.items())]},
        "settlements": settlements, "deposits": ledger_of(store, s["id"]), "books": books,
        "changes": json.loads(s["changes_json"] or "[]"), "opter": s["opter"],
    }


def find_stays(ctx_or_store: Any, *, state: str | None = None, psn_no: str | None = None,
               ipt_no: str | None = None, active_only: bool = False) -> list[dict]:
    """Short rows of the stays (newest first): stay_id, ipt_no, patient (masked), state, bed, balance."""
    store = getattr(ctx_or_store, "store", ctx_or_store)
    sql, args = "SELECT id FROM stays WHERE 1 = 1", []
    if state:
        sql += " AND state = ?"
        args.append(state)
    if active_only:
        sql += " AND state IN ('admitting', 'admitted', 'discharged')"
    if psn_no:
        sql += " AND psn_no = ?"
        args.append(psn_no)
    if ipt_no:
        sql += " AND ipt_no = ?"
        args.append(ipt_no)
    with store.read_connection() as conn:
        ids = [r[0] for r in conn.exec_driver_sql(sql + " ORDER BY id DESC", tuple(args))]
        out = []
        for i in ids:
            s = _stay(conn, i)
            out.append({"stay_id": i, "ipt_no": s["ipt_no"], "psn_name": s["psn_name"], "certno": s["certno_masked"],
                        "state": s["state"], "state_name": STATE_NAMES[s["state"]], "dept_name": s["dept_name"],
                        "bed": s["bed"], "begntime": str(s["begntime"])[:19], "mdtrt_id": s["mdtrt_id"],
                        "balance": _books(conn, i)["balance"]})
    return out


# ============================================================================================ hooks
# ============================================================================================ service
class StayService:
    """Inpatient stays of one window: admission, deposits, daily fee upload, mid-stay and final
    settlement with deposit netting, reversal (see module docstring). Not thread-safe."""

    on_pay_wait = None       # USERPAYING: called with the out_trade_no while polling; False = cancel

    def __init__(self, ctx, his: Any = None, window: str = ""):
        self.ctx = ctx
        self.his = his
        self.window = window or (ctx.settings.window_id or "")
        self._trials: dict[int, StayTrial] = {}

    # ------------------------------------------------------------------------------ helpers
    def _send(self, request: Any, msgid: str | None, *, on_refused=None, on_unknown=None, on_not_sent=None) -> Any:
        return send_central(
            self.ctx, request, msgid, on_refused=on_refused, on_unknown=on_unknown, on_not_sent=on_not_sent,
            unknown_text=lambda infno, exc: f"交易 {infno} 已发出但没有收到应答（{exc}）：结果未知，请勿重复操作，"
                                            "执行恢复（medsettle inpatient recover）后再继续。",
            offline_text=lambda infno, exc: f"医保中心暂时无法连接（{infno} 未发出）：{exc}")

    def _exec(self, sql: str, params: tuple) -> None:
        with self.ctx.store.connection() as conn:
            conn.exec_driver_sql(sql, params)

    def _load(self, stay_id: Any, states: tuple[str, ...] | None = None, what: str = "") -> dict:
        with self.ctx.store.read_connection() as conn:
            s = _stay(conn, stay_id)
        if states and s["state"] not in states:
            allowed = "、".join(STATE_NAMES[x] for x in states)
            raise ServiceError("invalid_input", f"住院号 {s['ipt_no']}（{s['psn_name']}）当前状态为“{STATE_NAMES[s['state']]}”，"
                                                f"不能{what}（需为：{allowed}）。")
        return s

    def _change_log(self, stay_id: int, entry: dict) -> None:
        """Append / replace (same msgid) one entry of stays.changes_json, committed at once."""
        with self.ctx.store.connection() as conn:
            js = conn.exec_driver_sql("SELECT changes_json FROM stays WHERE id = ?", (stay_id,)).scalar()
            rows = [r for r in json.loads(js or "[]") if r.get("msgid") != entry.get("msgid")]
            rows.append(entry)
            conn.exec_driver_sql("UPDATE stays SET changes_json = ?, updated_at = ? WHERE id = ?",
                                 (json.dumps(rows, ensure_ascii=False), _now(), stay_id))

    def _diag(self, s: dict, when: str, *, with_mdtrt: bool) -> InpatientDiagnosis:
        return InpatientDiagnosis(psn_no=s["psn_no"], diag_type="1", maindiag_flag="1", diag_srt_no="1",
                                  diag_code=s["diag_code"], diag_name=s["diag_name"], diag_dept=s["dept_name"],
                                  dise_dor_no=s["dr_code"], dise_dor_name=s["dr_name"], diag_time=when,
                                  mdtrt_id=s["mdtrt_id"] if with_mdtrt else None)

    def record(self, stay_id: int) -> dict:
        """The stay record (see :func:`stay_record`)."""
        return stay_record(self.ctx, stay_id)

    # ------------------------------------------------------------------------------ 入院登记 2401
    @translate_store_errors
    def admit(self, person: Any, *, dept_code: str, dept_name: str, bed: str, dr_code: str, dr_name: str,
              diag_code: str, diag_name: str, begntime: str | None = None, ipt_no: str | None = None,
              med_type: str = "21", adm_diag_dscr: str | None = None) -> dict:
        """入院登记: 2401 (mdtrtinfo + diseinfo) for an identified ``person``
        (client.services.identify.IdentifiedPerson). The visits row (reg_msgid) and the stay (state
        ``admitting``) are committed before the call; the answer's mdtrt_id makes it ``admitted``.
        Returns the stay record. A lost answer → ServiceError('unknown') (recovery 冲正s it, 2601)."""
        from offline_cache.models import Stay, Visit

        from .checkout import _visit_no, is_inpatient_med_type

        if person is None:
            raise ServiceError("invalid_input", "请先识别患者（扫医保码、读社保卡或输入身份证号）。")
        if person.view.suspended:
            raise ServiceError("refused", person.view.warnings[0] if person.view.warnings else "该参保人暂停参保，不能办理医保入院。")
        if person.view.from_cache:
            raise ServiceError("offline", "医保中心暂时无法连接，当前为缓存信息，不能办理医保入院登记。请稍后重试。")
        if not is_inpatient_med_type(med_type):
            raise ServiceError("invalid_input", f"医疗类别 {med_type} 不是住院类别（住院为 21 等）。")
        vals = {"科室编码": dept_code, "科室名称": dept_name, "床位": bed, "主治医生编码": dr_code, "主治医生姓名": dr_name,
                "入院诊断编码": diag_code, "入院诊断名称": diag_name}
        missing = [k for k, v in vals.items() if not str(v or "").strip()]
        if missing:
            raise ServiceError("invalid_input", f"入院登记缺少：{'、'.join(missing)}。")
        now = _now()
        begin = _parse_time(begntime, "入院时间") if begntime else now
        if begin > now + timedelta(minutes=5):
            raise ServiceError("invalid_input", f"入院时间 {_ts(begin)} 晚于当前时间，请核对。")
        ipt_no = (ipt_no or _visit_no("ZY", self.ctx.fixmedins_code, now)).strip()
        with self.ctx.store.read_connection() as conn:
            dup = conn.exec_driver_sql("SELECT id, ipt_no, state FROM stays WHERE (psn_no = ? OR ipt_no = ?) AND state IN "
                                       "('admitting', 'admitted', 'discharged')", (person.psn_no, ipt_no)).first()
        if dup is not None:
            raise ServiceError("invalid_input", f"该患者（或住院号 {ipt_no}）已有{STATE_NAMES[dup[2]]}的住院记录 {dup[0]}"
                                                f"（住院号 {dup[1]}），不能重复入院登记。")
        msgid = self.ctx.new_msgid()
        with self.ctx.store.session() as s:            # durable BEFORE the 2401
            v = Visit(kind="inpatient", psn_no=person.psn_no, insutype=person.insutype,
                      insuplc_admdvs=person.insuplc_admdvs, mdtrt_cert_type=person.mdtrt_cert_type, ipt_otp_no=ipt_no,
                      med_type=med_type, begntime=begin, state="open", reg_msgid=msgid, opter=self.ctx.operator.opter,
                      created_at=now, updated_at=now)
            s.add(v)
            s.flush()
            st = Stay(visit_id=v.id, ipt_no=ipt_no, psn_no=person.psn_no, psn_name=person.psn_name,
                      certno_masked=person.view.masked_certno, insutype=person.insutype,
                      insuplc_admdvs=person.insuplc_admdvs, mdtrt_cert_type=person.mdtrt_cert_type,
                      mdtrt_cert_no=person.mdtrt_cert_no, med_type=med_type, dept_code=dept_code, dept_name=dept_name,
                      bed=str(bed), dr_code=dr_code, dr_name=dr_name, diag_code=diag_code, diag_name=diag_name,
                      begntime=begin, state="admitting", opter=self.ctx.operator.opter,
                      person_json=json.dumps(person.view.to_dict(), ensure_ascii=False),
                      changes_json=json.dumps([{"infno": "2401", "msgid": msgid, "at": _ts(now), "result": "sent"}],
                                              ensure_ascii=False), created_at=now, updated_at=now)
            s.add(st)
            s.flush()
            stay_id, visit_id = st.id, v.id
        checkpoint(self.ctx, "2401.before_send")
        rec = self._load(stay_id)
        req = Admit(AdmissionInfo(psn_no=person.psn_no, insutype=person.insutype, begntime=_ts(begin),
                                  mdtrt_cert_type=person.mdtrt_cert_type, mdtrt_cert_no=person.mdtrt_cert_no,
                                  med_type=med_type, ipt_no=ipt_no, atddr_no=dr_code, chfpdr_name=dr_name,
                                  adm_diag_dscr=adm_diag_dscr or diag_name, adm_dept_codg=dept_code,
                                  adm_dept_name=dept_name, adm_bed=str(bed), dscg_maindiag_code=diag_code,
                                  dscg_maindiag_name=diag_name, medrcdno=ipt_no),
                    [self._diag(rec, _ts(begin), with_mdtrt=False)], insuplc_admdvs=person.insuplc_admdvs)

        def cancelled(exc):
            with self.ctx.store.connection() as conn:
                conn.exec_driver_sql("UPDATE visits SET state = 'cancelled', updated_at = ? WHERE id = ?", (_now(), visit_id))
                conn.exec_driver_sql("UPDATE stays SET state = 'cancelled', updated_at = ? WHERE id = ?", (_now(), stay_id))
            self._change_log(stay_id, {"infno": "2401", "msgid": msgid, "at": _ts(now), "result": "refused",
                                       "err_msg": getattr(exc, "err_msg", None) or str(exc)})

        def unknown(_exc):
            self._change_log(stay_id, {"infno": "2401", "msgid": msgid, "at": _ts(now), "result": "unknown"})

        out = self._send(req, msgid, on_refused=cancelled, on_not_sent=cancelled, on_unknown=unknown)
        checkpoint(self.ctx, "2401.answered")
        with self.ctx.store.connection() as conn:
            conn.exec_driver_sql("UPDATE visits SET mdtrt_id = ?, state = 'registered', updated_at = ? WHERE id = ?",
                                 (out.mdtrt_id, _now(), visit_id))
            conn.exec_driver_sql("UPDATE stays SET state = 'admitted', updated_at = ? WHERE id = ?", (_now(), stay_id))
        self._change_log(stay_id, {"infno": "2401", "msgid": msgid, "at": _ts(now), "result": "ok",
                                   "mdtrt_id": out.mdtrt_id})
        return self.record(stay_id)

    @translate_store_errors
    def his_stay(self, person: Any = None, *, ipt_no: str = "") -> dict:
        """The HIS's in-stay record of ``person`` (or ``ipt_no``): the header to admit with (the lines
        of every day so far are in ``lines``)."""
        if self.his is None or not hasattr(self.his, "stay"):
            raise ServiceError("config", "没有配置 HIS 接口，不能从 HIS 取住院信息；请手工录入入院信息。", system="his")
        return self.his.stay(certno=getattr(person, "certno", "") or "", ipt_no=ipt_no)

    @translate_store_errors
    def admit_from_his(self, person: Any, **overrides: Any) -> dict:
        """入院登记 with the HIS's stay header (ipt_no, admission time, department, bed, doctor,
        diagnosis); ``overrides`` replace any of admit()'s arguments."""
        h = self.his_stay(person)
        args = {"dept_code": h.get("dept_code"), "dept_name": h.get("dept_name"), "bed": h.get("bed"),
                "dr_code": h.get("dr_code"), "dr_name": h.get("dr_name"), "diag_code": h.get("dise_codg"),
                "diag_name": h.get("dise_name"), "begntime": h.get("adm_time"), "ipt_no": h.get("ipt_no"),
                "med_type": h.get("med_type") or "21"}
        args.update({k: v for k, v in overrides.items() if v is not None})
        return self.admit(person, **args)

    # ------------------------------------------------------------------------------ 2403 住院信息变更
    @translate_store_errors
    def change(self, stay_id: int, **changes: Any) -> dict:
        """住院信息变更 (2403): ``bed``, ``dept_code``/``dept_name``, ``dr_code``/``dr_name``,
        ``diag_code``/``diag_name``. The whole current admission record is sent with the changes
        (UNVERIFIED whether the platform wants all fields; docs/central-interface.md). A lost answer may
        be retried with the same changes (a 2403 sets values, a repeat does not add anything)."""
        unknown_keys = [k for k in changes if k not in CHANGE_FIELDS]
        if unknown_keys:
            raise ServiceError("invalid_input", f"不能变更的项目：{'、'.join(unknown_keys)}（可变更：床位、科室、医生、诊断）。")
        new = {k: str(v).strip() for k, v in changes.items() if v is not None}
        if not new:
            raise ServiceError("invalid_input", "没有要变更的住院信息（床位、科室、医生或诊断）。")
        empty = [k for k, v in new.items() if not v]
        if empty:
            raise ServiceError("invalid_input", f"变更后的内容不能为空：{'、'.join(empty)}。")
        s = self._load(stay_id, ("admitted",), "变更住院信息")
        cur = dict(s, **new)
        msgid = self.ctx.new_msgid()
        now = _now()
        entry = {"infno": "2403", "msgid": msgid, "at": _ts(now), "changes": new,
                 "before": {k: s[k] for k in new}, "result": "sent"}
        self._change_log(s["id"], entry)                 # durable BEFORE the 2403
        cs = self.ctx.settings.counter                   # [counter] inpatient_change_* (UNVERIFIED parts of 2403)
        node = getattr(cs, "inpatient_change_node", "adminfo") or "adminfo"
        with_dise = bool(getattr(cs, "inpatient_change_diseinfo", True))
        req = ChangeAdmission(AdmissionChangeInfo(
            mdtrt_id=s["mdtrt_id"], psn_no=s["psn_no"], begntime=_ts(s["begntime"]), mdtrt_cert_type=s["mdtrt_cert_type"],
            med_type=s["med_type"], ipt_otp_no=s["ipt_no"], atddr_no=cur["dr_code"], chfpdr_name=cur["dr_name"],
            adm_diag_dscr=cur["diag_name"], adm_dept_codg=cur["dept_code"], adm_dept_name=cur["dept_name"],
            adm_bed=cur["bed"], dscg_maindiag_code=cur["diag_code"], dscg_maindiag_name=cur["diag_name"],
            medrcdno=s["ipt_no"]), [self._diag(cur, _ts(now), with_mdtrt=True)] if with_dise else None,
            insuplc_admdvs=s["insuplc_admdvs"], node=node)
        self._send(req, msgid,
                   on_refused=lambda e: self._change_log(s["id"], dict(entry, result="refused", err_msg=e.err_msg)),
                   on_not_sent=lambda e: self._change_log(s["id"], dict(entry, result="not_sent")),
                   on_unknown=lambda e: self._change_log(s["id"], dict(entry, result="unknown")))
        with self.ctx.store.connection() as conn:
            sets = ", ".join(f"{k} = ?" for k in new)
            conn.exec_driver_sql(f"UPDATE stays SET {sets}, updated_at = ? WHERE id = ?", (*new.values(), _now(), s["id"]))
        self._change_log(s["id"], dict(entry, result="ok"))
        return self.record(s["id"])

    # ------------------------------------------------------------------------------ 2404 入院办理撤销
    @translate_store_errors
    def cancel(self, stay_id: int, *, reason: str = "") -> dict:
        """入院办理撤销 (2404): only an admitted stay with no fee line (uploaded or not), no settlement
        and a deposit balance of 0 with nothing open (refund the deposits first)."""
        s = self._load(stay_id, ("admitted",), "撤销入院")
        with self.ctx.store.read_connection() as conn:
            nfee = conn.exec_driver_sql("SELECT count(*) FROM fee_lines WHERE visit_id = ?", (s["visit_id"],)).scalar_one()
            nset = conn.exec_driver_sql("SELECT count(*) FROM settlements WHERE visit_id = ? AND state != 'failed'",
                                        (s["visit_id"],)).scalar_one()
            books = _books(conn, s["id"])
        if nfee:
            raise ServiceError("invalid_input", f"住院号 {s['ipt_no']} 已有 {nfee} 条费用明细，不能撤销入院（2404）。"
                                                "如确需撤销，请先撤销全部费用明细（2302）。")
        if nset:
            raise ServiceError("invalid_input", f"住院号 {s['ipt_no']} 已有结算记录，不能撤销入院；请先撤销结算（2305）。")
        if Decimal(books["balance"]) != 0 or books["open_items"]:
            raise ServiceError("invalid_input", f"住院号 {s['ipt_no']} 还有预交金余额 {books['balance']} 元"
                                                + ("（或有未完成的预交金收退）" if books["open_items"] else "")
                                                + "，请先退还预交金再撤销入院。")
        msgid = self.ctx.new_msgid()
        entry = {"infno": "2404", "msgid": msgid, "at": _ts(_now()), "reason": reason, "result": "sent"}
        self._exec("UPDATE visits SET cancel_msgid = ?, updated_at = ? WHERE id = ?", (msgid, _now(), s["visit_id"]))
        self._change_log(s["id"], entry)
        self._send(CancelAdmit(mdtrt_id=s["mdtrt_id"], psn_no=s["psn_no"], insuplc_admdvs=s["insuplc_admdvs"]), msgid,
                   on_refused=lambda e: self._change_log(s["id"], dict(entry, result="refused", err_msg=e.err_msg)),
                   on_unknown=lambda e: self._change_log(s["id"], dict(entry, result="unknown")))
        with self.ctx.store.connection() as conn:
            conn.exec_driver_sql("UPDATE visits SET state = 'cancelled', updated_at = ? WHERE id = ?", (_now(), s["visit_id"]))
            conn.exec_driver_sql("UPDATE stays SET state = 'cancelled', updated_at = ? WHERE id = ?", (_now(), s["id"]))
        self._change_log(s["id"], dict(entry, result="ok"))
        return self.record(s["id"])

    # ------------------------------------------------------------------------------ 预交金
    def _receipt_no(self, prefix: str, row_id: int, now: datetime) -> str:
        return f"{prefix}{self.ctx.fixmedins_code[-6:]}{now:%Y%m%d}{row_id:06d}"

    @translate_store_errors
    def take_deposit(self, stay_id: int, amount: Any, method: str = "cash", *, code: str | None = None,
                     tendered: Any = None) -> dict:
        """交预交金: ``method`` "cash" (into the shift's drawer; ``tendered`` ≥ amount gives change) or
        "code" (a scanned payment code through the aggregate gateway, charged exactly once: the ledger
        row and the trade's out_trade_no are committed BEFORE the gateway call). Returns the ledger row
        with ``balance`` and ``receipt_no`` (print it with :meth:`deposit_receipt`)."""
        from .shifts import require_shift

        amt = money(amount, "预交金金额")
        s = self._load(stay_id, ("admitted", "discharged"), "收预交金")
        if method not in ("cash", "code"):
            raise ServiceError("invalid_input", f"预交金收款方式“{method}”无效：只能是现金（cash）或付款码（code）。")
        change = None
        if method == "cash" and tendered not in (None, ""):
            t = money(tendered, "实收金额")
            if t < amt:
                raise ServiceError("invalid_input", f"现金实收 {fmt2(t)} 元少于预交金 {fmt2(amt)} 元。")
            change = t - amt
        shift_id = require_shift(self.ctx.store, self.ctx.operator.opter, "收预交金")
        now = _now()
        if method == "cash":
            with self.ctx.store.connection() as conn:
                did = self._insert_row(conn, s["id"], "deposit", "cash", amt, "done", now=now, shift_id=shift_id,
                                       prefix="YJ")
            checkpoint(self.ctx, "deposit.cash.committed")
            row = self._deposit(did)
            if change is not None:
                row.update(tendered=fmt2(amt + change), change=fmt2(change))
            return row
        from . import codepay

        if not code:
            raise ServiceError("invalid_input", "请扫描患者的付款码。")
        codepay.gateway(self.ctx)
        prepared, codes = codepay.prepare_tenders(self.ctx, amt, [Tender("code", amt, code)])
        pc = codes[prepared[0].ref]
        with self.ctx.store.connection() as conn:      # the ledger row + the trade BEFORE the gateway
            did = self._insert_row(conn, s["id"], "deposit", prepared[0].method, amt, "pending", now=now,
                                   shift_id=shift_id, prefix="YJ")
            otn = codepay.insert_prepared_deposit(conn, self.ctx, did, pc, amt, now)
            conn.exec_driver_sql("UPDATE stay_deposits SET out_trade_no = ? WHERE id = ?", (otn, did))
        checkpoint(self.ctx, "deposit.code.prepared")
        tr = codepay.charge(self.ctx, otn, pc.code, on_wait=self.on_pay_wait)
        pc = None
        code = None  # noqa: F841 - dropped after the one call
        checkpoint(self.ctx, "deposit.code.charged")
        row = self._deposit(did)
        row["trade"] = tr
        if tr["state"] == "paid":
            return row
        if tr["state"] in ("unknown", "sent", "paying", "prepared"):
            with self.ctx.store.connection() as conn:
                conn.exec_driver_sql("UPDATE stay_deposits SET state = 'unknown', updated_at = ? WHERE id = ? AND state = "
                                     "'pending'", (_now(), did))
            raise ServiceError("unknown", f"{tr['channel_name']}付款码扣款 {tr['amount']} 元结果未知（订单 {otn}）："
                                          "请勿重复扫码，执行恢复（medsettle inpatient recover）查询后确认。", detail=otn)
        raise ServiceError("refused", f"{tr['channel_name']}付款码未扣款：{tr['err_msg'] or tr['err_code'] or tr['state']}。"
                                      "本次预交金未收取，请患者刷新付款码或改用现金。", detail=otn)

    def _insert_row(self, conn, stay_id: int, kind: str, method: str, amount: Decimal, state: str, *, now: datetime,
                    shift_id: int | None, prefix: str | None = None, settlement_id: int | None = None,
                    related_id: int | None = None, out_trade_no: str | None = None, authorized_by: str | None = None,
                    reason: str | None = None) -> int:
        from sqlalchemy import insert

        from offline_cache.models import StayDeposit

        res = conn.execute(insert(StayDeposit.__table__).values(
            stay_id=stay_id, kind=kind, method=method, amount=amount, state=state, settlement_id=settlement_id,
            related_id=related_id, out_trade_no=out_trade_no, shift_id=shift_id, opter=self.ctx.operator.opter,
            authorized_by=authorized_by, reason=(reason or None) and reason[:256], created_at=now, updated_at=now))
        did = res.inserted_primary_key[0]
        if prefix:
            conn.exec_driver_sql("UPDATE stay_deposits SET receipt_no = ? WHERE id = ?",
                                 (self._receipt_no(prefix, did, now), did))
        return did

    def _deposit(self, deposit_id: int) -> dict:
        with self.ctx.store.read_connection() as conn:
            r = conn.exec_driver_sql("SELECT * FROM stay_deposits WHERE id = ?", (deposit_id,)).mappings().first()
            if r is None:
                raise ServiceError("invalid_input", f"本机没有预交金记录 {deposit_id}。")
            d = _deposit_dict(dict(r))
            d["balance"] = _books(conn, r["stay_id"])["balance"]
        return d

    def refund_plan(self, stay_id: int, amount: Decimal) -> list[dict]:
        """How ``amount`` of the balance goes back (the refund rule): payment-code deposits to their
        channel first, newest deposit first, each up to what is left unrefunded of it; the rest in cash."""
        with self.ctx.store.read_connection() as conn:
            deps = [dict(r) for r in conn.exec_driver_sql(
                "SELECT d.id, d.method, d.amount, d.out_trade_no, coalesce((SELECT sum(r.amount) FROM stay_deposits r "
                "WHERE r.related_id = d.id AND r.kind = 'refund' AND r.state IN ('done', 'pending', 'unknown')), 0) AS "
                "back FROM stay_deposits d WHERE d.stay_id = ? AND d.kind = 'deposit' AND d.state = 'done' AND "
                "d.method != 'cash' ORDER BY d.id DESC", (stay_id,)).mappings()]
        left, plan = q2(amount), []
        for d in deps:
            room = _fen(d["amount"]) - _fen(d["back"])
            if left <= 0 or room <= 0:
                continue
            part = min(room, left)
            plan.append({"method": d["method"], "amount": part, "deposit_id": d["id"], "out_trade_no": d["out_trade_no"]})
            left -= part
        if left > 0:
            plan.append({"method": "cash", "amount": left, "deposit_id": None, "out_trade_no": None})
        return plan

    def _refund(self, s: dict, amount: Decimal, *, reason: str, authorized_by: str | None) -> list[dict]:
        from . import codepay
        from .shifts import require_shift

        shift_id = require_shift(self.ctx.store, self.ctx.operator.opter, "退预交金")
        out = []
        for part in self.refund_plan(s["id"], amount):
            now = _now()
            if part["method"] == "cash":
                with self.ctx.store.connection() as conn:
                    rid = self._insert_row(conn, s["id"], "refund", "cash", part["amount"], "done", now=now,
                                           shift_id=shift_id, prefix="YT", authorized_by=authorized_by, reason=reason)
                checkpoint(self.ctx, "refund.cash.committed")
                out.append(self._deposit(rid))
                continue
            with self.ctx.store.connection() as conn:     # the refund row BEFORE the gateway
                rid = self._insert_row(conn, s["id"], "refund", part["method"], part["amount"], "pending", now=now,
                                       shift_id=shift_id, prefix="YT", related_id=part["deposit_id"],
                                       out_trade_no=part["out_trade_no"], authorized_by=authorized_by, reason=reason)
            checkpoint(self.ctx, "refund.code.pending")
            try:
                tr = codepay.refund(self.ctx, part["out_trade_no"], part["amount"], book=False, reason=reason or "退预交金")
            except ServiceError as exc:
                state = "unknown" if exc.code == "unknown" else "failed"
                with self.ctx.store.connection() as conn:
                    conn.exec_driver_sql("UPDATE stay_deposits SET state = ?, err_msg = ?, updated_at = ? WHERE id = ?",
                                         (state, exc.message[:500], _now(), rid))
                out.append(self._deposit(rid))
                continue
            self._refund_link(rid, tr)
            checkpoint(self.ctx, "refund.code.done")
            out.append(self._deposit(rid))
        return out

    def _refund_link(self, rid: int, trade: dict) -> None:
        """The refund row is done: the trade's ok refund of the same amount not claimed by another row."""
        with self.ctx.store.connection() as conn:
            r = conn.exec_driver_sql("SELECT amount, out_trade_no FROM stay_deposits WHERE id = ?", (rid,)).first()
            claimed = {x[0] for x in conn.exec_driver_sql("SELECT out_refund_no FROM stay_deposits WHERE out_trade_no = ? "
                                                          "AND kind = 'refund' AND out_refund_no IS NOT NULL", (r[1],))}
            amt = fmt2(_fen(r[0]))
            hit = next((e for e in trade["refunds"] if e.get("state") == "ok" and e["out_refund_no"] not in claimed
                        and e["amount"] == amt), None)
            if hit is not None:
                conn.exec_driver_sql("UPDATE stay_deposits SET state = 'done', out_refund_no = ?, err_msg = NULL, "
                                     "updated_at = ? WHERE id = ?", (hit["out_refund_no"], _now(), rid))

    @translate_store_errors
    def refund_deposit(self, stay_id: int, amount: Any, authorization: Any, *, reason: str = "") -> dict:
        """退预交金 during the stay (the patient asks for part of it back): a verified supervisor
        authorization (checkout.check_authorization, action ``reverse``); at most the balance; paid back
        by :meth:`refund_plan`'s rule. Returns {"refunds": [ledger rows], "balance"}."""
        from .checkout import check_authorization

        amt = money(amount, "退预交金金额")
        s = self._load(stay_id, ("admitted", "discharged"), "退预交金")
        auth = check_authorization(self.ctx, authorization, "reverse", f"deposit:{s['ipt_no']}")
        with self.ctx.store.read_connection() as conn:
            books = _books(conn, s["id"])
        bal = Decimal(books["balance"])
        if amt > bal:
            raise ServiceError("invalid_input", f"退预交金 {fmt2(amt)} 元超过预交金余额 {fmt2(bal)} 元，请核对金额。")
        if books["open_items"]:
            raise ServiceError("invalid_input", "还有结果未确认的预交金收退，请先执行恢复（medsettle inpatient recover）。")
        from . import audit

        refunds = self._refund(s, amt, reason=reason or "患者申请退预交金", authorized_by=auth.get("authorized_by"))
        audit.record(self.ctx.store, self.ctx.operator.opter, "deposit_refund",
                     {"stay_id": s["id"], "ipt_no": s["ipt_no"], "amount": fmt2(amt),
                      "authorized_by": auth.get("authorized_by"), "reason": reason})
        return {"refunds": refunds, "balance": fmt2(balance_of(self.ctx.store, s["id"]))}

    def deposit_receipt(self, deposit_id: int, out: Any = None) -> bytes:
        """The printed receipt (PDF, 80 mm) of a deposit or refund row: number, stay, patient (masked ID),
        amount, channel, running balance. Only for a done row (durable before paper)."""
        from client.printing.deposit import render_deposit_receipt

        row = self._deposit(deposit_id)
        if row["state"] != "done" or row["kind"] not in ("deposit", "refund"):
            raise ServiceError("invalid_input", f"预交金记录 {deposit_id} 状态为“{row['state']}”，不能打印收据。")
        ledger = ledger_of(self.ctx.store, row["stay_id"])
        run = next(x["balance"] for x in ledger if x["deposit_id"] == deposit_id)
        rec = self.record(row["stay_id"])
        # the books AS OF this row (a receipt reprinted after a settlement still shows what it showed then)
        sums = {"deposit": ZERO, "refund": ZERO, "applied": ZERO, "restored": ZERO}
        for x in ledger:
            if x["state"] == "done":
                sums[x["kind"]] += Decimal(x["amount"])
            if x["deposit_id"] == deposit_id:
                break
        rec["books"] = dict(rec.get("books") or {}, taken=fmt2(sums["deposit"]), refunded=fmt2(sums["refund"]),
                            applied_net=fmt2(sums["applied"] - sums["restored"]), balance=run)
        doc = {"row": dict(row, balance=run), "stay": rec, "fixmedins_name": self.ctx.settings.site.fixmedins_name or "",
               "fixmedins_code": self.ctx.fixmedins_code, "cashier": row.get("opter") or self.ctx.operator.opter,
               "training": bool(self.ctx.settings.training.enabled)}
        return render_deposit_receipt(doc, out)

    # ------------------------------------------------------------------------------ 2301 / 2302
    def _make_line(self, fi: FeeInput, day: str) -> dict:
        from offline_cache.catalog import get_item

        from . import mapping

        codes = mapping.resolve_line(self.ctx.store, hosp_code=fi.hosp_code, national=fi.code, name=fi.name, where=fi.where)
        item = get_item(self.ctx.store, self.ctx.admdvs, codes.med_list_codg, at=date.fromisoformat(day))
        pric = fi.pric if fi.pric is not None else (item.pric if item is not None else None)
        if pric is None:
            raise ServiceError("invalid_input", f"{fi.where + '：' if fi.where else ''}“{fi.name or fi.code}”没有单价。")
        amount = q2(fi.cnt * pric)
        if amount <= 0:
            raise ServiceError("invalid_input", f"{fi.where + '：' if fi.where else ''}“{fi.name or fi.code}”金额必须大于0"
                                                "（退费请用撤销明细 2302）。")
        return {"code": codes.med_list_codg, "hosp": codes.medins_list_codg, "name": fi.name or (item.name if item else fi.code),
                "spec": (item.spec if item else None) or None, "cnt": fi.cnt, "pric": pric, "amount": amount,
                "extra": dict(fi.extra), "off": item is None}

    @translate_store_errors
    def upload(self, stay_id: int, *, day: int | None = None, lines: list | None = None) -> dict:
        """住院费用明细上传 (2301) of the day's fees: from the HIS (``day`` = day of the stay, 1-based;
        None = every day so far) or ``lines`` (FeeInput list, e.g. from a fee file). Lines whose HIS
        feedetl_sn is already here are skipped (a day uploaded twice adds nothing). Batches of ≤ 50; each
        batch's rows (uploaded 0, chrg_bchno = its msgid) committed before its 2301. Returns {uploaded,
        skipped, amount, batches: [msgid], off_catalog: [names]}."""
        from offline_cache.models import FeeLine

        s = self._load(stay_id, ("admitted", "discharged"), "上传费用明细")
        if lines is None:
            if self.his is None or not hasattr(self.his, "stay"):
                raise ServiceError("config", "没有配置 HIS 接口：请用费用文件上传（--fees）。", system="his")
            if day is not None and (not isinstance(day, int) or day < 1):
                raise ServiceError("invalid_input", f"住院日“{day}”无效，应为 1、2、3……")
            lines = self.his.stay(ipt_no=s["ipt_no"], day=day)["lines"]
        with self.ctx.store.read_connection() as conn:
            have = {r["feedetl_sn"] for r in _fee_rows(conn, s["visit_id"])}
            n_local = len(have)
        pending = [fi for fi in lines if not (fi.extra.get("feedetl_sn") and str(fi.extra["feedetl_sn"]) in have)]
        skipped = len(lines) - len(pending)
        begin = _ts(s["begntime"])
        made = []
        for i, fi in enumerate(pending, 1):
            occur = str(fi.extra.get("fee_ocur_time") or _ts(_now()))[:19]
            _parse_time(occur, "费用发生时间")
            if occur < begin[:10]:
                raise ServiceError("invalid_input", f"第{i}条“{fi.name or fi.code}”的费用发生时间 {occur} 早于入院时间 {begin}。")
            made.append((fi, occur, self._make_line(fi, occur[:10])))     # every line checked before anything is sent
        total, msgids = ZERO, []
        sn = n_local
        for k in range(0, len(made), BATCH):
            batch = made[k:k + BATCH]
            msgid = self.ctx.new_msgid()
            ids, details = [], []
            with self.ctx.store.session() as ss:         # rows + msgid BEFORE the 2301
                for fi, occur, ln in batch:
                    sn += 1
                    feedetl_sn = str(fi.extra.get("feedetl_sn") or f"{s['visit_id']}-{sn:04d}")
                    row = FeeLine(visit_id=s["visit_id"], feedetl_sn=feedetl_sn, med_list_codg=ln["code"],
                                  medins_list_codg=ln["hosp"], name=ln["name"], spec=ln["spec"], cnt=ln["cnt"],
                                  pric=ln["pric"], det_item_fee_sumamt=ln["amount"], chrg_bchno=msgid,
                                  fee_ocur_time=_parse_time(occur, "费用发生时间"),
                                  bilg_dept_codg=ln["extra"].get("bilg_dept_codg") or s["dept_code"],
                                  bilg_dept_name=ln["extra"].get("bilg_dept_name") or s["dept_name"],
                                  bilg_dr_codg=ln["extra"].get("bilg_dr_codg") or s["dr_code"],
                                  bilg_dr_name=ln["extra"].get("bilg_dr_name") or s["dr_name"], uploaded=False)
                    ss.add(row)
                    ss.flush()
                    ids.append(row.id)
                    details.append(FeeDetail(
                        feedetl_sn=feedetl_sn, mdtrt_id=s["mdtrt_id"], psn_no=s["psn_no"], fee_ocur_time=occur,
                        med_list_codg=ln["code"], medins_list_codg=ln["hosp"], det_item_fee_sumamt=ln["amount"],
                        cnt=ln["cnt"], pric=ln["pric"], bilg_dept_codg=row.bilg_dept_codg, bilg_dept_name=row.bilg_dept_name,
                        bilg_dr_codg=row.bilg_dr_codg, bilg_dr_name=row.bilg_dr_name, chrg_bchno=None, rx_circ_flag=None,
                        med_type=s["med_type"]))
                ss.connection().exec_driver_sql("UPDATE visits SET upload_msgid = ?, updated_at = ? WHERE id = ?",
                                                (msgid, _now(), s["visit_id"]))
            checkpoint(self.ctx, "2301.before_send")

            def not_applied(_exc, ids=ids):
                with self.ctx.store.connection() as conn:
                    conn.exec_driver_sql(f"DELETE FROM fee_lines WHERE id IN ({','.join('?' * len(ids))})", tuple(ids))

            out = self._send(UploadInpatientFees(details, insuplc_admdvs=s["insuplc_admdvs"]), msgid,
                             on_refused=not_applied, on_not_sent=not_applied)
            checkpoint(self.ctx, "2301.answered")
            by_sn = {r.feedetl_sn: r for r in out.result}
            from .checkout import _dtext
            from .checkout import _fen as fen

            with self.ctx.store.connection() as conn:
                for rid, d in zip(ids, details, strict=True):
                    r = by_sn.get(d.feedetl_sn)
                    sp = jsonable(dict(r.raw)) if r is not None else {}
                    conn.exec_driver_sql(
                        "UPDATE fee_lines SET uploaded = 1, pric_uplmt_amt = ?, selfpay_prop = ?, fulamt_ownpay_amt = ?, "
                        "overlmt_amt = ?, preselfpay_amt = ?, inscp_scp_amt = ?, chrgitm_lv = ?, med_chrgitm_type = ?, "
                        "memo = ? WHERE id = ?",
                        (_dtext(sp.get("pric_uplmt_amt")), _dtext(sp.get("selfpay_prop")), fen(sp.get("fulamt_ownpay_amt")),
                         fen(sp.get("overlmt_amt")), fen(sp.get("preselfpay_amt")), fen(sp.get("inscp_scp_amt")),
                         sp.get("chrgitm_lv"), sp.get("med_chrgitm_type"), sp.get("memo") or None, rid))
                conn.exec_driver_sql("UPDATE visits SET state = 'uploaded', updated_at = ? WHERE id = ?",
                                     (_now(), s["visit_id"]))
            total += sum((ln["amount"] for _fi, _o, ln in batch), ZERO)
            msgids.append(msgid)
        return {"stay_id": s["id"], "day": day, "uploaded": len(made), "skipped": skipped, "amount": fmt2(total),
                "batches": msgids, "off_catalog": [ln["name"] for _f, _o, ln in made if ln["off"]]}

    @translate_store_errors
    def cancel_fees(self, stay_id: int, feedetl_sn: str = "0000") -> dict:
        """住院费用明细撤销 (2302): one line by feedetl_sn, or "0000" = every uploaded line not yet settled.
        A settled line cannot be cancelled (reverse its settlement first)."""
        s = self._load(stay_id, ("admitted", "discharged"), "撤销费用明细")
        with self.ctx.store.read_connection() as conn:
            rows = _fee_rows(conn, s["visit_id"])
            settled = _settled_sns(conn, s["visit_id"])
        if any(not r["uploaded"] for r in rows):
            raise ServiceError("invalid_input", "有上传结果未知的费用明细，请先执行恢复（medsettle inpatient recover）。")
        if feedetl_sn == "0000":
            gone = [r for r in rows if r["feedetl_sn"] not in settled]
            if not gone:
                raise ServiceError("invalid_input", "没有可撤销的未结算费用明细。")
        else:
            gone = [r for r in rows if r["feedetl_sn"] == feedetl_sn]
            if not gone:
                raise ServiceError("invalid_input", f"本住院没有费用明细流水号 {feedetl_sn}。")
            if feedetl_sn in settled:
                raise ServiceError("invalid_input", f"费用明细 {feedetl_sn} 已结算，不能撤销；请先撤销该笔结算（2305）。")
        msgid = self.ctx.new_msgid()
        entry = {"infno": "2302", "msgid": msgid, "at": _ts(_now()), "feedetl_sn": feedetl_sn, "result": "sent",
                 "lines": len(gone)}
        self._change_log(s["id"], entry)
        self._send(CancelInpatientFees(mdtrt_id=s["mdtrt_id"], psn_no=s["psn_no"], feedetl_sn=feedetl_sn,
                                       insuplc_admdvs=s["insuplc_admdvs"]), msgid,
                   on_refused=lambda e: self._change_log(s["id"], dict(entry, result="refused", err_msg=e.err_msg)),
                   on_unknown=lambda e: self._change_log(s["id"], dict(entry, result="unknown")))
        ids = [r["id"] for r in gone]
        with self.ctx.store.connection() as conn:
            conn.exec_driver_sql(f"DELETE FROM fee_lines WHERE id IN ({','.join('?' * len(ids))})", tuple(ids))
        self._change_log(s["id"], dict(entry, result="ok"))
        return {"stay_id": s["id"], "cancelled": len(gone),
                "amount": fmt2(sum((_fen(r["det_item_fee_sumamt"]) for r in gone), ZERO))}

    # ------------------------------------------------------------------------------ 2402 出院
    @translate_store_errors
    def discharge(self, stay_id: int, *, endtime: str | None = None, dscg_way: str = "1", check_his: bool = True) -> dict:
        """出院办理 (2402). Refused while fee lines are not uploaded (or their upload is unknown), and —
        with a HIS — while the HIS has lines of the stay not uploaded here. After a lost 2402 answer the
        next call sends 2405 (出院撤销) first, then 2402 with a fresh msgid."""
        s = self._load(stay_id, ("admitted",), "办理出院")
        with self.ctx.store.read_connection() as conn:
            rows = _fee_rows(conn, s["visit_id"])
            open_setl = conn.exec_driver_sql("SELECT count(*) FROM settlements WHERE visit_id = ? AND state IN "
                                             "('prepared', 'sent', 'unknown')", (s["visit_id"],)).scalar_one()
        if open_setl:
            raise ServiceError("invalid_input", "有结果未知的结算，请先执行恢复（medsettle recover）再办理出院。")
        if any(not r["uploaded"] for r in rows):
            raise ServiceError("invalid_input", "有费用明细尚未上传成功（或上传结果未知），不能办理出院；请先上传（或执行恢复）。")
        if check_his and self.his is not None and hasattr(self.his, "stay"):
            his = self.his.stay(ipt_no=s["ipt_no"])
            have = {r["feedetl_sn"] for r in rows}
            missing = [fi for fi in his["lines"] if str(fi.extra.get("feedetl_sn") or "") not in have]
            if missing:
                amt = sum((q2(fi.cnt * fi.pric) for fi in missing if fi.pric is not None), ZERO)
                raise ServiceError("invalid_input", f"HIS 中还有 {len(missing)} 条费用（{fmt2(amt)} 元）未上传医保，不能办理出院："
                                                    "请先上传全部费用明细（medsettle inpatient upload）。")
        end = _parse_time(endtime, "出院时间") if endtime else _now()
        if end < s["begntime"]:
            raise ServiceError("invalid_input", f"出院时间 {_ts(end)} 早于入院时间 {_ts(s['begntime'])}。")
        changes = json.loads(s["changes_json"] or "[]")
        # a 2402 whose answer was lost ("unknown"), or whose process died with it in flight ("sent")
        lost = [c for c in changes if c.get("infno") == "2402" and c.get("result") in ("unknown", "sent")]
        if lost:                           # a 2402 whose answer was lost: undo it (2405) if it happened
            msgid = self.ctx.new_msgid()
            e405 = {"infno": "2405", "msgid": msgid, "at": _ts(_now()), "result": "sent", "after": lost[-1]["msgid"]}
            self._change_log(s["id"], e405)
            try:
                self._send(CancelDischarge(mdtrt_id=s["mdtrt_id"], psn_no=s["psn_no"], insuplc_admdvs=s["insuplc_admdvs"]),
                           msgid)
                self._change_log(s["id"], dict(e405, result="ok"))
            except ServiceError as exc:
                if exc.code != "refused":
                    raise
                self._change_log(s["id"], dict(e405, result="refused", err_msg=exc.detail))
            for c in lost:
                self._change_log(s["id"], dict(c, result="resolved"))
        msgid = self.ctx.new_msgid()
        entry = {"infno": "2402", "msgid": msgid, "at": _ts(_now()), "endtime": _ts(end), "result": "sent"}
        self._exec("UPDATE visits SET mdtrt_msgid = ?, updated_at = ? WHERE id = ?", (msgid, _now(), s["visit_id"]))
        self._change_log(s["id"], entry)
        checkpoint(self.ctx, "2402.before_send")
        req = Discharge(DischargeInfo(mdtrt_id=s["mdtrt_id"], psn_no=s["psn_no"], insutype=s["insutype"], endtime=_ts(end),
                                      dscg_dept_codg=s["dept_code"], dscg_dept_name=s["dept_name"], dscg_way=dscg_way,
                                      dise_codg=s["diag_code"], dise_name=s["diag_name"], dscg_bed=s["bed"]),
                        [self._diag(s, _ts(end), with_mdtrt=True)], insuplc_admdvs=s["insuplc_admdvs"])
        self._send(req, msgid,
                   on_refused=lambda e: self._change_log(s["id"], dict(entry, result="refused", err_msg=e.err_msg)),
                   on_not_sent=lambda e: self._change_log(s["id"], dict(entry, result="not_sent")),
                   on_unknown=lambda e: self._change_log(s["id"], dict(entry, result="unknown")))
        checkpoint(self.ctx, "2402.answered")
        with self.ctx.store.connection() as conn:
            conn.exec_driver_sql("UPDATE visits SET endtime = ?, updated_at = ? WHERE id = ?", (end, _now(), s["visit_id"]))
            conn.exec_driver_sql("UPDATE stays SET state = 'discharged', endtime = ?, updated_at = ? WHERE id = ?",
                                 (end, _now(), s["id"]))
        self._change_log(s["id"], dict(entry, result="ok"))
        return self.record(s["id"])

    # ------------------------------------------------------------------------------ 2303 / 2304
    @translate_store_errors
    def presettle(self, stay_id: int, *, acct_used_flag: str = "0") -> dict:
        """住院预结算 (2303) of the uploaded, not yet settled lines: 中途结算 (mid_setl_flag "1") while the
        patient is in the ward, the final settlement ("0") once discharged. Returns the trial:
        {final, mid_setl_flag, setlinfo, setldetail, psn_cash_pay, deposit_balance, deposit_applied,
        to_collect, surplus (final: refunded after the settlement), lines, medfee_sumamt, warnings}."""
        from .shifts import require_shift

        if acct_used_flag not in ("0", "1"):
            raise ServiceError("invalid_input", "个人账户使用标志只能是 0（不使用）或 1（使用）。")
        s = self._load(stay_id, ("admitted", "discharged"), "结算")
        final = s["state"] == "discharged"
        with self.ctx.store.read_connection() as conn:
            rows = _fee_rows(conn, s["visit_id"])
            settled = _settled_sns(conn, s["visit_id"])
            open_setl = conn.exec_driver_sql("SELECT count(*) FROM settlements WHERE visit_id = ? AND state IN "
                                             "('prepared', 'sent', 'unknown')", (s["visit_id"],)).scalar_one()
            books = _books(conn, s["id"])
        if open_setl:
            raise ServiceError("invalid_input", "该住院有结果未知的结算，请先执行恢复（medsettle recover），不能再次结算。")
        if any(not r["uploaded"] for r in rows):
            raise ServiceError("invalid_input", "有费用明细尚未上传成功（或上传结果未知），请先上传（或执行恢复）后再结算。")
        if books["open_items"]:
            raise ServiceError("invalid_input", "还有结果未确认的预交金收退，请先执行恢复（medsettle inpatient recover）后再结算。")
        todo = [r for r in rows if r["feedetl_sn"] not in settled]
        if not todo:
            raise ServiceError("invalid_input", "没有未结算的已上传费用明细" + ("（出院结算前请上传全部费用）。" if final else
                                                                  "，不需要中途结算。"))
        require_shift(self.ctx.store, self.ctx.operator.opter, "结算")
        total = sum((_fen(r["det_item_fee_sumamt"]) for r in todo), ZERO)
        mid = "0" if final else "1"
        req = InpatientPreSettle(psn_no=s["psn_no"], mdtrt_cert_type=s["mdtrt_cert_type"], mdtrt_cert_no=s["mdtrt_cert_no"],
                                 medfee_sumamt=total, psn_setlway="01", mdtrt_id=s["mdtrt_id"], insutype=s["insutype"],
                                 acct_used_flag=acct_used_flag, mid_setl_flag=mid,
                                 dscg_time=_ts(s["endtime"]) if final and s["endtime"] else "",
                                 insuplc_admdvs=s["insuplc_admdvs"])
        try:
            res = self.ctx.call(req)
        except BusinessError as exc:
            raise ServiceError("refused", f"医保中心预结算（2303）未通过：{exc.err_msg}", detail=exc.err_msg, infno="2303") from None
        except TransportError as exc:
            raise ServiceError("offline", str(exc), infno="2303") from None
        from .checkout import central_notes

        info = jsonable(dict(res.setlinfo.raw))
        trial = StayTrial(s["id"], final, req, res, info, jsonable([dict(d.raw) for d in res.setldetail]),
                          [r["feedetl_sn"] for r in todo], total, acct_used_flag, central_notes(res, "2303"))
        self._trials[s["id"]] = trial
        return self._trial_view(trial, Decimal(books["balance"]))

    @staticmethod
    def _trial_view(t: StayTrial, balance: Decimal) -> dict:
        due = Decimal(str(t.setlinfo.get("psn_cash_pay") or "0.00"))
        applied = min(due, balance)
        return {"stay_id": t.stay_id, "final": t.final, "mid_setl_flag": "0" if t.final else "1",
                "setlinfo": t.setlinfo, "setldetail": t.setldetail, "lines": len(t.feedetl_sns),
                "medfee_sumamt": fmt2(t.medfee_sumamt), "psn_cash_pay": fmt2(due), "deposit_balance": fmt2(balance),
                "deposit_applied": fmt2(applied), "to_collect": fmt2(due - applied),
                "surplus": fmt2(balance - applied) if t.final else "0.00", "warnings": list(t.warnings)}

    @translate_store_errors
    def settle(self, stay_id: int, tenders: list[Tender] | tuple = (), *, password: str | None = None) -> dict:
        """住院结算 (2304) after :meth:`presettle` in this service object (mid-stay or final as the trial).
        psn_cash_pay is paid from the deposit balance first; ``tenders`` must cover exactly the rest
        (``to_collect``; cash may exceed: change; ``Tender("code", None, scanned)`` for a payment code).
        The settlement row (msgid) is committed before the call; the confirmation, the deposit applied,
        the payments and the stay's state in ONE transaction. After the final settlement the surplus
        balance is refunded (:meth:`refund_plan`). Returns {settlement, stay, deposit_applied, collected,
        refunds, warnings}."""
        from . import codepay
        from .checkout import _insert_payment, central_notes, issue_invoice, record_warning, settlement_record
        from .shifts import require_shift

        t = self._trials.get(int(stay_id))
        if t is None:
            raise ServiceError("invalid_input", "请先预结算（medsettle inpatient midsettle / discharge 会先预结算）。")
        s = self._load(stay_id, ("discharged",) if t.final else ("admitted",), "结算")
        with self.ctx.store.read_connection() as conn:
            settled = _settled_sns(conn, s["visit_id"])
            n_rows = len(_fee_rows(conn, s["visit_id"]))
            books = _books(conn, s["id"])
        if set(t.feedetl_sns) & settled or n_rows != len(settled | set(t.feedetl_sns)):
            self._trials.pop(t.stay_id, None)
            raise ServiceError("invalid_input", "费用明细在预结算后有变动，请重新预结算。")
        cainfo = ""
        if self.ctx.central.settings.password.required("2304", s["insuplc_admdvs"], self.ctx.admdvs):
            if not password:
                raise ServiceError("invalid_input", "本地区结算需要验证患者密码：请患者在密码键盘上输入医保电子凭证或社保卡密码。")
            from client.api.password import encrypt_password

            try:
                cainfo = encrypt_password(password, self.ctx.central.settings.password)
            except ValueError as exc:
                raise ServiceError("invalid_input", str(exc)) from None
        password = None  # noqa: F841
        balance = Decimal(books["balance"])
        due = Decimal(str(t.setlinfo.get("psn_cash_pay") or "0.00"))
        rest = due - min(due, balance)
        tenders = list(tenders or [])
        paycodes: dict = {}
        if any(x.method == "code" for x in tenders):
            codepay.gateway(self.ctx)
            tenders, paycodes = codepay.prepare_tenders(self.ctx, rest, tenders)
        if rest == 0 and tenders:
            raise ServiceError("invalid_input", f"预交金余额 {fmt2(balance)} 元已足够支付本次个人自付 {fmt2(due)} 元，无需另外收款。")
        allocate(rest, tenders)                          # refuses bad tenders before anything is written
        shift_id = require_shift(self.ctx.store, self.ctx.operator.opter, "结算")
        si = t.result.setlinfo
        req = InpatientSettle(**{k: getattr(t.request, k) for k in (
            "psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "medfee_sumamt", "psn_setlway", "mdtrt_id", "insutype",
            "acct_used_flag", "mid_setl_flag", "invono", "dscg_time", "insuplc_admdvs")},
            fulamt_ownpay_amt=si.fulamt_ownpay_amt or ZERO, overlmt_selfpay=si.overlmt_selfpay or ZERO,
            preselfpay_amt=si.preselfpay_amt or ZERO, inscp_scp_amt=si.inscp_scp_amt or ZERO)
        msgid = self.ctx.new_msgid()
        now = _now()
        person = json.loads(s["person_json"] or "{}")
        with self.ctx.store.read_connection() as conn:
            lines = [{"feedetl_sn": r["feedetl_sn"], "code": r["med_list_codg"], "name": r["name"],
                      "cnt": format(Decimal(str(r["cnt"])).normalize(), "f"), "pric": str(r["pric"]),
                      "det_item_fee_sumamt": fmt2(_fen(r["det_item_fee_sumamt"]))}
                     for r in _fee_rows(conn, s["visit_id"]) if r["feedetl_sn"] in set(t.feedetl_sns)]
        meta = {"stay_id": s["id"], "mid_setl_flag": req.mid_setl_flag, "feedetl_sns": t.feedetl_sns,
                "presettle": t.setlinfo, "warnings": list(t.warnings), "acct_used_flag": t.acct_used_flag,
                "deposit_balance_before": fmt2(balance), "person": person, "lines": lines, "window": self.window,
                "visit": {"kind": "inpatient", "med_type": s["med_type"], "ipt_otp_no": s["ipt_no"],
                          "begntime": _ts(s["begntime"]), "endtime": _ts(s["endtime"]) if s["endtime"] else None,
                          "dept_name": s["dept_name"], "mdtrt_id": s["mdtrt_id"], "visit_id": s["visit_id"]},
                "cashier": {"opter": self.ctx.operator.opter, "opter_name": self.ctx.operator.opter_name}}
        with self.ctx.store.session() as ss:          # the settlement row with its msgid BEFORE the call
            row = lifecycle.new("sent", visit_id=s["visit_id"], msgid=msgid, infno="2304", mdtrt_id=s["mdtrt_id"],
                                medfee_sumamt=t.medfee_sumamt, preview_json=json.dumps(meta, ensure_ascii=False),
                                opter=self.ctx.operator.opter, shift_id=shift_id, created_at=now, updated_at=now)
            ss.add(row)
            ss.flush()
            sid = row.id
        self._trials.pop(t.stay_id, None)
        checkpoint(self.ctx, "2304.before_send")

        def unknown(_exc):
            with self.ctx.store.connection() as conn:
                lifecycle.move(conn, sid, "unknown", now=_now(), expect=("sent",))

        def failed(exc):
            err = {"infno": "2304", "err_msg": getattr(exc, "err_msg", None) or str(exc)}
            with self.ctx.store.connection() as conn:
                lifecycle.move(conn, sid, "failed", now=_now(), expect=("sent",), meta={"error": err})

        try:
            out = self.ctx.call(req, msgid=msgid, cainfo=cainfo)
        except BusinessError as exc:
            failed(exc)
            raise ServiceError("refused", f"医保中心拒绝了住院结算（2304）：{exc.err_msg}", detail=exc.err_msg, msgid=msgid,
                               infno="2304") from None
        except TransportError as exc:
            if exc.outcome_unknown:
                unknown(exc)
                raise ServiceError("unknown", f"住院结算（2304）已发出但没有收到应答：结果未知，请勿重复结算。执行 medsettle recover："
                                              f"超过宽限期后将冲正（2601）报文 {msgid}，之后重新结算。", msgid=msgid,
                                   infno="2304") from None
            failed(exc)
            raise ServiceError("offline", str(exc), msgid=msgid, infno="2304") from None
        checkpoint(self.ctx, "2304.answered")
        info = jsonable(dict(out.setlinfo.raw))
        detail = jsonable([dict(d.raw) for d in out.setldetail])
        warn = list(t.warnings) + central_notes(out, "2304", msgid)
        cash = Decimal(str(info.get("psn_cash_pay") or "0.00"))
        acct = Decimal(str(info.get("acct_pay") or "0.00"))
        try:
            with self.ctx.store.connection() as conn:      # ONE transaction: result, deposit applied, payments, states
                now = _now()
                bal = Decimal(_books(conn, s["id"])["balance"])
                applied = min(cash, bal)
                rest2 = cash - applied
                try:
                    plines = allocate(rest2, tenders)
                except ServiceError:
                    plines = []
                    if rest2 > 0:
                        warn.append(f"结算个人现金 {fmt2(cash)} 元与预结算 {fmt2(due)} 元不一致，预交金冲抵 {fmt2(applied)} 元后"
                                    f"还应收 {fmt2(rest2)} 元，收款未记录，已记为欠费，请收取后由组长核销。")
                lifecycle.move(conn, sid, "confirmed", now=now, expect=("sent",), setl_id=info.get("setl_id"),
                               mdtrt_id=info.get("mdtrt_id") or s["mdtrt_id"],
                               **{k: info.get(k) for k in lifecycle.AMOUNT_FIELDS}, setlinfo=info, setldetail=detail,
                               meta={"warnings": warn, "deposit_applied": fmt2(applied),
                                     "warn_msg": out.warn_msg or None,
                                     "review": {"err_msg": out.review_msg, "infno": "2304", "msgid": msgid}
                                     if out.review_msg else None})
                if applied > 0:
                    self._insert_row(conn, s["id"], "applied", "deposit", applied, "done", now=now, shift_id=shift_id,
                                     settlement_id=sid, reason="预交金冲抵个人自付")
                prepared = []
                for pl in plines:
                    if pl.ref.startswith("paycode:"):
                        otn = codepay.insert_prepared(conn, self.ctx, sid, paycodes[pl.ref], pl.amount, now)
                        prepared.append((otn, paycodes[pl.ref].code))
                        continue
                    _insert_payment(conn, sid, pl.method, pl.amount, tendered=pl.tendered, change=pl.change,
                                    ref=pl.ref or None, now=now, shift_id=shift_id)
                if acct > 0:
                    _insert_payment(conn, sid, "account", acct, now=now, shift_id=shift_id)
                if rest2 > 0 and not plines:
                    codepay._owe(conn, sid, rest2, "住院结算个人现金与预结算不一致，收款未记录", None)
                conn.exec_driver_sql("UPDATE visits SET state = ?, updated_at = ? WHERE id = ?",
                                     ("settled" if t.final else "uploaded", now, s["visit_id"]))
                if t.final:
                    conn.exec_driver_sql("UPDATE stays SET state = 'settled', updated_at = ? WHERE id = ?", (now, s["id"]))
                from . import audit

                audit.record_settlement(conn, self.ctx.operator.opter, msgid=msgid, setl_id=info.get("setl_id") or "",
                                        infno="2304", medfee_sumamt=info.get("medfee_sumamt"),
                                        fund_pay_sumamt=info.get("fund_pay_sumamt"), acct_pay=info.get("acct_pay"),
                                        psn_cash_pay=info.get("psn_cash_pay"), psn_no=s["psn_no"])
        except Exception as exc:  # noqa: BLE001 - settled centrally but not saved here: recovery must finish it
            if isinstance(exc, ServiceError):
                raise
            raise ServiceError("unknown", f"医保中心已结算（结算号 {info.get('setl_id')}），但本机保存结算结果失败：{exc}\n"
                                          f"请勿重复结算；恢复功能将对报文ID {msgid} 冲正(2601)，完成后重新结算。",
                               msgid=msgid, infno="2304") from None
        checkpoint(self.ctx, "2304.confirmed")
        for otn, code in prepared:
            tr = codepay.charge(self.ctx, otn, code, on_wait=self.on_pay_wait)
            if tr["state"] != "paid":
                record_warning(self.ctx, sid, f"{tr['channel_name']}付款码未扣款或结果未知（订单 {otn}）：{tr['err_msg'] or tr['state']}。"
                                              "请勿重复扫码；恢复功能会查询确认，未扣款的记为欠费。")
        refunds: list[dict] = []
        if t.final:
            surplus = balance_of(self.ctx.store, s["id"])
            if surplus > 0:
                refunds = self._refund(s, surplus, reason="出院结算退还预交金余额", authorized_by=None)
                for r in refunds:
                    if r["state"] != "done":
                        record_warning(self.ctx, sid, f"预交金退款 {r['amount']} 元（{r['method_name']}）未完成：{r['err_msg'] or r['state']}。"
                                                      "恢复功能会用同一退款单号重试，请勿另行退款。")
        issue_invoice(self.ctx, sid, window=self.window or None)
        return {"settlement": settlement_record(self.ctx, sid), "stay": self.record(s["id"]),
                "deposit_applied": fmt2(applied), "collected": fmt2(sum((p.amount for p in plines), ZERO)),
                "refunds": refunds, "warnings": warn}

    # ------------------------------------------------------------------------------ 2305
    @translate_store_errors
    def reverse(self, stay_id: int, setl_id: str, authorization: Any, *, reason: str = "") -> dict:
        """住院结算撤销 (2305, same day, supervisor authorization as checkout.reverse_settlement): the
        deposit amount applied to it goes back to the balance (restored), money collected with tenders is
        refunded as for any reversal; a reversed final settlement leaves the stay discharged, ready to be
        settled again. Returns {settlement, stay}."""
        from .checkout import reverse_settlement

        s = self._load(stay_id, ("admitted", "discharged", "settled"), "撤销结算")
        with self.ctx.store.read_connection() as conn:
            ok = conn.exec_driver_sql("SELECT 1 FROM settlements WHERE visit_id = ? AND setl_id = ?",
                                      (s["visit_id"], setl_id)).first()
        if ok is None:
            raise ServiceError("invalid_input", f"结算号 {setl_id} 不是住院号 {s['ipt_no']} 的结算。")
        rec = reverse_settlement(self.ctx, setl_id, authorization, reason=reason, his=None)
        return {"settlement": rec, "stay": self.record(s["id"])}


# ============================================================================================ recovery
def recover_stays(ctx, *, grace_s: float | None = None) -> dict:
    """Resolve what a crash or a lost answer left open, by real means (never sending twice):

    * stays ``admitting`` (2401 answer lost or never sent) older than the grace period: 2601 冲正 of
      the reg_msgid (oinfno 2401) → accepted or "nothing to reverse": the stay is cancelled (admit again);
      refused / no answer: left, listed;
    * fee lines not confirmed uploaded (2301 answer lost): 2302 per line (a refusal saying the line
      does not exist means it never arrived) → the local rows are deleted, upload the day again;
    * deposit and refund trades: codepay.resolve_unknown (query, reverse, the same out_refund_no),
      then each open ledger row follows its trade.
    Settlements (2304) are recovery.resolve_unknown's. Returns counts and the items left open."""
    from .recovery import _ts as rts  # noqa: F401
    from .recovery import grace_seconds, send_reversal

    grace = grace_seconds(ctx) if grace_s is None else float(grace_s)
    out = {"admissions_reversed": 0, "admissions_open": [], "fee_lines_cleared": 0, "fee_lines_open": 0,
           "deposits_done": 0, "deposits_failed": 0, "deposits_open": 0}
    now = _now()
    with ctx.store.read_connection() as conn:
        adm = conn.exec_driver_sql("SELECT s.id, s.psn_no, s.insuplc_admdvs, v.reg_msgid, s.updated_at, v.id FROM stays s "
                                   "JOIN visits v ON v.id = s.visit_id WHERE s.state = 'admitting'").fetchall()
    svc = StayService(ctx)
    for stay_id, psn_no, adm_dvs, msgid, updated, visit_id in adm:
        if (now - _dt(updated)).total_seconds() < grace:
            out["admissions_open"].append({"stay_id": stay_id, "why": "within_grace"})
            continue

        def record(attempt, stay_id=stay_id):
            svc._change_log(stay_id, dict(attempt, infno="2601", oinfno="2401"))

        res = send_reversal(ctx, omsgid=msgid, infno="2401", psn_no=psn_no, insuplc_admdvs=adm_dvs, record=record)
        if res.kind in ("accepted", "nothing"):
            with ctx.store.connection() as conn:
                conn.exec_driver_sql("UPDATE visits SET state = 'cancelled', updated_at = ? WHERE id = ?", (_now(), visit_id))
                conn.exec_driver_sql("UPDATE stays SET state = 'cancelled', updated_at = ? WHERE id = ?", (_now(), stay_id))
            out["admissions_reversed"] += 1
        else:
            out["admissions_open"].append({"stay_id": stay_id, "why": res.kind, "err_msg": res.err_msg})
    with ctx.store.read_connection() as conn:
        lost = conn.exec_driver_sql("SELECT f.id, f.feedetl_sn, s.id, s.psn_no, s.insuplc_admdvs, v.mdtrt_id FROM fee_lines f "
                                    "JOIN stays s ON s.visit_id = f.visit_id JOIN visits v ON v.id = s.visit_id "
                                    "WHERE f.uploaded = 0 ORDER BY f.id").fetchall()
    for fid, sn, stay_id, psn_no, adm_dvs, mdtrt_id in lost:
        msgid = ctx.new_msgid()
        entry = {"infno": "2302", "msgid": msgid, "at": _ts(_now()), "feedetl_sn": sn, "result": "sent", "recovery": True}
        svc._change_log(stay_id, entry)
        try:
            ctx.call(CancelInpatientFees(mdtrt_id=mdtrt_id, psn_no=psn_no, feedetl_sn=sn, insuplc_admdvs=adm_dvs),
                     msgid=msgid)
            gone = True
        except BusinessError as exc:
            words = getattr(getattr(ctx.central, "settings", None), "fee_cancel_void_words", None)
            gone = fee_cancel_finds_nothing(exc.err_msg, tuple(words) if words else None)
            svc._change_log(stay_id, dict(entry, result="refused", err_msg=exc.err_msg))
        except TransportError:
            gone = False
        if gone:
            with ctx.store.connection() as conn:
                conn.exec_driver_sql("DELETE FROM fee_lines WHERE id = ? AND uploaded = 0", (fid,))
            svc._change_log(stay_id, dict(entry, result="ok"))
            out["fee_lines_cleared"] += 1
        else:
            out["fee_lines_open"] += 1
    with ctx.store.read_connection() as conn:
        open_rows = [dict(r) for r in conn.exec_driver_sql(
            "SELECT * FROM stay_deposits WHERE state IN ('pending', 'unknown') ORDER BY id").mappings()]
    if open_rows:
        from . import codepay

        try:
            codepay.resolve_unknown(ctx)
        except ServiceError as exc:
            log.warning("deposit trades not resolved: %s", exc.message)
        for r in open_rows:
            tr = next((x for x in codepay.trades_of(ctx) if x["out_trade_no"] == r["out_trade_no"]), None)
            if tr is None:
                continue
            if r["kind"] == "deposit":
                state = {"paid": "done", "refunded": "done", "failed": "failed", "reversed": "failed"}.get(tr["state"])
                if state:
                    with ctx.store.connection() as conn:
                        conn.exec_driver_sql("UPDATE stay_deposits SET state = ?, err_msg = ?, updated_at = ? WHERE id = ?",
                                             (state, tr["err_msg"], _now(), r["id"]))
            elif r["kind"] == "refund":
                pending = [e for e in tr["refunds"] if e.get("state") == "sent"]
                if pending:
                    try:
                        tr = codepay.refund(ctx, r["out_trade_no"], book=False, reason="恢复：预交金退款")
                    except ServiceError:
                        pass
                svc._refund_link(r["id"], tr)
                with ctx.store.read_connection() as conn:
                    st = conn.exec_driver_sql("SELECT state FROM stay_deposits WHERE id = ?", (r["id"],)).scalar()
                if st not in ("done",) and not [e for e in tr["refunds"] if e.get("state") == "sent"]:
                    # the gateway never got this refund (nothing pending, nothing matching): it was not made
                    with ctx.store.connection() as conn:
                        conn.exec_driver_sql("UPDATE stay_deposits SET state = 'failed', err_msg = ?, updated_at = ? WHERE "
                                             "id = ? AND state != 'done'", ("退款未发出（程序中断），余额不变，请重新退款", _now(), r["id"]))
        with ctx.store.read_connection() as conn:
            for r in open_rows:
                st = conn.exec_driver_sql("SELECT state FROM stay_deposits WHERE id = ?", (r["id"],)).scalar()
                key = {"done": "deposits_done", "failed": "deposits_failed"}.get(st, "deposits_open")
                out[key] += 1
    # a final settlement whose surplus refund did not happen (the process stopped after the confirmation,
    # or a refund failed): refund what is left, by the same rule
    out["surplus_refunded"] = []
    with ctx.store.read_connection() as conn:
        settled = [r[0] for r in conn.exec_driver_sql("SELECT id FROM stays WHERE state = 'settled'")]
        todo = [(i, Decimal(_books(conn, i)["balance"])) for i in settled if not _books(conn, i)["open_items"]]
    for stay_id, bal in todo:
        if bal <= 0:
            continue
        try:
            with ctx.store.read_connection() as conn:
                s = _stay(conn, stay_id)
            rows = svc._refund(s, bal, reason="出院结算退还预交金余额（恢复）", authorized_by=None)
            out["surplus_refunded"] += [{"stay_id": stay_id, "amount": r["amount"], "method": r["method"],
                                         "state": r["state"]} for r in rows]
        except ServiceError as exc:
            log.warning("surplus refund of stay %s: %s", stay_id, exc.message)
            out["deposits_open"] += 1
    return out
