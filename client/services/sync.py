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
* Policy bundles are site data imported by IT (``client.services.policies``, ``medsettle policy
  import``); sync does NOT call the MedSettle extension 9901 unless ``platform.policy_bundles_9901``
  is on (a training platform serves it). Then each bundle is verified with HMAC-SHA256 (the
  institution's key) and checked as a schema (format, region, and the engine's own validation of a
  probe case built with the bundle); a bundle failing either check is refused with a Chinese
  message and the previously stored bundle stays in use. A platform that does not know 9901
  (未知交易编号, the recorded real refusal; or HTTP 404) is reported in ``policy_notes`` and the sync
  goes on. In training mode the bundle step imports the shipped demo bundles (resources/policies).

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

from .context import ServiceContext
from .errors import ServiceError, translate_store_errors
from .policies import bundle_for, bundles_via_9901, check_bundle_schema, list_bundles, seed_training_policies

log = logging.getLogger("client.services.sync")

CATALOG_INFNOS = ("1301", "1302", "1303", "1305", "1306", "1307", "1309")
TERMS_INFNOS = ("1318", "1319")
TERMS_STREAMS = {"1318": "lmtpric", "1319": "selfpay"}
ProgressFn = Callable[[int, int, str], None]
PHASE_NAMES = {"1301": "西药中成药目录", "1302": "中药饮片目录", "1303": "医疗机构制剂目录", "1305": "医疗服务项目目录",
               "1306": "医用耗材目录", "1307": "疾病与诊断目录", "1309": "门诊慢特病种目录", "1312": "医保目录信息",
               "1318": "医保目录限价信息", "1319": "医保目录先自付比例信息",
               "9901": "待遇政策包(9901)", "policy": "政策参数", "index": "目录检索索引"}


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
    policy_imported: list[str] = field(default_factory=list)     # training: shipped bundles imported
    policy_notes: list[str] = field(default_factory=list)        # e.g. "the platform does not serve 9901"
    failed: dict[str, str] = field(default_factory=dict)         # catalogue stream -> Chinese reason
    catalog_rows: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"streams": [s.__dict__ for s in self.streams], "index": self.index.__dict__ if self.index else None,
                "bundles": self.bundles, "refused": self.refused, "failed": self.failed,
                "policy_imported": self.policy_imported, "policy_notes": self.policy_notes,
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
def stored_bundle(store, insuplc_admdvs: str, on: Any = None) -> dict | None:
    """The bundle of a region valid on ``on`` (default today; ``client.services.policies.bundle_for``), or None."""
    return bundle_for(store, insuplc_admdvs, on)


