"""Fuzz: the settlement-case parser. Arbitrary bytes and mutated valid cases go through
``engine.load_case`` and ``engine.settle_text``; the only error allowed is ``CaseError`` with a
known code and a Chinese message (never a traceback of another type)."""

from __future__ import annotations

import copy
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client.domain.engine import CaseError, load_case, settle, settle_text
from tests import oracles

# CI budget; bench/fuzz.py raises it through MEDSETTLE_FUZZ_EXAMPLES.
FUZZ = settings(max_examples=int(os.environ.get("MEDSETTLE_FUZZ_EXAMPLES", "300")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
CODES = ("invalid_case", "no_policy", "filing_required")

# spec example 01-zone-outpatient (Wujiang/Jiashan zone patient in Qingpu, 2021); tests/oracles.py
VALID_CASE = oracles.case("01-zone-outpatient")


def _chinese(msg: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in msg)


def target_case(data: bytes) -> str:
    """Returns "ok" or the CaseError code (for the bench's statistics)."""
    try:
        load_case(data)
    except CaseError as exc:
        assert exc.code in CODES and _chinese(exc.message)
        code = exc.code
    else:
        code = "ok"
    try:
        out = settle_text(data)
    except CaseError as exc:
        assert exc.code in CODES and _chinese(exc.message)
        return exc.code
    assert code == "ok", "settle_text accepted what load_case refused"
    assert "psn_cash_pay" in json.dumps(out)
    return "ok"


_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=12),
                    st.floats(allow_nan=True), st.sampled_from(["0", "-1", "1e5", "0.001", "NaN", "", "2021-02-30",
                                                                "99999999999999999999.99", "310118", "11", "1.00"]))
_json = st.recursive(_scalar, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                      st.dictionaries(st.text(max_size=6), kids, max_size=3)),
                     max_leaves=10)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


ALL_PATHS = [p for p in _paths(VALID_CASE) if p]


def mutate(case: dict, ops) -> dict:
    doc = copy.deepcopy(case)
    for kind, idx, value in ops:
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = paths[idx % len(paths)]
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        last = path[-1]
        if kind == 0:                       # replace the value
            parent[last] = value
        elif kind == 1:                     # delete the key / element
            del parent[last]
        elif kind == 2 and isinstance(parent, list):   # duplicate an element
            parent.append(copy.deepcopy(parent[last]))
        elif kind == 3 and isinstance(parent[last], str):   # perturb a string
            parent[last] = parent[last][::-1] if len(value if isinstance(value, str) else "") % 2 else parent[last] + "0"
    return doc


_OPS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**6), _json), min_size=1, max_size=4)


def _dumps(doc) -> bytes:
    return json.dumps(doc, ensure_ascii=False, allow_nan=True).encode("utf-8")


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data):
    target_case(data)


@FUZZ
@given(_OPS)
def test_mutated_valid_case(ops):
    target_case(_dumps(mutate(VALID_CASE, ops)))


@FUZZ
@given(st.integers(0, 4000), st.binary(max_size=20))
def test_truncated_and_spliced_case(cut, junk):
    raw = _dumps(VALID_CASE)
    target_case(raw[: cut % (len(raw) + 1)] + junk)


def test_valid_case_settles_and_mutator_reaches_every_path():
    assert target_case(_dumps(VALID_CASE)) == "ok"
    assert settle(copy.deepcopy(VALID_CASE))["setlinfo"]["medfee_sumamt"] == "256.30"
    assert len(ALL_PATHS) > 50
    removed = mutate(VALID_CASE, [(1, ALL_PATHS.index(("person",)), None)])
    assert "person" not in removed
