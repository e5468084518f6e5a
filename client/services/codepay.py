"""Payment codes (付款码) charged through the aggregate-payment gateway — exactly once.

The protocol mirrors the settlement's (docs/offline-and-recovery.md): durable before the network,
unknown outcomes resolved by asking, never by sending again. docs/payments.md has the full story.

Order: the patient's share is charged AFTER the settlement (2207/2304) is confirmed, with the amount
the platform settled. So a charge can never exist without its settlement; when the settlement is
later reversed (2208/2305) every paid trade is refunded to its channel automatically (recorded).

``pay_trades`` state machine (one row per code, ``out_trade_no`` unique)::

    prepared ──(committed with the settlement's confirmation, BEFORE the call)
       │ sent (committed just before micropay)
       ├─ SUCCESS / ORDERPAID ─────────────────────────────────────────→ paid ──refund──→ refunded
       ├─ USERPAYING → paying: orderquery every poll_interval up to userpaying_timeout
       │        SUCCESS → paid · PAYERROR/CLOSED → failed · timeout → reverse → reversed
       ├─ NOTENOUGH / AUTHCODEEXPIRE / AUTH_CODE_INVALID … ────────────→ failed
       └─ SYSTEMERROR / 5xx / no answer → unknown: orderquery ≤ query_attempts
                SUCCESS → paid · USERPAYING → poll as above · not paid / still unknown → reverse
                → reversed; reverse unanswered → stays unknown for :func:`resolve_unknown`

A code is never sent again under a new out_trade_no (``code_hash``), and an out_trade_no is never
re-paid: recovery only queries, reverses and refunds. A settlement whose share ends up not taken
(failed, reversed, never sent) gets a ``payments_owed`` row: a supervisor collects it another way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from client.devices.paycode import CHANNEL_NAMES, PayCode, classify_paycode, mask_code
from client.domain.money import fmt2, q2

from . import audit
from .drills import kill_point
from .errors import ServiceError
from .payments import Tender

log = logging.getLogger("client.services.codepay")
TRAINING_PAY_KEY_PREFIX = "TRAINING-ONLY-PAY-"   # the training gateway's documented key (docs/demo-data.md)
ZERO = Decimal("0.00")
OPEN_STATES = ("prepared", "sent", "paying", "unknown")

FAIL_TEXT = {
    "NOTENOUGH": "患者账户余额不足",
    "AUTHCODEEXPIRE": "付款码已过期，请患者刷新付款码",
    "AUTH_CODE_INVALID": "付款码无效或已使用，请患者刷新付款码",
    "PAYERROR": "支付失败（患者取消或银行拒绝）",
    "ORDERREVERSED": "订单已撤销",
}


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def code_hash(code: str) -> str:
    return hashlib.sha256(("medsettle-paycode:" + code).encode("ascii")).hexdigest()


def new_out_trade_no(fixmedins_code: str) -> str:
    """32 characters at most (WeChat string(32)): 'M' + 12 of the institution + yymmddHHMMSS + 7 random."""
    return ("M" + fixmedins_code[-12:] + datetime.now().strftime("%y%m%d%H%M%S") + f"{secrets.randbelow(10**7):07d}")[:32]


# ----------------------------------------------------------------------------------------- gateway
def gateway(ctx: Any):
    """This context's payment gateway (configured by ``[payment]``; cached on the context)."""
    gw = getattr(ctx, "_pay_gateway", None)
    if gw is not None:
        return gw
    ps = ctx.settings.payment
    if not ps.enabled:
        raise ServiceError("config", "本窗口未启用聚合支付（[payment] enabled），不能用付款码收款；请改用其他方式收款。")
    from client.api.paygateway import HttpPayGateway

    url = ps.url or ctx.settings.platform.url
    mch = ps.mch_id or ctx.fixmedins_code
    if ctx.settings.training.enabled and not ps.secret_ref:
        key = TRAINING_PAY_KEY_PREFIX + mch
    else:
        from client.secrets import SecretStore

        key = SecretStore(ctx.settings.data_dir).get(ps.secret_ref) if ps.secret_ref else None
        if not key:
            raise ServiceError("config", f"找不到聚合支付签名密钥“{ps.secret_ref}”，请信息科用 medsettle config set-secret 录入。")
        from client.logging_setup import register_secret

        register_secret(key)
    gw = HttpPayGateway(url, mch, key, timeout=ps.timeout, connect_timeout=ps.connect_timeout,
                        verify=ps.ca_bundle or True)
    ctx._pay_gateway = gw
    ctx.closers.append(gw.close)
    return gw


