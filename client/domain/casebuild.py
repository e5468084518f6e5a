"""Build `settlement-case/1` documents (shared/spec/settlement-case.md) — the single way a case is made.

Used by the client's local preview and offline settlement, and by the training platform
(``training_platform``) for its 2206/2207/2303/2304 answers. What only the platform computes (the
2204 line split, year-to-date accumulations, 5206 rows) lives in ``training_platform.casework``.
Pure Python: no Qt, no SQLAlchemy, no requests.

Public functions
----------------
``build_case(visit, person, catalog_entries, lines, bundle) -> dict``
    visit   = {"mdtrtarea_admvs", "hosp_lv", "med_type", "begndate", "filing"}
    person  = 1101-style info (``baseinfo``/``insuinfo``/``idetinfo``, or the same fields flat, as
              in the demo data) plus ``ytd`` (either one ytd object or ``{"<year>": {...}}``),
              optional ``insutype`` (selects the insuinfo row), ``acct_used_flag``, ``idet``.
    catalog_entries = treatment-place catalogue rows (``med_list_codg``, ``chrgitm_lv`` — from 1312,
              ``selfpay_prop`` — from 1319, ``pric_uplmt_amt`` — from 1318, ``begndate``, ``enddate``,
              ``vali_flag`` …; the window's ``catalog_items`` or the demo contract) or already in
              case form (``code``). The catalogue FILES (1301…) carry none of the three
              (client.domain.catalog_layouts).
    lines   = 2204/2301-style fee lines (``feedetl_sn``, ``med_list_codg`` or ``code``, ``cnt``,
              ``pric``, ``det_item_fee_sumamt``).
    bundle  = policy-bundle/1 (``policies``, ``zones``, ``pools``).
``filing_for_visit(filing, mdtrtarea_admvs, begndate) -> str``
    the visit's filing status from the person's filing record.
``ytd_from_cumuinfo(rows, year)``
    a person's year-to-date accumulations from the 5206 ``cumuinfo`` rows (``CUM_TYPES``).
"""

from __future__ import annotations

import datetime as _dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from client.domain.codes import TRAINING_PSN_IDET_TYPES, idet_labels

CENT = Decimal("0.01")

# Training cum_type_code values used by the sandbox's 5206 (national codes are province-specific).
CUM_TYPES = {
    "C001": ("dedc_paid", "本年度起付线累计"),
    "C002": ("admissions", "本年度住院次数"),
    "C003": ("inscp_amt", "本年度政策范围内费用累计"),
    "C004": ("seg_amt", "本年度共付段费用累计"),
    "C005": ("hifp_pay", "本年度统筹基金支付累计"),
}
# Layer accumulations: cum_type_code "L1:<layer id>" = base_amt, "L2:<layer id>" = paid.
LAYER_BASE_PREFIX = "L1:"
LAYER_PAID_PREFIX = "L2:"
# 门诊慢特病 per-disease accumulations (training convention): "D1:<opsp_dise_code>" = dedc_paid,
# "D2:<opsp_dise_code>" = hifp_pay (engine person.ytd.opsp).
OPSP_DEDC_PREFIX = "D1:"
OPSP_HIFP_PREFIX = "D2:"

# Identity labels of the engine derived from training psn_idet_type codes (demo data).
# (mirrors training_platform.demo.IDET_TYPES; the domain layer may not import the sandbox).
# Training psn_idet_type codes → engine identity labels: the single table lives in codes.
IDET_LABELS = {code: str(label) for code, label in TRAINING_PSN_IDET_TYPES.items()}

