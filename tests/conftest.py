"""Suite-wide settings: Qt runs offscreen; every test gets its own temporary data directory; when
the session ends, the leak scan (tests/leaksession.py) checks what the tests' windows left behind
and fails the session on a finding."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep the suite's own files away from the developer's real per-machine directories.
os.environ.setdefault("MEDSETTLE_NO_USER_DIRS", "1")


# --- the session's leak scan (tests/leaksession.py) ---------------------------------------------

_LEAK_REPORT = pytest.StashKey()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """Scan what this session's windows left behind (tests/leaksession.py); a leak, or a directory
    that could not be scanned, fails the session."""
    from tests import leaksession

    report = leaksession.scan()
    session.config.stash[_LEAK_REPORT] = report
    if report is not None and not report.ok and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    report = config.stash.get(_LEAK_REPORT, None)
    if report is None:
        return
    terminalreporter.section("leak scan (tests/leaksession.py)", sep="=", red=not report.ok, green=report.ok,
                             bold=True)
    terminalreporter.line(report.summary())
    for line in report.lines():                             # masked: the CI log must not leak either
        terminalreporter.line(line, red=True)
    if not report.ok:
        terminalreporter.line("the session fails: full identifiers or secrets where they must not be", red=True)
