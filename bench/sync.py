"""Benchmark: `SyncService` full catalogue sync (1301/1305/1306 → 9102 zips) from the training platform,
then a 1 % incremental sync.

    .venv/bin/python bench/sync.py [--rows 300000]

The platform gets a catalogue of --rows rows (client.sandbox.demo.generate(catalog_size=...)); the
expanded rows are all given to the training institution's region (310118) so one window downloads
(nearly) all of them. Printed figures:

* end-to-end rows/s of the full sync (HTTP + zip + parse + validate + upsert + commit per page);
* the LOCAL apply rate (parse + validate + pinyin/search columns + upsert + sync_state, one
  transaction per page) next to a baseline measured in the same run: raw ``sqlite3.executemany`` of
  the very same prepared tuples into the same table (``catalog_items`` of a fresh store, with its FTS
  triggers), one transaction — ratio = ours / raw (floor: ≥ 50 %);
* for information, bench/store_sync.py's plain-table baseline (no FTS) on the same tuples;
* the 1 % incremental sync: the platform changes 1 % of the rows (new price, new ver).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from client.sandbox import demo  # noqa: E402
from client.sandbox.server import EmbeddedPlatform  # noqa: E402
from client.sandbox.store import DB_NAME  # noqa: E402
from client.services.context import open_context, training_settings_for  # noqa: E402
from client.services.sync import SyncService  # noqa: E402
from offline_cache import catalog  # noqa: E402
from offline_cache.store import open_store  # noqa: E402

ADMDVS = "310118"


def build_data(rows: int) -> dict:
    data = demo.generate(catalog_size=rows)
    base = demo.base_catalog_size()
    for r in data["catalog"][base:]:
        r["admdvs"] = ADMDVS
    return data


def raw_same_table(path: Path, prepared: list[tuple]) -> float:
    store = open_store(path)
    store.close()
    cols = catalog.CATALOG_COLUMNS + catalog.SEARCH_COLUMNS
    c = sqlite3.connect(str(path), isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=FULL")
    sql = f"INSERT INTO catalog_items ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    t = time.perf_counter()
    c.execute("BEGIN")
    c.executemany(sql, prepared)
    c.execute("COMMIT")
    dt = time.perf_counter() - t
    c.close()
    return dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        t = time.perf_counter()
        data = build_data(args.rows)
        plat = EmbeddedPlatform(d / "platform", data=data).start()
        del data
        print(f"sqlite {sqlite3.sqlite_version}; platform catalogue {args.rows:,} rows "
              f"(loaded in {time.perf_counter() - t:.1f} s), page {plat.catalog_page_rows:,} rows")
        try:
            ctx = open_context(training_settings_for(plat.url, d / "window"))
            try:
                t = time.perf_counter()
                full = SyncService(ctx).run(hilist=False, bundles=False)
                wall = time.perf_counter() - t
                n = sum(s.rows for s in full.streams)
                apply_s = sum(s.apply_seconds for s in full.streams)
                print(f"full sync:        {n:,} rows in {wall:.1f} s = {n / wall:,.0f} rows/s end to end "
                      f"({sum(s.pages for s in full.streams)} files)")
                print(f"  local apply:    {apply_s:.1f} s = {n / apply_s:,.0f} rows/s (parse+validate+search columns+upsert+ver)")
                with ctx.store.read_connection() as conn:
                    cols = catalog.CATALOG_COLUMNS + catalog.SEARCH_COLUMNS
                    prepared = [tuple(r) for r in conn.exec_driver_sql(
                        f"SELECT {', '.join(cols)} FROM catalog_items ORDER BY id").fetchall()]
                raw = raw_same_table(d / "raw.sqlite3", prepared)
                print(f"  raw executemany into catalog_items (same table, FTS triggers): {raw:.1f} s = "
                      f"{len(prepared) / raw:,.0f} rows/s  → ours/raw = {raw / apply_s:.0%} (floor 50 %)")
                try:
                    from store_sync import raw_baseline

                    plain = raw_baseline(d / "plain.sqlite3", prepared)
                    print(f"  (info) raw executemany into a plain table without FTS: {len(prepared) / plain:,.0f} rows/s "
                          f"→ ours/plain = {plain / apply_s:.0%}")
                except ImportError:
                    pass
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
                print(f"1 % incremental:  {m:,} rows ({upd_n:,} updated) in {wall:.2f} s = {m / wall:,.0f} rows/s "
                      f"end to end; local apply {sum(s.apply_seconds for s in inc.streams):.2f} s")
                assert m == len(upd) == upd_n, (m, len(upd), upd_n)
            finally:
                ctx.close()
        finally:
            plat.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