# ----------------------------------------------------------------------------------------- tenders
def prepare_tenders(ctx: Any, due: Decimal, tenders: list[Tender]) -> tuple[list[Tender], dict[str, PayCode]]:
    """Turn ``code`` tenders into channel tenders with ref ``paycode:N`` (the raw code stays in the
    returned map, never in a row). Refuses a hand-typed/invalid code and a code used before."""
    codes: dict[str, PayCode] = {}
    out: list[Tender] = []
    fixed = sum((t.amount for t in tenders if t.method not in ("cash", "code") and t.amount is not None), ZERO)
    open_code = [t for t in tenders if t.method == "code" and t.amount is None]
    if len(open_code) > 1:
        raise ServiceError("invalid_input", "多个付款码时请为每个付款码写明金额（code:付款码:金额）。")
    code_fixed = sum((t.amount for t in tenders if t.method == "code" and t.amount is not None), ZERO)
    prefixes = tuple(ctx.settings.payment.ecny_prefixes)
    seen: set[str] = set()
    for t in tenders:
        if t.method != "code":
            out.append(t)
            continue
        pc = classify_paycode(t.ref, ecny_prefixes=prefixes)
        if pc is None:
            raise ServiceError("invalid_input", f"“{mask_code(t.ref)}”不是有效的付款码（微信18位10–15开头、支付宝16–24位"
                                                "25–30开头、银联19位62开头）：请让患者打开付款码，用扫码枪扫描，不要手工输入。")
        h = code_hash(pc.code)
        if h in seen or _code_used(ctx, h):
            raise ServiceError("invalid_input", f"付款码 {mask_code(pc.code)} 已经使用过：付款码只能使用一次，"
                                                "请患者刷新付款码后重新扫描。本次没有扣款。")
        seen.add(h)
        amount = t.amount
        if amount is None:
            amount = q2(due - fixed - code_fixed)
            if amount <= 0:
                raise ServiceError("invalid_input", f"其他方式已付清应收 {fmt2(due)} 元，无需再用付款码收款。")
        key = f"paycode:{len(codes)}"
        codes[key] = pc
        out.append(Tender(pc.method, amount, key))
    return out, codes


def _code_used(ctx: Any, h: str) -> bool:
    with ctx.store.read_connection() as conn:
        return conn.execute(text("SELECT 1 FROM pay_trades WHERE code_hash = :h"), {"h": h}).first() is not None


def insert_prepared(conn: Any, ctx: Any, sid: int, pc: PayCode, amount: Decimal, now: datetime) -> str:
    """The trade row in state ``prepared`` (inside the settlement's confirming transaction)."""
    from sqlalchemy import insert

    from offline_cache.models import PayTrade

    otn = new_out_trade_no(ctx.fixmedins_code)
    conn.execute(insert(PayTrade.__table__).values(
        out_trade_no=otn, settlement_id=sid, channel=pc.channel, code_masked=mask_code(pc.code),
        code_hash=code_hash(pc.code), amount=amount, state="prepared", refunded=ZERO, created_at=now, updated_at=now))
    return otn


def insert_prepared_deposit(conn: Any, ctx: Any, deposit_id: int, pc: PayCode, amount: Decimal, now: datetime) -> str:
    """The trade row (``prepared``) of an inpatient deposit (预交金, client.services.inpatient): no
    settlement, ``deposit_id`` names the stay_deposits row — committed with it, BEFORE the call."""
    from sqlalchemy import insert

    from offline_cache.models import PayTrade

    otn = new_out_trade_no(ctx.fixmedins_code)
    conn.execute(insert(PayTrade.__table__).values(
        out_trade_no=otn, settlement_id=None, deposit_id=deposit_id, channel=pc.channel, code_masked=mask_code(pc.code),
        code_hash=code_hash(pc.code), amount=amount, state="prepared", refunded=ZERO, created_at=now, updated_at=now))
    return otn


def _deposit_done(conn: Any, trade: dict, state: str, err: str | None, now: datetime) -> None:
    """A deposit's trade reached an end state: its stay_deposits row follows in the same transaction."""
    conn.execute(text("UPDATE stay_deposits SET state = :s, err_msg = :e, updated_at = :t WHERE id = :i AND state "
                      "IN ('pending', 'unknown')"), {"s": state, "e": err, "t": now, "i": trade["deposit_id"]})


# ----------------------------------------------------------------------------------------- rows
def _insert_payment(conn: Any, sid: int, method: str, amount: Decimal, *, ref: str, now: datetime,
                    shift_id: int | None) -> None:
    """One payments row (as checkout's): the Money column type takes the Decimal."""
    from sqlalchemy import insert

    from offline_cache.models import Payment

    conn.execute(insert(Payment.__table__).values(settlement_id=sid, method=method, amount=amount, ref=ref,
                                                  created_at=now, shift_id=shift_id))


def _trade(ctx: Any, otn: str) -> dict | None:
    from offline_cache.models import PayTrade

    t = PayTrade.__table__
    with ctx.store.read_connection() as conn:
        r = conn.execute(select(t).where(t.c.out_trade_no == otn)).mappings().first()
    return dict(r) if r else None


