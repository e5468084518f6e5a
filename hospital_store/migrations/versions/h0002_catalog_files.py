"""Catalogue once per hospital: the 13xx catalogue files as the central platform delivered them.

``medsettle hospital sync`` (IT, the owner's connection) downloads each file chain from the central
platform once and stores every file here — exactly the text the platform sent, with the ``ver`` it
was asked for (``from_ver``) and the ``ver`` it advances to. A window refreshes its own catalogue
by walking the same chain from its local ``ver`` (client.services.hospital_catalog), over the LAN,
with the same reader as a central download. Windows may read, never write.

Revision ID: h0002
Revises: h0001
"""

from alembic import op

revision = "h0002"
down_revision = "h0001"
branch_labels = None
depends_on = None

S = "medsettle"


def upgrade() -> None:
    op.execute(f"""
CREATE TABLE {S}.catalog_files (
    infno      text NOT NULL CHECK (infno ~ '^13[0-9]{{2}}$'),
    admdvs     text NOT NULL,
    from_ver   text NOT NULL,
    ver        text NOT NULL,
    filename   text NOT NULL,
    data_cnt   integer NOT NULL,
    content    bytea NOT NULL,            -- zlib of the file's UTF-8 text
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (infno, admdvs, from_ver),
    UNIQUE (infno, admdvs, ver)
);
GRANT SELECT ON {S}.catalog_files TO medsettle_window, medsettle_finance;
CREATE TRIGGER no_update_delete BEFORE UPDATE OR DELETE ON {S}.catalog_files
    FOR EACH ROW EXECUTE FUNCTION {S}.forbid_change();
""")


def downgrade() -> None:
    op.execute(f"DROP TABLE {S}.catalog_files;")
