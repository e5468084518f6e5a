"""Institution-level day end over the hospital store: every window's books against 3201/3202.

The platform's 3201 totals and 3202 detail are the institution's (one ``fixmedins_code``, all its
windows), so the day end is run once for the hospital, by finance, over the replicated books:

* books: every settlement version current in ``medsettle.settlements_current`` (confirmed or
  reversed 2207/2304), read with the same record rules as a window's own day end
  (``dayend.book_entries``: a settlement on its day, its reversal record on the reversal's day);
* 3201 per (insutype, clr_type, setl_optins) and 3202 per setl_optins (``dayend.reconcile_books``);
  a mismatch names the window, the operator, the window's local settlement id and msgid;
* one-sided entries are listed for repair: ``platform_only`` (the platform has a settlement record no
  window has replicated — a lost answer at some window, see ``medsettle recover`` there, or a
  window not yet caught up) and ``books_only`` (a window has it, the platform does not);
* open items that make a clean result doubtful: windows whose backlog is not empty, settlements
  whose outcome is unknown, owed invoices;
* place split: 本地 (insured here), 省内异地 (same province), 跨省异地 — counts and amounts.

The result is stored in ``medsettle.reconciliations`` (the finance role's only write).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from client.domain.money import fmt2
from hospital_store import SCHEMA
from hospital_store.db import HospitalError, explain

from . import dayend
from .errors import ServiceError

ZERO = Decimal("0.00")


def _place(insuplc: str | None, admdvs: str) -> str:
    if not insuplc or insuplc == admdvs:
        return "本地"
    if insuplc[:2] == admdvs[:2]:
        return "省内异地"
    return "跨省异地"


def hospital_books(engine, day: date) -> list[dict]:
    try:
        with engine.connect() as c:
            rows = c.execute(text(f"""
                SELECT window_id, local_id, msgid, state, opter, psn_no, data->>'setlinfo_json', data->>'preview_json'
                  FROM {SCHEMA}.settlements_current
                 WHERE state IN ('confirmed', 'reversed') AND infno IN ('2207', '2304')
                   AND data->>'setlinfo_json' IS NOT NULL
                 ORDER BY window_id, local_id""")).all()
    except Exception as exc:  # noqa: BLE001
        raise ServiceError("hospital", (exc if isinstance(exc, HospitalError) else explain(exc)).message) from None
    out = []
    for wid, lid, msgid, state, opter, psn_no, info_js, prev_js in rows:
        extra = {"settlement_id": f"{wid}#{lid}", "window_id": wid, "local_id": lid, "opter": opter}
        out += dayend.book_entries(extra, msgid, state, info_js, prev_js, psn_no, day)
    return out


def open_items(engine) -> dict:
    with engine.connect() as c:
        unknown = c.execute(text(f"SELECT window_id, local_id, msgid, opter, state FROM {SCHEMA}.settlements_current "
                                 "WHERE state IN ('prepared', 'sent', 'unknown') ORDER BY window_id, local_id")).all()
        beats = c.execute(text(f"SELECT w.window_id, h.local_seq, h.reported_at, "
                               f"(SELECT coalesce(max(seq), 0) FROM {SCHEMA}.journal j WHERE j.window_id = w.window_id) "
                               f"FROM {SCHEMA}.windows w LEFT JOIN {SCHEMA}.window_heartbeats h USING (window_id) "
                               "ORDER BY w.window_id")).all()
        owed = c.execute(text(f"SELECT window_id, local_id, settlement_local_id, state FROM {SCHEMA}.invoices_current "
                              "WHERE state IN ('allocated', 'pending', 'owed', 'failed') ORDER BY window_id, local_id")).all()
        # the patient's share a window could not collect (a refused payment code): journal only
        shares = c.execute(text(f"""
            SELECT window_id, local_id, data FROM (
                SELECT DISTINCT ON (window_id, local_id) window_id, local_id, data
                  FROM {SCHEMA}.journal WHERE entity = 'payment_owed'
                 ORDER BY window_id, local_id, seq DESC) cur
             WHERE data->>'resolved_at' IS NULL ORDER BY window_id, local_id""")).all()
        stays = _latest(c, "stay")
        deposits = _latest(c, "stay_deposit")
        prefunds = _latest(c, "partial_refund")
    # deposits held for in-stay patients (预交金, journal only): the hospital's liability, not a blocker
    balance: dict[tuple[str, int], Decimal] = defaultdict(lambda: ZERO)
    for w, _i, d in deposits:
        if d.get("state") == "done":
            amt = Decimal(str(d.get("amount") or "0"))
            balance[(w, int(d["stay_id"]))] += amt if d.get("kind") in ("deposit", "restored") else -amt
    held = [{"window_id": w, "stay_local_id": i, "ipt_no": d.get("ipt_no"), "psn_name": d.get("psn_name"),
             "state": d.get("state"), "balance": fmt2(balance[(w, i)])}
            for w, i, d in stays if d.get("state") in ("admitting", "admitted", "discharged") and balance[(w, i)]]
    # a 部分退费 begun and not finished (settled again, refunded, invoiced) at a window: blocks the day
    unfinished = [{"window_id": w, "local_id": i, "old_settlement_local_id": d.get("old_settlement_id"),
                   "state": d.get("state"), "error": d.get("error")}
                  for w, i, d in prefunds if d.get("state") not in ("invoiced", "cancelled")]
    return {
        "unknown_outcomes": [{"window_id": w, "local_id": i, "msgid": m, "opter": o, "state": s} for w, i, m, o, s in unknown],
        "backlogs": [{"window_id": w, "backlog": None if ls is None else max(0, int(ls) - int(got or 0)),
                      "reported_at": at.isoformat() if at else None} for w, ls, at, got in beats],
        "owed_invoices": [{"window_id": w, "local_id": i, "settlement_local_id": s, "state": st} for w, i, s, st in owed],
        "owed_shares": [{"window_id": w, "local_id": i, "settlement_local_id": d.get("settlement_id"),
                         "amount": d.get("amount"), "reason": d.get("reason")} for w, i, d in shares],
        "deposits_held": held,
        "partial_refunds_open": unfinished,
    }


def _latest(c, entity: str) -> list[tuple[str, int, dict]]:
    """The latest snapshot of every window row of a journal-only entity (offline_cache.replication)."""
    return [(w, int(i), d) for w, i, d in c.execute(text(f"""
        SELECT DISTINCT ON (window_id, local_id) window_id, local_id, data FROM {SCHEMA}.journal
         WHERE entity = :e ORDER BY window_id, local_id, seq DESC"""), {"e": entity})]


def _split(books: list[dict], admdvs: str) -> dict:
    acc: dict[str, dict] = defaultdict(lambda: {"count": 0, "medfee_sumamt": ZERO, "fund_pay_sumamt": ZERO})
    for r in books:
        a = acc[_place(r.get("insuplc_admdvs"), admdvs)]
        sign = 1 if r["refd_setl_flag"] == "0" else -1
        a["count"] += sign
        a["medfee_sumamt"] += r["medfee_sumamt"]
        a["fund_pay_sumamt"] += r["fund_pay_sumamt"]
    return {k: {"count": v["count"], "medfee_sumamt": fmt2(v["medfee_sumamt"]),
                "fund_pay_sumamt": fmt2(v["fund_pay_sumamt"])} for k, v in sorted(acc.items())}


def by_window(books: list[dict]) -> dict:
    acc: dict[str, dict] = defaultdict(lambda: {"records": 0, "medfee_sumamt": ZERO, "fund_pay_sumamt": ZERO,
                                                "acct_pay": ZERO, "psn_cash_pay": ZERO})
    for r in books:
        a = acc[r["window_id"]]
        a["records"] += 1
        for k in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay"):
            a[k] += r[k]
    return {w: {k: (fmt2(v) if isinstance(v, Decimal) else v) for k, v in a.items()} for w, a in sorted(acc.items())}


def void_msgids(engine) -> dict[str, str]:
    """msgid → "window#local" of every settlement a window's recovery found void (``failed``: its
    2207/2304 undone by 2601, or never committed), with the msgids of its 2601 attempts and forward
    retries. On the platform such a settlement and its 冲正 reversal record net to zero."""
    out: dict[str, str] = {}
    with engine.connect() as c:
        rows = c.execute(text(f"SELECT window_id, local_id, msgid, data->>'preview_json' FROM {SCHEMA}.settlements_current "
                              "WHERE state = 'failed'")).all()
    for wid, lid, msgid, prev in rows:
        key = f"{wid}#{lid}"
        out[msgid] = key
        meta = json.loads(prev or "{}") if prev else {}
        for a in ((meta.get("recovery") or {}).get("attempts") or []) + ((meta.get("forward") or {}).get("spent") or []):
            if a.get("msgid"):
                out[a["msgid"]] = key
    return out


def reconcile(ctx, engine, day: date, *, record: bool = True) -> dict:
    """The institution's day end for ``day``; stored in medsettle.reconciliations when ``record``."""
    books = hospital_books(engine, day)
    result = dayend.reconcile_books(ctx, books, day, name_keys=("settlement_id", "window_id", "local_id", "opter"),
                                    repair=False)
    # a settlement undone by 冲正 at some window and its reversal record: explained, not a difference
    void = void_msgids(engine)
    for x in result["details"]:
        keep = []
        for m in x["mismatches"]:
            if m.get("window_id") is None and m.get("msgid") in void:
                result["repaired"].append({"setl_id": m.get("setl_id"), "msgid": m.get("msgid"),
                                           "settlement_id": void[m["msgid"]], "refd_setl_flag": m.get("refd_setl_flag"),
                                           "action": "冲正已抵消（医保结算与其冲正记录相抵，窗口为未结算）"})
            else:
                keep.append(m)
        x["mismatches"], x["balanced"] = keep, not keep
    result["clean"] = all(t["balanced"] for t in result["totals"]) and all(x["balanced"] for x in result["details"])
    result["mismatched_settlements"] = sorted({m["settlement_id"] for x in result["details"] for m in x["mismatches"]
                                               if m.get("settlement_id") is not None})
    platform_only, books_only = [], []
    for x in result["details"]:
        for m in x["mismatches"]:
            if m.get("window_id") is None:
                platform_only.append({k: m.get(k) for k in ("setl_id", "msgid", "mdtrt_id", "psn_no", "central")})
            elif "医保无" in (m.get("memo") or ""):
                books_only.append({k: m.get(k) for k in ("window_id", "local_id", "opter", "setl_id", "msgid", "local")})
    result["one_sided"] = {"platform_only": platform_only, "books_only": books_only}
    result["by_window"] = by_window(books)
    result["places"] = _split(books, ctx.settings.site.admdvs)
    result["open_items"] = open_items(engine)
    result["level"] = "institution"
    if record:
        try:
            with engine.begin() as c:
                c.execute(text(f"INSERT INTO {SCHEMA}.reconciliations (stmt_date, clean, report) "
                               "VALUES (:d, :c, CAST(:r AS jsonb))"),
                          {"d": day, "c": result["clean"], "r": json.dumps(result, ensure_ascii=False, default=str)})
        except Exception as exc:  # noqa: BLE001
            raise ServiceError("hospital", "对账已完成，但结果未能写入医院库："
                               + (exc if isinstance(exc, HospitalError) else explain(exc)).message) from None
    return result


