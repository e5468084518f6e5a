"""Benchmark: `SyncService` full catalogue sync from the training platform — the catalogue files in
their REAL layouts (1301 92 columns / 1302 / 1305 16 / 1306 71 … → 9102 zips, read by column name,
client.domain.catalog_layouts) plus the 1312 / 1318 / 1319 paged queries — then a 1 % incremental
sync and the catalogue search at that size.

    .venv/bin/python bench/sync.py [--rows 300000]

The platform gets a catalogue of --rows rows (training_platform.demo.generate(catalog_size=...)); the
expanded rows are all given to the training institution's region (310118) so one window downloads
(nearly) all of them. Printed figures:

* end-to-end rows/s of the full sync (HTTP + zip + parse + validate + upsert + commit per file). The
  training platform runs in a SEPARATE process (a real platform is remote), so it does not compete
  with the client for the GIL — it still shares the machine's 2 cores;
* the LOCAL insert time: convert + validate (the real layout, by column name) + names + upsert +
  sync_state + durable commit, one transaction per file — the writer thread's wall time (the
  download thread only fetches, unzips and splits the next file meanwhile); plus the client
  process CPU of the whole sync;
* the SEARCH INDEX step that follows the rows (``SyncService.index_names``: pinyin / grams of the
  new names + the 3 FTS5 indexes, wall time) and the time until every row is searchable by pinyin
  and substring (insert + index) against the same baseline — printed next to the floor, not hidden;
* the STRICT baseline, measured in the same run (twice, the faster counts): raw
  ``sqlite3.executemany`` of the very same rows (CATALOG_COLUMNS + name_id, ids assigned in advance,
  see bench/store_sync.py ``item_rows``) into a plain table of exactly our ``catalog_items`` layout
  (3 indexes, no FTS, no triggers), one transaction → ratio = raw / ours local insert (floor: ≥ 60 %, aim 80 %; the local insert is also measured twice, the faster counts);
* for information only, clearly labelled: the pre-0003 flat layout baseline (catalogue columns + the 4
  derived search columns per row, 5 indexes);
* the 1 % incremental sync: the platform changes 1 % of the rows (new price, new ver);
* the 1312 (class) / 1318 (limit) / 1319 (ratio) streams: rows, pages, local apply time and wall time;
* catalogue search at that size (``offline_cache.catalog.search`` on the synced store): p50 / p95 per
  query kind and over all queries (floor: p95 <= 5 ms).

Floor of the insert ratio: >= 60 % of raw (aim 80 %).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_sync import flat_rows, item_rows, raw_baseline, raw_connect, timed_executemany  # noqa: E402

from client.services.context import open_context, training_settings_for  # noqa: E402
from client.services.sync import SyncService  # noqa: E402
from offline_cache import catalog  # noqa: E402
from training_platform import demo  # noqa: E402
from training_platform.server import EmbeddedPlatform  # noqa: E402
from training_platform.store import DB_NAME  # noqa: E402

ADMDVS = "310118"


def build_data(rows: int) -> dict:
    data = demo.generate(catalog_size=rows)
    base = demo.base_catalog_size()
    for r in data["catalog"][base:]:
        r["admdvs"] = ADMDVS
    return data


def serve_platform(data_dir: str, rows: int, conn) -> None:
    """Child process: the training platform with a catalogue of ``rows`` rows, until told to stop."""
    t = time.perf_counter()
    plat = EmbeddedPlatform(data_dir, data=build_data(rows)).start()
    plat.platform.file_cache = {}       # built zips are kept: see main() (warm-up sync)
    # In production the platform is remote: its CPU (building each file: 20,000 JSON documents → TSV
    # → deflate) is not the window's. Here it shares the 2 cores, so it runs at the lowest priority
    # and only takes the CPU the client leaves idle instead of slowing the client's timed insert.
    os.nice(19)
    try:
        conn.send((plat.url, plat.catalog_page_rows, time.perf_counter() - t))
        conn.recv()                       # any message (or EOF: the parent is gone) = stop
    except EOFError:
        pass
    finally:
        plat.stop()


class RemotePlatform:
    """The training platform in a separate process (spawned: nothing of this process is shared)."""

    def __init__(self, data_dir: Path, rows: int):
        ctx = mp.get_context("spawn")
        self.data_dir = data_dir
        self._conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=serve_platform, args=(str(data_dir), rows, child), name="platform")
        self.proc.start()
        child.close()
        self.url, self.catalog_page_rows, self.load_seconds = self._conn.recv()

    def stop(self) -> None:
        try:
            self._conn.send("stop")
        except OSError:
            pass
        self.proc.join(30)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()


def raw_upsert_baseline(path: Path, rows: list[tuple]) -> float:
    """The 1 % incremental's baseline: raw ``executemany`` of the changed rows as an upsert
    (INSERT … ON CONFLICT(admdvs, med_list_codg) DO UPDATE) into a raw_baseline file that already
    holds the whole catalogue, one transaction, WAL + synchronous=FULL, a fresh connection."""
    cols = (*catalog.CATALOG_COLUMNS, "name_id")
    upd = [c for c in cols if c not in ("admdvs", "med_list_codg")]
    sql = (f"INSERT INTO plain ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
           f"ON CONFLICT(admdvs, med_list_codg) DO UPDATE SET {', '.join(f'{x} = excluded.{x}' for x in upd)}")
    c = raw_connect(path)
    try:
        return timed_executemany(c, sql, rows)[0]
    finally:
        c.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        plat = RemotePlatform(d / "platform", args.rows)
        print(f"sqlite {sqlite3.sqlite_version}; platform (separate process, pid {plat.proc.pid}) catalogue "
              f"{args.rows:,} rows (loaded in {plat.load_seconds:.1f} s), page {plat.catalog_page_rows:,} rows")
        try:
            # Warm-up (untimed): one sync into a throw-away window makes the platform build every zip
            # once and keep it (``Platform.file_cache``): the timed sync below then does not share the
            # 2 cores with the platform's zip building (a real platform is remote). Measured: the
            # writer's CPU time of the same insert rose from ~5 s to ~8 s while the platform built
            # the next file beside it.
            t = time.perf_counter()
            warm = open_context(training_settings_for(plat.url, d / "warm"))
            try:
                SyncService(warm).run(hilist=False, bundles=False)
            finally:
                warm.close()
            print(f"warm-up sync (platform builds and keeps its files; untimed): {time.perf_counter() - t:.1f} s")
            ctx = open_context(training_settings_for(plat.url, d / "window"))
            try:
                t, cpu = time.perf_counter(), time.process_time()
                full = SyncService(ctx).run(bundles=False)
                full_wall = wall = time.perf_counter() - t
                full_cpu = time.process_time() - cpu    # this (client) process only: the platform is elsewhere
                assert not full.failed, full.failed
                files = [s for s in full.streams if s.name.startswith("catalog:")]
                terms = [s for s in full.streams if not s.name.startswith("catalog:")]
                n = sum(s.rows for s in files)
                apply_s = sum(s.apply_seconds for s in files)
                # like the raw baseline (measured twice, the faster counts): the same files once more
                # into a second empty window, files only; the faster local insert counts
                second = open_context(training_settings_for(plat.url, d / "window2"))
                try:
                    again = SyncService(second).run(hilist=False, bundles=False)
                finally:
                    second.close()
                apply_2 = sum(s.apply_seconds for s in again.streams if s.name.startswith("catalog:"))
                print(f"local insert of the same files: {apply_s:.2f} s (this sync), {apply_2:.2f} s (a second empty "
                      "window, files only) - the faster counts")
                apply_s = min(apply_s, apply_2)
                index_s, index_n = full.index.apply_seconds, full.index.rows
                print(f"full sync:        {n:,} file rows + {sum(s.rows for s in terms):,} 1312/1318/1319 rows in "
                      f"{wall:.1f} s ({sum(s.pages for s in files)} files + the search index + "
                      f"{sum(s.pages for s in terms)} pages)")
                for s_ in files:
                    print(f"  {s_.name:24s} {s_.rows:>8,} rows {s_.pages:>3} files, skipped {s_.skipped}, ver {s_.ver}")
                for s_ in terms:
                    print(f"  {s_.name:24s} {s_.rows:>8,} rows {s_.pages:>3} pages, local apply {s_.apply_seconds:.2f} s")
                print(f"  TSV split:      {sum(s.parse_seconds for s in files):.2f} s (writer thread, before the timed "
                      "insert: the raw baseline gets the same rows already split and converted)")
                print(f"  local insert:   {apply_s:.2f} s = {n / apply_s:,.0f} rows/s (parse+validate+names+upsert+ver, "
                      "durable commit per file; writer wall)")
                print(f"  (writer thread CPU of the first sync's local insert: {sum(s.apply_cpu_seconds for s in files):.2f} s "
                      "for its wall of the line above; wall minus CPU = waiting for the disk (fsync) or for a core)")
                print(f"  search index:   {index_s:.2f} s for {index_n:,} new names (pinyin/grams + 3 FTS5 indexes, "
                      f"{full.index.pages} commits), after the rows")
                print(f"  client process CPU: {full_cpu:.1f} s (everything the client did: HTTP, unzip, TSV, the "
                      "local apply; no GIL-wait double counting)")
                with ctx.store.read_connection() as conn:
                    prepared = [tuple(r) for r in conn.exec_driver_sql(
                        f"SELECT {', '.join(catalog.CATALOG_COLUMNS)} FROM catalog_items ORDER BY id").fetchall()]
                items = item_rows(prepared)
                strict = [raw_baseline(d / "raw0.sqlite3", items, "items")]
                # 1 % incremental: the platform changes 1 % of this region's rows (new price, a new ver)
                pconn = sqlite3.connect(Path(plat.data_dir) / DB_NAME)
                keys = pconn.execute("SELECT med_list_codg, doc FROM catalog WHERE admdvs=? AND list_type IN "
                                     "('101','103','104','201','301')", (ADMDVS,)).fetchall()
                step = 100
                newver = "20991231000001"
                upd = []
                for code, doc in keys[::step]:
                    r = json.loads(doc)
                    r["pric"] = str((Decimal(r["pric"] or "0") + Decimal("0.01")).quantize(Decimal("0.01")))
                    r["ver"] = newver
                    upd.append((newver, json.dumps(r, ensure_ascii=False), ADMDVS, code))
                pconn.executemany("UPDATE catalog SET ver=?, doc=? WHERE admdvs=? AND med_list_codg=?", upd)
                pconn.commit()
                pconn.close()
                t = time.perf_counter()
                inc = SyncService(ctx).run(bundles=False)
                wall = time.perf_counter() - t
                inc_files = [s for s in inc.streams if s.name.startswith("catalog:")]
                m = sum(s.rows for s in inc_files)
                upd_n = sum(s.updated for s in inc_files)
                inc_s = sum(s.apply_seconds for s in inc_files)
                inc_terms = {s.name: s.rows for s in inc.streams if not s.name.startswith("catalog:")}
                print(f"1 % incremental:  {m:,} rows ({upd_n:,} updated) in {wall:.2f} s = {m / wall:,.0f} rows/s "
                      f"end to end; local insert {inc_s:.2f} s, search index "
                      f"{inc.index.apply_seconds:.2f} s ({inc.index.rows:,} new names); 1318/1319 rows again: {inc_terms}")
                assert m == len(upd) == upd_n, (m, len(upd), upd_n)
                strict.append(raw_baseline(d / "raw1.sqlite3", items, "items"))
                raw_ids = {t[3]: t[-1] for t in items}           # the raw tables' own name ids
                with ctx.store.read_connection() as conn:
                    changed = [(*r, raw_ids[r[3]]) for r in conn.exec_driver_sql(
                        f"SELECT {', '.join(catalog.CATALOG_COLUMNS)} FROM catalog_items WHERE ver = ?", (newver,))]
                assert len(changed) == m, (len(changed), m)
                raw_inc = min(raw_upsert_baseline(d / f"raw{k}.sqlite3", changed) for k in (0, 1))
                print(f"  1 % incremental vs raw executemany upsert of the same {len(changed):,} rows into a raw table "
                      f"holding the whole catalogue: {raw_inc * 1000:.0f} ms; ours (local insert) {inc_s * 1000:.0f} ms "
                      f"-> {raw_inc / inc_s:.0%} (floor 50 %) -> {'MET' if raw_inc / inc_s >= 0.5 else 'NOT MET'}")
                raw = min(w for w, _ in strict)
                raw_cpu = min(c for _, c in strict)
                print("  STRICT baseline: raw executemany into a plain table of exactly our catalog_items layout "
                      "(same rows, CATALOG_COLUMNS + name_id, 3 indexes): "
                      + ", ".join(f"{w:.2f} s" for w, _ in strict)
                      + f" -> {len(items) / raw:,.0f} rows/s")
                ratio = raw / apply_s
                print(f"  FLOOR: ours/raw on the local insert rate = {ratio:.0%} "
                      f"(floor 60 %, aim 80 %) -> {'MET' if ratio >= 0.6 else 'NOT MET'}"
                      f"{' (aim met)' if ratio >= 0.8 else ''}")
                print(f"  (info) until also searchable by pinyin/substring (insert + index) = "
                      f"{raw / (apply_s + index_s):.0%} of raw; end to end incl. HTTP + platform process + index = "
                      f"{raw / full_wall:.0%}")
                print(f"  CPU: raw {raw_cpu:.2f} s vs client process {full_cpu:.1f} s -> {raw_cpu / full_cpu:.0%} "
                      "(info: includes HTTP + unzip + the index step, which the local insert does not)")
                flat = min(raw_baseline(d / f"flat{k}.sqlite3", flat_rows(prepared), "flat")[0] for k in (0, 1))
                print(f"  (info only, NOT the floor) raw executemany into the pre-0003 flat layout (catalogue + 4 "
                      f"search columns per row, 5 indexes): {flat:.2f} s -> ours/flat = {flat / apply_s:.0%} (insert), "
                      f"{flat / (apply_s + index_s):.0%} (insert + index)")
                search_ok = search_figures(ctx)
            finally:
                ctx.close()
        finally:
            plat.stop()
    return 0 if search_ok and ratio >= 0.6 else 1


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def search_figures(ctx, queries: int = 200) -> bool:
    """Catalogue search on the synced store: p50 / p95 per kind and overall (floor p95 <= 5 ms)."""
    rnd = random.Random(7)
    with ctx.store.read_connection() as conn:
        total = conn.exec_driver_sql("SELECT count(*) FROM catalog_items WHERE admdvs = ?", (ADMDVS,)).scalar_one()
        sample = conn.exec_driver_sql(
            "SELECT med_list_codg, name FROM catalog_items WHERE admdvs = ? AND vali_flag = '1' AND id % 97 = 0",
            (ADMDVS,)).fetchall()
    picks = [rnd.choice(sample) for _ in range(queries)]
    base = [n.split("(")[0] for _, n in picks]

    def sub(s: str, k: int) -> str:
        i = rnd.randrange(0, max(1, len(s) - k + 1))
        return s[i:i + k]

    kinds = {
        "exact code": [c for c, _ in picks],
        "code prefix (10)": [c[:10] for c, _ in picks],
        "name prefix (2)": [b[:2] for b in base],
        "name substring (3-4)": [sub(b, rnd.choice((3, 4))) for b in base],
        "name substring (2)": [sub(b, 2) for b in base],
        "pinyin initials (4-5)": [catalog.search_columns(b)[0][:rnd.choice((4, 5))] for b in base],
        "full pinyin prefix (6-8)": [catalog.search_columns(b)[1][:rnd.choice((6, 8))] for b in base],
    }
    every: list[float] = []
    print(f"catalogue search on the synced store ({total:,} items of {ADMDVS}), {queries} queries per kind:")
    for kind, qs in kinds.items():
        catalog.search(ctx.store, ADMDVS, qs[0])          # warm the statement cache
        ms = []
        for q in qs:
            t = time.perf_counter()
            catalog.search(ctx.store, ADMDVS, q, limit=20)
            ms.append((time.perf_counter() - t) * 1000)
        every += ms
        print(f"  {kind:26s} p50 {pct(ms, 50):6.2f} ms  p95 {pct(ms, 95):6.2f} ms  max {max(ms):6.2f} ms")
    p95 = pct(every, 95)
    print(f"  ALL kinds: p95 {p95:.2f} ms (floor 5 ms) -> {'MET' if p95 <= 5 else 'NOT MET'}")
    return p95 <= 5


if __name__ == "__main__":
    raise SystemExit(main())
