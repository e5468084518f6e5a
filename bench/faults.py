"""Long fault drill: ≥ 200 `medsettle checkout` subprocesses under injected faults and random SIGKILLs.

    .venv/bin/python bench/faults.py [-n 200] [--workers 3] [--seed 7] [--kill-rate 0.5] [--json]
    .venv/bin/python bench/faults.py --payments [-n 200]      # the payment-code drill (docs/payments.md)

Same driver as the CI suite (tests/faults/driver.py): every fault mode of the training platform
(drop-after-commit on 2207 and 2304), outpatient and inpatient checkouts, kills landed in each phase
of the durable-before-network protocol (phase recorded from the window database at the moment of
the kill), `medsettle recover` after each kill / unknown outcome (lost settlements 冲正 by 2601 with a
fresh msgid, then settled again), then the invariants. Prints how many 2601 were sent, accepted,
found nothing to reverse, were refused or got no answer. Prints the figures; exit 1 if anything was lost, duplicated or left unresolved.
Baseline in the same run: the average duration of an undisturbed checkout subprocess.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.driver import run_parallel  # noqa: E402


def _baseline(base: Path, runs: int = 3) -> float:
    """Seconds per undisturbed checkout subprocess (no faults, no kills) on this machine, now."""
    from tests.faults.driver import run_parallel as rp

    t = time.monotonic()
    fig = rp(base, n=runs, workers=1, seed=1, kill_rate=0.0, grace=1.0)
    assert fig.lost == 0 and fig.duplicated == 0
    return (time.monotonic() - t) / runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--kill-rate", type=float, default=0.5)
    ap.add_argument("--grace", type=float, default=2.5)
    ap.add_argument("--json", action="store_true", help="print the full figures as JSON")
    ap.add_argument("--payments", action="store_true",
                    help="the payment-code drill instead (tests/faults/paydrill.py): gateway faults, scenarios, kills")
    args = ap.parse_args()
    if args.payments:
        return _payments(args)
    with tempfile.TemporaryDirectory(prefix="medsettle-faults-") as tmp:
        base = _baseline(Path(tmp) / "baseline")
        fig = run_parallel(Path(tmp) / "drill", n=args.n, workers=args.workers, seed=args.seed,
                           kill_rate=args.kill_rate, grace=args.grace, log=lambda m: print(m, file=sys.stderr))
    d = fig.to_dict()
    if args.json:
        print(json.dumps(d, ensure_ascii=False, indent=1))
    print(f"checkouts            {fig.checkouts}  (exit codes {dict(fig.exits)})")
    print("faults injected by kind:")
    kinds: dict[str, int] = {}
    for k, v in fig.faults.items():
        kinds[k.split("@")[0].split("(")[0]] = kinds.get(k.split("@")[0].split("(")[0], 0) + v
    for k, v in sorted(kinds.items()):
        print(f"  {k:20s} {v}")
    print(f"kills                {fig.kills}")
    for k, v in sorted(fig.kill_phases.items()):
        print(f"  {k:36s} {v}")
    print(f"recoveries           {fig.recoveries}  (exit 3 and retried: {fig.recover_exit3})")
    print(f"inpatient checkouts  {fig.inpatient}")
    print(f"2601 sent            {fig.reversals_sent}  (accepted {fig.reversals_accepted}, nothing to reverse "
          f"{fig.reversals_nothing}, refused {fig.reversals_refused}, no answer {fig.reversals_no_answer}; "
          f"2601 reversal records on the ledgers {fig.ledger_2601_records})")
    print(f"adjustments          {fig.adjustments}")
    print(f"settled exactly once {fig.settled_once}")
    print(f"failed, visible      {fig.failed_visible}  (then settled again: exit codes {dict(fig.settled_again)})")
    print(f"no settlement row    {fig.not_started}")
    print(f"lost                 {fig.lost}")
    print(f"duplicated           {fig.duplicated}")
    print(f"amount mismatches    {fig.mismatched_amounts}")
    print(f"left unresolved      {fig.non_terminal + fig.outbox_left}")
    print(f"integrity_check ok   {fig.integrity_ok}/{fig.databases}")
    print(f"3201/3202 reconciled {fig.reconciled_windows}/{fig.databases}")
    print(f"wall time            {fig.seconds:.1f} s; {fig.seconds / max(1, fig.checkouts):.2f} s per checkout "
          f"(baseline undisturbed checkout {base:.2f} s, ratio {fig.seconds / max(1, fig.checkouts) / base:.2f})")
    for p in fig.problems:
        print("PROBLEM:", p)
    bad = fig.lost or fig.duplicated or fig.mismatched_amounts or fig.non_terminal or fig.outbox_left or fig.problems
    return 1 if bad else 0


def _payments(args) -> int:
    """`--payments`: ≥ 200 checkouts paid by payment code; prints each invariant's figure."""
    from tests.faults.paydrill import run_drill

    with tempfile.TemporaryDirectory(prefix="medsettle-paydrill-") as tmp:
        fig = run_drill(Path(tmp), n=args.n, seed=args.seed, kill_rate=args.kill_rate,
                        log=lambda m: print(m, file=sys.stderr))
    if args.json:
        print(json.dumps(fig.to_dict(), ensure_ascii=False, indent=1))
    print(f"checkouts                         {fig.checkouts}")
    print(f"faults                            {dict(fig.faults)}")
    print(f"scenarios                         {dict(fig.scenarios)}")
    print(f"kills                             {fig.kills}  {dict(fig.kill_phases)}")
    print(f"final trade states                {dict(fig.outcomes)}")
    print(f"settlements confirmed             {fig.settled}")
    print(f"charges kept by the gateway       {fig.gateway_charges_kept}")
    print(f"double charges                    {fig.double_charges}")
    print(f"charges without settlement        {fig.charges_without_settlement}")
    print(f"settlements without share/owed    {fig.settlements_without_share}")
    print(f"owed flags (for a supervisor)     {fig.owed}")
    print(f"trades left open                  {fig.open_trades}")
    print(f"statement reconciled              {fig.statement_reconciled}")
    print(f"receipts printed / truncated      {fig.receipts_printed} / {fig.receipts_truncated}")
    print(f"missing receipts reprinted        {fig.receipts_reprinted}  (supervised copies, 补打)")
    print(f"wall time                         {fig.seconds:.1f} s")
    for p in fig.problems:
        print("PROBLEM:", p)
    bad = (fig.double_charges or fig.charges_without_settlement or fig.settlements_without_share or fig.open_trades
           or not fig.statement_reconciled or fig.receipts_truncated or fig.problems)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
