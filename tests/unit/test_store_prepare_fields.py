"""The fast path for catalogue rows given as field lists (``prepare_fields``, columns named by the
caller) equals the dict path exactly, including validation and its Chinese error messages.
(The real download files are read by their layouts: ``prepare_layout``, tests/integration/
test_catalog_real_layouts.py.)"""

from __future__ import annotations

import pytest

from offline_cache.catalog import CATALOG_COLUMNS, CatalogRowError, prepare_fields, prepare_rows
from training_platform.demo import iter_catalog

# the store's own column order, with the region last (a field list of another order works the same)
COLUMNS = [c for c in CATALOG_COLUMNS if c != "admdvs"] + ["admdvs"]


def catalog_row_from_fields(fields: list[str]) -> dict:
    return {c: (fields[i] if i < len(fields) and fields[i] != "" else None) for i, c in enumerate(COLUMNS)}


def _fields(row: dict) -> list[str]:
    return ["" if row.get(c) is None else str(row[c]) for c in COLUMNS]


def _demo_fields(admdvs="310118", n=2000):
    return [_fields(r) for r in iter_catalog(size=n) if r["admdvs"] == admdvs]


def _both(fields, admdvs="310118"):
    try:
        slow = prepare_rows([catalog_row_from_fields(f) for f in fields], admdvs)
    except CatalogRowError as exc:
        slow = ("error", str(exc))
    try:
        fast = prepare_fields(fields, admdvs, COLUMNS)
    except CatalogRowError as exc:
        fast = ("error", str(exc))
    return slow, fast


def test_valid_rows_give_identical_prepared_tuples():
    fields = _demo_fields()
    assert len(fields) > 100
    slow, fast = _both(fields)
    assert fast == slow


@pytest.mark.parametrize("column,value", [
    ("pric", "12.3.4"), ("pric", "-1.00"), ("selfpay_prop", "1.5"), ("begndate", "2026-13-01"),
    ("chrgitm_lv", "07"), ("med_list_codg", ""), ("name", ""), ("admdvs", "330421"), ("pric_uplmt_amt", "abc"),
])
def test_corrupted_rows_raise_the_same_chinese_error(column, value):
    fields = _demo_fields(n=800)
    bad = list(fields[5])
    bad[COLUMNS.index(column)] = value
    fields[5] = bad
    slow, fast = _both(fields)
    assert fast == slow
    # every one of these is refused (a well-formed but meaningless value too), in Chinese
    assert isinstance(slow, tuple) and slow[0] == "error", (column, value)
    assert "第 6 行" in slow[1] and "本页未写入" in slow[1]


def test_short_line_is_handled_like_the_dict_path():
    fields = _demo_fields(n=800)
    fields[3] = fields[3][:5]
    slow, fast = _both(fields)
    assert fast == slow