class CaseBuildError(ValueError):
    """Input that cannot become a case; ``message`` is Chinese, ``field`` names the culprit."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _dec(value, field: str) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise CaseBuildError(f"字段 {field} 必须是十进制数字字符串", field)
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise CaseBuildError(f"字段 {field} 不是合法的数字: {value!r}", field) from None
    if not d.is_finite():
        raise CaseBuildError(f"字段 {field} 不是合法的数字: {value!r}", field)
    return d


def q2(d: Decimal) -> Decimal:
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def f2(d: Decimal) -> str:
    return str(q2(d))


def _s(value) -> str:
    return "" if value is None else str(value)


def case_catalog_entry(entry: dict) -> dict:
    """A demo/1301 catalogue row → the case `catalog` entry."""
    code = entry.get("code") or entry.get("med_list_codg")
    out = {
        "code": code,
        "name": entry.get("name") or "",
        "chrgitm_lv": entry.get("chrgitm_lv") or "03",
        "med_chrgitm_type": entry.get("med_chrgitm_type") or "14",
        "selfpay_prop": entry.get("selfpay_prop") or "0",
    }
    if entry.get("pric_uplmt_amt") not in (None, ""):
        out["pric_uplmt_amt"] = str(entry["pric_uplmt_amt"])
    return out


def entry_valid_on(entry: dict, date: str) -> bool:
    """Catalogue row valid on `date` (YYYY-MM-DD): vali_flag 1 and begndate ≤ date ≤ enddate."""
    if str(entry.get("vali_flag", "1")) != "1":
        return False
    b = (entry.get("begndate") or "")[:10]
    e = (entry.get("enddate") or "")[:10]
    if b and date < b:
        return False
    if e and date > e:
        return False
    return True


def filing_for_visit(filing: dict | None, mdtrtarea_admvs: str, begndate: str) -> str:
    """Filing status of a visit: the person's filing counts when it names this treatment region
    (or has no region) and the visit date lies within its dates."""
    if not filing:
        return "none"
    kind = filing.get("type") or "none"
    if kind == "none":
        return "none"
    adm = filing.get("admdvs")
    if adm and adm != mdtrtarea_admvs:
        return "none"
    b = (filing.get("begndate") or "")[:10]
    e = (filing.get("enddate") or "")[:10]
    if (b and begndate < b) or (e and begndate > e):
        return "none"
    return kind


def _age(brdy: str | None, at: str) -> int | None:
    if not brdy:
        return None
    try:
        b = _dt.date.fromisoformat(brdy[:10])
        a = _dt.date.fromisoformat(at[:10])
    except ValueError:
        return None
    return a.year - b.year - ((a.month, a.day) < (b.month, b.day))


def _pick_ytd(ytd: dict | None, year: str) -> dict:
    if not ytd:
        return {}
    if all(len(k) == 4 and k.isdigit() for k in ytd):
        return dict(ytd.get(year) or {})
    return dict(ytd)


def _insuinfo(person: dict, insutype: str | None) -> dict:
    rows = person.get("insuinfo") or []
    if not rows:
        raise CaseBuildError("参保人没有参保信息(insuinfo)", "insuinfo")
    if insutype:
        for r in rows:
            if r.get("insutype") == insutype:
                return r
        raise CaseBuildError(f"参保人没有险种[{insutype}]的参保信息", "insutype")
    return rows[0]


def person_idet(person: dict, at: _dt.date | None = None) -> list[str]:
    """Identity labels: explicit ``idet`` if given, else from 1101 ``idetinfo`` rows valid on ``at``."""
    if person.get("idet") is not None:
        return list(person["idet"])
    return idet_labels(person.get("idetinfo") or [], at=at)


def build_case(visit: dict, person: dict, catalog_entries: list[dict], lines: list[dict],
               bundle: dict) -> dict:
    begndate = str(visit.get("begndate") or "")[:10]
    if len(begndate) != 10:
        raise CaseBuildError("就诊日期(begndate)缺失或格式错误，应为 YYYY-MM-DD", "begndate")
    base = person.get("baseinfo") or person
    ins = _insuinfo(person, person.get("insutype"))
    year = begndate[:4]
    case_person = {
        "insuplc_admdvs": ins.get("insuplc_admdvs"),
        "insutype": ins.get("insutype"),
        "psn_type": ins.get("psn_type"),
        "idet": person_idet(person, at=_dt.date.fromisoformat(begndate)),
        "acct_balc": str(ins.get("balc") or "0"),
        "acct_used_flag": str(person.get("acct_used_flag") or "0"),
        "ytd": _pick_ytd(person.get("ytd"), year),
    }
    age = _age(base.get("brdy"), begndate)
    if age is not None:
        case_person["age"] = age
    case_visit = {
        "mdtrtarea_admvs": visit.get("mdtrtarea_admvs"),
        "hosp_lv": str(visit.get("hosp_lv")),
        "med_type": visit.get("med_type"),
        "begndate": begndate,
        "filing": visit.get("filing") or "none",
    }
    if visit.get("opsp_dise_code"):  # 门诊慢特病: the filed disease (5301) the visit is settled under
        case_visit["opsp_dise_code"] = str(visit["opsp_dise_code"])
    case_lines = []
    needed = set()
    for ln in lines:
        code = ln.get("code") or ln.get("med_list_codg")
        if not code:
            raise CaseBuildError(f"费用明细[{ln.get('feedetl_sn')}]缺少医疗目录编码", "med_list_codg")
        needed.add(code)
        row = {"feedetl_sn": _s(ln.get("feedetl_sn")), "code": code,
               "cnt": _s(ln.get("cnt")), "pric": _s(ln.get("pric"))}
        if ln.get("det_item_fee_sumamt") not in (None, ""):
            row["det_item_fee_sumamt"] = _s(ln["det_item_fee_sumamt"])
        case_lines.append(row)
    catalog = {}
    for e in catalog_entries:
        code = e.get("code") or e.get("med_list_codg")
        if code in needed and code not in catalog and ("code" in e or entry_valid_on(e, begndate)):
            catalog[code] = case_catalog_entry(e)
    case = {
        "format": "settlement-case/1",
        "visit": case_visit,
        "person": case_person,
        "catalog": list(catalog.values()),
        "lines": case_lines,
        "policies": list(bundle.get("policies") or []),
        "zones": list(bundle.get("zones") or []),
    }
    if bundle.get("pools"):
        case["pools"] = dict(bundle["pools"])
    return case


# --- year-to-date accumulations ------------------------------------------------------------

def ytd_from_cumuinfo(rows: list[dict], year: str) -> dict:
    ytd: dict = {"layers": {}}
    by_code = {v[0]: k for k, v in CUM_TYPES.items()}
    for r in rows:
        if str(r.get("year")) != str(year):
            continue
        code = str(r.get("cum_type_code"))
        if code.startswith(LAYER_BASE_PREFIX):
            ytd["layers"].setdefault(code[len(LAYER_BASE_PREFIX):], {})["base_amt"] = str(r["cum"])
        elif code.startswith(LAYER_PAID_PREFIX):
            ytd["layers"].setdefault(code[len(LAYER_PAID_PREFIX):], {})["paid"] = str(r["cum"])
        elif code.startswith(OPSP_DEDC_PREFIX):
            ytd.setdefault("opsp", {}).setdefault(code[len(OPSP_DEDC_PREFIX):], {})["dedc_paid"] = str(r["cum"])
        elif code.startswith(OPSP_HIFP_PREFIX):
            ytd.setdefault("opsp", {}).setdefault(code[len(OPSP_HIFP_PREFIX):], {})["hifp_pay"] = str(r["cum"])
        else:
            for key, c in by_code.items():
                if c == code:
                    ytd[key] = int(Decimal(str(r["cum"]))) if key == "admissions" else str(r["cum"])
    return ytd
