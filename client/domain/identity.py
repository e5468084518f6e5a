"""Patient identity: resident ID numbers, social-security card data and scan classification.

* :func:`parse_resident_id` — 18-character resident identity numbers (GB 11643-1999): 6-digit
  address code, 8-digit birth date, 3-digit sequence (odd = male), ISO 7064 MOD 11-2 check
  character (``0-9`` or ``X``).
* :func:`parse_card_data` — the 11-field pipe string returned by the card reader's
  ``ReadCardBas`` (reference §6).
* :func:`classify_scan` — what a scanned/typed string is, driven by the ordered rule table
  :data:`SCAN_RULES` (the analogue of Odoo's barcode nomenclature).

Every error a cashier can see is an :class:`IdentityError` with a Chinese message that says what
to do.  :func:`classify_scan` never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from client.domain.regions import PROVINCES, is_valid_admdvs, region_name

__all__ = [
    "IdentityError", "ResidentId", "CardData", "Scan", "ScanRule", "SCAN_RULES", "SCAN_KINDS",
    "parse_resident_id", "resident_id_check_char", "parse_card_data", "classify_scan",
    "ean13_check_digit",
]


class IdentityError(ValueError):
    """Invalid identity data; ``message`` is Chinese and meant for the cashier."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# ---------------------------------------------------------------------------------------------
# Resident identity number
# ---------------------------------------------------------------------------------------------

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_MIN_BIRTH = date(1900, 1, 1)


