"""Money / decimal column conversion and derived search columns (pure functions)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from offline_cache.catalog import search_columns
from offline_cache.jsonutil import canonical_json
from offline_cache.types import from_fen, to_decimal_text, to_fen


@pytest.mark.parametrize("text,fen", [("0.10", 10), ("0.01", 1), ("1230.05", 123005), ("-3.10", -310),
                                      ("99999999999999.99", 9999999999999999), ("0", 0)])
def test_fen_round_trip_is_exact(text, fen):
    assert to_fen(Decimal(text)) == fen
    back = from_fen(fen)
    assert back == Decimal(text) and back.as_tuple().exponent == -2


def test_sum_of_tenths_is_exact():
    parts = [Decimal("0.10")] * 3
    assert from_fen(sum(to_fen(p) for p in parts)) == Decimal("0.30")


@pytest.mark.parametrize("bad", [0.1, float("nan"), "1.005", "abc", Decimal("Infinity"), True])
def test_invalid_amounts_are_rejected(bad):
    with pytest.raises(ValueError):
        to_fen(bad)


def test_decimal_text_keeps_exact_digits():
    assert to_decimal_text("0.1234") == "0.1234"
    assert to_decimal_text(Decimal("2.805000")) == "2.805000"
    with pytest.raises(ValueError):
        to_decimal_text(0.5)


def test_search_columns():
    ini, full, grams, igrams = search_columns("头孢克洛胶囊")
    assert ini == "tbkljn" and full == "toubaokeluojiaonang"
    assert set(grams.split()) >= {"头", "孢", "头孢", "克洛", "胶囊"}
    assert set(igrams.split()) == {"tb", "bk", "kl", "lj", "jn"}
    ini, full, _, _ = search_columns("维生素B6片(10mg)")
    assert ini == "wssb6p10mg" and full == "weishengsub6pian10mg"


def test_canonical_json_rejects_floats_and_sorts_keys():
    assert canonical_json({"b": 1, "a": Decimal("0.10"), "c": "沈明"}) == '{"a":"0.10","b":1,"c":"沈明"}'
    with pytest.raises(ValueError):
        canonical_json({"amount": 0.1})
