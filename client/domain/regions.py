"""Administrative division codes (医保区划 admdvs, 6 digits, GB/T 2260) and locality rules.

Only the regions the client needs to name are listed: every province-level division, the
Yangtze River Delta demo zone (青浦 310118, 吴江 320509, 嘉善 330421) with its cities, and the
districts used by the demo data.  Unknown districts fall back to their city, then province name.

Locality (本地 / 省内异地 / 跨省异地) compares the insured place (参保地, ``insuplc_admdvs``) with
the treatment place (就医地, ``mdtrtarea_admvs``).  Two codes are *local* when they are equal,
when a ``pools`` mapping (settlement-case ``pools``: region → pooling-area code) puts them in the
same pool, or — without a mapping — when they share the city prefix (first 4 digits; for the
municipalities 11/12/31/50 the whole municipality is one pool).  Which admdvs level the platform
really uses for the demo zone is UNVERIFIED (reference §8 item 5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from enum import StrEnum

from client.domain.codes import PayLoc

__all__ = [
    "REGIONS", "PROVINCES", "DEMO_ZONE", "DEMO_ZONE_START", "DEMO_ZONE_NAME",
    "region_name", "province_of", "city_of", "same_province", "is_cross_province", "is_valid_admdvs",
    "is_demo_zone_member", "in_demo_zone", "Locality", "classify_locality", "pay_loc_of",
]

PROVINCES: dict[str, str] = {
    "110000": "北京市", "120000": "天津市", "130000": "河北省", "140000": "山西省",
    "150000": "内蒙古自治区", "210000": "辽宁省", "220000": "吉林省", "230000": "黑龙江省",
    "310000": "上海市", "320000": "江苏省", "330000": "浙江省", "340000": "安徽省",
    "350000": "福建省", "360000": "江西省", "370000": "山东省", "410000": "河南省",
    "420000": "湖北省", "430000": "湖南省", "440000": "广东省", "450000": "广西壮族自治区",
    "460000": "海南省", "500000": "重庆市", "510000": "四川省", "520000": "贵州省",
    "530000": "云南省", "540000": "西藏自治区", "610000": "陕西省", "620000": "甘肃省",
    "630000": "青海省", "640000": "宁夏回族自治区", "650000": "新疆维吾尔自治区",
    "710000": "台湾省", "810000": "香港特别行政区", "820000": "澳门特别行政区",
}

_CITIES_AND_DISTRICTS: dict[str, str] = {
    # Shanghai (municipality; 310100 is the old "市辖区" level)
    "310100": "上海市", "310101": "上海市黄浦区", "310118": "上海市青浦区",
    # Jiangsu / Suzhou
    "320500": "苏州市", "320506": "苏州市吴中区", "320509": "苏州市吴江区",
    # Zhejiang / Jiaxing
    "330400": "嘉兴市", "330421": "嘉兴市嘉善县",
    # Beijing
    "110100": "北京市", "110105": "北京市朝阳区",
    # Anhui / Hefei
    "340100": "合肥市", "340102": "合肥市瑶海区",
    # Hubei / Wuhan
    "420100": "武汉市", "420106": "武汉市武昌区",
    # Other pooling areas observed in public samples (reference §4)
    "440100": "广州市", "440300": "深圳市", "460100": "海口市", "460400": "儋州市",
}

REGIONS: dict[str, str] = {**PROVINCES, **_CITIES_AND_DISTRICTS}

DEMO_ZONE_NAME = "长三角生态绿色一体化发展示范区"
DEMO_ZONE: frozenset[str] = frozenset({"310118", "320509", "330421"})
DEMO_ZONE_START = date(2020, 8, 24)  # outpatient/emergency filing-free from this day

_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
_CODE_RE = re.compile(r"[0-9]{6}")


def is_valid_admdvs(code: object) -> bool:
    """Six ASCII digits whose first two name a known province-level division."""
    return (isinstance(code, str) and _CODE_RE.fullmatch(code) is not None
            and code[:2] + "0000" in PROVINCES)


def _check(code: object) -> str:
    if not isinstance(code, str) or _CODE_RE.fullmatch(code.strip()) is None:
        raise ValueError(f"区划代码 {code!r} 无效：应为6位数字，请检查参保地/就医地代码")
    return code.strip()


def province_of(code: str) -> str:
    """Province-level code (``"320509" → "320000"``); ``ValueError`` if not 6 digits.

    Hebei's province-level pooling codes such as ``139900`` map to ``130000``.
    """
    return _check(code)[:2] + "0000"


def city_of(code: str) -> str:
    """City-level code (``"320509" → "320500"``); municipalities map to their province code."""
    code = _check(code)
    if code[:2] in _MUNICIPALITIES:
        return code[:2] + "0000"
    return code[:4] + "00"


def region_name(code: object) -> str:
    """Chinese name of an admdvs code.

    Exact match first; for unknown codes of a known city the city name, then the province name;
    anything else ``"未知地区(code)"``.  Never raises.
    """
    if not isinstance(code, str):
        return f"未知地区({code})"
    text = code.strip()
    if text in REGIONS:
        return REGIONS[text]
    if _CODE_RE.fullmatch(text):
        city = text[:4] + "00"
        if city in _CITIES_AND_DISTRICTS:
            return _CITIES_AND_DISTRICTS[city]
        prov = text[:2] + "0000"
        if prov in PROVINCES:
            return PROVINCES[prov]
    return f"未知地区({text})"


def same_province(a: str, b: str) -> bool:
    return province_of(a) == province_of(b)


def is_cross_province(a: str, b: str) -> bool:
    return not same_province(a, b)


def is_demo_zone_member(code: object) -> bool:
    return isinstance(code, str) and code.strip() in DEMO_ZONE


def in_demo_zone(insuplc_admdvs: str, mdtrtarea_admvs: str, on: date) -> bool:
    """Both places are demo-zone members and ``on`` is on/after 2020-08-24.

    (Whether the visit's med_type is covered is a policy-bundle question: see the zone's
    ``med_types`` in the settlement case.)
    """
    return (is_demo_zone_member(insuplc_admdvs) and is_demo_zone_member(mdtrtarea_admvs)
            and on >= DEMO_ZONE_START)


class Locality(StrEnum):
    """Where the patient is treated relative to where they are insured."""

    LOCAL = "local"
    IN_PROVINCE = "in_province"
    CROSS_PROVINCE = "cross_province"

    @property
    def label(self) -> str:
        return {"local": "本地", "in_province": "省内异地", "cross_province": "跨省异地"}[self.value]

    @property
    def pay_loc(self) -> PayLoc:
        """pay_loc-style code: local → 2 医疗机构, 3 省内异地, 4 跨省异地 (derived, not sent)."""
        return {"local": PayLoc.INSTITUTION, "in_province": PayLoc.IN_PROVINCE,
                "cross_province": PayLoc.CROSS_PROVINCE}[self.value]

    def __str__(self) -> str:
        return self.value


def classify_locality(insuplc_admdvs: str, mdtrtarea_admvs: str,
                      pools: Mapping[str, str] | None = None) -> Locality:
    """本地 / 省内异地 / 跨省异地 for a visit; ``ValueError`` (Chinese) for malformed codes."""
    a, b = _check(insuplc_admdvs), _check(mdtrtarea_admvs)
    if a == b:
        return Locality.LOCAL
    if pools:
        pa, pb = pools.get(a, a), pools.get(b, b)
        if pa == pb:
            return Locality.LOCAL
    elif city_of(a) == city_of(b):
        return Locality.LOCAL
    if same_province(a, b):
        return Locality.IN_PROVINCE
    return Locality.CROSS_PROVINCE


def pay_loc_of(insuplc_admdvs: str, mdtrtarea_admvs: str,
               pools: Mapping[str, str] | None = None) -> PayLoc:
    return classify_locality(insuplc_admdvs, mdtrtarea_admvs, pools).pay_loc
