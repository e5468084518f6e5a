"""NHSA dictionaries: codes, labels, registry helpers (reference §4)."""

import json

import pytest

from client.domain import codes
from client.domain.codes import (
    DICTS,
    ChrgitmLv,
    CodeEnum,
    FundPayType,
    Idet,
    MdtrtCertType,
    MedChrgitmType,
    MedType,
    idet_label_for,
    idet_labels,
    label,
    parse,
)

REQUIRED = ["mdtrt_cert_type", "psn_cert_type", "insutype", "psn_type", "psn_insu_stas", "med_type",
            "chrgitm_lv", "med_chrgitm_type", "fund_pay_type", "clr_type", "psn_setlway", "gend",
            "opter_type", "pay_loc", "acct_used_flag", "diag_type", "dscg_way", "list_type", "vali_flag"]


def test_every_required_dictionary_is_registered_with_title():
    for name in REQUIRED:
        enum = DICTS[name]
        assert issubclass(enum, CodeEnum)
        assert enum.dict_name == name
        assert enum.title and any("\u4e00" <= ch <= "\u9fff" for ch in enum.title)
        for member in enum:
            assert member.label and member.short


def test_members_are_their_wire_codes():
    assert MedType.OUTPATIENT == "11"
    assert str(MedType.EMERGENCY) == "13"
    assert f"{MdtrtCertType.ECERT}" == "01"
    assert json.dumps({"med_type": MedType.INPATIENT}) == '{"med_type": "21"}'
    assert MedType("14") is MedType.CHRONIC_SPECIAL
    assert MedType.OUTPATIENT.display == "11 普通门诊"


@pytest.mark.parametrize("dict_name,code,expected", [
    ("mdtrt_cert_type", "01", "医保电子凭证"),
    ("mdtrt_cert_type", "03", "社会保障卡"),
    ("insutype", "310", "职工基本医疗保险"),
    ("insutype", "390", "城乡居民基本医疗保险"),
    ("psn_type", "1201", "职工退休"),
    ("psn_insu_stas", "1", "正常参保"),
    ("med_type", "11", "普通门诊"),
    ("med_type", "53", "计划生育手术费"),
    ("med_type", "140104", "门诊慢病"),
    ("chrgitm_lv", "02", "乙类"),
    ("med_chrgitm_type", "09", "西药费"),
    ("med_chrgitm_type", "14", "其他费"),
    ("fund_pay_type", "310100", "城镇职工基本医疗保险统筹基金"),
    ("fund_pay_type", "610100", "医疗救助基金"),
    ("fund_pay_type", "640100", "政府兜底"),
    ("clr_type", "41", "药店购药"),
    ("psn_setlway", "02", "按定额结算"),
    ("gend", "2", "女"),
    ("opter_type", "2", "自助终端"),
    ("pay_loc", "4", "跨省异地"),
    ("acct_used_flag", "1", "是（使用）"),
    ("diag_type", "3", "中医主证诊断"),
    ("dscg_way", "5", "死亡"),
    ("list_type", "301", "医用耗材"),
    ("vali_flag", "0", "无效"),
])
def test_labels_from_reference(dict_name, code, expected):
    assert label(dict_name, code) == expected
    assert parse(dict_name, code).label == expected


def test_chrgitm_lv_short_labels():
    assert [(m.value, m.label, m.short) for m in ChrgitmLv] == [
        ("01", "甲类", "甲"), ("02", "乙类", "乙"), ("03", "丙类", "丙")]


def test_med_chrgitm_type_is_complete_01_to_14():
    assert [m.value for m in MedChrgitmType] == [f"{i:02d}" for i in range(1, 15)]


def test_core_sets_are_members():
    for code in codes.MED_TYPE_NATIONAL_CORE:
        MedType(code)
    for code in codes.FUND_PAY_TYPE_CORE:
        FundPayType(code)
    assert len(codes.FUND_PAY_TYPE_CORE) == 13


def test_label_default_and_unknown_dictionary():
    assert label("med_type", "99") is None
    assert label("med_type", "99", default="未知") == "未知"
    assert label("med_type", None, "?") == "?"
    with pytest.raises(ValueError, match="未知的字典名称"):
        label("no_such_dict", "1")


def test_parse_rejects_unknown_code_with_chinese_message():
    with pytest.raises(ValueError) as exc:
        parse("med_type", "99")
    assert "医疗类别" in str(exc.value) and "99" in str(exc.value)
    with pytest.raises(ValueError):
        parse("gend", 1)


def test_parse_normalises_whitespace_and_one_digit_cert_types():
    assert parse("psn_cert_type", "1") is codes.PsnCertType.RESIDENT_ID
    assert parse("mdtrt_cert_type", " 02 ") is MdtrtCertType.ID_CARD
    assert parse("med_type", MedType.OUTPATIENT) is MedType.OUTPATIENT
    with pytest.raises(ValueError):
        parse("med_type", "1")  # no padding outside the certificate dictionaries


def test_codes_unique_within_each_dictionary():
    for enum in DICTS.values():
        values = [m.value for m in enum]
        assert len(values) == len(set(values)), enum.dict_name


def test_options_for_combo_boxes():
    assert codes.options("clr_type") == [("11", "门诊"), ("21", "住院"), ("41", "药店购药"), ("99", "其他")]


def test_training_idet_codes_map_to_engine_labels():
    assert idet_label_for("2301") is Idet.LOW_INCOME
    assert idet_label_for(" 2305 ") == "low_income_edge"
    assert idet_label_for("2302").label == "特困供养人员"
    assert idet_label_for("2303") == "disabled"
    assert idet_label_for("2304") == "special_care"
    assert idet_label_for("9999") is None and idet_label_for(None) is None


def test_idet_labels_respect_validity_window():
    from datetime import date
    rows = [
        {"psn_idet_type": "2301", "begntime": "2024-01-01 00:00:00", "endtime": "2024-12-31 23:59:59"},
        {"psn_idet_type": "2302", "begntime": "2025-01-01", "endtime": ""},
        {"psn_idet_type": "8888"},
        {"psn_idet_type": "2303"},
        "not a row",
    ]
    assert idet_labels(rows, at=date(2024, 6, 1)) == ["disabled", "low_income"]
    assert idet_labels(rows, at=date(2025, 3, 1)) == ["disabled", "extreme_poverty"]
    assert idet_labels([], at=date(2025, 3, 1)) == []
