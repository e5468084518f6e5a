"""CI-sized hospital simulation (tests/hospital_sim.py): 5 windows × 3 patients through real
`medsettle checkout` processes, one training platform, one PostgreSQL hospital store stopped and
restarted mid-run. Afterwards every settlement is in the hospital store exactly once and equal to
the window's own books, the institution reconciles cleanly, and a seeded difference is named."""

from __future__ import annotations

from tests import hospital_sim


def test_five_windows_with_a_hospital_outage(platform, hospital, tmp_path):
    srv, dbname, engine = hospital
    res = hospital_sim.run(platform.url, srv, dbname, engine, tmp_path, windows=5, patients=3, parallel=3,
                           outage_at=0.3, outage_s=3.0)
    print(f"{res.settlements} settlements in {res.wall_s:.1f} s ({res.rate:.2f}/s), outage {res.outage_s:.1f} s, "
          f"lag p50 {res.lag_p50_s} s p95 {res.lag_p95_s} s, reconcile {res.reconcile_s:.1f} s")
    assert res.failures == []
    assert res.outage_s > 0                      # the server really was down during the run
    assert res.exactly_once and res.books_equal
    assert res.reconcile["clean"] and res.reconcile["records"] == 15
    assert set(res.reconcile["by_window"]) == {f"w{i:02d}" for i in range(1, 6)}
    assert res.mismatch_rc == 1
    wid, lid = res.seeded_window.split("#")
    assert f"窗口 {wid} 收费员 T001 本地结算 {lid}" in res.mismatch_stderr
