"""Outbox: same-transaction enqueue, ordering, chains, state transitions, crash recovery."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from offline_cache import outbox
from offline_cache.models import Settlement, Visit
from offline_cache.outbox import OutboxKeyConflict, OutboxStateError
from offline_cache.store import open_store

T0 = datetime(2026, 11, 5, 9, 0, 0)


@pytest.fixture()
def store(tmp_path):
    s = open_store(tmp_path / "db.sqlite3")
    yield s
    s.close()


def _visit(s):
    v = Visit(kind="outpatient", psn_no="P1", begntime=T0, state="open", created_at=T0, updated_at=T0)
    s.add(v)
    s.flush()
    return v


def test_enqueue_commits_with_business_rows_or_not_at_all(store):
    with pytest.raises(RuntimeError), store.session() as s:
        v = _visit(s)
        s.add(Settlement(visit_id=v.id, msgid="M1", infno="2207", created_at=T0, updated_at=T0))
        outbox.enqueue(s, key="M1", kind="2207", payload={"psn_no": "P1", "medfee_sumamt": "12.30"}, now=T0)
        raise RuntimeError("crash before commit")
    with store.read_session() as s:
        assert outbox.count_unresolved(s) == 0 and s.query(Settlement).count() == 0
    with store.session() as s:
        v = _visit(s)
        s.add(Settlement(visit_id=v.id, msgid="M1", infno="2207", created_at=T0, updated_at=T0))
        outbox.enqueue(s, key="M1", kind="2207", payload={"psn_no": "P1"}, now=T0)
    with store.read_session() as s:
        assert outbox.count_unresolved(s) == 1 and s.query(Settlement).count() == 1


def test_idempotent_enqueue_and_key_conflict(store):
    with store.session() as s:
        a = outbox.enqueue(s, key="K", kind="2204", payload={"a": "1"}, now=T0)
        assert outbox.enqueue(s, key="K", kind="2204", payload={"a": "1"}, now=T0) == a
        with pytest.raises(OutboxKeyConflict) as ei:
            outbox.enqueue(s, key="K", kind="2204", payload={"a": "2"}, now=T0)
        assert "不能重复使用" in str(ei.value)
        with pytest.raises(ValueError):
            outbox.enqueue(s, key="F", kind="2204", payload={"amount": 1.5}, now=T0)


def test_fifo_order_chains_and_backoff(store):
    with store.session() as s:
        ids = [outbox.enqueue(s, key=f"K{i}", kind="k", payload={"i": i}, chain=c, now=T0 + timedelta(seconds=i))
               for i, c in enumerate(["visit:1", "visit:1", "visit:2", None])]
    t = T0 + timedelta(minutes=1)
    with store.session() as s:
        first = outbox.claim_next(s, now=t)
        assert first.id == ids[0] and first.state == "sending" and first.attempts == 1
    with store.session() as s:  # visit:1's second item waits for the first; the others go ahead
        second = outbox.claim_next(s, now=t)
        assert second.id == ids[2]
        outbox.mark_failed(s, second.id, "连接超时", now=t)  # retry later (backoff 5 s)
    with store.session() as s:
        assert outbox.claim_next(s, now=t).id == ids[3]
        assert outbox.claim_next(s, now=t) is None  # ids[1] blocked by ids[0]; ids[2] backing off
    with store.session() as s:
        outbox.mark_acked(s, ids[0], server_ref="SETL1", now=t)
        assert outbox.claim_next(s, now=t).id == ids[1]
        retry = outbox.claim_next(s, now=t + timedelta(seconds=6))
        assert retry.id == ids[2] and retry.attempts == 2 and retry.last_error == "连接超时"
    with store.read_session() as s:
        assert outbox.counts(s) == {"pending": 0, "sending": 3, "acked": 1, "failed": 0, "needs_review": 0}
        assert outbox.get(s, ids[0]).server_ref == "SETL1"


def test_transitions_review_requeue_and_startup_reset(store):
    with store.session() as s:
        a = outbox.enqueue(s, key="A", kind="2207", payload={}, chain="v", now=T0)
        b = outbox.enqueue(s, key="B", kind="2208", payload={}, chain="v", now=T0)
        with pytest.raises(OutboxStateError):
            outbox.mark_acked(s, a)  # pending → acked is not allowed
        assert outbox.claim_next(s, now=T0).id == a
        outbox.mark_needs_review(s, a, "结算结果未知，需按 5203 查询", now=T0)
        assert outbox.claim_next(s, now=T0) is None  # needs_review blocks its chain
        assert outbox.count_unresolved(s) == 2
        outbox.requeue(s, a, now=T0)
        assert outbox.claim_next(s, now=T0).id == a
    with store.session() as s:  # crash while sending → start-up resets to pending
        assert outbox.reset_sending(s) == 1
        assert outbox.get(s, a).state == "pending" and outbox.get(s, a).attempts == 2  # claimed twice
        assert outbox.get_by_key(s, "B").id == b
        assert [i.id for i in outbox.list_items(s, ("pending",))] == [a, b]
