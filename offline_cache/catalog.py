"""Treatment-place catalogue: bulk upsert (1301-1321 / 1312 pages) and ranked search.

Search design (docs/store.md §Search):
* the derived search columns (pinyin initials, full pinyin, 1-2 character grams) and the FTS5
  indexes live on ``catalog_names``, one row per DISTINCT name (a catalogue repeats a name across
  specifications, manufacturers, regions and versions); ``catalog_items.name_id`` points to it;
* exact code / barcode and code prefix use the (admdvs, med_list_codg) unique index and the
  (admdvs, barcode) index; name, pinyin-initials and full-pinyin *prefix* walk the catalog_names
  index of that column in order, then the region's items of each name ((name_id, admdvs) index),
  so LIMIT stops early;
* substrings of >= 3 characters use FTS5 ``trigram`` tables: ``catalog_fts`` (name) and
  ``catalog_pyfts`` (pinyin initials); 1-2 character substrings use ``catalog_grams``, an FTS5
  ``unicode61`` table (detail=column) over pre-computed 1- and 2-character grams (trigram cannot
  match < 3); all are external-content tables over ``catalog_names`` kept in sync by triggers
  (a name written pending by a download enters them when ``index_pending_names`` fills in its
  search columns, see "deferred search index");
* full pinyin is matched by prefix (``toubao`` → 头孢…), not as a substring.

Ranking (deterministic): exact code, exact barcode, code prefix, name prefix, name substring,
pinyin-initials prefix, initials substring, full-pinyin prefix. Inside a prefix tier: index order
(column value, then id — shorter completions first); inside a substring tier: the first
``SUBSTRING_CANDIDATES`` hits in name order (first appearance of the name, then item id), ranked
by name length, name, code.
Only entries valid on the search date are returned (vali_flag '1', begndate <= d <= enddate).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import json.encoder as _json_encoder
import operator
import queue
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pypinyin import lazy_pinyin

from .types import to_decimal_text

CATALOG_COLUMNS = (
    "admdvs", "med_list_codg", "list_type", "name", "spec", "unit", "chrgitm_lv", "med_chrgitm_type",
    "selfpay_prop", "pric_uplmt_amt", "pric", "barcode", "begndate", "enddate", "vali_flag", "ver", "rid",
    # migration 0006c: the national fields of the real files (client.domain.catalog_layouts)
    "dosform", "prodentp_name", "wubi", "pinyin", "lmt_used_flag", "extra_json",
)
# Columns a catalogue FILE does not carry (class and type from 1312, ratio from 1319, limit from
# 1318, the hospital's price and barcode are local): an upsert whose value is NULL keeps the stored
# value instead of blanking it (real files would otherwise blank every row).
KEEP_IF_NULL = ("chrgitm_lv", "med_chrgitm_type", "selfpay_prop", "pric_uplmt_amt", "pric", "barcode",
                "lmt_used_flag")
NATIONAL_COLUMNS = ("dosform", "prodentp_name", "wubi", "pinyin", "lmt_used_flag", "extra_json")
SEARCH_COLUMNS = ("pinyin_initials", "pinyin_full", "name_grams", "initials_grams")
_DECIMAL_COLUMNS = ("selfpay_prop", "pric_uplmt_amt", "pric")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PLAIN_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?").fullmatch
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_CJK_SPLIT = re.compile(r"([\u3400-\u9fff\uf900-\ufaff]+)")
_NOT_ALNUM_ANY = re.compile(r"[\W_]+")  # exactly the characters for which str.isalnum() is False
_TOP = "\U0010ffff"
DEFAULT_PAGE_SIZE = 5000
WAL_AUTOCHECKPOINT = 1000  # SQLite's default, restored after a multi-page load
# page cache of the bulk-load connection (KiB, negative = size): pages of the unique / barcode /
# name_id indexes touched by one page stay cached across page commits instead of being re-read
# from the WAL; restored after the load
LOAD_CACHE_KIB = -32768
LAST_LOAD_STATS: dict[str, float] = {}  # figures of the last upsert_catalog_rows (benchmarks)
# distinct names whose derived search columns are memoised for the inline-index path (single pages,
# apply_catalog_page, the ORM hook); about 0.5 KB an entry. An entry is dropped once its name row is
# written, so the memo holds the names of about one page in flight; the bound is only a safety net.
# Bulk loads write names pending and index_pending_names computes each name once, without the memo.
SEARCH_COLUMNS_CACHE = 262144
# committed name -> id entries kept per load (an int per name, ~100 bytes an entry)
KNOWN_NAMES_MAX = 262144

MATCH_KINDS = ("code", "barcode", "code_prefix", "name_prefix", "name", "initials_prefix", "initials",
               "pinyin_prefix", "pinyin")


# --------------------------------------------------------------------------- derived search columns


@functools.lru_cache(maxsize=262144)
def _run_pinyin(run: str) -> tuple[str, str]:
    """(full pinyin, initials) of one run of Chinese characters (cached: names share their Chinese part)."""
    syllables = lazy_pinyin(run)
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def _grams(chars: str, unigrams: bool) -> str:
    """Space-separated distinct 1-grams (optional) then 2-grams, in first-seen order."""
    bigrams = map(operator.add, chars, chars[1:])
    return " ".join(dict.fromkeys([*chars, *bigrams] if unigrams else bigrams))


def _search_columns(name: str) -> tuple[str, str, str, str]:
    initials: list[str] = []
    full: list[str] = []
    # re.split with a capturing group alternates: other, CJK run, other, ..., other
    for i, part in enumerate(_CJK_SPLIT.split(name)):
        if i % 2:
            f, ini = _run_pinyin(part)
            full.append(f)
            initials.append(ini)
        elif part:
            other = _NON_ALNUM.sub("", part.lower())
            full.append(other)
            initials.append(other)
    ini = "".join(initials)
    return ini, "".join(full), _grams(_NOT_ALNUM_ANY.sub("", name.lower()), True), _grams(ini, False)


_SEARCH_MEMO: dict[str, tuple[str, str, str, str]] = {}


def search_columns(name: str) -> tuple[str, str, str, str]:
    """(pinyin_initials, pinyin_full, name_grams, initials_grams) for a catalogue name.

    Chinese runs become pinyin (pypinyin, most common reading); other characters are kept when
    they are letters or digits (lower-cased), so ``头孢克洛胶囊0.25g`` → ``tbkljn025g`` /
    ``toubaokeluojiaonang025g``. Memoised per distinct name (catalogues repeat a name across
    specifications, manufacturers and versions); the memo is bounded (cleared when full).
    """
    name = name or ""
    hit = _SEARCH_MEMO.get(name)
    if hit is None:
        hit = _search_columns(name)
        if len(_SEARCH_MEMO) >= SEARCH_COLUMNS_CACHE:
            _SEARCH_MEMO.clear()
        _SEARCH_MEMO[name] = hit
    return hit


def clear_caches() -> None:
    """Forget memoised conversions (benchmarks measure cold loads)."""
    _SEARCH_MEMO.clear()
    _run_pinyin.cache_clear()
    _DEC_MEMO.clear()
    _DATE_MEMO.clear()



# --------------------------------------------------------------------------- upsert


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(self.inserted + other.inserted, self.updated + other.updated,
                            self.unchanged + other.unchanged)


class CatalogRowError(ValueError):
    """A catalogue row is invalid; the message is Chinese and names the row and field."""


def _opt_str(row: Mapping, key: str) -> str | None:
    v = row.get(key)
    if v is None:
        return None
    v = (v if type(v) is str else str(v)).strip()
    return v or None


# Successful conversions of the (few thousand) distinct decimal / date strings of a catalogue, so a
# 300,000-row load does not parse "0.10" 300,000 times. Bounded: cleared when full.
_MEMO_MAX = 65536
_DEC_MEMO: dict[str, str] = {}
_DATE_MEMO: dict[str, str] = {}


def _decimal_col(row: Mapping, col: str, where: str) -> str | None:
    v = row.get(col)
    if v is None:
        return None
    if type(v) is str:
        hit = _DEC_MEMO.get(v)
        if hit is not None:
            return hit
    raw = v if isinstance(v, Decimal) else _opt_str(row, col)
    try:
        out = to_decimal_text(raw, col)
    except ValueError as exc:
        raise CatalogRowError(f"目录数据{where}的 {col} 不是有效数值，本页未写入：{exc}") from None
    if type(v) is str and out is not None:
        if len(_DEC_MEMO) >= _MEMO_MAX:
            _DEC_MEMO.clear()
        _DEC_MEMO[v] = out
    return out


def _date_col(row: Mapping, col: str, where: str) -> str | None:
    v = row.get(col)
    if v is None:
        return None
    if isinstance(v, date):
        return v.isoformat()
    if type(v) is str:
        hit = _DATE_MEMO.get(v)
        if hit is not None:
            return hit
    s = _opt_str(row, col)
    if s is None:
        return None
    s = s[:10]
    try:
        if not _DATE_RE.match(s):
            raise ValueError(s)
        date.fromisoformat(s)
    except ValueError:
        raise CatalogRowError(f"目录数据{where}的 {col} 不是有效日期（{s}），本页未写入。") from None
    if type(v) is str:
        if len(_DATE_MEMO) >= _MEMO_MAX:
            _DATE_MEMO.clear()
        _DATE_MEMO[v] = s
    return s


def _where(index: int, code: str | None) -> str:
    return f"第 {index + 1} 行（{code or '无编码'}）"


_STR_KEYS = ("list_type", "spec", "unit", "chrgitm_lv", "med_chrgitm_type", "barcode", "vali_flag", "ver", "rid",
             *NATIONAL_COLUMNS)


_CHRGITM_LV = frozenset({"01", "02", "03"})      # 甲 / 乙 / 丙
_VALI_FLAG = frozenset({"0", "1"})
_LV_FAST = _CHRGITM_LV | {""}
_VF_FAST = _VALI_FLAG | {""}


def _ratio_ok(text: str) -> bool:
    """A plain (unsigned) decimal string ≤ 1."""
    return text[0] == "0" or text.rstrip("0").rstrip(".") == "1"


def _check_domain(index: int, code: str, lv, vf, sp, pu, pr) -> None:
    """Values a platform could send that are well-formed but meaningless for settlement."""
    where = _where(index, code)
    if lv is not None and lv not in _CHRGITM_LV:
        raise CatalogRowError(f"目录数据{where}的收费项目等级 chrgitm_lv={lv} 无效（应为 01 甲类、02 乙类或 03 丙类），本页未写入。")
    if vf is not None and vf not in _VALI_FLAG:
        raise CatalogRowError(f"目录数据{where}的有效标志 vali_flag={vf} 无效（应为 0 或 1），本页未写入。")
    for col, v in (("selfpay_prop", sp), ("pric_uplmt_amt", pu), ("pric", pr)):
        if v is not None and v.startswith("-"):
            raise CatalogRowError(f"目录数据{where}的 {col}={v} 不能为负数，本页未写入。")
    if sp is not None and not _ratio_ok(sp):
        raise CatalogRowError(f"目录数据{where}的自付比例 selfpay_prop={sp} 超出 0–1，本页未写入。")


def _row_tuple(row: Mapping, admdvs: str, index: int) -> tuple:
    """One validated row in CATALOG_COLUMNS order.

    Hot path of a catalogue load (300,000 rows): no per-column function calls for plain strings,
    decimal / date strings seen before come from a memo of successful conversions.
    """
    g = row.get
    code = g("med_list_codg")
    if code is not None:
        code = (code if type(code) is str else str(code)).strip() or None
    if not code:
        raise CatalogRowError(f"目录数据{_where(index, code)}缺少医疗目录编码 med_list_codg，本页未写入，请重新下载目录。")
    name = g("name")
    if name is not None:
        name = (name if type(name) is str else str(name)).strip()
    if not name:
        raise CatalogRowError(f"目录数据{_where(index, code)}缺少名称 name，本页未写入，请重新下载目录。")
    row_admdvs = _opt_str(row, "admdvs")
    if row_admdvs is not None and row_admdvs != admdvs:
        raise CatalogRowError(f"目录数据{_where(index, code)}的区划 {row_admdvs} 与本次下载的区划 {admdvs} "
                              "不一致，本页未写入。")
    list_type, spec, unit, chrgitm_lv, med_chrgitm_type, barcode, vali_flag, ver, rid, *national = [
        None if (v := g(k)) is None else ((v if type(v) is str else str(v)).strip() or None) for k in _STR_KEYS]
    # decimals are checked before dates, in CATALOG_COLUMNS order (which error a bad row reports)
    # a plain decimal string ("12.50", "0", no sign/exponent/leading zero/space) is already the exact
    # text to_decimal_text would produce (prices are mostly distinct: a memo does not help them)
    pd = _PLAIN_DECIMAL
    v = g("selfpay_prop")
    selfpay_prop = None if v is None else (v if type(v) is str and pd(v) else
                                           _decimal_col(row, "selfpay_prop", _where(index, code)))
    v = g("pric_uplmt_amt")
    pric_uplmt_amt = None if v is None else (v if type(v) is str and pd(v) else
                                             _decimal_col(row, "pric_uplmt_amt", _where(index, code)))
    v = g("pric")
    pric = None if v is None else (v if type(v) is str and pd(v) else _decimal_col(row, "pric", _where(index, code)))
    tm = _DATE_MEMO
    v = g("begndate")
    begndate = None if v is None else (type(v) is str and tm.get(v)) or _date_col(row, "begndate", _where(index, code))
    v = g("enddate")
    enddate = None if v is None else (type(v) is str and tm.get(v)) or _date_col(row, "enddate", _where(index, code))
    _check_domain(index, code, chrgitm_lv, vali_flag, selfpay_prop, pric_uplmt_amt, pric)
    return (admdvs, code, list_type, name, spec, unit, chrgitm_lv, med_chrgitm_type, selfpay_prop, pric_uplmt_amt,
            pric, barcode, begndate, enddate, vali_flag or "1", ver, rid, *national)


_UPDATABLE = [c for c in CATALOG_COLUMNS if c not in ("admdvs", "med_list_codg")] + ["name_id"]
_ITEM_COLUMNS = (*CATALOG_COLUMNS, "name_id")

def _new_value(c: str) -> str:
    return f"coalesce(excluded.{c}, catalog_items.{c})" if c in KEEP_IF_NULL else f"excluded.{c}"


_CONFLICT = (
    "ON CONFLICT(admdvs, med_list_codg) DO UPDATE SET "
    + ", ".join(f"{c} = {_new_value(c)}" for c in _UPDATABLE)
    + f" WHERE ({', '.join('catalog_items.' + c for c in _UPDATABLE)}) "
      f"IS NOT ({', '.join(_new_value(c) for c in _UPDATABLE)})"
)
# catalog_items carries no search index of its own (no triggers): a plain row-by-row upsert, like a
# raw executemany, with the row's name_id resolved beforehand (see _name_ids).
UPSERT_SQL = (f"INSERT INTO catalog_items ({', '.join(_ITEM_COLUMNS)}) "
              f"VALUES ({', '.join('?' for _ in _ITEM_COLUMNS)}) {_CONFLICT}")
# The items of a page are written by multi-row statements (INSERT ... VALUES (..), (..), ... ON
# CONFLICT ...) of CHUNK_ROWS rows: the same per-row work inside SQLite as executemany, but the
# sqlite3 module releases the GIL once per statement instead of once per row, so a converter
# thread (see _Prefetch) runs in parallel instead of fighting for the GIL after every row.
CHUNK_ROWS = 500


@functools.lru_cache(maxsize=8)
def _upsert_chunk_sql(n: int) -> str:
    one = f"({', '.join('?' for _ in _ITEM_COLUMNS)})"
    return f"INSERT INTO catalog_items ({', '.join(_ITEM_COLUMNS)}) VALUES {', '.join([one] * n)} {_CONFLICT}"


# New distinct names of a page (with their search columns) are passed as ONE JSON array and
# inserted by ONE INSERT ... SELECT FROM json_each(?): the FTS5 triggers on catalog_names then index
# them within a single statement (FTS5 flushes its pending-term buffer at every statement boundary;
# row-by-row inserts would write one tiny segment per name per FTS table), and no per-row binding.
_NAME_COLUMNS = ("name", *SEARCH_COLUMNS)
_NAME_INSERT = (f"INSERT INTO catalog_names ({', '.join(_NAME_COLUMNS)}) "
                f"SELECT {', '.join(f'j.value ->> {i}' for i in range(len(_NAME_COLUMNS)))} FROM json_each(?) j "
                "WHERE NOT EXISTS (SELECT 1 FROM catalog_names n WHERE n.name = j.value ->> 0) ORDER BY j.key")
# deferred search index (a catalogue download): the name only; its search columns stay NULL
# ("pending") and the FTS5 triggers skip it until index_pending_names() fills them in
_NAME_INSERT_PENDING = ("INSERT INTO catalog_names (name) SELECT j.value FROM json_each(?) j "
                        "WHERE NOT EXISTS (SELECT 1 FROM catalog_names n WHERE n.name = j.value) ORDER BY j.key")
# ids of a page's names in one statement (a JSON array parameter; the unique index on name)
_NAME_LOOKUP = "SELECT n.name, n.id FROM json_each(?) j CROSS JOIN catalog_names n ON n.name = j.value"


def prepare_rows(rows: Iterable[Mapping], admdvs: str) -> list[tuple]:
    """Validate and convert rows (last occurrence of a code wins). Raises CatalogRowError."""
    by_code: dict[str, tuple] = {}
    for i, row in enumerate(rows):
        t = _row_tuple(row, admdvs, i)
        by_code.pop(t[1], None)
        by_code[t[1]] = t
    return list(by_code.values())


def prepare_fields(rows: Iterable[Sequence[str]], admdvs: str, columns: Sequence[str]) -> list[tuple]:
    """``prepare_rows`` for rows given as field lists (a downloaded catalogue file: one list of
    strings per line in ``columns`` order, ``""`` = null), without building a dict per row.

    Same result and same validation as ``prepare_rows(dicts)``: the common row (code and name
    present, region empty or ours, plain decimal strings, dates already seen) is converted inline;
    any other row goes through the dict path (``_row_tuple``), which converts it or raises the
    same Chinese CatalogRowError. Last occurrence of a code wins.
    """
    if any(c not in columns for c in CATALOG_COLUMNS if c not in NATIONAL_COLUMNS):
        return prepare_rows(({c: (f[i] if i < len(f) and f[i] != "" else None) for i, c in enumerate(columns)}
                             for f in rows), admdvs)
    if any(c not in columns for c in CATALOG_COLUMNS):
        return prepare_rows(({c: (f[i] if i < len(f) and f[i] != "" else None) for i, c in enumerate(columns)}
                             for f in rows), admdvs)
    ix = {c: i for i, c in enumerate(columns)}
    get = operator.itemgetter(*(ix[c] for c in CATALOG_COLUMNS))
    need = max(ix[c] for c in CATALOG_COLUMNS) + 1
    pd = _PLAIN_DECIMAL
    tm = _DATE_MEMO
    by_code: dict[str, tuple] = {}
    pop = by_code.pop
    for i, f in enumerate(rows):
        t = None
        if len(f) >= need:
            (a, code, lt, name, spec, unit, lv, typ, sp, pu, pr, bc, bd, ed, vf, ver, rid, *nat) = get(f)
            code = code.strip()
            name = name.strip()
            if (code and name and (a == admdvs or a.strip() in ("", admdvs))
                    and (sp == "" or (pd(sp) and _ratio_ok(sp))) and (pu == "" or pd(pu)) and (pr == "" or pd(pr))
                    and (bd == "" or bd in tm) and (ed == "" or ed in tm)
                    and lv.strip() in _LV_FAST and vf.strip() in _VF_FAST):
                t = (admdvs, code, lt.strip() or None, name, spec.strip() or None, unit.strip() or None,
                     lv.strip() or None, typ.strip() or None, sp or None, pu or None, pr or None,
                     bc.strip() or None, tm[bd] if bd else None, tm[ed] if ed else None,
                     vf.strip() or "1", ver.strip() or None, rid.strip() or None, *(x.strip() or None for x in nat))
        if t is None:   # the general path: converts the row or raises the Chinese error
            t = _row_tuple({c: (f[k] if k < len(f) and f[k] != "" else None) for k, c in enumerate(columns)},
                           admdvs, i)
        pop(t[1], None)
        by_code[t[1]] = t
    return list(by_code.values())


@dataclass
class FilePrepared:
    """A real-layout catalogue file converted for ``write_page``: the rows, the file's ``ver`` (the
    ver column of its last usable row) and the rows skipped (short, or an empty ver column)."""

    rows: list[tuple]
    ver: str | None
    skipped: int
    first_skipped: int | None = None      # 1-based line number of the first skipped row


def _pick(f: Sequence[str], ix: tuple[int, ...]) -> str | None:
    for i in ix:
        v = f[i].strip()
        if v:
            return v
    return None


# The training platform appends two columns AFTER the real layout: the hospital's unit price and the
# item's barcode (no national file carries either; a real hospital takes them from its HIS). Read
# only by a training window (``training=True``): a real file with more columns than its layout (a
# newer spec version) is never misread as prices. docs/central-interface.md, conventions table.
TRAINING_EXTENSION = ("pric", "barcode")


def file_ver(rows: Sequence[Sequence[str]], layout) -> str | None:
    """The ver of a downloaded file without converting it: the ver column of its last usable row
    (a row long enough for the layout's ver column, with a non-empty ver) — the same row
    ``prepare_layout`` / ``prepare_dise`` take it from. None when no row has one."""
    i = layout.ver_index
    for f in reversed(rows):
        if len(f) > i and (v := f[i].strip()):
            return v
    return None


def last_line_ver(text: str, layout) -> str | None:
    """``file_ver`` of a file's TSV text, reading only its last lines (from the end, blank lines
    ignored) — what the download thread needs to ask for the next file."""
    end = len(text)
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        end = start - 1
        if not line.strip():
            continue
        v = file_ver([line.rstrip("\r").split("\t")], layout)
        if v is not None:
            return v
    return None


def prepare_layout(rows: Sequence[Sequence[str]], admdvs: str, layout, *, training: bool = False) -> FilePrepared:
    """Convert the rows of one real catalogue file (``client.domain.catalog_layouts.Layout`` of kind
    "item": tab-separated fields in the layout's column order, no header) into CATALOG_COLUMNS tuples.

    The window's common fields are taken BY NAME through ``layout.fields``; the file carries no
    class / ratio / limit / price (those tuple slots are None, and ``KEEP_IF_NULL`` keeps the stored
    values). A row shorter than the layout's ``ver`` column or whose ``ver`` is empty is skipped and
    counted (never a source of the file's ver); the file's ``ver`` is that of its last usable row.
    Any other bad value (no code, no name, a bad date, vali_flag not 0/1) raises the Chinese
    CatalogRowError and nothing of the file is written. Last occurrence of a code wins.

    Hot path (300,000 rows): the loop is generated once per layout as straight-line Python
    (``_layout_converter``) — column positions are constants, no call per field; the kind-specific
    JSON is assembled from ``json.encoder.encode_basestring`` pieces (the same text as
    ``json.dumps(d, ensure_ascii=False)``).
    """
    return _layout_converter(layout, training)(rows, admdvs)


_CONVERTERS: dict[tuple, Callable] = {}


def _pick_expr(ix: tuple[int, ...]) -> str:
    if not ix:
        return "None"
    return "(" + " or ".join(f"f[{i}].strip()" for i in ix) + " or None)"


def _layout_converter(layout, training: bool) -> Callable:
    key = (layout.infno, layout.columns, tuple(sorted((k, v) for k, v in layout.fields.items())), layout.extra,
           layout.list_type, training)
    fn = _CONVERTERS.get(key)
    if fn is not None:
        return fn
    pos = {c: i for i, c in enumerate(layout.columns)}

    def ix(k: str) -> tuple[int, ...]:
        v = layout.fields.get(k)
        if v is None:
            return ()
        return tuple(pos[n] for n in ((v,) if isinstance(v, str) else v) if n in pos)

    if not ix("med_list_codg") or not ix("name"):
        raise CatalogRowError(f"{layout.title}的文件格式没有编码或名称列，无法读取。")
    full = len(layout.columns)
    extra = [(c, pos[c]) for c in layout.extra if c in pos]
    lines = [
        "def convert(rows, admdvs):",
        "    by_code = {}",
        "    pop = by_code.pop",
        "    skipped = 0",
        "    first_skipped = None",
        "    last_ver = None",
        "    for n, f in enumerate(rows):",
        f"        if len(f) <= {layout.ver_index} or not (ver := f[{layout.ver_index}].strip()):",
        "            skipped += 1",
        "            if first_skipped is None:",
        "                first_skipped = n + 1",
        "            continue",
        f"        if len(f) < {full}:",
        f"            f = [*f, *([''] * ({full} - len(f)))]",
        f"        code = f[{ix('med_list_codg')[0]}].strip()",
        f"        name = {_pick_expr(ix('name'))}",
        "        if not code or not name:",
        f"            _bad_row({layout.title!r}, n, code)",
        f"        vf = {_pick_expr(ix('vali_flag'))} or '1'",
        "        if vf not in VF:",
        f"            _bad_flag({layout.title!r}, n, code, vf)",
        f"        lmt = {_pick_expr(ix('lmt_used_flag'))}",
        "        if lmt is not None and lmt not in VF:",
        "            lmt = None",
        f"        bd = {_pick_expr(ix('begndate'))}",
        "        if bd is not None:",
        "            bd = tm.get(bd) or _date_col({'begndate': bd}, 'begndate', _where(n, code))",
        f"        ed = {_pick_expr(ix('enddate'))}",
        "        if ed is not None:",
        "            ed = tm.get(ed) or _date_col({'enddate': ed}, 'enddate', _where(n, code))",
    ]
    if extra:
        lines.append("        parts = []")
        for c, i in extra:
            lines += [f"        v = f[{i}].strip()",
                      "        if v:",
                      f"            parts.append({json.dumps(c) + ': '!r} + esc(v))"]
        lines.append("        ex = ('{' + ', '.join(parts) + '}') if parts else None")
    else:
        lines.append("        ex = None")
    if training:
        lines += ["        pr = bc = None",
                  f"        if len(f) > {full}:",
                  f"            pr = f[{full}].strip() or None",
                  "            if pr is not None and not PD(pr):",
                  "                pr = _decimal_col({'pric': pr}, 'pric', _where(n, code))",
                  f"            bc = (f[{full + 1}].strip() or None) if len(f) > {full + 1} else None"]
    else:
        lines.append("        pr = bc = None")
    lines += [
        f"        t = (admdvs, code, {layout.list_type!r}, name, {_pick_expr(ix('spec'))}, {_pick_expr(ix('unit'))}, "
        f"None, None, None, None, pr, bc, bd, ed, vf, ver, {_pick_expr(ix('rid'))}, {_pick_expr(ix('dosform'))}, "
        f"{_pick_expr(ix('prodentp_name'))}, {_pick_expr(ix('wubi'))}, {_pick_expr(ix('pinyin'))}, lmt, ex)",
        "        pop(code, None)",
        "        by_code[code] = t",
        "        last_ver = ver",
        "    return FilePrepared(list(by_code.values()), last_ver, skipped, first_skipped)",
    ]
    scope = {"VF": _VALI_FLAG, "tm": _DATE_MEMO, "_date_col": _date_col, "_where": _where, "PD": _PLAIN_DECIMAL,
             "_decimal_col": _decimal_col, "esc": _json_encoder.encode_basestring, "FilePrepared": FilePrepared,
             "_bad_row": _bad_row, "_bad_flag": _bad_flag}
    exec(compile("\n".join(lines), f"<catalogue layout {layout.infno}>", "exec"), scope)  # noqa: S102 - our own text
    fn = scope["convert"]
    _CONVERTERS[key] = fn
    return fn


def _bad_row(title: str, n: int, code: str) -> None:
    if not code:
        raise CatalogRowError(f"{title}文件{_where(n, None)}缺少医疗目录编码 med_list_codg，本文件未写入，请重新下载目录。")
    raise CatalogRowError(f"{title}文件{_where(n, code)}缺少名称，本文件未写入，请重新下载目录。")


def _bad_flag(title: str, n: int, code: str, vf: str) -> None:
    raise CatalogRowError(f"{title}文件{_where(n, code)}的有效标志 vali_flag={vf} 无效（应为 0 或 1），本文件未写入。")


def prepare_dise(rows: Sequence[Sequence[str]], layout) -> FilePrepared:
    """``prepare_layout`` for a disease list (1307 / 1309, layout kind "dise"): tuples
    (infno, code, name, vali_flag, rid, ver, extra_json) for ``DISE_UPSERT``."""
    pos = {c: i for i, c in enumerate(layout.columns)}

    def ix(key: str) -> tuple[int, ...]:
        v = layout.fields.get(key)
        if v is None:
            return ()
        return tuple(pos[n] for n in ((v,) if isinstance(v, str) else v) if n in pos)

    code_i, name_i, vf_i, rid_i = ix("code"), ix("name"), ix("vali_flag"), ix("rid")
    ver_i = layout.ver_index
    extra = tuple((c, pos[c]) for c in layout.extra if c in pos)
    need = max(ver_i, *code_i, *name_i) + 1
    out: dict[str, tuple] = {}
    skipped, first_skipped, last_ver = 0, None, None
    for n, f in enumerate(rows):
        if len(f) < need or not (ver := f[ver_i].strip()):
            skipped += 1
            first_skipped = first_skipped or n + 1
            continue
        code, name = _pick(f, code_i), _pick(f, name_i)
        if not code or not name:
            raise CatalogRowError(f"{layout.title}文件{_where(n, code)}缺少编码或名称，本文件未写入，请重新下载目录。")
        d = {c: v for c, i in extra if i < len(f) and (v := f[i].strip())}
        out.pop(code, None)
        out[code] = (layout.infno, code, name, (_pick(f, vf_i) if vf_i and len(f) > max(vf_i) else None) or "1",
                     _pick(f, rid_i) if rid_i and len(f) > max(rid_i) else None, ver,
                     json.dumps(d, ensure_ascii=False) if d else None)
        last_ver = ver
    return FilePrepared(list(out.values()), last_ver, skipped, first_skipped)


DISE_UPSERT = ("INSERT INTO catalog_dise (infno, code, name, vali_flag, rid, ver, extra_json) VALUES (?, ?, ?, ?, ?, ?, ?) "
               "ON CONFLICT(infno, code) DO UPDATE SET name = excluded.name, vali_flag = excluded.vali_flag, "
               "rid = excluded.rid, ver = excluded.ver, extra_json = excluded.extra_json")


def _dbapi(conn):
    """The sqlite3 connection under a SQLAlchemy Core Connection (same transaction)."""
    return conn.connection.driver_connection


def _name_ids(raw: sqlite3.Connection, names: Iterable[str], known: dict[str, int] | None,
              index: bool = True) -> dict[str, int]:
    """name -> catalog_names.id for ``names``, inserting the new ones in the caller's transaction:
    with their search columns and FTS entries (``index=True``), or as pending names whose search
    index ``index_pending_names`` builds later (``index=False``). ``known`` holds ids already
    COMMITTED (names are never deleted, so a committed id stays valid); it is not modified here."""
    want = list(dict.fromkeys(names))
    out: dict[str, int] = {}
    if known:
        missing = []
        for nm in want:
            i = known.get(nm)
            if i is None:
                missing.append(nm)
            else:
                out[nm] = i
        want = missing
    if not want:
        return out
    found = dict(raw.execute(_NAME_LOOKUP, (json.dumps(want, ensure_ascii=False),)).fetchall())
    out.update(found)
    new = [nm for nm in want if nm not in found]
    if new:
        max_id = raw.execute("SELECT coalesce(max(id), 0) FROM catalog_names").fetchone()[0]
        if index:
            raw.execute(_NAME_INSERT, (json.dumps([(nm, *search_columns(nm)) for nm in new], ensure_ascii=False),))
            memo_pop = _SEARCH_MEMO.pop
            for nm in new:      # written: the caller's name -> id dict answers from now on
                memo_pop(nm, None)
        else:
            raw.execute(_NAME_INSERT_PENDING, (json.dumps(new, ensure_ascii=False),))
        # the rows just inserted (a rowid range scan; we hold the write lock)
        out.update(raw.execute("SELECT name, id FROM catalog_names WHERE id > ?", (max_id,)).fetchall())
    return out


def name_id_for(connection, name: str) -> int:
    """catalog_names.id of ``name`` (inserted if new) on a Core Connection, in its transaction."""
    return _name_ids(_dbapi(connection), [name or ""], None)[name or ""]


def write_page(conn, prepared: list[tuple], known_names: dict[str, int],
               also: Callable[[object], None] | None = None) -> UpsertResult:
    """One page of a bulk load in ONE transaction on ``conn`` (a ``bulk_load`` connection): the rows
    with their new names pending, plus ``also(conn)`` (e.g. the stream's new ``ver``) in the same
    transaction. ``known_names`` (name -> committed id, kept by the caller across pages) learns the
    page's ids only after the commit; it is bounded by KNOWN_NAMES_MAX."""
    used: dict[str, int] = {}
    with conn.begin():
        res = upsert_prepared(conn, prepared, known_names=known_names, new_names=used, index=False)
        if also is not None:
            also(conn)
    known_names.update(used)         # committed now
    if len(known_names) > KNOWN_NAMES_MAX:
        known_names.clear()
    return res


def upsert_prepared(conn, prepared: list[tuple], *, known_names: dict[str, int] | None = None,
                    new_names: dict[str, int] | None = None, index: bool = True) -> UpsertResult:
    """Upsert already prepared rows on a Core Connection inside the caller's transaction.

    Rows keep their order (new rows get ids in page order). Unchanged rows are not rewritten.
    ``known_names`` (optional): name -> id already committed; ``new_names`` (optional) receives the
    name ids used by this page (add them to ``known_names`` only after the commit).
    ``index=False`` (a bulk load): new names are written as pending; the caller runs
    ``index_pending_names`` once the rows are committed (see "deferred search index").
    """
    if not prepared:
        return UpsertResult(0, 0, 0)
    raw = _dbapi(conn)
    max_id = raw.execute("SELECT coalesce(max(id), 0) FROM catalog_items").fetchone()[0]
    ids = _name_ids(raw, (t[3] for t in prepared), known_names, index)
    if new_names is not None:
        new_names.update(ids)
    changed = 0
    for i in range(0, len(prepared), CHUNK_ROWS):
        part = prepared[i:i + CHUNK_ROWS]
        params: list = []
        for t in part:
            params += t
            params.append(ids[t[3]])
        changed += raw.execute(_upsert_chunk_sql(len(part)), params).rowcount
    inserted = raw.execute("SELECT count(*) FROM catalog_items WHERE id > ?", (max_id,)).fetchone()[0]
    return UpsertResult(inserted, changed - inserted, len(prepared) - changed)


# --------------------------------------------------------------------------- deferred search index
# A catalogue DOWNLOAD (1301/1305/1306 files, upsert_catalog_rows) commits its rows with their names
# as *pending* catalog_names rows (search columns NULL; the FTS5 triggers skip them), so the rows -
# what settlement, fee upload and code lookup need - are durable at the pace of a plain insert.
# index_pending_names() then computes the pinyin / grams of the pending names and writes them in
# batches; the UPDATE trigger adds each name to the three FTS5 indexes. Like building a secondary
# index after a bulk load, it costs about the same as indexing inline, but it is done once after the
# download instead of inside every file's transaction. Until a name is indexed, its items are
# found by code, barcode and name prefix, not by pinyin or substring. A load killed between the two
# steps leaves pending names, which the next index_pending_names() (every sync runs it, also after a
# failed download) picks up: the pending names are exactly the rows with NULL pinyin_initials
# (partial index ix_catalog_names_pending).

INDEX_BATCH = 10000
_PENDING_COUNT = "SELECT count(*) FROM catalog_names WHERE pinyin_initials IS NULL"
_PENDING_BATCH = "SELECT id, name FROM catalog_names WHERE pinyin_initials IS NULL AND id > ? ORDER BY id LIMIT ?"
# the JSON batch drives the loop: "+" keeps the planner off the pinyin_initials index (it would scan
# the pending names and the JSON array for each of them); "IS NULL" makes a concurrent indexer's
# second write of the same names a no-op
_INDEX_UPDATE = ("UPDATE catalog_names SET " + ", ".join(f"{c} = j.value ->> {i + 1}" for i, c in enumerate(SEARCH_COLUMNS))
                 + " FROM json_each(?) j WHERE catalog_names.id = j.value ->> 0 AND +catalog_names.pinyin_initials IS NULL")


@dataclass(frozen=True)
class IndexResult:
    names: int             # names indexed by this call
    batches: int
    seconds: float         # wall time (pinyin / grams + UPDATE + FTS5 + commit)


def pending_names(store) -> int:
    """Catalogue names whose search index is not built yet."""
    with store.read_connection() as conn:
        return conn.exec_driver_sql(_PENDING_COUNT).scalar_one()


def index_pending_names(store, *, batch: int = INDEX_BATCH,
                        progress: Callable[[int, int], None] | None = None) -> IndexResult:
    """Build the search index (pinyin, grams, FTS5) of every pending catalogue name.

    One transaction per ``batch`` names; the pinyin of a batch is computed outside the write lock
    (names never change, so a computed value cannot go stale). Safe to interrupt at any point and to
    run from two processes at once. ``progress(done, total)`` after every committed batch.
    """
    t0 = time.perf_counter()
    done = batches = 0
    total = pending_names(store)     # usually 0 (every start-up asks): no load connection, no checkpoint
    if not total:
        return IndexResult(0, 0, time.perf_counter() - t0)
    with bulk_load(store) as conn:
        raw = _dbapi(conn)
        # reads in autocommit mode (the pool's sqlite3 connection has isolation_level None); each
        # batch's writes in one BEGIN IMMEDIATE ... COMMIT (conn.begin())
        last = 0
        while True:
            rows = raw.execute(_PENDING_BATCH, (last, batch)).fetchall()
            if not rows:
                break
            payload = json.dumps([(i, *_search_columns(nm)) for i, nm in rows], ensure_ascii=False)
            with conn.begin():
                raw.execute(_INDEX_UPDATE, (payload,))
            last = rows[-1][0]
            done += len(rows)
            batches += 1
            if progress is not None:
                progress(min(done, total), total)
    return IndexResult(done, batches, time.perf_counter() - t0)


# --------------------------------------------------------------------------- pipeline
# Converting a page (validation, decimals, dates, pinyin / grams of new names) is Python work;
# writing it is mostly SQLite's C work, during which the sqlite3 module releases the GIL. A
# multi-page load therefore converts page N+1 on a worker thread while this thread writes page N.
# The worker never touches the database: every write, and so every guarantee (a page and its ver
# in one transaction, nothing of an invalid page written, ids in input order), stays on the
# writer thread.

PREFETCH_PAGES = 1        # converted pages waiting for the writer (bounded memory)
# While a pipeline runs, the interpreter's GIL switch interval is lowered from 5 ms to this: a
# thread coming back from a GIL-free SQLite call otherwise waits up to 5 ms for the converter to
# yield the GIL (a "convoy": measured 18 s instead of 2 s for 300,000 rows). Restored afterwards.
PIPELINE_SWITCH_INTERVAL = 5e-5
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.005


@contextlib.contextmanager
def short_gil_switch(interval: float = PIPELINE_SWITCH_INTERVAL) -> Iterator[None]:
    """Lower ``sys.setswitchinterval`` for the duration (nested / concurrent uses are counted)."""
    global _switch_users, _switch_saved
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(interval, _switch_saved))
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


class Prefetch:
    """Runs the generator ``produce()`` on a worker thread, at most ``depth`` items ahead.

    Iterate it on the consuming thread: items arrive in order; an exception raised by the
    generator is re-raised here after the items produced before it (so earlier pages are written,
    the failing one is not). ``close()`` (also on ``with`` exit) stops the worker and JOINS it —
    after success, after an error on either side, and on KeyboardInterrupt.
    """

    _END = object()

    def __init__(self, produce: Callable[[], Iterator], *, depth: int = PREFETCH_PAGES,
                 name: str = "catalog-convert"):
        self._q: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self.busy_seconds = 0.0          # time the worker spent producing (not waiting)
        self.wait_seconds = 0.0          # time the consumer spent waiting for an item
        self.thread = threading.Thread(target=self._run, args=(produce,), name=name, daemon=True)
        self.thread.start()

    def _put(self, msg) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(msg, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, produce) -> None:
        try:
            gen = produce()
            with contextlib.closing(gen):
                while not self._stop.is_set():
                    t = time.perf_counter()
                    try:
                        item = next(gen)
                    except StopIteration:
                        break
                    finally:
                        self.busy_seconds += time.perf_counter() - t
                    if not self._put((True, item)):
                        return
            self._put((True, self._END))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            self._put((False, exc))

    def __iter__(self) -> Iterator:
        while True:
            t = time.perf_counter()
            ok, item = self._q.get()
            self.wait_seconds += time.perf_counter() - t
            if not ok:
                self.close()
                raise item
            if item is self._END:
                self.close()
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        self.thread.join()

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _pages(rows: Iterable[Mapping], page_size: int) -> Iterator[list[Mapping]]:
    it = iter(rows)
    while page := list(itertools.islice(it, page_size)):
        yield page


def upsert_catalog_rows(store, rows: Iterable[Mapping], *, admdvs: str, page_size: int = DEFAULT_PAGE_SIZE,
                        pipeline: bool = True, build_index: bool = True) -> UpsertResult:
    """Insert or update catalogue rows of one region; one transaction per ``page_size`` rows.

    New names are written as pending and their search index is built once after the rows
    (``index_pending_names``; also when a page is refused, for the pages committed before it);
    ``build_index=False`` leaves that to the caller. LAST_LOAD_STATS["index_s"] is its time.

    A page is validated completely before it is written: an invalid row raises CatalogRowError and
    nothing of that page is written (earlier pages stay committed). ``pipeline=True`` (default): a
    load of more than one page converts page N+1 on a worker thread (``Prefetch``; it then consumes
    ``rows`` from the second page on) while this thread writes page N, as the sync service does.
    (It was off by default while the converter also computed the pinyin of every name: the GIL
    hand-offs then cost more than the overlap; with the search index deferred, the pipelined load
    takes ~2.2 s instead of ~2.8 s for 300,000 rows — bench/store_sync.py prints both modes.)
    """
    LAST_LOAD_STATS.clear()
    try:
        total = _load_rows(store, rows, admdvs, page_size, pipeline)
    except CatalogRowError:
        if build_index:
            index_pending_names(store)
        raise
    if build_index:
        LAST_LOAD_STATS["index_s"] = index_pending_names(store).seconds
    return total


def _load_rows(store, rows: Iterable[Mapping], admdvs: str, page_size: int, pipeline: bool) -> UpsertResult:
    total = UpsertResult(0, 0, 0)
    pages = _pages(rows, page_size)
    first = next(pages, None)
    stats = {"pages": 0, "convert_s": 0.0, "write_s": 0.0, "wait_s": 0.0, "checkpoint_s": 0.0,
             "pipelined": 0.0, "index_s": 0.0}
    if first is None:
        LAST_LOAD_STATS.update(stats)
        return total
    try:
        with bulk_load(store, stats) as conn:
            known: dict[str, int] = {}   # committed name ids (names are never deleted)

            def write(prepared: list[tuple]) -> UpsertResult:
                t = time.perf_counter()
                res = write_page(conn, prepared, known)
                stats["write_s"] += time.perf_counter() - t
                stats["pages"] += 1
                return res

            rest = next(pages, None)
            if rest is None or not pipeline:
                for page in itertools.chain([first], [rest] if rest is not None else [], pages):
                    t = time.perf_counter()
                    prepared = prepare_rows(page, admdvs)
                    stats["convert_s"] += time.perf_counter() - t
                    total = total + write(prepared)
            else:
                def produce() -> Iterator[list[tuple]]:
                    for page in itertools.chain([first, rest], pages):
                        yield prepare_rows(page, admdvs)

                stats["pipelined"] = 1.0
                with short_gil_switch(), Prefetch(produce) as pf:
                    for prepared in pf:
                        total = total + write(prepared)
                stats["convert_s"], stats["wait_s"] = pf.busy_seconds, pf.wait_seconds
    finally:
        LAST_LOAD_STATS.update(stats)
    return total


@contextlib.contextmanager
def bulk_load(store, stats: dict | None = None) -> Iterator:
    """One pooled Core connection for a multi-transaction catalogue load (the caller opens one
    ``conn.begin()`` per page / file: the write lock is released between them).

    The automatic WAL checkpoint after every commit is switched off for the load (it copies the same
    hot index pages into the database file again and again) and the page cache is enlarged (pages of
    the unique / barcode / name_id indexes touched by one page stay cached across commits); both
    are restored and ONE passive checkpoint is done at the end (its time in
    ``stats["checkpoint_s"]``). Every commit is still a durable (synchronous=FULL) WAL commit.
    """
    with store.engine.connect() as conn:
        raw = _dbapi(conn)
        raw.execute("PRAGMA wal_autocheckpoint = 0")
        old_cache = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute(f"PRAGMA cache_size = {LOAD_CACHE_KIB}")
        try:
            yield conn
        finally:
            raw.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")
            raw.execute(f"PRAGMA cache_size = {old_cache}")
            t_ckpt = time.perf_counter()
            with contextlib.suppress(sqlite3.Error):  # an optimisation; the next auto-checkpoint catches up
                raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
            if stats is not None:
                stats["checkpoint_s"] = time.perf_counter() - t_ckpt


# --------------------------------------------------------------------------- read


@dataclass(frozen=True)
class Item:
    id: int
    admdvs: str
    med_list_codg: str
    list_type: str | None
    name: str
    spec: str | None
    unit: str | None
    chrgitm_lv: str | None
    med_chrgitm_type: str | None
    selfpay_prop: Decimal | None
    pric_uplmt_amt: Decimal | None
    pric: Decimal | None
    barcode: str | None
    begndate: date | None
    enddate: date | None
    vali_flag: str
    ver: str | None
    rid: str | None
    match: str = ""  # one of MATCH_KINDS for search results
    dosform: str | None = None
    prodentp_name: str | None = None
    wubi: str | None = None
    pinyin: str | None = None
    lmt_used_flag: str | None = None
    extra_json: str | None = None


_SELECT = "SELECT c.id, " + ", ".join(f"c.{c}" for c in CATALOG_COLUMNS) + " FROM catalog_items c"
_VALID = ("c.vali_flag = '1' AND (c.begndate IS NULL OR c.begndate <= :d) "
          "AND (c.enddate IS NULL OR c.enddate >= :d)")


def _dec(v):
    return None if v is None else Decimal(v)


def _dt(v):
    return None if v is None else date.fromisoformat(v)


def _item(r, match: str = "") -> Item:
    return Item(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], _dec(r[9]), _dec(r[10]), _dec(r[11]),
                r[12], _dt(r[13]), _dt(r[14]), r[15], r[16], r[17], match, *r[18:24])


def get_item(store, admdvs: str, med_list_codg: str, *, at: date | None = None,
             valid_only: bool = True) -> Item | None:
    """One catalogue entry by code (valid on ``at`` unless ``valid_only=False``)."""
    sql = f"{_SELECT} WHERE c.admdvs = :a AND c.med_list_codg = :q"
    if valid_only:
        sql += " AND " + _VALID
    with store.read_connection() as conn:
        rows = _run(conn, sql, a=admdvs, q=med_list_codg, d=(at or date.today()).isoformat())
    r = rows[0] if rows else None
    return _item(r) if r else None


def count_items(store, admdvs: str | None = None) -> int:
    with store.read_connection() as conn:
        if admdvs is None:
            return conn.exec_driver_sql("SELECT count(*) FROM catalog_items").scalar_one()
        return conn.exec_driver_sql("SELECT count(*) FROM catalog_items WHERE admdvs = ?", (admdvs,)).scalar_one()


_PARAM_RE = re.compile(r":([a-z]+)")


def _params(sql: str, **values) -> tuple:
    """Positional parameters for a query written with :name placeholders (sqlite3 qmark style)."""
    return tuple(values[m.group(1)] for m in _PARAM_RE.finditer(sql))


def _run(conn, sql: str, **values) -> list:
    return conn.exec_driver_sql(_PARAM_RE.sub("?", sql), _params(sql, **values)).fetchall()


def _fts_phrase(column: str, text: str) -> str:
    return f'{column} : "{text.replace(chr(34), chr(34) * 2)}"'


SUBSTRING_CANDIDATES = 200
# names are walked first (CROSS JOIN fixes the loop order), then their items of the region
_BY_NAME = f"{_SELECT[:_SELECT.index(' FROM ')]} FROM catalog_names n CROSS JOIN catalog_items c ON c.name_id = n.id"


def _fts_tier(table: str, column: str, text: str) -> tuple[str, dict]:
    """Substring tier: FTS5 over the distinct names streams name ids in order (no sort: the FTS5
    table is the outer loop and consumes ORDER BY rowid); inside one name the (name_id, admdvs)
    index yields items by id. The first SUBSTRING_CANDIDATES valid items of the region are ranked
    by name length, name, code (stops early even for very common substrings)."""
    sel = _SELECT[:_SELECT.index(" FROM ")]
    return (f"SELECT * FROM ({sel} FROM {table} f CROSS JOIN catalog_items c ON c.name_id = f.rowid "
            f"WHERE {table} MATCH :m AND c.admdvs = :a AND {_VALID} ORDER BY f.rowid "
            f"LIMIT {SUBSTRING_CANDIDATES}) ORDER BY length(name), name, med_list_codg LIMIT :n"), \
        {"m": _fts_phrase(column, text)}


def _prefix_tier(column: str, q: str) -> tuple[str, dict]:
    """Prefix tier: walk the catalog_names index on ``column`` in order (shorter completions first),
    items of the region by id inside one name; LIMIT stops the walk early."""
    return (f"{_BY_NAME} WHERE n.{column} >= :q AND n.{column} < :t AND c.admdvs = :a AND {_VALID} "
            f"ORDER BY n.{column}, c.id LIMIT :n"), {"q": q, "t": q + _TOP}


def search(store, admdvs: str, query: str, limit: int = 20, *, at: date | None = None) -> list[Item]:
    """Ranked search of valid catalogue entries of ``admdvs`` (see module docstring)."""
    q = (query or "").strip()
    if not q or limit <= 0:
        return []
    d = (at or date.today()).isoformat()
    q_code = q.upper()
    is_ascii = q.isascii()
    q_low = q.lower()
    q_py = _NON_ALNUM.sub("", q_low) if is_ascii else ""
    q_name_gram = "".join(c for c in q_low if c.isalnum())

    results: list[Item] = []
    seen: set[int] = set()

    def take(rows, match: str) -> bool:
        for r in rows:
            if r[0] not in seen:
                seen.add(r[0])
                results.append(_item(r, match))
                if len(results) >= limit:
                    return True
        return False

    base = f"{_SELECT} WHERE c.admdvs = :a AND {_VALID}"
    with store.read_connection() as conn:
        n = lambda: limit + len(seen)  # noqa: E731 - rows to ask for so that de-duplication still fills the page
        tiers: list[tuple[str, str, dict]] = []
        if " " not in q:
            tiers.append(("code", f"{base} AND c.med_list_codg = :q", {"q": q_code}))
            tiers.append(("barcode", f"{base} AND c.barcode = :q", {"q": q}))
            if is_ascii:
                tiers.append(("code_prefix", f"{base} AND c.med_list_codg > :q AND c.med_list_codg < :t "
                                             f"ORDER BY c.med_list_codg LIMIT :n", {"q": q_code, "t": q_code + _TOP}))
        tiers.append(("name_prefix", *_prefix_tier("name", q)))
        if len(q) >= 3:
            tiers.append(("name", *_fts_tier("catalog_fts", "name", q)))
        elif q_name_gram == q_low:
            tiers.append(("name", *_fts_tier("catalog_grams", "name_grams", q_name_gram)))
        if q_py:
            tiers.append(("initials_prefix", *_prefix_tier("pinyin_initials", q_py)))
            if len(q_py) >= 3:
                tiers.append(("initials", *_fts_tier("catalog_pyfts", "pinyin_initials", q_py)))
            elif len(q_py) == 2:
                tiers.append(("initials", *_fts_tier("catalog_grams", "initials_grams", q_py)))
            tiers.append(("pinyin_prefix", *_prefix_tier("pinyin_full", q_py)))
        for kind, sql, extra in tiers:
            if take(_run(conn, sql, a=admdvs, d=d, n=n(), **extra), kind):
                break
    return results