def _move(ctx: Any, otn: str, state: str, **kw) -> None:
    from sqlalchemy import update

    from offline_cache.models import PayTrade

    t = PayTrade.__table__
    with ctx.store.connection() as conn:
        conn.execute(update(t).where(t.c.out_trade_no == otn).values(state=state, updated_at=_now(), **kw))


def _owe(conn: Any, sid: int, amount: Decimal, reason: str, otn: str | None) -> None:
    from sqlalchemy import insert

    from offline_cache.models import PaymentOwed

    conn.execute(insert(PaymentOwed.__table__).values(settlement_id=sid, amount=amount, reason=reason[:256],
                                                      out_trade_no=otn, created_at=_now()))


def owe(ctx: Any, sid: int, amount: Decimal, reason: str, otn: str | None = None) -> None:
    with ctx.store.connection() as conn:
        _owe(conn, sid, amount, reason, otn)


def _settlement_state(ctx: Any, sid: int) -> str:
    with ctx.store.read_connection() as conn:
        r = conn.execute(text("SELECT state FROM settlements WHERE id = :i"), {"i": sid}).first()
    return r[0] if r else ""


def _mark_paid(ctx: Any, trade: dict, ans) -> None:
    """paid + the payments row (method of the channel, ref = out_trade_no) in one transaction."""
    from sqlalchemy import update

    from offline_cache.models import PayTrade

    t = PayTrade.__table__
    now = _now()
    with ctx.store.connection() as conn:
        n = conn.execute(update(t).where(t.c.out_trade_no == trade["out_trade_no"], t.c.state.in_(OPEN_STATES)).values(
            state="paid", transaction_id=ans.transaction_id or trade.get("transaction_id"), err_code=None, err_msg=None,
            updated_at=now)).rowcount
        if n and trade.get("deposit_id"):          # a deposit (预交金): the ledger row, no payment
            _deposit_done(conn, trade, "done", None, now)
        elif n:
            shift = conn.execute(text("SELECT shift_id FROM settlements WHERE id = :i"),
                                 {"i": trade["settlement_id"]}).scalar()
            from client.devices.paycode import CHANNEL_METHOD

            _insert_payment(conn, trade["settlement_id"], CHANNEL_METHOD[trade["channel"]], trade["amount"],
                            ref=trade["out_trade_no"], now=now, shift_id=shift)


def _mark_not_paid(ctx: Any, trade: dict, state: str, code: str, msg: str) -> None:
    from sqlalchemy import update

    from offline_cache.models import PayTrade

    t = PayTrade.__table__
    with ctx.store.connection() as conn:
        n = conn.execute(update(t).where(t.c.out_trade_no == trade["out_trade_no"], t.c.state.in_(OPEN_STATES)).values(
            state=state, err_code=code[:32] or None, err_msg=msg[:256] or None, updated_at=_now())).rowcount
        if n and trade.get("deposit_id"):          # a deposit not taken: nothing is owed, the row failed
            _deposit_done(conn, trade, "failed", (msg or code)[:256], _now())
        elif n:
            _owe(conn, trade["settlement_id"], trade["amount"],
                 f"{CHANNEL_NAMES.get(trade['channel'], trade['channel'])}付款码未扣款：{msg or code}", trade["out_trade_no"])


# ----------------------------------------------------------------------------------------- charging
def charge_settlement(ctx: Any, sid: int, codes_raw: dict[str, str], *, on_wait=None) -> list[dict]:
    """Charge every ``prepared`` trade of settlement ``sid``; ``codes_raw``: out_trade_no → the code."""
    from offline_cache.models import PayTrade

    t = PayTrade.__table__
    with ctx.store.read_connection() as conn:
        otns = [r[0] for r in conn.execute(select(t.c.out_trade_no).where(t.c.settlement_id == sid,
                                                                          t.c.state == "prepared").order_by(t.c.id))]
    return [charge(ctx, otn, codes_raw[otn], on_wait=on_wait) for otn in otns if otn in codes_raw]


def charge(ctx: Any, otn: str, code: str, *, on_wait=None) -> dict:
    """One trade from ``prepared`` to an end state (or ``unknown`` for recovery). Returns its summary."""
    trade = _trade(ctx, otn)
    if trade is None or trade["state"] != "prepared":
        raise ServiceError("invalid_input", f"付款订单 {otn} 不是待扣款状态，不能扣款。")
    gw = gateway(ctx)
    _move(ctx, otn, "sent")                          # durable BEFORE the network
    ans = gw.pay(otn, code, trade["amount"], f"{ctx.settings.site.fixmedins_name or '医院'}-医疗费用")
    code = None  # noqa: F841 - the code is dropped after the one call
    kill_point("pay.answered", "MEDSETTLE_KILL_AT", allowed=bool(ctx.settings.training.enabled))                  # training drills: a kill with the answer in flight
    _follow(ctx, trade, ans, on_wait=on_wait)
    return trade_summary(_trade(ctx, otn))


