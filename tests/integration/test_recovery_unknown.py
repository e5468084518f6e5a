"""Crash recovery against the training platform: lost 2207 answers resolved by 5203, never resent.

Real EmbeddedPlatform on loopback, real SQLite store, checkout.Counter for the online flow and the
platform's fault injection (/admin/fault) to lose answers.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from client.api import Operator
from client.services import dayend
from client.services.checkout import Counter
from client.services.context import open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.housekeeping import recover
from client.services.payments import Tender
from client.services.sync import SyncService
from training_platform.ledger import read_ledger

OP = Operator("T001", "培训收费员", "A03", "内科")
CERTNO = "330421198503150016"
LINES = [("001102000010000", "1"), ("XJ01CRA006A001010104041", "12")]


def fault(platform, **spec):
    r = requests.post(platform.url + "/admin/fault", json=spec, timeout=5)
    assert r.status_code == 200, r.text


@pytest.fixture
def ctx(platform, tmp_path):
    s = training_settings_for(platform.url, tmp_path / "window")
    with open_context(s, operator=OP) as c:
        SyncService(c).run(bundles=["330421"])
        dayend.open_shift(c.store, OP.opter, Decimal("0.00"))     # no settlement without an open shift
        yield c


def _checkout(ctx) -> Counter:
    c = Counter(ctx)
    c.identify_certno(CERTNO)
    c.start_outpatient("11")
    for code, cnt in LINES:
        c.add_line(code, cnt)
    c.presettle("0")
    c.acknowledge_prechecks("all")        # 事前提醒 confirmed by the operator (checkout requires it)
    return c


def _row(ctx, sid=None):
    with ctx.store.read_connection() as conn:
        q = "SELECT id, msgid, state, setl_id, psn_cash_pay FROM settlements"
        q += f" WHERE id = {int(sid)}" if sid else " ORDER BY id DESC LIMIT 1"
        return conn.exec_driver_sql(q).fetchone()


def test_recovery_lost_answer_after_commit_is_confirmed_locally_not_resent(platform, ctx):
    c = _checkout(ctx)
    fault(platform, mode="drop-after-commit", infno="2207", next=1)
    with pytest.raises(ServiceError) as ei:
        c.settle([Tender("cash", c.trial.psn_cash_pay)])
    assert ei.value.code == "unknown"
    sid, msgid, state, _, _ = _row(ctx)
    assert state == "unknown"
    before = [r for r in read_ledger(platform.data_dir) if r["medins_setl_id"] == msgid]
    assert len(before) == 1          # processed centrally, answer lost

    rep = recover(ctx, drain=True, grace_s=0)
    assert rep.counts() == {"confirmed": 1}
    _, _, state, setl_id, cash = _row(ctx, sid)
    assert state == "confirmed" and setl_id == before[0]["setl_id"]
    # same amounts centrally and locally
    assert f"{cash / 100:.2f}" == before[0]["psn_cash_pay"]      # fen in SQLite
    # nothing was resent: still exactly one central settlement for that msgid
    assert len([r for r in read_ledger(platform.data_dir) if r["medins_setl_id"] == msgid]) == 1
    # the share was not taken (the window crashed before recording it): listed as owed
    assert [u["settlement_id"] for u in rep.unpaid] == [sid]
    assert rep.clean


def test_recovery_request_dropped_before_processing_becomes_failed_after_grace(platform, ctx):
    c = _checkout(ctx)
    fault(platform, mode="drop-before", infno="2207", next=1)
    with pytest.raises(ServiceError) as ei:
        c.settle([Tender("cash", c.trial.psn_cash_pay)])
    assert ei.value.code == "unknown"
    sid, msgid, *_ = _row(ctx)
    # young request: not declared failed yet
    rep = recover(ctx, drain=False, grace_s=3600)
    assert _row(ctx, sid)[2] == "unknown" and not rep.clean
    # after the grace period the platform's "no record" is final
    rep = recover(ctx, drain=False, grace_s=0)
    assert rep.counts() == {"failed": 1}
    assert _row(ctx, sid)[2] == "failed"
    assert not [r for r in read_ledger(platform.data_dir) if r["medins_setl_id"] == msgid]


def test_recovery_platform_down_keeps_unknown_and_stuck_outbox_is_reset(platform, ctx):
    from offline_cache import outbox

    c = _checkout(ctx)
    fault(platform, mode="http-502", infno="2207", next=1)
    with pytest.raises(ServiceError):
        c.settle([Tender("cash", c.trial.psn_cash_pay)])
    sid = _row(ctx)[0]
    with ctx.store.session() as s:
        outbox.enqueue(s, key="K-stuck", kind="noop_test", payload={})
        item = outbox.claim_next(s, kinds=("noop_test",))
    assert item is not None
    fault(platform, mode="drop-before")               # every request fails now
    rep = recover(ctx, drain=False, grace_s=0)
    assert rep.outbox_reset == 1
    assert _row(ctx, sid)[2] == "unknown"             # nothing known → nothing decided
    assert rep.remaining_unknown == 1 and not rep.clean
    fault(platform, clear=True)
    rep = recover(ctx, drain=False, grace_s=0)
    assert rep.counts() == {"failed": 1}              # 502 before processing: the platform has no record


def test_recovery_lost_reversal_answer_resolved_from_revs_flag(platform, ctx):
    from client.services.checkout import reverse_settlement

    c = _checkout(ctx)
    rec = c.settle([Tender("cash", c.trial.psn_cash_pay)])
    setl_id = rec["setl_id"]
    fault(platform, mode="drop-after-commit", infno="2208", next=1)
    with pytest.raises(ServiceError) as ei:
        reverse_settlement(ctx, setl_id, _supervisor(ctx, setl_id), reason="测试")
    assert ei.value.code == "unknown"
    rep = recover(ctx, drain=False, grace_s=0)
    assert rep.counts() == {"reversed": 1}
    with ctx.store.read_connection() as conn:
        state, meta = conn.exec_driver_sql("SELECT state, preview_json FROM settlements WHERE setl_id = ?",
                                           (setl_id,)).fetchone()
        pays = [r[0] for r in conn.exec_driver_sql(
            "SELECT amount FROM payments p JOIN settlements s ON s.id = p.settlement_id WHERE s.setl_id = ?",
            (setl_id,))]
    assert state == "reversed"
    revs = json.loads(meta)["reversal"]["setlinfo"]
    central = [r for r in read_ledger(platform.data_dir) if r["kind"] == "revs" and r["init_setl_id"] == setl_id]
    assert len(central) == 1 and revs["setl_id"] == central[0]["setl_id"]
    assert sum(pays) == 0                              # refund recorded against the payment


def test_recovery_grace_uses_time_of_sending(platform, ctx):
    c = _checkout(ctx)
    fault(platform, mode="drop-before", infno="2207", next=1)
    with pytest.raises(ServiceError):
        c.settle([Tender("cash", c.trial.psn_cash_pay)])
    sid = _row(ctx)[0]
    later = datetime.now() + timedelta(hours=1)
    rep = recover(ctx, drain=False, grace_s=600, now_fn=lambda: later)
    assert rep.counts() == {"failed": 1}
    assert _row(ctx, sid)[2] == "failed"


def _supervisor(ctx, setl_id: str):
    """A verified reversal authorization by training supervisor 0009 (checkout refuses anything else)."""
    from client.security.passwords import TEST_PARAMS, make_hasher
    from client.services.operators import OperatorService, seed_training_operators

    hasher = make_hasher(TEST_PARAMS)
    seed_training_operators(ctx.store, ctx.settings, hasher=hasher)
    return OperatorService(ctx.store, hasher=hasher).authorize(ctx.operator.opter, "0009", "Train-0009",
                                                               action="reverse", subject=setl_id)
