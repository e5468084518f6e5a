"""The independent oracle: the settlement-case spec's published examples, vendored.

``tests/fixtures/spec-examples`` is a byte-for-byte copy of the spec's ``examples`` directory
(README.md and six ``NAME.case.json`` / ``NAME.expected.json`` pairs; see tests/fixtures/README.md).
The expected outputs were written by the spec's authors, not by our engine, so a test that compares
with them proves something the engine cannot prove about itself. Every test that needs an example
goes through this module; nothing reads a directory outside the repository.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = FIXTURES / "spec-examples"
SHA256SUMS = FIXTURES / "SHA256SUMS"

# The six published examples (the spec's README lists them).
NAMES = (
    "01-zone-outpatient",
    "02-filed-inpatient-critical",
    "03-unfiled-outside-zone",
    "04-filing-required",
    "05-bands-cap-assistance",
    "06-invalid-float",
)


def example_names() -> list[str]:
    """The names of the examples on disk (``NAME`` of every ``NAME.case.json``), sorted."""
    return sorted(p.name.removesuffix(".case.json") for p in EXAMPLES.glob("*.case.json"))


def case_path(name: str) -> Path:
    return EXAMPLES / f"{name}.case.json"


def expected_path(name: str) -> Path:
    return EXAMPLES / f"{name}.expected.json"


def case_bytes(name: str) -> bytes:
    """The case file exactly as published (for the CLI and the byte-level parser)."""
    return case_path(name).read_bytes()


def case(name: str) -> dict:
    """A fresh parsed copy of ``NAME.case.json`` (callers may mutate it)."""
    return json.loads(case_bytes(name).decode("utf-8"))


def expected(name: str) -> dict:
    """A fresh parsed copy of ``NAME.expected.json``: what the spec says ``medsettle settle`` prints
    (or ``{"exit": 2, "error": {"code": ...}}`` for a refused case)."""
    return json.loads(expected_path(name).read_text(encoding="utf-8"))


def recorded_sums() -> dict[str, str]:
    """``{relative path: sha256}`` from tests/fixtures/SHA256SUMS (``sha256sum`` format)."""
    sums = {}
    for line in SHA256SUMS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            sums[rel.lstrip("*")] = digest
    return sums


def actual_sums() -> dict[str, str]:
    return {f"spec-examples/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(EXAMPLES.iterdir()) if p.is_file()}


# --- the settlement identities (the spec's "to the fen" rules), for any setlinfo ---------------

FUND_FIELDS = ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")
SPLIT_FIELDS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")


def assert_settlement_identities(setlinfo) -> None:
    """What every settlement holds to the fen, whoever computed it:

    * total = fully self-paid + over the limit + self pay first + in scope;
    * fund total = the sum of the funds;
    * fund + personal part + hospital part = total, and personal part = account + cash,
      hence fund + account + cash (+ hospital part) = total.
    """
    from decimal import Decimal

    def d(key: str) -> Decimal:
        return Decimal(str(setlinfo.get(key, "0.00")))

    total = d("medfee_sumamt")
    assert sum(d(k) for k in SPLIT_FIELDS) == total, {k: setlinfo.get(k) for k in ("medfee_sumamt", *SPLIT_FIELDS)}
    assert sum(d(k) for k in FUND_FIELDS) == d("fund_pay_sumamt"), {k: setlinfo.get(k) for k in FUND_FIELDS}
    assert d("fund_pay_sumamt") + d("psn_part_amt") + d("hosp_part_amt") == total
    assert d("acct_pay") + d("psn_cash_pay") == d("psn_part_amt")
    assert d("fund_pay_sumamt") + d("acct_pay") + d("psn_cash_pay") + d("hosp_part_amt") == total
