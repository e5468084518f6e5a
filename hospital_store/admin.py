"""IT administration of the hospital store: init, migrate, windows and finance users, status.

These run with an administrator's connection (the database owner, e.g. the ``medsettle_owner``
role that owns database ``medsettle`` — see docs/operations.md "Hospital deployment"), never with a
window's role. Passwords for new roles are turned into SCRAM-SHA-256 verifiers by libpq
(``PQencryptPasswordConn``) on this machine, so the plain password never reaches the server, its
logs or ``pg_stat_activity``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

from . import SCHEMA
from .db import MIGRATIONS_DIR, HospitalError, current_revision, explain, head_revision

WINDOW_ROLE = "medsettle_window"
FINANCE_ROLE = "medsettle_finance"
WINDOW_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
USER_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def alembic_config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, *, target: str = "head") -> tuple[str | None, str]:
    """Create the schema if needed and run the hospital chain to ``target``; (before, after)."""
    from alembic import command

    try:
        before = current_revision(engine)
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
            command.upgrade(alembic_config(conn), target)
        return before, current_revision(engine) or ""
    except HospitalError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise explain(exc) from exc


def window_role_name(window_id: str) -> str:
    return "medsettle_w_" + window_id.lower().replace("-", "_")


def _verifier(engine: Engine, role: str, password: str) -> str:
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection.pgconn
        return pg.encrypt_password(password.encode("utf-8"), role.encode("utf-8"), b"scram-sha-256").decode("ascii")
    finally:
        raw.close()


def _create_login(conn, engine: Engine, role: str, password: str, group: str) -> None:
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    verifier = _verifier(engine, role, password)
    # identifiers are validated above; the verifier is a quoted literal (no plain password on the wire)
    lit = "'" + verifier.replace("'", "''") + "'"
    if exists:
        conn.exec_driver_sql(f'ALTER ROLE "{role}" LOGIN PASSWORD {lit}')
    else:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN PASSWORD {lit} IN ROLE {group}')
    conn.exec_driver_sql(f'GRANT {group} TO "{role}"')


def add_window(engine: Engine, window_id: str, password: str, *, label: str = "") -> str:
    """Register a window and create (or re-password) its login role; returns the role name."""
    if not WINDOW_ID_RE.match(window_id or ""):
        raise HospitalError(f"窗口编号“{window_id}”不合规：只能用字母、数字、- 和 _，最多 32 位。")
    if len(password or "") < 12:
        raise HospitalError("窗口数据库账号的密码至少 12 位。")
    role = window_role_name(window_id)
    try:
        with engine.begin() as conn:
            _create_login(conn, engine, role, password, WINDOW_ROLE)
            conn.execute(text(f"INSERT INTO {SCHEMA}.windows (window_id, db_role, label) VALUES (:w, :r, :l) "
                              "ON CONFLICT (window_id) DO NOTHING"), {"w": window_id, "r": role, "l": label})
    except HospitalError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise explain(exc) from exc
    return role


def add_finance(engine: Engine, user: str, password: str) -> str:
    if not USER_RE.match(user or ""):
        raise HospitalError(f"财务账号名“{user}”不合规：小写字母开头，只含小写字母、数字和 _。")
    if len(password or "") < 12:
        raise HospitalError("财务数据库账号的密码至少 12 位。")
    try:
        with engine.begin() as conn:
            _create_login(conn, engine, user, password, FINANCE_ROLE)
    except HospitalError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise explain(exc) from exc
    return user


@dataclass
class WindowStatus:
    window_id: str
    db_role: str
    label: str
    received: int
    last_seq: int | None
    last_received_at: datetime | None
    reported_at: datetime | None
    local_seq: int | None
    pushed_seq: int | None

    @property
    def backlog(self) -> int | None:
        """Journal entries the window has written and not yet pushed, as it last reported."""
        if self.local_seq is None:
            return None
        return max(0, self.local_seq - (self.last_seq or 0))

    def to_dict(self) -> dict:
        return {"window_id": self.window_id, "db_role": self.db_role, "label": self.label,
                "received": self.received, "last_seq": self.last_seq,
                "last_received_at": self.last_received_at.isoformat() if self.last_received_at else None,
                "reported_at": self.reported_at.isoformat() if self.reported_at else None,
                "local_seq": self.local_seq, "backlog": self.backlog}


def status(engine: Engine) -> dict:
    """Schema revision and each window's replication state (for ``medsettle hospital status``)."""
    try:
        rev = current_revision(engine)
        if rev is None:
            return {"revision": None, "head": head_revision(), "windows": []}
        with engine.connect() as c:
            rows = c.execute(text(f"""
                SELECT w.window_id, w.db_role, w.label,
                       coalesce(j.n, 0), j.last_seq, j.last_at, h.reported_at, h.local_seq, h.pushed_seq
                  FROM {SCHEMA}.windows w
                  LEFT JOIN (SELECT window_id, count(*) n, max(seq) last_seq, max(received_at) last_at
                               FROM {SCHEMA}.journal GROUP BY window_id) j USING (window_id)
                  LEFT JOIN {SCHEMA}.window_heartbeats h USING (window_id)
                 ORDER BY w.window_id""")).all()
    except HospitalError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise explain(exc) from exc
    windows = [WindowStatus(*r) for r in rows]
    return {"revision": rev, "head": head_revision(), "windows": [w.to_dict() for w in windows]}
