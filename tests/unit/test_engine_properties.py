"""Property tests: the settlement identities hold on any valid generated case."""

from __future__ import annotations

import copy
import re
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client.domain.engine import FUND_FIELDS, settle

TWO_DEC = re.compile(r"-?[0-9]+\.[0-9]{2}")
MONEY_KEYS = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
    *FUND_FIELDS, "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt", "balc",
)  # fmt: skip
LINE_PARTS = ("fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt")
SETL_PARTS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")


def cents(lo: int, hi: int):
    return st.integers(lo, hi).map(lambda c: str(Decimal(c) / 100 if c % 100 else Decimal(c // 100)))


def ratio():
    return st.integers(0, 100).map(lambda n: str(Decimal(n) / 100))


def bands(max_pos: int):
    @st.composite
    def _b(draw):
        cuts = sorted(draw(st.sets(st.integers(0, max_pos), min_size=1, max_size=4)))
        open_end = draw(st.booleans())
        out = []
        for i, lo in enumerate(cuts):
            hi = (
                cuts[i + 1]
                if i + 1 < len(cuts)
                else (None if open_end else lo + draw(st.integers(1, max_pos)))
            )
            out.append({"from": str(lo), "to": None if hi is None else str(hi), "ratio": draw(ratio())})
        return out

    return _b()


LAYER_FIELDS = ("cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")


@st.composite
def layers(draw):
    out = []
    for i in range(draw(st.integers(0, 3))):
        lay = {
            "id": f"L{i}",
            "field": draw(st.sampled_from(LAYER_FIELDS)),
            "fund_pay_type": draw(st.sampled_from(["390200", "330100", "610100", "999997"])),
            "base": draw(st.sampled_from(["inscp_remaining", "inscp_preselfpay_remaining", "all_remaining"])),
            "per": draw(st.sampled_from(["year", "visit"])),
            "bands": draw(bands(20000)),
        }
        if draw(st.booleans()):
            lay["cap"] = draw(cents(0, 2_000_000))
        if draw(st.booleans()):
            lay["idet"] = draw(st.lists(st.sampled_from(["low_income", "orphan"]), min_size=1, max_size=2))
        out.append(lay)
    return out


@st.composite
def cases(draw):
    codes = [f"K{i}" for i in range(6)]
    catalog = []
    for code in codes:
        e = {
            "code": code,
            "name": code,
            "chrgitm_lv": draw(st.sampled_from(["01", "02", "03"])),
            "med_chrgitm_type": "09",
        }
        if draw(st.booleans()):
            e["selfpay_prop"] = draw(st.sampled_from(["0", "0.05", "0.10", "0.15", "0.2", "0.333", "1"]))
        if draw(st.booleans()):
            e["pric_uplmt_amt"] = draw(cents(0, 50000))
        catalog.append(e)
    lines = []
    for i in range(draw(st.integers(1, 8))):
        ln = {
            "feedetl_sn": str(i + 1),
            "code": draw(st.sampled_from([*codes, "NOT-IN-CATALOG"])),
            "cnt": draw(st.sampled_from(["1", "2", "0.5", "3", "10", "1.5", "0.333"])),
            "pric": draw(
                st.one_of(cents(3, 2_000_000), st.sampled_from(["0.335", "12.345", "0.125", "99.995"]))
            ),
        }
        if draw(st.integers(0, 4)) == 0:
            ln["det_item_fee_sumamt"] = draw(cents(1, 1_000_000))
        lines.append(ln)
    lv3 = {"1": draw(cents(0, 150000)), "2": draw(cents(0, 150000)), "3": draw(cents(0, 150000))}
    pol = {
        "id": "G",
        "insuplc_admdvs": "320509",
        "insutype": "390",
        "med_types": ["11", "21"],
        "psn_types": ["*"],
        "basic_fund_pay_type": "390100",
    }
    dk = draw(st.sampled_from(["none", "visit", "year"]))
    if dk != "none":
        pol["deductible"] = {"per": dk, "by_hosp_lv": lv3}
        if dk == "visit" and draw(st.booleans()):
            pol["deductible"]["nth_admission"] = draw(
                st.lists(
                    st.one_of(
                        st.builds(lambda f: {"factor": f}, st.sampled_from(["1", "0.5", "0", "1.25"])),
                        st.builds(lambda a: {"amount": a}, cents(0, 100000)),
                    ),
                    min_size=1,
                    max_size=3,
                )
            )
    if draw(st.booleans()):
        pol["ratio"] = {"by_hosp_lv": {"1": draw(ratio()), "2": draw(ratio()), "3": draw(ratio())}}
    else:
        pol["ratio"] = {"bands": draw(bands(30000))}
    if draw(st.booleans()):
        pol["eligible_cap_year"] = draw(cents(0, 5_000_000))
    if draw(st.booleans()):
        pol["fund_cap_year"] = draw(cents(0, 5_000_000))
    if draw(st.booleans()):
        mode = draw(st.sampled_from(["points", "factor"]))
        pol["cross_region"] = {
            "allow_unfiled": True,
            "mode": mode,
            **{k: draw(ratio()) for k in ("unfiled", "referral", "emergency") if draw(st.booleans())},
        }
    pol["layers"] = draw(layers())
    if draw(st.booleans()):
        pol["account"] = {"covers": draw(st.sampled_from(["all", "inscp_only"]))}
    ytd = {
        "dedc_paid": draw(cents(0, 100000)),
        "admissions": draw(st.integers(0, 5)),
        "inscp_amt": draw(cents(0, 3_000_000)),
        "seg_amt": draw(cents(0, 3_000_000)),
        "hifp_pay": draw(cents(0, 3_000_000)),
        "layers": {
            f"L{i}": {"base_amt": draw(cents(0, 3_000_000)), "paid": draw(cents(0, 1_000_000))}
            for i in range(3)
        },
    }
    return {
        "format": "settlement-case/1",
        "visit": {
            "mdtrtarea_admvs": draw(st.sampled_from(["320509", "310118", "310101", "320506"])),
            "hosp_lv": draw(st.sampled_from(["1", "2", "3"])),
            "med_type": draw(st.sampled_from(["11", "21"])),
            "begndate": "2021-06-01",
            "filing": draw(st.sampled_from(["none", "long_term", "referral", "emergency"])),
        },
        "person": {
            "insuplc_admdvs": "320509",
            "insutype": "390",
            "psn_type": "1501",
            "age": 40,
            "idet": draw(st.lists(st.sampled_from(["low_income", "orphan", "veteran"]), max_size=2)),
            "acct_balc": draw(cents(0, 500000)),
            "acct_used_flag": draw(st.sampled_from(["0", "1"])),
            "ytd": ytd,
        },
        "catalog": catalog,
        "lines": lines,
        "policies": [pol],
        "zones": [
            {
                "name": "示范区",
                "members": ["310118", "320509", "330421"],
                "from": "2020-08-24",
                "med_types": ["11"],
            }
        ],
        "pools": {"320509": "320500", "320506": "320500"},
    }


def D(s: str) -> Decimal:
    return Decimal(s)


SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(cases())
def test_identities(case):
    out = settle(case)
    s = out["setlinfo"]
    for k in MONEY_KEYS:
        assert TWO_DEC.fullmatch(s[k]), (k, s[k])
        assert D(s[k]) >= 0, k
    assert re.fullmatch(r"[01]\.[0-9]{4}", s["pool_prop_selfpay"])
    medfee = D(s["medfee_sumamt"])
    assert medfee == sum(D(s[k]) for k in SETL_PARTS)
    assert D(s["fund_pay_sumamt"]) == sum(D(s[k]) for k in FUND_FIELDS)
    assert D(s["psn_part_amt"]) == medfee - D(s["fund_pay_sumamt"]) - D(s["hosp_part_amt"])
    assert D(s["psn_part_amt"]) == D(s["acct_pay"]) + D(s["psn_cash_pay"])
    balc = D(case["person"]["acct_balc"])
    assert D(s["acct_pay"]) <= balc
    assert D(s["balc"]) == balc - D(s["acct_pay"])
    if case["person"]["acct_used_flag"] == "0" or "account" not in case["policies"][0]:
        assert s["acct_pay"] == "0.00"
    assert D(s["act_pay_dedc"]) <= D(s["inscp_scp_amt"])
    # invoice split
    inv = out["invoice"]
    assert D(inv["self_cost"]) + D(inv["self_pay"]) == D(s["psn_part_amt"])
    assert D(inv["self_cost"]) <= D(s["fulamt_ownpay_amt"]) + D(s["overlmt_selfpay"])
    for v in inv.values():
        assert TWO_DEC.fullmatch(v) and D(v) >= 0
    # lines add up to the totals, each line to its amount
    for part_line, part_total in zip(LINE_PARTS, SETL_PARTS, strict=True):
        assert sum(D(ln[part_line]) for ln in out["lines"]) == D(s[part_total])
    for ln in out["lines"]:
        assert D(ln["det_item_fee_sumamt"]) == sum(D(ln[k]) for k in LINE_PARTS)
        for k in (*LINE_PARTS, "det_item_fee_sumamt"):
            assert TWO_DEC.fullmatch(ln[k]) and D(ln[k]) >= 0
    # setldetail: one row per paying fund, each pays at most its base, rows sum to the funds
    rows = out["setldetail"]
    for r in rows:
        assert D(r["fund_payamt"]) > 0
        assert D(r["fund_payamt"]) <= D(r["inscp_scp_amt"])
    assert sum(D(r["fund_payamt"]) for r in rows) == D(s["fund_pay_sumamt"])
    if D(s["hifp_pay"]) > 0:
        assert rows[0]["fund_pay_type"] == "390100" and D(rows[0]["fund_payamt"]) == D(s["hifp_pay"])
    # the basic fund never pays more than the in-scope amount after the deductible
    assert D(s["hifp_pay"]) <= D(s["inscp_scp_amt"]) - D(s["act_pay_dedc"])


def _raise_ratios(case: dict, delta: Decimal) -> dict:
    c = copy.deepcopy(case)
    r = c["policies"][0]["ratio"]
    if "by_hosp_lv" in r:
        for k, v in r["by_hosp_lv"].items():
            r["by_hosp_lv"][k] = str(min(Decimal(1), Decimal(v) + delta))
    else:
        for b in r["bands"]:
            b["ratio"] = str(min(Decimal(1), Decimal(b["ratio"]) + delta))
    return c


@SETTINGS
@given(cases(), st.integers(1, 100).map(lambda n: Decimal(n) / 100))
def test_raising_a_ratio_never_lowers_the_basic_fund(case, delta):
    before = D(settle(case)["setlinfo"]["hifp_pay"])
    after = D(settle(_raise_ratios(case, delta))["setlinfo"]["hifp_pay"])
    assert after >= before


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_deterministic_and_input_untouched(case):
    snapshot = copy.deepcopy(case)
    assert settle(case) == settle(case)
    assert case == snapshot
