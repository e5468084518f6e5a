"""Hospital-wide and per-window reports from the hospital store (Z report, monthly cross-region
report; PDF and CSV), built by the very code that makes a window's reports.

``materialize(engine, dest)`` copies the current rows (settlements with their visits, payments,
shifts, invoices) of every window — or of one — from the hospital store into a throwaway SQLite
store of the window's schema, renumbering ids per window and naming each operator with the
window (``w03/T001``) so that the same cashier code at two windows stays two lines. The report
functions of ``client.services.reports`` then run unchanged on it: one set of rules for a window's
and the hospital's figures.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import DateTime, insert, text

from hospital_store import SCHEMA
from hospital_store.db import HospitalError, explain

from .errors import ServiceError

COPIED = ("visits", "shifts", "settlements", "payments", "invoices",   # in foreign-key order
          "stays", "stay_deposits", "partial_refunds")
# journaled without a typed table (offline_cache.replication): the latest snapshot per window row
JOURNAL_ONLY = ("stay", "stay_deposit", "partial_refund")


def _typed(table, row: dict) -> dict:
    """A snapshot row (JSON values) with datetimes back as datetimes, unknown keys dropped."""
    out = {}
    for col in table.columns:
        if col.name not in row:
            continue
        v = row[col.name]
        if v is not None and isinstance(col.type, DateTime) and isinstance(v, str):
            v = datetime.fromisoformat(v)
        out[col.name] = v
    return out


def materialize(engine, dest: Path, *, window: str | None = None, label_windows: bool = True):
    """A local Store at ``dest`` holding the hospital's current books (or one window's)."""
    from offline_cache.models import Base
    from offline_cache.store import open_store

    where = "WHERE window_id = :w" if window else ""
    params = {"w": window} if window else {}
    try:
        with engine.connect() as c:
            data = {name: [(w, lid, d) for w, lid, d in c.execute(text(
                f"SELECT window_id, local_id, data FROM {SCHEMA}.{name}s_current {where} ORDER BY window_id, local_id"),
                params)] for name in ("settlement", "payment", "shift", "invoice")}
            for name in JOURNAL_ONLY:
                data[name] = [(w, int(lid), d) for w, lid, d in c.execute(text(
                    f"SELECT DISTINCT ON (window_id, local_id) window_id, local_id, data FROM {SCHEMA}.journal "
                    f"WHERE entity = :e {'AND window_id = :w' if window else ''} "
                    "ORDER BY window_id, local_id, seq DESC"), {"e": name, **params})]
                data[name].sort(key=lambda x: (x[0], x[1]))
    except Exception as exc:  # noqa: BLE001
        raise ServiceError("hospital", (exc if isinstance(exc, HospitalError) else explain(exc)).message) from None
    store = open_store(dest, create=True)
    t = Base.metadata.tables
    ids: dict[tuple[str, str, int], int] = {}
    seq = {table: 0 for table in COPIED}

    def new_id(table: str, wid: str, lid: int) -> int:
        seq[table] += 1
        ids[(table, wid, lid)] = seq[table]
        return seq[table]

    def who(wid: str, opter):
        return f"{wid}/{opter}" if (label_windows and opter) else opter

    rows: dict[str, list[dict]] = {k: [] for k in COPIED}
    for wid, lid, d in data["shift"]:
        r = _typed(t["shifts"], d)
        r.update(id=new_id("shifts", wid, lid), opter=who(wid, r.get("opter")))
        r["forced_by"] = who(wid, r.get("forced_by"))
        rows["shifts"].append(r)
    for wid, lid, d in data["settlement"]:
        visit = d.get("visit") or {}
        if not visit:
            continue
        v = _typed(t["visits"], visit)
        v.update(id=new_id("visits", wid, int(visit["id"])), opter=who(wid, v.get("opter")))
        rows["visits"].append(v)
        s = _typed(t["settlements"], d)
        s.update(id=new_id("settlements", wid, lid), visit_id=v["id"], opter=who(wid, s.get("opter")),
                 msgid=f"{wid}:{s['msgid']}" if label_windows else s["msgid"],
                 shift_id=ids.get(("shifts", wid, s.get("shift_id"))))
        if label_windows and s.get("preview_json"):
            meta = json.loads(s["preview_json"])
            if isinstance(meta.get("cashier"), dict):
                meta["cashier"]["opter"] = who(wid, meta["cashier"].get("opter"))
            s["preview_json"] = json.dumps(meta, ensure_ascii=False)
        rows["settlements"].append(s)
    for wid, lid, d in data["payment"]:
        sid = ids.get(("settlements", wid, int(d["settlement_id"])))
        if sid is None:
            continue
        p = _typed(t["payments"], d)
        p.update(id=new_id("payments", wid, lid), settlement_id=sid, shift_id=ids.get(("shifts", wid, d.get("shift_id"))))
        rows["payments"].append(p)
    for wid, lid, d in data["invoice"]:
        sid = ids.get(("settlements", wid, int(d["settlement_id"])))
        if sid is None:
            continue
        i = _typed(t["invoices"], d)
        i.update(id=new_id("invoices", wid, lid), settlement_id=sid,
                 related_invoice_id=ids.get(("invoices", wid, d.get("related_invoice_id"))))
        rows["invoices"].append(i)
    # inpatient stays (each over a local visit: the settlement's, or a visit made here for a stay not
    # settled yet), their deposit ledgers and the 部分退费 of the day (client.services.reports reads them)
    for wid, lid, d in data["stay"]:
        vid = ids.get(("visits", wid, int(d["visit_id"])))
        if vid is None:
            vid = new_id("visits", wid, int(d["visit_id"]))
            rows["visits"].append({"id": vid, "kind": "inpatient", "psn_no": d["psn_no"], "state": "open",
                                   "begntime": datetime.fromisoformat(d["begntime"]), "opter": who(wid, d.get("opter")),
                                   "created_at": datetime.fromisoformat(d["created_at"]),
                                   "updated_at": datetime.fromisoformat(d["updated_at"])})
        r = _typed(t["stays"], d)
        r.update(id=new_id("stays", wid, lid), visit_id=vid, opter=who(wid, r.get("opter")))
        rows["stays"].append(r)
    for wid, lid, d in data["stay_deposit"]:
        stay = ids.get(("stays", wid, int(d["stay_id"])))
        if stay is None:
            continue
        r = _typed(t["stay_deposits"], d)
        r.update(id=new_id("stay_deposits", wid, lid), stay_id=stay, opter=who(wid, r.get("opter")),
                 settlement_id=ids.get(("settlements", wid, d.get("settlement_id"))),
                 shift_id=ids.get(("shifts", wid, d.get("shift_id"))),
                 related_id=ids.get(("stay_deposits", wid, d.get("related_id"))),
                 receipt_no=f"{wid}:{d['receipt_no']}" if (label_windows and d.get("receipt_no")) else d.get("receipt_no"))
        rows["stay_deposits"].append(r)
    for wid, lid, d in data["partial_refund"]:
        old = ids.get(("settlements", wid, int(d["old_settlement_id"])))
        if old is None:
            continue
        r = _typed(t["partial_refunds"], d)
        r.update(id=new_id("partial_refunds", wid, lid), old_settlement_id=old, opter=who(wid, r.get("opter")),
                 new_settlement_id=ids.get(("settlements", wid, d.get("new_settlement_id"))))
        rows["partial_refunds"].append(r)
    with store.connection() as conn:
        for table in COPIED:
            groups: dict[tuple, list[dict]] = {}     # one executemany per key set (a stay's own visit has fewer)
            for r in rows[table]:
                groups.setdefault(tuple(sorted(r)), []).append(r)
            for group in groups.values():
                conn.execute(insert(t[table]), group)
    return store


def institution_of(settings) -> dict:
    return {"fixmedins_code": settings.site.fixmedins_code, "fixmedins_name": settings.site.fixmedins_name,
            "admdvs": settings.site.admdvs}


def zreport(engine, day: date, dest: Path, *, settings, window: str | None = None, operator: str | None = None):
    from . import reports

    store = materialize(engine, dest, window=window)
    try:
        inst = institution_of(settings)
        scope = f"窗口 {window}" if window else "全院"
        inst = dict(inst, fixmedins_name=f"{inst['fixmedins_name']}（{scope}）")
        return reports.zreport(store, day, operator=operator, institution=inst, reconciliation=_recon_rows(engine, day))
    finally:
        store.close()


def monthly(engine, month: str, dest: Path, *, settings, window: str | None = None):
    from . import reports

    store = materialize(engine, dest, window=window)
    try:
        inst = institution_of(settings)
        scope = f"窗口 {window}" if window else "全院"
        return reports.monthly(store, month, institution=dict(inst, fixmedins_name=f"{inst['fixmedins_name']}（{scope}）"))
    finally:
        store.close()


def _recon_rows(engine, day: date) -> list[dict]:
    """The day's last institution reconciliation as Z-report rows (3201 per group, 3202 per optins)."""
    with engine.connect() as c:
        rep = c.execute(text(f"SELECT report FROM {SCHEMA}.reconciliations WHERE stmt_date = :d ORDER BY id DESC LIMIT 1"),
                        {"d": day}).scalar()
    if not rep:
        return []
    rows = [{"infno": "3201", "setl_optins": x["setl_optins"], "stmt_rslt": x["stmt_rslt"],
             "stmt_rslt_dscr": x.get("stmt_rslt_dscr") or ("平" if x["balanced"] else "不平")} for x in rep.get("totals", [])]
    for x in rep.get("details", []):
        rows.append({"infno": "3202", "setl_optins": x["setl_optins"], "stmt_rslt": "0" if x["balanced"] else "1",
                     "stmt_rslt_dscr": f"明细 {x['rows']} 笔全部相符" if x["balanced"] else f"不符 {len(x['mismatches'])} 笔"})
    return rows
