"""Crash recovery against the training platform, the real way: a lost 2207 answer is resolved by
2601 冲正 with a fresh msgid (then the patient is settled again), a lost 2208 answer by 5203 with its
real inputs; nothing is ever resent with the same msgid.

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


def _ledger_for(platform, msgid):
    return [r for r in read_ledger(platform.data_dir) if r["medins_setl_id"] == msgid]


def _meta(ctx, sid):
    with ctx.store.read_connection() as conn:
        return json.loads(conn.exec_driver_sql("SELECT preview_json FROM settlements WHERE id = ?", (sid,)).scalar())


def _audit(ctx, action):
    with ctx.store.read_connection() as conn:
        return [json.loads(r[0]) for r in conn.exec_driver_sql(
            "SELECT detail_json FROM audit_events WHERE action = ? ORDER BY seq", (action,))]


def test_recovery_lost_2207_answer_is_reversed_by_2601_then_settled_again_exactly_once(platform, ctx):
    c = _checkout(ctx)
    fault(platform, mode="drop-after-commit", infno="2207", next=1)
    with pytest.raises(ServiceError) as ei:
        c.settle([Tender("cash", c.trial.psn_cash_pay)])
    assert ei.value.code == "unknown"
    sid, msgid, state, _, _ = _row(ctx)
    assert state == "unknown"
    before = _ledger_for(platform, msgid)
    assert len(before) == 1 and not before[0]["reversed"]      # processed centrally, answer lost

    young = recover(ctx, drain=False, grace_s=3600)             # within the grace period: nothing sent
    assert _row(ctx, sid)[2] == "unknown" and young.reversals()["sent"] == 0

    rep = recover(ctx, drain=True, grace_s=0)
    assert rep.counts() == {"failed": 1}
    assert rep.reversals() == {"sent": 1, "accepted": 1, "nothing": 0, "refused": 0, "no_answer": 0}
    assert _row(ctx, sid)[2] == "failed" and rep.clean
    att = _meta(ctx, sid)["recovery"]["attempts"]
    assert len(att) == 1 and att[0]["omsgid"] == msgid and att[0]["oinfno"] == "2207"
    assert att[0]["msgid"] != msgid and att[0]["result"] == "accepted"
    # the platform undid its settlement: the original is reversed, the 2601 wrote the reversal record
    orig = _ledger_for(platform, msgid)
    assert len(orig) == 1 and orig[0]["reversed"]
    revs = _ledger_for(platform, att[0]["msgid"])
    assert len(revs) == 1 and revs[0]["kind"] == "revs" and revs[0]["infno"] == "2601"
    assert revs[0]["medfee_sumamt"] == "-" + orig[0]["medfee_sumamt"]
    assert [a["result"] for a in _audit(ctx, "recovery.reversal")] == ["accepted"]

    # the cashier settles the patient again (new presettle, new msgid): exactly one settlement in force
    c.presettle("0")
    c.acknowledge_prechecks("all")
    rec = c.settle([Tender("cash", c.trial.psn_cash_pay)])
    assert rec["state"] == "confirmed" and rec["msgid"] != msgid
    mine = [r for r in read_ledger(platform.data_dir)
            if r["mdtrt_id"] == orig[0]["mdtrt_id"] and r["kind"] == "setl" and not r["reversed"]]
    assert [r["setl_id"] for r in mine] == [rec["setl_id"]]
    assert mine[0]["medfee_sumamt"] == orig[0]["medfee_sumamt"]     # same lines, same figures
    # and the day balances: the pair (settlement + its 2601 reversal) nets to zero on the platform
    assert dayend.reconcile_day(ctx)["clean"]


def test_recovery_request_dropped_before_processing_nothing_to_reverse_becomes_failed(platform, ctx):
    c = _checkout(ctx)
    fault(platform, mode="drop-before", infno="2207", next=1)
    with pytest.raises(ServiceError) as ei:
        c.settle([Tender("cash", c.trial.psn_cash_pay)])
    assert ei.value.code == "unknown"
    sid, msgid, *_ = _row(ctx)
    # young request: not declared failed yet, no 2601 sent
    rep = recover(ctx, drain=False, grace_s=3600)
    assert _row(ctx, sid)[2] == "unknown" and not rep.clean
    # after the grace period: 2601 → the platform never committed it → nothing to reverse → 未结算
    rep = recover(ctx, drain=False, grace_s=0)
    assert rep.counts() == {"failed": 1}
    assert rep.reversals()["nothing"] == 1
    assert _row(ctx, sid)[2] == "failed"
    assert not _ledger_for(platform, msgid)
    att = _meta(ctx, sid)["recovery"]["attempts"][-1]
    assert att["result"] == "nothing" and "无需冲正" in att["err_msg"]


def test_recovery_reversal_refused_goes_to_supervisor_review_and_stays_unknown(platform, ctx):
    c = _checkout(ctx)
    fault(platform, mode="drop-after-commit", infno="2207", next=1)
    with pytest.raises(ServiceError):
        c.settle([Tender("cash", c.trial.psn_cash_pay)])
    sid, msgid, *_ = _row(ctx)
    why = "冲正失败：原交易所在结算期间已对账，请联系医保经办机构"
    fault(platform, mode="refuse", infno="2601", next=1, message=why)
    rep = recover(ctx, drain=False, grace_s=0)
    assert _row(ctx, sid)[2] == "unknown" and not rep.clean
    assert rep.reversals()["refused"] == 1
    assert [(r["settlement_id"], r["err_msg"]) for r in rep.reviews] == [(sid, why)]
    assert "需主管复核" in rep.message()
    assert [d["err_msg"] for d in _audit(ctx, "recovery.reversal_refused")] == [why]
    assert _meta(ctx, sid)["recovery"]["review"]["err_msg"] == why
    assert not _ledger_for(platform, msgid)[0]["reversed"]        # nothing guessed, nothing changed
    # the next run (refusal gone) reverses it with another fresh msgid
    rep = recover(ctx, drain=False, grace_s=0)
    assert rep.counts() == {"failed": 1}
    msgids = [a["msgid"] for a in _meta(ctx, sid)["recovery"]["attempts"]]
    assert len(set(msgids)) == 2 and msgid not in msgids


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
    assert rep.reversals()["no_answer"] == 1
    assert rep.remaining_unknown == 1 and not rep.clean
    fault(platform, clear=True)
    rep = recover(ctx, drain=False, grace_s=0)
    assert rep.counts() == {"failed": 1}              # 502 before processing: nothing to reverse


def test_recovery_lost_reversal_answer_resolved_by_5203_refd_setl_flag(platform, ctx):
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
    assert rep.reversals()["sent"] == 0                # a lost 2208 is asked (5203), not reversed
    with ctx.store.read_connection() as conn:
        state, meta, revoke = conn.exec_driver_sql(
            "SELECT state, preview_json, revoke_msgid FROM settlements WHERE setl_id = ?", (setl_id,)).fetchone()
        pays = [r[0] for r in conn.exec_driver_sql(
            "SELECT amount FROM payments p JOIN settlements s ON s.id = p.settlement_id WHERE s.setl_id = ?",
            (setl_id,))]
    assert state == "reversed"
    revs = json.loads(meta)["reversal"]["setlinfo"]
    central = [r for r in read_ledger(platform.data_dir) if r["kind"] == "revs" and r["init_setl_id"] == setl_id]
    assert len(central) == 1 and central[0]["medins_setl_id"] == revoke
    assert revs["medfee_sumamt"] == central[0]["medfee_sumamt"] and revs["refd_setl_flag"] == "1"
    assert sum(pays) == 0                              # refund recorded against the payment
    # the day end names the reversal record (3202 gives its setl_id) and balances
    day = dayend.reconcile_day(ctx)
    assert day["clean"], day
    meta = _meta(ctx, _row(ctx)[0])
    assert meta["reversal"]["setlinfo"]["setl_id"] == central[0]["setl_id"]


def test_recovery_lost_reversal_not_committed_goes_back_to_confirmed(platform, ctx):
    from client.services.checkout import reverse_settlement

    c = _checkout(ctx)
    rec = c.settle([Tender("cash", c.trial.psn_cash_pay)])
    fault(platform, mode="drop-before", infno="2208", next=1)
    with pytest.raises(ServiceError):
        reverse_settlement(ctx, rec["setl_id"], _supervisor(ctx, rec["setl_id"]), reason="测试")
    assert recover(ctx, drain=False, grace_s=3600).counts() == {"unknown": 1}    # young: "0" is not final yet
    rep = recover(ctx, drain=False, grace_s=0)
    assert rep.counts() == {"confirmed": 1}
    assert _row(ctx)[2] == "confirmed"


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


def _age(ctx, sid, minutes=10):
    """The request was sent ``minutes`` ago (a later start of the window finds it so)."""
    with ctx.store.connection() as conn:
        conn.exec_driver_sql("UPDATE settlements SET updated_at = ? WHERE id = ?",
                             ((datetime.now() - timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S.%f"), sid))


def test_day_end_one_sided_entry_platform_has_it_window_unknown_is_repaired_by_2601(platform, ctx):
    c = _checkout(ctx)
    fault(platform, mode="drop-after-commit", infno="2207", next=1)
    with pytest.raises(ServiceError):
        c.settle([Tender("cash", c.trial.psn_cash_pay)])
    sid, msgid, *_ = _row(ctx)
    _age(ctx, sid)
    # a confirmed settlement of the same day, so the window has books to reconcile
    c2 = Counter(ctx)
    c2.identify_certno(CERTNO)               # same insured place: the same 3202 (setl_optins)
    c2.start_outpatient("11")
    c2.add_line("001102000010000", "1")
    c2.presettle("0")
    c2.acknowledge_prechecks("all")
    c2.settle([Tender("cash", c2.trial.psn_cash_pay)])
    day = dayend.reconcile_day(ctx)
    # 3202: the platform has a settlement (our msgid) the window had not booked (医保已结算而本机未确认)
    rep = [r for r in day["repaired"] if r["msgid"] == msgid]
    assert rep and rep[0]["settlement_id"] == sid and rep[0]["after"] == "failed"
    assert not day["clean"]                                  # a difference of this run ...
    assert _row(ctx, sid)[2] == "failed" and _ledger_for(platform, msgid)[0]["reversed"]
    again = dayend.reconcile_day(ctx)                        # ... gone in the next: the pair nets to zero
    assert again["clean"], again
    assert [r["settlement_id"] for r in again["repaired"]] == [sid, sid]


def test_a_settlement_answered_success_with_a_message_is_never_reversed(platform, ctx):
    """infcode 0 + err_msg (preview_json.review): the platform committed it. A row in that state left
    unresolved (the local save of the answer failed) goes to a supervisor, no 2601."""
    c = _checkout(ctx)
    fault(platform, mode="drop-after-commit", infno="2207", next=1)
    with pytest.raises(ServiceError):
        c.settle([Tender("cash", c.trial.psn_cash_pay)])
    sid, msgid, *_ = _row(ctx)
    _age(ctx, sid)
    with ctx.store.connection() as conn:
        conn.exec_driver_sql("UPDATE settlements SET preview_json = json_set(preview_json, '$.review', json(?)) "
                             "WHERE id = ?", (json.dumps({"err_msg": "结算成功，请核对个人账户余额", "infno": "2207",
                                                          "msgid": msgid}, ensure_ascii=False), sid))
    rep = recover(ctx, drain=False, grace_s=0)
    assert rep.reversals()["sent"] == 0 and _row(ctx, sid)[2] == "unknown"
    assert [r["settlement_id"] for r in rep.reviews] == [sid] and not rep.clean
    assert not _ledger_for(platform, msgid)[0]["reversed"]