def resident_id_check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits (ASCII digits only)."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise IdentityError("身份证号前17位必须是数字", "certno")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class ResidentId:
    """A validated resident identity number and what it encodes."""

    certno: str  # normalised: upper-case X
    region: str  # 6-digit address code of first registration
    birth_date: date
    sex: str  # gend code: "1" male, "2" female

    def age_at(self, on: date) -> int:
        """Full years of age on ``on`` (a person born on 29 Feb turns a year older on 1 Mar)."""
        years = on.year - self.birth_date.year
        if (on.month, on.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return max(years, 0)

    @property
    def region_name(self) -> str:
        return region_name(self.region)

    @property
    def gend(self) -> str:
        return self.sex


def _parse_yyyymmdd(text: str) -> date | None:
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def parse_resident_id(s: object, at: date | None = None) -> ResidentId:
    """Validate an 18-character resident ID; ``at`` (default today) bounds the birth date.

    Lower-case ``x`` is accepted and normalised; surrounding whitespace is ignored.
    Raises :class:`IdentityError` (Chinese message) for anything else.
    """
    if not isinstance(s, str):
        raise IdentityError("身份证号必须是文本", "certno")
    text = s.strip().upper()
    if not text:
        raise IdentityError("身份证号为空，请输入18位身份证号", "certno")
    if len(text) == 15 and text.isascii() and text.isdigit():
        raise IdentityError("这是15位旧身份证号，医保结算需要18位身份证号，请患者提供新证件号码",
                            "certno")
    if len(text) != 18:
        raise IdentityError(f"身份证号应为18位，当前为{len(text)}位，请核对后重新输入", "certno")
    if not _ID_SHAPE.fullmatch(text):
        raise IdentityError("身份证号格式错误：前17位须为数字，最后一位为数字或X，请核对后重新输入",
                            "certno")
    if text[:2] + "0000" not in PROVINCES:
        raise IdentityError(f"身份证号地址码 {text[:6]} 无效（省级代码不存在），请核对后重新输入",
                            "certno")
    birth = _parse_yyyymmdd(text[6:14])
    if birth is None:
        raise IdentityError(f"身份证号中的出生日期 {text[6:14]} 不是有效日期，请核对后重新输入",
                            "certno")
    today = at or date.today()
    if birth > today:
        raise IdentityError(f"身份证号中的出生日期 {birth.isoformat()} 晚于今天，请核对后重新输入",
                            "certno")
    if birth < _MIN_BIRTH:
        raise IdentityError(f"身份证号中的出生日期 {birth.isoformat()} 早于1900年，请核对后重新输入",
                            "certno")
    expected = resident_id_check_char(text[:17])
    if text[17] != expected:
        raise IdentityError("身份证号校验位错误（最后一位不匹配），可能有数字输错，请逐位核对后重新输入",
                            "certno")
    sex = "1" if int(text[16]) % 2 == 1 else "2"
    return ResidentId(certno=text, region=text[:6], birth_date=birth, sex=sex)


# ---------------------------------------------------------------------------------------------
# Social-security card data (ReadCardBas output)
# ---------------------------------------------------------------------------------------------

CARD_FIELDS = (
    ("admdvs", "发卡地区行政区划代码"),
    ("certno", "社会保障号码"),
    ("card_no", "卡号"),
    ("card_sn", "卡识别码"),
    ("psn_name", "姓名"),
    ("card_reset_info", "卡复位信息"),
    ("spec_ver", "规范版本"),
    ("issue_date", "发卡日期"),
    ("expiry_date", "卡有效期"),
    ("terminal_no", "终端机编号"),
    ("device_no", "终端设备号"),
)

_CARD_SN_RE = re.compile(r"[0-9A-Za-z]{32}")
_CARD_NO_RE = re.compile(r"[0-9A-Za-z]{1,20}")


@dataclass(frozen=True)
class CardData:
    """The 11 fields of a social-security card read (reference §6).

    For 1101 the card is used as ``mdtrt_cert_type="03"``, ``mdtrt_cert_no=card_no``,
    ``card_sn=card_sn``; ``certno`` is the 社会保障号码 (usually the resident ID number).
    """

    admdvs: str  # 发卡地区行政区划代码 (issuing area, 6 digits)
    certno: str  # 社会保障号码
    card_no: str  # 卡号
    card_sn: str  # 卡识别码 (32 characters)
    psn_name: str  # 姓名
    card_reset_info: str  # 卡复位信息 (ATR)
    spec_ver: str  # 规范版本
    issue_date: date  # 发卡日期
    expiry_date: date  # 卡有效期
    terminal_no: str  # 终端机编号
    device_no: str  # 终端设备号
    raw: str = field(default="", compare=False)  # the string as read (读卡原始信息)
    busi_info: str = field(default="", compare=False)  # pBusiCardInfo, if the reader gave one
    resident: ResidentId | None = field(default=None, compare=False)  # when certno is an 18-char ID

    @property
    def region_name(self) -> str:
        return region_name(self.admdvs)


def parse_card_data(s: object, today: date | None = None) -> CardData:
    """Parse ``发卡地区行政区划代码|社会保障号码|卡号|卡识别码|姓名|卡复位信息|规范版本|发卡日期|卡有效期|终端机编号|终端设备号|``.

    The trailing pipe is optional; surrounding whitespace/CR/LF is ignored.  Raises
    :class:`IdentityError` (Chinese) for a wrong field count, a bad area code, a resident-ID-shaped
    certno that fails the ID check, a card_sn that is not 32 characters, bad dates, or an expired
    card (expiry before ``today``, default the current date).
    """
    if not isinstance(s, str):
        raise IdentityError("读卡数据必须是文本", "card")
    text = s.strip()
    if not text:
        raise IdentityError("读卡数据为空，请重新插卡后再读", "card")
    parts = text.split("|")
    if len(parts) == 12 and parts[11].strip() == "":
        parts = parts[:11]
    if len(parts) != 11:
        raise IdentityError(
            f"读卡数据格式错误：应有11个以“|”分隔的字段，实际为{len(parts)}个，请重新读卡或检查读卡器驱动版本",
            "card")
    values = {name: part.strip() for (name, _), part in zip(CARD_FIELDS, parts, strict=True)}

    if not is_valid_admdvs(values["admdvs"]):
        raise IdentityError(f"读卡数据中的发卡地区代码 {values['admdvs']!r} 无效（应为6位区划代码），请重新读卡",
                            "admdvs")
    certno = values["certno"]
    if not certno:
        raise IdentityError("读卡数据中没有社会保障号码，请重新读卡", "certno")
    resident = None
    if len(certno) == 18 and _ID_SHAPE.fullmatch(certno.upper()):
        try:
            resident = parse_resident_id(certno, at=today)
        except IdentityError as exc:
            raise IdentityError(f"社保卡中的社会保障号码无效：{exc.message}", "certno") from None
        certno = resident.certno
    elif not (certno.isascii() and certno.isalnum() and len(certno) <= 30):
        raise IdentityError("读卡数据中的社会保障号码格式错误，请重新读卡", "certno")
    if not _CARD_NO_RE.fullmatch(values["card_no"]):
        raise IdentityError("读卡数据中的卡号为空或格式错误，请重新读卡", "card_no")
    if not _CARD_SN_RE.fullmatch(values["card_sn"]):
        raise IdentityError(
            f"读卡数据中的卡识别码应为32位字母数字，实际为{len(values['card_sn'])}位，请重新读卡", "card_sn")
    if not values["psn_name"]:
        raise IdentityError("读卡数据中没有姓名，请重新读卡", "psn_name")
    issue = _parse_yyyymmdd(values["issue_date"])
    if issue is None:
        raise IdentityError(f"读卡数据中的发卡日期 {values['issue_date']!r} 不是有效日期（YYYYMMDD），请重新读卡",
                            "issue_date")
    expiry = _parse_yyyymmdd(values["expiry_date"])
    if expiry is None:
        raise IdentityError(f"读卡数据中的卡有效期 {values['expiry_date']!r} 不是有效日期（YYYYMMDD），请重新读卡",
                            "expiry_date")
    if expiry < issue:
        raise IdentityError("读卡数据中的卡有效期早于发卡日期，卡片数据异常，请到社保经办机构核查", "expiry_date")
    now = today or date.today()
    if expiry < now:
        raise IdentityError(
            f"社保卡已过有效期（有效期至 {expiry.isoformat()}），请患者使用医保电子凭证或身份证，或到社保经办机构换卡",
            "expiry_date")
    return CardData(
        admdvs=values["admdvs"], certno=certno, card_no=values["card_no"].upper(),
        card_sn=values["card_sn"].upper(), psn_name=values["psn_name"],
        card_reset_info=values["card_reset_info"], spec_ver=values["spec_ver"],
        issue_date=issue, expiry_date=expiry, terminal_no=values["terminal_no"],
        device_no=values["device_no"], raw=text, resident=resident)


# ---------------------------------------------------------------------------------------------
# Scan classification
# ---------------------------------------------------------------------------------------------

SCAN_KINDS = ("ecqr", "certno", "card_data", "card_no", "paycode", "catalog_code", "barcode", "unknown")


@dataclass(frozen=True)
class Scan:
    """A classified scan.

    ``kind`` is one of :data:`SCAN_KINDS`; ``value`` is the normalised text (upper-case, trimmed;
    for ``unknown`` the trimmed original); ``detail`` is kind-specific:

    * ecqr: ``{"admdvs", "region_name"}``
    * certno: ``{"resident": ResidentId}``
    * card_data: ``{"card": CardData}``
    * card_no: ``{}``
    * catalog_code: ``{"list_kind": "drug"|"service"|"consumable", "list_type": "101"|"102"|"201"|"301"}``
    * barcode: ``{"symbology": "EAN13", "gs1_prefix": "690"}``
    * paycode: ``{"channel": "wechat"|"alipay"|"unionpay"}`` — a payment code (付款码, docs/payments.md §2)
    * unknown: ``{"reason": <Chinese>, "opaque": bool}`` — ``opaque`` marks a long payload that
      might be a real e-voucher QR (format unpublished) and could be passed to the e-voucher
      platform for decoding.
    """

    kind: str
    value: str
    detail: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def reason(self) -> str | None:
        return self.detail.get("reason")


class _Reject(Exception):
    """A rule's shape matched but its validator refused it (reason in Chinese)."""


@dataclass(frozen=True)
class ScanRule:
    kind: str
    pattern: re.Pattern[str]
    validate: Callable[[str, re.Match[str]], Mapping[str, Any]]  # raises _Reject
    note: str = ""


def ean13_check_digit(first12: str) -> str:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(first12))
    return str((10 - total % 10) % 10)


