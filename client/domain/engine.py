"""The settlement engine: ``settlement-case/1`` in, settlement out.

Implements ``shared/spec/settlement-case.md`` (就医地目录、参保地政策). Pure Python, Decimal only.

Public interface::

    load_case(text_or_bytes) -> dict        parse JSON strictly and validate the whole case
    settle(case: dict) -> dict              validate, then compute the output document
    settle_text(text_or_bytes) -> dict      both, validating once (what the CLI uses)
    CaseError(code, message, field=None)    code: invalid_case | no_policy | filing_required

Every step appends a Chinese sentence to ``trace`` so that an auditor can replay "why did the fund
pay this much". See docs/settlement.md for the formulas.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
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
_LV_NAMES = {lv.code: lv.label for lv in ChrgitmLv}      # 甲类 / 乙类 / 丙类 (codes.ChrgitmLv)
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
    """A case the engine refuses. ``code`` is ``invalid_case``, ``no_policy`` or ``filing_required``;
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


class _Policy:
    __slots__ = (
        "idx", "id", "insuplc", "insutype", "med_types", "psn_types", "age", "valid", "fund_pay_type",
        "dedc_per", "dedc_lv", "dedc_nth", "ratio_lv", "ratio_bands", "elig_cap", "fund_cap",
        "xr_allow_unfiled", "xr_mode", "xr_values", "layers", "account",
    )  # fmt: skip


class _Layer:
    __slots__ = ("id", "field", "fund_pay_type", "base", "per", "bands", "cap", "idet", "path")


