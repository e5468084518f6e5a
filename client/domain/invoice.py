"""Medical-fee electronic invoice records (医疗收费电子票据): numbering, check code, mapping, red letter.

Pure Python (no I/O, no Qt/XML libraries). The printing layer renders these records
(``client.printing.einvoice_xml`` writes the XML that ``resources/schemas/einvoice.xsd`` describes).
Facts: ``shared/reference/settlement-rules.md`` §4.

Numbering (§4.2)
----------------
* 票据代码 ``EInvoiceCode``: 8 digits (supervising region 2 + class 2 + kind 2 + year 2).
* 票据号码 ``EInvoiceNumber``: 10 digits, sequential within a code.
* 校验码 ``RandomNumber``: 6 lower-case alphanumerics.

The invoice platform allocates each window a *range* of numbers under one code
(:class:`InvoiceRange`) so the window can keep issuing while offline. ``next_number()`` hands out
each number once, strictly increasing; the store persists ``next`` (``to_dict``) in the same
transaction that records the issued invoice, and ``InvoiceRange.from_dict`` continues from it, so a
number is never issued twice, across restarts too. An exhausted range raises
:class:`InvoiceRangeExhausted` with a Chinese message telling the cashier what to do.

Check code
----------
In production the platform assigns (赋码) the check code. For numbers issued offline from an
allocated range, :func:`make_check_code` derives it *deterministically* as
HMAC-SHA256(secret, "code|number|amount") mapped to 6 base-36 characters, so the platform (which
shares the range secret) can re-derive and verify it when the invoice is uploaded. Without a secret
it draws 6 random characters from ``secrets`` (training use).

Amounts
-------
Every amount is a string with two decimals. Identities checked by :func:`build_invoice`:
``ΣDetails = TotalAmount = medfee_sumamt = Σlines`` and
``FundPay + OtherPay + AccountPay + OwnPay = TotalAmount`` (with ``hosp_part_amt = 0``), and
``SelfpaymentAmount + SelfpaymentCost = psn_part_amt``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from client.domain import codes
from client.domain.codes import PAYMENT_METHOD_NAMES
from client.domain.masking import mask_certno
from client.domain.money import ZERO, fmt2, to_amount

__all__ = [
    "FEE_CATEGORIES", "MAIN_ORDER", "MAINEXT_ORDER", "OTHER_FUND_FIELDS", "PAYMENT_LABELS",
    "InvoiceError", "InvoiceRange", "InvoiceRangeExhausted",
    "build_invoice", "build_red_letter", "is_inpatient", "is_red_letter", "make_check_code",
    "mask_id", "settlement_payload", "to_json", "verification_payload",
]

# 医疗收费项目类别 med_chrgitm_type (nhsa-interface.md §4; settlement-rules.md §4.4).
FEE_CATEGORIES: dict[str, str] = {
    "01": "床位费", "02": "诊察费", "03": "检查费", "04": "化验费", "05": "治疗费",
    "06": "手术费", "07": "护理费", "08": "卫生材料费", "09": "西药费", "10": "中药饮片费",
    "11": "中成药费", "12": "一般诊疗费", "13": "挂号费", "14": "其他费",
}
OTHER_CATEGORY = "14"

# 其他支付 = the other funds of setlinfo (settlement-rules.md §4.3 mapping; regional convention).
OTHER_FUND_FIELDS = ("cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")

PAYMENT_LABELS = {k: v for k, v in PAYMENT_METHOD_NAMES.items() if k != "account"}

def _lv_short(code: object, default: str) -> str:
    """甲 / 乙 / 丙 of a chrgitm_lv code (``codes.ChrgitmLv.short``); ``default`` when absent or unknown."""
    try:
        return codes.ChrgitmLv(str(code or "")).short
    except ValueError:
        return default


_HOSP_LV = {"1": "一级医疗机构", "2": "二级医疗机构", "3": "三级医疗机构"}

# XML/JSON element order of Main (settlement-rules.md §4.3) and of MainExt (our subset, same source).
MAIN_ORDER = (
    "EInvoiceName", "EInvoiceCode", "EInvoiceNumber", "RandomNumber", "EInvoiceSpecimenCode",
    "SupervisorAreaCode", "TotalAmount", "IssueDate", "IssueTime", "InvoicingParty", "PayerParty",
    "PayMode", "BizCode", "CurrencyType", "ExchangeRate", "Remark", "HandlingPerson", "Checker",
    "SupervisorRemark", "MainExt",
)
MAINEXT_ORDER = (
    "MedicalType", "PatientNumber", "MedicalDate", "OrgType", "MedicalInsuranceType",
    "MedicalInsuranceID", "Gender", "Age", "FundPayAmount", "OtherPayAmount", "AccountPayAmount",
    "OwnPayAmount", "SelfpaymentAmount", "SelfpaymentCost", "CaseNumber", "HospitalizationNumber",
    "DepartmentName", "InHospitalDate", "OutHospitalDate", "RelatedInvoiceCode",
    "RelatedInvoiceNumber", "Custom1", "Custom2", "Custom3", "Custom4", "Custom5",
)
MAINEXT_AMOUNTS = ("FundPayAmount", "OtherPayAmount", "AccountPayAmount", "OwnPayAmount",
                   "SelfpaymentAmount", "SelfpaymentCost", "Custom1", "Custom2", "Custom3")

_CODE_RE = re.compile(r"[0-9]{8}")
_NUMBER_RE = re.compile(r"[0-9]{10}")
_CHECK_RE = re.compile(r"[0-9a-z]{6}")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
MAX_NUMBER = 9_999_999_999


class InvoiceError(ValueError):
    """An invoice cannot be built or numbered; the message is Chinese and says what to do."""


class InvoiceRangeExhausted(InvoiceError):
    pass


# ---------------------------------------------------------------------------------------------
# Numbering
# ---------------------------------------------------------------------------------------------

@dataclass
class InvoiceRange:
    """A range of invoice numbers ``start..end`` (inclusive) under one 8-digit code.

    ``next`` is the number the next call to :meth:`next_number` returns (``end + 1`` when used up).
    """

    code: str
    start: int
    end: int
    next: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE_RE.fullmatch(self.code):
            raise InvoiceError(f"票据代码必须是 8 位数字，收到的是 {self.code!r}。请核对票据平台下发的号段。")
        for name in ("start", "end"):
            v = getattr(self, name)
            if type(v) is not int or not 0 <= v <= MAX_NUMBER:
                raise InvoiceError(f"票据号段的{'起始' if name == 'start' else '结束'}号码无效：{v!r}"
                                   "（应为 0–9999999999 的整数）。请重新申领号段。")
        if self.start > self.end:
            raise InvoiceError(f"票据号段起始号码 {self.start} 大于结束号码 {self.end}。请重新申领号段。")
        if self.next is None:
            self.next = self.start
        if type(self.next) is not int or not self.start <= self.next <= self.end + 1:
            raise InvoiceError(f"票据号段的下一个号码 {self.next!r} 不在号段 {self.start}–{self.end} 内。"
                               "本地号段记录可能已损坏，请联系信息科核对已开票据后重新申领号段。")

    @property
    def remaining(self) -> int:
        return self.end + 1 - self.next  # type: ignore[operator]

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    def next_number(self) -> str:
        """The next 10-digit number; strictly increasing; raises when the range is used up."""
        if self.exhausted:
            raise InvoiceRangeExhausted(
                f"票据代码 {self.code} 的号段 {self.start:010d}–{self.end:010d} 已全部用完，"
                "无法继续开具电子票据。请联网后在“票据号段”中向票据平台申领新号段，再重新开票。"
            )
        n = self.next
        self.next = n + 1  # type: ignore[operator]
        return f"{n:010d}"

    def to_dict(self) -> dict:
        return {"code": self.code, "start": self.start, "end": self.end, "next": self.next}

    @classmethod
    def from_dict(cls, d: dict) -> InvoiceRange:
        try:
            return cls(code=d["code"], start=d["start"], end=d["end"], next=d.get("next"))
        except (KeyError, TypeError) as exc:
            raise InvoiceError(f"票据号段记录缺少字段 {exc}。请联系信息科重新申领号段。") from None


def make_check_code(code: str, number: str, amount: str, secret: bytes | None = None) -> str:
    """校验码: 6 chars ``[0-9a-z]``; HMAC-derived when *secret* is given, else random (see module doc)."""
    if secret is None:
        return "".join(secrets.choice(_ALPHABET) for _ in range(6))
    mac = hmac.new(secret, f"{code}|{number}|{amount}".encode(), hashlib.sha256).digest()
    n = int.from_bytes(mac[:8], "big")
    out = []
    for _ in range(6):
        n, r = divmod(n, 36)
        out.append(_ALPHABET[r])
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Helpers shared with the printing layer
# ---------------------------------------------------------------------------------------------

def is_inpatient(med_type: str) -> bool:
    """True for 住院 med_types (2x, 52 生育住院, 2114 …); everything else prints as 门诊."""
    med_type = str(med_type or "")
    return med_type.startswith("2") or med_type in ("52", "5212")


def mask_id(certno: str) -> str:
    """Certificate number masked for paper and exports: first 6 + ******** + last 4."""
    return mask_certno(str(certno or ""))


def _amt(value: object, field: str) -> Decimal:
    try:
        return to_amount(value, field)
    except ValueError as exc:
        raise InvoiceError(str(exc)) from None


def _req(d: dict, key: str, where: str):
    if not isinstance(d, dict) or d.get(key) in (None, ""):
        raise InvoiceError(f"结算记录缺少 {where}.{key}，无法开具票据。请重新读取结算结果后再试。")
    return d[key]


def _date8(text: str) -> str:
    """``"2021-07-13"`` or ``"2021-07-13 10:00:00"`` → ``"20210713"``."""
    digits = re.sub(r"[^0-9]", "", str(text or ""))[:8]
    if len(digits) != 8:
        raise InvoiceError(f"日期格式无效：{text!r}（应为 YYYY-MM-DD）。")
    return digits


def _einvoice_main(inv: dict) -> dict:
    return inv.get("Main", inv) if isinstance(inv, dict) else {}


def is_red_letter(inv: dict | None) -> bool:
    """A red-letter (冲红) invoice links its original through RelatedInvoiceNumber."""
    if not inv:
        return False
    main = _einvoice_main(inv)
    ext = main.get("MainExt", {}) if isinstance(main.get("MainExt"), dict) else {}
    return bool(ext.get("RelatedInvoiceNumber") or main.get("RelatedInvoiceNumber"))


def verification_payload(inv: dict, fixmedins_code: str) -> str:
    """QR payload of an invoice (our own format; the official one is NOT FOUND):

    ``MSEI1|<EInvoiceCode>|<EInvoiceNumber>|<RandomNumber>|<TotalAmount>|<IssueDate>|<fixmedins_code>``
    """
    m = _einvoice_main(inv)
    parts = ["MSEI1", m.get("EInvoiceCode", ""), m.get("EInvoiceNumber", ""), m.get("RandomNumber", ""),
             m.get("TotalAmount", ""), m.get("IssueDate", ""), fixmedins_code]
    for p in parts:
        if "|" in str(p) or not str(p):
            raise InvoiceError("电子票据信息不完整（代码、号码、校验码、金额或开票日期为空），无法生成查验二维码。")
    return "|".join(str(p) for p in parts)


def settlement_payload(record: dict) -> str:
    """QR payload when no invoice is attached yet (e.g. before the platform issues it):

    ``MSST1|<fixmedins_code>|<setl_id>|<medins_setl_id>|<medfee_sumamt>|<setl date YYYYMMDD>``
    """
    inst = record.get("institution", {})
    parts = ["MSST1", inst.get("fixmedins_code", ""), record.get("setl_id") or "",
             record.get("medins_setl_id") or "", record.get("setlinfo", {}).get("medfee_sumamt", ""),
             _date8(record.get("setl_time", ""))]
    return "|".join(str(p).replace("|", "/") for p in parts)


# ---------------------------------------------------------------------------------------------
# Building invoices
# ---------------------------------------------------------------------------------------------

def _pay_mode(payments: list, psn_cash_pay: Decimal) -> str:
    seen: list[str] = []
    for p in payments or []:
        label = PAYMENT_LABELS.get(p.get("method"), "其他")
        if label not in seen:
            seen.append(label)
    if not seen:
        return "医保支付" if psn_cash_pay == ZERO else "现金"
    return "、".join(seen)


def _details(lines: list) -> tuple[list[dict], Decimal]:
    by_cat: dict[str, Decimal] = {}
    total = ZERO
    for i, ln in enumerate(lines):
        amt = _amt(ln.get("det_item_fee_sumamt"), f"lines[{i}].det_item_fee_sumamt")
        cat = str(ln.get("med_chrgitm_type") or OTHER_CATEGORY)
        if cat not in FEE_CATEGORIES:
            cat = OTHER_CATEGORY
        by_cat[cat] = by_cat.get(cat, ZERO) + amt
        total += amt
    details = [{"ItemCode": c, "ItemName": FEE_CATEGORIES[c], "ItemAmount": fmt2(by_cat[c])}
               for c in sorted(by_cat)]
    return details, total


def _aux(lines: list) -> list[dict]:
    out = []
    for i, ln in enumerate(lines):
        cat = str(ln.get("med_chrgitm_type") or OTHER_CATEGORY)
        out.append({
            "ListDetailNo": str(ln.get("feedetl_sn") or i + 1),
            "ListItemCode": str(ln.get("code") or ""),
            "ListItemName": str(ln.get("name") or ""),
            "ListItemSpec": str(ln.get("spec") or ""),
            "ListItemUnit": str(ln.get("unit") or ""),
            "ListItemQuantity": str(ln.get("cnt") or ""),
            "ListItemPrice": str(ln.get("pric") or ""),
            "ListItemAmount": fmt2(_amt(ln.get("det_item_fee_sumamt"), f"lines[{i}].det_item_fee_sumamt")),
            "ListItemCategory": FEE_CATEGORIES.get(cat, FEE_CATEGORIES[OTHER_CATEGORY]),
            "ListItemLevel": _lv_short(ln.get("chrgitm_lv"), "自费"),
        })
    return out


def build_invoice(record: dict, code: str, number: str, check_code: str, issue_datetime: datetime, *,
                  tag: str = "CZ-EI-MS", version: str = "1.0", specimen_code: str = "",
                  supervisor_area_code: str | None = None, checker: str = "", name_prefix: str = "") -> dict:
    """Map a settlement record (docs/documents.md) to a 医疗收费电子票据 record.

    Returns ``{"EInvoiceTag", "Version", "Main": {...}, "Details": [...], "AuxDetails": [...]}``;
    ``Main`` keys follow :data:`MAIN_ORDER`. Raises :class:`InvoiceError` (Chinese) on bad input or a
    broken amount identity; nothing is half-built.
    """
    if not _CODE_RE.fullmatch(str(code)):
        raise InvoiceError(f"票据代码必须是 8 位数字，收到的是 {code!r}。")
    if not _NUMBER_RE.fullmatch(str(number)):
        raise InvoiceError(f"票据号码必须是 10 位数字，收到的是 {number!r}。")
    if not _CHECK_RE.fullmatch(str(check_code)):
        raise InvoiceError(f"校验码必须是 6 位小写字母或数字，收到的是 {check_code!r}。")
    if not isinstance(issue_datetime, datetime):
        raise InvoiceError("开票时间无效。")

    inst = _req(record, "institution", "record")
    person = _req(record, "person", "record")
    visit = _req(record, "visit", "record")
    setl = _req(record, "setlinfo", "record")
    split = _req(record, "invoice_split", "record")
    cashier = record.get("cashier") or {}
    lines = record.get("lines") or []
    if not lines:
        raise InvoiceError("结算记录没有费用明细，无法开具票据。请重新读取结算结果后再试。")

    medfee = _amt(setl.get("medfee_sumamt"), "setlinfo.medfee_sumamt")
    fund = _amt(setl.get("hifp_pay"), "setlinfo.hifp_pay")
    other = sum((_amt(setl.get(f, "0.00"), f"setlinfo.{f}") for f in OTHER_FUND_FIELDS), ZERO)
    acct = _amt(setl.get("acct_pay"), "setlinfo.acct_pay")
    cash = _amt(setl.get("psn_cash_pay"), "setlinfo.psn_cash_pay")
    psn_part = _amt(setl.get("psn_part_amt"), "setlinfo.psn_part_amt")
    self_pay = _amt(split.get("self_pay"), "invoice_split.self_pay")
    self_cost = _amt(split.get("self_cost"), "invoice_split.self_cost")
    balc = _amt(setl.get("balc", "0.00"), "setlinfo.balc")

    details, lines_total = _details(lines)
    if lines_total != medfee:
        raise InvoiceError(f"费用明细合计 {fmt2(lines_total)} 元与医疗费总额 {fmt2(medfee)} 元不一致，"
                           "不能开票。请重新上传费用明细并结算，或联系信息科。")
    if fund + other + acct + cash != medfee:
        raise InvoiceError(f"基金支付、其他支付、个人账户与个人现金之和 {fmt2(fund + other + acct + cash)} 元"
                           f"不等于医疗费总额 {fmt2(medfee)} 元，不能开票。请联系信息科核对结算结果。")
    if self_pay + self_cost != psn_part:
        raise InvoiceError(f"个人自付与个人自费之和 {fmt2(self_pay + self_cost)} 元不等于个人负担 "
                           f"{fmt2(psn_part)} 元，不能开票。请联系信息科核对结算结果。")

    med_type = str(_req(visit, "med_type", "visit"))
    inpatient = is_inpatient(med_type)
    certno = str(_req(person, "certno", "person"))
    masked = mask_id(certno)
    admdvs = str(inst.get("admdvs") or "")
    flags = record.get("flags") or {}
    remarks = []
    if flags.get("training"):
        remarks.append("培训模式，非正式票据")
    if flags.get("offline"):
        remarks.append("离线开具，待上传票据平台")

    ext = {
        "MedicalType": codes.label("med_type", med_type, med_type),
        "PatientNumber": "" if inpatient else str(visit.get("ipt_otp_no") or ""),
        "MedicalDate": _date8(_req(visit, "begndate", "visit")),
        "OrgType": str(inst.get("org_type") or _HOSP_LV.get(str(inst.get("hosp_lv") or ""), "医疗机构")),
        "MedicalInsuranceType": codes.label("insutype", str(person.get("insutype") or ""), str(person.get("insutype") or "")),
        "MedicalInsuranceID": str(person.get("psn_no") or masked),
        "Gender": codes.Gend(str(person.get("gend"))).short if str(person.get("gend")) in ("0", "1", "2", "9") else "未说明",
        "Age": str(person.get("age") if person.get("age") is not None else ""),
        "FundPayAmount": fmt2(fund),
        "OtherPayAmount": fmt2(other),
        "AccountPayAmount": fmt2(acct),
        "OwnPayAmount": fmt2(cash),
        "SelfpaymentAmount": fmt2(self_pay),
        "SelfpaymentCost": fmt2(self_cost),
        "CaseNumber": str(visit.get("mdtrt_id") or ""),
        "HospitalizationNumber": str(visit.get("ipt_otp_no") or "") if inpatient else "",
        "DepartmentName": str(visit.get("dept_name") or ""),
        "InHospitalDate": _date8(visit["begndate"]) if inpatient else "",
        "OutHospitalDate": _date8(visit["enddate"]) if inpatient and visit.get("enddate") else "",
        "RelatedInvoiceCode": "",
        "RelatedInvoiceNumber": "",
        # Custom1..5 as in the verification-response convention (settlement-rules.md §4.3).
        "Custom1": fmt2(_amt(setl.get("hifmi_pay", "0.00"), "hifmi_pay")
                        + _amt(setl.get("hifob_pay", "0.00"), "hifob_pay")),  # 大病/大额保险支付
        "Custom2": fmt2(sum((_amt(setl.get(f, "0.00"), f) for f in ("cvlserv_pay", "hifes_pay", "oth_pay")),
                            ZERO)),  # 其他保险支付
        "Custom3": fmt2(_amt(setl.get("maf_pay", "0.00"), "maf_pay")),  # 医疗救助支付
        "Custom4": fmt2(balc),  # 个人账户余额
        "Custom5": _pay_mode(record.get("payments") or [], cash),  # 支付方式
    }
    main = {
        "EInvoiceName": name_prefix + ("医疗住院收费票据（电子）" if inpatient else "医疗门诊收费票据（电子）"),
        "EInvoiceCode": code,
        "EInvoiceNumber": number,
        "RandomNumber": check_code,
        "EInvoiceSpecimenCode": specimen_code,
        "SupervisorAreaCode": supervisor_area_code if supervisor_area_code is not None else admdvs,
        "TotalAmount": fmt2(medfee),
        "IssueDate": issue_datetime.strftime("%Y%m%d"),
        "IssueTime": issue_datetime.strftime("%H:%M:%S"),
        "InvoicingParty": {"InvoicingPartyCode": str(_req(inst, "fixmedins_code", "institution")),
                           "InvoicingPartyName": str(_req(inst, "fixmedins_name", "institution"))},
        # The payer's full certificate number never leaves the window in our exports (privacy);
        # the code is psn_no when known, else the masked certificate number.
        "PayerParty": {"PayerPartyType": "1", "PayerPartyCode": str(person.get("psn_no") or masked),
                       "PayerPartyName": str(_req(person, "psn_name", "person"))},
        "PayMode": ext["Custom5"],
        "BizCode": str(record.get("setl_id") or record.get("medins_setl_id") or ""),
        "CurrencyType": "CNY",
        "ExchangeRate": "1",
        "Remark": "；".join(remarks),
        "HandlingPerson": str(cashier.get("opter_name") or ""),
        "Checker": checker or str(cashier.get("opter_name") or ""),
        "SupervisorRemark": "",
        "MainExt": ext,
    }
    if not main["BizCode"]:
        raise InvoiceError("结算记录缺少结算ID（setl_id），无法开具票据。请先完成结算。")
    inv = {"EInvoiceTag": tag, "Version": version, "Main": main, "Details": details,
           "AuxDetails": _aux(lines)}
    _check_identities(inv)
    return inv


def _check_identities(inv: dict) -> None:
    main = inv["Main"]
    total = Decimal(main["TotalAmount"])
    det = sum((Decimal(d["ItemAmount"]) for d in inv["Details"]), ZERO)
    ext = main["MainExt"]
    pays = sum((Decimal(ext[k]) for k in ("FundPayAmount", "OtherPayAmount", "AccountPayAmount",
                                          "OwnPayAmount")), ZERO)
    if det != total or pays != total:
        raise InvoiceError("票据金额不平（明细合计或支付合计与票据总额不一致），不能开票。请联系信息科。")


def _neg(s: str) -> str:
    return fmt2(-Decimal(s)) if s not in ("", None) else s


def build_red_letter(original: dict, code: str, number: str, check_code: str, when: datetime,
                     reason: str = "") -> dict:
    """The red-letter (冲红) invoice of *original*: every amount negated, linked through
    ``RelatedInvoiceCode``/``RelatedInvoiceNumber``; the original is not modified."""
    if is_red_letter(original):
        raise InvoiceError("红字票据不能再次冲红。请选择原（蓝字）票据。")
    if not _CODE_RE.fullmatch(str(code)) or not _NUMBER_RE.fullmatch(str(number)) \
            or not _CHECK_RE.fullmatch(str(check_code)):
        raise InvoiceError("红字票据的代码、号码或校验码格式无效（8 位数字、10 位数字、6 位小写字母数字）。")
    orig = original["Main"]
    if (orig["EInvoiceCode"], orig["EInvoiceNumber"]) == (code, number):
        raise InvoiceError("红字票据不能与原票据使用同一票据号码。请使用新号码。")
    red = copy.deepcopy(original)
    m = red["Main"]
    m.update({"EInvoiceCode": code, "EInvoiceNumber": number, "RandomNumber": check_code,
              "TotalAmount": _neg(orig["TotalAmount"]), "IssueDate": when.strftime("%Y%m%d"),
              "IssueTime": when.strftime("%H:%M:%S")})
    m["Remark"] = "；".join(x for x in (
        f"冲红：原票据代码 {orig['EInvoiceCode']} 号码 {orig['EInvoiceNumber']}",
        reason, orig.get("Remark", "")) if x)
    ext = m["MainExt"]
    for k in MAINEXT_AMOUNTS:
        ext[k] = _neg(ext[k])
    ext["Custom4"] = ""  # the account balance after the reversal is not known here
    ext["RelatedInvoiceCode"] = orig["EInvoiceCode"]
    ext["RelatedInvoiceNumber"] = orig["EInvoiceNumber"]
    for d in red["Details"]:
        d["ItemAmount"] = _neg(d["ItemAmount"])
    for a in red["AuxDetails"]:
        a["ListItemAmount"] = _neg(a["ListItemAmount"])
        if a["ListItemQuantity"]:
            a["ListItemQuantity"] = str(-Decimal(a["ListItemQuantity"]))
    _check_identities(red)
    return red


def to_json(inv: dict) -> str:
    """The invoice as JSON (UTF-8 text, Chinese kept readable, Main in §4.3 order)."""
    return json.dumps(inv, ensure_ascii=False, indent=2)
