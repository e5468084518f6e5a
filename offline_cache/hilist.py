"""1312 classes, 1318 limit prices and 1319 self-pay ratios of the national codes (paged queries).

* 1312 (医保目录信息查询) carries the class (``chrgitm_lv``), ``med_chrgitm_type``,
  ``lmt_used_flag``, ``vali_flag``, ``enddate`` — and NOTHING about ratios or limits. A page updates
  only the fields it carries (``coalesce``): a field absent from a row never blanks the stored one.
* 1318 (医保目录限价信息查询) rows → ``hilist_lmtpric`` (one per ``rid``); 1319 (医保目录先自付比例
  信息查询) rows → ``hilist_selfpay``. Output fields from binzhe12123/Medical
  ``SY.Com.Medical.Model/SYB/JBXX/ML1318.cs`` (``Out1318``: hilist_code, hilist_lmtpric_type,
  overlmt_dspo_way, insu_admdvs, begndate, enddate, hilist_pric_uplmt_amt, vali_flag, rid,
  updt_time, …, poolarea_no) and ``ML1319.cs`` (``Out1319``: hilist_code, selfpay_prop_psn_type,
  selfpay_prop_type, insu_admdvs, begndate, enddate, selfpay_prop, vali_flag, rid, updt_time, …).
* The value the engine uses (``catalog_items.pric_uplmt_amt`` / ``selfpay_prop``) is derived from
  those tables by ``refresh_effective``: the row valid on the day (vali_flag 1, begndate ≤ day ≤
  enddate), preferring the window's own ``insu_admdvs``, then the latest begndate / updt_time / rid.
  Which ``selfpay_prop_psn_type`` applies to which person is not documented publicly (UNVERIFIED):
  ``psn_type`` (setting ``catalog.selfpay_psn_type``) restricts the choice; empty = any
  (docs/central-interface.md, conventions table).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from .catalog import CatalogRowError
from .types import to_decimal_text

KINDS = {
    "1318": ("hilist_lmtpric", ("hilist_lmtpric_type", "overlmt_dspo_way", "hilist_pric_uplmt_amt"),
             "hilist_pric_uplmt_amt", "pric_uplmt_amt", "医保目录限价信息"),
    "1319": ("hilist_selfpay", ("selfpay_prop_psn_type", "selfpay_prop_type", "selfpay_prop"),
             "selfpay_prop", "selfpay_prop", "医保目录先自付比例信息"),
}
_COMMON = ("hilist_code", "insu_admdvs", "begndate", "enddate", "vali_flag", "updt_time", "poolarea_no")


@dataclass(frozen=True)
class TermsPage:
    rows: int            # rows written
    skipped: int         # rows without hilist_code / rid
    codes: list[str]     # the national codes the page touched
    max_updt: str        # largest updt_time of the page ("" when none)


def _s(v) -> str | None:
    if v is None:
        return None
    v = str(v).strip()
    return v or None


def _day(v, field: str, where: str) -> str | None:
    s = _s(v)
    if s is None:
        return None
    s = s[:10]
    try:
        return date.fromisoformat(s).isoformat()
    except ValueError:
        raise CatalogRowError(f"{where}的 {field} 不是有效日期（{s}），本页未写入。") from None


def prepare_terms(infno: str, rows: Iterable[Mapping]) -> tuple[list[tuple], int, list[str], str]:
    """Validate one 1318/1319 page: (tuples for upsert_terms, skipped, codes, max updt_time)."""
    table, own, value_col, _, title = KINDS[infno]
    out, codes, skipped, max_updt = [], [], 0, ""
    for n, r in enumerate(rows):
        code, rid = _s(r.get("hilist_code")), _s(r.get("rid"))
        if not code or not rid:
            skipped += 1
            continue
        where = f"{title}({infno})第 {n + 1} 行（{code}）"
        vals = []
        for c in own:
            v = r.get(c)
            if c == value_col:
                try:
                    v = to_decimal_text(None if v in (None, "") else str(v), c)
                except ValueError as exc:
                    raise CatalogRowError(f"{where}的 {c} 不是有效数值，本页未写入：{exc}") from None
                if v is not None and v.startswith("-"):
                    raise CatalogRowError(f"{where}的 {c}={v} 不能为负数，本页未写入。")
                if infno == "1319" and v is not None and not (v[0] == "0" or v.rstrip("0").rstrip(".") == "1"):
                    raise CatalogRowError(f"{where}的自付比例 selfpay_prop={v} 超出 0–1，本页未写入。")
            else:
                v = _s(v)
            vals.append(v)
        updt = (_s(r.get("updt_time")) or "")[:19]
        max_updt = max(max_updt, updt)
        out.append((rid, code, *vals, _s(r.get("insu_admdvs")), _day(r.get("begndate"), "begndate", where),
                    _day(r.get("enddate"), "enddate", where), _s(r.get("vali_flag")) or "1", updt or None,
                    _s(r.get("poolarea_no"))))
        codes.append(code)
    return out, skipped, codes, max_updt


def upsert_terms(conn, infno: str, admdvs: str, prepared: list[tuple]) -> int:
    """Write prepared 1318/1319 rows (by ``rid``) on a Core Connection, in the caller's transaction."""
    if not prepared:
        return 0
    table, own, *_ = KINDS[infno]
    cols = ("admdvs", "rid", "hilist_code", *own, *_COMMON[1:])
    upd = [c for c in cols if c not in ("admdvs", "rid")]
    sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
           f"ON CONFLICT(admdvs, rid) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in upd)}")
    conn.exec_driver_sql(sql, [(admdvs, *t) for t in prepared])
    return len(prepared)


