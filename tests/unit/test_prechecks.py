"""client.domain.prechecks: one test per rule, ordering, clean input, bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from client.domain.prechecks import PrecheckRules, run_prechecks

CATALOG = {
    "001102000010000": {"name": "普通门诊诊查费", "chrgitm_lv": "01", "med_chrgitm_type": "02"},
    "XJ01CRA006A001010104041": {"name": "头孢克洛胶囊", "chrgitm_lv": "01", "med_chrgitm_type": "09",
                                "pric_uplmt_amt": "2.80"},
    "250401015": {"name": "血清维生素D测定", "chrgitm_lv": "03", "med_chrgitm_type": "04"},
    "311201001": {"name": "妇科常规检查", "chrgitm_lv": "01", "med_chrgitm_type": "03"},
    "250310002": {"name": "前列腺特异性抗原测定", "chrgitm_lv": "01", "med_chrgitm_type": "04"},
    "X-GEND": {"name": "某检查", "chrgitm_lv": "01", "med_chrgitm_type": "03", "gend_lmt": "2"},
    "110900001": {"name": "普通病房床位费", "chrgitm_lv": "01", "med_chrgitm_type": "01"},
    "OLD-ITEM": {"name": "旧项目", "chrgitm_lv": "01", "med_chrgitm_type": "09", "begndate": "2020-01-01",
                 "enddate": "2023-12-31"},
    "OFF-ITEM": {"name": "停用项目", "chrgitm_lv": "01", "med_chrgitm_type": "09", "vali_flag": "0"},
    "ZA09": {"name": "复方丹参滴丸", "chrgitm_lv": "02", "med_chrgitm_type": "11"},
}
MALE = {"gend": "1", "age": 41, "psn_insu_stas": "1"}
FEMALE = {"gend": "2", "age": 35, "psn_insu_stas": "1"}
VISIT = {"med_type": "11", "begndate": "2024-03-01"}


def line(code, cnt="1", pric="10.00", sn=None, **kw):
    d = {"code": code, "name": CATALOG.get(code, {}).get("name", code), "cnt": cnt, "pric": pric, **kw}
    if sn is not None:
        d["feedetl_sn"] = sn
    return d


def codes(ws):
    return [w.code for w in ws]


def test_clean_bill_has_no_warnings():
    ws = run_prechecks([line("001102000010000", pric="25.00"), line("ZA09", "2", "26.50")], MALE, CATALOG, visit=VISIT)
    assert ws == []


def test_duplicate_in_visit():
    ws = run_prechecks([line("ZA09", sn="1"), line("001102000010000", sn="2"), line("ZA09", sn="3")],
                       MALE, CATALOG, visit=VISIT)
    assert codes(ws) == ["duplicate_in_visit"]
    assert ws[0].line_refs == ("1", "3") and "重复出现 2 次" in ws[0].message and ws[0].severity == "medium"
    # same code on different days (a multi-day bill) is not a duplicate
    ws = run_prechecks([line("ZA09", date="2024-03-01"), line("ZA09", date="2024-03-02")], MALE, CATALOG, visit=VISIT)
    assert ws == []


def test_duplicate_against_earlier_charges_today():
    prev = [line("ZA09", date="2024-03-01"), line("001102000010000", date="2024-02-29")]
    ws = run_prechecks([line("ZA09", sn="7"), line("001102000010000", sn="8")], MALE, CATALOG, visit=VISIT,
                       previous_lines=prev)
    assert codes(ws) == ["duplicate_today"]
    assert ws[0].line_refs == ("7",) and ws[0].item_code == "ZA09" and "今天" in ws[0].message


def test_quantity_beyond_maximum_default_table_and_override():
    ws = run_prechecks([line("001102000010000", cnt="2")], MALE, CATALOG, visit=VISIT)
    assert codes(ws) == ["qty_over_max"] and ws[0].severity == "high" and "上限 1" in ws[0].message
    rules = PrecheckRules(max_qty={"ZA09": Decimal("6")})
    ws = run_prechecks([line("ZA09", cnt="4", sn="1"), line("ZA09", cnt="3", sn="2")], MALE, CATALOG, visit=VISIT,
                       rules=rules)
    assert codes(ws) == ["qty_over_max", "duplicate_in_visit"]
    assert ws[0].line_refs == ("1", "2") and "合计 7" in ws[0].message
    # override can also relax the default table
    rules = PrecheckRules(max_qty={"001102000010000": Decimal("2")})
    assert run_prechecks([line("001102000010000", cnt="2")], MALE, CATALOG, visit=VISIT, rules=rules) == []


def test_gender_restrictions_by_keyword_flag_and_code_list():
    ws = run_prechecks([line("311201001", sn="1"), line("X-GEND", sn="2")], MALE, CATALOG, visit=VISIT)
    assert codes(ws) == ["gender_mismatch", "gender_mismatch"]
    assert [w.line_refs for w in ws] == [("1",), ("2",)] and "限女性使用" in ws[0].message
    ws = run_prechecks([line("250310002")], FEMALE, CATALOG, visit=VISIT)
    assert codes(ws) == ["gender_mismatch"] and "限男性使用" in ws[0].message
    assert run_prechecks([line("311201001")], FEMALE, CATALOG, visit=VISIT) == []
    assert run_prechecks([line("311201001")], {"gend": "9"}, CATALOG, visit=VISIT) == []
    rules = PrecheckRules(male_codes=frozenset({"ZA09"}))
    assert codes(run_prechecks([line("ZA09")], FEMALE, CATALOG, visit=VISIT, rules=rules)) == ["gender_mismatch"]


def test_not_in_catalog_and_class_c():
    ws = run_prechecks([line("LOCAL-1", sn="1"), line("250401015", sn="2")], MALE, CATALOG, visit=VISIT)
    assert codes(ws) == ["not_in_catalog", "class_c"]
    assert ws[0].severity == "high" and "全额自费" in ws[0].message
    assert ws[1].severity == "info" and "丙类" in ws[1].message


def test_catalog_item_not_valid_at_visit_date():
    ws = run_prechecks([line("OLD-ITEM", sn="1"), line("OFF-ITEM", sn="2")], MALE, CATALOG, visit=VISIT)
    assert codes(ws) == ["catalog_invalid", "catalog_invalid"]
    assert "2020-01-01 至 2023-12-31" in ws[0].message
    ok_visit = {"med_type": "11", "begndate": "2023-06-01"}
    assert codes(run_prechecks([line("OLD-ITEM")], MALE, CATALOG, visit=ok_visit)) == []


def test_suspended_coverage():
    ws = run_prechecks([line("ZA09")], {"gend": "1", "psn_insu_stas": "2"}, CATALOG, visit=VISIT)
    assert codes(ws) == ["coverage_suspended"] and "暂停参保" in ws[0].message and ws[0].line_refs == ()


def test_price_above_limit():
    ws = run_prechecks([line("XJ01CRA006A001010104041", cnt="24", pric="3.10")], MALE, CATALOG, visit=VISIT)
    assert codes(ws) == ["over_limit_price"]
    # (3.10 - 2.80) x 24 = 7.20 self-paid
    assert "7.20 元" in ws[0].message and "2.80" in ws[0].message
    assert run_prechecks([line("XJ01CRA006A001010104041", cnt="24", pric="2.80")], MALE, CATALOG, visit=VISIT) == []


def test_inpatient_only_item_in_outpatient_visit():
    ws = run_prechecks([line("110900001")], MALE, CATALOG, visit=VISIT)
    assert codes(ws) == ["inpatient_only"]
    assert run_prechecks([line("110900001")], MALE, CATALOG, visit={"med_type": "21", "begndate": "2024-03-01"}) == []
    assert run_prechecks([line("110900001")], MALE, CATALOG, visit=VISIT,
                         rules=PrecheckRules(check_inpatient_only=False)) == []


def test_deterministic_order_across_rules():
    bill = [line("250401015", sn="1"), line("ZA09", sn="2"), line("LOCAL-X", sn="3"), line("ZA09", sn="4"),
            line("311201001", sn="5"), line("001102000010000", cnt="3", sn="6")]
    ws1 = run_prechecks(bill, {"gend": "1", "psn_insu_stas": "4"}, CATALOG, visit=VISIT)
    ws2 = run_prechecks(list(reversed(bill)), {"gend": "1", "psn_insu_stas": "4"}, CATALOG, visit=VISIT)
    assert codes(ws1) == ["coverage_suspended", "not_in_catalog", "gender_mismatch", "qty_over_max",
                          "duplicate_in_visit", "class_c"]
    assert codes(ws2) == codes(ws1)
    assert ws1[0].as_dict()["severity"] == "high"


def test_bad_input_gives_chinese_error():
    with pytest.raises(ValueError, match="数量 cnt"):
        run_prechecks([{"code": "ZA09", "cnt": 1.5, "pric": "1.00"}], MALE, CATALOG, visit=VISIT)
    with pytest.raises(ValueError, match="缺少项目编码"):
        run_prechecks([{"cnt": "1", "pric": "1.00"}], MALE, CATALOG, visit=VISIT)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        run_prechecks([line("ZA09", date="01/03/2024")], MALE, CATALOG, visit=VISIT)