def mismatch_lines(result: dict) -> list[str]:
    """The mismatch report in Chinese, one line per finding (the CLI prints it)."""
    lines = []
    for t in result["totals"]:
        if not t["balanced"]:
            lines.append(f"3201 不平：险种 {t['insutype']} 清算类别 {t['clr_type']} 经办机构 {t['setl_optins']}："
                         f"{t['stmt_rslt_dscr']}")
    for x in result["details"]:
        for m in x["mismatches"]:
            if m.get("window_id"):
                lines.append(f"3202 不符：窗口 {m['window_id']} 收费员 {m.get('opter') or '—'} 本地结算 {m['local_id']}"
                             f"（报文ID {m.get('msgid') or '—'}，结算ID {m.get('setl_id') or '—'}）：{m.get('memo') or ''}"
                             f" 本院 {json.dumps(m.get('local'), ensure_ascii=False)} 医保 "
                             f"{json.dumps(m.get('central'), ensure_ascii=False)}")
            else:
                lines.append(f"3202 医保有、各窗口均无：结算ID {m.get('setl_id')} 人员 {m.get('psn_no')}（报文ID "
                             f"{m.get('msgid') or '—'}）—— 请到发起窗口执行 medsettle recover 或按单边账处理")
    oi = result.get("open_items") or {}
    for b in oi.get("backlogs", []):
        if b["backlog"]:
            lines.append(f"未补传：窗口 {b['window_id']} 积压 {b['backlog']} 条（对账可能不完整）")
    for u in oi.get("unknown_outcomes", []):
        lines.append(f"结果未知：窗口 {u['window_id']} 本地结算 {u['local_id']}（报文ID {u['msgid']}）")
    for o in oi.get("owed_shares", []):
        lines.append(f"待收款：窗口 {o['window_id']} 本地结算 {o['settlement_local_id']} 患者自付 {o['amount']} 元未收（{o['reason']}）")
    for p in oi.get("partial_refunds_open", []):
        lines.append(f"部分退费未完成：窗口 {p['window_id']} 部分退费 {p['local_id']}（原结算 {p['old_settlement_local_id']}，"
                     f"状态 {p['state']}）—— 请在该窗口执行 medsettle refund --resume")
    return lines


