"""admdvs names, provinces, demo zone and locality."""

from datetime import date

import pytest

from client.domain.codes import PayLoc
from client.domain.regions import (
    DEMO_ZONE,
    DEMO_ZONE_START,
    Locality,
    city_of,
    classify_locality,
    in_demo_zone,
    is_cross_province,
    is_demo_zone_member,
    pay_loc_of,
    province_of,
    region_name,
    same_province,
)


@pytest.mark.parametrize("code,name", [
    ("310118", "上海市青浦区"), ("320509", "苏州市吴江区"), ("330421", "嘉兴市嘉善县"),
    ("310000", "上海市"), ("320500", "苏州市"), ("320000", "江苏省"), ("330400", "嘉兴市"),
    ("330000", "浙江省"), ("110105", "北京市朝阳区"), ("110000", "北京市"), ("340000", "安徽省"),
    ("340102", "合肥市瑶海区"), ("420000", "湖北省"), ("420106", "武汉市武昌区"),
    ("310101", "上海市黄浦区"), ("320506", "苏州市吴中区"),
])
def test_known_names(code, name):
    assert region_name(code) == name


def test_fallbacks():
    assert region_name("320508") == "苏州市"  # unknown district of a known city
    assert region_name("330102") == "浙江省"  # unknown city of a known province
    assert region_name("139900") == "河北省"
    assert region_name("990101") == "未知地区(990101)"
    assert region_name("abc") == "未知地区(abc)"
    assert region_name(None) == "未知地区(None)"


def test_province_and_city():
    assert province_of("320509") == "320000"
    assert province_of("139903") == "130000"
    assert city_of("320509") == "320500"
    assert city_of("310118") == "310000"
    with pytest.raises(ValueError, match="区划代码"):
        province_of("32050")


def test_same_and_cross_province():
    assert same_province("320509", "320506")
    assert not same_province("310118", "320509")
    assert is_cross_province("330421", "310118")
    assert not is_cross_province("330421", "330400")


def test_demo_zone():
    assert DEMO_ZONE == {"310118", "320509", "330421"}
    assert DEMO_ZONE_START == date(2020, 8, 24)
    assert is_demo_zone_member("320509") and not is_demo_zone_member("320506")
    assert in_demo_zone("330421", "310118", date(2020, 8, 24))
    assert not in_demo_zone("330421", "310118", date(2020, 8, 23))
    assert not in_demo_zone("330421", "310101", date(2023, 1, 1))


def test_locality_classification():
    assert classify_locality("310118", "310118") is Locality.LOCAL
    assert classify_locality("310118", "310101") is Locality.LOCAL  # one Shanghai pool
    assert classify_locality("320509", "320506") is Locality.LOCAL  # same city by default
    assert classify_locality("320509", "320000") is Locality.IN_PROVINCE
    assert classify_locality("330421", "310118") is Locality.CROSS_PROVINCE
    assert Locality.CROSS_PROVINCE.label == "跨省异地"
    assert Locality.IN_PROVINCE.label == "省内异地" and Locality.LOCAL.label == "本地"
    assert pay_loc_of("330421", "310118") is PayLoc.CROSS_PROVINCE
    assert pay_loc_of("320509", "320000") == "3"
    assert pay_loc_of("310118", "310118") is PayLoc.INSTITUTION


def test_locality_with_explicit_pools():
    pools = {"320509": "320500", "320506": "320599"}
    assert classify_locality("320509", "320506", pools) is Locality.IN_PROVINCE
    assert classify_locality("320509", "320500", pools) is Locality.LOCAL
    with pytest.raises(ValueError):
        classify_locality("3205", "320500")
