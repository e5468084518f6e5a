"""目录对照 (issue 16 scope 5): the hospital's own item codes, their national codes, 3301 / 3302.

A hospital charges its own items (HIS codes = 定点医药机构目录编号 ``fixmedins_hilist_id``). IT imports
the HIS item list (``medsettle mapping import FILE``), uploads each mapping with 3301 (``mapping
upload``), sees what is not mapped or was refused (``mapping list --unmapped | --refused``), revokes
one with 3302 (``mapping revoke CODE``) and asks the platform what it holds (``mapping query``: 1317
医药机构目录匹配信息查询, or 1316 医疗目录与医保目录匹配信息查询). The wire fields and their public sources
are in :mod:`client.api.catalogmap`.

Fee lines (client.services.checkout) then carry both codes: ``medins_list_codg`` = the hospital
code, ``med_list_codg`` = the mapped national code (:func:`resolve_line`); an item whose mapping is
missing, not yet accepted or refused stops the case with a Chinese message naming it (未对照) before
anything is sent.

Import file (CSV UTF-8 with optional BOM, or XLSX when openpyxl is installed): one header row; columns
found by Chinese or English name (:data:`COLUMNS`); hospital code, name and national code required,
list type / price / spec / unit / dates optional. Bad rows are reported one by one (row number +
Chinese reason); good rows are kept. List type, when absent, is taken from the local catalogue entry
of the national code.

Our own conventions (docs/central-interface.md): begndate defaults to the import day and enddate to
2099-12-31 (3301 requires both; what a region expects is UNVERIFIED — ``--begndate/--enddate``);
3301 is sent one item per call; infcode 0 = accepted (the 3301 output node is UNVERIFIED and kept
verbatim); an answer lost in transit leaves the row pending with a note and the upload stops (the
next ``mapping upload`` asks again: 1317 can show whether the platform holds it).

A re-import that maps an uploaded hospital code to another national code keeps the accepted one in
``prev_*``; the next upload revokes it (3302) before sending the new 3301 — change = 3302 then 3301,
as a public HIS queues it ("CHANGE->先3302后3301", an upload-queue table comment in a public Java HIS,
repository not identified); the platform refuses a second mapping of a mapped code.

Permission: importing, uploading and revoking are ``config`` (系统管理员 / IT) actions.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from client.api import BusinessError, TransportError
from client.api.catalogmap import (
    LIST_TYPES,
    QueryMedinsMatch,
    QueryMedListMatch,
    RevokeMapping,
    UploadMapping,
)

from . import audit
from .errors import ServiceError

MAX_FILE_BYTES = 20 * 1024 * 1024
DEFAULT_ENDDATE = date(2099, 12, 31)
STATE_LABELS = {"pending": "待上传", "uploaded": "已对照", "refused": "被拒绝", "revoked": "已撤销"}

# field -> accepted header names (compared lower-case, spaces removed)
COLUMNS: dict[str, tuple[str, ...]] = {
    "fixmedins_hilist_id": ("fixmedins_hilist_id", "medins_list_codg", "hosp_code", "his_code", "hospital_code",
                            "院内编码", "院内项目编码", "医院编码", "医院项目编码", "本院编码", "his编码",
                            "定点医药机构目录编号", "医药机构目录编码", "院内代码"),
    "fixmedins_hilist_name": ("fixmedins_hilist_name", "medins_list_name", "hosp_name", "name", "item_name",
                              "院内名称", "项目名称", "医院项目名称", "院内项目名称", "名称", "定点医药机构目录名称",
                              "药品名称", "品名"),
    "med_list_codg": ("med_list_codg", "national_code", "hilist_code", "nhsa_code", "医保编码", "国家编码",
                      "医疗目录编码", "医保目录编码", "国家医保编码", "国家医保目录编码", "医保代码"),
    "list_type": ("list_type", "目录类别", "目录类型"),
    "pric": ("pric", "price", "单价", "价格", "院内价格"),
    "spec": ("spec", "规格"),
    "prcunt": ("prcunt", "unit", "计价单位", "单位"),
    "begndate": ("begndate", "开始日期"),
    "enddate": ("enddate", "结束日期"),
}
REQUIRED = ("fixmedins_hilist_id", "fixmedins_hilist_name", "med_list_codg")
LABELS = {"fixmedins_hilist_id": "院内编码", "fixmedins_hilist_name": "院内名称", "med_list_codg": "医保编码"}
_CODE_RE = re.compile(r"^[0-9A-Za-z_.\-]+$")


@dataclass
class MappingRow:
    fixmedins_hilist_id: str
    fixmedins_hilist_name: str
    med_list_codg: str
    list_type: str
    begndate: date
    enddate: date
    spec: str | None = None
    prcunt: str | None = None
    pric: Decimal | None = None
    state: str = "pending"
    err_msg: str | None = None
    msgid: str | None = None
    uploaded_at: datetime | None = None

    def to_dict(self) -> dict:
        return {"fixmedins_hilist_id": self.fixmedins_hilist_id, "fixmedins_hilist_name": self.fixmedins_hilist_name,
                "med_list_codg": self.med_list_codg, "list_type": self.list_type,
                "list_type_name": LIST_TYPES.get(self.list_type, ""),
                "begndate": self.begndate.isoformat(), "enddate": self.enddate.isoformat(),
                "spec": self.spec, "prcunt": self.prcunt, "pric": None if self.pric is None else format(self.pric, "f"),
                "state": self.state, "state_label": STATE_LABELS.get(self.state, self.state),
                "err_msg": self.err_msg, "msgid": self.msgid,
                "uploaded_at": self.uploaded_at.isoformat(sep=" ") if self.uploaded_at else None}


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"file": self.file, "rows": self.rows, "added": self.added, "changed": self.changed,
                "unchanged": self.unchanged, "bad_rows": [{"row": n, "message": m} for n, m in self.errors]}


@dataclass
class UploadReport:
    sent: int = 0
    accepted: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    stopped: str = ""

    def to_dict(self) -> dict:
        return {"sent": self.sent, "accepted": self.accepted, "refused": self.refused, "unknown": self.unknown,
                "stopped": self.stopped}


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


# ------------------------------------------------------------------------------------ permission
def require_it(operator: Any) -> None:
    """Mapping changes are IT work: the ``config`` permission (系统管理员)."""
    from client.security.operators import AuthFailure, require_permission

    try:
        require_permission(operator, "config")
    except AuthFailure as exc:
        raise ServiceError("authorization", f"{exc}（目录对照须由系统管理员/信息科操作）", system="local") from None


# ------------------------------------------------------------------------------------ file reading
def _norm(h: Any) -> str:
    return re.sub(r"\s+", "", str(h or "")).lower().lstrip("\ufeff")


def read_table(path: str | Path) -> list[list[str]]:
    """The file's rows as text cells (CSV UTF-8, or XLSX through openpyxl when it is installed)."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ServiceError("invalid_input", f"对照文件过大（超过 {MAX_FILE_BYTES // 1024 // 1024} MB）：{p}")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ServiceError("invalid_input", f"找不到对照文件：{p}，请检查路径。") from None
    except IsADirectoryError:
        raise ServiceError("invalid_input", f"{p} 是文件夹，不是对照文件。") from None
    except OSError as exc:
        raise ServiceError("invalid_input", f"无法读取对照文件 {p}（{exc.strerror or exc}）。") from None
    if p.suffix.lower() in (".xlsx", ".xlsm") or raw[:4] == b"PK\x03\x04":
        return _read_xlsx(raw, p)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError("invalid_input", "对照文件必须是 UTF-8 编码的 CSV（Excel 中“另存为 → CSV UTF-8”）。") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), dialect)]


