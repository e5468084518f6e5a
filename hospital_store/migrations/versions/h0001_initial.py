"""Hospital store, first schema: windows, the replication journal, append-only history tables,
current-state views, reconciliation results; group roles, grants, row-level security.

Roles (cluster-wide, created here when missing, never dropped by a downgrade):

* ``medsettle_window`` — group of the per-window login roles (``medsettle hospital window add``).
  May INSERT and SELECT only rows whose ``window_id`` is its own window (RLS through
  ``medsettle.current_window()``, which maps ``session_user`` to a window). No UPDATE, no DELETE.
* ``medsettle_finance`` — group of finance login roles: SELECT everything, INSERT reconciliation
  results. No UPDATE, no DELETE.

History tables also carry a trigger refusing UPDATE, DELETE and TRUNCATE for everyone, the owner
included: a correction is a new version, never an edit.

Revision ID: h0001
"""

from alembic import op

revision = "h0001"
down_revision = None
branch_labels = None
depends_on = None

S = "medsettle"
WINDOW_ROLE = "medsettle_window"
FINANCE_ROLE = "medsettle_finance"

# history tables replicated from the windows, each with window_id
HISTORY = ("journal", "settlement_versions", "payment_versions", "invoice_versions", "shift_versions",
           "adjustment_versions", "audit_events")
VERSIONED = ("settlement", "payment", "invoice", "shift", "adjustment")

DDL = f"""
CREATE SCHEMA IF NOT EXISTS {S};

CREATE TABLE {S}.windows (
    window_id     text PRIMARY KEY CHECK (window_id ~ '^[A-Za-z0-9_-]{{1,32}}$'),
    db_role       text NOT NULL UNIQUE,
    label         text NOT NULL DEFAULT '',
    registered_at timestamptz NOT NULL DEFAULT now()
);

-- the replication ledger: one row per local journal entry, exactly once per (window_id, seq)
CREATE TABLE {S}.journal (
    window_id   text NOT NULL REFERENCES {S}.windows (window_id),
    seq         bigint NOT NULL CHECK (seq > 0),
    entity      text NOT NULL,
    local_id    text NOT NULL,
    op          text NOT NULL CHECK (op IN ('insert', 'update')),
    captured_at timestamptz NOT NULL,   -- the window's commit time (its local clock, with its offset)
    received_at timestamptz NOT NULL DEFAULT now(),
    data        jsonb NOT NULL,
    PRIMARY KEY (window_id, seq)
);

CREATE TABLE {S}.settlement_versions (
    window_id       text NOT NULL,
    local_id        bigint NOT NULL,
    seq             bigint NOT NULL,
    msgid           text NOT NULL,
    infno           text NOT NULL,
    state           text NOT NULL,
    setl_id         text,
    mdtrt_id        text,
    psn_no          text,
    visit_kind      text,
    insutype        text,
    insuplc_admdvs  text,
    med_type        text,
    clr_type        text,
    clr_optins      text,
    setl_time       timestamp,
    medfee_sumamt   numeric(14, 2),
    fund_pay_sumamt numeric(14, 2),
    acct_pay        numeric(14, 2),
    psn_cash_pay    numeric(14, 2),
    offline         boolean NOT NULL DEFAULT false,
    provisional     boolean NOT NULL DEFAULT false,
    opter           text,
    shift_local_id  bigint,
    created_at      timestamp,
    updated_at      timestamp,
    data            jsonb NOT NULL,
    PRIMARY KEY (window_id, local_id, seq),
    FOREIGN KEY (window_id, seq) REFERENCES {S}.journal (window_id, seq)
);
CREATE INDEX ix_settlement_versions_setl_id ON {S}.settlement_versions (setl_id);
CREATE INDEX ix_settlement_versions_updated ON {S}.settlement_versions (updated_at);

CREATE TABLE {S}.payment_versions (
    window_id           text NOT NULL,
    local_id            bigint NOT NULL,
    seq                 bigint NOT NULL,
    settlement_local_id bigint NOT NULL,
    method              text NOT NULL,
    amount              numeric(14, 2) NOT NULL,
    tendered            numeric(14, 2),
    change              numeric(14, 2),
    ref                 text,
    shift_local_id      bigint,
    created_at          timestamp,
    data                jsonb NOT NULL,
    PRIMARY KEY (window_id, local_id, seq),
    FOREIGN KEY (window_id, seq) REFERENCES {S}.journal (window_id, seq)
);

CREATE TABLE {S}.invoice_versions (
    window_id           text NOT NULL,
    local_id            bigint NOT NULL,
    seq                 bigint NOT NULL,
    settlement_local_id bigint NOT NULL,
    einvoice_code       text NOT NULL,
    einvoice_number     text NOT NULL,
    kind                text NOT NULL,
    state               text NOT NULL,
    created_at          timestamp,
    issued_at           timestamp,
    data                jsonb NOT NULL,
    PRIMARY KEY (window_id, local_id, seq),
    FOREIGN KEY (window_id, seq) REFERENCES {S}.journal (window_id, seq)
);

CREATE TABLE {S}.shift_versions (
    window_id  text NOT NULL,
    local_id   bigint NOT NULL,
    seq        bigint NOT NULL,
    opter      text NOT NULL,
    opened_at  timestamp,
    closed_at  timestamp,
    float_amt  numeric(14, 2),
    data       jsonb NOT NULL,
    PRIMARY KEY (window_id, local_id, seq),
    FOREIGN KEY (window_id, seq) REFERENCES {S}.journal (window_id, seq)
);

CREATE TABLE {S}.adjustment_versions (
    window_id           text NOT NULL,
    local_id            bigint NOT NULL,
    seq                 bigint NOT NULL,
    settlement_local_id bigint NOT NULL,
    amount              numeric(14, 2) NOT NULL,
    direction           text NOT NULL,
    state               text NOT NULL,
    created_at          timestamp,
    done_at             timestamp,
    data                jsonb NOT NULL,
    PRIMARY KEY (window_id, local_id, seq),
    FOREIGN KEY (window_id, seq) REFERENCES {S}.journal (window_id, seq)
);

-- the window's hash-chained audit log, copied as it is (its own seq is the key)
CREATE TABLE {S}.audit_events (
    window_id  text NOT NULL,
    local_seq  bigint NOT NULL,
    seq        bigint NOT NULL,
    time       text NOT NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    detail     jsonb NOT NULL,
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    PRIMARY KEY (window_id, local_seq),
    FOREIGN KEY (window_id, seq) REFERENCES {S}.journal (window_id, seq)
);

-- each window's own report of its journal: how far it has written and pushed (one row per window,
-- upserted by the window; the only table a window may UPDATE, and only its own row)
CREATE TABLE {S}.window_heartbeats (
    window_id   text PRIMARY KEY REFERENCES {S}.windows (window_id),
    reported_at timestamptz NOT NULL DEFAULT now(),
    local_seq   bigint NOT NULL,
    pushed_seq  bigint NOT NULL,
    app_version text NOT NULL DEFAULT ''
);

-- finance's reconciliation runs (append-only too)
CREATE TABLE {S}.reconciliations (
    id        bigserial PRIMARY KEY,
    run_at    timestamptz NOT NULL DEFAULT now(),
    run_by    text NOT NULL DEFAULT session_user,
    stmt_date date NOT NULL,
    clean     boolean NOT NULL,
    report    jsonb NOT NULL
);

CREATE FUNCTION {S}.current_window() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, {S}
    AS $$ SELECT window_id FROM {S}.windows WHERE db_role = session_user $$;

CREATE FUNCTION {S}.forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '医院库的历史记录只能追加，不能修改或删除（表 %）', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def _roles_sql() -> str:
    return "".join(f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{r}') THEN
        CREATE ROLE {r} NOLOGIN;
    END IF;
END $$;""" for r in (WINDOW_ROLE, FINANCE_ROLE))


