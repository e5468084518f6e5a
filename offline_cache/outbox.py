"""Transactional outbox (desktop-anchors §D): durable before network.

Every function takes the caller's SQLAlchemy ``Session`` and never commits: ``enqueue`` therefore
commits together with the business rows written in the same ``store.session()`` block.

States::

    pending ──claim_next──▶ sending ──mark_acked──▶ acked            (terminal)
       ▲                      │  └──mark_failed──▶ failed ──(retry_at reached)──▶ claimable again
       │                      └──mark_needs_review──▶ needs_review  (a person decides; requeue)
       └──reset_sending (start-up: a crash while sending) / requeue (after review)

Order: ``id`` (AUTOINCREMENT, never reused) is the send order. Items sharing a ``chain`` (e.g.
``"visit:12"``: 2204 upload, then 2207 settle) are strictly ordered: an item is not claimed while
an older item of its chain is unresolved. Items without a chain are independent.
The idempotency key (for NHSA calls: the msgid, generated before the first attempt) is UNIQUE and
reused on every retry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from .jsonutil import canonical_json
from .models import Outbox

UNRESOLVED = ("pending", "sending", "failed", "needs_review")
CLAIMABLE = ("pending", "failed")


class OutboxError(ValueError):
    """Invalid outbox operation; the message is Chinese."""


class OutboxKeyConflict(OutboxError):
    """The idempotency key is already used by a different operation."""


class OutboxStateError(OutboxError):
    """The requested transition is not allowed from the item's current state."""


@dataclass(frozen=True)
class OutboxItem:
    id: int
    idempotency_key: str
    kind: str
    chain: str | None
    payload: dict
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    server_ref: str | None
    created_at: datetime
    updated_at: datetime


def _item(row: Outbox) -> OutboxItem:
    return OutboxItem(row.id, row.idempotency_key, row.kind, row.chain, json.loads(row.payload_json), row.state,
                      row.attempts, row.next_attempt_at, row.last_error, row.server_ref, row.created_at,
                      row.updated_at)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now()


def enqueue(session: Session, *, key: str, kind: str, payload: dict, chain: str | None = None,
            not_before: datetime | None = None, now: datetime | None = None) -> int:
    """Add an operation to send. Re-enqueueing the same key with the same kind+payload returns the
    existing id (idempotent); the same key with a different operation raises OutboxKeyConflict."""
    if not key or not kind:
        raise OutboxError("发送队列记录缺少幂等键或类型，未写入。")
    body = canonical_json(payload)
    existing = session.scalars(select(Outbox).where(Outbox.idempotency_key == key)).first()
    if existing is not None:
        if existing.kind == kind and existing.payload_json == body and existing.chain == chain:
            return existing.id
        raise OutboxKeyConflict(f"报文ID {key} 已用于另一笔待发送业务（{existing.kind}），不能重复使用。请联系信息科。")
    t = _now(now)
    row = Outbox(idempotency_key=key, kind=kind, chain=chain, payload_json=body, state="pending", attempts=0,
                 next_attempt_at=not_before or t, created_at=t, updated_at=t)
    session.add(row)
    session.flush()
    return row.id


def claim_next(session: Session, *, now: datetime | None = None, kinds: tuple[str, ...] | None = None
               ) -> OutboxItem | None:
    """Oldest claimable item whose time has come and whose chain has no older unresolved item;
    it becomes ``sending`` with ``attempts + 1``. Commit before doing the network call."""
    t = _now(now)
    older = aliased(Outbox)
    blocked = (select(older.id).where(older.chain == Outbox.chain, older.id < Outbox.id,
                                      older.state.in_(UNRESOLVED)).exists())
    stmt = (select(Outbox).where(Outbox.state.in_(CLAIMABLE), Outbox.next_attempt_at <= t, ~blocked)
            .order_by(Outbox.id).limit(1))
    if kinds:
        stmt = stmt.where(Outbox.kind.in_(kinds))
    row = session.scalars(stmt).first()
    if row is None:
        return None
    row.state = "sending"
    row.attempts += 1
    row.updated_at = t
    session.flush()
    return _item(row)