def _follow(ctx: Any, trade: dict, ans, *, on_wait=None) -> None:
    gw = gateway(ctx)
    ps = ctx.settings.payment
    otn = trade["out_trade_no"]
    if ans.outcome == "paid":
        _mark_paid(ctx, trade, ans)
        return
    if ans.outcome == "failed":
        _mark_not_paid(ctx, trade, "failed", ans.err_code, FAIL_TEXT.get(ans.err_code) or ans.message)
        return
    if ans.outcome == "unknown":
        _move(ctx, otn, "unknown", err_code=(ans.err_code or "NOANSWER")[:32], err_msg=(ans.message or "")[:256])
        for i in range(ps.query_attempts):
            if i:
                time.sleep(ps.poll_interval)
            ans = gw.query(otn)
            if ans.outcome != "unknown":
                break
        if ans.outcome == "paid":
            _mark_paid(ctx, trade, ans)
            return
        if ans.outcome != "paying":
            _reverse(ctx, trade, "查询后未确认扣款")
            return
    # paying (USERPAYING): poll the order until the patient confirms, or time out and reverse
    _move(ctx, otn, "paying")
    deadline = time.monotonic() + ps.userpaying_timeout
    while time.monotonic() < deadline:
        step_end = time.monotonic() + ps.poll_interval
        while True:                                   # wait one poll interval, the cancel key checked often
            if on_wait is not None and on_wait(otn) is False:      # the cashier cancelled (Esc)
                _reverse(ctx, trade, "收费员取消（患者未完成支付）")
                return
            left = step_end - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(0.2, left))
        q = gw.query(otn)
        if q.outcome == "paid":
            _mark_paid(ctx, trade, q)
            return
        if q.outcome == "failed":
            _reverse(ctx, trade, FAIL_TEXT.get(q.trade_state) or "患者未完成支付")
            return
    _reverse(ctx, trade, "等待患者输入密码超时")


def _reverse(ctx: Any, trade: dict, why: str) -> bool:
    """撤销 (reverse): closes an unpaid order, returns the money of a paid one. False = no answer (stays open).
    Never sooner than ``reverse_after`` seconds after the order was placed (WeChat Pay: ≥ 15 s)."""
    age = (_now() - trade["created_at"]).total_seconds()
    wait = ctx.settings.payment.reverse_after - age
    if wait > 0:
        time.sleep(wait)
    ans = gateway(ctx).reverse(trade["out_trade_no"])
    if ans.outcome == "ok":
        _mark_not_paid(ctx, trade, "reversed", "REVERSED", why)
        return True
    if ans.outcome == "failed" and ans.err_code == "ORDERNOTEXIST":
        _mark_not_paid(ctx, trade, "failed", "ORDERNOTEXIST", why)
        return True
    log.warning("reverse of %s not confirmed (%s %s)", trade["out_trade_no"], ans.err_code, ans.message)
    _move(ctx, trade["out_trade_no"], "unknown", err_code=(ans.err_code or "NOANSWER")[:32],
          err_msg=("撤销未确认：" + (ans.message or ""))[:256])
    return False


# ----------------------------------------------------------------------------------------- refunds
def refund(ctx: Any, otn: str, amount: Decimal | None = None, *, book: bool = True, reason: str = "") -> dict:
    """Refund (part of) a paid trade to its channel. ``out_refund_no`` is recorded BEFORE the call and
    re-used on a retry (the gateway is idempotent by it). ``book``: also book a negative payment."""
    trade = _trade(ctx, otn)
    if trade is None:
        raise ServiceError("invalid_input", f"本机没有付款订单 {otn}。")
    if trade["state"] not in ("paid", "refunded"):
        raise ServiceError("invalid_input", f"付款订单 {otn} 状态为 {trade['state']}，未扣款成功，不能退款。")
    left = trade["amount"] - trade["refunded"]
    amount = q2(left if amount is None else amount)
    if amount <= 0 or amount > left:
        raise ServiceError("invalid_input", f"退款金额 {fmt2(amount)} 元无效：该笔付款可退 {fmt2(left)} 元。")
    entries = json.loads(trade["refund_json"] or "[]")
    pending = [e for e in entries if e.get("state") == "sent"]
    if pending:
        entry = pending[0]
        amount = Decimal(entry["amount"])
    else:
        entry = {"out_refund_no": f"R{otn[-24:]}{len(entries) + 1:02d}"[:32], "amount": fmt2(amount), "state": "sent",
                 "reason": reason, "book": book}
        entries.append(entry)
        _move(ctx, otn, trade["state"], refund_json=json.dumps(entries, ensure_ascii=False))   # durable first
    ans = gateway(ctx).refund(otn, entry["out_refund_no"], amount, trade["amount"])
    if ans.outcome != "ok":
        if ans.outcome == "unknown":
            raise ServiceError("unknown", f"退款 {entry['out_refund_no']} 结果未知（{ans.message or ans.err_code}）："
                                          "恢复功能会用同一退款单号重试，请勿另行退款。")
        entries = [e for e in entries if e is not entry and e.get("out_refund_no") != entry["out_refund_no"]]
        _move(ctx, otn, trade["state"], refund_json=json.dumps(entries, ensure_ascii=False))
        raise ServiceError("refused", f"聚合支付拒绝退款：{ans.message or ans.err_code}")
    _refund_done(ctx, trade, entry, str(ans.raw.get("refund_id") or ""))
    return trade_summary(_trade(ctx, otn))


