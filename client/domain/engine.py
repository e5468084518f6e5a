"""The settlement engine: ``settlement-case/1`` in, settlement out.

Implements ``shared/spec/settlement-case.md`` (就医地目录、参保地政策). Pure Python, Decimal only.

Public interface::

    load_case(text_or_bytes) -> dict        parse JSON strictly and validate the whole case
    settle(case: dict) -> dict              validate, then compute the output document
    settle_text(text_or_bytes) -> dict      both, validating once (what the CLI uses)
    CaseError(code, message, field=None)    code: invalid_case | no_policy | filing_required | opsp_not_covered

``settle`` reads as the spec's semantics list, one function per step, in its order::

    select_policy   the first policy rule whose selectors all match (else no_policy)
    opsp_view       门诊慢特病 (med_type 14 + policy ``opsp``): the disease's deductible, ratio and cap
                    (an extension of the spec: visit.opsp_dise_code, person.ytd.opsp; docs/settlement.md §7a)
    split_lines     1. line split against the treatment-place catalogue (CatalogueEntry)
    categorise      2. category: local → zone_exempt → by filing (unfiled may be refused)
    basic_layer     3. basic layer: eligible, act_pay_dedc, segment × (reduced) ratio(s), fund cap
    layers          4. the policy's layers, in order
    totals          5. totals, personal account, invoice split
                    6. rounding: ``_rounded`` where each fund amount is computed; yearly caps: ``cap``

Each step returns its figures with the Chinese trace sentences that explain them, so that an
auditor can replay "why did the fund pay this much" (the trace names the policy and the category
first, then follows the arithmetic). See docs/settlement.md for the formulas.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from client.domain.codes import ChrgitmLv

__all__ = [
    "CATEGORY_NAMES",
    "FORMAT",
    "FUND_FIELDS",
    "CaseError",
    "load_case",
    "settle",
    "settle_text",
    "validate_case",
]

FORMAT = "settlement-case/1"

CATEGORY_NAMES = {
    "local": "本地就医",
    "zone_exempt": "示范区免备案",
    "filed": "异地已备案（长期居住/常驻）",
    "referral": "异地转诊备案",
    "emergency": "异地急诊抢救",
    "unfiled": "异地未备案",
}
FUND_FIELDS = ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")
LAYER_FIELDS = frozenset(FUND_FIELDS[1:])
_FIELD_NAMES = {
    "hifp_pay": "基本医疗保险统筹基金",
    "cvlserv_pay": "公务员医疗补助",
    "hifes_pay": "补充医疗保险",
    "hifmi_pay": "大病保险",
    "hifob_pay": "大额医疗费用补助",
    "maf_pay": "医疗救助",
    "oth_pay": "其他基金",
}
_BASE_NAMES = {
    "inscp_remaining": "符合范围金额减去本次已由各基金支付的金额",
    "inscp_preselfpay_remaining": "符合范围金额加先行自付金额、减去本次已由各基金支付的金额",
    "all_remaining": "医疗费总额减去本次已由各基金支付的金额",
}
_CLASS_C = ChrgitmLv.CLASS_C.code  # 丙类: fully self-paid
_FILING = {"none": "unfiled", "long_term": "filed", "referral": "referral", "emergency": "emergency"}

_C2 = Decimal("0.01")
_C4 = Decimal("0.0001")
_Z = Decimal("0.00")
_ONE = Decimal("1")
_HALF_UP = ROUND_HALF_UP

_NUM_RE = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,8})?")
_ADMDVS_RE = re.compile(r"[0-9]{6}")
_CODE_RE = re.compile(r"[0-9A-Za-z_.\-]{1,30}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_AMOUNT = Decimal("1000000000000")  # 10^12 yuan: far beyond any bill, keeps Decimal exact
_MAX_BYTES = 64 * 1024 * 1024

_FIX_CASE = "请检查结算案例（明细、人员或就诊信息）后重试。"
_FIX_POLICY = "请联系信息科检查并更新参保地政策包。"


class CaseError(Exception):
    """A case the engine refuses. ``code`` is ``invalid_case``, ``no_policy``, ``filing_required`` or
    ``opsp_not_covered`` (门诊慢特病: the policy's ``opsp`` lacks the visit's disease);
    ``message`` is Chinese and fit to show a cashier; ``field`` is the JSON path (``lines[1].cnt``)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}


# --------------------------------------------------------------------------------------------------
# validation helpers


def _fix_for(path: str) -> str:
    if path.startswith(("policies", "zones", "pools")):
        return _FIX_POLICY
    return _FIX_CASE


def _bad(path: str, problem: str) -> CaseError:
    return CaseError("invalid_case", f"结算案例字段 {path} {problem}。{_fix_for(path)}", path)