def _read_xlsx(raw: bytes, p: Path) -> list[list[str]]:
    try:
        import openpyxl  # optional: docs/dependencies.md
    except ModuleNotFoundError:
        raise ServiceError("invalid_input", f"本机未安装 XLSX 读取组件（openpyxl），无法读取 {p.name}；"
                                            "请在 Excel 中“另存为 → CSV UTF-8”后再导入。") from None
    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is a user error
        raise ServiceError("invalid_input", f"{p.name} 不是有效的 XLSX 文件（{exc}）。") from None
    ws = wb.worksheets[0]
    out = []
    for row in ws.iter_rows(values_only=True):
        cells = []
        for v in row:
            if v is None:
                cells.append("")
            elif isinstance(v, float) and v.is_integer():
                cells.append(str(int(v)))
            elif isinstance(v, datetime):
                cells.append(v.date().isoformat())
            else:
                cells.append(str(v).strip())
        out.append(cells)
    wb.close()
    return out


def _header_map(header: list[str]) -> dict[str, int]:
    names = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for fld, aliases in COLUMNS.items():
        for i, n in enumerate(names):
            if n in {_norm(a) for a in aliases}:
                found.setdefault(fld, i)
    return found


def _date(v: str, what: str) -> date:
    try:
        return date.fromisoformat(v.replace("/", "-")[:10])
    except ValueError:
        raise ValueError(f"{what}“{v}”不是日期（应为 2026-01-01）") from None