def _effective_sql(infno: str, where: str, psn_type: str | None) -> str:
    table, _, value_col, item_col, _ = KINDS[infno]
    psn = " AND t.selfpay_prop_psn_type = :psn" if (infno == "1319" and psn_type) else ""
    return (f"UPDATE catalog_items SET {item_col} = (SELECT t.{value_col} FROM {table} t "
            "WHERE t.admdvs = catalog_items.admdvs AND t.hilist_code = catalog_items.med_list_codg "
            "AND t.vali_flag = '1' AND (t.begndate IS NULL OR t.begndate <= :d) "
            f"AND (t.enddate IS NULL OR t.enddate >= :d){psn} "
            "ORDER BY (t.insu_admdvs = :a) DESC, t.begndate DESC, t.updt_time DESC, t.rid DESC "
            f"LIMIT 1) WHERE catalog_items.admdvs = :a AND {where}")


def refresh_effective(conn, infno: str, admdvs: str, *, codes: list[str] | None = None, at: date | None = None,
                      psn_type: str | None = None, only_missing: bool = False) -> int:
    """Derive ``catalog_items.pric_uplmt_amt`` (1318) / ``selfpay_prop`` (1319) for ``codes`` (or
    every item having rows; ``only_missing``: only items whose value is still NULL) on ``at``."""
    table, _, _, item_col, _ = KINDS[infno]
    params: dict = {"a": admdvs, "d": (at or date.today()).isoformat(), "psn": psn_type}
    if codes is not None:
        if not codes:
            return 0
        where = "catalog_items.med_list_codg IN (SELECT value FROM json_each(:codes))"
        params["codes"] = json.dumps(sorted(set(codes)), ensure_ascii=False)
    else:
        where = (f"EXISTS (SELECT 1 FROM {table} t WHERE t.admdvs = catalog_items.admdvs "
                 "AND t.hilist_code = catalog_items.med_list_codg)")
        if only_missing:
            where = f"catalog_items.{item_col} IS NULL AND " + where
    sql = _effective_sql(infno, where, psn_type)
    names = re.findall(r":([a-z]+)", sql)
    return conn.exec_driver_sql(re.sub(r":[a-z]+", "?", sql), tuple(params[n] for n in names)).rowcount


def apply_hilist_page(conn, admdvs: str, rows: Iterable[Mapping]) -> tuple[int, int, str]:
    """One 1312 page: update the class fields it CARRIES (coalesce: an absent field never blanks the
    stored one) of the items we hold. Returns (rows updated, rows skipped, max updt_time)."""
    params, skipped, max_updt = [], 0, ""
    for r in rows:
        code = _s(r.get("hilist_code"))
        if not code:
            skipped += 1
            continue
        max_updt = max(max_updt, (_s(r.get("updt_time")) or "")[:19])
        lv = _s(r.get("chrgitm_lv"))
        lmt = _s(r.get("lmt_used_flag"))
        vf = _s(r.get("vali_flag"))
        params.append((lv if lv in ("01", "02", "03") else None, _s(r.get("med_chrgitm_type")),
                       lmt if lmt in ("0", "1") else None, vf if vf in ("0", "1") else None,
                       (_s(r.get("enddate")) or "")[:10] or None, _s(r.get("insu_admdvs")) or admdvs, code))
    if not params:
        return 0, skipped, max_updt
    cur = conn.exec_driver_sql(
        "UPDATE catalog_items SET chrgitm_lv = coalesce(?, chrgitm_lv), med_chrgitm_type = coalesce(?, med_chrgitm_type), "
        "lmt_used_flag = coalesce(?, lmt_used_flag), vali_flag = coalesce(?, vali_flag), "
        "enddate = coalesce(?, enddate) WHERE admdvs = ? AND med_list_codg = ?", params)
    return max(cur.rowcount, 0), skipped, max_updt


def terms_of(store, infno: str, admdvs: str, code: str) -> list[dict]:
    """The stored 1318/1319 rows of one code (for the window's detail view and tests)."""
    table, own, *_ = KINDS[infno]
    cols = ("rid", "hilist_code", *own, *_COMMON[1:])
    with store.read_connection() as conn:
        rows = conn.exec_driver_sql(f"SELECT {', '.join(cols)} FROM {table} WHERE admdvs = ? AND hilist_code = ? "
                                    "ORDER BY begndate, rid", (admdvs, code)).fetchall()
    return [dict(zip(cols, r, strict=True)) for r in rows]
