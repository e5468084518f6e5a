"""Catalogue and policy-bundle synchronisation (idempotent, resumable).

Streams (one ``sync_state`` row each, named ``catalog:<infno>:<admdvs>``, ``hilist:1312:<admdvs>``,
``bundle:9901:<insuplc_admdvs>``):

* 1301 / 1302 / 1303 / 1305 / 1306 (catalogues by version) and 1307 / 1309 (disease lists):
  ``{"ver": <stored ver or "0">}`` → file → 9102 zip of tab-separated rows in the REAL layout of
  that catalogue (``client.domain.catalog_layouts``, read by column name) → the rows are upserted
  into ``catalog_items`` (``catalog_dise`` for 1307/1309) AND the stream's ``ver`` is advanced to
  the ver column of the file's last usable row in ONE SQLite transaction; repeated until
  ``data_cnt = 0``. Rows shorter than the layout or with an empty ver are skipped and counted. A
  sync killed at any point resumes from the last committed ``ver`` and never leaves half a file
  applied.
* 1312 (医保目录信息查询, paged): refreshes the class fields it carries (chrgitm_lv,
  med_chrgitm_type, lmt_used_flag, vali_flag, enddate; ``offline_cache.hilist.apply_hilist_page``:
  an absent field never blanks a stored one); each page is applied and the next page number stored
  in one transaction; a full pass is done at most once per day.
* 1318 (限价) / 1319 (先自付比例) (paged, own chains ``lmtpric:1318:<admdvs>`` /
  ``selfpay:1319:<admdvs>``: ``ver`` = the largest ``updt_time`` of the last complete pass, the next
  pass asks from it): rows into ``hilist_lmtpric`` / ``hilist_selfpay``, and the value the engine
  uses (``catalog_items.pric_uplmt_amt`` / ``selfpay_prop``) derived for the codes of the page in
  the same transaction.
* A stream refused by the platform (a business error, e.g. 未知交易编号 for a catalogue this
  region does not offer) is recorded in ``SyncSummary.failed`` and the other streams go on; only a
  network failure stops the sync.
* 9901 (MedSettle extension) policy bundles: verified with HMAC-SHA256 (the institution's key),
  then checked as a schema (format, region, and the engine's own validation of a probe case built
  with the bundle). A bundle failing either check is refused with a Chinese message and the
  previously stored bundle stays in use.

``progress(done, total, phase)`` is called after every committed page (total may grow while the
platform reports more rows).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from client.api import ApiError, BundleMacError, BusinessError, TransportError
from client.api.transactions import FetchPolicyBundle, QueryHilist
from client.domain import casebuild, engine

from .context import ServiceContext
from .errors import ServiceError, translate_store_errors

log = logging.getLogger("client.services.sync")

CATALOG_INFNOS = ("1301", "1302", "1303", "1305", "1306", "1307", "1309")
TERMS_INFNOS = ("1318", "1319")
TERMS_STREAMS = {"1318": "lmtpric", "1319": "selfpay"}
ProgressFn = Callable[[int, int, str], None]
PHASE_NAMES = {"1301": "西药中成药目录", "1302": "中药饮片目录", "1303": "医疗机构制剂目录", "1305": "医疗服务项目目录",
               "1306": "医用耗材目录", "1307": "疾病与诊断目录", "1309": "门诊慢特病种目录", "1312": "医保目录信息",
               "1318": "医保目录限价信息", "1319": "医保目录先自付比例信息",
               "9901": "待遇政策包", "index": "目录检索索引"}


@dataclass
class StreamResult:
    name: str
    rows: int = 0
    pages: int = 0
    inserted: int = 0
    updated: int = 0
    ver: str | None = None
    apply_cpu_seconds: float = 0.0  # the writer thread's CPU time of the same work (apply_seconds is wall)
    parse_seconds: float = 0.0      # splitting the files' TSV text into fields (writer thread), not in apply_seconds
    skipped: int = 0                # rows skipped (short / no ver in a file; no code or rid in a page)
    apply_seconds: float = 0.0      # local work (no network): the writer's wall time for convert +
    #                                 validate + names + upsert + ver + commit of every file (the
    #                                 download thread's HTTP / unzip / split are not counted). For the
    #                                 index step: its wall time (pinyin + FTS5 + commits)


@dataclass
class SyncSummary:
    streams: list[StreamResult] = field(default_factory=list)
    # the search index of the catalogue names the download added (built after the streams)
    index: StreamResult | None = None
    bundles: dict[str, str] = field(default_factory=dict)        # insuplc_admdvs -> ver in use
    refused: dict[str, str] = field(default_factory=dict)        # insuplc_admdvs -> Chinese reason
    failed: dict[str, str] = field(default_factory=dict)         # catalogue stream -> Chinese reason
    catalog_rows: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"streams": [s.__dict__ for s in self.streams], "index": self.index.__dict__ if self.index else None,
                "bundles": self.bundles, "refused": self.refused, "failed": self.failed,
                "catalog_rows": self.catalog_rows, "seconds": round(self.seconds, 3)}


# ------------------------------------------------------------------------------------ sync_state
def get_state(conn, name: str) -> dict | None:
    r = conn.exec_driver_sql("SELECT ver, page, in_progress, target_ver, detail_json FROM sync_state WHERE name = ?",
                             (name,)).fetchone()
    if r is None:
        return None
    return {"ver": r[0], "page": r[1], "in_progress": bool(r[2]), "target_ver": r[3],
            "detail": json.loads(r[4]) if r[4] else {}}


def put_state(conn, name: str, *, ver: str | None = None, page: int | None = None, in_progress: bool = False,
              target_ver: str | None = None, detail: dict | None = None) -> None:
    """Upsert one sync_state row inside the caller's transaction."""
    conn.exec_driver_sql(
        "INSERT INTO sync_state (name, ver, page, in_progress, target_ver, detail_json, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET ver = excluded.ver, page = excluded.page, "
        "in_progress = excluded.in_progress, target_ver = excluded.target_ver, detail_json = excluded.detail_json, "
        "updated_at = excluded.updated_at",
        (name, ver, page, 1 if in_progress else 0, target_ver,
         json.dumps(detail, ensure_ascii=False) if detail is not None else None,
         datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")))


def read_state(store, name: str) -> dict | None:
    with store.read_connection() as conn:
        return get_state(conn, name)


# ------------------------------------------------------------------------------------ bundles
def stored_bundle(store, insuplc_admdvs: str) -> dict | None:
    """The newest verified bundle of a region (by fetched_at), or None."""
    with store.read_connection() as conn:
        r = conn.exec_driver_sql("SELECT body_json FROM policy_bundles WHERE insuplc_admdvs = ? "
                                 "ORDER BY fetched_at DESC, id DESC LIMIT 1", (insuplc_admdvs,)).fetchone()
    return json.loads(r[0]) if r else None


def check_bundle_schema(bundle: Any, insuplc_admdvs: str) -> None:
    """Schema check of a policy-bundle/1: raises ServiceError('refused') with a Chinese reason."""
    def bad(why: str) -> ServiceError:
        return ServiceError("refused", f"参保地 {insuplc_admdvs} 的政策包格式不正确（{why}），已拒绝使用，继续使用原政策包。"
                                       "请联系信息科或医保中心核查政策包。")

    if not isinstance(bundle, dict) or bundle.get("format") != "policy-bundle/1":
        raise bad("format 不是 policy-bundle/1")
    if bundle.get("insuplc_admdvs") not in (None, insuplc_admdvs):
        raise bad(f"参保地为 {bundle.get('insuplc_admdvs')}")
    if not bundle.get("ver"):
        raise bad("缺少版本号 ver")
    if not isinstance(bundle.get("policies"), list) or not bundle["policies"]:
        raise bad("没有 policies")
    probe_visit = {"mdtrtarea_admvs": insuplc_admdvs, "hosp_lv": "2", "med_type": "11",
                   "begndate": date.today().isoformat(), "filing": "none"}
    probe_person = {"insuinfo": [{"insuplc_admdvs": insuplc_admdvs, "insutype": "310", "psn_type": "1101",
                                  "balc": "0.00"}], "brdy": "1980-01-01", "ytd": {}}
    probe_line = {"feedetl_sn": "1", "med_list_codg": "PROBE", "cnt": "1", "pric": "1.00"}
    try:
        case = casebuild.build_case(probe_visit, probe_person, [], [probe_line], bundle)
        engine.validate_case(case)
    except casebuild.CaseBuildError as exc:
        raise bad(exc.message) from None
    except engine.CaseError as exc:
        raise bad(exc.message) from None


def fetch_bundle(ctx: ServiceContext, insuplc_admdvs: str) -> tuple[str, bool]:
    """9901 for one insured region; stores a verified bundle. Returns (ver in use, changed).

    Raises ServiceError('refused') when the bundle fails its MAC or schema check (the previous bundle,
    if any, stays in use) and ServiceError('offline') when the platform cannot be reached.
    """
    name = f"bundle:9901:{insuplc_admdvs}"
    current = stored_bundle(ctx.store, insuplc_admdvs)
    cur_ver = str(current.get("ver")) if current else ""
    try:
        res = ctx.call(FetchPolicyBundle(insuplc_admdvs=insuplc_admdvs, ver=cur_ver))
    except BusinessError as exc:
        raise ServiceError("refused", f"获取参保地 {insuplc_admdvs} 的政策包失败：{exc.err_msg}", detail=exc.err_msg) from None
    except TransportError as exc:
        raise ServiceError("offline", str(exc)) from None
    except ApiError as exc:
        raise ServiceError("refused", str(exc)) from None
    if ctx.mac_key:
        try:
            bundle = res.verified(ctx.mac_key)
        except BundleMacError as exc:
            raise ServiceError("refused", f"参保地 {insuplc_admdvs} 的{exc.message}"
                                          + ("继续使用原政策包（版本 " + cur_ver + "）。" if cur_ver else "")) from None
    elif ctx.require_mac:
        raise ServiceError("config", "没有配置政策包校验密钥（policy.mac_key_ref），不能验证政策包，已拒绝使用。请联系信息科配置密钥。")
    else:
        log.warning("policy bundle for %s accepted WITHOUT MAC verification (policy.require_mac = false)",
                    insuplc_admdvs)
        bundle = res.bundle
    check_bundle_schema(bundle, insuplc_admdvs)
    ver = str(bundle["ver"])
    if current is not None and cur_ver == ver and current == bundle:
        return ver, False
    now = datetime.now()
    with ctx.store.connection() as conn:
        conn.exec_driver_sql(
            "INSERT INTO policy_bundles (insuplc_admdvs, ver, issued_at, body_json, mac, verified_at, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(insuplc_admdvs, ver) DO UPDATE SET body_json = excluded.body_json, "
            "mac = excluded.mac, verified_at = excluded.verified_at, fetched_at = excluded.fetched_at",
            (insuplc_admdvs, ver, str(bundle.get("issued_at") or ""), json.dumps(bundle, ensure_ascii=False,
                                                                                sort_keys=True),
             res.mac, now if ctx.mac_key else None, now))
        put_state(conn, name, ver=ver)
    return ver, True


# ------------------------------------------------------------------------------------ catalogue
class SyncService:
    def __init__(self, ctx: ServiceContext, progress: ProgressFn | None = None):
        self.ctx = ctx
        self.progress = progress or (lambda done, total, phase: None)

    @translate_store_errors
    def run(self, *, catalog_infnos: tuple[str, ...] = CATALOG_INFNOS, hilist: bool = True,
            bundles: bool | list[str] = True) -> SyncSummary:
        from offline_cache.catalog import count_items

        started = time.monotonic()
        summary = SyncSummary()
        for infno in catalog_infnos:
            try:
                summary.streams.append(self.sync_catalog(infno))
            except ServiceError as exc:
                if exc.code not in ("refused", "config"):
                    # the files committed before the failure are kept: make their names searchable
                    # too (local work; the next sync resumes the download)
                    self.index_names()
                    raise
                summary.failed[infno] = exc.message     # this stream only; the others go on
        summary.index = self.index_names()
        if hilist:
            for infno, step in (("1312", self.sync_hilist), *((i, functools.partial(self.sync_terms, i))
                                                              for i in TERMS_INFNOS)):
                try:
                    summary.streams.append(step())
                except ServiceError as exc:
                    if exc.code != "refused":
                        raise
                    summary.failed[infno] = exc.message
        if bundles:
            regions = bundles if isinstance(bundles, list) else self.bundle_regions()
            for i, adm in enumerate(regions):
                try:
                    ver, _ = fetch_bundle(self.ctx, adm)
                    summary.bundles[adm] = ver
                except ServiceError as exc:
                    if exc.code == "offline":
                        raise
                    summary.refused[adm] = exc.message
                self.progress(i + 1, len(regions), "9901")
        summary.catalog_rows = count_items(self.ctx.store, self.ctx.admdvs)
        summary.seconds = time.monotonic() - started
        return summary

    def bundle_regions(self) -> list[str]:
        """The institution's own region, the demo zone, and every insured region seen in the person cache."""
        regions = {self.ctx.admdvs, "310118", "320509", "330421"}
        with self.ctx.store.read_connection() as conn:
            for (js,) in conn.exec_driver_sql("SELECT insuinfo_json FROM persons"):
                for row in json.loads(js or "[]"):
                    if row.get("insuplc_admdvs"):
                        regions.add(str(row["insuplc_admdvs"]))
            for (adm,) in conn.exec_driver_sql("SELECT DISTINCT insuplc_admdvs FROM policy_bundles"):
                regions.add(adm)
        return sorted(regions)

    def index_names(self) -> StreamResult:
        """Build the search index (pinyin, FTS5) of the catalogue names the downloads added.

        The files commit their rows with the names *pending* (``offline_cache.catalog``, "deferred
        search index"); this runs after them, and also picks up names left pending by a sync that
        was killed or failed before its index step. Until then those items are found by code,
        barcode and name prefix only.
        """
        from offline_cache.catalog import index_pending_names

        res = StreamResult("index:catalog_names")
        out = index_pending_names(self.ctx.store, progress=lambda done, total: self.progress(done, total, "index"))
        res.rows = res.inserted = out.names
        res.pages = out.batches
        res.apply_seconds = out.seconds
        return res

    def layout(self, infno: str):
        """The file layout of ``infno`` (built-in, or replaced by ``catalog.layouts``)."""
        from client.domain.catalog_layouts import LayoutError, layout_for

        try:
            return layout_for(infno, getattr(getattr(self.ctx.settings, "catalog", None), "layouts", None))
        except LayoutError as exc:
            raise ServiceError("config", exc.message, infno=infno) from None

    def sync_catalog(self, infno: str) -> StreamResult:
        """Download and apply one catalogue stream, file by file, until the platform has nothing newer.

        Each file is read BY ITS REAL LAYOUT (``client.domain.catalog_layouts``): tab-separated, no
        header, the window's fields taken by column name; the file's ``ver`` is the ver column of
        its last usable row (rows too short for the layout or with an empty ver are skipped and
        counted, never taken as the version).

        Pipelined: a worker thread (``offline_cache.catalog.Prefetch``) downloads, parses, validates
        and converts file N+1 while this thread writes file N. New names are written pending; their
        search index is built by ``index_names`` after the streams. The worker never writes: each file's rows and its ``ver`` still commit in
        ONE transaction on this thread, in download order; an error of file N+1 (network, invalid
        row, version not advancing) is raised here after file N is committed, and the worker is
        always joined before this method returns or raises.
        """
        from client.api.transactions import split_tsv
        from offline_cache.catalog import (
            DISE_UPSERT,
            CatalogRowError,
            Prefetch,
            bulk_load,
            last_line_ver,
            prepare_dise,
            prepare_layout,
            short_gil_switch,
            write_page,
        )

        admdvs = self.ctx.admdvs
        layout = self.layout(infno)
        title = PHASE_NAMES.get(infno, infno)
        name = f"catalog:{infno}:{admdvs}"
        res = StreamResult(name)
        st = read_state(self.ctx.store, name)
        start_ver = (st or {}).get("ver") or "0"
        committed = [start_ver]          # the last ver committed by the writer (for messages)
        is_item = layout.kind == "item"
        training = bool(getattr(getattr(self.ctx.settings, "training", None), "enabled", False))

        def files():
            ver = start_ver
            while True:
                try:
                    info, text = self.ctx.central.download_catalogue(infno, ver, operator=self.ctx.operator, text=True)
                except BusinessError as exc:   # a stale sign_no was already re-signed once by the client
                    raise ServiceError("refused", f"下载{title}失败：{exc.err_msg}",
                                       detail=exc.err_msg, infno=infno) from None
                except TransportError as exc:
                    _no_such_address(exc, title, infno)
                    raise ServiceError("offline", f"下载{title}时网络中断（{exc.cause}）。"
                                                  f"已下载的部分已保存，重新执行同步会从版本 {ver} 继续。") from None
                if not text.strip():
                    return
                new_ver = last_line_ver(text, layout)   # the ver column of the last usable row
                if new_ver is None:
                    raise ServiceError("refused", f"{title}文件共 {text.count(chr(10))} 行，没有一行在第 {layout.ver_index + 1} 列"
                                                  f"（ver）带版本号：文件的列与 {infno} 的格式（{layout.width} 列）不符，"
                                                  "已停止同步。请联系信息科核对目录文件格式（catalog.layouts）。",
                                       infno=infno)
                if new_ver <= ver:
                    raise ServiceError("refused", f"{title}文件中的版本号没有前进（{ver}→{new_ver}），"
                                                  "为避免死循环已停止同步，请联系医保中心。", infno=infno)
                yield info, text, new_ver
                ver = new_ver

        done = 0
        known: dict[str, int] = {}       # name ids committed by earlier files (names are never deleted)
        # The worker thread only downloads (HTTP, unzip, decode: mostly outside the GIL) while this
        # thread splits, converts and writes the previous file: converting (or splitting 92 columns)
        # on the worker too made the two threads fight for the GIL — the writer's Python between its
        # SQLite calls waited behind the converter (0.47 of raw pipelined vs 0.74 sequential at
        # 300,000 rows, measured in isolation).
        # one connection for the stream (bulk_load: no WAL checkpoint per commit, a larger page cache)
        with short_gil_switch(), Prefetch(files, name=f"sync-{infno}") as pf, bulk_load(self.ctx.store) as conn:
            for info, text, new_ver in pf:
                t_split = time.perf_counter()
                rows = split_tsv(text)
                del text
                t0 = time.perf_counter()
                c0 = time.thread_time()
                res.parse_seconds += t0 - t_split
                try:
                    fp = (prepare_layout(rows, admdvs, layout, training=training) if is_item
                          else prepare_dise(rows, layout))
                except CatalogRowError as exc:
                    raise ServiceError("refused", str(exc), infno=infno) from None
                n_rows = len(rows)
                del rows
                if fp.skipped:
                    log.warning("%s file %s: %d of %d rows skipped (shorter than the layout or no ver; first: line %s)",
                                infno, info.filename, fp.skipped, n_rows, fp.first_skipped)
                also = functools.partial(put_state, name=name, ver=new_ver,
                                         detail={"last_file": info.filename, "rows": n_rows, "skipped": fp.skipped})
                if is_item:
                    up = write_page(conn, fp.rows, known, also)        # ONE transaction: rows + version
                    res.inserted += up.inserted
                    res.updated += up.updated
                else:
                    with conn.begin():
                        if fp.rows:
                            conn.exec_driver_sql(DISE_UPSERT, fp.rows)
                        also(conn)
                    res.updated += len(fp.rows)
                committed[0] = new_ver
                res.apply_seconds += time.perf_counter() - t0
                res.apply_cpu_seconds += time.thread_time() - c0
                done += n_rows
                res.rows += n_rows
                res.skipped += fp.skipped
                res.pages += 1
                self.progress(done, done + max(0, info.data_cnt - n_rows), infno)
        res.ver = committed[0]
        self.progress(done, done, infno)
        return res

    def sync_hilist(self, page_size: int = 500, *, force: bool = False) -> StreamResult:
        """1312: the class fields of the items we hold (only the fields a row carries are written)."""
        from offline_cache.hilist import apply_hilist_page

        admdvs = self.ctx.admdvs
        name = f"hilist:1312:{admdvs}"
        res = StreamResult(name)
        st = read_state(self.ctx.store, name) or {}
        detail = st.get("detail") or {}
        today = date.today().isoformat()
        if not force and detail.get("completed") == today and not st.get("in_progress"):
            res.ver = st.get("ver")
            return res
        page = int(st.get("page") or 1) if st.get("in_progress") else 1
        updt = detail.get("updt_time") or "2000-01-01 00:00:00"
        max_updt = st.get("ver") or ""
        while True:
            try:
                out = self.ctx.call(QueryHilist(updt_time=updt, page_num=page, page_size=page_size))
            except BusinessError as exc:
                raise ServiceError("refused", f"查询医保目录信息(1312)失败：{exc.err_msg}", detail=exc.err_msg) from None
            except TransportError as exc:
                raise ServiceError("offline", f"查询医保目录信息(1312)时网络中断（{exc.cause}），下次同步从第 {page} 页继续。") from None
            last = out.last_page or not out.rows or page >= max(out.pages, 1)
            t0 = time.perf_counter()
            with self.ctx.store.connection() as conn:     # ONE transaction: page + position
                updated, skipped, page_max = apply_hilist_page(conn, admdvs, out.rows)
                max_updt = max(max_updt, page_max)
                res.updated += updated
                res.skipped += skipped
                if last:
                    put_state(conn, name, ver=max_updt or None, page=None, in_progress=False,
                              detail={"completed": today, "updt_time": updt})
                else:
                    put_state(conn, name, ver=max_updt or None, page=page + 1, in_progress=True,
                              detail={"updt_time": updt})
            res.apply_seconds += time.perf_counter() - t0
            res.rows += len(out.rows)
            res.pages += 1
            self.progress(min(page * page_size, out.record_counts), out.record_counts, "1312")
            if last:
                break
            page += 1
        res.ver = max_updt or None
        return res

    def sync_terms(self, infno: str, page_size: int = 1000) -> StreamResult:
        """1318 limits / 1319 self-pay ratios: paged by ``updt_time`` from the chain's ``ver`` (the
        largest updt_time of the last complete pass). Each page, the derived values of its codes
        and the chain position commit in ONE transaction; a pass killed half-way resumes at its page.
        At the end, items still without a value (new from a file) get theirs, and once a day every
        item is re-derived (a row whose begndate has come)."""
        from client.api.transactions import QueryLmtpric, QuerySelfpay
        from offline_cache.catalog import CatalogRowError
        from offline_cache.hilist import prepare_terms, refresh_effective, upsert_terms

        request = {"1318": QueryLmtpric, "1319": QuerySelfpay}[infno]
        title = PHASE_NAMES[infno]
        admdvs = self.ctx.admdvs
        psn = (getattr(getattr(self.ctx.settings, "catalog", None), "selfpay_psn_type", "") or None)
        name = f"{TERMS_STREAMS[infno]}:{infno}:{admdvs}"
        res = StreamResult(name)
        st = read_state(self.ctx.store, name) or {}
        detail = st.get("detail") or {}
        chain_ver = st.get("ver") or ""
        if st.get("in_progress"):
            page, updt = int(st.get("page") or 1), detail.get("updt_time") or chain_ver or "2000-01-01 00:00:00"
        else:
            page, updt = 1, chain_ver or "2000-01-01 00:00:00"
        max_updt = max(chain_ver, detail.get("max_updt") or "")
        today = date.today().isoformat()
        while True:
            try:
                out = self.ctx.call(request(updt_time=updt, page_num=page, page_size=page_size))
            except BusinessError as exc:
                raise ServiceError("refused", f"查询{title}({infno})失败：{exc.err_msg}", detail=exc.err_msg) from None
            except TransportError as exc:
                _no_such_address(exc, title, infno)
                raise ServiceError("offline", f"查询{title}({infno})时网络中断（{exc.cause}），下次同步从第 {page} 页继续。") from None
            try:
                prepared, skipped, codes, page_max = prepare_terms(infno, out.rows)
            except CatalogRowError as exc:
                raise ServiceError("refused", str(exc), infno=infno) from None
            last = out.last_page or not out.rows or page >= max(out.pages, 1)
            max_updt = max(max_updt, page_max)
            t0 = time.perf_counter()
            with self.ctx.store.connection() as conn:     # ONE transaction: rows + derived values + position
                upsert_terms(conn, infno, admdvs, prepared)
                refresh_effective(conn, infno, admdvs, codes=codes, psn_type=psn)
                if last:
                    full = detail.get("refreshed") != today
                    refresh_effective(conn, infno, admdvs, psn_type=psn, only_missing=not full)
                    put_state(conn, name, ver=max_updt or None, page=None, in_progress=False,
                              detail={"refreshed": today})
                else:
                    put_state(conn, name, ver=chain_ver or None, page=page + 1, in_progress=True,
                              detail={"updt_time": updt, "max_updt": max_updt, "refreshed": detail.get("refreshed")})
            res.apply_seconds += time.perf_counter() - t0
            res.rows += len(out.rows)
            res.inserted += len(prepared)
            res.skipped += skipped
            res.pages += 1
            self.progress(min(page * page_size, out.record_counts), out.record_counts, infno)
            if last:
                break
            page += 1
        res.ver = max_updt or None
        return res


def _no_such_address(exc: TransportError, title: str, infno: str) -> None:
    """HTTP 404 from the platform / gateway for one catalogue stream = this region does not serve that
    transaction at this address: a refusal of that stream (the others go on), not a network failure."""
    if exc.http_status == 404:
        raise ServiceError("refused", f"医保中心没有提供{title}({infno})的接口地址（HTTP 404）。如本地区提供该目录，"
                                      f"请在站点配置 platform.paths 中配置 {infno} 的路径。", infno=infno) from None
