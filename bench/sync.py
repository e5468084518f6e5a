"""Benchmark: `SyncService` full catalogue sync (1301/1305/1306 → 9102 zips) from the training platform,
then a 1 % incremental sync.

    .venv/bin/python bench/sync.py [--rows 300000]

The platform gets a catalogue of --rows rows (training_platform.demo.generate(catalog_size=...)); the
expanded rows are all given to the training institution's region (310118) so one window downloads
(nearly) all of them. Printed figures:

* end-to-end rows/s of the full sync (HTTP + zip + parse + validate + upsert + commit per file). The
  training platform runs in a SEPARATE process (a real platform is remote), so it does not compete
  with the client for the GIL — it still shares the machine's 2 cores;
* the LOCAL insert time: parse + validate (converter thread, its CPU time: waiting for the GIL
  behind the writer is not work) + names + upsert + sync_state + durable commit (writer thread,
  wall time), one transaction per file, SUMMED (the threads overlap in wall time, so the sum does
  not credit the overlap); plus the client process CPU of the whole sync;
* the SEARCH INDEX step that follows the rows (``SyncService.index_names``: pinyin / grams of the
  new names + the 3 FTS5 indexes, wall time) and the time until every row is searchable by pinyin
  and substring (insert + index) against the same baseline — printed next to the floor, not hidden;
* the STRICT baseline, measured in the same run (twice, the faster counts): raw
  ``sqlite3.executemany`` of the very same rows (CATALOG_COLUMNS + name_id, ids assigned in advance,
  see bench/store_sync.py ``item_rows``) into a plain table of exactly our ``catalog_items`` layout
  (3 indexes, no FTS, no triggers), one transaction → ratio = raw / ours local insert (floor: ≥ 50 %);
* for information only, clearly labelled: the pre-0003 flat layout baseline (catalogue columns + the 4
  derived search columns per row, 5 indexes);
* the 1 % incremental sync: the platform changes 1 % of the rows (new price, new ver).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
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
            ctx = open_context(training_settings_for(plat.url, d / "window"))
            try:
                t, cpu = time.perf_counter(), time.process_time()
                full = SyncService(ctx).run(hilist=False, bundles=False)
                full_wall = wall = time.perf_counter() - t
                full_cpu = time.process_time() - cpu    # this (client) process only: the platform is elsewhere
                n = sum(s.rows for s in full.streams)
                apply_s = sum(s.apply_seconds for s in full.streams)
                index_s, index_n = full.index.apply_seconds, full.index.rows
                print(f"full sync:        {n:,} rows in {wall:.1f} s = {n / wall:,.0f} rows/s end to end "
                      f"({sum(s.pages for s in full.streams)} files + the search index)")
                print(f"  local insert:   {apply_s:.2f} s = {n / apply_s:,.0f} rows/s (parse+validate+names+upsert+ver, "
                      "durable commit per file; converter thread CPU + writer wall, summed)")
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
                inc = SyncService(ctx).run(hilist=False, bundles=False)
                wall = time.perf_counter() - t
                m = sum(s.rows for s in inc.streams)
                upd_n = sum(s.updated for s in inc.streams)
                inc_s = sum(s.apply_seconds for s in inc.streams)
                print(f"1 % incremental:  {m:,} rows ({upd_n:,} updated) in {wall:.2f} s = {m / wall:,.0f} rows/s "
                      f"end to end; local insert {inc_s:.2f} s, search index "
                      f"{inc.index.apply_seconds:.2f} s ({inc.index.rows:,} new names)")
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
                print(f"  FLOOR: ours/raw on the local insert rate (both threads summed) = {raw / apply_s:.0%} "
                      f"(floor 50 %) -> {'MET' if raw / apply_s >= 0.5 else 'NOT MET'}")
                print(f"  (info) until also searchable by pinyin/substring (insert + index) = "
                      f"{raw / (apply_s + index_s):.0%} of raw; end to end incl. HTTP + platform process + index = "
                      f"{raw / full_wall:.0%}")
                print(f"  CPU: raw {raw_cpu:.2f} s vs client process {full_cpu:.1f} s -> {raw_cpu / full_cpu:.0%} "
                      "(info: includes HTTP + unzip + the index step, which the local insert does not)")
                flat = min(raw_baseline(d / f"flat{k}.sqlite3", flat_rows(prepared), "flat")[0] for k in (0, 1))
                print(f"  (info only, NOT the floor) raw executemany into the pre-0003 flat layout (catalogue + 4 "
                      f"search columns per row, 5 indexes): {flat:.2f} s -> ours/flat = {flat / apply_s:.0%} (insert), "
                      f"{flat / (apply_s + index_s):.0%} (insert + index)")
            finally:
                ctx.close()
        finally:
            plat.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