def summary(engine, day: date) -> dict:
    """The finance view of ``day``: totals by window and payment method (payments taken that day,
    refunds negative), settlements by window, open items, and the day's last reconciliation."""
    try:
        with engine.connect() as c:
            pay = c.execute(text(f"""
                SELECT window_id, method, count(*), coalesce(sum(amount), 0)
                  FROM {SCHEMA}.payments_current
                 WHERE created_at >= :d AND created_at < :d + 1
                 GROUP BY window_id, method ORDER BY window_id, method"""), {"d": day}).all()
            setl = c.execute(text(f"""
                SELECT window_id, state, count(*), coalesce(sum(medfee_sumamt), 0), coalesce(sum(fund_pay_sumamt), 0),
                       coalesce(sum(acct_pay), 0), coalesce(sum(psn_cash_pay), 0)
                  FROM {SCHEMA}.settlements_current
                 WHERE coalesce(setl_time, created_at) >= :d AND coalesce(setl_time, created_at) < :d + 1
                 GROUP BY window_id, state ORDER BY window_id, state"""), {"d": day}).all()
            rec = c.execute(text(f"SELECT run_at, run_by, clean, report FROM {SCHEMA}.reconciliations "
                                 "WHERE stmt_date = :d ORDER BY id DESC LIMIT 1"), {"d": day}).first()
        items = open_items(engine)
    except ServiceError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ServiceError("hospital", (exc if isinstance(exc, HospitalError) else explain(exc)).message) from None
    methods: dict[str, dict[str, dict]] = defaultdict(dict)
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for w, m, n, amt in pay:
        methods[w][m] = {"count": int(n), "amount": fmt2(Decimal(amt))}
        totals[m] += Decimal(amt)
    windows: dict[str, dict[str, dict]] = defaultdict(dict)
    for w, st, n, med, fund, acct, cash in setl:
        windows[w][st] = {"count": int(n), "medfee_sumamt": fmt2(Decimal(med)), "fund_pay_sumamt": fmt2(Decimal(fund)),
                          "acct_pay": fmt2(Decimal(acct)), "psn_cash_pay": fmt2(Decimal(cash))}
    return {"date": day.isoformat(), "payments_by_window": dict(methods),
            "payments_total": {m: fmt2(v) for m, v in sorted(totals.items())},
            "settlements_by_window": dict(windows), "open_items": items,
            "reconciliation": None if rec is None else {"run_at": rec[0].isoformat(), "run_by": rec[1],
                                                        "clean": rec[2],
                                                        "records": (rec[3] or {}).get("records")}}
