"""The engine refuses malformed cases before computing anything, naming the field in Chinese."""

from __future__ import annotations

import copy
import json

import pytest

from client.domain.engine import CaseError, load_case, settle, validate_case

BASE = {
    "format": "settlement-case/1",
    "visit": {"mdtrtarea_admvs": "320509", "hosp_lv": "2", "med_type": "21", "begndate": "2021-06-01"},
    "person": {"insuplc_admdvs": "320509", "insutype": "390", "psn_type": "1501"},
    "catalog": [{"code": "A", "chrgitm_lv": "01"}],
    "lines": [{"feedetl_sn": "1", "code": "A", "cnt": "1", "pric": "100.00"}],
    "policies": [
        {
            "id": "P",
            "insuplc_admdvs": "320509",
            "insutype": "390",
            "med_types": ["21"],
            "psn_types": ["*"],
            "ratio": {"by_hosp_lv": {"1": "0.9", "2": "0.8", "3": "0.7"}},
            "layers": [
                {"id": "L", "field": "hifmi_pay", "fund_pay_type": "390200", "base": "inscp_remaining",
                 "per": "year", "bands": [{"from": "0", "to": "100", "ratio": "0.5"}, {"from": "100", "to": None, "ratio": "0.6"}]}
            ],
        }
    ],
}  # fmt: skip


def with_(edit) -> dict:
    c = copy.deepcopy(BASE)
    edit(c)
    return c


def refused(c, code="invalid_case") -> CaseError:
    with pytest.raises(CaseError) as ei:
        settle(c)
    assert ei.value.code == code
    assert ei.value.message
    return ei.value


def test_base_is_valid():
    validate_case(BASE)
    assert settle(BASE)["setlinfo"]["hifp_pay"] == "80.00"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda c: c["policies"][0]["layers"][0]["bands"].reverse(), "policies[0].layers[0].bands[1]"),
        (
            lambda c: c["policies"][0]["layers"][0]["bands"][0].update(to="150"),
            "policies[0].layers[0].bands[1].from",
        ),
        (
            lambda c: c["policies"][0]["layers"][0]["bands"][0].update(to="0"),
            "policies[0].layers[0].bands[0].to",
        ),
        (lambda c: c["policies"][0]["layers"][0].update(field="psn_pay"), "policies[0].layers[0].field"),
        (lambda c: c["policies"][0]["layers"][0].update(base="inscp"), "policies[0].layers[0].base"),
        (
            lambda c: c["policies"][0]["layers"].append(copy.deepcopy(c["policies"][0]["layers"][0])),
            "policies[0].layers[1].id",
        ),
        (lambda c: c["policies"][0].update(ratio={}), "policies[0].ratio"),
        (
            lambda c: c["policies"][0].update(
                deductible={
                    "per": "visit",
                    "by_hosp_lv": {"2": "1"},
                    "nth_admission": [{"factor": "1", "amount": "1"}],
                }
            ),
            "policies[0].deductible.nth_admission[0]",
        ),
        (
            lambda c: c["policies"][0].update(cross_region={"allow_unfiled": "no"}),
            "policies[0].cross_region.allow_unfiled",
        ),
        (
            lambda c: c["policies"][0].update(cross_region={"mode": "percent"}),
            "policies[0].cross_region.mode",
        ),
        (lambda c: c["policies"][0].update(account={"covers": "some"}), "policies[0].account.covers"),
        (lambda c: c["policies"][0].update(valid=["2021-12-31", "2021-01-01"]), "policies[0].valid"),
        (lambda c: c["policies"][0].update(age=[60, 18]), "policies[0].age"),
        (lambda c: c["policies"][0].update(fund_cap_year=350000), "policies[0].fund_cap_year"),
        (
            lambda c: c["policies"][0]["ratio"]["by_hosp_lv"].update({"2": "1.2"}),
            "policies[0].ratio.by_hosp_lv.2",
        ),
        (lambda c: c["catalog"].append({"code": "A", "chrgitm_lv": "02"}), "catalog[1].code"),
        (lambda c: c["catalog"][0].update(pric_uplmt_amt="-1"), "catalog[0].pric_uplmt_amt"),
        (lambda c: c["lines"].append(dict(c["lines"][0])), "lines[1].feedetl_sn"),
        (lambda c: c["lines"][0].update(feedetl_sn=True), "lines[0].feedetl_sn"),
        (lambda c: c["lines"][0].update(feedetl_sn=1.5), "lines[0].feedetl_sn"),
        (lambda c: c["lines"][0].update(pric="0.001"), "lines[0]"),  # rounds to 0.00
        (lambda c: c["visit"].update(mdtrtarea_admvs="3205"), "visit.mdtrtarea_admvs"),
        (lambda c: c["visit"].update(filing="yes"), "visit.filing"),
        (lambda c: c["person"].update(ytd={"admissions": "1"}), "person.ytd.admissions"),
        (lambda c: c["person"].update(ytd={"admissions": True}), "person.ytd.admissions"),
        (lambda c: c["person"].update(ytd={"layers": {"L": {"paid": 5}}}), "person.ytd.layers.L.paid"),
        (lambda c: c["person"].update(idet="low_income"), "person.idet"),
        (lambda c: c.update(zones=[{"members": ["310118", "abc"]}]), "zones[0].members[1]"),
        (lambda c: c.update(pools={"320509": 320500}), "pools.320509"),
        (lambda c: c.update(format=None), "format"),
    ],
)
def test_field_named(edit, field):
    err = refused(with_(edit))
    assert err.field == field
    assert field in err.message


def test_validation_runs_before_policy_selection():
    # a broken line is reported even though no policy would match either
    c = with_(lambda c: (c["lines"][0].update(cnt=1), c["policies"].clear()))
    assert refused(c).field == "lines[0].cnt"


def test_missing_hosp_lv_in_selected_policy():
    c = with_(lambda c: c["policies"][0]["ratio"].update(by_hosp_lv={"3": "0.7"}))
    assert refused(c).field == "policies[0].ratio.by_hosp_lv.2"


def test_not_a_dict():
    for bad in (None, [], "x", 3):
        refused(bad)  # type: ignore[arg-type]


def test_load_case_text_and_bytes_and_bom():
    text = json.dumps(BASE, ensure_ascii=False)
    assert load_case(text) == BASE
    assert load_case(text.encode("utf-8")) == BASE
    assert load_case(b"\xef\xbb\xbf" + text.encode("utf-8")) == BASE
    with pytest.raises(CaseError) as ei:
        load_case(text.replace('"1"', "1.0", 1).encode())
    assert ei.value.code == "invalid_case"


def test_integer_feedetl_sn_is_an_identifier():
    out = settle(with_(lambda c: c["lines"][0].update(feedetl_sn=7)))
    assert out["lines"][0]["feedetl_sn"] == "7"
    assert out["setlinfo"]["medfee_sumamt"] == "100.00"
