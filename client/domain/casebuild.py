"""Build `settlement-case/1` documents (shared/spec/settlement-case.md) — the single way a case is made.

Used by the training central platform (2204 line split, 2206/2207/2303/2304 settlement), by the
client's local preview and by offline settlement, so both sides of the wire compute the same thing.
Pure Python: no Qt, no SQLAlchemy, no requests.

Public functions
----------------
``build_case(visit, person, catalog_entries, lines, bundle) -> dict``
    visit   = {"mdtrtarea_admvs", "hosp_lv", "med_type", "begndate", "filing"}
    person  = 1101-style info (``baseinfo``/``insuinfo``/``idetinfo``, or the same fields flat, as
              in the demo data) plus ``ytd`` (either one ytd object or ``{"<year>": {...}}``),
              optional ``insutype`` (selects the insuinfo row), ``acct_used_flag``, ``idet``.
    catalog_entries = treatment-place catalogue rows as in the demo contract / 1301 files
              (``med_list_codg``, ``chrgitm_lv``, ``selfpay_prop``, ``pric_uplmt_amt``, ``begndate``,
              ``enddate``, ``vali_flag`` …) or already in case form (``code``).
    lines   = 2204/2301-style fee lines (``feedetl_sn``, ``med_list_codg`` or ``code``, ``cnt``,
              ``pric``, ``det_item_fee_sumamt``).
    bundle  = policy-bundle/1 (``policies``, ``zones``, ``pools``).
``split_line(line, entry) -> dict``
    the 2204/2301 ``result[]`` row of one fee line (spec "Line split"); entry None = 目录外项目.
``filing_for_visit(filing, mdtrtarea_admvs, begndate) -> str``
    the visit's filing status from the person's filing record.
``ytd_delta(case, result) -> dict`` / ``apply_ytd(ytd, delta, sign=1) -> dict``
    what a settlement adds to the year-to-date accumulations (and undoing it on reversal).
``cumuinfo_from_ytd(ytd, insutype, year)`` / ``ytd_from_cumuinfo(rows, year)``
    the training 5206 ``cumuinfo`` rows (cum_type_code table ``CUM_TYPES``) and back.
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

# Identity labels of the engine derived from training psn_idet_type codes (demo data).
# (mirrors client.sandbox.demo.IDET_TYPES; the domain layer may not import the sandbox).
# Training psn_idet_type codes → engine identity labels: the single table lives in codes.
IDET_LABELS = {code: str(label) for code, label in TRAINING_PSN_IDET_TYPES.items()}

# Column order of the training catalogue download files (1301/1305/1306 → 9102 zip, one TXT,
# tab-separated, no header). Empty string = null.
CATALOG_FILE_COLUMNS = [
    "med_list_codg",    # 0
    "name",             # 1
    "spec",             # 2
    "unit",             # 3
    "list_type",        # 4
    "chrgitm_lv",       # 5
    "med_chrgitm_type", # 6
    "selfpay_prop",     # 7
    "pric_uplmt_amt",   # 8
    "pric",             # 9
    "barcode",          # 10
    "begndate",         # 11
    "enddate",          # 12
    "vali_flag",        # 13
    "rid",              # 14
    "ver",              # 15
    "admdvs",           # 16
]


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


def catalog_row_from_fields(fields: list[str]) -> dict:
    """Parse one row of a catalogue download TXT (CATALOG_FILE_COLUMNS order) into a dict."""
    row = {}
    for i, name in enumerate(CATALOG_FILE_COLUMNS):
        v = fields[i] if i < len(fields) else ""
        row[name] = v if v != "" else None
    return row


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


def line_amount(line: dict) -> Decimal:
    if line.get("det_item_fee_sumamt") not in (None, ""):
        return _dec(line["det_item_fee_sumamt"], "det_item_fee_sumamt")
    return q2(_dec(line.get("cnt"), "cnt") * _dec(line.get("pric"), "pric"))


def split_line(line: dict, entry: dict | None) -> dict:
    """The 2204/2301 result row of one fee line, classified with the treatment-place catalogue."""
    amount = q2(line_amount(line))
    cnt = _dec(line.get("cnt"), "cnt")
    pric = _dec(line.get("pric"), "pric")
    zero = Decimal("0")
    out = {
        "feedetl_sn": _s(line.get("feedetl_sn")),
        "det_item_fee_sumamt": f2(amount),
        "cnt": _s(line.get("cnt")),
        "pric": _s(line.get("pric")),
        "pric_uplmt_amt": "",
        "selfpay_prop": "1.0000",
        "fulamt_ownpay_amt": f2(zero),
        "overlmt_amt": f2(zero),
        "preselfpay_amt": f2(zero),
        "inscp_scp_amt": f2(zero),
        "chrgitm_lv": "03",
        "med_chrgitm_type": "14",
        "bas_medn_flag": "0",
        "hi_nego_drug_flag": "0",
        "chld_medc_flag": "0",
        "list_sp_item_flag": "0",
        "lmt_used_flag": "0",
        "drt_reim_flag": "0",
        "memo": "",
    }
    if entry is None:
        out["fulamt_ownpay_amt"] = f2(amount)
        out["memo"] = "目录外项目"
        return out
    lv = entry.get("chrgitm_lv") or "03"
    out["chrgitm_lv"] = lv
    out["med_chrgitm_type"] = entry.get("med_chrgitm_type") or "14"
    limit = entry.get("pric_uplmt_amt")
    out["pric_uplmt_amt"] = "" if limit in (None, "") else str(limit)
    if lv == "03":
        out["fulamt_ownpay_amt"] = f2(amount)
        out["memo"] = "丙类项目，全自费"
        return out
    prop = _dec(entry.get("selfpay_prop") or "0", "selfpay_prop")
    out["selfpay_prop"] = str(prop.quantize(Decimal("0.0001")))
    overlmt = zero
    if limit not in (None, ""):
        lim = _dec(limit, "pric_uplmt_amt")
        if pric > lim:
            overlmt = min(amount, q2((pric - lim) * cnt))
    base = amount - overlmt
    pre = q2(base * prop)
    out["overlmt_amt"] = f2(overlmt)
    out["preselfpay_amt"] = f2(pre)
    out["inscp_scp_amt"] = f2(base - pre)
    return out


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

def _policy(case: dict, policy_id: str | None) -> dict | None:
    for p in case.get("policies") or []:
        if p.get("id") == policy_id:
            return p
    return None


def ytd_delta(case: dict, result: dict) -> dict:
    """What one settlement adds to the person's year-to-date accumulations.

    Amounts are recomputed from the case and the engine result: eligible = min(inscp, cap − ytd),
    segment = eligible − act_pay_dedc; each layer's base follows the spec's base rules in order.
    When several layers share one output field the field's amount is given to the first of them.
    """
    s = result["setlinfo"]
    d = lambda k: _dec(s.get(k) or "0", k)  # noqa: E731
    ytd = case["person"].get("ytd") or {}
    pol = _policy(case, result.get("policy_id")) or {}
    inscp = d("inscp_scp_amt")
    eligible = inscp
    cap = pol.get("eligible_cap_year")
    if cap not in (None, ""):
        eligible = max(Decimal("0"), min(inscp, _dec(cap, "eligible_cap_year") - _dec(ytd.get("inscp_amt") or "0", "inscp_amt")))
    dedc = d("act_pay_dedc")
    med_type = case["visit"].get("med_type") or ""
    delta = {
        "dedc_paid": f2(dedc),
        "admissions": 1 if (med_type.startswith("2") or med_type == "52") else 0,
        "inscp_amt": f2(eligible),
        "seg_amt": f2(max(Decimal("0"), eligible - dedc)),
        "hifp_pay": f2(d("hifp_pay")),
        "layers": {},
    }
    so_far = d("hifp_pay")
    idet = set(case["person"].get("idet") or [])
    used_fields = set()
    medfee = d("medfee_sumamt")
    pre = d("preselfpay_amt")
    for layer in pol.get("layers") or []:
        if layer.get("idet") and not (idet & set(layer["idet"])):
            continue
        kind = layer.get("base")
        if kind == "inscp_preselfpay_remaining":
            b = inscp + pre - so_far
        elif kind == "all_remaining":
            b = medfee - so_far
        else:
            b = inscp - so_far
        b = max(Decimal("0"), b)
        field = layer.get("field")
        paid = Decimal("0")
        if field and field not in used_fields:
            paid = d(field)
            used_fields.add(field)
        so_far += paid
        delta["layers"][layer.get("id")] = {"base_amt": f2(b), "paid": f2(paid)}
    return delta


def apply_ytd(ytd: dict | None, delta: dict, sign: int = 1) -> dict:
    """ytd + sign × delta (sign −1 undoes a reversed settlement); floors at 0."""
    out = dict(ytd or {})
    for k in ("dedc_paid", "inscp_amt", "seg_amt", "hifp_pay"):
        v = _dec(out.get(k) or "0", k) + sign * _dec(delta.get(k) or "0", k)
        out[k] = f2(max(Decimal("0"), v))
    out["admissions"] = max(0, int(out.get("admissions") or 0) + sign * int(delta.get("admissions") or 0))
    layers = {k: dict(v) for k, v in (out.get("layers") or {}).items()}
    for lid, lv in (delta.get("layers") or {}).items():
        cur = layers.setdefault(lid, {"base_amt": "0.00", "paid": "0.00"})
        for k in ("base_amt", "paid"):
            v = _dec(cur.get(k) or "0", k) + sign * _dec(lv.get(k) or "0", k)
            cur[k] = f2(max(Decimal("0"), v))
    out["layers"] = layers
    return out


def cumuinfo_from_ytd(ytd: dict, insutype: str, year: str) -> list[dict]:
    rows = []
    for code, (key, name) in CUM_TYPES.items():
        v = ytd.get(key)
        cum = str(int(v or 0)) if key == "admissions" else f2(_dec(v or "0", key))
        rows.append({"insutype": insutype, "year": str(year), "cum_type_code": code,
                     "cum_type_name": name, "cum": cum})
    for lid, lv in sorted((ytd.get("layers") or {}).items()):
        rows.append({"insutype": insutype, "year": str(year), "cum_type_code": LAYER_BASE_PREFIX + lid,
                     "cum_type_name": f"{lid}段累计基数", "cum": f2(_dec(lv.get("base_amt") or "0", "base_amt"))})
        rows.append({"insutype": insutype, "year": str(year), "cum_type_code": LAYER_PAID_PREFIX + lid,
                     "cum_type_name": f"{lid}段累计支付", "cum": f2(_dec(lv.get("paid") or "0", "paid"))})
    return rows


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
        else:
            for key, c in by_code.items():
                if c == code:
                    ytd[key] = int(Decimal(str(r["cum"]))) if key == "admissions" else str(r["cum"])
    return ytd
