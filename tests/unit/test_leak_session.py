"""The session's leak scan (tests/leaksession.py + the pytest_sessionfinish hook in tests/conftest.py)
finds a planted unmasked ID and fails the session; a clean directory passes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests import conftest, leaksession

CERTNO = "330421198503150016"      # 沈明's full ID number (valid check character)


@pytest.fixture
def registry(monkeypatch):
    """A private registry: what this test records must not reach the real session's scan."""
    monkeypatch.setattr(leaksession, "ROOTS", [])
    monkeypatch.setattr(leaksession, "_EXTRA_SECRETS", set())
    return leaksession


def _fake_session():
    return SimpleNamespace(exitstatus=0, config=SimpleNamespace(stash={}))


def test_a_planted_unmasked_id_fails_the_session(registry, tmp_path):
    window = tmp_path / "window"
    (window / "logs").mkdir(parents=True)
    (window / "logs" / "medsettle.log").write_text(f"1101 certno={CERTNO}\nok 330421********0016\n",
                                                   encoding="utf-8")
    (window / "training-platform").mkdir()      # the central platform's data: not scanned
    (window / "training-platform" / "people.json").write_text(CERTNO, encoding="utf-8")
    registry.record_root(window)
    report = registry.scan()
    assert [(x.kind, x.where.endswith("medsettle.log")) for x in report.leaks] == [("certno", True)]
    assert CERTNO not in str(report.leaks[0]) and report.scanned == 1 and not report.ok

    session = _fake_session()
    conftest.pytest_sessionfinish(session, 0)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED == 1


def test_the_printed_findings_are_masked(registry, tmp_path):
    """A leak's excerpt masks its own value; the printed line also masks a second value next to it."""
    (tmp_path / "a.log").write_text(f"certno {CERTNO} and Train-0009\n", encoding="utf-8")
    registry.record_root(tmp_path)
    report = registry.scan()
    assert sorted(x.kind for x in report.leaks) == ["certno", "secret"]
    assert CERTNO in "".join(str(x) for x in report.leaks)        # the raw excerpts show the other value
    printed = "\n".join(report.lines())
    assert CERTNO not in printed and "Train-0009" not in printed and printed.count("LEAK") == 2


def test_secrets_the_tests_set_are_looked_for(registry, tmp_path):
    (tmp_path / "export.csv").write_text("operator,password\n0001,Kassen-Test-9\n", encoding="utf-8")
    registry.record_root(tmp_path)
    assert registry.scan().ok
    registry.add_secrets("Kassen-Test-9")
    assert [x.kind for x in registry.scan().leaks] == ["secret"]


def test_a_clean_session_passes_and_an_empty_one_scans_nothing(registry, tmp_path):
    session = _fake_session()
    conftest.pytest_sessionfinish(session, 0)
    assert session.exitstatus == 0 and session.config.stash[conftest._LEAK_REPORT] is None
    (tmp_path / "medsettle.log").write_text("1101 certno=330421********0016\n", encoding="utf-8")
    registry.record_root(tmp_path)
    conftest.pytest_sessionfinish(session, 0)
    report = session.config.stash[conftest._LEAK_REPORT]
    assert session.exitstatus == 0 and report.ok and report.scanned == 1


def test_a_recorded_directory_that_is_gone_is_an_error(registry, tmp_path):
    registry.record_root(tmp_path / "never-created")
    report = registry.scan()
    assert not report.ok and "gone" in report.errors[0]
