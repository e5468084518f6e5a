"""The store reads migration revision ids without importing Alembic; they must match Alembic's view."""

from offline_cache import store


def test_revision_ids_read_from_files_match_alembic():
    sd = store._script_directory()
    assert store.known_revisions() == {s.revision for s in sd.walk_revisions()}
    assert store.head_revision() == sd.get_current_head()
