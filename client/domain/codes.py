"""NHSA dictionaries (字典) as enums with their Chinese labels.

Every dictionary of the national interface that the client shows or sends lives here, so the UI,
receipts and reports never hard-code a label.  Codes and labels come from
``shared/reference/nhsa-interface.md`` §4 (which cites the public sources for each table).

Design
------
* :class:`CodeEnum` is a ``str`` enum: a member *is* its wire code (``MedType.OUTPATIENT == "11"``,
  ``json.dumps`` writes ``"11"``, ``f"{m}"`` gives ``"11"``) and carries ``.label`` (Chinese) and
  ``.short`` (a short label, e.g. ``"甲"`` for chrgitm_lv 01).
* One enum per dictionary; each class has ``dict_name`` (the NHSA field name, e.g. ``"med_type"``)
  and ``title`` (its Chinese name, e.g. ``"医疗类别"``).
* :data:`DICTS` maps the dictionary name to its enum; :func:`label` and :func:`parse` look codes up
  by dictionary name (``label("med_type", "11") == "普通门诊"``).

Codes outside a national core set (provincial extensions) are included where the reference lists
them with a label; they are marked in comments.  Person identity (``psn_idet_type``) is *not* a
verified national dictionary: see :class:`Idet` and :data:`TRAINING_PSN_IDET_TYPES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "CodeEnum", "DICTS", "label", "parse", "options",
    "MdtrtCertType", "PsnCertType", "Insutype", "PsnType", "PsnInsuStas", "MedType", "ChrgitmLv",
    "MedChrgitmType", "FundPayType", "ClrType", "PsnSetlway", "Gend", "OpterType", "PayLoc",
    "AcctUsedFlag", "DiagType", "DscgWay", "ListType", "ValiFlag", "HospApprFlag", "CvlservFlag",
    "MED_TYPE_NATIONAL_CORE", "FUND_PAY_TYPE_CORE",
    "Idet", "TRAINING_PSN_IDET_TYPES", "idet_label_for", "idet_labels",
]


class CodeEnum(StrEnum):
    """Base of every dictionary enum: the value is the wire code; ``.label`` is Chinese."""

    label: str
    short: str
    dict_name: str  # set per dictionary by @_dictionary (NHSA field name)
    title: str  # Chinese name of the dictionary

    def __new__(cls, code: str, label: str, short: str | None = None):
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.label = label
        obj.short = short or label
        return obj

    def __str__(self) -> str:  # the wire code, never "MedType.OUTPATIENT"
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def code(self) -> str:
        return self.value

    @property
    def display(self) -> str:
        """``"11 普通门诊"`` — code and label, for combo boxes and traces."""
        return f"{self.value} {self.label}"


DICTS: dict[str, type[CodeEnum]] = {}


def _dictionary(dict_name: str, title: str):
    def deco(cls: type[CodeEnum]) -> type[CodeEnum]:
        type.__setattr__(cls, "dict_name", dict_name)
        type.__setattr__(cls, "title", title)
        DICTS[dict_name] = cls
        return cls

    return deco


# ---------------------------------------------------------------------------------------------
# Certificates and persons
# ---------------------------------------------------------------------------------------------

@_dictionary("mdtrt_cert_type", "就诊凭证类型")
class MdtrtCertType(CodeEnum):
    ECERT = ("01", "医保电子凭证")
    ID_CARD = ("02", "居民身份证")
    SSC_CARD = ("03", "社会保障卡")


@_dictionary("psn_cert_type", "人员证件类型")
class PsnCertType(CodeEnum):
    RESIDENT_ID = ("01", "居民身份证（户口簿）")
    PLA_OFFICER = ("02", "中国人民解放军军官证")
    PAP_OFFICER = ("03", "中国人民武装警察警官证")
    HK_PERMIT = ("04", "香港特区护照/港澳居民来往内地通行证")
    MACAO_PERMIT = ("05", "澳门特区护照/港澳居民来往内地通行证")
    TW_PERMIT = ("06", "台湾居民来往大陆通行证")
    FOREIGN_PR = ("07", "外国人永久居留证")
    FOREIGN_PASSPORT = ("08", "外国人护照")
    DISABILITY = ("09", "残疾人证")
    MARTYR_FAMILY = ("10", "军烈属证明")
    FOREIGN_EMPLOYMENT = ("11", "外国人就业证")
    FOREIGN_EXPERT = ("12", "外国专家证")
    FOREIGN_JOURNALIST = ("13", "外国人常驻记者证")
    HKMT_EMPLOYMENT = ("14", "台港澳人员就业证")
    RETURNED_EXPERT = ("15", "回国（来华）定居专家证")
    CN_PASSPORT = ("16", "中国护照")


@_dictionary("insutype", "险种类型")
class Insutype(CodeEnum):
    EMPLOYEE = ("310", "职工基本医疗保险", "职工医保")
    CIVIL_SERVANT = ("320", "公务员医疗补助")
    LARGE_AMOUNT = ("330", "大额医疗费用补助")
    RETIRED_CADRE = ("340", "离休人员医疗保障")
    DISABLED_SOLDIER = ("350", "一至六级残废军人医疗补助")
    RED_ARMY = ("360", "老红军医疗保障")
    ENTERPRISE_SUPPLEMENT = ("370", "企业补充医疗保险")
    NRCMS = ("380", "新型农村合作医疗")
    RESIDENT = ("390", "城乡居民基本医疗保险", "居民医保")
    URBAN_RESIDENT = ("391", "城镇居民基本医疗保险")
    RESIDENT_SERIOUS = ("392", "城乡居民大病医疗保险")
    OTHER_SPECIAL = ("399", "其他特殊人员医疗保障")
    LONG_TERM_CARE = ("410", "长期照护保险")
    MATERNITY = ("510", "生育保险")


@_dictionary("psn_type", "人员类别")
class PsnType(CodeEnum):
    EMPLOYEE_ACTIVE = ("1101", "职工在职")
    CIVIL_SERVANT_ACTIVE = ("1102", "公务员在职")
    FLEXIBLE_ACTIVE = ("1103", "灵活就业人员在职")
    EMPLOYEE_RETIRED = ("1201", "职工退休")
    CIVIL_SERVANT_RETIRED = ("1202", "公务员退休")
    FLEXIBLE_RETIRED = ("1203", "灵活就业人员退休")
    RETIRED_CADRE = ("1300", "离休人员")
    NEWBORN = ("1401", "新生儿")
    PRESCHOOL = ("1402", "学龄前儿童")
    PUPIL = ("1403", "中小学生")
    UNDERGRADUATE = ("1404", "大学生")
    MINOR_NOT_ENROLLED = ("1405", "未成年（未入学）")
    RESIDENT_ADULT = ("1501", "普通居民（成年）")
    # x160/x260/x360/1460/1560 are local extensions without a published label.


@_dictionary("psn_insu_stas", "人员参保状态")
class PsnInsuStas(CodeEnum):
    NOT_INSURED = ("0", "未参保")
    NORMAL = ("1", "正常参保")
    SUSPENDED = ("2", "暂停参保")
    INVALID = ("3", "无效参保")
    TERMINATED = ("4", "终止参保")


# ---------------------------------------------------------------------------------------------
# Visits and fees
# ---------------------------------------------------------------------------------------------

@_dictionary("med_type", "医疗类别")
class MedType(CodeEnum):
    # national core
    OUTPATIENT = ("11", "普通门诊")
    REGISTRATION = ("12", "门诊挂号")
    EMERGENCY = ("13", "急诊")
    CHRONIC_SPECIAL = ("14", "门诊慢特病")
    INPATIENT = ("21", "普通住院")
    TRAUMA_INPATIENT = ("22", "外伤住院")
    TRANSFER_INPATIENT = ("23", "转外诊治住院")
    EMERGENCY_TO_INPATIENT = ("24", "急诊转住院")
    PHARMACY = ("41", "定点药店购药")
    MATERNITY_OUTPATIENT = ("51", "生育门诊")
    MATERNITY_INPATIENT = ("52", "生育住院")
    FAMILY_PLANNING = ("53", "计划生育手术费")
    # also seen (Jilin / Inner Mongolia lists)
    SPECIAL_DRUG = ("15", "特药")
    TCM_OUTPATIENT = ("16", "中医特色门诊")
    ACCIDENT_OUTPATIENT_NM = ("19", "意外伤害门诊")
    REMOTE_INPATIENT = ("25", "异地住院")
    SINGLE_DISEASE_INPATIENT = ("26", "单病种住院")
    SELF_CARE = ("27", "自主就医")
    DAY_SURGERY = ("28", "日间手术")
    DEDUCTIBLE_TREATMENT = ("29", "起付线治疗")
    CARE_INSURANCE = ("61", "照护保险")
    ACCIDENT_OUTPATIENT = ("81", "意外伤害门诊")
    PALLIATIVE_INPATIENT = ("2114", "舒缓疗护住院")
    NEWBORN_MATERNITY = ("5212", "生育新生儿费用")
    SPECIAL_EXAM_OUTPATIENT = ("990404", "门诊特检特治")
    # Jiangsu provincial sub-types (Wujiang 320509)
    JS_OUTPATIENT_SERIOUS = ("140101", "门诊大病")
    JS_OUTPATIENT_CHRONIC = ("140104", "门诊慢病")
    JS_OUTPATIENT_SPECIAL = ("140201", "门诊特病")
    JS_EMERGENCY_RESCUE = ("1301", "急诊抢救")
    JS_OUTPATIENT_POOLING = ("110104", "门诊统筹")
    JS_SEPARATE_PAY_DRUG = ("910301", "单独支付购药")


MED_TYPE_NATIONAL_CORE = frozenset(
    {"11", "12", "13", "14", "21", "22", "23", "24", "41", "51", "52", "53"})


@_dictionary("chrgitm_lv", "收费项目等级")
class ChrgitmLv(CodeEnum):
    CLASS_A = ("01", "甲类", "甲")
    CLASS_B = ("02", "乙类", "乙")
    CLASS_C = ("03", "丙类", "丙")


@_dictionary("med_chrgitm_type", "医疗收费项目类别")
class MedChrgitmType(CodeEnum):
    BED = ("01", "床位费")
    CONSULTATION = ("02", "诊察费")
    EXAMINATION = ("03", "检查费")
    LAB_TEST = ("04", "化验费")
    TREATMENT = ("05", "治疗费")
    SURGERY = ("06", "手术费")
    NURSING = ("07", "护理费")
    MATERIAL = ("08", "卫生材料费")
    WESTERN_DRUG = ("09", "西药费")
    TCM_PIECES = ("10", "中药饮片费")
    TCM_PATENT = ("11", "中成药费")
    GENERAL_DIAGNOSIS = ("12", "一般诊疗费")
    REGISTRATION = ("13", "挂号费")
    OTHER = ("14", "其他费")


@_dictionary("fund_pay_type", "基金支付类型")
class FundPayType(CodeEnum):
    # core set
    EMPLOYEE_POOL = ("310100", "城镇职工基本医疗保险统筹基金", "职工统筹")
    EMPLOYEE_ACCOUNT = ("310200", "城镇职工基本医疗保险个人账户基金", "个人账户")
    CIVIL_SERVANT = ("320100", "公务员医疗补助基金", "公务员补助")
    LARGE_AMOUNT = ("330100", "大额医疗费用补助基金", "大额补助")
    RETIRED_CADRE = ("340100", "离休人员医疗保障基金")
    DISABLED_SOLDIER = ("350100", "一至六级残疾军人医疗补助基金")
    ENTERPRISE_SUPPLEMENT = ("370100", "企业补充医疗保险基金", "企业补充")
    RESIDENT_POOL = ("390100", "城乡居民基本医疗保险基金", "居民统筹")
    RESIDENT_SERIOUS = ("390200", "城乡居民大病医疗保险基金", "居民大病")
    MATERNITY = ("510100", "生育基金")
    MEDICAL_ASSISTANCE = ("610100", "医疗救助基金", "医疗救助")
    HOSPITAL_ADVANCE = ("999996", "医院垫付基金")
    OTHER = ("999997", "其他基金")
    # others seen; region-specific
    EMPLOYEE_MATERNITY = ("310103", "职工生育基金")
    ASSISTANCE_AGAIN = ("610102", "医疗再救助")
    HEALTH_POVERTY_RELIEF = ("610103", "健康扶贫")
    TARGETED_POVERTY = ("610104", "精准脱贫")
    DISTRICT_CIVIL_SERVANT = ("999901", "区级公务员")
    EMPLOYEE_ACCIDENT = ("330200", "职工意外伤害")
    # 390400: Hainan 居民意外伤害; Hebei uses it as a clearing code for the resident fund.
    RESIDENT_ACCIDENT = ("390400", "居民意外伤害")
    ENTITLED_GROUPS = ("610200", "优抚对象医疗补助")
    SPECIAL_BENEFIT = ("620100", "特惠保")
    HOSPITAL_REDUCTION = ("630100", "医院减免")
    GOVERNMENT_FALLBACK = ("640100", "政府兜底")
    WORK_INJURY = ("410100", "工伤")


FUND_PAY_TYPE_CORE = frozenset(
    {"310100", "310200", "320100", "330100", "340100", "350100", "370100", "390100", "390200",
     "510100", "610100", "999996", "999997"})


@_dictionary("clr_type", "清算类别")
class ClrType(CodeEnum):
    OUTPATIENT = ("11", "门诊")
    INPATIENT = ("21", "住院")
    PHARMACY = ("41", "药店购药")
    OTHER = ("99", "其他")


@_dictionary("psn_setlway", "个人结算方式")
class PsnSetlway(CodeEnum):
    BY_ITEM = ("01", "按项目结算")
    BY_QUOTA = ("02", "按定额结算")
    BY_SINGLE_DISEASE = ("0201", "按单病种")  # local
    BY_DAY_SURGERY = ("0202", "按日间手术")  # local


@_dictionary("gend", "性别")
class Gend(CodeEnum):
    UNKNOWN = ("0", "未知的性别", "未知")
    MALE = ("1", "男")
    FEMALE = ("2", "女")
    UNSTATED = ("9", "未说明性别", "未说明")


@_dictionary("opter_type", "经办人类别")
class OpterType(CodeEnum):
    OPERATOR = ("1", "经办人")
    SELF_SERVICE = ("2", "自助终端")
    MOBILE = ("3", "移动终端")


@_dictionary("pay_loc", "支付地点类别")
class PayLoc(CodeEnum):
    CENTER = ("1", "中心")
    INSTITUTION = ("2", "医疗机构")
    IN_PROVINCE = ("3", "省内异地")
    CROSS_PROVINCE = ("4", "跨省异地")
    INTERNET_HOSPITAL = ("5", "互联网医院")


@_dictionary("acct_used_flag", "个人账户使用标志")
class AcctUsedFlag(CodeEnum):
    NO = ("0", "否（不使用）", "否")
    YES = ("1", "是（使用）", "是")


@_dictionary("diag_type", "诊断类别")
class DiagType(CodeEnum):
    WESTERN = ("1", "西医诊断")
    TCM_DISEASE = ("2", "中医主病诊断")
    TCM_SYNDROME = ("3", "中医主证诊断")


@_dictionary("dscg_way", "离院方式")
class DscgWay(CodeEnum):
    ORDERED = ("1", "医嘱离院")
    ORDERED_TRANSFER = ("2", "医嘱转院")
    ORDERED_COMMUNITY = ("3", "医嘱转社区卫生服务机构")
    AGAINST_ADVICE = ("4", "非医嘱离院")
    DEATH = ("5", "死亡")
    OTHER = ("9", "其他")


@_dictionary("list_type", "目录类别")
class ListType(CodeEnum):
    DRUG = ("101", "西药中成药")
    TCM_PIECES = ("102", "中药饮片")
    HOSPITAL_PREPARATION = ("103", "自制剂")
    ETHNIC_DRUG = ("104", "民族药")
    SERVICE = ("201", "医疗服务项目")
    CONSUMABLE = ("301", "医用耗材")
    # 105/106/501 appear in one source without labels; not listed.


@_dictionary("vali_flag", "有效标志")
class ValiFlag(CodeEnum):
    INVALID = ("0", "无效")
    VALID = ("1", "有效")


@_dictionary("hosp_appr_flag", "医院审批标志")
class HospApprFlag(CodeEnum):
    NOT_REQUIRED = ("0", "无须审批")
    APPROVED = ("1", "审批通过")
    REJECTED = ("2", "审批不通过")


@_dictionary("cvlserv_flag", "公务员标志")
class CvlservFlag(CodeEnum):
    NO = ("0", "否")
    YES = ("1", "是")


# Dictionaries whose codes are two digits and where some HIS send one digit ("1" for "01").
_PAD2 = frozenset({"mdtrt_cert_type", "psn_cert_type"})


def _lookup(dict_name: str) -> type[CodeEnum]:
    try:
        return DICTS[dict_name]
    except KeyError:
        raise ValueError(f"未知的字典名称：{dict_name!r}") from None


def _norm(dict_name: str, code: object) -> str | None:
    if isinstance(code, CodeEnum):
        code = code.value
    if not isinstance(code, str):
        return None
    code = code.strip()
    if dict_name in _PAD2 and len(code) == 1 and code.isascii() and code.isdigit():
        code = "0" + code
    return code


def label(dict_name: str, code: object, default: str | None = None) -> str | None:
    """Chinese label of ``code`` in dictionary ``dict_name``; ``default`` if the code is unknown.

    Raises ``ValueError`` only for an unknown *dictionary* name (a programming error).
    """
    enum = _lookup(dict_name)
    norm = _norm(dict_name, code)
    try:
        return enum(norm).label
    except ValueError:
        return default


def display_label(dict_name: str, code: object) -> str:
    """What a window shows for ``code``: its Chinese label when the dictionary knows it, otherwise the
    code itself (local codes such as Shanghai psn_type 116032 or clr_type 9902 are real values the
    national table does not list — shown as received, never guessed). ``None`` / blank → ""."""
    norm = _norm(dict_name, code if not isinstance(code, int | Decimal) or isinstance(code, bool) else str(code))
    if not norm:
        return ""
    return label(dict_name, norm) or norm


def parse(dict_name: str, code: object) -> CodeEnum:
    """The enum member for ``code``; ``ValueError`` with a Chinese message if it is unknown.

    Surrounding whitespace is ignored; for mdtrt_cert_type / psn_cert_type a one-digit code is
    padded ("1" → "01") because some HIS send it so.
    """
    enum = _lookup(dict_name)
    norm = _norm(dict_name, code)
    try:
        return enum(norm)
    except ValueError:
        raise ValueError(
            f"{enum.title}（{dict_name}）代码 {code!r} 不在字典中，请检查数据来源或更新字典"
        ) from None


def options(dict_name: str) -> list[tuple[str, str]]:
    """``[(code, label), ...]`` in definition order, for combo boxes."""
    return [(m.value, m.label) for m in _lookup(dict_name)]


# ---------------------------------------------------------------------------------------------
# Person identity labels (engine `idet`)
# ---------------------------------------------------------------------------------------------

class Idet(CodeEnum):
    """Identity labels used by policy layers (settlement-case ``person.idet`` / layer ``idet``).

    These are the engine's own stable labels, not NHSA codes.
    """

    LOW_INCOME = ("low_income", "最低生活保障对象（低保）", "低保")
    LOW_INCOME_EDGE = ("low_income_edge", "低保边缘家庭成员", "低保边缘")
    EXTREME_POVERTY = ("extreme_poverty", "特困供养人员", "特困")
    IMPOVERISHED_BY_ILLNESS = ("impoverished_by_illness", "因病致贫重病患者", "因病致贫")
    DISABLED = ("disabled", "残疾人员", "残疾")
    SPECIAL_CARE = ("special_care", "优抚对象", "优抚")


type.__setattr__(Idet, "dict_name", "idet")
type.__setattr__(Idet, "title", "人员身份标签")


# TRAINING CODES.  The national psn_idet_type (人员身份类别) dictionary could not be verified from
# any public source (reference §3.3 / §8), so the training platform and this client agree on the
# following codes.  A real deployment must replace this table with the province's dictionary.
# This is the ONE table: the training platform's demo data, the case builder (client and platform
# side) and the window all read it.
TRAINING_PSN_IDET_TYPES: Mapping[str, Idet] = {
    "2301": Idet.LOW_INCOME,
    "2302": Idet.EXTREME_POVERTY,
    "2303": Idet.DISABLED,
    "2304": Idet.SPECIAL_CARE,
    "2305": Idet.LOW_INCOME_EDGE,
    "2306": Idet.IMPOVERISHED_BY_ILLNESS,
}


def idet_label_for(psn_idet_type: object) -> Idet | None:
    """The identity label for a (training) psn_idet_type code, or ``None`` if not mapped."""
    if not isinstance(psn_idet_type, str):
        return None
    return TRAINING_PSN_IDET_TYPES.get(psn_idet_type.strip())


def _as_date(value: object) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for fmt, n in (("%Y-%m-%d %H:%M:%S", 19), ("%Y-%m-%d", 10), ("%Y%m%d", 8)):
        try:
            return datetime.strptime(text[:n], fmt).date()
        except ValueError:
            continue
    return None


def idet_labels(idetinfo: Iterable[Mapping[str, object]], at: date | None = None) -> list[str]:
    """Identity labels (sorted, unique) from 1101 ``idetinfo`` rows valid on ``at``.

    A row counts when its ``psn_idet_type`` is mapped and ``at`` lies within
    ``begntime``..``endtime`` (either bound may be absent/blank = open).  Unmapped codes are ignored.
    """
    at = at or date.today()
    found: set[str] = set()
    for row in idetinfo or ():
        if not isinstance(row, Mapping):
            continue
        lab = idet_label_for(row.get("psn_idet_type"))
        if lab is None:
            continue
        begin, end = _as_date(row.get("begntime")), _as_date(row.get("endtime"))
        if (begin and at < begin) or (end and at > end):
            continue
        found.add(lab.value)
    return sorted(found)


# --- the hospital's own tender codes (not an NHSA dictionary) --------------------------------------
# How the patient's share was taken at the window: the ``payments.method`` column, the CLI's
# ``--tender METHOD:AMOUNT``, the Z report, receipts and the e-invoice's payment lines all use these
# codes and these labels (one place: a label differing between modules was a defect).
PAYMENT_METHOD_NAMES: dict[str, str] = {
    "cash": "现金", "bank_card": "银行卡", "wechat": "微信支付", "alipay": "支付宝", "ecny": "数字人民币",
    "account": "个人账户",
}
PAYMENT_METHOD_ORDER: tuple[str, ...] = ("cash", "bank_card", "wechat", "alipay", "ecny", "account")
# what a cashier or a script may type for a method (CLI ``--tender``; case-insensitive)
PAYMENT_METHOD_ALIASES: dict[str, str] = {
    **{code: code for code in PAYMENT_METHOD_ORDER if code != "account"},
    **{name: code for code, name in PAYMENT_METHOD_NAMES.items() if code != "account"},
    "现金": "cash", "bank": "bank_card", "card": "bank_card", "weixin": "wechat", "微信": "wechat",
    "e-cny": "ecny", "e_cny": "ecny", "dcep": "ecny",
}


# payment-code channels of the aggregate-payment gateway (docs/payments.md §2)
PAYMENT_CHANNEL_NAMES: dict[str, str] = {"wechat": "微信支付", "alipay": "支付宝", "unionpay": "银联云闪付",
                                         "ecny": "数字人民币"}


def payment_method_name(method: object) -> str:
    """The label of a tender code; an unknown code is shown as itself (never a wrong label)."""
    return PAYMENT_METHOD_NAMES.get(str(method), str(method))


__all__ += ["PAYMENT_CHANNEL_NAMES", "PAYMENT_METHOD_ALIASES", "PAYMENT_METHOD_NAMES", "PAYMENT_METHOD_ORDER",
            "payment_method_name"]


# The sentence on the receipt of an offline full self-pay queued for 补结算 (docs/offline-and-recovery.md §2)
BACKSETTLE_NOTE = ("全自费收据（待医保补结算）：医保中心连接中断，本次费用由患者全额自付。医保中心恢复后本院将为您"
                   "办理医保补结算，医保基金（及个人账户）支付的部分按原支付方式退还；请保留本收据。")
