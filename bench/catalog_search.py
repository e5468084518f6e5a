"""Benchmark: offline_cache.catalog.search at 300,000 rows — p50 / p95 per query kind.

Floor: p95 <= 10 ms for code prefix, name substring, pinyin initials and full pinyin.
Baseline in the same run: an unindexed ``LIKE '%q%'`` scan over the same table (what a naive
implementation would do), so the ratio shows what the indexes buy.

    .venv/bin/python bench/catalog_search.py [--rows 300000] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store_sync import BASE_NAMES, synthetic_rows  # noqa: E402

from offline_cache import catalog  # noqa: E402
from offline_cache.store import open_store  # noqa: E402


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rnd = random.Random(11)
    rows = list(synthetic_rows(args.rows))
    with tempfile.TemporaryDirectory() as d:
        store = open_store(Path(d) / "db.sqlite3")
        t = time.perf_counter()
        catalog.upsert_catalog_rows(store, rows, admdvs="310118")
        print(f"loaded {args.rows:,} rows in {time.perf_counter() - t:.1f} s")
        sample = [rnd.choice(rows) for _ in range(args.queries)]
        names = [rnd.choice(BASE_NAMES) for _ in range(args.queries)]

        def sub(s, k):
            i = rnd.randrange(0, max(1, len(s) - k + 1))
            return s[i:i + k]

        kinds = {
            "code prefix (10 chars)": [r["med_list_codg"][:10] for r in sample],
            "exact code": [r["med_list_codg"] for r in sample],
            "name substring (3-4 chars)": [sub(n, rnd.choice((3, 4))) for n in names],
            "name substring (2 chars)": [sub(n, 2) for n in names],
            "pinyin initials (4-5)": [catalog.search_columns(n)[0][:rnd.choice((4, 5))] for n in names],
            "full pinyin prefix (6-8)": [catalog.search_columns(n)[1][:rnd.choice((6, 8))] for n in names],
            "barcode": [f"69{rnd.randrange(0, args.rows, 3):011d}" for _ in range(args.queries)],
        }
        floors = {"code prefix (10 chars)", "name substring (3-4 chars)", "pinyin initials (4-5)",
                  "full pinyin prefix (6-8)"}
        for q in kinds["name substring (3-4 chars)"][:5]:  # warm-up
            catalog.search(store, "310118", q)
        print(f"{'query kind':30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'hits':>6}  floor p95<=10ms")
        all_ok = True
        for kind, queries in kinds.items():
            times, hits = [], 0
            for q in queries:
                t = time.perf_counter()
                res = catalog.search(store, "310118", q, limit=20)
                times.append((time.perf_counter() - t) * 1000)
                hits += bool(res)
            p95 = pct(times, 95)
            ok = p95 <= 10
            all_ok &= ok or kind not in floors
            print(f"{kind:30} {pct(times, 50):8.2f} {p95:8.2f} {max(times):8.2f} {hits:6}  "
                  f"{('MET' if ok else 'NOT MET') if kind in floors else '-'}")
        # baseline: naive LIKE scan
        times = []
        with store.read_connection() as c:
            for q in kinds["name substring (3-4 chars)"][:20]:
                t = time.perf_counter()
                c.exec_driver_sql("SELECT id FROM catalog_items WHERE admdvs = ? AND name LIKE ? "
                                  "ORDER BY length(name), name LIMIT 20", ("310118", f"%{q}%")).fetchall()
                times.append((time.perf_counter() - t) * 1000)
        print(f"baseline naive LIKE '%q%' scan: p50 {pct(times, 50):.1f} ms")
        store.close()
    print("all floors", "MET" if all_ok else "NOT MET")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
