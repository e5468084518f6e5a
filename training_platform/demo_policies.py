"""Builder of the training policy bundles ``resources/policies/<admdvs>.json`` (TRAINING DATA).

The JSON files are in the import format of ``medsettle policy import`` (training mode imports them
into the window's store: ``client.services.policies.seed_training_policies``); the training platform
also serves them with the optional extension 9901 and ``demo.generate()`` loads them. This module is
how they were made, so a parameter change is one edit here plus
``python -m training_platform.demo_policies`` (rewrites the files; tests/unit/test_policies.py checks
that the committed files equal this builder's output).

Parameters: real-looking values from shared/reference/settlement-rules.md §2 where found
(Shanghai employee in-service outpatient 1,500 / 65-60-50 % and 75-70-60 %, retiree inpatient
700 / 92 %, Shanghai resident deductibles and ratios, Suzhou 300/600/800 with 2nd admission 50 %
and 3rd+ 100 yuan, Suzhou resident cumulative bands 75/80/85/90 %, cap 350,000), otherwise
plausible training values (Jiaxing/Jiashan values were NOT FOUND and are invented).  None of them
is an official parameter.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ZONE = {"name": "长三角生态绿色一体化发展示范区", "members": ["310118", "320509", "330421"],
        "from": "2020-08-24", "med_types": ["11", "13", "14"]}
POOLS = {"310118": "310000", "310101": "310000", "320509": "320500", "320506": "320500",
         "330421": "330400", "110105": "110000", "340102": "340100", "420106": "420100"}
OTP = ["11", "13", "14"]
IPT = ["21", "22", "24"]
EMP_IN = ["1101", "1102", "1103"]
EMP_RET = ["1201", "1202", "1203", "1300"]
ALL = ["2020-01-01", "2027-12-31"]
NOTE = ("TRAINING DATA — 培训数据：参数为培训用示例值（部分参照公开资料），不是官方医保政策，"
        "不得用于生产结算。Training values only; not official parameters.")
NAMES = {"310118": "上海市青浦区", "310101": "上海市黄浦区", "320509": "苏州市吴江区",
         "320506": "苏州市吴中区", "330421": "嘉兴市嘉善县", "110105": "北京市朝阳区",
         "340102": "合肥市瑶海区", "420106": "武汉市武昌区"}


def lv(a, b, c):
    return {"1": a, "2": b, "3": c}


def pts(unfiled="0.20", referral="0.10", emergency="0.10", allow=True):
    return {"allow_unfiled": allow, "mode": "points", "unfiled": unfiled, "referral": referral,
            "emergency": emergency}


def factor(unfiled="0.80", referral="0.90", emergency="0.90", allow=True):
    return {"allow_unfiled": allow, "mode": "factor", "unfiled": unfiled, "referral": referral,
            "emergency": emergency}


def rule(adm, insutype, kind, group, valid, psn_types, *, age=None, deductible=None, ratio, fund_cap=None,
         eligible_cap=None, cross=None, layers=None, account=None, period=None, opsp=None):
    tag = period or f"{valid[0][:4]}-{valid[1][:4]}"
    r = {"id": f"{adm}-{insutype}-{kind}-{group}-{tag}", "insuplc_admdvs": adm, "insutype": insutype,
         "med_types": OTP if kind == "otp" else IPT, "psn_types": psn_types}
    if age is not None:
        r["age"] = age
    r["valid"] = valid
    r["basic_fund_pay_type"] = "310100" if insutype == "310" else "390100"
    if deductible is not None:
        r["deductible"] = deductible
    r["ratio"] = ratio
    r["eligible_cap_year"] = eligible_cap
    r["fund_cap_year"] = fund_cap
    if cross is not None:
        r["cross_region"] = cross
    r["layers"] = layers or []
    if account is not None:
        r["account"] = account
    if opsp is not None:
        r["opsp"] = opsp
    return r


def hifob(threshold, cap, r1="0.60", r2="0.70", mid="100000"):
    return {"id": "hifob", "field": "hifob_pay", "fund_pay_type": "330100", "base": "inscp_remaining",
            "per": "year", "bands": [{"from": threshold, "to": mid, "ratio": r1},
                                     {"from": mid, "to": None, "ratio": r2}], "cap": cap}


def hifmi(threshold, cap, r1="0.60", r2="0.70", mid="100000", base="inscp_remaining"):
    return {"id": "hifmi", "field": "hifmi_pay", "fund_pay_type": "390200", "base": base,
            "per": "year", "bands": [{"from": threshold, "to": mid, "ratio": r1},
                                     {"from": mid, "to": None, "ratio": r2}], "cap": cap}


def maf(threshold_low="2000", disabled_threshold="5000"):
    return [
        {"id": "maf-extreme", "field": "maf_pay", "fund_pay_type": "610100", "base": "inscp_remaining",
         "per": "year", "bands": [{"from": "0", "to": None, "ratio": "0.90"}], "cap": "100000",
         "idet": ["extreme_poverty"]},
        {"id": "maf-low", "field": "maf_pay", "fund_pay_type": "610100", "base": "inscp_remaining",
         "per": "year", "bands": [{"from": threshold_low, "to": None, "ratio": "0.70"}], "cap": "80000",
         "idet": ["low_income"]},
        {"id": "maf-disabled", "field": "maf_pay", "fund_pay_type": "610100", "base": "inscp_remaining",
         "per": "year", "bands": [{"from": disabled_threshold, "to": None, "ratio": "0.50"}], "cap": "50000",
         "idet": ["disabled", "special_care"]},
    ]


# 门诊慢特病 (med_type 14) per disease (training values, invented): annual deductible, ratio by hospital
# level, annual fund cap. Only the Suzhou employee outpatient rules carry them; elsewhere med_type 14
# settles like an ordinary outpatient visit.
def opsp_rule(ded, r1, r2, r3, cap):
    return {"deductible_year": ded, "ratio": {"by_hosp_lv": lv(r1, r2, r3)}, "fund_cap_year": cap}


OPSP_SZ_EMP = {
    "M03900": opsp_rule("200", "0.90", "0.85", "0.80", "3000"),
    "M01600": opsp_rule("200", "0.90", "0.85", "0.80", "4000"),
    "M04300": opsp_rule("300", "0.90", "0.85", "0.80", "4000"),
    "M05300": opsp_rule("300", "0.85", "0.80", "0.75", "5000"),
    "M07801": opsp_rule("0", "0.95", "0.92", "0.90", "60000"),
    "M00500": opsp_rule("0", "0.90", "0.90", "0.85", "100000"),
}


def year_ded(v):
    return {"per": "year", "by_hosp_lv": lv(v, v, v)}


def shanghai(adm):
    cr = pts()
    cr_ipt = pts()
    return [
        # employee outpatient: in-service <=44 / >=45 (source A table), retired (plausible)
        rule(adm, "310", "otp", "in44", ALL, EMP_IN, age=[0, 44], deductible=year_ded("1500"),
             ratio={"by_hosp_lv": lv("0.65", "0.60", "0.50")}, cross=cr, account={"covers": "all"}),
        rule(adm, "310", "otp", "in45", ALL, EMP_IN, age=[45, 150], deductible=year_ded("1500"),
             ratio={"by_hosp_lv": lv("0.75", "0.70", "0.60")}, cross=cr, account={"covers": "all"}),
        rule(adm, "310", "otp", "ret", ALL, EMP_RET, deductible=year_ded("700"),
             ratio={"by_hosp_lv": lv("0.85", "0.80", "0.75")}, cross=cr, account={"covers": "all"}),
        rule(adm, "310", "ipt", "in", ALL, EMP_IN, deductible={"per": "visit", "by_hosp_lv": lv("1500", "1500", "1500")},
             ratio={"by_hosp_lv": lv("0.85", "0.85", "0.85")}, fund_cap="590000", cross=cr_ipt,
             layers=[hifob("20000", "400000", "0.80", "0.85")], account={"covers": "all"}),
        rule(adm, "310", "ipt", "ret", ALL, EMP_RET, deductible={"per": "visit", "by_hosp_lv": lv("700", "700", "700")},
             ratio={"by_hosp_lv": lv("0.92", "0.92", "0.92")}, fund_cap="590000", cross=cr_ipt,
             layers=[hifob("20000", "400000", "0.80", "0.85")], account={"covers": "all"}),
        # resident (2024 official FAQ values used for all years in training)
        rule(adm, "390", "otp", "age19-59", ALL, ["*"], age=[19, 59], deductible=year_ded("500"),
             ratio={"by_hosp_lv": lv("0.70", "0.60", "0.50")}, cross=cr),
        rule(adm, "390", "otp", "other", ALL, ["*"], deductible=year_ded("300"),
             ratio={"by_hosp_lv": lv("0.70", "0.60", "0.50")}, cross=cr),
        rule(adm, "390", "ipt", "lt60", ALL, ["*"], age=[0, 59], deductible={"per": "visit", "by_hosp_lv": lv("50", "100", "300")},
             ratio={"by_hosp_lv": lv("0.80", "0.75", "0.60")}, fund_cap="300000", cross=cr_ipt,
             layers=[hifmi("15000", "400000")] + maf()),
        rule(adm, "390", "ipt", "ge60", ALL, ["*"], deductible={"per": "visit", "by_hosp_lv": lv("50", "100", "300")},
             ratio={"by_hosp_lv": lv("0.90", "0.80", "0.70")}, fund_cap="300000", cross=cr_ipt,
             layers=[hifmi("15000", "400000")] + maf()),
    ]


def suzhou(adm, factor_mode):
    cr = factor() if factor_mode else pts()
    cr_ipt_emp = factor() if factor_mode else pts()
    cr_ipt_res = {"allow_unfiled": False}
    nth = [{"factor": "1"}, {"factor": "0.5"}, {"amount": "100"}]
    ipt_ded = {"per": "visit", "by_hosp_lv": lv("300", "600", "800"), "nth_admission": nth}
    p1 = ["2020-01-01", "2021-12-31"]
    p2 = ["2022-01-01", "2027-12-31"]
    return [
        rule(adm, "310", "otp", "in", ALL, EMP_IN, deductible=year_ded("600"),
             ratio={"by_hosp_lv": lv("0.80", "0.75", "0.70")}, cross=cr, account={"covers": "all"}, opsp=OPSP_SZ_EMP),
        rule(adm, "310", "otp", "ret", ALL, EMP_RET, deductible=year_ded("400"),
             ratio={"by_hosp_lv": lv("0.85", "0.80", "0.75")}, cross=cr, account={"covers": "all"}, opsp=OPSP_SZ_EMP),
        rule(adm, "310", "ipt", "in", ALL, EMP_IN, deductible=ipt_ded,
             ratio={"by_hosp_lv": lv("0.92", "0.90", "0.88")}, fund_cap="350000", cross=cr_ipt_emp,
             layers=[hifob("10000", "400000")], account={"covers": "all"}),
        rule(adm, "310", "ipt", "ret", ALL, EMP_RET, deductible=ipt_ded,
             ratio={"by_hosp_lv": lv("0.96", "0.95", "0.93")}, fund_cap="350000", cross=cr_ipt_emp,
             layers=[hifob("10000", "400000")], account={"covers": "all"}),
        rule(adm, "390", "otp", "all", ALL, ["*"], deductible=year_ded("200"),
             ratio={"by_hosp_lv": lv("0.60", "0.55", "0.50")}, cross=cr),
        # resident inpatient: by hospital level until 2021, cumulative bands from 2022 (student/child table)
        rule(adm, "390", "ipt", "all", p1, ["*"], deductible=ipt_ded,
             ratio={"by_hosp_lv": lv("0.85", "0.80", "0.70")}, fund_cap="350000", cross=cr_ipt_res,
             layers=[hifmi("15000", "400000")] + maf()),
        rule(adm, "390", "ipt", "all", p2, ["*"], deductible=ipt_ded,
             ratio={"bands": [{"from": "0", "to": "40000", "ratio": "0.75"},
                              {"from": "40000", "to": "100000", "ratio": "0.80"},
                              {"from": "100000", "to": "200000", "ratio": "0.85"},
                              {"from": "200000", "to": None, "ratio": "0.90"}]},
             fund_cap="350000", cross=cr_ipt_res, layers=[hifmi("15000", "400000")] + maf()),
    ]


def jiashan(adm):
    cr = pts()
    return [
        rule(adm, "310", "otp", "in", ALL, EMP_IN, deductible=year_ded("600"),
             ratio={"by_hosp_lv": lv("0.80", "0.75", "0.70")}, cross=cr, account={"covers": "inscp_only"}),
        rule(adm, "310", "otp", "ret", ALL, EMP_RET, deductible=year_ded("300"),
             ratio={"by_hosp_lv": lv("0.85", "0.80", "0.75")}, cross=cr, account={"covers": "inscp_only"}),
        rule(adm, "310", "ipt", "in", ALL, EMP_IN,
             deductible={"per": "visit", "by_hosp_lv": lv("400", "600", "800"),
                         "nth_admission": [{"factor": "1"}, {"factor": "0.5"}]},
             ratio={"by_hosp_lv": lv("0.90", "0.87", "0.85")}, fund_cap="400000", cross=pts(),
             layers=[hifob("15000", "400000")], account={"covers": "inscp_only"}),
        rule(adm, "310", "ipt", "ret", ALL, EMP_RET,
             deductible={"per": "visit", "by_hosp_lv": lv("300", "400", "600"),
                         "nth_admission": [{"factor": "1"}, {"factor": "0.5"}]},
             ratio={"by_hosp_lv": lv("0.93", "0.90", "0.88")}, fund_cap="400000", cross=pts(),
             layers=[hifob("15000", "400000")], account={"covers": "inscp_only"}),
        rule(adm, "390", "otp", "all", ALL, ["*"], deductible=year_ded("300"),
             ratio={"by_hosp_lv": lv("0.55", "0.50", "0.45")}, cross=cr),
        rule(adm, "390", "ipt", "all", ALL, ["*"],
             deductible={"per": "visit", "by_hosp_lv": lv("500", "800", "1000")},
             ratio={"by_hosp_lv": lv("0.80", "0.70", "0.60")}, fund_cap="300000", eligible_cap="400000",
             cross=pts("0.15", "0.05", "0.05"),
             layers=[hifmi("20000", "400000", base="inscp_preselfpay_remaining")] + maf("1500", "4000")),
    ]


def outside(adm, *, emp_otp_ded, emp_ipt_ded, ratios, res_ded, res_ratio, cap, allow_ipt, points):
    cr = pts(*points)
    cr_ipt = pts(*points, allow=allow_ipt)
    in_otp, ret_otp, in_ipt, ret_ipt = ratios
    return [
        rule(adm, "310", "otp", "in", ALL, EMP_IN, deductible=year_ded(emp_otp_ded),
             ratio={"by_hosp_lv": in_otp}, cross=cr, account={"covers": "all"}),
        rule(adm, "310", "otp", "ret", ALL, EMP_RET, deductible=year_ded(str(int(emp_otp_ded) // 2)),
             ratio={"by_hosp_lv": ret_otp}, cross=cr, account={"covers": "all"}),
        rule(adm, "310", "ipt", "in", ALL, EMP_IN,
             deductible={"per": "visit", "by_hosp_lv": lv(*emp_ipt_ded),
                         "nth_admission": [{"factor": "1"}, {"factor": "0.5"}]},
             ratio={"by_hosp_lv": in_ipt}, fund_cap=cap, cross=cr_ipt,
             layers=[hifob("20000", "300000", "0.80", "0.85")], account={"covers": "all"}),
        rule(adm, "310", "ipt", "ret", ALL, EMP_RET,
             deductible={"per": "visit", "by_hosp_lv": lv(*emp_ipt_ded),
                         "nth_admission": [{"factor": "1"}, {"factor": "0.5"}]},
             ratio={"by_hosp_lv": ret_ipt}, fund_cap=cap, cross=cr_ipt,
             layers=[hifob("20000", "300000", "0.85", "0.90")], account={"covers": "all"}),
        rule(adm, "390", "otp", "all", ALL, ["*"], deductible=year_ded(res_ded),
             ratio={"by_hosp_lv": lv("0.55", "0.50", "0.45")}, cross=cr),
        rule(adm, "390", "ipt", "all", ALL, ["*"],
             deductible={"per": "visit", "by_hosp_lv": lv("300", "600", "1000")},
             ratio={"by_hosp_lv": res_ratio}, fund_cap="250000", cross=cr_ipt,
             layers=[hifmi("18000", "400000")] + maf()),
    ]


def bundle(adm, policies):
    # issuer / valid_from / valid_to: the header of the import format (docs/operations.md, "Policy
    # parameters"); the training issuer says plainly that nobody official published these values
    return {"format": "policy-bundle/1", "insuplc_admdvs": adm, "insuplc_name": NAMES[adm],
            "issuer": f"{NAMES[adm]}医疗保障局（培训示例，非官方发布）",
            "ver": "2026.1", "issued_at": "2026-01-01T00:00:00+08:00", "valid_from": ALL[0], "valid_to": ALL[1],
            "note": NOTE, "policies": policies, "zones": [ZONE], "pools": POOLS}


def build_bundles() -> dict[str, dict]:
    """Every training bundle keyed by insured region (policy-bundle/1 dicts)."""
    policies = {
        "310118": shanghai("310118"),
        "310101": shanghai("310101"),
        "320509": suzhou("320509", factor_mode=True),
        "320506": suzhou("320506", factor_mode=False),
        "330421": jiashan("330421"),
        "110105": outside("110105", emp_otp_ded="1800", emp_ipt_ded=("1300", "1300", "1300"),
                          ratios=(lv("0.90", "0.80", "0.70"), lv("0.90", "0.85", "0.85"),
                                  lv("0.90", "0.87", "0.85"), lv("0.97", "0.96", "0.95")),
                          res_ded="100", res_ratio=lv("0.80", "0.78", "0.75"), cap="500000",
                          allow_ipt=False, points=("0.20", "0.10", "0.10")),
        "340102": outside("340102", emp_otp_ded="800", emp_ipt_ded=("300", "600", "900"),
                          ratios=(lv("0.70", "0.65", "0.60"), lv("0.75", "0.70", "0.65"),
                                  lv("0.90", "0.85", "0.80"), lv("0.93", "0.90", "0.85")),
                          res_ded="200", res_ratio=lv("0.85", "0.75", "0.65"), cap="300000",
                          allow_ipt=True, points=("0.15", "0.10", "0.05")),
        "420106": outside("420106", emp_otp_ded="700", emp_ipt_ded=("300", "600", "800"),
                          ratios=(lv("0.70", "0.65", "0.60"), lv("0.75", "0.70", "0.65"),
                                  lv("0.90", "0.86", "0.85"), lv("0.94", "0.90", "0.88")),
                          res_ded="150", res_ratio=lv("0.85", "0.75", "0.60"), cap="300000",
                          allow_ipt=True, points=("0.20", "0.10", "0.10")),
    }
    return {adm: bundle(adm, pol) for adm, pol in policies.items()}


def bundle_text(b: dict) -> str:
    """The exact file text of a bundle (UTF-8 JSON, one-space indent, trailing newline)."""
    return json.dumps(b, ensure_ascii=False, indent=1) + "\n"


def write_bundles(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for adm, b in build_bundles().items():
        path = out_dir / f"{adm}.json"
        path.write_text(bundle_text(b), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    from training_platform.resources import resource

    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else resource("policies")
    for path in write_bundles(out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