def parse_rows(table: list[list[str]], *, list_type_of=None, begndate: date | None = None,
               enddate: date = DEFAULT_ENDDATE) -> tuple[list[MappingRow], list[tuple[int, str]]]:
    """Rows → (good rows, [(row number, Chinese reason)]). ``list_type_of(national_code)`` gives the
    list type of a national code from the local catalogue (None if unknown)."""
    rows = [(n, r) for n, r in enumerate(table, 1) if any(c.strip() for c in r)]
    if not rows:
        raise ServiceError("invalid_input", "对照文件为空。")
    hn, header = rows[0]
    cols = _header_map(header)
    missing = [LABELS[f] for f in REQUIRED if f not in cols]
    if missing:
        raise ServiceError("invalid_input", f"对照文件第{hn}行应为表头，缺少列：{'、'.join(missing)}"
                                            "（可用中文“院内编码、院内名称、医保编码”或英文 fixmedins_hilist_id、"
                                            "fixmedins_hilist_name、med_list_codg）。")
    start = begndate or date.today()
    good: list[MappingRow] = []
    bad: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for n, r in rows[1:]:
        def cell(f: str, r=r) -> str:
            i = cols.get(f)
            return r[i].strip() if i is not None and i < len(r) else ""
        try:
            code, name, nat = cell("fixmedins_hilist_id"), cell("fixmedins_hilist_name"), cell("med_list_codg")
            problems = [f"缺少{LABELS[f]}" for f, v in zip(REQUIRED, (code, name, nat), strict=True) if not v]
            if problems:
                raise ValueError("、".join(problems))
            if len(code) > 30 or not _CODE_RE.match(code):
                raise ValueError(f"院内编码“{code}”无效（最长30位，只能是字母、数字、点、横线、下划线）")
            if len(name) > 200:
                raise ValueError("院内名称超过200字")
            if len(nat) > 50 or not _CODE_RE.match(nat):
                raise ValueError(f"医保编码“{nat}”无效（最长50位，只能是字母、数字、点、横线、下划线）")
            if code in seen:
                raise ValueError(f"院内编码“{code}”与第{seen[code]}行重复")
            lt = cell("list_type")
            if lt:
                if lt not in LIST_TYPES:
                    raise ValueError(f"目录类别“{lt}”无效（应为 " + "、".join(f"{k} {v}" for k, v in LIST_TYPES.items())
                                     + "）")
            else:
                lt = (list_type_of(nat) if list_type_of else None) or ""
                if not lt:
                    raise ValueError(f"没有目录类别，且本地医保目录中找不到医保编码“{nat}”（请先同步目录，或在文件中填写目录类别）")
            pric = None
            if cell("pric"):
                try:
                    pric = Decimal(cell("pric"))
                except InvalidOperation:
                    raise ValueError(f"单价“{cell('pric')}”不是有效数字") from None
                if not pric.is_finite() or pric < 0:
                    raise ValueError(f"单价“{cell('pric')}”不能为负数")
            b = _date(cell("begndate"), "开始日期") if cell("begndate") else start
            e = _date(cell("enddate"), "结束日期") if cell("enddate") else enddate
            if e < b:
                raise ValueError("结束日期早于开始日期")
        except ValueError as exc:
            bad.append((n, str(exc)))
            continue
        seen[code] = n
        good.append(MappingRow(code, name, nat, lt, b, e, cell("spec") or None, cell("prcunt") or None, pric))
    return good, bad