def _refund_done(ctx: Any, trade: dict, entry: dict, refund_id: str) -> None:
    from sqlalchemy import update

    from client.devices.paycode import CHANNEL_METHOD
    from offline_cache.models import PayTrade

    t = PayTrade.__table__
    now = _now()
    with ctx.store.connection() as conn:
        cur = dict(conn.execute(select(t).where(t.c.out_trade_no == trade["out_trade_no"])).mappings().first())
        entries = json.loads(cur["refund_json"] or "[]")
        for e in entries:
            if e["out_refund_no"] == entry["out_refund_no"] and e["state"] == "sent":
                e.update(state="ok", refund_id=refund_id, at=now.isoformat(sep=" "))
                refunded = cur["refunded"] + Decimal(e["amount"])
                conn.execute(update(t).where(t.c.id == cur["id"]).values(
                    refunded=refunded, refund_json=json.dumps(entries, ensure_ascii=False), updated_at=now,
                    state="refunded" if refunded >= cur["amount"] else cur["state"]))
                if e.get("book", True) and cur["settlement_id"] is not None:
                    shift = conn.execute(text("SELECT shift_id FROM settlements WHERE id = :i"),
                                         {"i": cur["settlement_id"]}).scalar()
                    _insert_payment(conn, cur["settlement_id"], CHANNEL_METHOD[cur["channel"]], -Decimal(e["amount"]),
                                    ref=f"refund:{e['out_refund_no']}", now=now, shift_id=shift)
                break


def refund_settlement(ctx: Any, sid: int, *, reason: str = "结算撤销") -> list[str]:
    """After a reversal (2208/2305): every paid trade of ``sid`` back to its channel (the reversal already
    booked the negative payments). Returns Chinese notes (a failed refund stays for recovery)."""
    notes = []
    for tr in trades_of(ctx, sid):
        if tr["state"] != "paid":
            continue
        try:
            refund(ctx, tr["out_trade_no"], book=False, reason=reason)
            notes.append(f"{tr['channel_name']} {tr['amount']} 元已原路退回（订单 {tr['out_trade_no']}）。")
        except ServiceError as exc:
            notes.append(f"{tr['channel_name']} {tr['amount']} 元原路退款未完成：{exc.message}")
    return notes


# ----------------------------------------------------------------------------------------- recovery
def resolve_unknown(ctx: Any) -> dict:
    """Finish every open trade (run by ``medsettle recover`` and at window start): never pays again —
    queries, reverses, refunds. Returns counts."""
    from offline_cache.models import PayTrade

    t = PayTrade.__table__
    out = {"paid": 0, "reversed": 0, "failed": 0, "refunded": 0, "open": 0}
    with ctx.store.read_connection() as conn:
        rows = [dict(r) for r in conn.execute(select(t).order_by(t.c.id)).mappings()]
    if not any(r["state"] in OPEN_STATES or (r["state"] == "paid") or '"sent"' in (r["refund_json"] or "")
               for r in rows):
        return out
    held = _held_by_partial_refund(ctx.store)   # a partial refund in progress: its own refund plan decides
    for r in rows:
        try:
            if r["state"] == "prepared":       # never sent (crash between confirm and charge): nothing taken
                _mark_not_paid(ctx, r, "failed", "NOTSENT", "付款码未发送扣款（程序中断）")
                out["failed"] += 1
            elif r["state"] in ("sent", "paying", "unknown"):
                q = gateway(ctx).query(r["out_trade_no"])
                if q.outcome == "paid":
                    _mark_paid(ctx, r, q)
                    out["paid"] += 1
                elif q.outcome == "paying" and (_now() - r["updated_at"]).total_seconds() < ctx.settings.payment.userpaying_timeout:
                    out["open"] += 1
                elif _reverse(ctx, r, "恢复：扣款结果未确认，已撤销"):
                    out["reversed"] += 1
                else:
                    out["open"] += 1
            r = _trade(ctx, r["out_trade_no"])
            pending = [e for e in json.loads(r["refund_json"] or "[]") if e.get("state") == "sent"]
            if r["state"] in ("paid", "refunded") and (pending or (r["state"] == "paid" and r["settlement_id"] is not None
                                                                   and r["settlement_id"] not in held
                                                                   and _settlement_state(ctx, r["settlement_id"]) == "reversed")):
                refund(ctx, r["out_trade_no"], book=bool(pending and pending[0].get("book", True)),
                       reason="恢复：结算已撤销，原路退款")
                out["refunded"] += 1
        except ServiceError as exc:
            log.warning("payment recovery of %s: %s", r["out_trade_no"], exc.message)
            out["open"] += 1
    return out