def _kind(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "布尔值 " + str(v).lower()
    if isinstance(v, float):
        return f"不带引号的数字 {v!r}"
    if isinstance(v, int):
        return f"不带引号的数字 {v}"
    if isinstance(v, str):
        return '"' + (v if len(v) <= 24 else v[:24] + "…") + '"'
    if isinstance(v, list):
        return "数组"
    if isinstance(v, dict):
        return "对象"
    return type(v).__name__


def _num(v: object, path: str) -> Decimal:
    """A decimal string (at most 15 integer digits and 8 decimals)."""
    if type(v) is str and _NUM_RE.fullmatch(v):
        return Decimal(v)
    raise _bad(path, f'必须是用引号括起来的十进制数字字符串（例如 "12.50"），现在是{_kind(v)}')


def _money(v: object, path: str, positive: bool = False) -> Decimal:
    d = _num(v, path)
    if d.as_tuple().exponent < -2:  # type: ignore[operator]
        raise _bad(path, f'是金额，最多两位小数（到分），现在是"{v}"')
    if d < 0:
        raise _bad(path, f'不能为负数，现在是"{v}"')
    if positive and d == 0:
        raise _bad(path, "必须大于 0")
    if d >= _MAX_AMOUNT:
        raise _bad(path, f'金额过大（"{v}"）')
    return d.quantize(_C2)


def _opt_money(d: dict, key: str, path: str, default: Decimal | None = None) -> Decimal | None:
    v = d.get(key)
    if v is None:
        return default
    return _money(v, f"{path}.{key}")


def _ratio(v: object, path: str) -> Decimal:
    d = _num(v, path)
    if d < 0 or d > 1:
        raise _bad(path, f'是比例，必须在 0 到 1 之间，现在是"{v}"')
    return d


def _obj(v: object, path: str) -> dict:
    if type(v) is not dict:
        raise _bad(path, f"必须是 JSON 对象，现在是{_kind(v)}")
    return v


def _list(v: object, path: str, nonempty: bool = False) -> list:
    if type(v) is not list:
        raise _bad(path, f"必须是 JSON 数组，现在是{_kind(v)}")
    if nonempty and not v:
        raise _bad(path, "不能为空数组")
    return v


def _req(d: dict, key: str, path: str) -> object:
    v = d.get(key)
    if v is None:
        raise _bad(f"{path}.{key}" if path else key, "缺失（必填）")
    return v


def _s(v: object, path: str, rx: re.Pattern | None = None, what: str = "") -> str:
    if type(v) is not str or not v:
        raise _bad(path, f"必须是非空字符串，现在是{_kind(v)}")
    if rx is not None and not rx.fullmatch(v):
        raise _bad(path, f"格式不正确{('，应为' + what) if what else ''}，现在是{_kind(v)}")
    return v


def _enum(v: object, path: str, allowed: tuple[str, ...]) -> str:
    if type(v) is not str or v not in allowed:
        shown = "、".join(f'"{a}"' for a in allowed)
        raise _bad(path, f"只能是 {shown} 之一，现在是{_kind(v)}")
    return v


def _int(v: object, path: str) -> int:
    if type(v) is not int or v < 0 or v > 100000:
        raise _bad(path, f"必须是不带引号的非负整数，现在是{_kind(v)}")
    return v


def _date(v: object, path: str) -> _dt.date:
    if type(v) is str and _DATE_RE.fullmatch(v):
        try:
            return _dt.date.fromisoformat(v)
        except ValueError:
            pass
    raise _bad(path, f'必须是日期字符串 YYYY-MM-DD（例如 "2021-07-13"），现在是{_kind(v)}')


def _str_list(v: object, path: str, rx: re.Pattern | None = None, nonempty: bool = True) -> list[str]:
    lst = _list(v, path, nonempty=nonempty)
    return [_s(x, f"{path}[{i}]", rx) for i, x in enumerate(lst)]


def _bands(v: object, path: str) -> list[tuple[Decimal, Decimal | None, Decimal]]:
    out: list[tuple[Decimal, Decimal | None, Decimal]] = []
    prev_to: Decimal | None = Decimal(0)
    for i, b in enumerate(_list(v, path, nonempty=True)):
        bp = f"{path}[{i}]"
        b = _obj(b, bp)
        lo = _money(_req(b, "from", bp), f"{bp}.from")
        hi_raw = b.get("to")
        hi = None if hi_raw is None else _money(hi_raw, f"{bp}.to")
        r = _ratio(_req(b, "ratio", bp), f"{bp}.ratio")
        if hi is not None and hi <= lo:
            raise _bad(f"{bp}.to", "必须大于同一分段的 from")
        if prev_to is None:
            raise _bad(bp, "位于一个没有上限（to 为 null）的分段之后；分段必须按从低到高排列且不重叠")
        if lo < prev_to:
            raise _bad(f"{bp}.from", "与前一分段重叠；分段必须按从低到高排列且不重叠")
        out.append((lo, hi, r))
        prev_to = hi
    return out


# --------------------------------------------------------------------------------------------------
# parsed case


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """A treatment-place catalogue entry (就医地目录) as the line split reads it."""

    code: str
    chrgitm_lv: str  # "01" 甲类, "02" 乙类, "03" 丙类 (codes.ChrgitmLv)
    selfpay_prop: Decimal  # class-B first self-pay ratio (先行自付比例); 0 when absent
    selfpay_prop_text: str  # selfpay_prop as the case spells it ("0" when absent), echoed in the lines
    pric_uplmt_amt: Decimal | None  # limit unit price (限价); None = no limit


class _Policy:
    __slots__ = (
        "idx", "id", "insuplc", "insutype", "med_types", "psn_types", "age", "valid", "fund_pay_type",
        "dedc_per", "dedc_lv", "dedc_nth", "ratio_lv", "ratio_bands", "elig_cap", "fund_cap",
        "xr_allow_unfiled", "xr_mode", "xr_values", "layers", "account", "opsp",
    )  # fmt: skip


class _Layer:
    __slots__ = ("id", "field", "fund_pay_type", "base", "per", "bands", "cap", "idet", "path")


class _Parsed:
    __slots__ = (
        "mdtrtarea", "hosp_lv", "med_type", "begndate", "filing", "insuplc", "insutype", "psn_type",
        "age", "idet", "acct_balc", "acct_used", "ytd_dedc", "ytd_adm", "ytd_inscp", "ytd_seg",
        "ytd_hifp", "ytd_layers", "catalog", "lines", "policies", "zones", "pools", "opsp_code", "ytd_opsp",
    )  # fmt: skip


def _parse_policy(p: object, i: int) -> _Policy:
    path = f"policies[{i}]"
    p = _obj(p, path)
    pol = _Policy()
    pol.idx = i
    pol.id = _s(_req(p, "id", path), f"{path}.id")
    pol.insuplc = _s(
        _req(p, "insuplc_admdvs", path), f"{path}.insuplc_admdvs", _ADMDVS_RE, "6 位数字区划代码"
    )
    pol.insutype = _s(_req(p, "insutype", path), f"{path}.insutype", _CODE_RE)
    pol.med_types = frozenset(_str_list(_req(p, "med_types", path), f"{path}.med_types", _CODE_RE))
    psn = _str_list(_req(p, "psn_types", path), f"{path}.psn_types")
    pol.psn_types = None if "*" in psn else frozenset(psn)
    pol.age = None
    if p.get("age") is not None:
        a = _list(p["age"], f"{path}.age")
        if len(a) != 2:
            raise _bad(f"{path}.age", "必须是 [最小年龄, 最大年龄] 两个整数")
        lo = None if a[0] is None else _int(a[0], f"{path}.age[0]")
        hi = None if a[1] is None else _int(a[1], f"{path}.age[1]")
        if lo is not None and hi is not None and hi < lo:
            raise _bad(f"{path}.age", "最大年龄小于最小年龄")
        pol.age = (lo, hi)
    pol.valid = None
    if p.get("valid") is not None:
        v = _list(p["valid"], f"{path}.valid")
        if len(v) != 2:
            raise _bad(f"{path}.valid", '必须是 ["开始日期", "结束日期"] 两个日期')
        lo_d = None if v[0] is None else _date(v[0], f"{path}.valid[0]")
        hi_d = None if v[1] is None else _date(v[1], f"{path}.valid[1]")
        if lo_d and hi_d and hi_d < lo_d:
            raise _bad(f"{path}.valid", "结束日期早于开始日期")
        pol.valid = (lo_d, hi_d)
    fpt = p.get("basic_fund_pay_type")
    pol.fund_pay_type = (
        _s(fpt, f"{path}.basic_fund_pay_type", _CODE_RE) if fpt is not None else pol.insutype + "100"
    )

    # deductible
    pol.dedc_per, pol.dedc_lv, pol.dedc_nth = None, {}, []
    d = p.get("deductible")
    if d is not None:
        dp = f"{path}.deductible"
        d = _obj(d, dp)
        pol.dedc_per = _enum(_req(d, "per", dp), f"{dp}.per", ("visit", "year"))
        lv = _obj(_req(d, "by_hosp_lv", dp), f"{dp}.by_hosp_lv")
        pol.dedc_lv = {k: _money(x, f"{dp}.by_hosp_lv.{k}") for k, x in lv.items()}
        if d.get("nth_admission") is not None:
            for j, e in enumerate(_list(d["nth_admission"], f"{dp}.nth_admission", nonempty=True)):
                ep = f"{dp}.nth_admission[{j}]"
                e = _obj(e, ep)
                has_f, has_a = e.get("factor") is not None, e.get("amount") is not None
                if has_f == has_a:
                    raise _bad(ep, "必须且只能有 factor（倍数）或 amount（金额）其中之一")
                if has_f:
                    f = _num(e["factor"], f"{ep}.factor")
                    if f < 0 or f > 10:
                        raise _bad(f"{ep}.factor", "必须在 0 到 10 之间")
                    pol.dedc_nth.append(("factor", f))
                else:
                    pol.dedc_nth.append(("amount", _money(e["amount"], f"{ep}.amount")))

    # ratio
    rp = f"{path}.ratio"
    r = _obj(_req(p, "ratio", path), rp)
    has_lv, has_b = r.get("by_hosp_lv") is not None, r.get("bands") is not None
    if has_lv == has_b:
        raise _bad(rp, "必须且只能有 by_hosp_lv（按医院等级）或 bands（分段）其中之一")
    pol.ratio_lv, pol.ratio_bands = None, None
    if has_lv:
        lv = _obj(r["by_hosp_lv"], f"{rp}.by_hosp_lv")
        pol.ratio_lv = {k: _ratio(x, f"{rp}.by_hosp_lv.{k}") for k, x in lv.items()}
    else:
        pol.ratio_bands = _bands(r["bands"], f"{rp}.bands")

    pol.elig_cap = _opt_money(p, "eligible_cap_year", path)
    pol.fund_cap = _opt_money(p, "fund_cap_year", path)

    # cross-region treatment
    pol.xr_allow_unfiled, pol.xr_mode, pol.xr_values = True, "points", {}
    xr = p.get("cross_region")
    if xr is not None:
        xp = f"{path}.cross_region"
        xr = _obj(xr, xp)
        au = xr.get("allow_unfiled")
        if au is not None:
            if type(au) is not bool:
                raise _bad(f"{xp}.allow_unfiled", f"必须是 true 或 false，现在是{_kind(au)}")
            pol.xr_allow_unfiled = au
        if xr.get("mode") is not None:
            pol.xr_mode = _enum(xr["mode"], f"{xp}.mode", ("points", "factor"))
        for cat in ("unfiled", "referral", "emergency"):
            if xr.get(cat) is not None:
                val = _num(xr[cat], f"{xp}.{cat}")
                if val < 0 or (pol.xr_mode == "points" and val > 1) or val > 10:
                    raise _bad(f"{xp}.{cat}", f'取值不合理（"{xr[cat]}"）')
                pol.xr_values[cat] = val

    # layers
    pol.layers = []
    if p.get("layers") is not None:
        seen: set[str] = set()
        for j, ly in enumerate(_list(p["layers"], f"{path}.layers")):
            lp = f"{path}.layers[{j}]"
            ly = _obj(ly, lp)
            L = _Layer()
            L.path = lp
            L.id = _s(_req(ly, "id", lp), f"{lp}.id")
            if L.id in seen:
                raise _bad(f"{lp}.id", f'与前面的分层重复（"{L.id}"）')
            seen.add(L.id)
            L.field = _enum(_req(ly, "field", lp), f"{lp}.field", tuple(FUND_FIELDS[1:]))
            L.fund_pay_type = _s(_req(ly, "fund_pay_type", lp), f"{lp}.fund_pay_type", _CODE_RE)
            L.base = _enum(_req(ly, "base", lp), f"{lp}.base", tuple(_BASE_NAMES))
            per = ly.get("per")
            L.per = "visit" if per is None else _enum(per, f"{lp}.per", ("year", "visit"))
            L.bands = _bands(_req(ly, "bands", lp), f"{lp}.bands")
            L.cap = _opt_money(ly, "cap", lp)
            L.idet = None
            if ly.get("idet") is not None:
                L.idet = frozenset(_str_list(ly["idet"], f"{lp}.idet"))
            pol.layers.append(L)

    pol.account = None
    if p.get("account") is not None:
        ap = f"{path}.account"
        a = _obj(p["account"], ap)
        pol.account = _enum(_req(a, "covers", ap), f"{ap}.covers", ("all", "inscp_only"))

    # 门诊慢特病: per-disease deductible (per year), ratio and annual fund cap
    pol.opsp = None
    if p.get("opsp") is not None:
        op = f"{path}.opsp"
        pol.opsp = {}
        for code, e in _obj(p["opsp"], op).items():
            ep = f"{op}.{code}"
            if not _CODE_RE.fullmatch(code):
                raise _bad(ep, "的键必须是病种编码（opsp_dise_code）")
            e = _obj(e, ep)
            dedc = _opt_money(e, "deductible_year", ep, _Z)
            rr = _obj(_req(e, "ratio", ep), f"{ep}.ratio")
            lv = _obj(_req(rr, "by_hosp_lv", f"{ep}.ratio"), f"{ep}.ratio.by_hosp_lv")
            ratio_lv = {k: _ratio(x, f"{ep}.ratio.by_hosp_lv.{k}") for k, x in lv.items()}
            pol.opsp[code] = (dedc, ratio_lv, _opt_money(e, "fund_cap_year", ep))
    return pol


def _parse(case: object) -> _Parsed:
    if type(case) is not dict:
        raise CaseError(
            "invalid_case", f"结算案例必须是一个 JSON 对象，现在是{_kind(case)}。{_FIX_CASE}", None
        )
    fmt = case.get("format")
    if fmt != FORMAT:
        raise CaseError(
            "invalid_case",
            f'结算案例字段 format 必须是 "{FORMAT}"，现在是{_kind(fmt)}。'
            "请确认文件是本系统导出的结算案例，或升级软件。",
            "format",
        )
    P = _Parsed()

    # visit
    v = _obj(_req(case, "visit", ""), "visit")
    P.mdtrtarea = _s(
        _req(v, "mdtrtarea_admvs", "visit"), "visit.mdtrtarea_admvs", _ADMDVS_RE, "6 位数字区划代码"
    )
    P.hosp_lv = _enum(_req(v, "hosp_lv", "visit"), "visit.hosp_lv", ("1", "2", "3"))
    P.med_type = _s(_req(v, "med_type", "visit"), "visit.med_type", _CODE_RE)
    P.begndate = _date(_req(v, "begndate", "visit"), "visit.begndate")
    filing = v.get("filing")
    P.filing = "none" if filing is None else _enum(filing, "visit.filing", tuple(_FILING))
    oc = v.get("opsp_dise_code")
    P.opsp_code = None if oc in (None, "") else _s(oc, "visit.opsp_dise_code", _CODE_RE)

    # person
    pe = _obj(_req(case, "person", ""), "person")
    P.insuplc = _s(
        _req(pe, "insuplc_admdvs", "person"), "person.insuplc_admdvs", _ADMDVS_RE, "6 位数字区划代码"
    )
    P.insutype = _s(_req(pe, "insutype", "person"), "person.insutype", _CODE_RE)
    P.psn_type = _s(_req(pe, "psn_type", "person"), "person.psn_type", _CODE_RE)
    P.age = None if pe.get("age") is None else _int(pe["age"], "person.age")
    if P.age is not None and P.age > 150:
        raise _bad("person.age", f"不合理（{P.age}）")
    P.idet = (
        frozenset()
        if pe.get("idet") is None
        else frozenset(_str_list(pe["idet"], "person.idet", nonempty=False))
    )
    P.acct_balc = _opt_money(pe, "acct_balc", "person", _Z)
    flag = pe.get("acct_used_flag")
    P.acct_used = False if flag is None else _enum(flag, "person.acct_used_flag", ("0", "1")) == "1"
    ytd = pe.get("ytd")
    ytd = {} if ytd is None else _obj(ytd, "person.ytd")
    P.ytd_dedc = _opt_money(ytd, "dedc_paid", "person.ytd", _Z)
    P.ytd_adm = 0 if ytd.get("admissions") is None else _int(ytd["admissions"], "person.ytd.admissions")
    P.ytd_inscp = _opt_money(ytd, "inscp_amt", "person.ytd", _Z)
    P.ytd_seg = _opt_money(ytd, "seg_amt", "person.ytd", _Z)
    P.ytd_hifp = _opt_money(ytd, "hifp_pay", "person.ytd", _Z)
    P.ytd_layers = {}
    if ytd.get("layers") is not None:
        for lid, acc in _obj(ytd["layers"], "person.ytd.layers").items():
            lp = f"person.ytd.layers.{lid}"
            acc = _obj(acc, lp)
            P.ytd_layers[lid] = (_opt_money(acc, "base_amt", lp, _Z), _opt_money(acc, "paid", lp, _Z))

    P.ytd_opsp = {}
    if ytd.get("opsp") is not None:
        for code, acc in _obj(ytd["opsp"], "person.ytd.opsp").items():
            op = f"person.ytd.opsp.{code}"
            acc = _obj(acc, op)
            P.ytd_opsp[code] = (_opt_money(acc, "dedc_paid", op, _Z), _opt_money(acc, "hifp_pay", op, _Z))

    # catalogue (treatment place): code -> CatalogueEntry
    cat: dict[str, CatalogueEntry] = {}
    for i, e in enumerate(_list(_req(case, "catalog", ""), "catalog")):
        ep = f"catalog[{i}]"
        e = _obj(e, ep)
        code = _s(_req(e, "code", ep), f"{ep}.code")
        if code in cat:
            raise _bad(f"{ep}.code", f'与前面的目录条目重复（"{code}"）')
        lv = _enum(_req(e, "chrgitm_lv", ep), f"{ep}.chrgitm_lv", ("01", "02", "03"))
        sp_raw = e.get("selfpay_prop")
        sp = _Z if sp_raw is None else _ratio(sp_raw, f"{ep}.selfpay_prop")
        lim = e.get("pric_uplmt_amt")
        lim_d = None if lim is None else _num(lim, f"{ep}.pric_uplmt_amt")
        if lim_d is not None and lim_d < 0:
            raise _bad(f"{ep}.pric_uplmt_amt", "不能为负数")
        for k in ("name", "med_chrgitm_type"):
            if e.get(k) is not None and type(e[k]) is not str:
                raise _bad(f"{ep}.{k}", f"必须是字符串，现在是{_kind(e[k])}")
        cat[code] = CatalogueEntry(code, lv, sp, "0" if sp_raw is None else sp_raw, lim_d)
    P.catalog = cat

    # lines (the hot loop: keep it lean; build field paths only on error)
    lines = _list(_req(case, "lines", ""), "lines", nonempty=True)
    parsed_lines = []
    seen_sn: set[str] = set()
    num_re = _NUM_RE.fullmatch
    for i, ln in enumerate(lines):
        if type(ln) is not dict:
            raise _bad(f"lines[{i}]", f"必须是 JSON 对象，现在是{_kind(ln)}")
        sn = ln.get("feedetl_sn")
        if type(sn) is int and sn >= 0:
            # An identifier, not an amount: a HIS that numbers its lines 1, 2, 3 is accepted as "1", "2", "3".
            sn = str(sn)
        if type(sn) is not str or not sn:
            raise _bad(f"lines[{i}].feedetl_sn", f"必须是非空字符串，现在是{_kind(sn)}")
        if sn in seen_sn:
            raise _bad(f"lines[{i}].feedetl_sn", f'与前面的明细重复（"{sn}"）')
        seen_sn.add(sn)
        code = ln.get("code")
        if type(code) is not str or not code:
            raise _bad(f"lines[{i}].code", f"必须是非空字符串，现在是{_kind(code)}")
        cnt = ln.get("cnt")
        if type(cnt) is not str or not num_re(cnt):
            _num(cnt, f"lines[{i}].cnt")
        cnt_d = Decimal(cnt)
        if cnt_d <= 0:
            raise _bad(f"lines[{i}].cnt", f'必须大于 0（v1 不支持退费/负数量），现在是"{cnt}"')
        pric = ln.get("pric")
        if type(pric) is not str or not num_re(pric):
            _num(pric, f"lines[{i}].pric")
        pric_d = Decimal(pric)
        if pric_d <= 0:
            raise _bad(f"lines[{i}].pric", f'必须大于 0，现在是"{pric}"')
        amt = ln.get("det_item_fee_sumamt")
        if amt is None:
            amt_d = (cnt_d * pric_d).quantize(_C2, _HALF_UP)
            if amt_d <= 0:
                raise _bad(f"lines[{i}]", f"金额（数量 × 单价 = {cnt} × {pric}）四舍五入到分后为 0")
            if amt_d >= _MAX_AMOUNT:
                raise _bad(f"lines[{i}]", "金额过大")
        else:
            amt_d = _money(amt, f"lines[{i}].det_item_fee_sumamt", positive=True)
        parsed_lines.append((sn, code, cnt_d, pric_d, amt_d))
    P.lines = parsed_lines

    P.policies = [_parse_policy(p, i) for i, p in enumerate(_list(_req(case, "policies", ""), "policies"))]

    P.zones = []
    if case.get("zones") is not None:
        for i, z in enumerate(_list(case["zones"], "zones")):
            zp = f"zones[{i}]"
            z = _obj(z, zp)
            name = z.get("name")
            name = f"zones[{i}]" if name is None else _s(name, f"{zp}.name")
            members = frozenset(_str_list(_req(z, "members", zp), f"{zp}.members", _ADMDVS_RE))
            frm = None if z.get("from") is None else _date(z["from"], f"{zp}.from")
            to = None if z.get("to") is None else _date(z["to"], f"{zp}.to")
            mts = (
                None
                if z.get("med_types") is None
                else frozenset(_str_list(z["med_types"], f"{zp}.med_types"))
            )
            P.zones.append((name, members, frm, to, mts))

    P.pools = {}
    if case.get("pools") is not None:
        for k, val in _obj(case["pools"], "pools").items():
            if not _ADMDVS_RE.fullmatch(k):
                raise _bad(f"pools.{k}", "的键必须是 6 位数字区划代码")
            P.pools[k] = _s(val, f"pools.{k}")
    return P


# --------------------------------------------------------------------------------------------------
# JSON loading


def _no_dup_keys(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set = set()
        for k, _ in pairs:
            if k in seen:
                raise CaseError(
                    "invalid_case", f'结算案例 JSON 中字段 "{k}" 在同一对象里重复出现。{_FIX_CASE}', k
                )
            seen.add(k)
    return d


def _reject_constant(name: str) -> object:
    raise CaseError(
        "invalid_case", f"结算案例 JSON 含有非法数值 {name}（金额必须是十进制数字字符串）。{_FIX_CASE}"
    )


def _parse_json(data: str | bytes | bytearray) -> object:
    if isinstance(data, bytes | bytearray):
        if len(data) > _MAX_BYTES:
            raise CaseError(
                "invalid_case",
                f"结算案例文件过大（超过 {_MAX_BYTES // 1024 // 1024} MB），不是有效的结算案例。",
            )
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CaseError(
                "invalid_case",
                f"结算案例文件不是 UTF-8 编码的文本（第 {exc.start + 1} 个字节无法解码），可能已损坏或不是结算案例。"
                "请重新导出后重试。",
            ) from None
    elif isinstance(data, str):
        text = data[1:] if data.startswith("\ufeff") else data
        if len(text) > _MAX_BYTES:
            raise CaseError("invalid_case", "结算案例文件过大，不是有效的结算案例。")
    else:
        raise CaseError("invalid_case", f"结算案例必须是 JSON 文本，现在是{_kind(data)}。")
    if not text.strip():
        raise CaseError("invalid_case", f"结算案例文件是空的。{_FIX_CASE}")
    try:
        return json.loads(text, object_pairs_hook=_no_dup_keys, parse_constant=_reject_constant)
    except CaseError:
        raise
    except json.JSONDecodeError as exc:
        raise CaseError(
            "invalid_case",
            f"结算案例不是合法的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近有错误），文件可能不完整或已损坏。"
            "请重新导出后重试。",
        ) from None
    except RecursionError:
        raise CaseError("invalid_case", "结算案例 JSON 嵌套层数过深，不是有效的结算案例。") from None
    except (ValueError, OverflowError) as exc:
        raise CaseError("invalid_case", f"结算案例 JSON 无法解析（{exc}）。{_FIX_CASE}") from None


def load_case(text_or_bytes: str | bytes | bytearray) -> dict:
    """Parse a case document (UTF-8 bytes or text) and validate the whole of it.

    Returns the parsed dict; raises ``CaseError`` (code ``invalid_case``) on anything malformed.
    """
    case = _parse_json(text_or_bytes)
    validate_case(case)
    return case  # type: ignore[return-value]


def validate_case(case: object) -> None:
    """Validate a case dict without settling it (raises ``CaseError``), in the same decimal context
    as :func:`settle` — so an amount too large is the same CaseError, never a decimal signal."""
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.rounding = _HALF_UP
        _parse(case)


# --------------------------------------------------------------------------------------------------
# computation: shared/spec/settlement-case.md "Semantics", one function per step, in its order.
# Each step returns what it computed together with the trace sentences that explain it. Step results
# are made once per settlement and read once, so they are plain slotted dataclasses (a frozen one
# costs ~1.5 µs more to build, measurable on a 20-line outpatient bill).


def _f(d: Decimal) -> str:
    return format(d, "f")


def _m(d: Decimal) -> str:
    """Format a computed money value (already at 0.01) for output."""
    d = d.quantize(_C2, _HALF_UP)
    return format(d if d else _Z, "f")


def _rounded(amount: Decimal) -> Decimal:
    """Semantics 6, Rounding: a computed fund amount (a layer's total over its bands, a line's
    preselfpay or over-limit part, a deductible factor) is rounded half-up to 0.01 once, when it is
    computed. Everything else is a sum or difference of such values, so the parts add up."""
    return amount.quantize(_C2, _HALF_UP)


def _remaining(limit: Decimal, used: Decimal) -> Decimal:
    """What is left of ``limit`` once ``used`` is taken off, floored at 0."""
    room = limit - used
    return _Z if room < 0 else room


@dataclass(slots=True)
class Capped:
    """An amount held to what is left of a yearly cap (see ``cap``)."""

    amount: Decimal  # min(amount asked, room)
    room: Decimal  # cap − used this year, floored at 0
    binding: bool  # the cap cut the amount


def cap(amount: Decimal, limit: Decimal, used: Decimal) -> Capped:
    """``amount`` limited by a yearly cap ``limit`` of which ``used`` is already spent:
    ``min(amount, max(0, limit − used))``. Used for ``eligible_cap_year``, ``fund_cap_year`` and
    each layer's ``cap``."""
    room = _remaining(limit, used)
    if amount > room:
        return Capped(room, room, True)
    return Capped(amount, room, False)


_BandPart = tuple[Decimal, Decimal | None, Decimal, Decimal, Decimal]  # (from, to, ratio, portion, pay)


def _band_walk(
    start: Decimal, length: Decimal, bands: list[tuple[Decimal, Decimal | None, Decimal]]
) -> tuple[Decimal, list[_BandPart], Decimal | None]:
    """Pay ``length`` placed at ``start`` on a banded axis.

    Returns (unrounded total, [(from, to, ratio, portion, pay)], ratio of the last band reached).
    """
    end = start + length
    total = Decimal(0)
    parts = []
    last = None
    for lo, hi, r in bands:
        a = lo if lo > start else start
        b = end if hi is None or hi > end else hi
        if b > a:
            portion = b - a
            pay = portion * r
            total += pay
            parts.append((lo, hi, r, portion, pay))
            last = r
    if last is None:  # nothing placed on the axis: the band the position sits in
        for lo, hi, r in bands:
            if lo <= start and (hi is None or start < hi):
                last = r
    return total, parts, last


def _band_sentence(part: _BandPart) -> str:
    lo, hi, r, portion, pay = part
    return f"  分段 {_m(lo)}–{_m(hi) if hi is not None else '以上'}：{_m(portion)} × {_f(r)} = {_f(pay)}。"


def _band_note(part: _BandPart) -> str:
    """One band in a ``setl_proc_info``."""
    lo, hi, r, portion, _pay = part
    return f"{_m(lo)}-{_m(hi) if hi is not None else ''}段{_m(portion)}×{_f(r)}"


# ---------------------------------------------------------------------------- the insured place's rule


@dataclass(slots=True)
class PolicyChoice:
    policy: _Policy
    trace: tuple[str, ...]


def select_policy(P: _Parsed) -> PolicyChoice:
    """``policies``: the first rule whose selectors all match is used (else ``no_policy``)."""
    skipped = []
    for pol in P.policies:
        why = None
        if pol.insuplc != P.insuplc:
            why = f"参保地 {pol.insuplc} ≠ {P.insuplc}"
        elif pol.insutype != P.insutype:
            why = f"险种 {pol.insutype} ≠ {P.insutype}"
        elif P.med_type not in pol.med_types:
            why = f"医疗类别 {P.med_type} 不在 {'/'.join(sorted(pol.med_types))} 内"
        elif pol.psn_types is not None and P.psn_type not in pol.psn_types:
            why = f"人员类别 {P.psn_type} 不在 {'/'.join(sorted(pol.psn_types))} 内"
        elif pol.age is not None:
            lo, hi = pol.age
            if P.age is None:
                why = "政策限定年龄而人员信息没有年龄"
            elif (lo is not None and P.age < lo) or (hi is not None and P.age > hi):
                why = f"年龄 {P.age} 不在 {lo if lo is not None else ''}–{hi if hi is not None else ''} 岁范围内"
        if why is None and pol.valid is not None:
            lo_d, hi_d = pol.valid
            if (lo_d and P.begndate < lo_d) or (hi_d and P.begndate > hi_d):
                why = (
                    f"就诊日期 {P.begndate.isoformat()} 不在有效期 "
                    f"{lo_d.isoformat() if lo_d else '…'} 至 {hi_d.isoformat() if hi_d else '…'} 内"
                )
        if why is not None:
            skipped.append(f"跳过政策 {pol.id}（policies[{pol.idx}]）：{why}。")
            continue
        sel = [f"参保地 {pol.insuplc}", f"险种 {pol.insutype}", f"医疗类别 {P.med_type}"]
        sel.append("人员类别不限" if pol.psn_types is None else f"人员类别 {P.psn_type}")
        if pol.age is not None:
            sel.append(
                f"年龄 {P.age} 在 {pol.age[0] if pol.age[0] is not None else ''}–"
                f"{pol.age[1] if pol.age[1] is not None else ''} 岁内"
            )
        if pol.valid is not None:
            sel.append(f"就诊日期 {P.begndate.isoformat()} 在有效期内")
        chosen = (
            f"适用参保地政策 {pol.id}（policies[{pol.idx}]）：按顺序第一条全部条件匹配的规则（{'、'.join(sel)}）。"
        )
        return PolicyChoice(pol, (*skipped, chosen))
    raise CaseError(
        "no_policy",
        f"没有适用的参保地政策（参保地 {P.insuplc}、险种 {P.insutype}、医疗类别 {P.med_type}、"
        f"人员类别 {P.psn_type}、就诊日期 {P.begndate.isoformat()}）。"
        "请联系信息科更新参保地政策包；更新前不能进行医保结算。",
    )


def opsp_view(P: _Parsed, pol: _Policy, choice: PolicyChoice) -> tuple[_Parsed, _Policy, PolicyChoice]:
    """门诊慢特病 (med_type 14) under a policy with ``opsp``: the visit's ``opsp_dise_code`` selects the
    disease's rule, which replaces the policy's deductible (per year, against
    ``ytd.opsp[code].dedc_paid``), ratio (by hospital level) and ``fund_cap_year`` (against
    ``ytd.opsp[code].hifp_pay``); ``eligible_cap_year`` does not apply. Everything else (line split,
    cross-region reduction, layers, account) stays the policy's. A policy without ``opsp`` settles
    med_type 14 like any outpatient visit (unchanged). A missing or uncovered disease: ``opsp_not_covered``."""
    if P.med_type != "14" or pol.opsp is None:
        return P, pol, choice
    if P.opsp_code is None:
        raise CaseError(
            "invalid_case",
            f"门诊慢特病（医疗类别 14）结算缺少病种编码 visit.opsp_dise_code（政策 {pol.id} 按病种计算）。{_FIX_CASE}",
            "visit.opsp_dise_code",
        )
    if P.opsp_code not in pol.opsp:
        raise CaseError(
            "opsp_not_covered",
            f"参保地政策 {pol.id} 没有病种 {P.opsp_code} 的门诊慢特病待遇，不能按慢特病结算。{_FIX_POLICY}",
            "visit.opsp_dise_code",
        )
    dedc, ratio_lv, fund_cap = pol.opsp[P.opsp_code]
    q = copy.copy(pol)
    q.dedc_per, q.dedc_lv, q.dedc_nth = "year", {lv: dedc for lv in ("1", "2", "3")}, []
    q.ratio_lv, q.ratio_bands = ratio_lv, None
    q.elig_cap, q.fund_cap = None, fund_cap
    v = copy.copy(P)
    v.ytd_dedc, v.ytd_hifp = P.ytd_opsp.get(P.opsp_code, (_Z, _Z))
    note = (
        f"门诊慢特病病种 {P.opsp_code}：按政策 opsp.{P.opsp_code} 计算（年度起付线 {_m(dedc)}，"
        f"比例按医院等级，年度统筹限额 {'不限' if fund_cap is None else _m(fund_cap)}），"
        "累计值取该病种本年累计（person.ytd.opsp），不计普通门诊累计。"
    )
    return v, q, PolicyChoice(choice.policy, (*choice.trace, note))


# ---------------------------------------------------------------------------- 1. line split


@dataclass(slots=True)
class LineSplit:
    """Semantics 1: every line split against the treatment-place catalogue, and the visit totals."""

    lines: list[dict]  # the output rows
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    medfee_sumamt: Decimal
    trace: tuple[str, ...]


def split_lines(P: _Parsed) -> LineSplit:
    """Not in the catalogue or class C (丙类) → the whole amount is fulamt_ownpay_amt. Otherwise
    overlmt_amt = min(amount, round((pric − pric_uplmt_amt) × cnt)) when pric exceeds the limit,
    base = amount − overlmt_amt, preselfpay_amt = round(base × selfpay_prop),
    inscp_scp_amt = base − preselfpay_amt. Visit totals are sums of line values."""
    catalogue = P.catalog
    rows = []
    fulamt = overlmt = pre = inscp = Decimal(0)
    n_lv = {ChrgitmLv.CLASS_A.code: 0, ChrgitmLv.CLASS_B.code: 0, _CLASS_C: 0, None: 0}
    n_over = 0
    zero_s = "0.00"
    for sn, code, cnt, pric, amt in P.lines:  # the hot loop: keep it lean
        entry = catalogue.get(code)
        amt_s = format(amt, "f")
        if entry is None or entry.chrgitm_lv == _CLASS_C:
            fulamt += amt
            lv = None if entry is None else _CLASS_C
            n_lv[lv] += 1
            rows.append({
                "feedetl_sn": sn, "det_item_fee_sumamt": amt_s, "chrgitm_lv": lv,
                "selfpay_prop": "0" if entry is None else entry.selfpay_prop_text,
                "fulamt_ownpay_amt": amt_s, "overlmt_amt": zero_s, "preselfpay_amt": zero_s,
                "inscp_scp_amt": zero_s,
            })  # fmt: skip
            continue
        lv = entry.chrgitm_lv
        n_lv[lv] += 1
        limit = entry.pric_uplmt_amt
        if limit is not None and pric > limit:
            ov = _rounded((pric - limit) * cnt)
            if ov > amt:
                ov = amt
            n_over += 1
        else:
            ov = _Z
        base = amt - ov
        sp = entry.selfpay_prop
        ps = _rounded(base * sp) if sp else _Z
        ins = base - ps
        overlmt += ov
        pre += ps
        inscp += ins
        rows.append({
            "feedetl_sn": sn, "det_item_fee_sumamt": amt_s, "chrgitm_lv": lv,
            "selfpay_prop": entry.selfpay_prop_text,
            "fulamt_ownpay_amt": zero_s, "overlmt_amt": format(ov, "f"),
            "preselfpay_amt": format(ps, "f"), "inscp_scp_amt": format(ins, "f"),
        })  # fmt: skip
    medfee = fulamt + overlmt + pre + inscp
    said = (
        f"明细 {len(P.lines)} 条按就医地目录分解：甲类 {n_lv['01']} 条、乙类 {n_lv['02']} 条、丙类 {n_lv['03']} 条、"
        f"目录外 {n_lv[None]} 条、超限价 {n_over} 条。医疗费总额 {_m(medfee)} = 全自费 {_m(fulamt)}"
        f" + 超限价自费 {_m(overlmt)} + 先行自付 {_m(pre)} + 符合范围 {_m(inscp)}。"
    )
    return LineSplit(rows, fulamt, overlmt, pre, inscp, medfee, (said,))


# ---------------------------------------------------------------------------- 2. category


@dataclass(slots=True)
class Category:
    """Semantics 2: ``local``, ``zone_exempt``, ``filed``, ``referral``, ``emergency`` or ``unfiled``."""

    code: str
    trace: tuple[str, ...]


_REDUCED = ("referral", "emergency", "unfiled")  # the categories cross_region reductions apply to


def categorise(P: _Parsed, pol: _Policy) -> Category:
    """``local`` (same region or same pool) → ``zone_exempt`` → by ``filing``. An ``unfiled`` visit
    the insured place does not allow (``cross_region.allow_unfiled: false``) is refused
    (``filing_required``)."""
    if P.mdtrtarea == P.insuplc:
        return Category("local", (f"就医类别：本地就医（就医地与参保地均为 {P.insuplc}）。",))
    pa, pb = P.pools.get(P.mdtrtarea, P.mdtrtarea), P.pools.get(P.insuplc, P.insuplc)
    if pa == pb:
        return Category(
            "local", (f"就医类别：本地就医（就医地 {P.mdtrtarea} 与参保地 {P.insuplc} 同属统筹区 {pa}）。",)
        )
    for name, members, frm, to, mts in P.zones:
        if (
            P.mdtrtarea in members
            and P.insuplc in members
            and (frm is None or P.begndate >= frm)
            and (to is None or P.begndate <= to)
            and (mts is None or P.med_type in mts)
        ):
            said = (
                f"就医类别：示范区免备案（参保地 {P.insuplc} 与就医地 {P.mdtrtarea} 同属“{name}”，"
                f"医疗类别 {P.med_type}，就诊日期 {P.begndate.isoformat()} 不早于 "
                f"{frm.isoformat() if frm else '…'}），无需备案、不降低待遇。"
            )
            return Category("zone_exempt", (said,))
    code = _FILING[P.filing]
    if code == "unfiled" and not pol.xr_allow_unfiled:
        raise CaseError(
            "filing_required",
            f"参保地（{P.insuplc}）要求异地就医先备案：本次在 {P.mdtrtarea} 就医未备案，不能直接结算。"
            "请患者通过国家医保服务平台 App 或参保地经办机构办理异地就医备案后再结算，或按全自费处理。",
        )
    said = (
        f"就医类别：{CATEGORY_NAMES[code]}（参保地 {P.insuplc}，就医地 {P.mdtrtarea}，"
        f'不同统筹区且不适用免备案，备案状态 filing="{P.filing}"）。'
    )
    return Category(code, (said,))


# ---------------------------------------------------------------------------- 3. basic layer


@dataclass(slots=True)
class BasicLayer:
    """Semantics 3: the basic fund (统筹基金) of this visit."""

    eligible: Decimal  # in-scope amount entering the basic layer (after eligible_cap_year)
    act_pay_dedc: Decimal
    segment: Decimal  # eligible − act_pay_dedc
    hifp_pay: Decimal
    pool_prop_selfpay: Decimal  # the ratio applied (for bands, of the last band reached), 4 decimals
    setldetail: tuple[dict, ...]  # the basic fund's row, when it paid
    trace: tuple[str, ...]


def basic_layer(P: _Parsed, pol: _Policy, category: str, split: LineSplit) -> BasicLayer:
    """eligible (after ``eligible_cap_year``), act_pay_dedc = min(eligible, deductible),
    segment = eligible − act_pay_dedc, hifp_pay = segment × (reduced) ratio(s), then
    ``fund_cap_year``."""
    trace: list[str] = []
    eligible = _eligible(P, pol, split.inscp_scp_amt, trace)
    deductible = _deductible(P, pol, trace)
    dedc = eligible if eligible < deductible else deductible
    segment = eligible - dedc
    trace.append(
        f"本次实付起付线 = min({_m(eligible)}, {_m(deductible)}) = {_m(dedc)}；进入统筹段 {_m(segment)}。"
    )
    reduction = _reduction(pol, category)
    if pol.ratio_lv is not None:
        hifp_calc, applied, notes = _ratio_by_hosp_lv(P, pol, segment, reduction, trace)
    else:
        hifp_calc, applied, notes = _ratio_bands(P, pol, segment, reduction, trace)
    hifp = _fund_cap(P, pol, hifp_calc, trace)
    rows: tuple[dict, ...] = ()
    if hifp > 0:
        rows = ({
            "fund_pay_type": pol.fund_pay_type, "inscp_scp_amt": _m(eligible), "fund_payamt": _m(hifp),
            "setl_proc_info": f"起付线{_m(dedc)}；统筹段{_m(segment)}；" + "，".join(notes)
            + (f"；年度限额封顶{_m(hifp)}" if hifp != hifp_calc else ""),
        },)  # fmt: skip
    return BasicLayer(eligible, dedc, segment, hifp, applied.quantize(_C4, _HALF_UP), rows, tuple(trace))


def _eligible(P: _Parsed, pol: _Policy, inscp: Decimal, trace: list[str]) -> Decimal:
    """eligible = min(inscp, eligible_cap_year − ytd.inscp_amt), floored at 0; no cap → inscp."""
    if pol.elig_cap is None:
        return inscp
    c = cap(inscp, pol.elig_cap, P.ytd_inscp)
    trace.append(
        f"年度符合范围封顶 {_m(pol.elig_cap)}，本年已计 {_m(P.ytd_inscp)}，剩余 {_m(c.room)}；"
        f"本次进入基本统筹的金额 = min({_m(inscp)}, {_m(c.room)}) = {_m(c.amount)}。"
    )
    return c.amount


def _deductible(P: _Parsed, pol: _Policy, trace: list[str]) -> Decimal:
    """The deductible standard for this visit: per visit (``nth_admission[i]`` for the admission
    with ytd.admissions == i, the last entry repeating) or per year (minus ytd.dedc_paid, floored
    at 0); none → 0."""
    if pol.dedc_per is None:
        trace.append("政策未设起付线，起付标准为 0。")
        return _Z
    if P.hosp_lv not in pol.dedc_lv:
        raise _bad(
            f"policies[{pol.idx}].deductible.by_hosp_lv.{P.hosp_lv}",
            f"缺失：政策没有 {P.hosp_lv} 级医院的起付线",
        )
    std = pol.dedc_lv[P.hosp_lv]
    if pol.dedc_per == "year":
        left = _remaining(std, P.ytd_dedc)
        trace.append(f"起付线按年度计算：标准 {_m(std)}，本年已付起付线 {_m(P.ytd_dedc)}，剩余 {_m(left)}。")
        return left
    if not pol.dedc_nth:
        trace.append(f"起付线按次计算：{P.hosp_lv} 级医院标准 {_m(std)}。")
        return std
    k = P.ytd_adm if P.ytd_adm < len(pol.dedc_nth) else len(pol.dedc_nth) - 1
    kind, val = pol.dedc_nth[k]
    if kind == "factor":
        dedc = _rounded(std * val)
        how = f"标准 {_m(std)} × 系数 {_f(val)} = {_m(dedc)}"
    else:
        dedc = val
        how = f"改为固定金额 {_m(val)}"
    trace.append(
        f"起付线按次计算：{P.hosp_lv} 级医院标准 {_m(std)}；本年此前住院 {P.ytd_adm} 次，"
        f"本次为第 {P.ytd_adm + 1} 次，适用 nth_admission[{k}]：{how}。"
    )
    return dedc


@dataclass(slots=True)
class _Reduction:
    apply: Callable[[Decimal], Decimal]  # basic ratio → ratio applied
    words: str  # how the trace says it


def _unreduced(r: Decimal) -> Decimal:
    return r


def _reduction(pol: _Policy, category: str) -> _Reduction:
    """The cross-region reduction of every basic ratio (never of layers): ``points`` subtracts the
    value (floored at 0), ``factor`` multiplies by it (at most 1). Only ``referral``,
    ``emergency`` and ``unfiled`` visits are reduced, by ``cross_region[category]`` if given."""
    red = pol.xr_values.get(category) if category in _REDUCED else None
    if red is None:
        if category in _REDUCED:
            return _Reduction(_unreduced, f"参保地政策对{CATEGORY_NAMES[category]}未规定降低比例")
        return _Reduction(_unreduced, f"{CATEGORY_NAMES[category]}不降低比例")
    if pol.xr_mode == "points":

        def minus(r: Decimal) -> Decimal:
            x = r - red
            return x if x > 0 else Decimal(0)

        return _Reduction(minus, f"异地{CATEGORY_NAMES[category][2:]}按参保地规定每档比例降低 {_f(red)}（points）")

    def times(r: Decimal) -> Decimal:
        x = r * red
        return _ONE if x > 1 else x

    return _Reduction(times, f"异地{CATEGORY_NAMES[category][2:]}按参保地规定每档比例乘以 {_f(red)}（factor）")


def _ratio_by_hosp_lv(
    P: _Parsed, pol: _Policy, segment: Decimal, reduction: _Reduction, trace: list[str]
) -> tuple[Decimal, Decimal, list[str]]:
    """hifp_pay = round(segment × reduced ratio of the hospital level). Returns (hifp, ratio, notes)."""
    if P.hosp_lv not in pol.ratio_lv:
        raise _bad(
            f"policies[{pol.idx}].ratio.by_hosp_lv.{P.hosp_lv}",
            f"缺失：政策没有 {P.hosp_lv} 级医院的支付比例",
        )
    r0 = pol.ratio_lv[P.hosp_lv]
    applied = reduction.apply(r0)
    raw = segment * applied
    hifp = _rounded(raw)
    trace.append(
        f"基本统筹支付比例：{P.hosp_lv} 级医院 {_f(r0)}；{reduction.words}，实际比例 {_f(applied)}。"
        f"统筹基金 = {_m(segment)} × {_f(applied)} = {_f(raw)}，四舍五入为 {_m(hifp)}。"
    )
    return hifp, applied, [f"比例{_f(applied)}"]


def _ratio_bands(
    P: _Parsed, pol: _Policy, segment: Decimal, reduction: _Reduction, trace: list[str]
) -> tuple[Decimal, Decimal, list[str]]:
    """The segment placed after ytd.seg_amt on the year's co-pay axis; each band pays its overlap
    × its reduced ratio; hifp_pay = round(Σ). Returns (hifp, ratio of the last band reached, notes)."""
    bands = [(lo, hi, reduction.apply(r)) for lo, hi, r in pol.ratio_bands]
    raw, parts, last = _band_walk(P.ytd_seg, segment, bands)
    applied = last if last is not None else Decimal(0)
    hifp = _rounded(raw)
    trace.append(
        f"基本统筹按年度累计分段计付：本年此前统筹段累计 {_m(P.ytd_seg)}，本次 {_m(segment)} 位于 "
        f"{_m(P.ytd_seg)}–{_m(P.ytd_seg + segment)}；{reduction.words}。"
    )
    trace.extend(_band_sentence(part) for part in parts)
    trace.append(f"基本统筹合计 {_f(raw)}，四舍五入为 {_m(hifp)}；最后到达分段的比例 {_f(applied)}。")
    return hifp, applied, [_band_note(part) for part in parts]


def _fund_cap(P: _Parsed, pol: _Policy, hifp: Decimal, trace: list[str]) -> Decimal:
    """hifp_pay = min(hifp_pay, fund_cap_year − ytd.hifp_pay), floored at 0; no cap → unchanged."""
    if pol.fund_cap is None:
        return hifp
    c = cap(hifp, pol.fund_cap, P.ytd_hifp)
    if c.binding:
        trace.append(
            f"年度统筹基金最高支付限额 {_m(pol.fund_cap)}，本年已支付 {_m(P.ytd_hifp)}，剩余 {_m(c.room)}："
            f"本次统筹基金由 {_m(hifp)} 封顶为 {_m(c.amount)}。"
        )
    else:
        trace.append(
            f"年度统筹基金最高支付限额 {_m(pol.fund_cap)}，本年已支付 {_m(P.ytd_hifp)}，剩余 {_m(c.room)}，未封顶。"
        )
    return c.amount


# ---------------------------------------------------------------------------- 4. layers


@dataclass(slots=True)
class Layers:
    """Semantics 4: what the policy's extra layers paid, by output field."""

    paid: dict[str, Decimal]  # cvlserv_pay … oth_pay (several layers may feed one field)
    setldetail: tuple[dict, ...]  # one row per layer that paid
    trace: tuple[str, ...]


def layers(P: _Parsed, pol: _Policy, split: LineSplit, basic: BasicLayer) -> Layers:
    """The policy's layers in order after the basic layer. A layer with ``idet`` applies only to a
    person with one of those labels. Its base is ``inscp_remaining`` (inscp − fund payments so
    far), ``inscp_preselfpay_remaining`` (inscp + preselfpay − …) or ``all_remaining`` (medfee −
    …), floored at 0; ``per: "year"`` places it after ytd.layers[id].base_amt on the band axis,
    ``"visit"`` at 0; pay = round(Σ bands), then the layer's yearly ``cap`` (minus
    ytd.layers[id].paid)."""
    paid = dict.fromkeys(FUND_FIELDS[1:], _Z)
    rows: list[dict] = []
    trace: list[str] = []
    so_far = basic.hifp_pay  # all fund payments so far in this settlement
    for L in pol.layers:
        name = f"{_FIELD_NAMES[L.field]}分层 {L.id}（{L.field}，{L.fund_pay_type}）"
        if L.idet is not None and not (L.idet & P.idet):
            trace.append(
                f"{name}：仅适用于身份 {'/'.join(sorted(L.idet))}，本人身份 "
                f"{'/'.join(sorted(P.idet)) if P.idet else '无标识'}，不适用。"
            )
            continue
        if L.base == "inscp_remaining":
            total_base = split.inscp_scp_amt
        elif L.base == "inscp_preselfpay_remaining":
            total_base = split.inscp_scp_amt + split.preselfpay_amt
        else:
            total_base = split.medfee_sumamt
        base = _remaining(total_base, so_far)
        ytd_base, ytd_paid = P.ytd_layers.get(L.id, (_Z, _Z))
        start = ytd_base if L.per == "year" else _Z
        raw, parts, _ = _band_walk(start, base, L.bands)
        pay_calc = _rounded(raw)
        trace.append(
            f"{name}：计算基数 = {_BASE_NAMES[L.base]} = {_m(total_base)} − {_m(so_far)} = {_m(base)}；"
            + (f"按年度累计，本年此前基数 {_m(ytd_base)}，本次位于 {_m(start)}–{_m(start + base)}。"
               if L.per == "year" else f"按次计算，本次位于 0.00–{_m(base)}。")
        )  # fmt: skip
        trace.extend(_band_sentence(part) for part in parts)
        pay = pay_calc
        cap_txt = ""
        if L.cap is not None:
            c = cap(pay_calc, L.cap, ytd_paid)
            pay = c.amount
            if c.binding:
                cap_txt = f"；年度限额 {_m(L.cap)}，本年已支付 {_m(ytd_paid)}，封顶为 {_m(pay)}"
            else:
                cap_txt = f"；年度限额 {_m(L.cap)}，本年已支付 {_m(ytd_paid)}，未封顶"
        trace.append(f"  {name}合计 {_f(raw)}，四舍五入为 {_m(pay_calc)}{cap_txt}；本层支付 {_m(pay)}。")
        paid[L.field] += pay
        so_far += pay
        if pay > 0:
            rows.append({
                "fund_pay_type": L.fund_pay_type, "inscp_scp_amt": _m(base), "fund_payamt": _m(pay),
                "setl_proc_info": f"{L.id}：基数{_m(base)}（{L.base}，{'年度累计' if L.per == 'year' else '按次'}）；"
                + "，".join(_band_note(part) for part in parts)
                + (f"；封顶{_m(pay)}" if pay != pay_calc else ""),
            })  # fmt: skip
    return Layers(paid, tuple(rows), tuple(trace))


# ---------------------------------------------------------------------------- 5. totals


@dataclass(slots=True)
class Totals:
    """Semantics 5: the fund total, the personal burden and how it is paid, and the invoice split."""

    funds: dict[str, Decimal]  # hifp_pay, cvlserv_pay … oth_pay
    fund_pay_sumamt: Decimal
    psn_part_amt: Decimal
    acct_pay: Decimal
    psn_cash_pay: Decimal
    balc: Decimal
    self_cost: Decimal  # 个人自费
    self_pay: Decimal  # 个人自付
    trace: tuple[str, ...]


def totals(P: _Parsed, pol: _Policy, split: LineSplit, basic: BasicLayer, extra: Layers) -> Totals:
    """fund_pay_sumamt = hifp_pay + every layer field; hosp_part_amt = 0; psn_part_amt = medfee −
    fund_pay_sumamt − hosp_part_amt; acct_pay = min(acct_balc, coverable) when acct_used_flag is "1"
    and the policy has ``account``; psn_cash_pay = psn_part_amt − acct_pay; balc = acct_balc −
    acct_pay. Invoice: self_cost = min(psn_part_amt, fulamt_ownpay_amt + overlmt_selfpay),
    self_pay = psn_part_amt − self_cost."""
    medfee = split.medfee_sumamt
    funds = {"hifp_pay": basic.hifp_pay, **extra.paid}
    fund_sum = sum(funds.values(), _Z)
    psn_part = medfee - fund_sum
    self_cost_cap = split.fulamt_ownpay_amt + split.overlmt_selfpay
    self_cost = psn_part if psn_part < self_cost_cap else self_cost_cap
    self_pay = psn_part - self_cost
    trace = [
        f"基金支付合计 {_m(fund_sum)}；个人负担 = 医疗费总额 {_m(medfee)} − 基金支付 {_m(fund_sum)} − 医院负担 0.00 = {_m(psn_part)}"
        f"（其中个人自费 {_m(self_cost)}、个人自付 {_m(self_pay)}）。"
    ]
    acct_pay = _Z
    if not P.acct_used:
        trace.append(f"个人账户：本次不使用（acct_used_flag=0），账户余额 {_m(P.acct_balc)} 不变。")
    elif pol.account is None:
        trace.append(f"个人账户：参保地政策未允许本类就医使用个人账户，余额 {_m(P.acct_balc)} 不变。")
    else:
        if pol.account == "all":
            cover = psn_part
            cov_txt = "可支付全部个人负担"
        else:
            cover = self_pay
            cov_txt = "仅可支付个人自付部分（不含全自费和超限价自费）"
        acct_pay = P.acct_balc if P.acct_balc < cover else cover
        trace.append(
            f"个人账户{cov_txt}：可支付 {_m(cover)}，余额 {_m(P.acct_balc)}，本次账户支付 {_m(acct_pay)}。"
        )
    cash = psn_part - acct_pay
    balc = P.acct_balc - acct_pay
    trace.append(f"现金支付 = {_m(psn_part)} − {_m(acct_pay)} = {_m(cash)}；账户余额 {_m(balc)}。")
    return Totals(funds, fund_sum, psn_part, acct_pay, cash, balc, self_cost, self_pay, tuple(trace))


# ---------------------------------------------------------------------------- output


def _document(
    choice: PolicyChoice, category: Category, split: LineSplit, basic: BasicLayer, extra: Layers, total: Totals
) -> dict:
    """The output document of the spec (money as two-decimal strings)."""
    setlinfo = {
        "medfee_sumamt": _m(split.medfee_sumamt),
        "fulamt_ownpay_amt": _m(split.fulamt_ownpay_amt),
        "overlmt_selfpay": _m(split.overlmt_selfpay),
        "preselfpay_amt": _m(split.preselfpay_amt),
        "inscp_scp_amt": _m(split.inscp_scp_amt),
        "act_pay_dedc": _m(basic.act_pay_dedc),
        "hifp_pay": _m(basic.hifp_pay),
        "pool_prop_selfpay": _f(basic.pool_prop_selfpay),
    }
    for k in FUND_FIELDS[1:]:
        setlinfo[k] = _m(total.funds[k])
    setlinfo.update(
        fund_pay_sumamt=_m(total.fund_pay_sumamt),
        psn_part_amt=_m(total.psn_part_amt),
        acct_pay=_m(total.acct_pay),
        psn_cash_pay=_m(total.psn_cash_pay),
        hosp_part_amt="0.00",
        balc=_m(total.balc),
    )
    return {
        "category": category.code,
        "policy_id": choice.policy.id,
        "setlinfo": setlinfo,
        "setldetail": [*basic.setldetail, *extra.setldetail],
        "lines": split.lines,
        "invoice": {"self_cost": _m(total.self_cost), "self_pay": _m(total.self_pay)},
        # The explanation names the rule and the category before the arithmetic.
        "trace": [*choice.trace, *category.trace, *split.trace, *basic.trace, *extra.trace, *total.trace],
    }


def settle(case: dict) -> dict:
    """Validate ``case`` (a parsed ``settlement-case/1`` dict) and settle it: the spec's semantics,
    step by step (6, rounding, happens where each fund amount is computed).

    Returns the output document of the spec (money as two-decimal strings, ``trace`` in Chinese).
    Raises ``CaseError`` for invalid cases, ``no_policy`` and ``filing_required``.
    """
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.rounding = _HALF_UP
        P = _parse(case)
        choice = select_policy(P)
        pol = choice.policy
        P, pol, choice = opsp_view(P, pol, choice)  # 门诊慢特病: the disease's own rule
        split = split_lines(P)  # 1. line split
        category = categorise(P, pol)  # 2. category
        basic = basic_layer(P, pol, category.code, split)  # 3. basic layer
        extra = layers(P, pol, split, basic)  # 4. layers
        total = totals(P, pol, split, basic, extra)  # 5. totals
        return _document(choice, category, split, basic, extra, total)


def settle_text(text_or_bytes: str | bytes | bytearray) -> dict:
    """Parse, validate and settle a case document in one pass (what ``medsettle settle`` runs)."""
    return settle(_parse_json(text_or_bytes))  # type: ignore[arg-type]