# ------------------------------------------------------------------------------------ store
_COLS = ("fixmedins_hilist_id, fixmedins_hilist_name, med_list_codg, list_type, begndate, enddate, spec, prcunt, "
         "pric, state, err_msg, msgid, uploaded_at")


def _row(r: Any) -> MappingRow:
    def d(v):
        return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])

    def dt(v):
        return None if v is None else (v if isinstance(v, datetime) else datetime.fromisoformat(str(v)))

    return MappingRow(r[0], r[1], r[2], r[3], d(r[4]), d(r[5]), r[6], r[7],
                      None if r[8] is None else Decimal(str(r[8])), r[9], r[10], r[11], dt(r[12]))


def list_mappings(store: Any, which: str = "all", codes: list[str] | None = None) -> list[MappingRow]:
    """``which``: all | unmapped (not accepted: pending, refused, revoked) | refused | uploaded."""
    where = {"all": "1=1", "unmapped": "state <> 'uploaded'", "refused": "state = 'refused'",
             "uploaded": "state = 'uploaded'", "pending": "state = 'pending'"}[which]
    params: tuple = ()
    if codes:
        where += f" AND fixmedins_hilist_id IN ({','.join('?' * len(codes))})"
        params = tuple(codes)
    with store.read_connection() as conn:
        rows = conn.exec_driver_sql(f"SELECT {_COLS} FROM medins_mappings WHERE {where} "
                                    "ORDER BY fixmedins_hilist_id", params).fetchall()
    return [_row(r) for r in rows]


def get_mapping(store: Any, code: str) -> MappingRow | None:
    rows = list_mappings(store, "all", [code])
    return rows[0] if rows else None


def mapping_count(store: Any) -> int:
    with store.read_connection() as conn:
        return int(conn.exec_driver_sql("SELECT COUNT(*) FROM medins_mappings").scalar() or 0)


def import_file(ctx: Any, path: str | Path, *, actor: Any, begndate: date | None = None,
                enddate: date = DEFAULT_ENDDATE) -> ImportReport:
    """Read the HIS item list and keep its good rows (new → pending; a changed national code or list
    type → pending again, to be uploaded anew; same mapping → name/spec/price refreshed, state kept)."""
    require_it(actor)
    from offline_cache.catalog import get_item

    def list_type_of(code: str) -> str | None:
        item = get_item(ctx.store, ctx.admdvs, code, valid_only=False)
        return getattr(item, "list_type", None) if item is not None else None

    table = read_table(path)
    good, bad = parse_rows(table, list_type_of=list_type_of, begndate=begndate, enddate=enddate)
    rep = ImportReport(str(path), rows=len(good) + len(bad), errors=bad)
    now = _now()
    with ctx.store.connection() as conn:
        for m in good:
            old = conn.exec_driver_sql("SELECT med_list_codg, list_type, state, fixmedins_hilist_name, spec, prcunt, "
                                       "pric, begndate, enddate FROM medins_mappings WHERE fixmedins_hilist_id = ?",
                                       (m.fixmedins_hilist_id,)).fetchone()
            vals = (m.fixmedins_hilist_name, m.med_list_codg, m.list_type, m.begndate.isoformat(),
                    m.enddate.isoformat(), m.spec, m.prcunt, None if m.pric is None else format(m.pric, "f"))
            if old is None:
                conn.exec_driver_sql(
                    "INSERT INTO medins_mappings (fixmedins_hilist_id, fixmedins_hilist_name, med_list_codg, list_type, "
                    "begndate, enddate, spec, prcunt, pric, state, imported_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)", (m.fixmedins_hilist_id, *vals, now, now))
                rep.added += 1
                continue
            remap = (old[0], old[1]) != (m.med_list_codg, m.list_type) or old[2] == "revoked"
            before = (old[3], old[0], old[1], str(old[7])[:10], str(old[8])[:10], old[4], old[5],
                      None if old[6] is None else str(old[6]))
            if not remap and before == vals:
                rep.unchanged += 1
                continue
            prev = (old[0], old[1]) if remap and old[2] == "uploaded" else (None, None)
            conn.exec_driver_sql(
                "UPDATE medins_mappings SET fixmedins_hilist_name = ?, med_list_codg = ?, list_type = ?, begndate = ?, "
                "enddate = ?, spec = ?, prcunt = ?, pric = ?, updated_at = ?"
                + (", state = 'pending', err_msg = NULL, msgid = NULL, prev_med_list_codg = COALESCE(prev_med_list_codg, ?), "
                   "prev_list_type = COALESCE(prev_list_type, ?)" if remap else "")
                + " WHERE fixmedins_hilist_id = ?", (*vals, now, *(prev if remap else ()), m.fixmedins_hilist_id))
            rep.changed += 1
        audit.record(conn, actor.code, "mapping_import",
                     {"file": Path(path).name, "rows": rep.rows, "added": rep.added, "changed": rep.changed,
                      "bad_rows": len(bad)}, at=now)
    return rep