def _v_card_data(text: str, m: re.Match[str]) -> Mapping[str, Any]:
    try:
        return {"card": parse_card_data(text)}
    except IdentityError as exc:
        raise _Reject(exc.message) from None


def _v_ec28(text: str, m: re.Match[str]) -> Mapping[str, Any]:
    adm = text[-6:]
    return {"admdvs": adm, "region_name": region_name(adm)} if is_valid_admdvs(adm) else {"admdvs": ""}


def _v_certno(text: str, m: re.Match[str]) -> Mapping[str, Any]:
    try:
        return {"resident": parse_resident_id(text)}
    except IdentityError as exc:
        raise _Reject(exc.message) from None


def _v_card_no(text: str, m: re.Match[str]) -> Mapping[str, Any]:
    if sum(c.isdigit() for c in text) < 5:
        raise _Reject("不像社保卡号（社保卡号为1位字母加8位数字）")
    return {}


def _v_drug(text: str, m: re.Match[str]) -> Mapping[str, Any]:
    if sum(c.isdigit() for c in text) < len(text) // 2:
        raise _Reject("不像国家医保药品编码")
    return {"list_kind": "drug", "list_type": "102" if text[0] == "T" else "101"}


def _v_consumable(text: str, m: re.Match[str]) -> Mapping[str, Any]:
    return {"list_kind": "consumable", "list_type": "301"}


def _v_service(text: str, m: re.Match[str]) -> Mapping[str, Any]:
    return {"list_kind": "service", "list_type": "201"}


