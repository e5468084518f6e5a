"""`medsettle settle` end to end: every published example, and malformed input.

The examples are the spec's published ones, vendored in tests/fixtures/spec-examples (tests/oracles.py).
The CLI contract (exit code, JSON on stdout, the Chinese message on stderr, stdin, ``--explain``) is
checked in real subprocesses: the six examples, stdin/--explain and one refusal of bytes that are not
UTF-8. The many malformed inputs run in process (``client.cli.main(argv)``, tests/integration/cli_inproc.py)
with the same assertions — the validation is the same code without an interpreter start per case.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import oracles
from tests.integration.cli_inproc import medsettle_inproc

REPO = Path(__file__).resolve().parents[2]

MONEY_LINE_FIELDS = (
    "det_item_fee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_amt",
    "preselfpay_amt",
    "inscp_scp_amt",
)


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """`medsettle settle ARGS` in a real process (the CLI contract tests)."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "client", "settle", *args],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


def run_inproc(*args: str, stdin: bytes | None = None):
    """`medsettle settle ARGS` through ``client.cli.main`` in this process (bytes, like run_cli)."""
    return medsettle_inproc("settle", *args, stdin=stdin or b"", text=False)


def test_examples_are_present():
    assert oracles.example_names() == list(oracles.NAMES)


@pytest.mark.parametrize("name", oracles.NAMES)
def test_example(name):
    expected = oracles.expected(name)
    proc = run_cli(str(oracles.case_path(name)))
    assert "Traceback" not in proc.stderr.decode("utf-8", "replace")
    out = json.loads(proc.stdout)
    if "error" in expected:
        assert proc.returncode == expected.get("exit", 2) == 2
        assert out["error"]["code"] == expected["error"]["code"]
        assert out["error"]["message"]
        assert proc.stderr.decode().strip() == out["error"]["message"]
        return
    assert proc.returncode == 0, proc.stderr.decode()
    assert out["category"] == expected["category"]
    assert out["policy_id"] == expected["policy_id"]
    for key, value in expected["setlinfo"].items():
        assert out["setlinfo"][key] == value, key
    assert out["invoice"] == expected["invoice"]
    got_rows = [(r["fund_pay_type"], r["inscp_scp_amt"], r["fund_payamt"]) for r in out["setldetail"]]
    exp_rows = [(r["fund_pay_type"], r["inscp_scp_amt"], r["fund_payamt"]) for r in expected["setldetail"]]
    assert got_rows == exp_rows
    assert len(out["lines"]) == len(expected["lines"])
    for got, exp in zip(out["lines"], expected["lines"], strict=True):
        assert got["feedetl_sn"] == exp["feedetl_sn"]
        assert got["chrgitm_lv"] == exp["chrgitm_lv"]
        for key in MONEY_LINE_FIELDS:
            assert got[key] == exp[key], (exp["feedetl_sn"], key)
    assert out["trace"] and all(isinstance(s, str) for s in out["trace"])


def test_stdin_and_explain():
    data = oracles.case_bytes("02-filed-inpatient-critical")
    proc = run_cli("-", stdin=data)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["setlinfo"]["hifmi_pay"] == "10391.94"
    proc = run_cli(str(oracles.case_path("02-filed-inpatient-critical")), "--explain")
    assert proc.returncode == 0
    text = proc.stdout.decode("utf-8")
    assert "  1. 适用参保地政策 320509-390-ipt-2021" in text
    assert "nth_admission[1]" in text and "400.00" in text  # second admission, half deductible
    assert "封顶为 19000.00" in text  # annual fund cap
    assert "10,391.94" in text and "hifmi_pay" in text
    assert "壹万陆仟贰佰零贰元零陆分" in text  # cash 16202.06 in capitals


# ---------------------------------------------------------------- malformed input

VALID = {
    "format": "settlement-case/1",
    "visit": {"mdtrtarea_admvs": "320509", "hosp_lv": "2", "med_type": "11", "begndate": "2021-06-01"},
    "person": {"insuplc_admdvs": "320509", "insutype": "310", "psn_type": "1101", "age": 40},
    "catalog": [
        {"code": "A", "name": "甲类", "chrgitm_lv": "01", "med_chrgitm_type": "09", "selfpay_prop": "0"}
    ],
    "lines": [
        {"feedetl_sn": "1", "code": "A", "cnt": "1", "pric": "10.00"},
        {"feedetl_sn": "2", "code": "A", "cnt": "2", "pric": "5.00"},
    ],
    "policies": [
        {
            "id": "P",
            "insuplc_admdvs": "320509",
            "insutype": "310",
            "med_types": ["11"],
            "psn_types": ["*"],
            "ratio": {"by_hosp_lv": {"1": "0.9", "2": "0.9", "3": "0.9"}},
        }
    ],
}


