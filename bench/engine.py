"""Settlement engine speed: a 5,000-line inpatient case and a 20-line outpatient case.

Run: ``.venv/bin/python bench/engine.py [--runs N]``

Prints median / p95 of ``settle()`` (in process, validation included) against the floors
(5,000 lines <= 50 ms, 20 lines <= 2 ms), and a baseline measured in the same run: a plain
loop that parses the same lines' ``cnt``/``pric`` to Decimal and sums ``cnt x pric``. The ratio
says how much the full engine (validation, catalogue split, policy, layers, trace, output) costs
over touching every line once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from client.domain.engine import settle  # noqa: E402

FLOOR_MS = {"inpatient-5000": 50.0, "outpatient-20": 2.0}


def _catalog(n_codes: int) -> list[dict]:
    out = []
    for i in range(n_codes):
        lv = ("01", "02", "03")[i % 3]
        e = {"code": f"X{i:06d}", "name": f"项目{i}", "chrgitm_lv": lv, "med_chrgitm_type": "09"}
        if lv == "02":
            e["selfpay_prop"] = ("0.10", "0.15", "0.20")[i % 3 // 1 % 3]
        else:
            e["selfpay_prop"] = "0"
        if i % 7 == 0:
            e["pric_uplmt_amt"] = "10.00"
        out.append(e)
    return out


def build_case(n_lines: int, inpatient: bool) -> dict:
    n_codes = max(10, n_lines // 5)
    lines = []
    for i in range(n_lines):
        code = f"X{i % n_codes:06d}" if i % 50 else "NOT-IN-CATALOG"
        line = {
            "feedetl_sn": str(i + 1),
            "code": code,
            "cnt": str(1 + i % 4),
            "pric": f"{5 + i % 97}.{i % 100:02d}",
        }
        if i % 11 == 0:
            line["det_item_fee_sumamt"] = f"{(1 + i % 4) * (5 + i % 97)}.00"
        lines.append(line)
    policy = {
        "id": "bench-ipt" if inpatient else "bench-otp",
        "insuplc_admdvs": "320509",
        "insutype": "390",
        "med_types": ["21"] if inpatient else ["11"],
        "psn_types": ["*"],
        "valid": ["2021-01-01", "2021-12-31"],
        "basic_fund_pay_type": "390100",
        "deductible": {
            "per": "visit",
            "by_hosp_lv": {"1": "300", "2": "600", "3": "800"},
            "nth_admission": [{"factor": "1"}, {"factor": "0.5"}, {"amount": "100"}],
        },
        "ratio": {
            "bands": [
                {"from": "0", "to": "40000", "ratio": "0.75"},
                {"from": "40000", "to": "100000", "ratio": "0.80"},
                {"from": "100000", "to": None, "ratio": "0.85"},
            ]
        },
        "eligible_cap_year": "500000",
        "fund_cap_year": "350000",
        "cross_region": {"allow_unfiled": True, "mode": "points", "unfiled": "0.10"},
        "layers": [
            {
                "id": "hifmi",
                "field": "hifmi_pay",
                "fund_pay_type": "390200",
                "base": "inscp_remaining",
                "per": "year",
                "bands": [
                    {"from": "15000", "to": "100000", "ratio": "0.60"},
                    {"from": "100000", "to": None, "ratio": "0.70"},
                ],
                "cap": "400000",
            },
            {
                "id": "maf",
                "field": "maf_pay",
                "fund_pay_type": "610100",
                "base": "all_remaining",
                "per": "visit",
                "bands": [{"from": "0", "to": None, "ratio": "0.50"}],
                "idet": ["low_income"],
            },
        ],
        "account": {"covers": "all"},
    }
    return {
        "format": "settlement-case/1",
        "visit": {"mdtrtarea_admvs": "330421", "hosp_lv": "3", "med_type": "21" if inpatient else "11",
                  "begndate": "2021-11-02", "filing": "long_term" if inpatient else "none"},
        "person": {"insuplc_admdvs": "320509", "insutype": "390", "psn_type": "1501", "age": 67,
                   "idet": ["low_income"], "acct_balc": "500.00", "acct_used_flag": "1",
                   "ytd": {"admissions": 1, "seg_amt": "12000.00", "hifp_pay": "10000.00",
                           "layers": {"hifmi": {"base_amt": "9000.00", "paid": "0.00"}}}},
        "catalog": _catalog(n_codes),
        "lines": lines,
        "policies": [policy],
        "zones": [{"name": "示范区", "members": ["310118", "320509", "330421"], "from": "2020-08-24",
                   "med_types": ["11", "13", "14"]}],
    }  # fmt: skip


def baseline(case: dict) -> Decimal:
    total = Decimal(0)
    for ln in case["lines"]:
        total += (Decimal(ln["cnt"]) * Decimal(ln["pric"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return total


def measure(fn, arg, runs: int) -> list[float]:
    fn(arg)  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(arg)
        times.append((time.perf_counter() - t0) * 1000.0)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=0, help="runs per case (default 60 / 2000)")
    args = ap.parse_args()
    ok = True
    print(
        f"{'case':<16}{'lines':>6}{'median ms':>11}{'p95 ms':>9}{'floor ms':>10}{'baseline ms':>13}{'ratio':>8}  result"
    )
    for name, n, inpatient, default_runs in (
        ("inpatient-5000", 5000, True, 60),
        ("outpatient-20", 20, False, 2000),
    ):
        case = build_case(n, inpatient)
        runs = args.runs or default_runs
        t = measure(settle, case, runs)
        b = measure(baseline, case, runs)
        med = statistics.median(t)
        p95 = statistics.quantiles(t, n=20)[18]
        bmed = statistics.median(b)
        good = med <= FLOOR_MS[name]
        ok &= good
        print(
            f"{name:<16}{n:>6}{med:>11.3f}{p95:>9.3f}{FLOOR_MS[name]:>10.1f}{bmed:>13.3f}{med / bmed:>8.1f}  "
            f"{'OK' if good else 'TOO SLOW'}"
        )
    r = settle(build_case(5000, True))["setlinfo"]
    print(f"sanity: medfee {r['medfee_sumamt']} fund {r['fund_pay_sumamt']} psn {r['psn_part_amt']}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
