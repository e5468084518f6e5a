"""Pushing the window's replication journal to the hospital store — in order, exactly once.

``push(store, engine, window_id)`` reads journal rows after the acknowledged ``pushed_seq``, takes
the current row of each (a settlement with its visit's person and insurance fields, and the
clearing fields of its setlinfo), and in ONE PostgreSQL transaction inserts

* the journal rows into ``medsettle.journal`` (key window_id + seq), and
* a version row per journal row into ``<entity>_versions`` (key window_id + local_id + seq),

both ``ON CONFLICT DO NOTHING``, plus the window's heartbeat (how far it has written and pushed).
Only after that commit does the window move ``pushed_seq``. A crash between the two resends the
same seqs, which the hospital store ignores: every change arrives exactly once, in the window's
order (seq). The hospital store being down, refusing the login, read-only or full never stops the
window: ``push`` records the Chinese reason and the backlog waits (``ReplicationReport``).

Several versions of one row may carry the same snapshot (the row is read when pushed, not when
changed); the hospital's ``*_current`` views show the latest, which is the window's current row.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Engine

from client.domain.money import fmt2
from hospital_store import SCHEMA
from hospital_store.db import HospitalError, explain
from offline_cache import replication as journal

log = logging.getLogger("client.services.replication")

BATCH = 500


@dataclass
class ReplicationReport:
    pushed: int = 0
    backlog: int = 0
    pushed_seq: int = 0
    error: str | None = None
    error_code: str | None = None
    batches: int = 0
    lag_s: list[float] = field(default_factory=list)   # capture → hospital commit, per pushed row

    def to_dict(self) -> dict:
        return {"pushed": self.pushed, "backlog": self.backlog, "pushed_seq": self.pushed_seq,
                "error": self.error, "error_code": self.error_code}


def _loads(s):
    if not s:
        return None
    try:
        return json.loads(s)
    except ValueError:
        return None


def _rows_by_id(conn, table: str, pk: str, ids: list[int]) -> dict[int, dict]:
    """Current rows through the models' column types: amounts stored as fen come back as Decimal
    yuan (offline_cache.types.Money), timestamps as datetimes."""
    if not ids:
        return {}
    from sqlalchemy import select

    from offline_cache.models import Base

    t = Base.metadata.tables[table]
    out: dict[int, dict] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for r in conn.execute(select(t).where(t.c[pk].in_(chunk))).mappings():
            out[int(r[pk])] = dict(r)
    return out


def _visits(conn, ids: set[int]) -> dict[int, dict]:
    return _rows_by_id(conn, "visits", "id", sorted(ids))


def _plain(d: dict) -> dict:
    """A JSON-safe copy of a row: Decimal as its exact text, datetimes ISO, bools as bools."""
    out = {}
    for k, v in d.items():
        if isinstance(v, (str, int, bool, type(None))):
            out[k] = v
        elif isinstance(v, (datetime, date)):
            out[k] = v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
        else:
            out[k] = str(v)
    return out


def _money(v):
    if v in (None, ""):
        return None
    if isinstance(v, Decimal):
        return fmt2(v)
    return str(v)


def _ts(v):
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    return str(v).replace("T", " ")[:26]


def _aware(at: str) -> str:
    """The journal's local commit time with this machine's UTC offset (the hospital store compares
    it with its own receive time: the replication lag)."""
    return datetime.fromisoformat(str(at)).astimezone().isoformat()


def _settlement_row(w: str, seq: int, s: dict, visit: dict | None) -> dict:
    info = _loads(s.get("setlinfo_json")) or {}
    v = visit or {}
    data = _plain(s)
    data["visit"] = _plain(v) if v else None
    return {"window_id": w, "local_id": s["id"], "seq": seq, "msgid": s["msgid"], "infno": s["infno"],
            "state": s["state"], "setl_id": s.get("setl_id"), "mdtrt_id": s.get("mdtrt_id") or v.get("mdtrt_id"),
            "psn_no": v.get("psn_no"), "visit_kind": v.get("kind"), "insutype": info.get("insutype") or v.get("insutype"),
            "insuplc_admdvs": info.get("insuplc_admdvs") or v.get("insuplc_admdvs"), "med_type": v.get("med_type"),
            "clr_type": info.get("clr_type"), "clr_optins": info.get("clr_optins"),
            "setl_time": _ts(info.get("setl_time")),
            "medfee_sumamt": _money(s.get("medfee_sumamt")), "fund_pay_sumamt": _money(s.get("fund_pay_sumamt")),
            "acct_pay": _money(s.get("acct_pay")), "psn_cash_pay": _money(s.get("psn_cash_pay")),
            "offline": bool(s.get("offline")), "provisional": bool(s.get("provisional")), "opter": s.get("opter"),
            "shift_local_id": s.get("shift_id"), "created_at": _ts(s.get("created_at")),
            "updated_at": _ts(s.get("updated_at")), "data": json.dumps(data, ensure_ascii=False)}


def _payment_row(w, seq, p):
    return {"window_id": w, "local_id": p["id"], "seq": seq, "settlement_local_id": p["settlement_id"],
            "method": p["method"], "amount": _money(p["amount"]), "tendered": _money(p.get("tendered")),
            "change": _money(p.get("change")), "ref": p.get("ref"), "shift_local_id": p.get("shift_id"),
            "created_at": _ts(p.get("created_at")), "data": json.dumps(_plain(p), ensure_ascii=False)}


def _invoice_row(w, seq, i):
    return {"window_id": w, "local_id": i["id"], "seq": seq, "settlement_local_id": i["settlement_id"],
            "einvoice_code": i["einvoice_code"], "einvoice_number": i["einvoice_number"], "kind": i["kind"],
            "state": i["state"], "created_at": _ts(i.get("created_at")), "issued_at": _ts(i.get("issued_at")),
            "data": json.dumps(_plain(i), ensure_ascii=False)}


def _shift_row(w, seq, s):
    return {"window_id": w, "local_id": s["id"], "seq": seq, "opter": s["opter"], "opened_at": _ts(s.get("opened_at")),
            "closed_at": _ts(s.get("closed_at")), "float_amt": _money(s.get("float_amt")),
            "data": json.dumps(_plain(s), ensure_ascii=False)}


def _adjustment_row(w, seq, a):
    return {"window_id": w, "local_id": a["id"], "seq": seq, "settlement_local_id": a["settlement_id"],
            "amount": _money(a["amount"]), "direction": a["direction"], "state": a["state"],
            "created_at": _ts(a.get("created_at")), "done_at": _ts(a.get("done_at")),
            "data": json.dumps(_plain(a), ensure_ascii=False)}


def _audit_row(w, seq, a):
    return {"window_id": w, "local_seq": a["seq"], "seq": seq, "time": a["time"], "actor": a["actor"],
            "action": a["action"], "detail": a["detail_json"] or "{}", "prev_hash": a["prev_hash"], "hash": a["hash"]}


_BUILDERS = {"payment": ("payments", _payment_row), "invoice": ("invoices", _invoice_row),
             "shift": ("shifts", _shift_row), "adjustment": ("adjustments", _adjustment_row)}

_COLUMNS = {
    "settlement_versions": list(_settlement_row("", 0, {"id": 0, "msgid": "", "infno": "", "state": ""}, None)),
    "payment_versions": list(_payment_row("", 0, {"id": 0, "settlement_id": 0, "method": "", "amount": None})),
    "invoice_versions": list(_invoice_row("", 0, {"id": 0, "settlement_id": 0, "einvoice_code": "",
                                                  "einvoice_number": "", "kind": "", "state": ""})),
    "shift_versions": list(_shift_row("", 0, {"id": 0, "opter": ""})),
    "adjustment_versions": list(_adjustment_row("", 0, {"id": 0, "settlement_id": 0, "amount": None,
                                                        "direction": "", "state": ""})),
    "audit_events": ["window_id", "local_seq", "seq", "time", "actor", "action", "detail", "prev_hash", "hash"],
}
_JSONB = {"data", "detail"}
_KEYS = {"audit_events": "(window_id, local_seq)"}


def _insert_sql(table: str) -> str:
    cols = _COLUMNS[table]
    vals = ", ".join(f"CAST(:{c} AS jsonb)" if c in _JSONB else f":{c}" for c in cols)
    key = _KEYS.get(table, "(window_id, local_id, seq)")
    return f"INSERT INTO {SCHEMA}.{table} ({', '.join(cols)}) VALUES ({vals}) ON CONFLICT {key} DO NOTHING"


def _collect(conn, window_id: str, entries: list) -> tuple[list[dict], dict[str, list[dict]]]:
    by_entity: dict[str, list[int]] = {}
    for e in entries:
        by_entity.setdefault(e.entity, []).append(int(e.local_id))
    current: dict[str, dict[int, dict]] = {}
    for entity, ids in by_entity.items():
        current[entity] = _rows_by_id(conn, journal.TABLE_OF[entity], journal.PK_OF[entity], sorted(set(ids)))
    visits = _visits(conn, {int(s["visit_id"]) for s in current.get("settlement", {}).values()})
    jrows: list[dict] = []
    typed: dict[str, list[dict]] = {t: [] for t in _COLUMNS}
    for e in entries:
        row = current[e.entity].get(int(e.local_id))
        if row is None:  # pragma: no cover - history rows are never deleted locally
            snapshot = {"missing": True}
        elif e.entity == "settlement":
            r = _settlement_row(window_id, e.seq, row, visits.get(int(row["visit_id"])))
            typed["settlement_versions"].append(r)
            snapshot = json.loads(r["data"])
        elif e.entity == "audit":
            typed["audit_events"].append(_audit_row(window_id, e.seq, row))
            snapshot = _plain(row)
        elif e.entity in _BUILDERS:
            table, build = _BUILDERS[e.entity]
            r = build(window_id, e.seq, row)
            typed[f"{e.entity}_versions"].append(r)
            snapshot = json.loads(r["data"])
        else:                    # journal only (pay_trade, payment_owed): the snapshot is the record
            snapshot = _plain(row)
        jrows.append({"window_id": window_id, "seq": e.seq, "entity": e.entity, "local_id": str(e.local_id),
                      "op": e.op, "captured_at": _aware(e.at), "data": json.dumps(snapshot, ensure_ascii=False)})
    return jrows, typed


def push(store, engine: Engine, window_id: str, *, batch: int = BATCH, max_batches: int | None = None,
         app_version: str = "") -> ReplicationReport:
    """Push the backlog (all of it, or ``max_batches`` batches). Never raises for the hospital
    store's failures: they come back in the report and in ``replication_state.last_error``."""
    rep = ReplicationReport()
    while max_batches is None or rep.batches < max_batches:
        with store.read_connection() as conn:
            done = journal.pushed_seq(conn)
            entries = conn.execute(text("SELECT seq, entity, local_id, op, at FROM replication_journal "
                                        "WHERE seq > :s ORDER BY seq LIMIT :n"), {"s": done, "n": batch}).all()
            local_last = journal.last_seq(conn)
            if not entries:
                rep.pushed_seq = done
                break
            jrows, typed = _collect(conn, window_id, entries)
        last = entries[-1].seq
        try:
            with engine.begin() as pg:
                pg.execute(text(f"INSERT INTO {SCHEMA}.journal (window_id, seq, entity, local_id, op, captured_at, data) "
                                "VALUES (:window_id, :seq, :entity, :local_id, :op, :captured_at, CAST(:data AS jsonb)) "
                                "ON CONFLICT (window_id, seq) DO NOTHING"), jrows)
                for table, rows in typed.items():
                    if rows:
                        pg.execute(text(_insert_sql(table)), rows)
                pg.execute(text(f"INSERT INTO {SCHEMA}.window_heartbeats (window_id, local_seq, pushed_seq, app_version) "
                                "VALUES (:w, :l, :p, :v) ON CONFLICT (window_id) DO UPDATE SET reported_at = now(), "
                                "local_seq = EXCLUDED.local_seq, pushed_seq = EXCLUDED.pushed_seq, "
                                "app_version = EXCLUDED.app_version"),
                           {"w": window_id, "l": local_last, "p": last, "v": app_version})
        except Exception as exc:  # noqa: BLE001 - the hospital store's failure never stops the window
            err = exc if isinstance(exc, HospitalError) else explain(exc)
            rep.error, rep.error_code = err.message, err.code
            log.warning("hospital push failed: %s", err.detail or err.message)
            with store.connection() as conn:
                journal.record(conn, error=err.message)
            break
        now = datetime.now()
        for e in entries:
            try:
                rep.lag_s.append((now - datetime.fromisoformat(str(e.at))).total_seconds())
            except ValueError:  # pragma: no cover
                pass
        with store.connection() as conn:
            journal.record(conn, pushed=last)
        rep.pushed += len(entries)
        rep.pushed_seq = last
        rep.batches += 1
    with store.read_connection() as conn:
        rep.backlog = journal.backlog(conn)
    return rep
