"""CI payment drill: ≥ 30 checkouts paid by payment code under every training-gateway fault and scenario,
with random SIGKILLs, each followed by `medsettle recover` (tests/faults/paydrill.py; bench: bench/faults.py
--payments). Afterwards: 0 double charges, 0 charges without settlement, 0 settlements without their share
or an owed flag, no trade left open, and the statement reconciles."""

from __future__ import annotations

import json

import pytest

from tests.faults.paydrill import PAY_FAULTS, run_drill

N_CHECKOUTS = 30


@pytest.mark.timeout(900)
def test_payment_drill_never_charges_twice_or_without_settlement(tmp_path):
    fig = run_drill(tmp_path, n=N_CHECKOUTS, seed=5, kill_rate=0.5)
    report = json.dumps(fig.to_dict(), ensure_ascii=False, indent=1)
    print(report)
    assert fig.checkouts == N_CHECKOUTS and fig.problems == [], report
    assert len(fig.faults) == len(PAY_FAULTS), report
    assert fig.double_charges == 0 and fig.charges_without_settlement == 0, report
    assert fig.settlements_without_share == 0 and fig.open_trades == 0 and fig.state_mismatches == 0, report
    assert fig.statement_reconciled, report
    assert fig.receipts_truncated == 0 and fig.receipts_printed >= 10, report
    assert fig.kills >= 3 and fig.settled >= 10 and fig.gateway_charges_kept >= 5, report
    print(f"double charges {fig.double_charges}, charges without settlement {fig.charges_without_settlement}, "
          f"settlements without share or owed flag {fig.settlements_without_share}, owed {fig.owed}, "
          f"statement reconciled {fig.statement_reconciled}; receipts printed {fig.receipts_printed}, "
          f"truncated {fig.receipts_truncated}, reprinted under supervision {fig.receipts_reprinted}; "
          f"kill phases {dict(fig.kill_phases)}")
