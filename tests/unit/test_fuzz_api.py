"""Fuzz: the central response parser. Arbitrary bytes and JSON-ish envelopes go through
``client.api.envelope.parse_response`` and then every typed response class's ``from_response``;
the only errors allowed are the documented ones: ``EnvelopeFormatError`` (which the client turns
into ``MalformedResponse``) and ``MalformedResponse``."""

from __future__ import annotations

import inspect
import json
import os
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client.api import transactions
from client.api.envelope import EnvelopeFormatError, parse_response
from client.api.errors import MalformedResponse

# CI budget; bench/fuzz.py raises it through MEDSETTLE_FUZZ_EXAMPLES.
FUZZ = settings(max_examples=int(os.environ.get("MEDSETTLE_FUZZ_EXAMPLES", "300")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

RESPONSE_CLASSES = sorted({obj.RESPONSE for _, obj in inspect.getmembers(transactions, inspect.isclass)
                           if isinstance(getattr(obj, "RESPONSE", None), type)
                           and hasattr(obj.RESPONSE, "from_response")}, key=lambda c: c.__name__)
NODE_NAMES = ["baseinfo", "insuinfo", "idetinfo", "data", "setlinfo", "setldetail", "result", "signinoutb",
              "bundle", "mac", "file_qury_no", "filename", "data_cnt", "output", "recordCounts", "pageNum",
              "mdtrt_id", "setl_id", "psn_no", "medfee_sumamt", "psn_cash_pay", "fund_pay_sumamt", "feedetail",
              "sign_no", "infcode", "err_msg", "ver", "policies", "format", "cnt", "pric"]


def target_response(data: bytes) -> int:
    """Returns how many typed parsers accepted the body (for the bench's statistics)."""
    try:
        resp = parse_response(data)
    except EnvelopeFormatError as exc:
        assert str(exc)
        return 0
    resp.msgid, resp.infno = "H31011800001202611200830000001", "2207"
    accepted = 0
    for cls in RESPONSE_CLASSES:
        try:
            cls.from_response(resp)
        except MalformedResponse as exc:
            assert "应答格式错误" in str(exc)
        else:
            accepted += 1
    return accepted


_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.text(max_size=20),
                    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
                    st.sampled_from(["0", "-1", "0.00", "12.50", "1e309", "NaN", "", "20261120", "2026-11-20 08:30:00"]))
_json = st.recursive(_scalar, lambda kids: st.one_of(
    st.lists(kids, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(NODE_NAMES), st.text(max_size=8)), kids, max_size=6)), max_leaves=25)
_envelope = st.fixed_dictionaries(
    {"infcode": st.one_of(st.sampled_from([0, -1, "0", "-1", 0.0, "x", None, True]), _scalar)},
    optional={"output": st.one_of(_json, st.dictionaries(st.sampled_from(NODE_NAMES), _json, max_size=5)),
              "err_msg": _scalar, "warn_msg": _scalar, "inf_refmsgid": _scalar, "respond_time": _scalar})


def _dumps(doc) -> bytes:
    return json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8")


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    target_response(data)


@FUZZ
@given(_envelope)
def test_jsonish_envelopes(doc):
    target_response(_dumps(doc))


@FUZZ
@given(_json)
def test_arbitrary_json_documents(doc):
    target_response(_dumps(doc))


@FUZZ
@given(st.text(max_size=200))
def test_truncated_valid_envelope(suffix):
    valid = _dumps({"infcode": 0, "output": {"setlinfo": {"setl_id": "S1", "medfee_sumamt": "12.50"}}})
    target_response(valid[: len(suffix) % (len(valid) + 1)] + suffix.encode("utf-8"))


def test_parser_inventory_and_a_valid_body():
    assert len(RESPONSE_CLASSES) >= 15
    resp = parse_response(b'{"infcode": 0, "output": {"bundle": {"format": "policy-bundle/1"}, "mac": "ab"}}')
    assert resp.ok and resp.output["mac"] == "ab"
    assert isinstance(parse_response(b'{"infcode":0,"output":{"a":1.5}}').output["a"], Decimal)
