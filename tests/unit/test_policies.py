"""Training policy bundles (resources/policies/*.json) against the settlement engine."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from client.domain import engine
from client.resources import resource
from training_platform import demo

ZONE = ["310118", "320509", "330421"]
EXPECTED_BUNDLES = {"310118", "320509", "330421", "110105", "340102", "420106", "310101", "320506"}
OTP, IPT = ["11", "13", "14"], ["21", "22", "24"]
MONEY = ("medfee_sumamt", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hifp_pay")


def _bundles() -> dict[str, dict]:
    out = {}
    for path in sorted(resource("policies").glob("*.json")):
        b = json.loads(path.read_text(encoding="utf-8"))
        assert path.stem == b["insuplc_admdvs"], path
        out[path.stem] = b
    return out


BUNDLES = _bundles()


def _case(bundle, *, treat, hosp_lv, med_type, day, insuplc, insutype, psn_type, age, filing="none",
          idet=(), balc="0.00", ytd=None, catalog=None, lines=None) -> dict:
    catalog = catalog or [
        {"code": "A1", "name": "甲类药", "chrgitm_lv": "01", "med_chrgitm_type": "09", "selfpay_prop": "0"},
        {"code": "B1", "name": "乙类检查", "chrgitm_lv": "02", "med_chrgitm_type": "03", "selfpay_prop": "0.10",
         "pric_uplmt_amt": "200.00"},
        {"code": "C1", "name": "丙类材料", "chrgitm_lv": "03", "med_chrgitm_type": "08"},
    ]
    lines = lines or [
        {"feedetl_sn": "1", "code": "A1", "cnt": "3", "pric": "1234.56"},
        {"feedetl_sn": "2", "code": "B1", "cnt": "2", "pric": "230.00"},
        {"feedetl_sn": "3", "code": "C1", "cnt": "1", "pric": "99.90"},
        {"feedetl_sn": "4", "code": "NOT-LISTED", "cnt": "1", "pric": "12.00"},
    ]
    return {
        "format": "settlement-case/1",
        "visit": {"mdtrtarea_admvs": treat, "hosp_lv": hosp_lv, "med_type": med_type, "begndate": day,
                  "filing": filing, **({"opsp_dise_code": "M03900"} if med_type == "14" else {})},
        "person": {"insuplc_admdvs": insuplc, "insutype": insutype, "psn_type": psn_type, "age": age,
                   "idet": list(idet), "acct_balc": balc, "acct_used_flag": "1" if Decimal(balc) > 0 else "0",
                   "ytd": ytd or {}},
        "catalog": catalog, "lines": lines,
        "policies": bundle["policies"], "zones": bundle["zones"], "pools": bundle["pools"],
    }


def _check_identities(out: dict) -> None:
    s = {k: Decimal(v) for k, v in out["setlinfo"].items() if k != "pool_prop_selfpay"}
    assert s["medfee_sumamt"] == s["fund_pay_sumamt"] + s["psn_part_amt"] + s["hosp_part_amt"]
    assert s["psn_part_amt"] == s["acct_pay"] + s["psn_cash_pay"]
    assert s["medfee_sumamt"] == s["fulamt_ownpay_amt"] + s["overlmt_selfpay"] + s["preselfpay_amt"] + s["inscp_scp_amt"]
    assert s["fund_pay_sumamt"] == sum(s[k] for k in ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay",
                                                       "hifob_pay", "maf_pay", "oth_pay"))
    assert all(v >= 0 for v in s.values())


# ---------------------------------------------------------------- bundle shape


def test_every_insured_place_has_a_labelled_bundle():
    assert set(BUNDLES) == EXPECTED_BUNDLES
    assert set(demo.load_policy_bundles()) == EXPECTED_BUNDLES
    for adm, b in BUNDLES.items():
        assert b["format"] == "policy-bundle/1" and b["ver"] and b["issued_at"]
        assert "TRAINING DATA" in b["note"] and "培训" in b["note"]
        assert b["zones"] == [{"name": "长三角生态绿色一体化发展示范区", "members": ZONE, "from": "2020-08-24",
                               "med_types": OTP}]
        assert b["pools"]["310118"] == b["pools"]["310101"] == "310000"
        assert b["pools"]["320509"] == b["pools"]["320506"] == "320500"
        ids = [p["id"] for p in b["policies"]]
        assert len(set(ids)) == len(ids)
        assert all(p["insuplc_admdvs"] == adm for p in b["policies"])
        assert {p["insutype"] for p in b["policies"]} == {"310", "390"}


def test_bundles_validate_in_the_engine():
    for adm, b in BUNDLES.items():
        case = _case(b, treat=adm, hosp_lv="2", med_type="11", day="2026-11-20", insuplc=adm, insutype="310",
                     psn_type="1101", age=40)
        engine.validate_case(case)


def test_parameters_vary_as_documented():
    pols = {p["id"]: p for b in BUNDLES.values() for p in b["policies"]}
    assert pols["320509-310-ipt-in-2020-2027"]["deductible"]["nth_admission"] == [
        {"factor": "1"}, {"factor": "0.5"}, {"amount": "100"}]
    assert "bands" in pols["320509-390-ipt-all-2022-2027"]["ratio"]
    assert pols["320509-310-otp-in-2020-2027"]["cross_region"]["mode"] == "factor"
    assert pols["320509-390-ipt-all-2022-2027"]["cross_region"]["allow_unfiled"] is False
    assert pols["110105-310-ipt-in-2020-2027"]["cross_region"]["allow_unfiled"] is False
    assert pols["330421-310-otp-in-2020-2027"]["account"]["covers"] == "inscp_only"
    assert pols["310118-310-otp-in44-2020-2027"]["account"]["covers"] == "all"
    assert any(ly["field"] == "hifob_pay" for ly in pols["310118-310-ipt-in-2020-2027"]["layers"])
    assert any(ly["field"] == "hifmi_pay" for ly in pols["330421-390-ipt-all-2020-2027"]["layers"])
    assert any(ly.get("idet") for ly in pols["330421-390-ipt-all-2020-2027"]["layers"])


# ---------------------------------------------------------------- coverage of years and person types

PERSON_KINDS = [("310", "1101", 30), ("310", "1101", 50), ("310", "1102", 40), ("310", "1103", 35),
                ("310", "1201", 70), ("310", "1202", 66), ("390", "1501", 40), ("390", "1501", 72),
                ("390", "1403", 9)]


@pytest.mark.parametrize("adm", sorted(EXPECTED_BUNDLES))
def test_a_policy_matches_every_year_type_and_med_type(adm):
    b = BUNDLES[adm]
    for day in ("2020-01-01", "2020-08-24", "2022-06-30", "2026-11-20", "2027-12-31"):
        for insutype, psn_type, age in PERSON_KINDS:
            for med_type in OTP + IPT:
                out = engine.settle(_case(b, treat=adm, hosp_lv="2", med_type=med_type, day=day, insuplc=adm,
                                          insutype=insutype, psn_type=psn_type, age=age, balc="500.00"))
                assert out["category"] == "local"
                assert out["policy_id"].startswith(f"{adm}-{insutype}-{'otp' if med_type in OTP else 'ipt'}-")
                _check_identities(out)


# ---------------------------------------------------------------- fixed people × zone institutions


@pytest.fixture(scope="module")
def data() -> dict:
    return demo.generate()


def _person_case(bundle, person, inst, med_type, day="2026-11-20", lines=None, catalog=None):
    info = person["insuinfo"][0]
    b = date.fromisoformat(person["brdy"])
    d = date.fromisoformat(day)
    age = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
    fil = person["filing"]
    filing = fil["type"] if fil["type"] != "none" and fil["admdvs"] == inst["admdvs"] else "none"
    return _case(bundle, treat=inst["admdvs"], hosp_lv=inst["hosp_lv"], med_type=med_type, day=day,
                 insuplc=info["insuplc_admdvs"], insutype=info["insutype"], psn_type=info["psn_type"], age=age,
                 filing=filing, idet=person["idet"], balc=info["balc"], ytd=person["ytd"].get(day[:4]),
                 lines=lines, catalog=catalog)


def _pool(adm: str) -> str:
    return next(iter(BUNDLES.values()))["pools"].get(adm, adm)


def test_fixed_people_at_each_zone_institution(data):
    people = {p["certno"]: p for p in data["people"]}
    refused = 0
    for certno in demo.FIXED_CERTNOS:
        person = people[certno]
        insuplc = person["insuinfo"][0]["insuplc_admdvs"]
        bundle = BUNDLES[insuplc]
        for inst in data["institutions"]:
            out = engine.settle(_person_case(bundle, person, inst, "11"))
            _check_identities(out)
            if _pool(insuplc) == _pool(inst["admdvs"]):
                assert out["category"] == "local"
            elif insuplc in ZONE:
                assert out["category"] == "zone_exempt", (certno, inst["admdvs"])
            else:
                assert out["category"] == "unfiled"
            try:
                out = engine.settle(_person_case(bundle, person, inst, "21"))
            except engine.CaseError as e:
                assert e.code == "filing_required"
                assert _pool(insuplc) != _pool(inst["admdvs"])
                refused += 1
                continue
            assert out["category"] != "zone_exempt"  # the zone exemption is outpatient-only
            _check_identities(out)
    assert refused >= 1  # Beijing refuses unfiled inpatient visits


def test_zone_exempt_matches_home_benefits(data):
    """A Jiashan employee in Qingpu is paid exactly as at home (same catalogue, same policy)."""
    shen = next(p for p in data["people"] if p["certno"] == "330421198503150016")
    qp, _, js = data["institutions"]
    away = engine.settle(_person_case(BUNDLES["330421"], shen, qp, "11"))
    home = engine.settle(_person_case(BUNDLES["330421"], shen, dict(js, hosp_lv=qp["hosp_lv"]), "11"))
    assert away["category"] == "zone_exempt" and home["category"] == "local"
    assert away["setlinfo"] == home["setlinfo"]


def test_every_pending_visit_settles_with_its_treatment_place_catalogue(data):
    """All demo HIS bills run through the engine: settled, or refused only for missing filing."""
    by_region: dict[str, dict[str, dict]] = {}
    for r in data["catalog"]:
        if r["vali_flag"] == "1":
            by_region.setdefault(r["admdvs"], {})[r["med_list_codg"]] = {
                "code": r["med_list_codg"], "name": r["name"], "chrgitm_lv": r["chrgitm_lv"],
                "med_chrgitm_type": r["med_chrgitm_type"], "selfpay_prop": r["selfpay_prop"],
                "pric_uplmt_amt": r["pric_uplmt_amt"]}
    inst = {i["fixmedins_code"]: i for i in data["institutions"]}
    people = {p["certno"]: p for p in data["people"]}
    settled = refused = 0
    categories = set()
    for certno, visits in data["his_charges"].items():
        person = people[certno]
        bundle = BUNDLES[person["insuinfo"][0]["insuplc_admdvs"]]
        for v in visits:
            cat = by_region[v["mdtrtarea_admvs"]]
            lines = [{"feedetl_sn": ln["feedetl_sn"], "code": ln["code"], "cnt": ln["cnt"], "pric": ln["pric"],
                      "det_item_fee_sumamt": ln["det_item_fee_sumamt"]} for ln in v["lines"]]
            entries = [cat[c] for c in sorted({ln["code"] for ln in lines}) if c in cat]
            case = _person_case(bundle, person, inst[v["fixmedins_code"]], v["med_type"], day=v["begntime"][:10],
                                lines=lines, catalog=entries)
            try:
                out = engine.settle(case)
            except engine.CaseError as e:
                assert e.code == "filing_required", e
                refused += 1
                continue
            _check_identities(out)
            total = sum(Decimal(ln["det_item_fee_sumamt"]) for ln in lines)
            assert Decimal(out["setlinfo"]["medfee_sumamt"]) == total
            categories.add(out["category"])
            settled += 1
    assert settled >= 60
    assert {"local", "zone_exempt"} <= categories


def test_committed_bundles_equal_the_builder_output():
    """resources/policies/*.json are made by training_platform.demo_policies (edit there, then regenerate)."""
    from training_platform import demo_policies

    built = demo_policies.build_bundles()
    assert set(built) == EXPECTED_BUNDLES
    for adm, b in built.items():
        text = resource("policies", f"{adm}.json").read_text(encoding="utf-8")
        assert text == demo_policies.bundle_text(b), f"{adm}.json differs: run python -m training_platform.demo_policies"


def test_too_large_an_amount_is_the_same_case_error_when_only_validating():
    """15-digit cnt × 15-digit pric overflowed the default 28-digit decimal context in validate_case /
    load_case (decimal.InvalidOperation) while settle said 金额过大: all three now say the same."""
    import copy
    import json

    from tests.oracles import EXAMPLES

    case = json.loads((EXAMPLES / "01-zone-outpatient.case.json").read_text(encoding="utf-8"))
    big = copy.deepcopy(case)
    big["lines"][0].update(cnt="999999999999999", pric="999999999999999.99")
    for call in (lambda: engine.validate_case(big), lambda: engine.load_case(json.dumps(big)),
                 lambda: engine.settle(big)):
        with pytest.raises(engine.CaseError) as ei:
            call()
        assert ei.value.code == "invalid_case" and "金额过大" in str(ei.value)
