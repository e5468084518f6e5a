"""Hospital mode benchmark: N windows × M patients through real `medsettle checkout` processes
against one training platform and one PostgreSQL hospital store (stopped once mid-run and
started again), then the institution's day end.

Prints settlements/s, the replication lag p50/p95 (hospital receive time − window commit time,
entries committed while the server was up), the day-end reconcile time of the run, whether every
settlement arrived exactly once, and whether a seeded difference was named.

Floors (this machine, 2 cores): lag p95 ≤ 2 s while the server is up; the reconcile of the run's
1,000 settlements ≤ 10 s. Defaults: 20 windows × 50 patients; `--windows 5 --patients 3` is the
CI-sized run of tests/integration/test_hospital_simulation.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import hospital_sim, pgserver  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=int, default=20)
    ap.add_argument("--patients", type=int, default=50)
    ap.add_argument("--parallel", type=int, default=4, help="window processes settling at the same time")
    ap.add_argument("--outage", type=float, default=5.0, help="seconds the hospital server is down")
    a = ap.parse_args()
    why = pgserver.available()
    if why:
        print(f"cannot run: {why}")
        return 2
    from training_platform.server import EmbeddedPlatform

    with tempfile.TemporaryDirectory(prefix="bench-hospital-") as tmp, pgserver.throwaway_hospital() as (srv, engine):
        base = Path(tmp)
        platform = EmbeddedPlatform(base / "platform").start()
        try:
            res = hospital_sim.run(platform.url, srv, "medsettle", engine, base, windows=a.windows,
                                   patients=a.patients, parallel=a.parallel, outage_s=a.outage)
        finally:
            platform.stop()
    n = res.settlements
    print(f"windows {res.windows}, settlements {n}, wall {res.wall_s:.1f} s → {res.rate:.2f} settlements/s "
          f"(hospital server down {res.outage_s:.1f} s mid-run)")
    print(f"replication lag while up, every journal entry: p50 {res.lag_p50_s:.2f} s, p95 {res.lag_p95_s:.2f} s "
          f"(floor p95 ≤ 2 s: {'ok' if res.lag_p95_s is not None and res.lag_p95_s <= 2 else 'MISSED'})")
    print(f"replication lag while up, settlement confirmed → in the hospital store: p50 {res.confirm_lag_p50_s:.2f} s, "
          f"p95 {res.confirm_lag_p95_s:.2f} s")
    print(f"institution reconcile of {res.reconcile.get('records')} records: {res.reconcile_s:.2f} s wall "
          f"(incl. the platform's own time; floor ≤ 10 s: {'ok' if res.reconcile_s <= 10 else 'MISSED'}), "
          f"clean {res.reconcile.get('clean')}")
    print(f"exactly once {res.exactly_once}, window books equal {res.books_equal}, "
          f"seeded difference at {res.seeded_window} named: {res.seeded_window.split('#')[0] in res.mismatch_stderr}")
    if res.failures:
        print(f"{len(res.failures)} failures:")
        for f in res.failures[:20]:
            print("  " + f)
    return 0 if not res.failures and res.exactly_once and res.books_equal else 1


if __name__ == "__main__":
    raise SystemExit(main())
