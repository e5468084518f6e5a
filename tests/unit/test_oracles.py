"""The vendored spec examples (tests/oracles.py) are all there and unchanged."""

from __future__ import annotations

from tests import oracles


def test_the_six_published_examples_are_vendored():
    assert oracles.example_names() == list(oracles.NAMES)
    for name in oracles.NAMES:
        assert oracles.case_path(name).is_file(), name
        assert oracles.expected_path(name).is_file(), name
    assert (oracles.EXAMPLES / "README.md").is_file()


def test_the_examples_are_byte_for_byte_the_published_ones():
    """SHA256SUMS was taken from the spec's own directory when the files were copied: an edit to
    an expected output (say, to match the engine) fails here."""
    assert oracles.actual_sums() == oracles.recorded_sums()
    assert len(oracles.recorded_sums()) == 13  # README.md + six pairs


def test_loader_returns_fresh_copies():
    a = oracles.case("01-zone-outpatient")
    a["lines"].clear()
    assert oracles.case("01-zone-outpatient")["lines"]
    assert oracles.expected("04-filing-required") == {"exit": 2, "error": {"code": "filing_required"}}
