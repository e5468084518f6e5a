"""The window's replication journal: what the hospital store has still to receive.

SQLite triggers (installed by migration 0006h, re-installable with ``ensure_triggers``) append one
``replication_journal`` row for every INSERT and UPDATE of the tables the hospital's books need —
in the same transaction as the change, whatever code path made it, so a committed settlement is
never missing from the journal and a rolled-back one never appears in it. ``seq`` is AUTOINCREMENT
(never reused): it is the window's send order and, with the window id, the hospital store's
exactly-once key. ``replication_state`` remembers how far the hospital store has acknowledged.

A migration that rebuilds one of these tables (Alembic ``batch_alter_table`` copies a SQLite table
and drops its triggers) must call ``ensure_triggers`` afterwards; a test checks they exist at head.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

# table -> (entity name, primary key column, journal UPDATEs too)
JOURNALED: dict[str, tuple[str, str, bool]] = {
    "settlements": ("settlement", "id", True),
    "payments": ("payment", "id", True),
    "invoices": ("invoice", "id", True),
    "shifts": ("shift", "id", True),
    "adjustments": ("adjustment", "id", True),
    "audit_events": ("audit", "seq", False),
    # payment-code trades and owed shares (migration 0007r): journal rows only, no typed table
    "pay_trades": ("pay_trade", "id", True),
    "payments_owed": ("payment_owed", "id", True),
    # inpatient stays and their deposit ledger (migration 0008b): journal rows only, no typed table
    "stays": ("stay", "id", True),
    "stay_deposits": ("stay_deposit", "id", True),
    # 部分退费 (migration 0008a): journal rows only, no typed table
    "partial_refunds": ("partial_refund", "id", True),
}
# entity -> table, for the pusher
TABLE_OF = {entity: table for table, (entity, _pk, _u) in JOURNALED.items()}
PK_OF = {entity: pk for _t, (entity, pk, _u) in JOURNALED.items()}

JOURNAL_DDL = """
CREATE TABLE IF NOT EXISTS replication_journal (
    seq      INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    entity   VARCHAR(20) NOT NULL,
    local_id INTEGER NOT NULL,
    op       VARCHAR(6) NOT NULL CHECK (op IN ('insert', 'update')),
    at       VARCHAR(26) NOT NULL
)"""

STATE_DDL = """
CREATE TABLE IF NOT EXISTS replication_state (
    name            VARCHAR(32) NOT NULL PRIMARY KEY,
    pushed_seq      INTEGER NOT NULL DEFAULT 0,
    last_ok_at      VARCHAR(26),
    last_attempt_at VARCHAR(26),
    last_error      TEXT
)"""

NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now', 'localtime')"
STATE_NAME = "hospital"


def trigger_names() -> list[str]:
    names = []
    for table, (_e, _pk, upd) in JOURNALED.items():
        names.append(f"trg_repl_{table}_ins")
        if upd:
            names.append(f"trg_repl_{table}_upd")
    return names


def _existing(conn: Connection) -> set[str]:
    return {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}


def ensure_triggers(conn: Connection) -> None:
    """Create what is missing. Tables a migration has not created yet are skipped (an old store
    upgraded step by step gets their triggers from the migration that journals them)."""
    conn.execute(text(JOURNAL_DDL))
    conn.execute(text(STATE_DDL))
    have = _existing(conn)
    for table, (entity, pk, upd) in JOURNALED.items():
        if table not in have:
            continue
        conn.execute(text(
            f"CREATE TRIGGER IF NOT EXISTS trg_repl_{table}_ins AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO replication_journal (entity, local_id, op, at) VALUES ('{entity}', NEW.{pk}, 'insert', {NOW}); "
            "END"))
        if upd:
            conn.execute(text(
                f"CREATE TRIGGER IF NOT EXISTS trg_repl_{table}_upd AFTER UPDATE ON {table} BEGIN "
                f"INSERT INTO replication_journal (entity, local_id, op, at) VALUES ('{entity}', NEW.{pk}, 'update', {NOW}); "
                "END"))


def backfill(conn: Connection, tables: tuple[str, ...] | None = None) -> int:
    """Journal every row that exists already (a window joining hospital mode with history), of
    ``tables`` (default: all journaled tables)."""
    n = 0
    have = _existing(conn)
    for table, (entity, pk, _upd) in JOURNALED.items():
        if (tables is not None and table not in tables) or table not in have:
            continue
        n += conn.execute(text(
            f"INSERT INTO replication_journal (entity, local_id, op, at) "
            f"SELECT '{entity}', {pk}, 'insert', {NOW} FROM {table} ORDER BY {pk}")).rowcount or 0
    return n


def pushed_seq(conn: Connection) -> int:
    v = conn.execute(text("SELECT pushed_seq FROM replication_state WHERE name = :n"), {"n": STATE_NAME}).scalar()
    return int(v or 0)


def last_seq(conn: Connection) -> int:
    return int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM replication_journal")).scalar() or 0)


def backlog(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM replication_journal WHERE seq > :s"),
                            {"s": pushed_seq(conn)}).scalar() or 0)


def state(conn: Connection) -> dict:
    row = conn.execute(text("SELECT pushed_seq, last_ok_at, last_attempt_at, last_error FROM replication_state "
                            "WHERE name = :n"), {"n": STATE_NAME}).first()
    out = {"pushed_seq": 0, "last_ok_at": None, "last_attempt_at": None, "last_error": None}
    if row:
        out.update(pushed_seq=int(row[0] or 0), last_ok_at=row[1], last_attempt_at=row[2], last_error=row[3])
    out["last_seq"] = last_seq(conn)
    out["backlog"] = backlog(conn)
    return out


def record(conn: Connection, *, pushed: int | None = None, error: str | None = None) -> None:
    conn.execute(text("INSERT INTO replication_state (name, pushed_seq) VALUES (:n, 0) ON CONFLICT (name) DO NOTHING"),
                 {"n": STATE_NAME})
    if pushed is not None:
        conn.execute(text(f"UPDATE replication_state SET pushed_seq = max(pushed_seq, :p), last_ok_at = {NOW}, "
                          f"last_attempt_at = {NOW}, last_error = NULL WHERE name = :n"), {"p": pushed, "n": STATE_NAME})
    else:
        conn.execute(text(f"UPDATE replication_state SET last_attempt_at = {NOW}, last_error = :e WHERE name = :n"),
                     {"e": (error or "")[:500], "n": STATE_NAME})