def _v_paycode(text: str, m: re.Match[str]) -> Mapping[str, Any]:
    n, p = len(text), text[:2]
    if n == 18 and p in ("10", "11", "12", "13", "14", "15"):
        return {"channel": "wechat"}
    if 16 <= n <= 24 and p in ("25", "26", "27", "28", "29", "30"):
        return {"channel": "alipay"}
    if n == 19 and p == "62":
        return {"channel": "unionpay"}
    raise _Reject("不是付款码")


def _v_ean13(text: str, m: re.Match[str]) -> Mapping[str, Any]:
    if ean13_check_digit(text[:12]) != text[12]:
        raise _Reject("条码校验位错误，请重新扫描")
    return {"symbology": "EAN13", "gs1_prefix": text[:3]}


# ORDER MATTERS: the first rule whose pattern fully matches and whose validator accepts wins.
# A rule whose pattern matched but whose validator refused records its reason; if no later rule
# accepts, the scan is "unknown" with the first such reason.
SCAN_RULES: tuple[ScanRule, ...] = (
    ScanRule("card_data", re.compile(r"[^|]*(?:\|[^|]*){10}\|?"), _v_card_data,
             "card reader pipe string, 11 fields (reference §6)"),
    ScanRule("ecqr", re.compile(r"[0-9]{28}"), _v_ec28,
             "e-voucher code read by a keyboard-wedge scanner: 28 digits (reference §6, 4243754826492874240001130000)"),
    ScanRule("certno", re.compile(r"[0-9]{17}[0-9X]"), _v_certno,
             "18-character resident ID with a valid MOD 11-2 check character"),
    ScanRule("paycode", re.compile(r"[0-9]{16,24}"), _v_paycode,
             "payment code: WeChat 18 digits 10-15…, Alipay 16-24 digits 25-30…, UnionPay 19 digits 62… "
             "(after certno: a valid ID number wins; docs/payments.md §2)"),
    ScanRule("card_no", re.compile(r"[A-Z][0-9A-Z]{8}"), _v_card_no,
             "social-security card number: one letter + 8 characters, at least 5 digits (X00000019)"),
    ScanRule("catalog_code", re.compile(r"C[0-9]{19,20}"), _v_consumable,
             "national consumable code: C + 19-20 digits"),
    ScanRule("catalog_code", re.compile(r"[XZT][0-9A-Z]{18,22}"), _v_drug,
             "national drug code: X (western) / Z (patent TCM) / T (TCM pieces) + 18-22 characters"),
    ScanRule("barcode", re.compile(r"[0-9]{13}"), _v_ean13,
             "EAN-13 with a valid check digit (drug package barcodes, 69x = China)"),
    ScanRule("catalog_code", re.compile(r"[0-9]{9,15}"), _v_service,
             "medical service item code: 9-15 digits (250401015, 001102000010000)"),
)

_OPAQUE_RE = re.compile(r"[0-9A-Za-z+/=_:.\-]{24,512}")
_UNKNOWN_REASON = ("无法识别的扫描内容，请扫描医保电子凭证二维码、社保卡、身份证号，"
                   "或药品/项目编码、商品条码")


def classify_scan(s: object) -> Scan:
    """Classify a scanned or typed string.  Never raises; unrecognised input is ``unknown``.

    Leading/trailing whitespace (incl. CR, LF, Tab suffixes) is stripped; letters are matched
    upper-cased (a scanner behind Caps Lock sends lower case).
    """
    if not isinstance(s, str):
        return Scan("unknown", "", MappingProxyType({"reason": "扫描内容不是文本", "opaque": False}))
    original = s.strip()
    if not original:
        return Scan("unknown", "", MappingProxyType({"reason": "扫描内容为空，请重新扫描", "opaque": False}))
    text = original if "|" in original else original.upper()
    first_reason: str | None = None
    for rule in SCAN_RULES:
        m = rule.pattern.fullmatch(text)
        if m is None:
            continue
        try:
            detail = rule.validate(text, m)
        except _Reject as rej:
            first_reason = first_reason or str(rej)
            continue
        value = text if rule.kind != "card_data" else detail["card"].raw
        return Scan(rule.kind, value, MappingProxyType(dict(detail)))
    if first_reason is None and "|" in original:  # pipe string with the wrong shape
        try:
            parse_card_data(original)
        except IdentityError as exc:
            first_reason = exc.message
    opaque = first_reason is None and _OPAQUE_RE.fullmatch(original) is not None
    reason = first_reason or (
        "无法识别的二维码：不是医保码（医保电子凭证）、身份证号或社保卡。请患者在医保App中刷新医保码后重新出示，"
        "或改用读社保卡（F2）、输入身份证号（F3）"
        if opaque else _UNKNOWN_REASON)
    return Scan("unknown", original, MappingProxyType({"reason": reason, "opaque": opaque}))