def _held_by_partial_refund(store: Any) -> set[int]:
    """Old settlements of unfinished partial refunds (client.services.partial_refund.held_settlement_ids,
    the same query; not imported: that module depends on this one)."""
    try:
        with store.read_connection() as conn:
            return {r[0] for r in conn.execute(text(
                "SELECT old_settlement_id FROM partial_refunds WHERE state NOT IN ('invoiced', 'cancelled')"))}
    except Exception:  # noqa: BLE001 - a store before migration 0008a has no partial refunds
        return set()


# ----------------------------------------------------------------------------------------- views
def trade_summary(r: dict) -> dict:
    return {"out_trade_no": r["out_trade_no"], "settlement_id": r["settlement_id"],
            "deposit_id": r.get("deposit_id"), "channel": r["channel"],
            "channel_name": CHANNEL_NAMES.get(r["channel"], r["channel"]), "code": r["code_masked"],
            "amount": fmt2(r["amount"]), "state": r["state"], "transaction_id": r["transaction_id"],
            "err_code": r["err_code"], "err_msg": r["err_msg"], "refunded": fmt2(r["refunded"]),
            "refunds": json.loads(r["refund_json"] or "[]"), "created_at": str(r["created_at"])}


def trades_of(ctx_or_store: Any, sid: int | None = None) -> list[dict]:
    from offline_cache.models import PayTrade

    store = getattr(ctx_or_store, "store", ctx_or_store)
    t = PayTrade.__table__
    q = select(t).order_by(t.c.id)
    if sid is not None:
        q = q.where(t.c.settlement_id == sid)
    with store.read_connection() as conn:
        return [trade_summary(dict(r)) for r in conn.execute(q).mappings()]


def resolve_owed(ctx: Any, owed_id: int, tender: Tender, *, by: str, on_wait=None) -> dict:
    """A supervisor clears an owed share: the patient paid it another way (cash / bank card with the
    terminal's reference) — booked as a payment of the settlement — and the row is marked resolved.
    A ``code`` tender (``code:CODE``) collects it from a NEW payment code: see :func:`collect_owed`."""
    from sqlalchemy import update

    from offline_cache.models import PaymentOwed

    if tender.method == "code":
        return collect_owed(ctx, owed_id, tender.ref or "", by=by, amount=tender.amount, on_wait=on_wait)
    t = PaymentOwed.__table__
    if tender.method not in ("cash", "bank_card", "wechat", "alipay", "ecny") or tender.amount is None:
        raise ServiceError("invalid_input", "欠费只能用现金或银行卡等方式补收（例如 cash:67.75 或 bank_card:67.75:终端参考号）。")
    from .payments import require_references

    require_references([tender])
    now = _now()
    with ctx.store.connection() as conn:
        row = conn.execute(select(t).where(t.c.id == owed_id)).mappings().first()
        if row is None or row["resolved_at"] is not None:
            raise ServiceError("invalid_input", f"没有未核销的欠费记录 {owed_id}。")
        if q2(tender.amount) != row["amount"]:
            raise ServiceError("invalid_input", f"补收金额 {fmt2(tender.amount)} 元与欠费 {fmt2(row['amount'])} 元不一致。")
        shift = conn.execute(text("SELECT shift_id FROM settlements WHERE id = :i"), {"i": row["settlement_id"]}).scalar()
        _insert_payment(conn, row["settlement_id"], tender.method, row["amount"], ref=(tender.ref or f"owed:{owed_id}")[:64],
                        now=now, shift_id=shift)
        conn.execute(update(t).where(t.c.id == owed_id).values(resolved_at=now, resolved_by=by[:20]))
        audit.record(conn, ctx.operator.opter, "owed_resolve",
                     {"owed_id": owed_id, "settlement_id": row["settlement_id"], "amount": fmt2(row["amount"]),
                      "method": tender.method, "authorized_by": by}, at=now)
    return {"owed_id": owed_id, "settlement_id": row["settlement_id"], "amount": fmt2(row["amount"]),
            "method": tender.method, "resolved_by": by}


