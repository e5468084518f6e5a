"""Resident ID, card data and scan classification (client.domain.identity)."""

from datetime import date

import pytest

from client.domain.identity import (
    SCAN_KINDS,
    SCAN_RULES,
    CardData,
    IdentityError,
    ResidentId,
    classify_scan,
    ean13_check_digit,
    parse_card_data,
    parse_resident_id,
    resident_id_check_char,
)

TODAY = date(2025, 6, 1)
CARD_SN = "330421D15600000500BF7C7A48FB4966"


def card(**over):
    fields = {"admdvs": "330421", "certno": "330421198503150016", "card_no": "X00000019",
              "card_sn": CARD_SN, "name": "沈明", "reset": "3B6D000080", "ver": "3.00",
              "issue": "20180301", "expiry": "20280301", "term": "410100813475", "dev": "DEV01"}
    fields.update(over)
    return "|".join(fields.values()) + "|"


# ---------------------------------------------------------------- resident ID

def test_check_char_known_values():
    # Worked example of GB 11643-1999 (the standard's own sample number).
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("33042119850315001") == "6"


def test_parse_valid_id():
    rid = parse_resident_id("330421198503150016", at=TODAY)
    assert rid == ResidentId("330421198503150016", "330421", date(1985, 3, 15), "1")
    assert rid.age_at(date(2025, 3, 14)) == 39
    assert rid.age_at(date(2025, 3, 15)) == 40
    assert rid.region_name == "嘉兴市嘉善县"


def test_female_and_x_normalised():
    rid = parse_resident_id(" 11010519491231002x\r\n")
    assert rid.certno == "11010519491231002X"
    assert rid.sex == "2" and rid.gend == "2"
    assert rid.birth_date == date(1949, 12, 31)


def test_leap_day_birth_age():
    first17 = "31011820000229001"
    rid = parse_resident_id(first17 + resident_id_check_char(first17))
    assert rid.age_at(date(2001, 2, 28)) == 0
    assert rid.age_at(date(2001, 3, 1)) == 1


@pytest.mark.parametrize("value,fragment", [
    ("", "为空"),
    ("33042119850315001", "应为18位"),
    ("330421850315001", "15位旧身份证号"),
    ("33042119850315001A", "格式错误"),
    ("330421198503150017", "校验位错误"),
    ("990421198503150016", "地址码"),
    ("33042119850230001X", "不是有效日期"),
    ("３３０４２１１９８５０３１５００１６", "格式错误"),  # full-width digits
])
def test_invalid_ids(value, fragment):
    with pytest.raises(IdentityError) as exc:
        parse_resident_id(value, at=TODAY)
    assert fragment in exc.value.message
    assert exc.value.field == "certno"


def test_birth_in_future_rejected():
    first17 = "33042120300101001"
    certno = first17 + resident_id_check_char(first17)
    with pytest.raises(IdentityError, match="晚于今天"):
        parse_resident_id(certno, at=TODAY)
    assert parse_resident_id(certno, at=date(2030, 1, 1)).birth_date == date(2030, 1, 1)


def test_non_string_rejected():
    with pytest.raises(IdentityError):
        parse_resident_id(330421198503150016)


# ---------------------------------------------------------------- card data

def test_parse_card_data_fields():
    c = parse_card_data(card(), today=TODAY)
    assert isinstance(c, CardData)
    assert (c.admdvs, c.certno, c.card_no, c.card_sn, c.psn_name) == (
        "330421", "330421198503150016", "X00000019", CARD_SN, "沈明")
    assert (c.card_reset_info, c.spec_ver, c.terminal_no, c.device_no) == (
        "3B6D000080", "3.00", "410100813475", "DEV01")
    assert c.issue_date == date(2018, 3, 1) and c.expiry_date == date(2028, 3, 1)
    assert c.resident is not None and c.resident.sex == "1"
    assert c.region_name == "嘉兴市嘉善县"
    assert c.raw == card()


def test_trailing_pipe_optional_and_whitespace():
    assert parse_card_data(card()[:-1] + "\r\n", today=TODAY).device_no == "DEV01"


def test_reference_stub_example_parses_when_not_expired():
    stub = "639900|111111198101011110|X00000019|639900D15600000500BF7C7A48FB4966|测试|3B6D|1.00|20101001|20201001|410100813475|1|"
    c = parse_card_data(stub, today=date(2015, 1, 1))
    assert c.resident.birth_date == date(1981, 1, 1)
    with pytest.raises(IdentityError, match="已过有效期"):
        parse_card_data(stub, today=TODAY)


def test_non_id_social_security_number_allowed():
    c = parse_card_data(card(certno="A12345678"), today=TODAY)
    assert c.certno == "A12345678" and c.resident is None


