"""Shift close (交班) and day-end reconciliation (日结对账: 3201 对总账, 3202 对明细账).

Shift close rules (Odoo ``_cannot_close_session`` + counted-vs-expected cash, desktop-anchors §A5/§D):

* a shift cannot be closed while the outbox holds unsent / refused items (pending, sending,
  failed, needs_review) or a settlement's outcome is unknown (prepared / sent / unknown): the
  message says what to do (``medsettle recover``); a supervisor may force the close — who and why
  is recorded on the shift (``forced_by``) and in the audit log, and the report lists what was open;
* the cashier enters the counted amount per payment method; expected = opening float (cash) +
  payments of the shift's settlements (refunds are negative payments) + adjustments settled in the
  shift (refund out, extra charge in, cash); differences are stored with the shift.

Shift membership: a settlement belongs to a shift when its ``shift_id`` names it, or (rows written
without one) when its operator is the shift's operator and it was created after the shift opened.

Reconciliation of a day (``reconcile_day``), from the local settlements whose ``setl_time`` is that
day (online and forwarded offline settlements; reversals count as a negative record, as on the
platform; full self-pay records are not insurance settlements and are left out):

* 3201 once per (insutype, clr_type, setl_optins = clr_optins) with medfee_sumamt,
  fund_pay_sumamt, acct_pay and fixmedins_setl_cnt (settlements − reversal records);
* per setl_optins, the detail file (tab-separated, UTF-8, in a zip: setl_id, mdtrt_id, psn_no,
  medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag) is uploaded with 9101, 3202 is called
  with its file_qury_no and the result file is downloaded with 9102; every row whose stmt_rslt is
  not "0" becomes a mismatch naming the local settlement (id, msgid, setl_id) and both sides' figures.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from client.api import ApiError, BusinessError, TransportError
from client.api.transactions import FileUpload, StatementDetail, StatementTotal, parse_tsv_zip
from client.domain.codes import PAYMENT_METHOD_NAMES
from client.domain.money import fmt2, q2

from .errors import ServiceError
from .shifts import current_shift, open_shift, require_shift  # noqa: F401 - re-exported: the day end's API

log = logging.getLogger("client.services.dayend")

ZERO = Decimal("0.00")
METHOD_NAMES = PAYMENT_METHOD_NAMES


def _fen(v) -> Decimal:
    return (Decimal(v or 0) / 100).quantize(Decimal("0.01"))


def _d(v) -> Decimal:
    if v in (None, ""):
        return ZERO
    return q2(Decimal(str(v)))


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


# ------------------------------------------------------------------------------------ shifts
# opening a shift and the guard every money-moving action calls live in .shifts (no import cycle)
def _shift_row(conn, shift_id: int):
    r = conn.exec_driver_sql("SELECT id, opter, opened_at, closed_at, float_amt, counted_json, forced_by FROM shifts "
                             "WHERE id = ?", (shift_id,)).fetchone()
    if r is None:
        raise ServiceError("invalid_input", f"没有编号 {shift_id} 的班次。")
    return r


def _member_sql() -> str:
    return ("(s.shift_id = :sid OR (s.shift_id IS NULL AND s.opter = :opter AND s.created_at >= :opened "
            "AND (:closed IS NULL OR s.created_at <= :closed)))")


def blockers(store) -> dict:
    """What prevents a shift close: unresolved outbox items and settlements of unknown outcome."""
    with store.read_connection() as conn:
        ob = conn.exec_driver_sql(
            "SELECT id, kind, state, idempotency_key, last_error FROM outbox WHERE state IN "
            "('pending', 'sending', 'failed', 'needs_review') ORDER BY id").fetchall()
        unk = conn.exec_driver_sql(
            "SELECT id, msgid, state FROM settlements WHERE state IN ('prepared', 'sent', 'unknown') AND offline = 0 "
            "ORDER BY id").fetchall()
    return {"outbox": [{"outbox_id": r[0], "kind": r[1], "state": r[2], "msgid": r[3], "last_error": r[4]} for r in ob],
            "unknown_settlements": [{"settlement_id": r[0], "msgid": r[1], "state": r[2]} for r in unk]}


def shift_summary(store, shift_id: int) -> dict:
    """Expected amounts per payment method, settlement counts and adjustments of a shift."""
    from sqlalchemy import text

    with store.read_connection() as conn:
        sid, opter, opened, closed, float_fen, counted_js, forced_by = _shift_row(conn, shift_id)
        # second precision: rows written with microsecond=0 in the same second as the opening belong to it
        params = {"sid": sid, "opter": opter, "opened": str(opened)[:19], "closed": str(closed) if closed else None}
        # a payment belongs to the shift it was taken (or refunded) in; rows older than migration 0005
        # carry no shift and count with their settlement's shift
        pays = conn.execute(text(
            "SELECT p.method, sum(p.amount) FROM payments p JOIN settlements s ON s.id = p.settlement_id "
            f"WHERE p.shift_id = :sid OR (p.shift_id IS NULL AND {_member_sql()}) GROUP BY p.method"), params).fetchall()
        states = conn.execute(text(
            f"SELECT s.state, s.offline, s.infno, count(*) FROM settlements s WHERE {_member_sql()} "
            "GROUP BY s.state, s.offline, s.infno"), params).fetchall()
        # inpatient deposits (预交金, 0008b): taken and refunded move money in this shift's drawer / channels;
        # applied (paid a settlement's share from the deposit) and restored (a 2305 gave it back) do not
        deps = conn.execute(text(
            "SELECT kind, method, sum(amount), count(*) FROM stay_deposits WHERE shift_id = :sid AND state = 'done' "
            "GROUP BY kind, method"), params).fetchall() if _has_table(conn, "stay_deposits") else []
        adj = conn.execute(text(
            "SELECT a.direction, sum(a.amount), count(*) FROM adjustments a WHERE a.state = 'done' AND a.amount > 0 "
            "AND a.done_at >= :opened AND (:closed IS NULL OR a.done_at <= :closed) AND a.opter = :opter "
            "GROUP BY a.direction"), params).fetchall()
        # 部分退费: what was handed back in this shift (cash from the drawer, other tenders) and the
        # payment-code parts refunded to their channel (client.services.partial_refund), its own line
        prefund = conn.execute(text(
            "SELECT p.method, sum(p.amount), count(*) FROM payments p WHERE p.shift_id = :sid AND "
            "(p.ref LIKE 'prefund:%' OR (p.ref LIKE 'refund:R%' AND EXISTS (SELECT 1 FROM partial_refunds r "
            "WHERE r.new_settlement_id = p.settlement_id))) GROUP BY p.method"), params).fetchall() \
            if _has_table(conn, "partial_refunds") else []
    expected: dict[str, Decimal] = defaultdict(lambda: ZERO)
    expected["cash"] = _fen(float_fen)
    for method, amt in pays:
        expected[method] += _fen(amt)
    deposits = {k: {"amount": ZERO, "count": 0} for k in ("deposit", "refund", "applied", "restored")}
    by_method: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"deposit": ZERO, "refund": ZERO})
    for kind, method, amt, n in deps:
        deposits[kind]["amount"] += _fen(amt)
        deposits[kind]["count"] += n
        if kind in ("deposit", "refund"):
            expected[method] += _fen(amt) if kind == "deposit" else -_fen(amt)
            by_method[method][kind] += _fen(amt)
    adjustments = {"refund": ZERO, "charge": ZERO}
    for direction, amt, _n in adj:
        adjustments[direction] = _fen(amt)
    expected["cash"] += adjustments["charge"] - adjustments["refund"]
    counts: dict[str, int] = defaultdict(int)
    for state, offline, infno, n in states:
        key = "self_pay" if infno == "0000" else (f"offline_{state}" if offline else state)
        counts[key] += n
    return {"shift_id": sid, "opter": opter, "opened_at": str(opened), "closed_at": str(closed) if closed else None,
            "float": fmt2(_fen(float_fen)), "expected": {k: fmt2(v) for k, v in sorted(expected.items())},
            "settlements": dict(counts), "adjustments_settled": {k: fmt2(v) for k, v in adjustments.items()},
            "deposits": {"taken": fmt2(deposits["deposit"]["amount"]), "taken_count": deposits["deposit"]["count"],
                         "refunded": fmt2(deposits["refund"]["amount"]), "refunded_count": deposits["refund"]["count"],
                         "applied": fmt2(deposits["applied"]["amount"] - deposits["restored"]["amount"]),
                         "applied_count": deposits["applied"]["count"],
                         "by_method": {m: {k: fmt2(v) for k, v in d.items()} for m, d in sorted(by_method.items())}},
            "forced_by": forced_by, "closing": json.loads(counted_js) if counted_js else None,
            "partial_refunds": {m: fmt2(-_fen(a)) for m, a, _n in prefund}}


def _has_table(conn, name: str) -> bool:
    from sqlalchemy import text

    return conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": name}).first() \
        is not None


def close_shift(store, shift_id: int, counted: dict[str, Decimal], *, force_by: str | None = None,
                reason: str = "", confirm_difference: bool = False, difference_reason: str = "",
                now: datetime | None = None) -> dict:
    """Close a shift with the counted amounts per method. Raises ServiceError('blocked') while
    anything is unresolved unless a supervisor forces it (``force_by`` is recorded).

    An over/short (长短款: counted ≠ expected for any method) is refused unless the cashier confirms
    it (``confirm_difference``) and gives its reason (``difference_reason``); both are stored with
    the shift, printed on the Z report and written to the audit log."""
    from offline_cache import audit
    from offline_cache.models import Shift

    bad = [m for m in counted if m not in METHOD_NAMES]
    if bad:
        raise ServiceError("invalid_input", f"不支持的收款方式：{'、'.join(bad)}。")
    b = blockers(store)
    n_open = len(b["outbox"]) + len(b["unknown_settlements"])
    if n_open and not force_by:
        raise ServiceError("blocked", f"还有 {len(b['outbox'])} 笔待上传/待处理的离线业务和 {len(b['unknown_settlements'])} 笔"
                                      "结果未知的结算，不能交班。请先恢复网络并执行“恢复/补传”（medsettle recover），"
                                      "处理完毕后再交班；确需交班请由收费组长授权强制交班。",
                           detail=json.dumps(b, ensure_ascii=False))
    if force_by and n_open and not reason.strip():
        raise ServiceError("invalid_input", "强制交班须填写原因。")
    summary = shift_summary(store, shift_id)
    if summary["closed_at"]:
        raise ServiceError("invalid_input", f"班次 {shift_id} 已于 {summary['closed_at']} 交班。")
    expected = {k: _d(v) for k, v in summary["expected"].items()}
    cnt = {k: q2(Decimal(v)) for k, v in counted.items()}
    methods = sorted(set(expected) | set(cnt) - {"account"})
    rows = []
    for m in methods:
        if m == "account":
            continue
        e, c = expected.get(m, ZERO), cnt.get(m, ZERO)
        rows.append({"method": m, "method_name": METHOD_NAMES[m], "expected": fmt2(e), "counted": fmt2(c),
                     "difference": fmt2(c - e)})
    diffs = [r for r in rows if Decimal(r["difference"]) != 0]
    if diffs and not confirm_difference:
        raise ServiceError("invalid_input", "交班长短款未确认：" + "；".join(
            f"{r['method_name']}应有 {r['expected']} 元，清点 {r['counted']} 元，差额 {r['difference']} 元" for r in diffs)
            + "。请再次清点；确认无误后勾选“确认长短款”并填写原因。")
    if diffs and not difference_reason.strip():
        raise ServiceError("invalid_input", "有长短款时必须填写原因（例如：找零差错、假币、备用金记录有误），原因记入交班记录和日结报表。")
    t = now or datetime.now()
    closing = {"methods": rows, "forced": bool(force_by and n_open), "open_items": b if n_open else None,
               "reason": reason, "difference_confirmed": bool(diffs), "difference_reason":
               difference_reason.strip() if diffs else ""}
    with store.session() as s:
        sh = s.get(Shift, shift_id)
        sh.closed_at = t
        sh.counted_json = json.dumps(closing, ensure_ascii=False)
        if force_by and n_open:
            sh.forced_by = force_by
        audit.append(s, actor=force_by or sh.opter, action="shift.close.forced" if (force_by and n_open) else "shift.close",
                     detail={"shift_id": shift_id, "methods": rows, "open_items": n_open, "reason": reason,
                             "difference_confirmed": closing["difference_confirmed"],
                             "difference_reason": closing["difference_reason"]})
    out = shift_summary(store, shift_id)
    out["closing"] = closing
    return out


# ------------------------------------------------------------------------------------ books
def local_books(store, day: date) -> list[dict]:
    """The day's settlement records as the platform books them: one row per settlement and one
    (negative, refd_setl_flag "1") per reversal record. Self-pay and unconfirmed rows excluded."""
    with store.read_connection() as conn:
        rows = conn.exec_driver_sql(
            "SELECT s.id, s.msgid, s.state, s.setlinfo_json, s.preview_json, v.psn_no FROM settlements s "
            "JOIN visits v ON v.id = s.visit_id WHERE s.state IN ('confirmed', 'reversed') "
            "AND s.infno IN ('2207', '2304') AND s.setlinfo_json IS NOT NULL ORDER BY s.id").fetchall()
    out = []
    for sid, msgid, state, info_js, prev_js, psn_no in rows:
        out += book_entries({"settlement_id": sid}, msgid, state, info_js, prev_js, psn_no, day)
    return out


def book_entries(extra: dict, msgid: str, state: str, info_js: str, prev_js: str | None, psn_no: str | None,
                 day: date) -> list[dict]:
    """One settlement's records on ``day``: itself (if settled that day) and its reversal record (if
    reversed that day). ``extra`` keys (settlement id, window, operator) are carried on each row."""
    d = day.isoformat()
    info = json.loads(info_js)
    base = {**extra, "msgid": msgid, "psn_no": info.get("psn_no") or psn_no,
            "mdtrt_id": info.get("mdtrt_id"), "insutype": info.get("insutype"), "clr_type": info.get("clr_type"),
            "setl_optins": info.get("clr_optins"), "insuplc_admdvs": info.get("insuplc_admdvs")}
    out = []
    if str(info.get("setl_time") or "")[:10] == d:
        out.append(dict(base, setl_id=info.get("setl_id"), refd_setl_flag="0",
                        medfee_sumamt=_d(info.get("medfee_sumamt")), fund_pay_sumamt=_d(info.get("fund_pay_sumamt")),
                        acct_pay=_d(info.get("acct_pay")), psn_cash_pay=_d(info.get("psn_cash_pay"))))
    if state == "reversed":
        rev = (json.loads(prev_js or "{}").get("reversal") or {}).get("setlinfo") or {}
        # a reversal completed by recovery (5203 refd_setl_flag "1") has no setl_id yet: it is booked
        # with "" and the 3202 answer names it (``_one_sided``)
        if rev and str(rev.get("setl_time") or info.get("setl_time") or "")[:10] == d:
            out.append(dict(base, setl_id=rev.get("setl_id") or "", refd_setl_flag="1",
                            revoke_msgid=rev.get("revoke_msgid") or "",
                            medfee_sumamt=_d(rev.get("medfee_sumamt")),
                            fund_pay_sumamt=_d(rev.get("fund_pay_sumamt")), acct_pay=_d(rev.get("acct_pay")),
                            psn_cash_pay=_d(rev.get("psn_cash_pay"))))
    return out


def _zip_text(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, text.encode("utf-8"))
    return buf.getvalue()


def detail_file(rows: list[dict]) -> str:
    """The 3202 upload file: tab-separated, one row per settlement record, no header."""
    return "".join("\t".join([r["setl_id"] or "", r["mdtrt_id"] or "", r["psn_no"] or "", fmt2(r["medfee_sumamt"]),
                              fmt2(r["fund_pay_sumamt"]), fmt2(r["acct_pay"]), r["refd_setl_flag"]]) + "\n"
                   for r in rows)


def reconcile_day(ctx, day: date | None = None) -> dict:
    """3201 per group and 3202 per setl_optins for ``day`` over THIS window's books; returns the
    reconciliation section of the day-end report (``clean`` True when every total and every detail
    row matches). With several windows under one fixmedins_code the platform's totals are the
    institution's: use the hospital store's reconciliation (``client.services.hospital_dayend``)."""
    day = day or date.today()
    d = day.isoformat()
    result = reconcile_books(ctx, local_books(ctx.store, day), day)
    # Kept with the day (the latest run wins) so that the Z report printed later shows it.
    from offline_cache.sync import set_sync_state

    with ctx.store.connection() as conn:
        set_sync_state(conn, RECONCILE_STATE + d, detail=result)
    return result


def reconcile_books(ctx, books: list[dict], day: date, *, name_keys: tuple[str, ...] = ("settlement_id",),
                    repair: bool = True) -> dict:
    """3201 per (insutype, clr_type, setl_optins) and 3202 per setl_optins over ``books`` (rows as
    ``local_books`` makes them; rows may carry more keys, e.g. window_id and opter, which the
    mismatches then name: ``name_keys``)."""
    d = day.isoformat()
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in books:
        groups[(r["insutype"], r["clr_type"], r["setl_optins"])].append(r)
    totals = []
    try:
        for (insutype, clr_type, optins), rows in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
            med = sum((r["medfee_sumamt"] for r in rows), ZERO)
            fund = sum((r["fund_pay_sumamt"] for r in rows), ZERO)
            acct = sum((r["acct_pay"] for r in rows), ZERO)
            cnt = sum(1 if r["refd_setl_flag"] == "0" else -1 for r in rows)
            res = ctx.call(StatementTotal(insutype=insutype, clr_type=clr_type, setl_optins=optins, stmt_begndate=d,
                                          stmt_enddate=d, medfee_sumamt=med, fund_pay_sumamt=fund, acct_pay=acct,
                                          fixmedins_setl_cnt=cnt))
            totals.append({"insutype": insutype, "clr_type": clr_type, "setl_optins": optins,
                           "medfee_sumamt": fmt2(med), "fund_pay_sumamt": fmt2(fund), "acct_pay": fmt2(acct),
                           "fixmedins_setl_cnt": cnt, "stmt_rslt": res.stmt_rslt, "stmt_rslt_dscr": res.stmt_rslt_dscr,
                           "balanced": res.stmt_rslt == "0"})
        details = []
        repaired: list[dict] = []
        by_optins: dict[str, list[dict]] = defaultdict(list)
        for r in books:
            by_optins[r["setl_optins"]].append(r)
        by_setl = {r["setl_id"]: r for r in books}
        by_msgid = {r["msgid"]: r for r in books}
        for optins, rows in sorted(by_optins.items()):
            name = f"{ctx.fixmedins_code}_{optins}_{d.replace('-', '')}.txt"
            up = ctx.call(FileUpload(content=_zip_text(name, detail_file(rows)), filename=name.replace(".txt", ".zip"),
                                     fixmedins_code=ctx.fixmedins_code))
            med = sum((r["medfee_sumamt"] for r in rows), ZERO)
            fund = sum((r["fund_pay_sumamt"] for r in rows), ZERO)
            cash = sum((r["psn_cash_pay"] for r in rows), ZERO)
            cnt = sum(1 if r["refd_setl_flag"] == "0" else -1 for r in rows)
            fi = ctx.call(StatementDetail(setl_optins=optins, file_qury_no=up.file_qury_no, stmt_begndate=d,
                                          stmt_enddate=d, medfee_sumamt=med, fund_pay_sumamt=fund, cash_payamt=cash,
                                          fixmedins_setl_cnt=cnt))
            data = ctx.central.download_file(fi.file_qury_no, fi.filename, operator=ctx.operator)
            result_rows = parse_tsv_zip(data)
            mismatches = []
            rows10 = [(cols + [""] * (10 - len(cols)))[:10] for cols in result_rows]
            if repair:      # this window's own books: one-sided entries repaired by recovery's rules
                rows10 = _one_sided(ctx, rows10, repaired)
            for cols in rows10:
                psn_no, mdtrt_id, setl_id, msgid, rslt, flag, memo, c_med, c_fund, c_acct = cols
                if rslt == "0":
                    continue
                local = by_setl.get(setl_id) or by_msgid.get(msgid)
                m = {"setl_id": setl_id, "msgid": msgid or (local or {}).get("msgid"), "mdtrt_id": mdtrt_id,
                     "psn_no": psn_no, "refd_setl_flag": flag, "memo": memo,
                     "central": {"medfee_sumamt": c_med, "fund_pay_sumamt": c_fund, "acct_pay": c_acct},
                     "local": None if local is None else {k: fmt2(local[k]) for k in
                                                          ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")}}
                for k in name_keys:
                    m[k] = (local or {}).get(k)
                mismatches.append(m)
            details.append({"setl_optins": optins, "file_qury_no": up.file_qury_no, "rows": len(rows),
                            "result_rows": len(result_rows), "mismatches": mismatches, "balanced": not mismatches})
    except BusinessError as exc:
        raise ServiceError("refused", f"医保中心拒绝对账交易 {exc.infno}：{exc.err_msg}", detail=exc.err_msg,
                           infno=exc.infno) from None
    except TransportError as exc:
        raise ServiceError("offline", f"对账时无法连接医保中心（{exc.cause}），请网络恢复后重新对账。", infno=exc.infno) from None
    except ApiError as exc:
        raise ServiceError("refused", str(exc)) from None
    clean = all(t["balanced"] for t in totals) and all(x["balanced"] for x in details)
    return {"date": d, "records": len(books), "totals": totals, "details": details, "clean": clean,
            "repaired": repaired,
            "mismatched_settlements": sorted({m["settlement_id"] for x in details for m in x["mismatches"]
                                              if m.get("settlement_id") is not None})}


RECONCILE_STATE = "dayend.reconcile:"


def _one_sided(ctx, rows: list[list[str]], repaired: list[dict]) -> list[list[str]]:
    """One-sided entries of a 3202 answer, repaired by the rules of client.services.recovery.

    * a platform record we do not book whose msgid (medins_setl_id) is a local settlement that
      recovery found void, or one of its 2601 msgids (the settlement and its 冲正 reversal record,
      netting to zero): explained — listed in ``repaired``, not a mismatch;
    * a platform reversal record whose msgid is the revoke_msgid of a reversal recovery completed
      from 5203 (its setl_id was unknown and booked as ""): the setl_id is written into the local
      reversal record, the pair is not a mismatch when the amounts agree;
    * a platform record whose msgid is a local settlement still unresolved (prepared / sent /
      unknown): resolved now by the same path (2601 after its grace period, recovery.resolve_one);
      it stays a mismatch of this run — reconcile again afterwards.
    Rows are returned with the explained ones marked stmt_rslt "0"."""
    from offline_cache.models import Settlement

    from . import recovery

    void: dict[str, int] = {}
    unnamed: dict[str, int] = {}
    open_: dict[str, int] = {}
    with ctx.store.read_connection() as conn:
        for sid, msgid, state, revoke, meta_js in conn.exec_driver_sql(
                "SELECT id, msgid, state, revoke_msgid, preview_json FROM settlements "
                "WHERE state IN ('failed', 'reversed', 'prepared', 'sent', 'unknown')"):
            meta = json.loads(meta_js or "{}")
            if state == "failed":
                void[msgid] = sid
                for a in ((meta.get("recovery") or {}).get("attempts") or []) + (
                        (meta.get("forward") or {}).get("spent") or []):
                    void[a.get("msgid") or ""] = sid
            elif state == "reversed":
                rev = (meta.get("reversal") or {}).get("setlinfo") or {}
                if not rev.get("setl_id") and revoke:
                    unnamed[revoke] = sid
            else:
                open_[msgid] = sid
    out = []
    blank_local = [r for r in rows if r[4] != "0" and not r[2] and not r[3]]     # our unnamed reversal rows
    for cols in rows:
        psn_no, mdtrt_id, setl_id, msgid, rslt, flag, memo, c_med, c_fund, c_acct = cols
        if rslt == "0" or not msgid:
            out.append(cols)
            continue
        if msgid in void:
            repaired.append({"setl_id": setl_id, "msgid": msgid, "settlement_id": void[msgid], "refd_setl_flag": flag,
                             "action": "冲正已抵消（医保结算与其冲正记录相抵，本机为未结算）"})
            out.append(cols[:4] + ["0"] + cols[5:])
            continue
        if msgid in unnamed and blank_local:
            mine = blank_local.pop(0)
            same = [_d(x) for x in mine[7:10]] == [_d(x) for x in (c_med, c_fund, c_acct)]
            if same:
                sid = unnamed.pop(msgid)
                with ctx.store.session() as s:
                    row = s.get(Settlement, sid)
                    meta = json.loads(row.preview_json or "{}")
                    meta.setdefault("reversal", {}).setdefault("setlinfo", {})["setl_id"] = setl_id
                    row.preview_json = json.dumps(meta, ensure_ascii=False)
                repaired.append({"setl_id": setl_id, "msgid": msgid, "settlement_id": sid, "refd_setl_flag": flag,
                                 "action": "补记撤销结算号（撤销应答丢失，由5203确认已退费）"})
                out.append(cols[:4] + ["0"] + cols[5:])
                mine[4] = "0"
                continue
            blank_local.insert(0, mine)
        if msgid in open_:
            res = recovery.resolve_one(ctx, open_[msgid], grace_s=recovery.grace_seconds(ctx))
            repaired.append({"setl_id": setl_id, "msgid": msgid, "settlement_id": open_[msgid],
                             "refd_setl_flag": flag, "action": f"按恢复规则处理：{res.note}", "after": res.after})
        out.append(cols)
    return out


def _backsettle_summary(store, day: date) -> dict:
    """Offline full self-pay visits of the day and their 补结算 (counts, refunds owed / paid)."""
    from .backsettle import listing, summary

    out = summary(store, day)
    out["open"] = [r for r in listing(store, states=("queued", "identified", "registered", "uploaded", "settling",
                                                      "refund_owed", "refused"))
                   if r["selfpay_at"][:10] == day.isoformat()]
    return out


def reconciliation_for(store, day: date) -> list[dict]:
    """The day's last 3201/3202 results as report rows (infno, setl_optins, stmt_rslt,
    stmt_rslt_dscr); empty if the day has not been reconciled."""
    from offline_cache.sync import get_sync_state

    info = get_sync_state(store, RECONCILE_STATE + day.isoformat())
    res = (info.detail if info else None) or {}
    rows = [{"infno": "3201", "setl_optins": t["setl_optins"], "stmt_rslt": t["stmt_rslt"],
             "stmt_rslt_dscr": t.get("stmt_rslt_dscr") or ("平" if t["balanced"] else "不平")}
            for t in res.get("totals", [])]
    for x in res.get("details", []):
        ids = "、".join(str(m.get("setl_id") or m.get("msgid")) for m in x["mismatches"])
        rows.append({"infno": "3202", "setl_optins": x["setl_optins"], "stmt_rslt": "0" if x["balanced"] else "1",
                     "stmt_rslt_dscr": (f"明细 {x['rows']} 笔全部相符" if x["balanced"]
                                        else f"不符 {len(x['mismatches'])} 笔：{ids}")})
    return rows


# ------------------------------------------------------------------------------------ report
def day_report(store, day: date | None = None, *, reconciliation: dict | None = None,
               shift_ids: list[int] | None = None) -> dict:
    """Day-end report data (dict) for the reports/receipts module to print."""
    from .forward import pending_adjustments

    day = day or date.today()
    d = day.isoformat()
    with store.read_connection() as conn:
        st = conn.exec_driver_sql(
            "SELECT state, offline, infno, count(*), sum(medfee_sumamt), sum(fund_pay_sumamt), sum(acct_pay), "
            "sum(psn_cash_pay) FROM settlements WHERE substr(created_at, 1, 10) = ? GROUP BY state, offline, infno",
            (d,)).fetchall()
        pays = conn.exec_driver_sql(
            "SELECT method, sum(amount), count(*) FROM payments WHERE substr(created_at, 1, 10) = ? GROUP BY method",
            (d,)).fetchall()
        failed = conn.exec_driver_sql(
            "SELECT id, msgid, state, offline FROM settlements WHERE substr(created_at, 1, 10) = ? AND state IN "
            "('failed', 'unknown', 'sent', 'prepared', 'provisional') ORDER BY id", (d,)).fetchall()
        adj = conn.exec_driver_sql(
            "SELECT a.id, a.settlement_id, s.msgid, a.direction, a.amount, a.state, a.reason FROM adjustments a "
            "JOIN settlements s ON s.id = a.settlement_id WHERE substr(a.created_at, 1, 10) = ? ORDER BY a.id",
            (d,)).fetchall()
        shifts = [r[0] for r in conn.exec_driver_sql(
            "SELECT id FROM shifts WHERE substr(opened_at, 1, 10) = ? ORDER BY id", (d,))] if shift_ids is None else shift_ids
    by_state = []
    for state, offline, infno, n, med, fund, acct, cash in st:
        by_state.append({"state": state, "offline": bool(offline), "self_pay": infno == "0000", "infno": infno,
                         "count": n, "medfee_sumamt": fmt2(_fen(med)), "fund_pay_sumamt": fmt2(_fen(fund)),
                         "acct_pay": fmt2(_fen(acct)), "psn_cash_pay": fmt2(_fen(cash))})
    return {
        "format": "medsettle-dayend/1",
        "date": d,
        "generated_at": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "settlements": by_state,
        "payments": [{"method": m, "method_name": METHOD_NAMES.get(m, m), "amount": fmt2(_fen(a)), "count": n}
                     for m, a, n in pays],
        "not_settled": [{"settlement_id": r[0], "msgid": r[1], "state": r[2], "offline": bool(r[3])} for r in failed],
        "adjustments": [{"adjustment_id": r[0], "settlement_id": r[1], "msgid": r[2], "direction": r[3],
                         "amount": fmt2(_fen(r[4])), "state": r[5], "reason": r[6]} for r in adj],
        "adjustments_pending": pending_adjustments(store),
        "backsettle": _backsettle_summary(store, day),
        "open_items": blockers(store),
        "shifts": [shift_summary(store, s) for s in shifts],
        "reconciliation": reconciliation,
    }
