"""门诊慢特病 (med_type 14): the engine's per-disease rule against the hand-worked cases in
tests/fixtures/chronic (expected values worked by hand in each file), its refusals, the 5301 filing
validity and the training drug list."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from client.domain import engine
from client.domain.opsp import DrugListError, filings_valid_on, load_drug_list, outside_list
from training_platform import demo

HERE = Path(__file__).resolve().parent.parent / "fixtures" / "chronic"
NAMES = ["01-opsp-zone-hypertension", "02-opsp-cap-account"]


def _load(name: str) -> tuple[dict, dict]:
    case = json.loads((HERE / f"{name}.case.json").read_text(encoding="utf-8"))
    expected = json.loads((HERE / f"{name}.expected.json").read_text(encoding="utf-8"))
    return case, expected


@pytest.mark.parametrize("name", NAMES)
def test_hand_worked_case(name):
    case, exp = _load(name)
    out = engine.settle(case)
    assert out["category"] == exp["category"]
    assert out["policy_id"] == exp["policy_id"]
    assert out["setlinfo"] == exp["setlinfo"]
    assert [{k: r[k] for k in ("fund_pay_type", "inscp_scp_amt", "fund_payamt")} for r in out["setldetail"]] \
        == exp["setldetail"]
    by_sn = {ln["feedetl_sn"]: ln for ln in out["lines"]}
    for ln in exp["lines"]:
        assert {k: by_sn[ln["feedetl_sn"]][k] for k in ln} == ln
    assert out["invoice"] == exp["invoice"]
    assert any("M03900" in t for t in out["trace"])


def test_missing_disease_code_is_invalid_case():
    case, _ = _load(NAMES[0])
    del case["visit"]["opsp_dise_code"]
    with pytest.raises(engine.CaseError) as ei:
        engine.settle(case)
    assert ei.value.code == "invalid_case" and ei.value.field == "visit.opsp_dise_code"
    assert "病种编码" in ei.value.message


def test_disease_the_policy_does_not_cover():
    case, _ = _load(NAMES[0])
    case["visit"]["opsp_dise_code"] = "M99999"
    with pytest.raises(engine.CaseError) as ei:
        engine.settle(case)
    assert ei.value.code == "opsp_not_covered"
    assert "M99999" in ei.value.message


def test_policy_without_opsp_settles_med_type_14_as_before():
    """Hand-worked: without opsp the ret rule's own figures: year deductible 400 − ytd 400 = 0,
    segment 308.98 × 0.80 (level 2) = 247.184 → 247.18."""
    case, _ = _load(NAMES[0])
    case = copy.deepcopy(case)
    for p in case["policies"]:
        p.pop("opsp", None)
    out = engine.settle(case)
    assert out["setlinfo"]["act_pay_dedc"] == "0.00"
    assert out["setlinfo"]["hifp_pay"] == "247.18"


def test_bad_opsp_entry_names_the_field():
    case, _ = _load(NAMES[0])
    case["policies"][1]["opsp"]["M03900"]["ratio"] = {"by_hosp_lv": {"2": "1.5"}}
    with pytest.raises(engine.CaseError) as ei:
        engine.settle(case)
    assert ei.value.code == "invalid_case" and "opsp.M03900.ratio" in (ei.value.field or "")


def test_filings_valid_on_the_visit_date():
    rows = [{"opsp_dise_code": "M03900", "opsp_dise_name": "高血压", "begndate": "2021-03-01", "enddate": "2027-02-28"},
            {"opsp_dise_code": "M01600", "opsp_dise_name": "糖尿病", "begndate": "2022-06-01", "enddate": "2022-12-31"},
            {"opsp_dise_code": "M04300", "opsp_dise_name": "冠心病", "begndate": "2027-01-01", "enddate": None}]
    assert [r["opsp_dise_code"] for r in filings_valid_on(rows, "2026-11-20")] == ["M03900"]
    assert [r["opsp_dise_code"] for r in filings_valid_on(rows, "2027-02-28")] == ["M03900", "M04300"]
    assert filings_valid_on(rows, "2027-03-01")[0]["opsp_dise_code"] == "M04300"
    assert filings_valid_on([], "2026-11-20") == []


def test_training_drug_list_is_the_demo_data(tmp_path):
    from client.resources import resource

    shipped = resource("opsp-drug-list.training.json").read_text(encoding="utf-8")
    assert shipped == demo.opsp_drug_list_text()
    lists = load_drug_list(resource("opsp-drug-list.training.json"))
    assert "XC08CAA481A013010173011" in lists["M03900"]          # 苯磺酸氨氯地平片 (hypertension list)
    lines = [{"code": "XC08CAA481A013010173011", "med_chrgitm_type": "09"},
             {"code": "XC01DAA110A030010164593", "med_chrgitm_type": "09"},   # 冠心病 drug
             {"code": "250305001", "med_chrgitm_type": "04"}]               # a test, not a drug
    assert [ln["code"] for ln in outside_list(lines, lists["M03900"])] == ["XC01DAA110A030010164593"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(DrugListError, match="opsp-drug-list/1"):
        load_drug_list(bad)
