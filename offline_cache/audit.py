"""Append-only, hash-chained audit log.

``hash = sha256(prev_hash + canonical_json({"seq", "time", "actor", "action", "detail"}))`` (hex,
UTF-8), ``prev_hash`` of the first event is 64 zeros. Triggers forbid UPDATE / DELETE on
``audit_events``. Whoever controls the file can drop them; ``verify_chain`` then detects edited,
deleted, inserted and swapped events. Truncation of the *last* events, or a wholesale rewrite
of the chain, can only be detected against a head recorded elsewhere (``head()`` printed on the
day-end report / sent to the platform): pass it as ``expected_head``. A keyed MAC is the
security helper's decision; this module provides storage and verification.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from .jsonutil import canonical_json
from .models import AuditEvent

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    time: str
    actor: str
    action: str
    detail: dict
    prev_hash: str
    hash: str


class VerifyResult(NamedTuple):
    ok: bool
    first_broken_seq: int | None
    reason: str  # Chinese, empty when ok


def event_hash(prev_hash: str, seq: int, time: str, actor: str, action: str, detail) -> str:
    body = canonical_json({"seq": seq, "time": time, "actor": actor, "action": action, "detail": detail})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def head(session: Session) -> tuple[int, str] | None:
    """(seq, hash) of the newest event, to be recorded outside the database."""
    row = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def append(session: Session, *, actor: str, action: str, detail: dict | None = None,
           at: datetime | None = None) -> AuditRecord:
    """Append an event in the caller's transaction (commit it with the business change)."""
    if not actor or not action:
        raise ValueError("审计记录缺少操作人或操作类型。")
    detail = {} if detail is None else detail
    detail_json = canonical_json(detail)
    time = (at or datetime.now()).astimezone().isoformat(timespec="microseconds")
    last = head(session)
    seq = 1 if last is None else last[0] + 1
    prev = GENESIS if last is None else last[1]
    h = event_hash(prev, seq, time, actor, action, json.loads(detail_json))
    session.add(AuditEvent(seq=seq, time=time, actor=actor, action=action, detail_json=detail_json,
                           prev_hash=prev, hash=h))
    session.flush()
    return AuditRecord(seq, time, actor, action, json.loads(detail_json), prev, h)


def _rows(source):
    sql = "SELECT seq, time, actor, action, detail_json, prev_hash, hash FROM audit_events ORDER BY seq"
    if hasattr(source, "read_connection"):  # a Store
        with source.read_connection() as conn:
            yield from conn.exec_driver_sql(sql)
    else:  # a Session or Connection
        yield from source.execute(select(AuditEvent.seq, AuditEvent.time, AuditEvent.actor, AuditEvent.action,
                                         AuditEvent.detail_json, AuditEvent.prev_hash, AuditEvent.hash)
                                  .order_by(AuditEvent.seq))


def verify_chain(source, *, expected_head: tuple[int, str] | None = None) -> VerifyResult:
    """Check the whole chain. ``source`` is a Store, Session or Connection."""
    expect_seq, prev = 1, GENESIS
    last: tuple[int, str] | None = None
    for seq, time, actor, action, detail_json, prev_hash, h in _rows(source):
        if seq != expect_seq:
            bad = expect_seq if seq > expect_seq else seq
            return VerifyResult(False, bad, f"审计记录序号不连续：缺少或多出第 {bad} 条（记录被删除或插入）。")
        if prev_hash != prev:
            return VerifyResult(False, seq, f"第 {seq} 条审计记录的前序哈希与上一条不符（记录被删除、插入或调换）。")
        try:
            detail = json.loads(detail_json)
        except ValueError:
            return VerifyResult(False, seq, f"第 {seq} 条审计记录的内容不是有效 JSON（记录被修改）。")
        if event_hash(prev_hash, seq, time, actor, action, detail) != h:
            return VerifyResult(False, seq, f"第 {seq} 条审计记录的内容与其哈希不符（记录被修改）。")
        prev, last, expect_seq = h, (seq, h), seq + 1
    if expected_head is not None and last != tuple(expected_head):
        bad = expected_head[0] if last is None or last[0] < expected_head[0] else last[0]
        return VerifyResult(False, bad, f"审计记录链头与外部保存的链头（第 {expected_head[0]} 条）不符"
                                        "（记录被截断或整链被重写）。")
    return VerifyResult(True, None, "")