def fetch_bundle(ctx: ServiceContext, insuplc_admdvs: str) -> tuple[str, bool]:
    """9901 for one insured region; stores a verified bundle. Returns (ver in use, changed).

    Raises ServiceError('refused') when the bundle fails its MAC or schema check (the previous bundle,
    if any, stays in use) and ServiceError('offline') when the platform cannot be reached.
    """
    name = f"bundle:9901:{insuplc_admdvs}"
    current = _stored_9901(ctx.store, insuplc_admdvs)
    cur_ver = str(current.get("ver")) if current else ""
    try:
        res = ctx.call(FetchPolicyBundle(insuplc_admdvs=insuplc_admdvs, ver=cur_ver))
    except BusinessError as exc:
        if exc.unknown_infno:       # the recorded 未知交易编号 refusal (client.api.errors.says_unknown_infno)
            raise ServiceError("not_served", NOT_SERVED.format(why=exc.err_msg), detail=exc.err_msg,
                               infno="9901") from None
        raise ServiceError("refused", f"获取参保地 {insuplc_admdvs} 的政策包失败：{exc.err_msg}", detail=exc.err_msg) from None
    except TransportError as exc:
        if exc.http_status in (404, 405, 501):
            raise ServiceError("not_served", NOT_SERVED.format(why=f"HTTP {exc.http_status}"), detail=str(exc),
                               infno="9901") from None
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
    import hashlib

    body = json.dumps(bundle, ensure_ascii=False, sort_keys=True)
    now = datetime.now()
    with ctx.store.connection() as conn:
        held = conn.exec_driver_sql("SELECT source, body_json FROM policy_bundles WHERE insuplc_admdvs = ? AND ver = ?",
                                    (insuplc_admdvs, ver)).fetchone()
        if held is not None and held[0] == "import":
            if json.loads(held[1]) != bundle:    # an imported bundle is never overwritten by the platform
                raise ServiceError("refused", f"医保平台(9901)下发的参保地 {insuplc_admdvs} 政策包版本 {ver} 与信息科导入的"
                                              "同版本政策参数内容不同，已拒绝使用，继续使用导入的政策参数。请信息科核查。")
            return ver, False
        conn.exec_driver_sql(
            "INSERT INTO policy_bundles (insuplc_admdvs, ver, issued_at, body_json, mac, verified_at, fetched_at, "
            "source, sha256, issuer, valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?, ?, '9901', ?, ?, ?, ?) "
            "ON CONFLICT(insuplc_admdvs, ver) DO UPDATE SET body_json = excluded.body_json, mac = excluded.mac, "
            "verified_at = excluded.verified_at, fetched_at = excluded.fetched_at, sha256 = excluded.sha256, "
            "issuer = excluded.issuer, valid_from = excluded.valid_from, valid_to = excluded.valid_to",
            (insuplc_admdvs, ver, str(bundle.get("issued_at") or ""), body, res.mac, now if ctx.mac_key else None, now,
             hashlib.sha256(body.encode("utf-8")).hexdigest(), str(bundle.get("issuer") or "")[:100] or None,
             _iso_date(bundle.get("valid_from")), _iso_date(bundle.get("valid_to"))))
        put_state(conn, name, ver=ver)
    return ver, True


NOT_SERVED = ("医保平台不提供政策包下载（9901 是 MedSettle 自定义交易，平台答复：{why}），已跳过；目录同步不受影响。"
              "政策参数请由信息科导入（medsettle policy import），或在站点配置中关闭 platform.policy_bundles_9901。")


def _iso_date(v: Any) -> str | None:
    try:
        return date.fromisoformat(str(v)[:10]).isoformat() if v else None
    except ValueError:
        return None


def _stored_9901(store, insuplc_admdvs: str) -> dict | None:
    """The newest bundle of a region fetched with 9901 (what 9901's ``ver`` refers to), or None."""
    with store.read_connection() as conn:
        r = conn.exec_driver_sql("SELECT body_json FROM policy_bundles WHERE insuplc_admdvs = ? AND source = '9901' "
                                 "ORDER BY fetched_at DESC, id DESC LIMIT 1", (insuplc_admdvs,)).fetchone()
    return json.loads(r[0]) if r else None


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
            self.sync_bundles(summary, bundles if isinstance(bundles, list) else None)
        summary.catalog_rows = count_items(self.ctx.store, self.ctx.admdvs)
        summary.seconds = time.monotonic() - started
        return summary

    def sync_bundles(self, summary: SyncSummary, regions: list[str] | None = None) -> None:
        """The bundle step: training mode imports the shipped demo bundles; 9901 only when configured
        (``platform.policy_bundles_9901``). Never fails the sync for the absence of 9901."""
        if bundles_via_9901(self.ctx.settings):
            asked = regions or self.bundle_regions()
            for i, adm in enumerate(asked):
                try:
                    fetch_bundle(self.ctx, adm)
                except ServiceError as exc:
                    if exc.code in ("not_served", "offline"):
                        summary.policy_notes.append(exc.message)
                        log.warning("policy bundles via 9901 skipped: %s", exc.detail or exc.message)
                        break
                    summary.refused[adm] = exc.message
                self.progress(i + 1, len(asked), "9901")
        if self.ctx.settings.training.enabled:         # after 9901: a bundle it brought is left alone
            summary.policy_imported = seed_training_policies(self.ctx.store, regions)
            self.progress(1, 1, "policy")
        for rec in list_bundles(self.ctx.store):       # what is in force today, however it arrived
            if rec["in_force"] and (regions is None or rec["insuplc_admdvs"] in regions):
                summary.bundles[rec["insuplc_admdvs"]] = rec["ver"]

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
