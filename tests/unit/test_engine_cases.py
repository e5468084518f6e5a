"""Hand-computed settlement cases, one feature each. Expected figures are worked out in comments."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from client.domain.engine import CaseError, load_case, settle

CATALOG = [
    {"code": "A", "name": "甲类", "chrgitm_lv": "01", "med_chrgitm_type": "05", "selfpay_prop": "0"},
    {"code": "B", "name": "乙类", "chrgitm_lv": "02", "med_chrgitm_type": "09", "selfpay_prop": "0.10"},
    {"code": "C", "name": "丙类", "chrgitm_lv": "03", "med_chrgitm_type": "08"},
    {"code": "L", "name": "限价甲类", "chrgitm_lv": "01", "med_chrgitm_type": "09", "selfpay_prop": "0",
     "pric_uplmt_amt": "10.00"},
]  # fmt: skip

ZONE = {
    "name": "示范区",
    "members": ["310118", "320509", "330421"],
    "from": "2020-08-24",
    "med_types": ["11", "13", "14"],
}


def policy(**over) -> dict:
    p = {
        "id": "P",
        "insuplc_admdvs": "320509",
        "insutype": "310",
        "med_types": ["11", "21"],
        "psn_types": ["*"],
        "valid": ["2021-01-01", "2021-12-31"],
        "basic_fund_pay_type": "310100",
        "deductible": {"per": "visit", "by_hosp_lv": {"1": "300", "2": "500", "3": "800"}},
        "ratio": {"by_hosp_lv": {"1": "0.90", "2": "0.85", "3": "0.80"}},
    }
    p.update(over)
    return p


def case(lines, policies=None, visit=None, person=None, **extra) -> dict:
    c = {
        "format": "settlement-case/1",
        "visit": {"mdtrtarea_admvs": "320509", "hosp_lv": "2", "med_type": "21", "begndate": "2021-06-01"},
        "person": {"insuplc_admdvs": "320509", "insutype": "310", "psn_type": "1101", "age": 50},
        "catalog": copy.deepcopy(CATALOG),
        "lines": [
            {"feedetl_sn": str(i + 1), "code": code, "cnt": cnt, "pric": pric, **({"det_item_fee_sumamt": s} if s else {})}
            for i, (code, cnt, pric, s) in enumerate((ln + (None,))[:4] for ln in lines)
        ],
        "policies": policies if policies is not None else [policy()],
        "zones": [ZONE],
    }  # fmt: skip
    c["visit"].update(visit or {})
    c["person"].update(person or {})
    c.update(extra)
    return c


def amounts(out: dict, *keys: str) -> tuple[str, ...]:
    return tuple(out["setlinfo"][k] for k in keys)


def rows(out: dict) -> list[tuple[str, str, str]]:
    return [(r["fund_pay_type"], r["inscp_scp_amt"], r["fund_payamt"]) for r in out["setldetail"]]


# ---------------------------------------------------------------- deductible: n-th admission


@pytest.mark.parametrize(
    ("admissions", "dedc", "hifp"),
    [
        # A 10000.00 local, hosp_lv 2: standard deductible 500.
        (0, "500.00", "8075.00"),  # 1st admission, factor 1: 500; (10000-500) × 0.85 = 8075.00
        (1, "250.00", "8287.50"),  # 2nd, factor 0.5: 250; 9750 × 0.85 = 8287.50
        (2, "100.00", "8415.00"),  # 3rd, amount replaces: 100; 9900 × 0.85 = 8415.00
        (7, "100.00", "8415.00"),  # 8th: the last entry repeats
    ],
)
def test_nth_admission_factor_and_amount(admissions, dedc, hifp):
    d = {"per": "visit", "by_hosp_lv": {"1": "300", "2": "500", "3": "800"},
         "nth_admission": [{"factor": "1"}, {"factor": "0.5"}, {"amount": "100"}]}  # fmt: skip
    out = settle(
        case([("A", "1", "10000.00")], [policy(deductible=d)], person={"ytd": {"admissions": admissions}})
    )
    assert amounts(out, "act_pay_dedc", "hifp_pay") == (dedc, hifp)
    assert any(f"第 {admissions + 1} 次" in s for s in out["trace"])


def test_per_year_deductible_floors_at_zero_and_missing_deductible_is_zero():
    d = {"per": "year", "by_hosp_lv": {"1": "600", "2": "600", "3": "600"}}
    # already paid 700 > 600: remaining deductible 0; 1000 × 0.85 = 850.00
    out = settle(
        case([("A", "1", "1000.00")], [policy(deductible=d)], person={"ytd": {"dedc_paid": "700.00"}})
    )
    assert amounts(out, "act_pay_dedc", "hifp_pay") == ("0.00", "850.00")
    p = policy()
    del p["deductible"]
    out = settle(case([("A", "1", "1000.00")], [p]))
    assert amounts(out, "act_pay_dedc", "hifp_pay") == ("0.00", "850.00")


def test_deductible_larger_than_eligible():
    # A 200.00, deductible 500: act_pay_dedc = min(200, 500) = 200, fund pays 0, no setldetail row.
    out = settle(case([("A", "1", "200.00")]))
    assert amounts(out, "act_pay_dedc", "hifp_pay", "psn_part_amt") == ("200.00", "0.00", "200.00")
    assert out["setldetail"] == []


# ---------------------------------------------------------------- categories and reductions


def _xr(**kw):
    return {
        "allow_unfiled": True,
        "mode": "points",
        "unfiled": "0.20",
        "referral": "0.10",
        "emergency": "0.05",
        **kw,
    }


@pytest.mark.parametrize(
    ("filing", "category", "hifp", "prop"),
    [
        # A 1000.00 at hosp_lv 2 in Shanghai 310101 (outside pool and zone), deductible 500 -> segment 500.
        ("none", "unfiled", "325.00", "0.6500"),  # 0.85 - 0.20 = 0.65; 500 × 0.65
        ("referral", "referral", "375.00", "0.7500"),  # 0.85 - 0.10
        ("emergency", "emergency", "400.00", "0.8000"),  # 0.85 - 0.05
        ("long_term", "filed", "425.00", "0.8500"),  # filed: no reduction
    ],
)
def test_categories_and_points_reduction(filing, category, hifp, prop):
    c = case(
        [("A", "1", "1000.00")],
        [policy(cross_region=_xr())],
        visit={"mdtrtarea_admvs": "310101", "filing": filing},
    )
    out = settle(c)
    assert out["category"] == category
    assert amounts(out, "hifp_pay", "pool_prop_selfpay") == (hifp, prop)


def test_factor_mode_reduction():
    # unfiled, factor 0.8: 0.85 × 0.8 = 0.68; segment 500 × 0.68 = 340.00
    xr = {"allow_unfiled": True, "mode": "factor", "unfiled": "0.8"}
    out = settle(
        case([("A", "1", "1000.00")], [policy(cross_region=xr)], visit={"mdtrtarea_admvs": "310101"})
    )
    assert amounts(out, "hifp_pay", "pool_prop_selfpay") == ("340.00", "0.6800")


def test_points_reduction_floors_ratio_at_zero():
    xr = {"mode": "points", "unfiled": "0.90"}  # 0.85 - 0.90 < 0 -> 0
    out = settle(
        case([("A", "1", "1000.00")], [policy(cross_region=xr)], visit={"mdtrtarea_admvs": "310101"})
    )
    assert amounts(out, "hifp_pay", "pool_prop_selfpay") == ("0.00", "0.0000")


def test_reduction_applies_to_every_band():
    # bands 0-1000 @0.60, 1000+ @0.80, unfiled minus 0.10. ytd.seg_amt 800, segment 500 (1000 - 500 dedc)
    # axis 800..1300: 200 × 0.50 = 100.00, 300 × 0.70 = 210.00 -> 310.00; last band ratio 0.70
    r = {
        "bands": [{"from": "0", "to": "1000", "ratio": "0.60"}, {"from": "1000", "to": None, "ratio": "0.80"}]
    }
    c = case([("A", "1", "1000.00")], [policy(ratio=r, cross_region={"unfiled": "0.10"})],
             visit={"mdtrtarea_admvs": "310101"}, person={"ytd": {"seg_amt": "800.00"}})  # fmt: skip
    out = settle(c)
    assert amounts(out, "hifp_pay", "pool_prop_selfpay") == ("310.00", "0.7000")


def test_zone_exempt_needs_member_date_and_med_type():
    base = dict(person={"insuplc_admdvs": "330421"}, visit={"mdtrtarea_admvs": "310118", "med_type": "11"})
    pols = [policy(insuplc_admdvs="330421", cross_region=_xr(allow_unfiled=False))]
    out = settle(case([("A", "1", "1000.00")], pols, **copy.deepcopy(base)))
    assert out["category"] == "zone_exempt"
    assert out["setlinfo"]["hifp_pay"] == "425.00"  # no reduction
    # inpatient (21) is not in the zone's med_types: unfiled and refused
    c = case([("A", "1", "1000.00")], pols, **copy.deepcopy(base))
    c["visit"]["med_type"] = "21"
    with pytest.raises(CaseError) as ei:
        settle(c)
    assert ei.value.code == "filing_required"
    # before the zone started (2020-08-24): not exempt
    c = case(
        [("A", "1", "1000.00")],
        [policy(insuplc_admdvs="330421", valid=None, cross_region=_xr())],
        **copy.deepcopy(base),
    )
    c["visit"]["begndate"] = "2020-08-23"
    assert settle(c)["category"] == "unfiled"
    c["visit"]["begndate"] = "2020-08-24"  # inclusive
    assert settle(c)["category"] == "zone_exempt"


def test_same_pool_is_local_even_if_unfiled_is_refused():
    pools = {"320509": "320500", "320506": "320500"}
    c = case([("A", "1", "1000.00")], [policy(cross_region={"allow_unfiled": False, "unfiled": "0.20"})],
             visit={"mdtrtarea_admvs": "320506"}, pools=pools)  # fmt: skip
    out = settle(c)
    assert out["category"] == "local"
    assert out["setlinfo"]["hifp_pay"] == "425.00"
    c["pools"] = {"320509": "320500", "320506": "320599"}
    with pytest.raises(CaseError) as ei:
        settle(c)
    assert ei.value.code == "filing_required"
    assert "备案" in ei.value.message


# ---------------------------------------------------------------- policy selection


def test_age_range_selects_policy():
    pols = [
        policy(id="child", age=[0, 17], ratio={"by_hosp_lv": {"1": "0.95", "2": "0.95", "3": "0.95"}}),
        policy(id="adult", age=[18, 59]),
        policy(id="any"),
    ]
    assert settle(case([("A", "1", "1000.00")], pols, person={"age": 17}))["policy_id"] == "child"
    assert settle(case([("A", "1", "1000.00")], pols, person={"age": 18}))["policy_id"] == "adult"
    assert settle(case([("A", "1", "1000.00")], pols, person={"age": 59}))["policy_id"] == "adult"
    assert settle(case([("A", "1", "1000.00")], pols, person={"age": 60}))["policy_id"] == "any"
    c = case([("A", "1", "1000.00")], pols)
    del c["person"]["age"]  # a rule with an age range cannot match a person without age
    out = settle(c)
    assert out["policy_id"] == "any"
    assert any("跳过政策 child" in s for s in out["trace"])


def test_selectors_insutype_med_type_psn_type():
    pols = [
        policy(id="resident", insutype="390"),
        policy(id="outpatient", med_types=["11"]),
        policy(id="retired", psn_types=["1201"]),
        policy(id="worker", psn_types=["1101", "1102"]),
    ]
    assert settle(case([("A", "1", "1000.00")], pols))["policy_id"] == "worker"


def test_validity_dates_inclusive():
    pols = [
        policy(id="y2020", valid=["2020-01-01", "2020-12-31"]),
        policy(id="y2021", valid=["2021-01-01", "2021-12-31"]),
    ]
    assert settle(case([("A", "1", "1.00")], pols, visit={"begndate": "2020-12-31"}))["policy_id"] == "y2020"
    assert settle(case([("A", "1", "1.00")], pols, visit={"begndate": "2021-01-01"}))["policy_id"] == "y2021"
    assert settle(case([("A", "1", "1.00")], pols, visit={"begndate": "2021-12-31"}))["policy_id"] == "y2021"
    with pytest.raises(CaseError) as ei:
        settle(case([("A", "1", "1.00")], pols, visit={"begndate": "2022-01-01"}))
    assert ei.value.code == "no_policy"
    assert "2022-01-01" in ei.value.message and "政策" in ei.value.message


def test_no_policy_when_list_empty_or_other_insured_place():
    for pols in ([], [policy(insuplc_admdvs="330421")]):
        with pytest.raises(CaseError) as ei:
            settle(case([("A", "1", "1.00")], pols))
        assert ei.value.code == "no_policy"


# ---------------------------------------------------------------- caps


def test_eligible_cap_partly_and_fully_used():
    # cap 50000, ytd 45000 -> room 5000; A 10000: eligible 5000; dedc 500; 4500 × 0.85 = 3825.00
    out = settle(
        case(
            [("A", "1", "10000.00")],
            [policy(eligible_cap_year="50000")],
            person={"ytd": {"inscp_amt": "45000.00"}},
        )
    )
    assert amounts(out, "inscp_scp_amt", "act_pay_dedc", "hifp_pay") == ("10000.00", "500.00", "3825.00")
    assert rows(out) == [("310100", "5000.00", "3825.00")]
    # ytd 60000 > cap: nothing eligible, nothing paid, no deductible either
    out = settle(
        case(
            [("A", "1", "10000.00")],
            [policy(eligible_cap_year="50000")],
            person={"ytd": {"inscp_amt": "60000.00"}},
        )
    )
    assert amounts(out, "act_pay_dedc", "hifp_pay", "psn_part_amt") == ("0.00", "0.00", "10000.00")
    assert out["setldetail"] == []


def test_fund_cap_partly_and_exhausted():
    # 8075.00 computed; cap 20000 - ytd 15000 = 5000 room
    out = settle(
        case(
            [("A", "1", "10000.00")],
            [policy(fund_cap_year="20000")],
            person={"ytd": {"hifp_pay": "15000.00"}},
        )
    )
    assert out["setlinfo"]["hifp_pay"] == "5000.00"
    assert out["setlinfo"]["pool_prop_selfpay"] == "0.8500"  # ratio applied, even when capped
    out = settle(
        case(
            [("A", "1", "10000.00")],
            [policy(fund_cap_year="20000")],
            person={"ytd": {"hifp_pay": "20000.00"}},
        )
    )
    assert amounts(out, "hifp_pay", "fund_pay_sumamt", "psn_part_amt") == ("0.00", "0.00", "10000.00")


def _hifob(**kw):
    return {"id": "ob", "field": "hifob_pay", "fund_pay_type": "330100", "base": "inscp_remaining", "per": "visit",
            "bands": [{"from": "0", "to": None, "ratio": "0.90"}], **kw}  # fmt: skip


@pytest.mark.parametrize(
    ("cap", "paid", "expected"),
    [
        # A 10000: hifp 8075.00; layer base 10000 - 8075 = 1925.00; 1925 × 0.9 = 1732.50
        (None, "0.00", "1732.50"),
        ("5000", "4000.00", "1000.00"),  # room 1000
        ("5000", "6000.00", "0.00"),  # exhausted: no row
        ("5000", "3000.00", "1732.50"),  # room 2000, not binding
    ],
)
def test_layer_cap(cap, paid, expected):
    lay = _hifob(cap=cap)
    c = case(
        [("A", "1", "10000.00")], [policy(layers=[lay])], person={"ytd": {"layers": {"ob": {"paid": paid}}}}
    )
    out = settle(c)
    assert out["setlinfo"]["hifob_pay"] == expected
    assert Decimal(out["setlinfo"]["fund_pay_sumamt"]) == Decimal("8075.00") + Decimal(expected)
    if expected == "0.00":
        assert rows(out) == [("310100", "10000.00", "8075.00")]
    else:
        assert rows(out)[1] == ("330100", "1925.00", expected)


def test_layer_per_year_threshold_straddled():
    # ytd base 17000, threshold band from 18000 @0.9: axis 17000..18925 -> 925 × 0.9 = 832.50
    lay = _hifob(per="year", bands=[{"from": "18000", "to": None, "ratio": "0.90"}])
    c = case(
        [("A", "1", "10000.00")],
        [policy(layers=[lay])],
        person={"ytd": {"layers": {"ob": {"base_amt": "17000.00"}}}},
    )
    assert settle(c)["setlinfo"]["hifob_pay"] == "832.50"
    # same layer per visit: axis 0..1925 never reaches 18000
    lay["per"] = "visit"
    assert settle(c)["setlinfo"]["hifob_pay"] == "0.00"


def test_layer_bases_preselfpay_and_all_remaining():
    # B 1000 (pre 100, inscp 900) + C 500 (own pay). medfee 1500. no deductible, ratio 0.50.
    # basic: 900 × 0.5 = 450.00
    # hifes (inscp_preselfpay_remaining): 900 + 100 - 450 = 550 × 0.5 = 275.00
    # oth (all_remaining): 1500 - 725 = 775 × 0.2 = 155.00
    # funds 880.00, person 620.00; self_cost = min(620, 500) = 500.00, self_pay 120.00
    p = policy(ratio={"by_hosp_lv": {"1": "0.5", "2": "0.5", "3": "0.5"}}, layers=[
        {"id": "es", "field": "hifes_pay", "fund_pay_type": "390400", "base": "inscp_preselfpay_remaining",
         "per": "visit", "bands": [{"from": "0", "to": None, "ratio": "0.5"}]},
        {"id": "oth", "field": "oth_pay", "fund_pay_type": "999997", "base": "all_remaining",
         "per": "visit", "bands": [{"from": "0", "to": None, "ratio": "0.2"}]},
    ])  # fmt: skip
    del p["deductible"]
    out = settle(case([("B", "1", "1000.00"), ("C", "1", "500.00")], [p]))
    assert amounts(out, "hifp_pay", "hifes_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt") == (
        "450.00", "275.00", "155.00", "880.00", "620.00")  # fmt: skip
    assert rows(out) == [
        ("310100", "900.00", "450.00"),
        ("390400", "550.00", "275.00"),
        ("999997", "775.00", "155.00"),
    ]
    assert out["invoice"] == {"self_cost": "500.00", "self_pay": "120.00"}


def test_layer_idet_and_two_layers_same_field_add_up():
    lays = [
        {"id": "m1", "field": "maf_pay", "fund_pay_type": "610100", "base": "inscp_remaining", "per": "visit",
         "bands": [{"from": "0", "to": None, "ratio": "0.5"}], "idet": ["low_income"]},
        {"id": "m2", "field": "maf_pay", "fund_pay_type": "610100", "base": "inscp_remaining", "per": "visit",
         "bands": [{"from": "0", "to": None, "ratio": "0.5"}], "idet": ["orphan", "disabled"]},
    ]  # fmt: skip
    # A 10000: hifp 8075; m1 base 1925 × 0.5 = 962.50; m2 base 962.50 × 0.5 = 481.25 -> maf 1443.75
    out = settle(
        case([("A", "1", "10000.00")], [policy(layers=lays)], person={"idet": ["low_income", "disabled"]})
    )
    assert out["setlinfo"]["maf_pay"] == "1443.75"
    assert rows(out)[1:] == [("610100", "1925.00", "962.50"), ("610100", "962.50", "481.25")]
    out = settle(case([("A", "1", "10000.00")], [policy(layers=lays)], person={"idet": ["low_income"]}))
    assert out["setlinfo"]["maf_pay"] == "962.50"
    out = settle(case([("A", "1", "10000.00")], [policy(layers=lays)]))
    assert out["setlinfo"]["maf_pay"] == "0.00"


# ---------------------------------------------------------------- account


def test_account_covers_all_and_flag_zero_and_absent():
    # A 200 + C 100; deductible 500 > 200 -> fund 0; psn_part 300.
    lines = [("A", "1", "200.00"), ("C", "1", "100.00")]
    p = policy(account={"covers": "all"})
    out = settle(case(lines, [p], person={"acct_balc": "250.00", "acct_used_flag": "1"}))
    assert amounts(out, "psn_part_amt", "acct_pay", "psn_cash_pay", "balc") == (
        "300.00",
        "250.00",
        "50.00",
        "0.00",
    )
    out = settle(case(lines, [p], person={"acct_balc": "1000.00", "acct_used_flag": "1"}))
    assert amounts(out, "acct_pay", "psn_cash_pay", "balc") == ("300.00", "0.00", "700.00")
    # inscp_only: only the 200 self-pay (not the class-C 100)
    p2 = policy(account={"covers": "inscp_only"})
    out = settle(case(lines, [p2], person={"acct_balc": "1000.00", "acct_used_flag": "1"}))
    assert amounts(out, "acct_pay", "psn_cash_pay", "balc") == ("200.00", "100.00", "800.00")
    # flag "0": untouched balance
    out = settle(case(lines, [p], person={"acct_balc": "1000.00", "acct_used_flag": "0"}))
    assert amounts(out, "acct_pay", "psn_cash_pay", "balc") == ("0.00", "300.00", "1000.00")
    # policy without account: not usable even with flag "1"
    out = settle(case(lines, [policy()], person={"acct_balc": "1000.00", "acct_used_flag": "1"}))
    assert amounts(out, "acct_pay", "balc") == ("0.00", "1000.00")


# ---------------------------------------------------------------- line split


def test_line_split_limit_price_and_given_amount():
    out = settle(case([
        ("L", "3", "12.00"),            # over limit: (12-10) × 3 = 6.00; base 30.00
        ("L", "3", "10.00"),            # at limit: nothing over
        ("L", "3", "9.50"),             # below limit
        ("L", "3", "12.00", "5.00"),    # given amount 5.00 < over 6.00: over = 5.00, in scope 0.00
        ("A", "3", "10.00", "29.50"),   # given amount wins over cnt × pric
        ("X", "1", "7.00"),             # not in catalogue: own pay, chrgitm_lv null
        ("B", "2", "26.50"),            # 53.00, pre 5.30
    ]))  # fmt: skip
    got = [(ln["det_item_fee_sumamt"], ln["fulamt_ownpay_amt"], ln["overlmt_amt"], ln["preselfpay_amt"], ln["inscp_scp_amt"])
           for ln in out["lines"]]  # fmt: skip
    assert got == [
        ("36.00", "0.00", "6.00", "0.00", "30.00"),
        ("30.00", "0.00", "0.00", "0.00", "30.00"),
        ("28.50", "0.00", "0.00", "0.00", "28.50"),
        ("5.00", "0.00", "5.00", "0.00", "0.00"),
        ("29.50", "0.00", "0.00", "0.00", "29.50"),
        ("7.00", "7.00", "0.00", "0.00", "0.00"),
        ("53.00", "0.00", "0.00", "5.30", "47.70"),
    ]
    assert out["lines"][5]["chrgitm_lv"] is None
    assert amounts(out, "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt") == (
        "189.00", "7.00", "11.00", "5.30", "165.70")  # fmt: skip


def test_half_up_at_half_cent_boundaries():
    # cnt × pric = 3 × 0.335 = 1.005 -> 1.01 (banker's would give 1.00)
    # B 0.05: pre 0.005 -> 0.01, in scope 0.04
    # L 1 × 10.005 = 10.005 -> 10.01; over (10.005 - 10.00) × 1 = 0.005 -> 0.01; base 10.00
    # in scope 1.01 + 0.04 + 10.00 = 11.05; no deductible; 0.85 × 11.05 = 9.3925 -> 9.39
    # second case: A 0.10 × 0.85 = 0.085 -> 0.09 (banker's 0.08)
    p = policy()
    del p["deductible"]
    out = settle(case([("A", "3", "0.335"), ("B", "1", "0.05"), ("L", "1", "10.005")], [p]))
    assert [ln["det_item_fee_sumamt"] for ln in out["lines"]] == ["1.01", "0.05", "10.01"]
    assert out["lines"][1]["preselfpay_amt"] == "0.01"
    assert out["lines"][2]["overlmt_amt"] == "0.01"
    assert amounts(out, "inscp_scp_amt", "hifp_pay") == ("11.05", "9.39")
    out = settle(case([("A", "1", "0.10")], [p]))
    assert out["setlinfo"]["hifp_pay"] == "0.09"
    # a layer's bands are summed unrounded, then rounded once: 0.005 + 0.005 -> 0.01 (not 0.02)
    lay = {"id": "x", "field": "oth_pay", "fund_pay_type": "999997", "base": "all_remaining", "per": "visit",
           "bands": [{"from": "0", "to": "0.01", "ratio": "0.5"}, {"from": "0.01", "to": None, "ratio": "0.5"}]}  # fmt: skip
    p0 = policy(ratio={"by_hosp_lv": {"1": "0", "2": "0", "3": "0"}}, layers=[lay])
    del p0["deductible"]
    out = settle(case([("A", "1", "0.02")], [p0]))
    assert out["setlinfo"]["oth_pay"] == "0.01"


def test_trace_explains_every_step():
    lay = _hifob(cap="5000")
    c = case([("A", "1", "10000.00")], [policy(layers=[lay], account={"covers": "all"})],
             person={"acct_balc": "10.00", "acct_used_flag": "1"})  # fmt: skip
    text = "\n".join(settle(c)["trace"])
    for needle in (
        "适用参保地政策 P",
        "本地就医",
        "起付线",
        "0.85",
        "统筹基金",
        "hifob_pay",
        "年度限额",
        "个人账户",
        "现金支付",
    ):
        assert needle in text


def test_load_case_round_trip_and_output_shape():
    import json

    c = case([("A", "1", "10.00")])
    parsed = load_case(json.dumps(c, ensure_ascii=False).encode())
    out = settle(parsed)
    assert list(out) == ["category", "policy_id", "setlinfo", "setldetail", "lines", "invoice", "trace"]
    assert set(out["setlinfo"]) == {
        "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
        "hifp_pay", "pool_prop_selfpay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay",
        "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt", "balc",
    }  # fmt: skip
    assert settle(c) == out  # pure: same input, same output; input untouched
    assert c == case([("A", "1", "10.00")])