def _current_view(entity: str) -> str:
    return (f"CREATE VIEW {S}.{entity}s_current WITH (security_invoker = true) AS "
            f"SELECT DISTINCT ON (window_id, local_id) * FROM {S}.{entity}_versions "
            f"ORDER BY window_id, local_id, seq DESC;")


def upgrade() -> None:
    op.execute(DDL)
    op.execute(_roles_sql())
    for e in VERSIONED:
        op.execute(_current_view(e))
    tables = HISTORY + ("reconciliations",)
    for t in tables:
        op.execute(f"CREATE TRIGGER no_update_delete BEFORE UPDATE OR DELETE ON {S}.{t} "
                   f"FOR EACH ROW EXECUTE FUNCTION {S}.forbid_change();")
        op.execute(f"CREATE TRIGGER no_truncate BEFORE TRUNCATE ON {S}.{t} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {S}.forbid_change();")
    # grants: nothing for PUBLIC; windows insert + read their own; finance reads all
    op.execute(f"REVOKE ALL ON SCHEMA {S} FROM PUBLIC;")
    op.execute(f"REVOKE EXECUTE ON FUNCTION {S}.current_window() FROM PUBLIC;")
    op.execute(f"GRANT USAGE ON SCHEMA {S} TO {WINDOW_ROLE}, {FINANCE_ROLE};")
    op.execute(f"GRANT EXECUTE ON FUNCTION {S}.current_window() TO {WINDOW_ROLE}, {FINANCE_ROLE};")
    op.execute(f"GRANT SELECT ON {S}.windows, {S}.alembic_version TO {WINDOW_ROLE}, {FINANCE_ROLE};")
    for t in HISTORY:
        op.execute(f"GRANT SELECT, INSERT ON {S}.{t} TO {WINDOW_ROLE};")
        op.execute(f"GRANT SELECT ON {S}.{t} TO {FINANCE_ROLE};")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON {S}.window_heartbeats TO {WINDOW_ROLE};")
    op.execute(f"GRANT SELECT ON {S}.window_heartbeats TO {FINANCE_ROLE};")
    for e in VERSIONED:
        op.execute(f"GRANT SELECT ON {S}.{e}s_current TO {WINDOW_ROLE}, {FINANCE_ROLE};")
    op.execute(f"GRANT SELECT, INSERT ON {S}.reconciliations TO {FINANCE_ROLE};")
    op.execute(f"GRANT USAGE ON SEQUENCE {S}.reconciliations_id_seq TO {FINANCE_ROLE};")
    # row-level security
    op.execute(f"ALTER TABLE {S}.windows ENABLE ROW LEVEL SECURITY;")
    op.execute(f"CREATE POLICY own_window ON {S}.windows FOR SELECT TO {WINDOW_ROLE} USING (db_role = session_user);")
    op.execute(f"CREATE POLICY finance_read ON {S}.windows FOR SELECT TO {FINANCE_ROLE} USING (true);")
    for t in HISTORY + ("window_heartbeats",):
        op.execute(f"ALTER TABLE {S}.{t} ENABLE ROW LEVEL SECURITY;")
        op.execute(f"CREATE POLICY own_rows ON {S}.{t} TO {WINDOW_ROLE} "
                   f"USING (window_id = {S}.current_window()) WITH CHECK (window_id = {S}.current_window());")
        op.execute(f"CREATE POLICY finance_read ON {S}.{t} FOR SELECT TO {FINANCE_ROLE} USING (true);")


def downgrade() -> None:
    op.execute(f"DROP SCHEMA {S} CASCADE;")
