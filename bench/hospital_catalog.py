"""Catalogue once per hospital: a window's refresh from the hospital store (PostgreSQL on the LAN)
against the direct central download of the same rows, measured in the same run.

A training platform with ``--rows`` catalogue rows runs in its own process (bench/sync.py's
RemotePlatform, at low CPU priority; in production it is remote). (1) An empty window syncs
DIRECTLY (timed; the platform builds each file for the request, as a central platform does);
(2) `hospital sync` records the files into a throwaway PostgreSQL server; (3) another empty
window syncs FROM THE HOSPITAL STORE (timed). The platform here is on the loopback interface: a
real central platform adds the WAN, which only widens the gap. Both apply the same rows with the same reader, so the figures printed are

* fetch: the time spent obtaining the files (download_catalogue: 13xx + 9102 + unzip, or the
  hospital store's SELECT + zlib), summed over the files — the part the hospital store replaces;
* end to end: the whole catalogue sync of the window (fetch overlapped with the local insert);

and the ratios direct / hospital. Floor (issue 17): the refresh from the hospital store at least
3× faster than the central download of the same rows (the fetch ratio).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.sync import RemotePlatform  # noqa: E402
from tests import pgserver  # noqa: E402


class Timed:
    """Sums the wall time of download_catalogue calls of the wrapped central (any thread)."""

    def __init__(self, inner):
        self._inner, self.seconds, self.files = inner, 0.0, 0

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def download_catalogue(self, *a, **kw):
        t = time.perf_counter()
        try:
            out = self._inner.download_catalogue(*a, **kw)
        finally:
            self.seconds += time.perf_counter() - t
        if out[1]:
            self.files += 1
        return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=300_000)
    a = ap.parse_args()
    why = pgserver.available()
    if why:
        print(f"cannot run: {why}")
        return 2
    from dataclasses import replace

    from client.config import training_settings
    from client.services.context import open_context
    from client.services.hospital_catalog import HospitalCentral, RecordingCentral
    from client.services.sync import SyncService
    with tempfile.TemporaryDirectory(prefix="bench-hcat-") as tmp, pgserver.throwaway_hospital() as (_srv, engine):
        d = Path(tmp)
        plat = RemotePlatform(d / "platform", a.rows)
        try:

            def ctx_for(name: str, window: str):
                return open_context(replace(training_settings(plat.url, d / name), window_id=window))

            # (1) the direct download, the platform building its files as a central platform does per
            # request (no warm-up: that work is exactly what one download per hospital saves)
            with ctx_for("direct", "w92") as c1:
                timed = Timed(c1.central)
                c1.central = timed
                t = time.perf_counter()
                s1 = SyncService(c1).run(hilist=False, bundles=False)
                direct_wall = time.perf_counter() - t
                direct_fetch, rows1 = timed.seconds, sum(s.rows for s in s1.streams if s.name.startswith("catalog:"))
            print(f"platform: {a.rows:,} rows, loaded in {plat.load_seconds:.1f} s")
            # (2) once for the hospital (IT): the files into the hospital store
            with ctx_for("it", "w91") as it:
                rec = RecordingCentral(it.central, engine, it.admdvs)
                it.central = rec
                t = time.perf_counter()
                SyncService(it).run(hilist=False, bundles=False)
                print(f"hospital sync (IT, once for the hospital): {rec.recorded} files in {time.perf_counter() - t:.1f} s")
            # (3) a window refreshes from the hospital store
            with ctx_for("fromhosp", "w93") as c2:
                hc = HospitalCentral(c2.central, engine, c2.admdvs)
                timed2 = Timed(hc)
                c2.central = timed2
                t = time.perf_counter()
                s2 = SyncService(c2).run(hilist=False, bundles=False)
                hosp_wall = time.perf_counter() - t
                hosp_fetch, rows2 = timed2.seconds, sum(s.rows for s in s2.streams if s.name.startswith("catalog:"))
                served = dict(hc.served.hospital)
        finally:
            plat.stop()
    assert rows1 == rows2, (rows1, rows2)
    fetch_ratio = direct_fetch / hosp_fetch if hosp_fetch else float("inf")
    print(f"rows {rows1:,} (files from the hospital store: {served})")
    print(f"fetch:      direct {direct_fetch:.2f} s, from the hospital store {hosp_fetch:.2f} s → "
          f"{fetch_ratio:.1f}× faster (floor 3×: {'MET' if fetch_ratio >= 3 else 'NOT MET'})")
    print(f"end to end: direct {direct_wall:.2f} s, from the hospital store {hosp_wall:.2f} s → "
          f"{direct_wall / hosp_wall:.2f}× (the local insert of the same rows is in both)")
    return 0 if fetch_ratio >= 3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