def _mutate(path: str, value) -> bytes:
    c = copy.deepcopy(VALID)
    *parents, last = path.split("/")
    node = c
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    key = int(last) if isinstance(node, list) else last
    if value is KeyError:
        del node[key]
    else:
        node[key] = value
    return json.dumps(c, ensure_ascii=False).encode("utf-8")


def assert_refused(proc, code: str = "invalid_case", field: str | None = None) -> dict:
    stderr = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr
    assert proc.returncode == 2, (proc.stdout, stderr)
    err = json.loads(proc.stdout)["error"]
    assert err["code"] == code
    assert err["message"] and stderr.strip() == err["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"])  # Chinese for the cashier
    if field is not None:
        assert err["field"] == field
        assert field in err["message"]
    return err


def test_refusal_contract_in_a_real_process():
    """A refusal from a real process: exit 2, the error JSON on stdout, its Chinese message alone on
    stderr, no traceback — for bytes that are not UTF-8 arriving on the real stdin pipe."""
    err = assert_refused(run_cli("-", stdin='{"format": "结算"}'.encode("gbk")))
    assert err["code"] == "invalid_case"


def test_valid_baseline_settles():
    proc = run_inproc("-", stdin=json.dumps(VALID).encode())
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["setlinfo"]["hifp_pay"] == "18.00"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("lines/1/cnt", 2.5, "lines[1].cnt"),  # float where a string is required
        ("lines/1/cnt", 2, "lines[1].cnt"),  # int
        ("lines/0/pric", "1e1", "lines[0].pric"),  # exponent
        ("lines/0/pric", "NaN", "lines[0].pric"),
        ("lines/1/cnt", "-1", "lines[1].cnt"),  # negative count
        ("lines/1/cnt", "0", "lines[1].cnt"),  # zero count
        ("lines/0/det_item_fee_sumamt", "0.00", "lines[0].det_item_fee_sumamt"),
        ("lines/0/det_item_fee_sumamt", "1.005", "lines[0].det_item_fee_sumamt"),
        ("lines/0/feedetl_sn", KeyError, "lines[0].feedetl_sn"),
        ("format", "settlement-case/2", "format"),  # unknown format tag
        ("visit", KeyError, "visit"),  # missing sections
        ("person", KeyError, "person"),
        ("lines", KeyError, "lines"),
        ("policies", KeyError, "policies"),
        ("lines", [], "lines"),
        ("visit/begndate", "2021-02-30", "visit.begndate"),
        ("visit/hosp_lv", 2, "visit.hosp_lv"),
        ("person/age", "40", "person.age"),
        ("person/acct_balc", "-5.00", "person.acct_balc"),
        ("person/acct_used_flag", True, "person.acct_used_flag"),
        ("catalog/0/chrgitm_lv", "04", "catalog[0].chrgitm_lv"),
        ("catalog/0/selfpay_prop", "1.5", "catalog[0].selfpay_prop"),
        ("policies/0/ratio/by_hosp_lv/2", 0.9, "policies[0].ratio.by_hosp_lv.2"),
        ("policies/0/med_types", "11", "policies[0].med_types"),
    ],
)
def test_malformed_field_is_named(path, value, field):
    assert_refused(run_inproc("-", stdin=_mutate(path, value)), field=field)


def test_no_matching_policy():
    assert_refused(run_inproc("-", stdin=_mutate("policies/0/insutype", "390")), code="no_policy")


@pytest.mark.parametrize(
    "data",
    [
        json.dumps(VALID).encode()[:-40],  # truncated JSON
        b"",
        b"   \n",
        b"[1, 2, 3]",
        b'"settlement-case/1"',
        json.dumps(VALID).encode().replace(b'"10.00"', b"NaN", 1),
        json.dumps(VALID).encode().replace(b'"10.00"', b"Infinity", 1),
        json.dumps(VALID, ensure_ascii=False).encode("utf-16"),  # not UTF-8
        '{"format": "结算"}'.encode("gbk"),  # GBK: not UTF-8
        b"{" + b'"a":' * 1 + b"[" * 100000,  # absurdly deep nesting
        b'{"format": "settlement-case/1", "format": "settlement-case/1"}',  # duplicate key
    ],
)
def test_garbage_on_stdin(data):
    assert_refused(run_inproc("-", stdin=data))


def test_ten_megabytes_of_random_bytes(tmp_path):
    f = tmp_path / "garbage.json"
    f.write_bytes(os.urandom(10 * 1024 * 1024))
    assert_refused(run_inproc(str(f)))


def test_missing_file_and_directory(tmp_path):
    err = assert_refused(run_inproc(str(tmp_path / "nope.json")))
    assert "nope.json" in err["message"]
    assert_refused(run_inproc(str(tmp_path)))