@pytest.mark.parametrize("text,fragment,field", [
    ("", "为空", "card"),
    ("330421|x|y", "应有11个", "card"),
    (card() + "extra|", "应有11个", "card"),
    (card(admdvs="33042"), "发卡地区代码", "admdvs"),
    (card(admdvs="990000"), "发卡地区代码", "admdvs"),
    (card(certno="330421198503150017"), "社会保障号码无效", "certno"),
    (card(certno=""), "没有社会保障号码", "certno"),
    (card(card_no=""), "卡号", "card_no"),
    (card(card_sn="330421D156"), "卡识别码应为32位", "card_sn"),
    (card(name=""), "没有姓名", "psn_name"),
    (card(issue="20181301"), "发卡日期", "issue_date"),
    (card(expiry="2028-03-01"), "卡有效期", "expiry_date"),
    (card(expiry="20170101"), "早于发卡日期", "expiry_date"),
    (card(expiry="20250531"), "已过有效期", "expiry_date"),
])
def test_card_data_errors(text, fragment, field):
    with pytest.raises(IdentityError) as exc:
        parse_card_data(text, today=TODAY)
    assert fragment in exc.value.message
    assert exc.value.field == field


def test_card_expiring_today_is_still_valid():
    assert parse_card_data(card(expiry="20250601"), today=TODAY).expiry_date == TODAY


# ---------------------------------------------------------------- classify_scan

@pytest.mark.parametrize("text,kind", [
    ("4243754826492874240001130000", "ecqr"),              # the 28-digit code of reference §6
    ("4360857220938937920001330421", "ecqr"),              # 沈明's training code (docs/demo-data.md)
    ("330421198503150016", "certno"),
    ("11010519491231002x", "certno"),
    ("X00000019", "card_no"),
    ("XJ01CRA006A001010104041", "catalog_code"),
    ("ZA09BAX0367010102963", "catalog_code"),
    ("001102000010000", "catalog_code"),
    ("250401015", "catalog_code"),
    ("C01020304050607080901", "catalog_code"),
    ("6901234567892", "barcode"),
    ("6920000000005", "barcode"),
    ("hello world", "unknown"),
])
def test_classify_kinds(text, kind):
    scan = classify_scan(text + "\r\n")
    assert scan.kind == kind
    assert scan.kind in SCAN_KINDS


def test_classify_card_data_carries_parsed_card():
    scan = classify_scan(card() + "\n")
    assert scan.kind == "card_data"
    assert scan.detail["card"].card_no == "X00000019"
    assert scan.value == card()


def test_ecqr_detail_and_unknown_region():
    scan = classify_scan("8073555008070213320001320509")          # 陆秀英's training code
    assert scan.detail["admdvs"] == "320509" and scan.detail["region_name"] == "苏州市吴江区"
    # the real code's layout is unpublished: a tail that is no admdvs is still an e-voucher code
    other = classify_scan("1" * 22 + "990000")
    assert other.kind == "ecqr" and other.detail["admdvs"] == ""
    assert classify_scan("4243754826492874240001130000"[:27]).kind == "unknown"   # 27 digits
    assert classify_scan("ECQR330421" + "Z" * 26).kind == "unknown"              # the old invented format


def test_wrong_check_digit_is_unknown_with_reason():
    scan = classify_scan("330421198503150017")
    assert scan.kind == "unknown"
    assert "校验位" in scan.reason
    assert scan.value == "330421198503150017"


def test_certno_detail_is_resident_id():
    scan = classify_scan("\t330421198503150016\t")
    assert scan.detail["resident"].birth_date == date(1985, 3, 15)


def test_catalog_details():
    assert classify_scan("XJ01CRA006A001010104041").detail["list_type"] == "101"
    assert classify_scan("C01020304050607080901").detail["list_kind"] == "consumable"
    assert classify_scan("001102000010000").detail["list_kind"] == "service"
    assert classify_scan("T000100104500101407").detail["list_type"] == "102"


def test_ean13_wrong_check_falls_back_to_service_code():
    assert ean13_check_digit("690123456789") == "2"
    scan = classify_scan("6901234567893")
    assert scan.kind == "catalog_code" and scan.detail["list_kind"] == "service"


def test_malformed_pipe_string_explains_field_count():
    scan = classify_scan("330421|330421198503150016|X00000019")
    assert scan.kind == "unknown" and "应有11个" in scan.reason


def test_card_no_needs_digits():
    assert classify_scan("ABCDEFGHI").kind == "unknown"


def test_expired_card_scan_is_unknown_with_reason():
    scan = classify_scan(card(expiry="20200101", issue="20100101"))
    assert scan.kind == "unknown" and "已过有效期" in scan.reason


def test_opaque_payload_flagged():
    scan = classify_scan("aHR0cHM6Ly9leGFtcGxlLmNvbS9xcj9pZD0xMjM0NTY3ODkw")
    assert scan.kind == "unknown" and scan.detail["opaque"] is True
    assert classify_scan("你好").detail["opaque"] is False


def test_never_raises_on_odd_input():
    for value in (None, 123, b"bytes", "", "   ", "|" * 11, "\x00" * 20, "٣" * 18, "ß" * 9):
        scan = classify_scan(value)
        assert scan.kind == "unknown"
        assert scan.reason


def test_rule_table_is_ordered_and_documented():
    kinds = [r.kind for r in SCAN_RULES]
    assert kinds[0] == "card_data"
    assert kinds.index("certno") < kinds.index("card_no")
    assert kinds.index("barcode") < len(kinds) - 1 and kinds[-1] == "catalog_code"
    assert all(r.note for r in SCAN_RULES)
