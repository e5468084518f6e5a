"""部分退费 (partial refund): the patient returns some lines (or part of a line's quantity) of a same-day
outpatient settlement — ONE supervised operation (issue 19 scope 1, the proportional rule of issue 18).

The national interface has no "refund one line": the settlement is reversed and the kept lines are
settled again on the same visit (mdtrt_id). Every step is committed locally (``partial_refunds`` row,
migration 0008a) with the msgid of its request BEFORE the request leaves the window::

    prepared        row written: old settlement, returned / kept lines, supervisor's authorization
      │ 2208 (old settlement's revoke_msgid committed first)        lost answer → 5203 (recovery)
    reversed        old settlement 'reversed' (its lines are unsettled again at the platform)
      │ 2205 chrg_bchno '0000' (delete every unsettled detail)       idempotent: resent with a fresh msgid
    fees_cancelled
      │ 2204 of the kept lines: new chrg_bchno (= the 2204 msgid), new feedetl_sn
      │      (a lost 2204 answer: 2205 '0000' again, then a new batch — never a duplicate detail)
    kept_uploaded
      │ 2206 (read-only; guard: the new share may not exceed the old one)
    presettled
      │ 2207: a NEW settlements row 'sent' (its msgid) first; lost answer → 2601 冲正 by recovery
      │       (recovery.resolve_one), then 2206 + 2207 again with fresh msgids — never settled twice
    settled         in ONE transaction: new settlement confirmed, the old tenders moved over
      │             (transfer rows), the payment-code trades re-pointed, the refund plan fixed
      │ refunds: each payment-code part codepay.refund(otn, part) (out_refund_no committed first,
      │          retried with the same number), the cash part a negative cash row on this shift
    refunded
      │ red letter of the old e-invoice, new e-invoice of the new settlement, ONE audit event
    invoiced        done
    cancelled       the 2208 was refused / not sent: nothing changed

Money (docs/payments.md "Partial refund"): refund = old psn_cash_pay − new psn_cash_pay (the personal
account difference goes back through the insurance itself: acct_pay old vs new). The refund is split
over the tenders that paid the old share (cash, each payment-code trade, any other method) in
proportion to what each paid, each part rounded to the fen ROUND_HALF_UP, the remainder fen(s) put on
the largest share, so the parts add up exactly. Books: the old settlement's tenders are booked out
(negative rows, ref ``refund:<2208 msgid>``, as a reversal) and in on the new settlement (same shift as
the original rows, so every shift still balances); the refunds are negative rows on the new
settlement — so per settlement the non-account payments add up to its psn_cash_pay (old: 0).

Resuming: :func:`resume` / :func:`resume_all` (``medsettle refund --resume``, and the start-up
recovery) finish an interrupted operation from its state, or report in Chinese what is left.
Test hook: ``MEDSETTLE_PREFUND_DIE_AT`` = comma-separated phases (``after:<state>``,
``answer:<infno>``) at which the process SIGKILLs itself (tests/faults only).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import insert, select, update

from client.api import BusinessError, TransportError
from client.api.transactions import CancelFees, CancelSettle, FeeDetail, PreSettle, Settle, UploadFees
from client.domain.money import fmt2, q2
from offline_cache import settlements as lifecycle
from offline_cache.jsonutil import jsonable

from .drills import kill_point
from .errors import ServiceError

log = logging.getLogger("client.services.partial_refund")
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
OPEN_STATES = ("prepared", "reversed", "fees_cancelled", "kept_uploaded", "presettled", "settled", "refunded")
STATE_LABELS = {"prepared": "已登记", "reversed": "原结算已撤销(2208)", "fees_cancelled": "明细已撤销(2205)",
                "kept_uploaded": "保留明细已上传(2204)", "presettled": "已预结算(2206)", "settled": "新结算完成(2207)",
                "refunded": "差额已退", "invoiced": "完成", "cancelled": "未执行"}
FULL_REVERSAL_HINT = "退回全部项目请使用全额撤销（今日结算 F7 → 撤销结算，或 medsettle checkout --reverse）。"


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _die(phase: str) -> None:
    """Fault-test hook: SIGKILL this process at ``phase`` when MEDSETTLE_PREFUND_DIE_AT names it."""
    kill_point(phase, "MEDSETTLE_PREFUND_DIE_AT")


# ------------------------------------------------------------------------------------------ money
def proportional_split(refund: Decimal, paid: list[Decimal]) -> list[Decimal]:
    """``refund`` split in proportion to ``paid`` (each part ROUND_HALF_UP to the fen); the remainder
    (positive or negative fen) goes on the largest paid share (the first of equal ones), so that the
    parts add up to ``refund`` exactly. Every part stays within 0 … its paid amount."""
    refund = q2(refund)
    total = sum(paid, ZERO)
    if refund <= 0 or total <= 0:
        return [ZERO for _ in paid]
    if refund > total:
        raise ValueError(f"refund {refund} exceeds what was paid {total}")
    parts = [(refund * p / total).quantize(CENT, rounding=ROUND_HALF_UP) for p in paid]
    rest = refund - sum(parts, ZERO)
    if rest:
        big = max(range(len(paid)), key=lambda i: (paid[i], -i))
        parts[big] += rest
    return parts


# ------------------------------------------------------------------------------------------ rows
def _table():
    from offline_cache.models import PartialRefund

    return PartialRefund.__table__


def load(ctx_or_store: Any, op_id: int) -> dict | None:
    store = getattr(ctx_or_store, "store", ctx_or_store)
    t = _table()
    with store.read_connection() as conn:
        r = conn.execute(select(t).where(t.c.id == op_id)).mappings().first()
    return dict(r) if r else None


def _set(conn: Any, op_id: int, **values: Any) -> None:
    t = _table()
    conn.execute(update(t).where(t.c.id == op_id).values(updated_at=_now(), **values))


def _update(ctx: Any, op_id: int, **values: Any) -> None:
    with ctx.store.connection() as conn:
        _set(conn, op_id, **values)


def open_for(ctx_or_store: Any, old_settlement_id: int) -> dict | None:
    store = getattr(ctx_or_store, "store", ctx_or_store)
    t = _table()
    with store.read_connection() as conn:
        r = conn.execute(select(t).where(t.c.old_settlement_id == old_settlement_id, t.c.state.in_(OPEN_STATES))
                         ).mappings().first()
    return dict(r) if r else None


def held_settlement_ids(store: Any) -> set[int]:
    """Old settlements of partial refunds not finished: their payment-code trades must NOT be refunded in
    full by the payment recovery (codepay.resolve_unknown) although the old settlement is reversed."""
    try:
        with store.read_connection() as conn:
            return {r[0] for r in conn.exec_driver_sql(
                "SELECT old_settlement_id FROM partial_refunds WHERE state IN "
                f"({', '.join(repr(s) for s in OPEN_STATES)})")}
    except Exception:  # noqa: BLE001 - a store before migration 0008a has no partial refunds
        return set()


def list_ops(ctx_or_store: Any, *, open_only: bool = False) -> list[dict]:
    store = getattr(ctx_or_store, "store", ctx_or_store)
    t = _table()
    q = select(t).order_by(t.c.id)
    if open_only:
        q = q.where(t.c.state.in_(OPEN_STATES))
    with store.read_connection() as conn:
        return [summary(dict(r), conn) for r in conn.execute(q).mappings()]


def summary(op: dict, conn: Any = None) -> dict:
    """The JSON-ready view of one operation (CLI output, window, receipt)."""
    def setl(sid):
        if sid is None or conn is None:
            return None
        return conn.exec_driver_sql("SELECT setl_id FROM settlements WHERE id = ?", (sid,)).scalar()

    return {"id": op["id"], "state": op["state"], "state_label": STATE_LABELS.get(op["state"], op["state"]),
            "old_settlement_id": op["old_settlement_id"], "old_setl_id": setl(op["old_settlement_id"]),
            "new_settlement_id": op["new_settlement_id"], "new_setl_id": setl(op["new_settlement_id"]),
            "returns": json.loads(op["returns_json"] or "[]"),
            "kept": [{k: v for k, v in x.items() if k != "row"} for x in json.loads(op["kept_json"] or "[]")],
            "old_psn_cash_pay": fmt2(op["old_psn_cash_pay"]),
            "new_psn_cash_pay": None if op["new_psn_cash_pay"] is None else fmt2(op["new_psn_cash_pay"]),
            "refund_amount": None if op["refund_amount"] is None else fmt2(op["refund_amount"]),
            "plan": json.loads(op["plan_json"] or "[]"), "error": op["error"], "reason": op["reason"],
            "step_infno": op["step_infno"], "step_msgid": op["step_msgid"]}


# ------------------------------------------------------------------------------------------ input
@dataclass
class Choice:
    """What the cashier chose to return: ``{feedetl_sn or 1-based line number: quantity or None (all)}``."""

    returns: dict

    @classmethod
    def parse(cls, specs: list[str]) -> Choice:
        out: dict = {}
        for s in specs:
            key, _, cnt = str(s).strip().partition(":")
            if not key:
                raise ServiceError("invalid_input", f"退费项目“{s}”格式错误：应为 明细流水号[:数量] 或 行号[:数量]。")
            out[key] = _qty(cnt, s) if cnt else None
        return cls(out)


def _qty(text: str, what: str) -> Decimal:
    try:
        v = Decimal(str(text).strip())
    except ArithmeticError:
        raise ServiceError("invalid_input", f"退费数量“{what}”不是有效的数字。") from None
    if not v.is_finite():
        raise ServiceError("invalid_input", f"退费数量“{what}”不是有效的数字。")
    return v


def check(ctx: Any, setl_id: str) -> None:
    """Refuse (Chinese message) a settlement that cannot be partially refunded — before any dialog."""
    sid, srec = _old(ctx, setl_id)
    _check_settlement(ctx, setl_id, srec)
    running = open_for(ctx, sid)
    if running is not None:
        raise ServiceError("refused", f"结算 {setl_id} 已有未完成的部分退费（编号 {running['id']}，"
                                      f"{STATE_LABELS.get(running['state'])}），请先继续完成：medsettle refund --resume。")


def settlement_lines(ctx: Any, setl_id: str) -> dict:
    """The settlement and its lines as the refund dialog shows them (no change): setl_id, psn_cash_pay,
    acct_pay, lines [{no, feedetl_sn, code, name, spec, cnt, pric, amount}]."""
    sid, srec = _old(ctx, setl_id)
    lines = _lines_of(srec)
    info = srec.setlinfo or {}
    return {"settlement_id": sid, "setl_id": setl_id, "state": srec.state, "setl_time": info.get("setl_time"),
            "medfee_sumamt": info.get("medfee_sumamt"), "psn_cash_pay": info.get("psn_cash_pay"),
            "acct_pay": info.get("acct_pay"), "fund_pay_sumamt": info.get("fund_pay_sumamt"),
            "psn_name": (srec.meta.get("person") or {}).get("name"),
            "lines": [dict(ln, no=i) for i, ln in enumerate(lines, 1)]}


def _old(ctx: Any, setl_id: str):
    with ctx.store.read_connection() as conn:
        srec = lifecycle.load_by_setl_id(conn, setl_id)
    if srec is None:
        raise ServiceError("invalid_input", f"本机没有结算号为 {setl_id} 的结算记录，请核对结算号（或在结算所在窗口办理）。")
    return srec.id, srec


def _lines_of(srec) -> list[dict]:
    out = []
    for ln in srec.meta.get("lines") or []:
        out.append({"feedetl_sn": ln.get("feedetl_sn") or "", "code": ln.get("code"),
                    "medins_list_codg": ln.get("medins_list_codg") or ln.get("code"), "name": ln.get("name") or "",
                    "spec": ln.get("spec") or "", "unit": ln.get("unit") or "", "cnt": ln.get("cnt"),
                    "pric": ln.get("pric"), "amount": ln.get("det_item_fee_sumamt")})
    return out


def _check_settlement(ctx: Any, setl_id: str, srec) -> None:
    if srec.state == "reversed":
        raise ServiceError("refused", f"结算 {setl_id} 已经撤销，不能再部分退费。")
    if srec.state != "confirmed":
        raise ServiceError("refused", f"结算 {setl_id} 当前状态为“{srec.state}”，不能部分退费；结果未知的结算请先查询确认。")
    if srec.infno != "2207":
        raise ServiceError("refused", f"结算 {setl_id} 是住院结算，部分退费只适用于当日门诊结算；住院退费请撤销结算后重新结算。")
    info = srec.setlinfo or {}
    if str(info.get("setl_time") or "")[:10] != date.today().isoformat():
        raise ServiceError("refused", f"只能对当日的结算部分退费（该结算时间 {info.get('setl_time')}）；"
                                      "跨日退费请按医保经办规定办理。")


def plan_returns(srec, choice: Choice) -> tuple[list[dict], list[dict]]:
    """(returned, kept) lines for ``choice``; refuses bad input with a Chinese message."""
    lines = _lines_of(srec)
    if not lines:
        raise ServiceError("refused", "该结算没有可退的费用明细记录，不能部分退费。")
    if not choice.returns:
        raise ServiceError("invalid_input", "请选择要退的项目（明细流水号或行号，可带数量）。")
    by_sn = {ln["feedetl_sn"]: ln for ln in lines}
    wanted: dict[str, Decimal | None] = {}
    for key, cnt in choice.returns.items():
        ln = by_sn.get(key)
        if ln is None and key.isdigit() and 1 <= int(key) <= len(lines):
            ln = lines[int(key) - 1]
        if ln is None:
            raise ServiceError("invalid_input", f"该结算没有明细“{key}”（可用行号 1–{len(lines)} 或明细流水号）。")
        have = Decimal(ln["cnt"])
        if cnt is None:
            cnt = have
        if cnt <= 0:
            raise ServiceError("invalid_input", f"“{ln['name']}”的退费数量必须大于 0。")
        if cnt > have:
            raise ServiceError("invalid_input", f"“{ln['name']}”的退费数量 {format(cnt.normalize(), 'f')} 超过结算数量 "
                                                f"{format(have.normalize(), 'f')}。")
        if cnt != cnt.quantize(Decimal("0.0001")):
            raise ServiceError("invalid_input", f"“{ln['name']}”的退费数量最多四位小数。")
        wanted[ln["feedetl_sn"]] = cnt
    returned, kept = [], []
    for ln in lines:
        cnt, pric = Decimal(ln["cnt"]), Decimal(ln["pric"])
        back = wanted.get(ln["feedetl_sn"], ZERO)
        if back:
            amt = q2(back * pric) if back != cnt else Decimal(ln["amount"])
            returned.append(dict(ln, cnt=format(back.normalize(), "f"), amount=fmt2(amt)))
        left = cnt - back
        if left > 0:
            amt = q2(left * pric) if back else Decimal(ln["amount"])
            if amt <= 0:
                raise ServiceError("invalid_input", f"“{ln['name']}”保留数量的金额为 0，请整行退回。")
            kept.append(dict(ln, cnt=format(left.normalize(), "f"), amount=fmt2(amt), old_feedetl_sn=ln["feedetl_sn"]))
    if not kept:
        raise ServiceError("invalid_input", "所选项目是该结算的全部项目。" + FULL_REVERSAL_HINT)
    return returned, kept


def _tender_parts(ctx: Any, sid: int) -> list[dict]:
    """The tenders that paid the old share: one part per payment-code trade, one for cash, one per other
    method — [{key, method, otn, paid}]. Refuses open trades / owed shares (resolve them first)."""
    from offline_cache.models import Payment

    from . import codepay

    trades = {t["out_trade_no"]: t for t in codepay.trades_of(ctx, sid)}
    bad = [t for t in trades.values() if t["state"] not in ("paid", "failed", "reversed")]
    if bad:
        raise ServiceError("refused", f"该结算有付款码订单 {bad[0]['out_trade_no']} 状态为“{bad[0]['state']}”（未完成或已退款），"
                                      "不能部分退费；请先完成恢复（medsettle recover）或全额撤销。")
    if any(o for o in codepay.owed_of(ctx, sid) if not o.get("resolved_at")):
        raise ServiceError("refused", "该结算还有未收的欠费，不能部分退费；请先由组长核销欠费（Ctrl+U 补收欠费）。")
    pt = Payment.__table__
    with ctx.store.read_connection() as conn:
        rows = conn.execute(select(pt.c.method, pt.c.amount, pt.c.ref, pt.c.shift_id).where(
            pt.c.settlement_id == sid).order_by(pt.c.id)).all()
    if any(a < 0 for _m, a, _r, _s in rows):
        raise ServiceError("refused", "该结算已有退款记录，不能再部分退费；请核对后按全额撤销处理。")
    parts: dict[str, dict] = {}
    for method, amount, ref, _shift in rows:
        if method == "account":
            continue
        if ref and ref in trades:
            key = ref
            part = parts.setdefault(key, {"key": key, "method": method, "otn": ref, "paid": ZERO,
                                          "channel": trades[ref]["channel"], "channel_name": trades[ref]["channel_name"]})
        else:
            key = method
            part = parts.setdefault(key, {"key": key, "method": method, "otn": None, "paid": ZERO})
        part["paid"] += amount
    return list(parts.values())


# ------------------------------------------------------------------------------------------ start
def start(ctx: Any, setl_id: str, choice: Choice, authorization: Any, *, reason: str = "", window: str = "") -> dict:
    """Validate, record the operation (``prepared``) and run it to the end (or to the step that could not
    be finished: ServiceError, the operation kept for :func:`resume`). Returns :func:`summary` + records."""
    from .checkout import check_authorization
    from .shifts import require_shift

    auth = check_authorization(ctx, authorization, "reverse", setl_id, label="部分退费")
    shift_id = require_shift(ctx.store, ctx.operator.opter, "部分退费")
    sid, srec = _old(ctx, setl_id)
    _check_settlement(ctx, setl_id, srec)
    running = open_for(ctx, sid)
    if running is not None:
        raise ServiceError("refused", f"结算 {setl_id} 已有未完成的部分退费（编号 {running['id']}，"
                                      f"{STATE_LABELS.get(running['state'])}），请先继续完成：medsettle refund --resume。")
    returned, kept = plan_returns(srec, choice)
    parts = _tender_parts(ctx, sid)
    old_cash = q2(Decimal(str((srec.setlinfo or {}).get("psn_cash_pay") or "0")))
    if sum((p["paid"] for p in parts), ZERO) != old_cash:
        raise ServiceError("refused", f"该结算已收款 {fmt2(sum((p['paid'] for p in parts), ZERO))} 元与个人现金支付 "
                                      f"{fmt2(old_cash)} 元不一致，不能部分退费；请先核对收款。")
    with ctx.store.read_connection() as conn:
        v = conn.exec_driver_sql("SELECT psn_no FROM visits WHERE id = ?", (srec.visit_id,)).one()
        certno = conn.exec_driver_sql("SELECT certno FROM persons WHERE psn_no = ?", (v[0],)).scalar()
    if not certno:
        raise ServiceError("refused", "本机没有该参保人的身份信息缓存，不能重新结算保留的项目；请先识别患者后再办理部分退费。")
    if ctx.central.settings.password.required("2207", (srec.meta.get("person") or {}).get("insuplc_admdvs") or "",
                                              ctx.admdvs):
        raise ServiceError("refused", "本地区门诊结算需要患者输入密码，命令行/窗口的部分退费暂不支持验密重新结算；"
                                      "请全额撤销后重新结算保留的项目。")
    now = _now()
    with ctx.store.connection() as conn:
        res = conn.execute(insert(_table()).values(
            old_settlement_id=sid, state="prepared", attempt=0,
            returns_json=json.dumps(returned, ensure_ascii=False), kept_json=json.dumps(kept, ensure_ascii=False),
            old_psn_cash_pay=old_cash, authorization_json=json.dumps(jsonable(auth), ensure_ascii=False),
            reason=reason or "患者退药/退项目", opter=ctx.operator.opter,
            plan_json=json.dumps([dict(p, paid=fmt2(p["paid"])) for p in parts], ensure_ascii=False),
            created_at=now, updated_at=now))
        op_id = res.inserted_primary_key[0]
    log.info("partial refund %s of settlement %s prepared (shift %s)", op_id, setl_id, shift_id)
    _die("after:prepared")
    return run(ctx, op_id, window=window)


# ------------------------------------------------------------------------------------------ steps
def _visit(ctx: Any, visit_id: int) -> dict:
    with ctx.store.read_connection() as conn:
        r = conn.exec_driver_sql("SELECT v.psn_no, v.insutype, v.insuplc_admdvs, v.mdtrt_id, v.med_type, p.certno, "
                                 "v.begntime FROM visits v LEFT JOIN persons p ON p.psn_no = v.psn_no WHERE v.id = ?",
                                 (visit_id,)).one()
    return dict(zip(("psn_no", "insutype", "insuplc_admdvs", "mdtrt_id", "med_type", "certno", "begntime"), r, strict=True))


def _settlement(ctx: Any, sid: int):
    with ctx.store.read_connection() as conn:
        return lifecycle.load(conn, sid)


def run(ctx: Any, op_id: int, *, window: str = "", grace_s: float | None = None) -> dict:
    """Advance the operation from its current state to ``invoiced`` (see the module docstring)."""
    for _ in range(40):
        op = load(ctx, op_id)
        state = op["state"]
        if state in ("invoiced", "cancelled"):
            return result(ctx, op_id)
        step = {"prepared": _step_reverse, "reversed": _step_cancel_fees, "fees_cancelled": _step_upload,
                "kept_uploaded": _step_presettle, "presettled": _step_settle, "settled": _step_refund,
                "refunded": _step_invoice}[state]
        try:
            step(ctx, op, window=window, grace_s=grace_s)
        except ServiceError as exc:
            _update(ctx, op_id, error=exc.message)
            if load(ctx, op_id)["state"] == "cancelled":      # the 2208 was refused / not sent
                raise ServiceError(exc.code, f"部分退费未执行，原结算没有改变：{exc.message}", msgid=exc.msgid,
                                   infno=exc.infno) from None
            raise ServiceError(exc.code, f"部分退费（编号 {op_id}）未完成，停在“{STATE_LABELS.get(load(ctx, op_id)['state'])}”："
                                         f"{exc.message}\n已完成的步骤不会重做；恢复后请继续：medsettle refund --resume "
                                         f"（窗口启动时也会自动继续）。", msgid=exc.msgid, infno=exc.infno) from None
        new = load(ctx, op_id)["state"]
        if new != state:
            _update(ctx, op_id, error=None)
            _die(f"after:{new}")
    raise ServiceError("internal", f"部分退费（编号 {op_id}）没有进展，请联系信息科。")


def _call(ctx: Any, req: Any, msgid: str | None = None):
    try:
        out = ctx.call(req, msgid=msgid)
    except BusinessError as exc:
        raise ServiceError("refused", f"医保中心拒绝了交易 {req.INFNO}：{exc.err_msg}", detail=exc.err_msg,
                           msgid=msgid, infno=req.INFNO) from None
    except TransportError as exc:
        code = "unknown" if exc.outcome_unknown else "offline"
        raise ServiceError(code, f"交易 {req.INFNO} {'结果未知' if exc.outcome_unknown else '未发出'}：{exc}",
                           msgid=msgid, infno=req.INFNO) from None
    _die(f"answer:{req.INFNO}")
    return out


def _grace(ctx: Any, grace_s: float | None) -> float:
    from .recovery import grace_seconds

    return grace_seconds(ctx) if grace_s is None else float(grace_s)


def _step_reverse(ctx: Any, op: dict, **kw: Any) -> None:
    """2208 of the old settlement (or, after a lost answer, 5203 through recovery.resolve_one)."""
    from .recovery import resolve_one

    sid = op["old_settlement_id"]
    srec = _settlement(ctx, sid)
    if srec.state == "confirmed" and srec.revoke_msgid:
        # a 2208 left this window (its msgid was committed) and the process stopped before the answer
        # was recorded: its outcome is unknown — decided by 5203 below, never by a second 2208
        with ctx.store.connection() as conn:
            lifecycle.move(conn, sid, "unknown", now=_now(), expect=("confirmed",))
        srec = _settlement(ctx, sid)
    if srec.state in ("unknown", "sent", "prepared") and srec.revoke_msgid:
        r = resolve_one(ctx, sid, grace_s=_grace(ctx, kw.get("grace_s")))
        srec = _settlement(ctx, sid)
        if srec.state not in ("reversed", "confirmed"):
            raise ServiceError("unknown", f"原结算撤销(2208)结果仍未确认：{r.note}")
    if srec.state == "reversed":
        with ctx.store.connection() as conn:
            lifecycle.move(conn, sid, now=_now(), meta={"partial_refund": {"id": op["id"]}})
            _set(conn, op["id"], state="reversed")
        return
    if srec.state != "confirmed":
        raise ServiceError("refused", f"原结算状态为“{srec.state}”，不能撤销。")
    v = _visit(ctx, srec.visit_id)
    msgid = ctx.new_msgid()
    auth = json.loads(op["authorization_json"] or "{}")
    rec = {"msgid": msgid, "authorization": auth, "reason": op["reason"], "opter": ctx.operator.opter,
           "at": _ts(_now()), "partial_refund": op["id"]}
    with ctx.store.connection() as conn:           # revoke_msgid + authorisation BEFORE the call
        lifecycle.move(conn, sid, now=_now(), expect=("confirmed",), revoke_msgid=msgid, meta={"reversal": rec})
        _set(conn, op["id"], step_infno="2208", step_msgid=msgid)
    req = CancelSettle(setl_id=srec.setl_id, mdtrt_id=srec.mdtrt_id, psn_no=v["psn_no"],
                       insuplc_admdvs=v["insuplc_admdvs"] or "")
    try:
        out = _call(ctx, req, msgid)
    except ServiceError as exc:
        with ctx.store.connection() as conn:
            if exc.code == "unknown":
                lifecycle.move(conn, sid, "unknown", now=_now(), expect=("confirmed",))
            else:                                   # refused / not sent: nothing changed anywhere
                lifecycle.move(conn, sid, now=_now(), revoke_msgid=None, meta={"reversal.error": exc.message})
                _set(conn, op["id"], state="cancelled", error=exc.message)
        raise
    rinfo = jsonable(dict(out.setlinfo.raw))
    with ctx.store.connection() as conn:
        lifecycle.move(conn, sid, "reversed", now=_now(), expect=("confirmed",),
                       meta={"reversal.setlinfo": rinfo, "partial_refund": {"id": op["id"]}})
        _set(conn, op["id"], state="reversed")


def _step_cancel_fees(ctx: Any, op: dict, **kw: Any) -> None:
    """2205 chrg_bchno '0000': every unsettled detail of the visit deleted (idempotent)."""
    srec = _settlement(ctx, op["old_settlement_id"])
    v = _visit(ctx, srec.visit_id)
    msgid = ctx.new_msgid()
    _update(ctx, op["id"], step_infno="2205", step_msgid=msgid)
    _call(ctx, CancelFees(mdtrt_id=srec.mdtrt_id, psn_no=v["psn_no"], chrg_bchno="0000",
                          insuplc_admdvs=v["insuplc_admdvs"] or ""), msgid)
    _update(ctx, op["id"], state="fees_cancelled")


def _step_upload(ctx: Any, op: dict, **kw: Any) -> None:
    """2204 of the kept lines with a new chrg_bchno and new feedetl_sn. After a 2204 whose answer was lost
    (step 2204 recorded), 2205 '0000' first: the platform may hold that batch."""
    from offline_cache.models import FeeLine

    from .checkout import _dtext, _fen

    srec = _settlement(ctx, op["old_settlement_id"])
    v = _visit(ctx, srec.visit_id)
    kept = json.loads(op["kept_json"])
    if op["step_infno"] == "2204":
        msgid = ctx.new_msgid()
        _update(ctx, op["id"], step_infno="2205", step_msgid=msgid)
        _call(ctx, CancelFees(mdtrt_id=srec.mdtrt_id, psn_no=v["psn_no"], chrg_bchno="0000",
                              insuplc_admdvs=v["insuplc_admdvs"] or ""), msgid)
    attempt = int(op["attempt"] or 0) + 1
    msgid = ctx.new_msgid()
    now = _now()
    ft = FeeLine.__table__
    with ctx.store.read_connection() as conn:
        old_rows = {r["feedetl_sn"]: dict(r) for r in conn.execute(
            select(ft).where(ft.c.visit_id == srec.visit_id)).mappings()}
    details = []
    with ctx.store.connection() as conn:            # lines + batch number committed BEFORE the call
        if op["chrg_bchno"]:
            conn.execute(ft.delete().where(ft.c.visit_id == srec.visit_id, ft.c.chrg_bchno == op["chrg_bchno"]))
        for i, ln in enumerate(kept, 1):
            base = old_rows.get(ln["old_feedetl_sn"]) or {}
            sn = f"{srec.visit_id}-P{op['id']}{attempt:02d}-{i:03d}"[:30]
            ln["feedetl_sn"] = sn
            occur = base.get("fee_ocur_time") or now
            vals = {"bilg_dept_codg": base.get("bilg_dept_codg") or "A03", "bilg_dept_name": base.get("bilg_dept_name") or "内科",
                    "bilg_dr_codg": base.get("bilg_dr_codg") or "D0001", "bilg_dr_name": base.get("bilg_dr_name") or "门诊医师"}
            conn.execute(insert(ft).values(visit_id=srec.visit_id, feedetl_sn=sn, med_list_codg=ln["code"],
                                           medins_list_codg=ln["medins_list_codg"], name=ln["name"], spec=ln["spec"] or None,
                                           cnt=Decimal(ln["cnt"]), pric=Decimal(ln["pric"]),
                                           det_item_fee_sumamt=Decimal(ln["amount"]), chrg_bchno=msgid,
                                           fee_ocur_time=occur, uploaded=False, **vals))
            details.append(FeeDetail(feedetl_sn=sn, mdtrt_id=srec.mdtrt_id, psn_no=v["psn_no"], fee_ocur_time=_ts(occur),
                                     med_list_codg=ln["code"], medins_list_codg=ln["medins_list_codg"],
                                     det_item_fee_sumamt=Decimal(ln["amount"]), cnt=Decimal(ln["cnt"]),
                                     pric=Decimal(ln["pric"]), chrg_bchno=msgid, rx_circ_flag="0", **vals))
        _set(conn, op["id"], step_infno="2204", step_msgid=msgid, chrg_bchno=msgid, attempt=attempt,
             kept_json=json.dumps(kept, ensure_ascii=False))
    out = _call(ctx, UploadFees(details, insuplc_admdvs=v["insuplc_admdvs"] or ""), msgid)
    by_sn = {r.feedetl_sn: jsonable(dict(r.raw)) for r in out.result}
    with ctx.store.connection() as conn:
        for ln in kept:
            split = by_sn.get(ln["feedetl_sn"]) or {}
            ln["split"] = split
            conn.exec_driver_sql(
                "UPDATE fee_lines SET uploaded = 1, pric_uplmt_amt = ?, selfpay_prop = ?, fulamt_ownpay_amt = ?, "
                "overlmt_amt = ?, preselfpay_amt = ?, inscp_scp_amt = ?, chrgitm_lv = ?, med_chrgitm_type = ?, "
                "memo = ? WHERE visit_id = ? AND feedetl_sn = ?",
                (_dtext(split.get("pric_uplmt_amt")), _dtext(split.get("selfpay_prop")),
                 _fen(split.get("fulamt_ownpay_amt")), _fen(split.get("overlmt_amt")),
                 _fen(split.get("preselfpay_amt")), _fen(split.get("inscp_scp_amt")), split.get("chrgitm_lv"),
                 split.get("med_chrgitm_type"), split.get("memo") or None, srec.visit_id, ln["feedetl_sn"]))
        conn.exec_driver_sql("UPDATE visits SET upload_msgid = ?, updated_at = ? WHERE id = ?", (msgid, _now(), srec.visit_id))
        _set(conn, op["id"], state="kept_uploaded", kept_json=json.dumps(kept, ensure_ascii=False))


def _presettle_request(ctx: Any, op: dict, srec, v: dict) -> PreSettle:
    kept = json.loads(op["kept_json"])
    total = sum((Decimal(ln["amount"]) for ln in kept), ZERO)
    return PreSettle(psn_no=v["psn_no"], mdtrt_cert_type="02", mdtrt_cert_no=v["certno"] or "",
                     med_type=v["med_type"] or "11", medfee_sumamt=total, psn_setlway="01", mdtrt_id=srec.mdtrt_id,
                     chrg_bchno=op["chrg_bchno"] or "", insutype=v["insutype"] or "",
                     acct_used_flag=str(srec.meta.get("acct_used_flag") or "0"),
                     insuplc_admdvs=v["insuplc_admdvs"] or "")


def _step_presettle(ctx: Any, op: dict, **kw: Any) -> None:
    """2206 of the kept lines; the guard: the new share may never be larger than the old one."""
    srec = _settlement(ctx, op["old_settlement_id"])
    v = _visit(ctx, srec.visit_id)
    out = _call(ctx, _presettle_request(ctx, op, srec, v))
    from .checkout import MONEY_FIELDS

    raw = jsonable(dict(out.setlinfo.raw))      # the amounts only: no identity data in this row
    info = {k: raw[k] for k in (*MONEY_FIELDS, "mdtrt_id", "med_type", "insutype") if k in raw}
    new_cash = q2(Decimal(str(info.get("psn_cash_pay") or "0")))
    if new_cash > op["old_psn_cash_pay"]:
        _update(ctx, op["id"], presettle_json=json.dumps(info, ensure_ascii=False))
        raise ServiceError("refused", f"退费后重新预结算的个人现金支付 {fmt2(new_cash)} 元大于原结算 {fmt2(op['old_psn_cash_pay'])} 元，"
                                      "不能按部分退费处理（不会向患者补收）。原结算已撤销：请由组长核对后全额退费并重新结算保留的项目。")
    _update(ctx, op["id"], state="presettled", presettle_json=json.dumps(info, ensure_ascii=False))


def _step_settle(ctx: Any, op: dict, *, window: str = "", grace_s: float | None = None) -> None:
    """2207 of the kept lines: a new settlements row first; a lost answer is resolved by recovery (2601),
    then presettled again; never a second 2207 while one may be in force."""
    from .recovery import resolve_one

    if op["new_settlement_id"] is not None:
        nrec = _settlement(ctx, op["new_settlement_id"])
        if nrec.state in ("prepared", "sent", "unknown"):
            r = resolve_one(ctx, nrec.id, grace_s=_grace(ctx, grace_s))
            nrec = _settlement(ctx, nrec.id)
            if nrec.state in ("prepared", "sent", "unknown"):
                raise ServiceError("unknown", f"新结算(2207)结果仍未确认：{r.note}。请勿重复结算，稍后继续。")
        if nrec.state == "confirmed":
            raise ServiceError("internal", "新结算已确认但部分退费未记录，请联系信息科核对。")
        # failed (refused, or reversed by 2601): presettle again, then a new 2207 with a fresh msgid
        _update(ctx, op["id"], state="kept_uploaded", new_settlement_id=None)
        return
    srec = _settlement(ctx, op["old_settlement_id"])
    v = _visit(ctx, srec.visit_id)
    pre = _presettle_request(ctx, op, srec, v)
    pinfo = json.loads(op["presettle_json"] or "{}")

    def amt(k):
        return q2(Decimal(str(pinfo.get(k) or "0")))

    req = Settle(**{k: getattr(pre, k) for k in ("psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "med_type",
                                                  "medfee_sumamt", "psn_setlway", "mdtrt_id", "chrg_bchno", "insutype",
                                                  "acct_used_flag", "insuplc_admdvs")},
                 fulamt_ownpay_amt=amt("fulamt_ownpay_amt"), overlmt_selfpay=amt("overlmt_selfpay"),
                 preselfpay_amt=amt("preselfpay_amt"), inscp_scp_amt=amt("inscp_scp_amt"))
    from .shifts import require_shift

    shift_id = require_shift(ctx.store, ctx.operator.opter, "部分退费")
    kept = json.loads(op["kept_json"])
    meta_old = srec.meta
    lines = [{"feedetl_sn": ln["feedetl_sn"], "code": ln["code"], "medins_list_codg": ln["medins_list_codg"],
              "name": ln["name"], "spec": ln["spec"], "unit": ln["unit"], "cnt": ln["cnt"], "pric": ln["pric"],
              "det_item_fee_sumamt": ln["amount"], "off_catalog": False, "uploaded": True,
              **({"split": ln["split"]} if ln.get("split") else {})} for ln in kept]
    meta = {"his_bills": [], "presettle": pinfo, "differences": [], "warnings": [],
            "acct_used_flag": pre.acct_used_flag, "person": meta_old.get("person"), "visit": meta_old.get("visit"),
            "lines": lines, "window": window or meta_old.get("window", ""),
            "cashier": {"opter": ctx.operator.opter, "opter_name": ctx.operator.opter_name},
            "partial_refund": {"id": op["id"], "old_setl_id": srec.setl_id, "old_settlement_id": srec.id}}
    msgid = ctx.new_msgid()
    now = _now()
    with ctx.store.session() as s:                  # the new settlement row with its msgid BEFORE the call
        row = lifecycle.new("sent", visit_id=srec.visit_id, msgid=msgid, infno="2207", mdtrt_id=srec.mdtrt_id,
                            medfee_sumamt=pre.medfee_sumamt, preview_json=json.dumps(jsonable(meta), ensure_ascii=False),
                            opter=ctx.operator.opter, shift_id=shift_id, created_at=now, updated_at=now)
        s.add(row)
        s.flush()
        nsid = row.id
        s.connection().execute(update(_table()).where(_table().c.id == op["id"]).values(
            new_settlement_id=nsid, step_infno="2207", step_msgid=msgid, updated_at=now))
    try:
        out = _call(ctx, req, msgid)
    except ServiceError as exc:
        with ctx.store.connection() as conn:
            if exc.code == "unknown":
                lifecycle.move(conn, nsid, "unknown", now=_now(), expect=("sent",))
            else:
                lifecycle.move(conn, nsid, "failed", now=_now(), expect=("sent",),
                               meta={"error": {"infno": "2207", "err_msg": exc.detail or exc.message}})
                _set(conn, op["id"], state="kept_uploaded", new_settlement_id=None)
        raise
    info = jsonable(dict(out.setlinfo.raw))
    detail = jsonable([dict(d.raw) for d in out.setldetail])
    _confirm_new(ctx, op, srec, nsid, info, detail)


def _confirm_new(ctx: Any, op: dict, srec, nsid: int, info: dict, detail: list) -> None:
    """ONE transaction: new settlement confirmed, old tenders booked out (if a recovery has not already)
    and in on the new settlement, payment-code trades re-pointed, the refund plan fixed."""
    from offline_cache.models import Payment, PayTrade

    pt, tt = Payment.__table__, PayTrade.__table__
    new_cash = q2(Decimal(str(info.get("psn_cash_pay") or "0")))
    new_acct = q2(Decimal(str(info.get("acct_pay") or "0")))
    refund = op["old_psn_cash_pay"] - new_cash
    parts = json.loads(op["plan_json"] or "[]")
    if refund < 0:
        refund = ZERO            # the guard of 2206 stands; a larger 2207 share is recorded, nothing refunded
    shares = proportional_split(refund, [Decimal(p["paid"]) for p in parts]) if refund > 0 else [ZERO] * len(parts)
    for p, share in zip(parts, shares, strict=True):
        p["refund"] = fmt2(share)
        p["state"] = "pending" if share > 0 else "none"
    now = _now()
    with ctx.store.connection() as conn:
        lifecycle.move(conn, nsid, "confirmed", now=now, expect=("sent",), setl_id=info.get("setl_id"),
                       mdtrt_id=info.get("mdtrt_id") or srec.mdtrt_id,
                       **{k: info.get(k) for k in lifecycle.AMOUNT_FIELDS}, setlinfo=info, setldetail=detail)
        old_rows = conn.execute(select(pt.c.method, pt.c.amount, pt.c.tendered, pt.c.change, pt.c.ref, pt.c.shift_id)
                                .where(pt.c.settlement_id == srec.id).order_by(pt.c.id)).all()
        revoke = conn.exec_driver_sql("SELECT revoke_msgid FROM settlements WHERE id = ?", (srec.id,)).scalar()
        out_ref = f"refund:{revoke}"
        if not any(r.ref == out_ref for r in old_rows):        # booked out (as a reversal), same shift
            for r in old_rows:
                if r.amount > 0:
                    conn.execute(insert(pt).values(settlement_id=srec.id, method=r.method, amount=-r.amount, ref=out_ref,
                                                   created_at=now, shift_id=r.shift_id))
        for r in old_rows:                                      # booked in on the new settlement
            if r.amount > 0 and r.method != "account" and r.ref != out_ref:
                conn.execute(insert(pt).values(settlement_id=nsid, method=r.method, amount=r.amount, ref=r.ref or
                                               f"transfer:{srec.id}", created_at=now, shift_id=r.shift_id))
        if new_acct > 0:
            shift = conn.exec_driver_sql("SELECT shift_id FROM settlements WHERE id = ?", (nsid,)).scalar()
            conn.execute(insert(pt).values(settlement_id=nsid, method="account", amount=new_acct, ref=None,
                                           created_at=now, shift_id=shift))
        conn.execute(update(tt).where(tt.c.settlement_id == srec.id, tt.c.state.in_(("paid", "refunded"))).values(
            settlement_id=nsid, updated_at=now))
        conn.exec_driver_sql("UPDATE visits SET state = 'settled', updated_at = ? WHERE id = ?", (now, srec.visit_id))
        lifecycle.move(conn, srec.id, now=now, meta={"partial_refund": {"id": op["id"], "new_setl_id": info.get("setl_id"),
                                                                         "new_settlement_id": nsid}})
        _set(conn, op["id"], state="settled", new_psn_cash_pay=new_cash, refund_amount=refund,
             plan_json=json.dumps(parts, ensure_ascii=False))


def _tag(op_id: int) -> str:
    return f"部分退费 prefund:{op_id}"


def _step_refund(ctx: Any, op: dict, **kw: Any) -> None:
    """Each part of the plan back to its channel, once: payment codes by codepay.refund (its out_refund_no
    committed first and reused on a retry), the cash (and any other tender) as a negative row on the
    current shift. A part is done when its refund is recorded (the trade's refund entry / the row)."""
    from offline_cache.models import Payment

    from . import codepay
    from .shifts import require_shift

    pt = Payment.__table__
    nsid = op["new_settlement_id"]
    parts = json.loads(op["plan_json"] or "[]")
    tag = _tag(op["id"])
    for p in parts:
        if p["state"] != "pending":
            continue
        amount = Decimal(p["refund"])
        if p.get("otn"):
            tr = codepay._trade(ctx, p["otn"])
            entries = json.loads(tr["refund_json"] or "[]")
            done = [e for e in entries if e.get("reason") == tag and e.get("state") == "ok"]
            if not done:
                codepay.gateway(ctx)
                codepay.refund(ctx, p["otn"], amount, book=True, reason=tag)
                tr = codepay._trade(ctx, p["otn"])
                done = [e for e in json.loads(tr["refund_json"] or "[]") if e.get("reason") == tag and e.get("state") == "ok"]
            p["out_refund_no"] = done[0]["out_refund_no"] if done else None
            p["refund_id"] = done[0].get("refund_id") if done else None
            p["state"] = "done"
            _update(ctx, op["id"], plan_json=json.dumps(parts, ensure_ascii=False))
            _die("refunded:code")
            continue
        shift_id = require_shift(ctx.store, ctx.operator.opter, "部分退费（退现金）")
        ref = f"prefund:{op['id']}:{p['key']}"
        with ctx.store.connection() as conn:          # the row and the plan in one transaction: once
            if conn.execute(select(pt.c.id).where(pt.c.settlement_id == nsid, pt.c.ref == ref)).first() is None:
                conn.execute(insert(pt).values(settlement_id=nsid, method=p["method"], amount=-amount, ref=ref,
                                               created_at=_now(), shift_id=shift_id))
            p["state"] = "done"
            p["shift_id"] = shift_id
            _set(conn, op["id"], plan_json=json.dumps(parts, ensure_ascii=False))
    _update(ctx, op["id"], state="refunded")


def _step_invoice(ctx: Any, op: dict, *, window: str = "", **kw: Any) -> None:
    """Red letter of the old e-invoice, a new e-invoice for the new settlement (failures are warnings,
    retried by issue_missing_invoices), then the ONE audit event and the end state."""
    from . import audit
    from .checkout import issue_invoice, red_letter

    red_letter(ctx, op["old_settlement_id"], reason="部分退费", window=window or None)
    issue_invoice(ctx, op["new_settlement_id"], window=window or None)
    old, new = _settlement(ctx, op["old_settlement_id"]), _settlement(ctx, op["new_settlement_id"])
    parts = json.loads(op["plan_json"] or "[]")
    auth = json.loads(op["authorization_json"] or "{}")
    with ctx.store.connection() as conn:
        audit.record_partial_refund(
            conn, op["opter"] or ctx.operator.opter, partial_refund_id=op["id"], old_setl_id=old.setl_id or "",
            new_setl_id=new.setl_id or "", old_msgid=old.msgid, new_msgid=new.msgid, revoke_msgid=old.revoke_msgid or "",
            old_psn_cash_pay=op["old_psn_cash_pay"], new_psn_cash_pay=op["new_psn_cash_pay"],
            old_acct_pay=(old.setlinfo or {}).get("acct_pay"), new_acct_pay=(new.setlinfo or {}).get("acct_pay"),
            refund=op["refund_amount"], parts=[{"method": p["method"], "out_trade_no": p.get("otn"),
                                               "refund": p["refund"], "refund_id": p.get("refund_id")} for p in parts],
            returned=[{"feedetl_sn": r["feedetl_sn"], "code": r["code"], "cnt": r["cnt"], "amount": r["amount"]}
                      for r in json.loads(op["returns_json"])],
            authorized_by=auth.get("authorized_by") or "", reason=op["reason"] or "")
        _set(conn, op["id"], state="invoiced", step_infno=None)


# ------------------------------------------------------------------------------------------ views
def result(ctx: Any, op_id: int) -> dict:
    """The operation with both settlement records (what the CLI prints and the receipt is made from)."""
    from .checkout import settlement_record

    op = load(ctx, op_id)
    with ctx.store.read_connection() as conn:
        out = summary(op, conn)
    out["old"] = settlement_record(ctx, op["old_settlement_id"])
    out["new"] = settlement_record(ctx, op["new_settlement_id"]) if op["new_settlement_id"] else None
    return out


def resume(ctx: Any, op_id: int | None = None, *, grace_s: float | None = None, window: str = "") -> list[dict]:
    """Finish the interrupted operation ``op_id`` (or every open one). Returns per operation
    {id, state, message, ok}; never raises for a step that still cannot finish (it is reported)."""
    if op_id is not None:
        op = load(ctx, op_id)
        if op is None:
            raise ServiceError("invalid_input", f"本机没有编号为 {op_id} 的部分退费。")
        ids = [op_id]
    else:
        ids = [o["id"] for o in list_ops(ctx, open_only=True)]
    out = []
    for i in ids:
        try:
            r = run(ctx, i, window=window, grace_s=grace_s)
            out.append({"id": i, "state": r["state"], "ok": r["state"] == "invoiced",
                        "message": f"部分退费（编号 {i}）已完成：退款 {r['refund_amount'] or '0.00'} 元。"
                        if r["state"] == "invoiced" else f"部分退费（编号 {i}）{STATE_LABELS.get(r['state'])}。"})
        except ServiceError as exc:
            out.append({"id": i, "state": load(ctx, i)["state"], "ok": False, "message": exc.message})
    return out


def resume_all(ctx: Any, *, grace_s: float | None = None) -> list[dict]:
    """Start-up recovery: every open partial refund (no-op on a store before migration 0008a)."""
    try:
        return resume(ctx, grace_s=grace_s)
    except Exception as exc:  # noqa: BLE001 - recovery goes on; the operation is reported by its row
        if ctx.store.translate(exc) is not None or "no such table" in str(exc):
            return []
        raise


def refund_lines(op: dict) -> list[str]:
    """Chinese lines naming the refund per channel (the window and the CLI say the same)."""
    out = []
    for p in op.get("plan") or []:
        if Decimal(p.get("refund") or "0") <= 0:
            continue
        if p.get("otn"):
            out.append(f"{p.get('channel_name') or p['method']} 原路退回 {p['refund']} 元（订单 {p['otn']}）")
        elif p["method"] == "cash":
            out.append(f"现金 退还 {p['refund']} 元（从钱箱付出）")
        else:
            from client.domain.codes import PAYMENT_METHOD_NAMES

            out.append(f"{PAYMENT_METHOD_NAMES.get(p['method'], p['method'])} 退还 {p['refund']} 元")
    return out


def receipt_record(ctx: Any, op_id: int) -> dict:
    """What the partial-refund receipt is made from: the operation and both settlements' document
    records (invoicing.document_record, docs/documents.md) with their invoices."""
    from .checkout import settlement_record
    from .invoicing import document_record

    op = load(ctx, op_id)
    with ctx.store.read_connection() as conn:
        out = summary(op, conn)
    auth = json.loads(op["authorization_json"] or "{}")
    out["authorized_by"] = auth.get("authorized_by") or ""
    for key, sid in (("old", op["old_settlement_id"]), ("new", op["new_settlement_id"])):
        rec = document_record(ctx.store, sid, ctx.settings)
        brief = settlement_record(ctx, sid)
        rec.update(invoice=brief.get("invoice"), red_invoice=brief.get("red_invoice"), setl_id=brief.get("setl_id"))
        if key == "new":
            rec["einvoice"] = brief.get("einvoice") or rec.get("einvoice")
        out[key] = rec
    return out


def render_receipt(ctx: Any, op_id: int, out: Any) -> bytes:
    """The 80 mm partial-refund receipt PDF (written to ``out``) — after the operation is done."""
    from client.printing.documents import render_partial_refund_receipt

    op = load(ctx, op_id)
    if op is None or op["state"] != "invoiced":
        raise ServiceError("invalid_input", "部分退费尚未完成，不能打印部分退费凭条。")
    return render_partial_refund_receipt(receipt_record(ctx, op_id), out)