class _Parsed:
    __slots__ = (
        "mdtrtarea", "hosp_lv", "med_type", "begndate", "filing", "insuplc", "insutype", "psn_type",
        "age", "idet", "acct_balc", "acct_used", "ytd_dedc", "ytd_adm", "ytd_inscp", "ytd_seg",
        "ytd_hifp", "ytd_layers", "catalog", "lines", "policies", "zones", "pools",
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

    # catalogue: code -> (chrgitm_lv, selfpay_prop, selfpay_prop as given, limit price)
    cat: dict[str, tuple[str, Decimal, str, Decimal | None]] = {}
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
        cat[code] = (lv, sp, "0" if sp_raw is None else sp_raw, lim_d)
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
    _parse(case)
    return case  # type: ignore[return-value]


def validate_case(case: object) -> None:
    """Validate a case dict without settling it (raises ``CaseError``)."""
    _parse(case)


# --------------------------------------------------------------------------------------------------
# computation


def _f(d: Decimal) -> str:
    return format(d, "f")


def _m(d: Decimal) -> str:
    """Format a computed money value (already at 0.01) for output."""
    d = d.quantize(_C2, _HALF_UP)
    return format(d if d else _Z, "f")


def _band_walk(
    start: Decimal, length: Decimal, bands: list[tuple[Decimal, Decimal | None, Decimal]]
) -> tuple[Decimal, list[tuple[Decimal, Decimal | None, Decimal, Decimal, Decimal]], Decimal | None]:
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


def _select_policy(P: _Parsed, trace: list[str]) -> _Policy:
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
        if why is None:
            for s in skipped:
                trace.append(s)
            sel = [f"参保地 {pol.insuplc}", f"险种 {pol.insutype}", f"医疗类别 {P.med_type}"]
            sel.append("人员类别不限" if pol.psn_types is None else f"人员类别 {P.psn_type}")
            if pol.age is not None:
                sel.append(
                    f"年龄 {P.age} 在 {pol.age[0] if pol.age[0] is not None else ''}–"
                    f"{pol.age[1] if pol.age[1] is not None else ''} 岁内"
                )
            if pol.valid is not None:
                sel.append(f"就诊日期 {P.begndate.isoformat()} 在有效期内")
            trace.append(
                f"适用参保地政策 {pol.id}（policies[{pol.idx}]）：按顺序第一条全部条件匹配的规则（{'、'.join(sel)}）。"
            )
            return pol
        skipped.append(f"跳过政策 {pol.id}（policies[{pol.idx}]）：{why}。")
    raise CaseError(
        "no_policy",
        f"没有适用的参保地政策（参保地 {P.insuplc}、险种 {P.insutype}、医疗类别 {P.med_type}、"
        f"人员类别 {P.psn_type}、就诊日期 {P.begndate.isoformat()}）。"
        "请联系信息科更新参保地政策包；更新前不能进行医保结算。",
    )


def _category(P: _Parsed, trace: list[str]) -> str:
    if P.mdtrtarea == P.insuplc:
        trace.append(f"就医类别：本地就医（就医地与参保地均为 {P.insuplc}）。")
        return "local"
    pa, pb = P.pools.get(P.mdtrtarea, P.mdtrtarea), P.pools.get(P.insuplc, P.insuplc)
    if pa == pb:
        trace.append(f"就医类别：本地就医（就医地 {P.mdtrtarea} 与参保地 {P.insuplc} 同属统筹区 {pa}）。")
        return "local"
    for name, members, frm, to, mts in P.zones:
        if (
            P.mdtrtarea in members
            and P.insuplc in members
            and (frm is None or P.begndate >= frm)
            and (to is None or P.begndate <= to)
            and (mts is None or P.med_type in mts)
        ):
            trace.append(
                f"就医类别：示范区免备案（参保地 {P.insuplc} 与就医地 {P.mdtrtarea} 同属“{name}”，"
                f"医疗类别 {P.med_type}，就诊日期 {P.begndate.isoformat()} 不早于 "
                f"{frm.isoformat() if frm else '…'}），无需备案、不降低待遇。"
            )
            return "zone_exempt"
    cat = _FILING[P.filing]
    trace.append(
        f"就医类别：{CATEGORY_NAMES[cat]}（参保地 {P.insuplc}，就医地 {P.mdtrtarea}，"
        f'不同统筹区且不适用免备案，备案状态 filing="{P.filing}"）。'
    )
    return cat


def _compute(P: _Parsed) -> dict:
    trace: list[str] = []
    pol = _select_policy(P, trace)
    category = _category(P, trace)
    if category == "unfiled" and not pol.xr_allow_unfiled:
        raise CaseError(
            "filing_required",
            f"参保地（{P.insuplc}）要求异地就医先备案：本次在 {P.mdtrtarea} 就医未备案，不能直接结算。"
            "请患者通过国家医保服务平台 App 或参保地经办机构办理异地就医备案后再结算，或按全自费处理。",
        )

    # 1. line split (treatment-place catalogue)
    cat = P.catalog
    out_lines = []
    fulamt = overlmt = pre = inscp = Decimal(0)
    n_lv = {"01": 0, "02": 0, "03": 0, None: 0}
    n_over = 0
    zero_s = "0.00"
    for sn, code, cnt, pric, amt in P.lines:
        e = cat.get(code)
        amt_s = format(amt, "f")
        if e is None or e[0] == "03":
            fulamt += amt
            lv = None if e is None else "03"
            n_lv[lv] += 1
            out_lines.append({
                "feedetl_sn": sn, "det_item_fee_sumamt": amt_s, "chrgitm_lv": lv,
                "selfpay_prop": "0" if e is None else e[2],
                "fulamt_ownpay_amt": amt_s, "overlmt_amt": zero_s, "preselfpay_amt": zero_s,
                "inscp_scp_amt": zero_s,
            })  # fmt: skip
            continue
        lv, sp, sp_s, lim = e
        n_lv[lv] += 1
        if lim is not None and pric > lim:
            ov = ((pric - lim) * cnt).quantize(_C2, _HALF_UP)
            if ov > amt:
                ov = amt
            n_over += 1
        else:
            ov = _Z
        base = amt - ov
        ps = (base * sp).quantize(_C2, _HALF_UP) if sp else _Z
        ins = base - ps
        overlmt += ov
        pre += ps
        inscp += ins
        out_lines.append({
            "feedetl_sn": sn, "det_item_fee_sumamt": amt_s, "chrgitm_lv": lv, "selfpay_prop": sp_s,
            "fulamt_ownpay_amt": zero_s, "overlmt_amt": format(ov, "f"),
            "preselfpay_amt": format(ps, "f"), "inscp_scp_amt": format(ins, "f"),
        })  # fmt: skip
    medfee = fulamt + overlmt + pre + inscp
    trace.append(
        f"明细 {len(P.lines)} 条按就医地目录分解：甲类 {n_lv['01']} 条、乙类 {n_lv['02']} 条、丙类 {n_lv['03']} 条、"
        f"目录外 {n_lv[None]} 条、超限价 {n_over} 条。医疗费总额 {_m(medfee)} = 全自费 {_m(fulamt)}"
        f" + 超限价自费 {_m(overlmt)} + 先行自付 {_m(pre)} + 符合范围 {_m(inscp)}。"
    )

    # 2. eligible amount
    eligible = inscp
    if pol.elig_cap is not None:
        room = pol.elig_cap - P.ytd_inscp
        if room < 0:
            room = _Z
        if eligible > room:
            eligible = room
        trace.append(
            f"年度符合范围封顶 {_m(pol.elig_cap)}，本年已计 {_m(P.ytd_inscp)}，剩余 {_m(room)}；"
            f"本次进入基本统筹的金额 = min({_m(inscp)}, {_m(room)}) = {_m(eligible)}。"
        )

    # 3. deductible
    if pol.dedc_per is None:
        dedc_std = _Z
        trace.append("政策未设起付线，起付标准为 0。")
    else:
        if P.hosp_lv not in pol.dedc_lv:
            raise _bad(
                f"policies[{pol.idx}].deductible.by_hosp_lv.{P.hosp_lv}",
                f"缺失：政策没有 {P.hosp_lv} 级医院的起付线",
            )
        std = pol.dedc_lv[P.hosp_lv]
        if pol.dedc_per == "visit":
            if pol.dedc_nth:
                k = P.ytd_adm if P.ytd_adm < len(pol.dedc_nth) else len(pol.dedc_nth) - 1
                kind, val = pol.dedc_nth[k]
                if kind == "factor":
                    dedc_std = (std * val).quantize(_C2, _HALF_UP)
                    how = f"标准 {_m(std)} × 系数 {_f(val)} = {_m(dedc_std)}"
                else:
                    dedc_std = val
                    how = f"改为固定金额 {_m(val)}"
                trace.append(
                    f"起付线按次计算：{P.hosp_lv} 级医院标准 {_m(std)}；本年此前住院 {P.ytd_adm} 次，"
                    f"本次为第 {P.ytd_adm + 1} 次，适用 nth_admission[{k}]：{how}。"
                )
            else:
                dedc_std = std
                trace.append(f"起付线按次计算：{P.hosp_lv} 级医院标准 {_m(std)}。")
        else:
            dedc_std = std - P.ytd_dedc
            if dedc_std < 0:
                dedc_std = _Z
            trace.append(
                f"起付线按年度计算：标准 {_m(std)}，本年已付起付线 {_m(P.ytd_dedc)}，剩余 {_m(dedc_std)}。"
            )
    dedc = eligible if eligible < dedc_std else dedc_std
    seg = eligible - dedc
    trace.append(f"本次实付起付线 = min({_m(eligible)}, {_m(dedc_std)}) = {_m(dedc)}；进入统筹段 {_m(seg)}。")

    # 4. ratio (and cross-region reduction)
    red = pol.xr_values.get(category) if category in ("referral", "emergency", "unfiled") else None
    if red is not None:
        if pol.xr_mode == "points":

            def reduce(r: Decimal) -> Decimal:
                x = r - red
                return x if x > 0 else Decimal(0)

            red_txt = f"异地{CATEGORY_NAMES[category][2:]}按参保地规定每档比例降低 {_f(red)}（points）"
        else:

            def reduce(r: Decimal) -> Decimal:
                x = r * red
                return _ONE if x > 1 else x

            red_txt = f"异地{CATEGORY_NAMES[category][2:]}按参保地规定每档比例乘以 {_f(red)}（factor）"
    else:

        def reduce(r: Decimal) -> Decimal:
            return r

        if category in ("referral", "emergency", "unfiled"):
            red_txt = f"参保地政策对{CATEGORY_NAMES[category]}未规定降低比例"
        else:
            red_txt = f"{CATEGORY_NAMES[category]}不降低比例"

    basic_parts: list[str] = []
    if pol.ratio_lv is not None:
        if P.hosp_lv not in pol.ratio_lv:
            raise _bad(
                f"policies[{pol.idx}].ratio.by_hosp_lv.{P.hosp_lv}",
                f"缺失：政策没有 {P.hosp_lv} 级医院的支付比例",
            )
        r0 = pol.ratio_lv[P.hosp_lv]
        applied = reduce(r0)
        raw = seg * applied
        hifp_calc = raw.quantize(_C2, _HALF_UP)
        trace.append(
            f"基本统筹支付比例：{P.hosp_lv} 级医院 {_f(r0)}；{red_txt}，实际比例 {_f(applied)}。"
            f"统筹基金 = {_m(seg)} × {_f(applied)} = {_f(raw)}，四舍五入为 {_m(hifp_calc)}。"
        )
        basic_parts.append(f"比例{_f(applied)}")
    else:
        bands = [(lo, hi, reduce(r)) for lo, hi, r in pol.ratio_bands]
        raw, parts, last = _band_walk(P.ytd_seg, seg, bands)
        applied = last if last is not None else Decimal(0)
        hifp_calc = raw.quantize(_C2, _HALF_UP)
        trace.append(
            f"基本统筹按年度累计分段计付：本年此前统筹段累计 {_m(P.ytd_seg)}，本次 {_m(seg)} 位于 "
            f"{_m(P.ytd_seg)}–{_m(P.ytd_seg + seg)}；{red_txt}。"
        )
        for lo, hi, r, portion, pay in parts:
            trace.append(
                f"  分段 {_m(lo)}–{_m(hi) if hi is not None else '以上'}：{_m(portion)} × {_f(r)} = {_f(pay)}。"
            )
            basic_parts.append(f"{_m(lo)}-{_m(hi) if hi is not None else ''}段{_m(portion)}×{_f(r)}")
        trace.append(
            f"基本统筹合计 {_f(raw)}，四舍五入为 {_m(hifp_calc)}；最后到达分段的比例 {_f(applied)}。"
        )
    hifp = hifp_calc
    if pol.fund_cap is not None:
        room = pol.fund_cap - P.ytd_hifp
        if room < 0:
            room = _Z
        if hifp > room:
            hifp = room
            trace.append(
                f"年度统筹基金最高支付限额 {_m(pol.fund_cap)}，本年已支付 {_m(P.ytd_hifp)}，剩余 {_m(room)}："
                f"本次统筹基金由 {_m(hifp_calc)} 封顶为 {_m(hifp)}。"
            )
        else:
            trace.append(
                f"年度统筹基金最高支付限额 {_m(pol.fund_cap)}，本年已支付 {_m(P.ytd_hifp)}，剩余 {_m(room)}，未封顶。"
            )
    pool_prop = applied.quantize(_C4, _HALF_UP)

    funds = dict.fromkeys(FUND_FIELDS, _Z)
    funds["hifp_pay"] = hifp
    setldetail = []
    if hifp > 0:
        setldetail.append({
            "fund_pay_type": pol.fund_pay_type, "inscp_scp_amt": _m(eligible), "fund_payamt": _m(hifp),
            "setl_proc_info": f"起付线{_m(dedc)}；统筹段{_m(seg)}；" + "，".join(basic_parts)
            + (f"；年度限额封顶{_m(hifp)}" if hifp != hifp_calc else ""),
        })  # fmt: skip

    # 5. layers
    paid = hifp
    for L in pol.layers:
        name = f"{_FIELD_NAMES[L.field]}分层 {L.id}（{L.field}，{L.fund_pay_type}）"
        if L.idet is not None and not (L.idet & P.idet):
            trace.append(
                f"{name}：仅适用于身份 {'/'.join(sorted(L.idet))}，本人身份 "
                f"{'/'.join(sorted(P.idet)) if P.idet else '无标识'}，不适用。"
            )
            continue
        if L.base == "inscp_remaining":
            total_base = inscp
        elif L.base == "inscp_preselfpay_remaining":
            total_base = inscp + pre
        else:
            total_base = medfee
        base = total_base - paid
        if base < 0:
            base = _Z
        ytd_base, ytd_paid = P.ytd_layers.get(L.id, (_Z, _Z))
        start = ytd_base if L.per == "year" else _Z
        raw, parts, _ = _band_walk(start, base, L.bands)
        pay_calc = raw.quantize(_C2, _HALF_UP)
        trace.append(
            f"{name}：计算基数 = {_BASE_NAMES[L.base]} = {_m(total_base)} − {_m(paid)} = {_m(base)}；"
            + (f"按年度累计，本年此前基数 {_m(ytd_base)}，本次位于 {_m(start)}–{_m(start + base)}。"
               if L.per == "year" else f"按次计算，本次位于 0.00–{_m(base)}。")
        )  # fmt: skip
        for lo, hi, r, portion, bpay in parts:
            trace.append(
                f"  分段 {_m(lo)}–{_m(hi) if hi is not None else '以上'}：{_m(portion)} × {_f(r)} = {_f(bpay)}。"
            )
        pay = pay_calc
        cap_txt = ""
        if L.cap is not None:
            room = L.cap - ytd_paid
            if room < 0:
                room = _Z
            if pay > room:
                pay = room
                cap_txt = f"；年度限额 {_m(L.cap)}，本年已支付 {_m(ytd_paid)}，封顶为 {_m(pay)}"
            else:
                cap_txt = f"；年度限额 {_m(L.cap)}，本年已支付 {_m(ytd_paid)}，未封顶"
        trace.append(f"  {name}合计 {_f(raw)}，四舍五入为 {_m(pay_calc)}{cap_txt}；本层支付 {_m(pay)}。")
        funds[L.field] += pay
        paid += pay
        if pay > 0:
            setldetail.append({
                "fund_pay_type": L.fund_pay_type, "inscp_scp_amt": _m(base), "fund_payamt": _m(pay),
                "setl_proc_info": f"{L.id}：基数{_m(base)}（{L.base}，{'年度累计' if L.per == 'year' else '按次'}）；"
                + "，".join(f"{_m(lo)}-{_m(hi) if hi is not None else ''}段{_m(p_)}×{_f(r)}" for lo, hi, r, p_, _x in parts)
                + (f"；封顶{_m(pay)}" if pay != pay_calc else ""),
            })  # fmt: skip

    # 6. totals, account, invoice
    fund_sum = sum(funds.values(), _Z)
    psn_part = medfee - fund_sum
    self_cost_cap = fulamt + overlmt
    self_cost = psn_part if psn_part < self_cost_cap else self_cost_cap
    self_pay = psn_part - self_cost
    trace.append(
        f"基金支付合计 {_m(fund_sum)}；个人负担 = 医疗费总额 {_m(medfee)} − 基金支付 {_m(fund_sum)} − 医院负担 0.00 = {_m(psn_part)}"
        f"（其中个人自费 {_m(self_cost)}、个人自付 {_m(self_pay)}）。"
    )
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

    setlinfo = {
        "medfee_sumamt": _m(medfee),
        "fulamt_ownpay_amt": _m(fulamt),
        "overlmt_selfpay": _m(overlmt),
        "preselfpay_amt": _m(pre),
        "inscp_scp_amt": _m(inscp),
        "act_pay_dedc": _m(dedc),
        "hifp_pay": _m(hifp),
        "pool_prop_selfpay": _f(pool_prop),
    }
    for k in FUND_FIELDS[1:]:
        setlinfo[k] = _m(funds[k])
    setlinfo.update(
        fund_pay_sumamt=_m(fund_sum),
        psn_part_amt=_m(psn_part),
        acct_pay=_m(acct_pay),
        psn_cash_pay=_m(cash),
        hosp_part_amt="0.00",
        balc=_m(balc),
    )
    return {
        "category": category,
        "policy_id": pol.id,
        "setlinfo": setlinfo,
        "setldetail": setldetail,
        "lines": out_lines,
        "invoice": {"self_cost": _m(self_cost), "self_pay": _m(self_pay)},
        "trace": trace,
    }


def _run(case: object) -> dict:
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.rounding = _HALF_UP
        return _compute(_parse(case))


def settle(case: dict) -> dict:
    """Validate ``case`` (a parsed ``settlement-case/1`` dict) and settle it.

    Returns the output document of the spec (money as two-decimal strings, ``trace`` in Chinese).
    Raises ``CaseError`` for invalid cases, ``no_policy`` and ``filing_required``.
    """
    return _run(case)


def settle_text(text_or_bytes: str | bytes | bytearray) -> dict:
    """Parse, validate and settle a case document in one pass (what ``medsettle settle`` runs)."""
    return _run(_parse_json(text_or_bytes))