def _get_row(session: Session, item_id: int) -> Outbox:
    row = session.get(Outbox, item_id)
    if row is None:
        raise OutboxError(f"发送队列中没有编号 {item_id} 的记录。")
    return row


def _transition(session: Session, item_id: int, allowed: tuple[str, ...], target: str, now) -> Outbox:
    row = _get_row(session, item_id)
    if row.state not in allowed:
        raise OutboxStateError(f"发送队列记录 {item_id} 当前状态为 {row.state}，不能改为 {target}。")
    row.state = target
    row.updated_at = _now(now)
    return row


def mark_acked(session: Session, item_id: int, *, server_ref: str | None = None,
               now: datetime | None = None) -> None:
    row = _transition(session, item_id, ("sending",), "acked", now)
    row.server_ref = server_ref
    row.last_error = None
    session.flush()


def backoff(attempts: int, *, base_s: int = 5, cap_s: int = 600) -> timedelta:
    """Exponential back-off: 5 s, 10 s, 20 s, ... capped at 10 minutes."""
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, attempts - 1)))


def mark_failed(session: Session, item_id: int, error: str, *, retry_at: datetime | None = None,
                now: datetime | None = None) -> None:
    """A retryable failure (nothing reached the platform, or a read-only call): retry at ``retry_at``."""
    t = _now(now)
    row = _transition(session, item_id, ("sending",), "failed", t)
    row.last_error = error
    row.next_attempt_at = retry_at or (t + backoff(row.attempts))
    session.flush()


def mark_needs_review(session: Session, item_id: int, reason: str, *, now: datetime | None = None) -> None:
    """Outcome unknown or refused: stop retrying until a person decides (blocks its chain)."""
    row = _transition(session, item_id, ("pending", "sending", "failed"), "needs_review", now)
    row.last_error = reason
    session.flush()


def requeue(session: Session, item_id: int, *, now: datetime | None = None) -> None:
    """After review: send again now (same idempotency key)."""
    t = _now(now)
    row = _transition(session, item_id, ("failed", "needs_review"), "pending", t)
    row.next_attempt_at = t
    session.flush()


def reset_sending(session: Session, *, now: datetime | None = None) -> int:
    """Start-up recovery: items left ``sending`` by a crash go back to ``pending``. Returns the count."""
    res = session.execute(update(Outbox).where(Outbox.state == "sending")
                          .values(state="pending", updated_at=_now(now)))
    return res.rowcount or 0


def counts(session: Session) -> dict[str, int]:
    """Number of items per state (every state present, zero when empty)."""
    out = dict.fromkeys(("pending", "sending", "acked", "failed", "needs_review"), 0)
    for state, n in session.execute(select(Outbox.state, func.count()).group_by(Outbox.state)):
        out[state] = n
    return out


def count_unresolved(session: Session) -> int:
    """pending + sending + failed + needs_review (day-end must not close while this is > 0)."""
    return session.scalar(select(func.count()).select_from(Outbox).where(Outbox.state.in_(UNRESOLVED))) or 0


def get(session: Session, item_id: int) -> OutboxItem | None:
    row = session.get(Outbox, item_id)
    return _item(row) if row else None


def get_by_key(session: Session, key: str) -> OutboxItem | None:
    row = session.scalars(select(Outbox).where(Outbox.idempotency_key == key)).first()
    return _item(row) if row else None


def list_items(session: Session, states: tuple[str, ...] | None = None, limit: int = 200) -> list[OutboxItem]:
    stmt = select(Outbox).order_by(Outbox.id).limit(limit)
    if states:
        stmt = stmt.where(Outbox.state.in_(states))
    return [_item(r) for r in session.scalars(stmt)]