def collect_owed(ctx: Any, owed_id: int, code: str, *, by: str, amount: Decimal | None = None, on_wait=None) -> dict:
    """Collect an owed share from a new payment code, exactly once.

    One transaction moves the debt onto a new trade: the owed row is marked resolved (by the
    supervisor) and a trade of the same settlement is inserted in state ``prepared`` with its own
    out_trade_no — BEFORE the gateway is called. From there the ordinary charge path applies: paid
    books the payment; failed / reversed (``_mark_not_paid``) writes a NEW owed row naming the new
    trade, so the share is owed again exactly once; no answer leaves the trade ``unknown`` for
    :func:`resolve_unknown` (query, then reverse — never a second charge). So at every instant the
    share is either paid, or owed, or in one open trade, never two."""
    from sqlalchemy import update

    from offline_cache.models import PaymentOwed

    t = PaymentOwed.__table__
    pc = classify_paycode(code, ecny_prefixes=tuple(ctx.settings.payment.ecny_prefixes))
    if pc is None:
        raise ServiceError("invalid_input", f"“{mask_code(code)}”不是有效的付款码：请让患者打开付款码，用扫码枪扫描，"
                                            "不要手工输入。本次没有扣款。")
    h = code_hash(pc.code)
    if _code_used(ctx, h):
        raise ServiceError("invalid_input", f"付款码 {mask_code(pc.code)} 已经使用过：付款码只能使用一次，"
                                            "请患者刷新付款码后重新扫描。本次没有扣款。")
    now = _now()
    with ctx.store.connection() as conn:
        row = conn.execute(select(t).where(t.c.id == owed_id)).mappings().first()
        if row is None or row["resolved_at"] is not None:
            raise ServiceError("invalid_input", f"没有未核销的欠费记录 {owed_id}。")
        if amount is not None and q2(amount) != row["amount"]:
            raise ServiceError("invalid_input", f"补收金额 {fmt2(amount)} 元与欠费 {fmt2(row['amount'])} 元不一致。")
        state = conn.execute(text("SELECT state FROM settlements WHERE id = :i"), {"i": row["settlement_id"]}).scalar()
        if state != "confirmed":
            raise ServiceError("refused", f"结算记录 {row['settlement_id']} 状态为“{state}”，不能补收欠费。")
        conn.execute(update(t).where(t.c.id == owed_id, t.c.resolved_at.is_(None)).values(
            resolved_at=now, resolved_by=by[:20]))
        otn = insert_prepared(conn, ctx, row["settlement_id"], pc, row["amount"], now)
        audit.record(conn, ctx.operator.opter, "owed_collect",
                     {"owed_id": owed_id, "settlement_id": row["settlement_id"], "amount": fmt2(row["amount"]),
                      "out_trade_no": otn, "authorized_by": by}, at=now)
    tr = charge(ctx, otn, pc.code, on_wait=on_wait)
    again = [o for o in owed_of(ctx, row["settlement_id"]) if o["out_trade_no"] == otn]
    return {"owed_id": owed_id, "settlement_id": row["settlement_id"], "amount": fmt2(row["amount"]),
            "method": "code", "resolved_by": by, "trade": tr, "collected": tr["state"] == "paid",
            "owed_again": again[0] if again else None}


def owed_of(ctx_or_store: Any, sid: int | None = None) -> list[dict]:
    from offline_cache.models import PaymentOwed

    store = getattr(ctx_or_store, "store", ctx_or_store)
    t = PaymentOwed.__table__
    q = select(t).where(t.c.resolved_at.is_(None)).order_by(t.c.id)
    if sid is not None:
        q = q.where(t.c.settlement_id == sid)
    with store.read_connection() as conn:
        return [{"owed_id": r["id"], "settlement_id": r["settlement_id"], "amount": fmt2(r["amount"]), "reason": r["reason"],
                 "out_trade_no": r["out_trade_no"], "created_at": str(r["created_at"])}
                for r in conn.execute(q).mappings()]


def query(ctx: Any, otn: str) -> dict:
    """Ask the gateway about one trade (and settle an open one's state from the answer)."""
    r = _trade(ctx, otn)
    if r is None:
        raise ServiceError("invalid_input", f"本机没有付款订单 {otn}。")
    ans = gateway(ctx).query(otn)
    if r["state"] in ("sent", "paying", "unknown") and ans.outcome == "paid":
        _mark_paid(ctx, r, ans)
    return {"local": trade_summary(_trade(ctx, otn)), "gateway": {"outcome": ans.outcome, "trade_state": ans.trade_state,
                                                                  "err_code": ans.err_code, "message": ans.message}}


