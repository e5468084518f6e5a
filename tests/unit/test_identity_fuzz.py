"""Property tests: classify_scan never raises; parse_card_data raises only IdentityError."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from client.domain.identity import SCAN_KINDS, IdentityError, classify_scan, parse_card_data

_ALPHABET = st.sampled_from(list("0123456789XxECQRZC|ABz \t\r\n-沈明٣３") )
_MIXED = st.one_of(st.text(max_size=80), st.text(_ALPHABET, max_size=60))


@settings(max_examples=400, deadline=None)
@given(_MIXED)
def test_classify_scan_total(text):
    scan = classify_scan(text)
    assert scan.kind in SCAN_KINDS
    if scan.kind == "unknown":
        assert scan.reason


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_ALPHABET, max_size=34), min_size=9, max_size=13))
def test_parse_card_data_only_identity_errors(fields):
    text = "|".join(fields)
    try:
        card = parse_card_data(text, today=date(2025, 1, 1))
    except IdentityError as exc:
        assert exc.message
    else:
        assert len(card.card_sn) == 32


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_card_data_arbitrary_text(text):
    try:
        parse_card_data(text)
    except IdentityError as exc:
        assert exc.message


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[1-6][0-9]{16}[0-9X]", fullmatch=True))
def test_id_shaped_strings_classify_as_certno_or_unknown(text):
    # 18 digits that are no valid ID number and start 10–15 (WeChat) or 25–30 (Alipay) are payment
    # codes (docs/payments.md §2)
    pay = text.isdigit() and 10 <= int(text[:2]) <= 15 or text.isdigit() and 25 <= int(text[:2]) <= 30
    assert classify_scan(text).kind in (("certno", "unknown", "paycode") if pay else ("certno", "unknown"))
