"""The training platform's own case work: what the central platform computes around a settlement and
the client does not — the 2204/2301 split of each fee line, the validity of a catalogue row on a date,
and the year-to-date accumulations a settlement adds (and its reversal takes back) with their 5206
rows. Moved out of ``client.domain.casebuild``: the client never does these; the platform may use the
client's domain (the case format, the engine) but nothing else of it.
"""

from __future__ import annotations

from decimal import Decimal

from client.domain.casebuild import (
    CUM_TYPES,
    LAYER_BASE_PREFIX,
    LAYER_PAID_PREFIX,
    OPSP_DEDC_PREFIX,
    OPSP_HIFP_PREFIX,
    CaseBuildError,
    f2,
    q2,
)
from client.domain.casebuild import _dec as _dec
from client.domain.casebuild import entry_valid_on as entry_valid_on

__all__ = ["apply_ytd", "CaseBuildError", "cumuinfo_from_ytd", "entry_valid_on", "line_amount", "split_line",
           "ytd_delta"]


def _s(value) -> str:
    return "" if value is None else str(value)


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
    opsp_code = case["visit"].get("opsp_dise_code")
    if med_type == "14" and opsp_code and opsp_code in (pol.get("opsp") or {}):
        # 门诊慢特病 under the disease's own rule: its own counters only (engine.opsp_view)
        delta.update(dedc_paid="0.00", inscp_amt="0.00", seg_amt="0.00", hifp_pay="0.00",
                     opsp={opsp_code: {"dedc_paid": f2(dedc), "hifp_pay": f2(d("hifp_pay"))}})
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
    if delta.get("opsp") or out.get("opsp"):
        opsp = {k: dict(v) for k, v in (out.get("opsp") or {}).items()}
        for code, acc in (delta.get("opsp") or {}).items():
            cur = opsp.setdefault(code, {"dedc_paid": "0.00", "hifp_pay": "0.00"})
            for k in ("dedc_paid", "hifp_pay"):
                v = _dec(cur.get(k) or "0", k) + sign * _dec(acc.get(k) or "0", k)
                cur[k] = f2(max(Decimal("0"), v))
        out["opsp"] = opsp
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
    for code, acc in sorted((ytd.get("opsp") or {}).items()):
        rows.append({"insutype": insutype, "year": str(year), "cum_type_code": OPSP_DEDC_PREFIX + code,
                     "cum_type_name": f"慢特病{code}起付线累计", "cum": f2(_dec(acc.get("dedc_paid") or "0", "dedc_paid"))})
        rows.append({"insutype": insutype, "year": str(year), "cum_type_code": OPSP_HIFP_PREFIX + code,
                     "cum_type_name": f"慢特病{code}统筹支付累计", "cum": f2(_dec(acc.get("hifp_pay") or "0", "hifp_pay"))})
    return rows


