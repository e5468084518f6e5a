"""Fuzz: the identity classifier and the card-data parser on arbitrary and near-valid input.

``classify_scan`` must never raise and always return a known kind; ``parse_card_data`` raises only
``IdentityError`` (with a Chinese message). The byte-level targets are shared with bench/fuzz.py.
"""

from __future__ import annotations

import os
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client.domain.identity import SCAN_KINDS, IdentityError, classify_scan, parse_card_data

VALID_CARD = ("330421|330421198503150016|X00000019|5a6b7c8d9e0f11223344556677889900|沈明|00|3.00|20200101|"
              "20300101|330421900001|V1.0|")
EXAMPLES = ["4243754826492874240001130000", "330421198503150016", VALID_CARD, "X00000019",
            "XJ01CRA006A001010104041", "6901234567892", "310118ec0123456789abcdef0123456789abcd"]
# CI budget; bench/fuzz.py raises it through MEDSETTLE_FUZZ_EXAMPLES.
FUZZ = settings(max_examples=int(os.environ.get("MEDSETTLE_FUZZ_EXAMPLES", "300")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def _is_chinese(msg: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in msg)


def target_classify(data: bytes) -> bool:
    """True when the input was recognised as something (for the bench's statistics)."""
    scan = classify_scan(data.decode("utf-8", "replace"))
    assert scan.kind in SCAN_KINDS
    if scan.kind == "unknown":
        assert scan.reason and _is_chinese(scan.reason)
    return scan.kind != "unknown"


def target_card(data: bytes) -> bool:
    try:
        card = parse_card_data(data.decode("utf-8", "replace"), today=date(2026, 11, 20))
    except IdentityError as exc:
        assert exc.message and _is_chinese(exc.message)
        return False
    assert len(card.card_sn) == 32
    return True


def _mutate(draw_ops, text: str) -> str:
    s = list(text)
    for op, pos, ch in draw_ops:
        if not s:
            s = [ch]
            continue
        i = pos % len(s)
        if op == 0:
            s[i] = ch
        elif op == 1:
            del s[i]
        else:
            s.insert(i, ch)
    return "".join(s)


_CH = st.sampled_from(list("0123456789XxECQRec|ABz -沈*\x00\u3000３\n"))
_OPS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 500), _CH), max_size=6)


@FUZZ
@given(st.binary(max_size=300))
def test_classify_scan_arbitrary_bytes(data):
    target_classify(data)


@FUZZ
@given(st.sampled_from(EXAMPLES), _OPS)
def test_classify_scan_mutated_examples(example, ops):
    target_classify(_mutate(ops, example).encode("utf-8"))


@FUZZ
@given(st.binary(max_size=300))
def test_parse_card_data_arbitrary_bytes(data):
    target_card(data)


@FUZZ
@given(_OPS)
def test_parse_card_data_mutated_valid(ops):
    target_card(_mutate(ops, VALID_CARD).encode("utf-8"))


def test_valid_examples_still_parse():
    assert classify_scan(EXAMPLES[1]).kind == "certno"
    assert classify_scan(VALID_CARD).kind == "card_data"
    assert parse_card_data(VALID_CARD, today=date(2026, 11, 20)).card_no == "X00000019"
