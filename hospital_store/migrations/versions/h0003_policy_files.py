"""Policy parameters once per hospital: the bundle files IT publishes for every window.

``medsettle hospital policy-publish FILE|DIR`` (IT, the owner's connection) checks each file with
the same rules as ``medsettle policy import`` and stores the file's exact bytes with its SHA-256;
a window's sync imports the bundles it does not hold yet through its own ``policy import`` (same
validation, same audit). One (place, version) is one file forever: a correction is a new version.

Revision ID: h0003
Revises: h0002
"""

from alembic import op

revision = "h0003"
down_revision = "h0002"
branch_labels = None
depends_on = None

S = "medsettle"


def upgrade() -> None:
    op.execute(f"""
CREATE TABLE {S}.policy_files (
    insuplc_admdvs text NOT NULL,
    ver            text NOT NULL,
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{{64}}$'),
    filename       text NOT NULL,
    content        bytea NOT NULL,
    issuer         text NOT NULL,
    valid_from     date NOT NULL,
    valid_to       date,
    published_by   text NOT NULL DEFAULT session_user,
    published_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (insuplc_admdvs, ver)
);
GRANT SELECT ON {S}.policy_files TO medsettle_window, medsettle_finance;
CREATE TRIGGER no_update_delete BEFORE UPDATE OR DELETE ON {S}.policy_files
    FOR EACH ROW EXECUTE FUNCTION {S}.forbid_change();
""")


def downgrade() -> None:
    op.execute(f"DROP TABLE {S}.policy_files;")