# ----------------------------------------------------------------------------------------- day end
def reconcile(ctx: Any, bill_date: str) -> dict:
    """Download the gateway statement of ``bill_date`` (YYYYMMDD) and compare it per channel with the
    books: every paid trade and every refund, counts and amounts; each difference named with its
    settlement and trade no. The statement file is kept in ``<data_dir>/statements/pay-<date>.csv``."""
    import csv
    import io

    if len(bill_date) != 8 or not bill_date.isdigit():
        raise ServiceError("invalid_input", f"对账日期“{bill_date}”格式错误，应为 YYYYMMDD，例如 20261204。")
    ans = gateway(ctx).statement(bill_date)
    if ans.outcome != "ok":
        raise ServiceError("offline" if ans.outcome == "unknown" else "refused",
                           f"下载聚合支付对账单失败：{ans.message or ans.err_code}，请稍后重试。")
    text_ = str(ans.raw.get("csv") or "")
    out_dir = ctx.data_dir / "statements"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"pay-{bill_date}.csv").write_text(text_, encoding="utf-8")
    theirs: dict[tuple[str, str], tuple[str, Decimal]] = {}
    for row in csv.DictReader(io.StringIO(text_)):
        key = (row["kind"], row["out_refund_no"] if row["kind"] == "refund" else row["out_trade_no"])
        theirs[key] = (row["channel"], Decimal(row["amount"]))
    day = f"{bill_date[:4]}-{bill_date[4:6]}-{bill_date[6:]}"
    ours: dict[tuple[str, str], tuple[str, Decimal, dict]] = {}
    for tr in trades_of(ctx):
        if tr["state"] in ("paid", "refunded") and tr["created_at"].startswith(day):
            ours[("trade", tr["out_trade_no"])] = (tr["channel"], Decimal(tr["amount"]), tr)
        for rf in tr["refunds"]:
            if rf.get("state") == "ok" and str(rf.get("at", "")).startswith(day):
                ours[("refund", rf["out_refund_no"])] = (tr["channel"], -Decimal(rf["amount"]), tr)
    channels: dict[str, dict] = {}

    def add(side: str, ch: str, amount: Decimal) -> None:
        c = channels.setdefault(ch, {"gateway": {"count": 0, "amount": ZERO}, "books": {"count": 0, "amount": ZERO}})
        c[side]["count"] += 1
        c[side]["amount"] += amount

    diffs = []
    for key, (ch, amount) in theirs.items():
        add("gateway", ch, amount)
        mine = ours.get(key)
        if mine is None:
            diffs.append({"kind": "not_in_books", "what": key[0], "no": key[1], "channel": ch, "amount": fmt2(amount),
                          "text": f"聚合支付有{'退款' if key[0] == 'refund' else '收款'} {key[1]}（{fmt2(amount)} 元），本机账上没有"})
        elif mine[1] != amount:
            diffs.append({"kind": "amount", "what": key[0], "no": key[1], "channel": ch, "amount": fmt2(amount),
                          "books": fmt2(mine[1]), "settlement_id": mine[2]["settlement_id"],
                          "text": f"结算记录 {mine[2]['settlement_id']} 订单 {key[1]} 金额不符：聚合支付 {fmt2(amount)} 元，"
                                  f"本机 {fmt2(mine[1])} 元"})
    for key, (ch, amount, tr) in ours.items():
        add("books", ch, amount)
        if key not in theirs:
            diffs.append({"kind": "not_at_gateway", "what": key[0], "no": key[1], "channel": ch, "amount": fmt2(amount),
                          "settlement_id": tr["settlement_id"],
                          "text": f"结算记录 {tr['settlement_id']} 订单 {key[1]}（{fmt2(amount)} 元）不在聚合支付对账单上"})
    for c in channels.values():
        for side in ("gateway", "books"):
            c[side]["amount"] = fmt2(c[side]["amount"])
    doc = {"bill_date": bill_date, "channels": channels, "differences": diffs, "reconciled": not diffs}
    (out_dir / f"pay-{bill_date}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return doc


def saved_statement(data_dir: Any, day: Any) -> dict | None:
    """The last reconciliation of ``day`` (a date) written by :func:`reconcile`, or None."""
    from pathlib import Path

    p = Path(data_dir) / "statements" / f"pay-{day.strftime('%Y%m%d')}.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None


def channel_totals(store: Any, day: Any) -> list[dict]:
    """Per channel for the Z report: trades charged on ``day`` (count, amount), refunded, not taken, owed."""
    from offline_cache.models import PayTrade

    t = PayTrade.__table__
    d = day.isoformat()
    out: dict[str, dict] = {}
    with store.read_connection() as conn:
        for r in conn.execute(select(t.c.channel, t.c.state, t.c.amount, t.c.refunded).where(
                text("substr(pay_trades.created_at, 1, 10) = :d").bindparams(d=d))):
            c = out.setdefault(r.channel, {"channel": r.channel, "channel_name": CHANNEL_NAMES.get(r.channel, r.channel),
                                           "paid_count": 0, "paid_amount": ZERO, "refunded": ZERO, "not_taken": 0})
            if r.state in ("paid", "refunded"):
                c["paid_count"] += 1
                c["paid_amount"] += r.amount
                c["refunded"] += r.refunded
            else:
                c["not_taken"] += 1
    for c in out.values():
        c["paid_amount"], c["refunded"] = fmt2(c["paid_amount"]), fmt2(c["refunded"])
    return [out[k] for k in sorted(out)]