# ------------------------------------------------------------------------------------ platform
def _answer(out: Any) -> str:
    try:
        return json.dumps(getattr(out, "output", None) or {}, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return "{}"


def upload(ctx: Any, *, actor: Any, codes: list[str] | None = None, retry_refused: bool = False) -> UploadReport:
    """3301 for each pending row (and refused rows with ``retry_refused``), one item per call. The
    msgid is committed on the row before the call; the answer is recorded per row."""
    require_it(actor)
    wanted = [m for m in list_mappings(ctx.store, "all", codes)
              if m.state == "pending" or (retry_refused and m.state == "refused")]
    if codes:
        known = {m.fixmedins_hilist_id for m in list_mappings(ctx.store, "all", codes)}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ServiceError("invalid_input", f"本地对照表中没有院内编码：{'、'.join(unknown)}（请先 mapping import）。")
    rep = UploadReport()
    for m in wanted:
        prev = _prev_of(ctx.store, m.fixmedins_hilist_id)
        if prev is not None:           # the code was mapped to another national code: 3302 that one first
            msgid = ctx.new_msgid()
            with ctx.store.connection() as conn:
                conn.exec_driver_sql("UPDATE medins_mappings SET msgid = ?, updated_at = ? WHERE fixmedins_hilist_id = ?",
                                     (msgid, _now(), m.fixmedins_hilist_id))
            rep.sent += 1
            try:
                ctx.call(RevokeMapping(fixmedins_code=ctx.fixmedins_code, fixmedins_hilist_id=m.fixmedins_hilist_id,
                                       list_type=prev[1], med_list_codg=prev[0]), msgid=msgid)
            except BusinessError as exc:
                why = f"撤销原对照（{prev[0]}）被拒绝：{exc.err_msg or exc}"
                _set(ctx, m.fixmedins_hilist_id, "refused", why, None)
                rep.refused[m.fixmedins_hilist_id] = why
                continue
            except TransportError as exc:
                _set(ctx, m.fixmedins_hilist_id, "pending", f"撤销原对照（{prev[0]}）没有得到应答：{exc}", None)
                if exc.outcome_unknown:
                    rep.unknown.append(m.fixmedins_hilist_id)
                rep.stopped = f"与医保中心的连接中断，已停止上传（{exc}）"
                break
            with ctx.store.connection() as conn:
                conn.exec_driver_sql("UPDATE medins_mappings SET prev_med_list_codg = NULL, prev_list_type = NULL "
                                     "WHERE fixmedins_hilist_id = ?", (m.fixmedins_hilist_id,))
        msgid = ctx.new_msgid()
        with ctx.store.connection() as conn:
            conn.exec_driver_sql("UPDATE medins_mappings SET msgid = ?, updated_at = ? WHERE fixmedins_hilist_id = ?",
                                 (msgid, _now(), m.fixmedins_hilist_id))
        req = UploadMapping(fixmedins_hilist_id=m.fixmedins_hilist_id, fixmedins_hilist_name=m.fixmedins_hilist_name,
                            list_type=m.list_type, med_list_codg=m.med_list_codg, begndate=m.begndate.isoformat(),
                            enddate=m.enddate.isoformat(), spec=m.spec, prcunt=m.prcunt)
        rep.sent += 1
        try:
            out = ctx.call(req, msgid=msgid)
        except BusinessError as exc:
            _set(ctx, m.fixmedins_hilist_id, "refused", exc.err_msg or str(exc), None)
            rep.refused[m.fixmedins_hilist_id] = exc.err_msg or str(exc)
            continue
        except TransportError as exc:
            note = ("应答丢失，结果未知：可用 medsettle mapping query 查询医保中心是否已有该对照后再上传"
                    if exc.outcome_unknown else f"未发送：{exc}")
            _set(ctx, m.fixmedins_hilist_id, "pending", note, None)
            if exc.outcome_unknown:
                rep.unknown.append(m.fixmedins_hilist_id)
            rep.stopped = f"与医保中心的连接中断，已停止上传（{exc}）"
            break
        _set(ctx, m.fixmedins_hilist_id, "uploaded", None, _answer(out), uploaded=True)
        rep.accepted.append(m.fixmedins_hilist_id)
    audit.record(ctx.store, actor.code, "mapping_upload",
                 {"sent": rep.sent, "accepted": len(rep.accepted), "refused": len(rep.refused),
                  "unknown": len(rep.unknown)})
    return rep


def _prev_of(store: Any, code: str) -> tuple[str, str] | None:
    with store.read_connection() as conn:
        r = conn.exec_driver_sql("SELECT prev_med_list_codg, prev_list_type FROM medins_mappings "
                                 "WHERE fixmedins_hilist_id = ?", (code,)).fetchone()
    return (r[0], r[1]) if r and r[0] else None


def _set(ctx: Any, code: str, state: str, err: str | None, answer: str | None, *, uploaded: bool = False) -> None:
    now = _now()
    with ctx.store.connection() as conn:
        conn.exec_driver_sql(
            "UPDATE medins_mappings SET state = ?, err_msg = ?, answer_json = COALESCE(?, answer_json), updated_at = ?"
            + (", uploaded_at = ?" if uploaded else "") + " WHERE fixmedins_hilist_id = ?",
            (state, err, answer, now, *((now,) if uploaded else ()), code))


def revoke(ctx: Any, code: str, *, actor: Any) -> MappingRow:
    """3302 目录对照撤销 of an accepted mapping; the row becomes 'revoked' (fee lines of that item stop)."""
    require_it(actor)
    m = get_mapping(ctx.store, code)
    if m is None:
        raise ServiceError("invalid_input", f"本地对照表中没有院内编码“{code}”。")
    if m.state != "uploaded":
        raise ServiceError("invalid_input", f"“{m.fixmedins_hilist_name}”（{code}）的对照状态是{STATE_LABELS[m.state]}，"
                                            "只有已上传的对照需要撤销。")
    msgid = ctx.new_msgid()
    with ctx.store.connection() as conn:
        conn.exec_driver_sql("UPDATE medins_mappings SET msgid = ?, updated_at = ? WHERE fixmedins_hilist_id = ?",
                             (msgid, _now(), code))
    try:
        out = ctx.call(RevokeMapping(fixmedins_code=ctx.fixmedins_code, fixmedins_hilist_id=code,
                                     list_type=m.list_type, med_list_codg=m.med_list_codg), msgid=msgid)
    except BusinessError as exc:
        raise ServiceError("refused", f"医保中心拒绝撤销“{m.fixmedins_hilist_name}”的对照：{exc.err_msg}",
                           detail=exc.err_msg, system="insurance") from None
    except TransportError as exc:
        raise ServiceError("offline" if not exc.outcome_unknown else "unknown",
                           f"撤销对照没有得到医保中心的应答（{exc}）；可用 medsettle mapping query 查询后再试。",
                           system="insurance") from None
    _set(ctx, code, "revoked", None, _answer(out))
    audit.record(ctx.store, actor.code, "mapping_revoke", {"code": code, "med_list_codg": m.med_list_codg})
    return get_mapping(ctx.store, code)  # type: ignore[return-value]


def query(ctx: Any, *, infno: str = "1317", code: str | None = None, national: str | None = None,
          list_type: str | None = None, updt_time: str = "2000-01-01 00:00:00", page_size: int = 100,
          max_pages: int = 50) -> list[dict]:
    """1317 (this institution's mappings as the platform holds them) or 1316 (national ↔ 医保目录
    matches); all pages up to ``max_pages``. Read-only."""
    rows: list[dict] = []
    page = 1
    while page <= max_pages:
        if infno == "1316":
            req: Any = QueryMedListMatch(insu_admdvs=ctx.admdvs, updt_time=updt_time, page_num=page,
                                         page_size=page_size, medins_list_codg=code, hilist_code=national,
                                         list_type=list_type)
        else:
            req = QueryMedinsMatch(insu_admdvs=ctx.admdvs, updt_time=updt_time, fixmedins_code=ctx.fixmedins_code,
                                   page_num=page, page_size=page_size, medins_list_codg=code, med_list_codg=national,
                                   list_type=list_type)
        try:
            res = ctx.call(req)
        except BusinessError as exc:
            raise ServiceError("refused", f"医保中心拒绝了{infno}查询：{exc.err_msg}", detail=exc.err_msg,
                               system="insurance") from None
        except TransportError as exc:
            raise ServiceError("offline", f"{infno}查询没有得到医保中心的应答（{exc}）。", system="insurance") from None
        rows.extend(res.rows)
        if res.last_page or not res.rows or page >= max(res.pages, 1):
            break
        page += 1
    return rows


# ------------------------------------------------------------------------------------ fee lines
@dataclass(frozen=True)
class Resolved:
    med_list_codg: str          # national code
    medins_list_codg: str       # the hospital's own code


def resolve_line(store: Any, *, hosp_code: str, national: str, name: str, where: str = "") -> Resolved:
    """The two codes of one fee line, or ServiceError('invalid_input') naming the item (未对照).

    * no hospital code → the hospital code of an accepted mapping of that national code when there is
      one (a line typed or scanned from the national catalogue at a site that maps), else the
      national code in both fields (as before mapping existed);
    * a hospital code → its mapping must exist and be accepted (3301); the line's own national code,
      if it has one, must agree with the mapping. While the local mapping table is empty a line that
      carries both codes is taken as the HIS gives it (a site that does not map yet)."""
    if not hosp_code:
        with store.read_connection() as conn:
            row = conn.exec_driver_sql("SELECT fixmedins_hilist_id FROM medins_mappings WHERE med_list_codg = ? "
                                       "AND state = 'uploaded' ORDER BY fixmedins_hilist_id LIMIT 1",
                                       (national,)).fetchone()
        return Resolved(national, row[0] if row else national)
    label = f"{where + '：' if where else ''}“{name or hosp_code}”（院内编码 {hosp_code}）"
    m = get_mapping(store, hosp_code)
    if m is None:
        if national and mapping_count(store) == 0:
            return Resolved(national, hosp_code)
        raise ServiceError("invalid_input", f"{label}未对照医保目录：请信息科在目录对照中导入并上传该项目"
                                            "（medsettle mapping import / upload）后再结算。")
    if m.state != "uploaded":
        why = {"pending": "对照尚未上传医保中心", "refused": f"对照被医保中心拒绝（{m.err_msg or '未说明原因'}）",
               "revoked": "对照已撤销"}[m.state]
        raise ServiceError("invalid_input", f"{label}未对照医保目录：{why}。请信息科处理目录对照后再结算。")
    if national and national != m.med_list_codg:
        raise ServiceError("invalid_input", f"{label}的医保编码 {national} 与目录对照中的 {m.med_list_codg} 不一致，"
                                            "请信息科核对 HIS 与目录对照。")
    return Resolved(m.med_list_codg, hosp_code)
