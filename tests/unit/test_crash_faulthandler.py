"""client.crash.install also arms faulthandler on <log_dir>/crash-faults.log (idempotent)."""

from __future__ import annotations

import faulthandler
import os
import stat
import sys

import pytest

from client import crash


@pytest.fixture
def restore_faulthandler():
    """Leave faulthandler as pytest set it up (it writes to a copy of stderr)."""
    was = faulthandler.is_enabled()
    yield
    crash.uninstall()
    if was:
        faulthandler.enable(file=sys.__stderr__, all_threads=True)
    else:
        faulthandler.disable()


def _same_file(f, path) -> bool:
    a, b = os.fstat(f.fileno()), os.stat(path)
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def test_install_enables_faulthandler_on_the_fault_log(tmp_path, restore_faulthandler):
    faulthandler.disable()
    logs = tmp_path / "logs"
    crash.install(logs, quiet=True, dialog=False)
    path = logs / crash.FAULT_LOG_NAME
    assert faulthandler.is_enabled()
    assert crash.fault_log_path() == path and path.is_file()
    f = crash._state["fault_file"]
    assert not f.closed and _same_file(f, path)      # the handler's file is that file, kept open
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_install_is_idempotent_and_follows_a_new_log_dir(tmp_path, restore_faulthandler):
    crash.install(tmp_path / "a", quiet=True, dialog=False)
    first = crash._state["fault_file"]
    crash.install(tmp_path / "a", quiet=True, dialog=False)
    assert crash._state["fault_file"] is first and not first.closed     # same file, nothing reopened
    crash.install(tmp_path / "b", quiet=True, dialog=False)
    second = crash._state["fault_file"]
    assert first.closed and not second.closed and _same_file(second, tmp_path / "b" / crash.FAULT_LOG_NAME)
    assert crash.fault_log_path() == tmp_path / "b" / crash.FAULT_LOG_NAME and faulthandler.is_enabled()


def test_uninstall_closes_the_fault_log_and_restores_the_previous_state(tmp_path, restore_faulthandler):
    faulthandler.disable()
    crash.install(tmp_path, quiet=True, dialog=False)
    f = crash._state["fault_file"]
    crash.uninstall()
    assert f.closed and not faulthandler.is_enabled() and crash.fault_log_path() is None
    faulthandler.enable(file=sys.__stderr__)        # enabled before install (as under pytest or -X faulthandler)
    crash.install(tmp_path, quiet=True, dialog=False)
    crash.uninstall()
    assert faulthandler.is_enabled()                 # back on stderr, not left off


def test_an_existing_fault_log_is_appended_to(tmp_path, restore_faulthandler):
    path = tmp_path / crash.FAULT_LOG_NAME
    path.write_text("earlier crash\n", encoding="utf-8")
    crash.install(tmp_path, quiet=True, dialog=False)
    faulthandler.dump_traceback(file=crash._state["fault_file"])    # what the handler would write
    text = path.read_text(encoding="utf-8")
    assert text.startswith("earlier crash\n") and "test_an_existing_fault_log_is_appended_to" in text
