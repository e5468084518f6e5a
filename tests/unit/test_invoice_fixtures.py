"""Settlement records for the document and invoice tests, built from the spec's published output.

``build_record(name)`` turns a published example (tests/oracles.py) into the "settlement record" the
checkout service hands to printing: the bill (codes, counts, prices, catalogue names) comes from
NAME.case.json and every amount from NAME.expected.json — the output the spec's authors published,
never a run of our own engine, so a wrong engine cannot make the documents' expected figures wrong
with it. Person and institution details are fixed demo values. ``big_record(n)`` makes an n-line
inpatient bill. The tests in this file check that the records themselves hold the settlement identities.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests import oracles

CASES = ("01-zone-outpatient", "02-filed-inpatient-critical", "05-bands-cap-assistance")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(first17: str) -> str:
    """A GB 11643 citizen number with a correct check digit."""
    s = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[s % 11]


_ID_RE = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9])")


def find_unmasked_ids(text: str) -> list[str]:
    """18-character resident ID numbers (plausible birth date and a valid check digit) in *text*."""
    return [m for m in _ID_RE.findall(text) if resident_id(m[:17]) == m.upper()]


_SPEC = {  # demo spec/unit per catalogue code
    "XJ01CRA006A001010104041": ("0.25g*24粒", "盒"), "ZA09BAX0367010102963": ("27mg*180丸", "瓶"),
    "001102000010000": ("", "次"), "250401015": ("", "项"), "C14010203000000000000": ("5ml", "支"),
    "LOCAL-NOT-IN-CATALOG": ("", "次"), "A": ("", "项"), "B": ("0.5g", "支"), "C": ("", "套"),
}

_PEOPLE = {
    "01-zone-outpatient": {"psn_name": "沈明", "certno": resident_id("33042119850315001"), "gend": "1",
                           "age": 41, "card_no": "A12345678"},
    "02-filed-inpatient-critical": {"psn_name": "陆桂英", "certno": resident_id("32050919540312002"),
                                    "gend": "2", "age": 67},
    "05-bands-cap-assistance": {"psn_name": "周建国", "certno": resident_id("32050919640820003"),
                                "gend": "1", "age": 58},
}
_INST = {
    "310118": {"fixmedins_code": "H31011800123", "fixmedins_name": "上海市青浦区示范医院"},
    "330421": {"fixmedins_code": "H33042100456", "fixmedins_name": "嘉善县示范人民医院"},
    "320509": {"fixmedins_code": "H32050900789", "fixmedins_name": "苏州市吴江区示范医院"},
}


def build_record(name: str, *, training=False, offline=False, reprint=False, print_count=1) -> dict:
    case = oracles.case(name)
    out = oracles.expected(name)  # the published result: no engine run
    cat = {c["code"]: c for c in case["catalog"]}
    v, p = case["visit"], case["person"]
    inpatient = v["med_type"].startswith("2")
    lines = []
    for src, res in zip(case["lines"], out["lines"], strict=True):
        c = cat.get(src["code"], {})
        spec, unit = _SPEC.get(src["code"], ("", "项"))
        lines.append({
            "feedetl_sn": src["feedetl_sn"], "code": src["code"], "name": c.get("name", "院内自制检验项目"),
            "spec": spec, "unit": unit, "cnt": src["cnt"], "pric": src["pric"],
            "det_item_fee_sumamt": res["det_item_fee_sumamt"],
            "med_chrgitm_type": c.get("med_chrgitm_type", "14"), "chrgitm_lv": res.get("chrgitm_lv"),
            "selfpay_prop": res.get("selfpay_prop"),
            "fulamt_ownpay_amt": res["fulamt_ownpay_amt"], "overlmt_amt": res["overlmt_amt"],
            "preselfpay_amt": res["preselfpay_amt"], "inscp_scp_amt": res["inscp_scp_amt"],
        })
    cash = out["setlinfo"]["psn_cash_pay"]
    payments = {
        "01-zone-outpatient": [{"method": "cash", "amount": cash, "tendered": "120.00",
                                "change": str(Decimal("120.00") - Decimal(cash))}],
        "02-filed-inpatient-critical": [{"method": "bank_card", "amount": cash}],
        "05-bands-cap-assistance": [{"method": "wechat", "amount": cash}],
    }[name]
    begn = v["begndate"]
    return {
        "institution": {**_INST[v["mdtrtarea_admvs"]], "admdvs": v["mdtrtarea_admvs"], "hosp_lv": v["hosp_lv"]},
        "window": "01",
        "cashier": {"opter": "C0102", "opter_name": "王晓燕"},
        "person": {**_PEOPLE[name], "insutype": p["insutype"], "psn_type": p["psn_type"],
                   "insuplc_admdvs": p["insuplc_admdvs"]},
        "visit": {"med_type": v["med_type"], "ipt_otp_no": ("ZY" if inpatient else "MZ") + "20210001234",
                  "mdtrt_id": "MD" + v["mdtrtarea_admvs"] + "000000123", "begndate": begn,
                  "enddate": ("2021-11-20" if inpatient and begn.startswith("2021") else
                              "2022-04-02" if inpatient else begn),
                  "dept_name": "心血管内科" if inpatient else "全科门诊"},
        "setl_id": "S" + v["mdtrtarea_admvs"] + "2021000000" + name[:2],
        "medins_setl_id": _INST[v["mdtrtarea_admvs"]]["fixmedins_code"] + "202107131012300001",
        "setl_time": f"{v.get('enddate', begn) if not inpatient else begn} 10:12:30",
        "setlinfo": dict(out["setlinfo"]),
        "setldetail": list(out["setldetail"]),
        "invoice_split": dict(out["invoice"]),
        "lines": lines,
        "payments": payments,
        "einvoice": None,
        "flags": {"training": training, "offline": offline, "reprint": reprint, "print_count": print_count},
    }


def _q(d: Decimal) -> Decimal:
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def big_record(n: int = 3000) -> dict:
    """An inpatient record with *n* lines that satisfies every settlement identity."""
    rec = build_record("02-filed-inpatient-critical")
    names = [("床位费（三人间）", "01", "日", "01"), ("住院诊查费", "02", "日", "01"),
             ("血常规（五分类）", "04", "次", "01"), ("静脉输液（第一组）", "05", "次", "01"),
             ("一级护理", "07", "日", "01"), ("一次性输液器", "08", "套", "02"),
             ("注射用头孢曲松钠", "09", "支", "02"), ("复方丹参滴丸", "11", "瓶", "02"),
             ("进口心脏支架（自费）", "08", "个", "03"), ("彩色多普勒超声检查", "03", "次", "01")]
    lines, total, ful, pre = [], Decimal("0"), Decimal("0"), Decimal("0")
    for i in range(n):
        name, cat, unit, lv = names[i % len(names)]
        cnt = Decimal(1 + i % 3)
        pric = Decimal(3 + (i * 37) % 400) + Decimal(i % 100) / 100
        amt = _q(cnt * pric)
        f = amt if lv == "03" else Decimal("0.00")
        p = _q(amt * Decimal("0.10")) if lv == "02" else Decimal("0.00")
        lines.append({"feedetl_sn": str(i + 1), "code": f"{cat}{i:013d}", "name": f"{name}{i % 7 or ''}",
                      "spec": "0.5g" if cat in ("09", "11") else "", "unit": unit, "cnt": str(cnt),
                      "pric": f"{pric:.2f}", "det_item_fee_sumamt": f"{amt:.2f}", "med_chrgitm_type": cat,
                      "chrgitm_lv": lv, "selfpay_prop": "0.10" if lv == "02" else "0",
                      "fulamt_ownpay_amt": f"{f:.2f}", "overlmt_amt": "0.00", "preselfpay_amt": f"{p:.2f}",
                      "inscp_scp_amt": f"{amt - f - p:.2f}"})
        total, ful, pre = total + amt, ful + f, pre + p
    inscp = total - ful - pre
    hifp = _q(inscp * Decimal("0.70"))
    psn_part = total - hifp
    s = {k: "0.00" for k in rec["setlinfo"]}
    s.update({"medfee_sumamt": f"{total:.2f}", "fulamt_ownpay_amt": f"{ful:.2f}", "preselfpay_amt": f"{pre:.2f}",
              "inscp_scp_amt": f"{inscp:.2f}", "hifp_pay": f"{hifp:.2f}", "fund_pay_sumamt": f"{hifp:.2f}",
              "psn_part_amt": f"{psn_part:.2f}", "psn_cash_pay": f"{psn_part:.2f}",
              "pool_prop_selfpay": "0.7000"})
    rec.update(lines=lines, setlinfo=s, invoice_split={"self_cost": f"{ful:.2f}", "self_pay": f"{psn_part - ful:.2f}"},
               payments=[{"method": "bank_card", "amount": f"{psn_part:.2f}"}])
    return rec


# --- the records themselves must hold the identities the documents rely on -------------------

def _d(s):
    return Decimal(s)


@pytest.mark.parametrize("name", CASES)
def test_example_record_identities(name):
    r = build_record(name)
    s = r["setlinfo"]
    assert sum(_d(ln["det_item_fee_sumamt"]) for ln in r["lines"]) == _d(s["medfee_sumamt"])
    funds = sum(_d(s[f]) for f in ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay",
                                   "maf_pay", "oth_pay"))
    assert funds == _d(s["fund_pay_sumamt"])
    assert funds + _d(s["acct_pay"]) + _d(s["psn_cash_pay"]) == _d(s["medfee_sumamt"])
    assert _d(r["invoice_split"]["self_cost"]) + _d(r["invoice_split"]["self_pay"]) == _d(s["psn_part_amt"])
    assert len(r["person"]["certno"]) == 18


def test_big_record_identities():
    r = big_record(500)
    s = r["setlinfo"]
    assert len(r["lines"]) == 500
    assert sum(_d(ln["det_item_fee_sumamt"]) for ln in r["lines"]) == _d(s["medfee_sumamt"])
    assert _d(s["hifp_pay"]) + _d(s["psn_cash_pay"]) == _d(s["medfee_sumamt"])
    assert _d(r["invoice_split"]["self_cost"]) + _d(r["invoice_split"]["self_pay"]) == _d(s["psn_part_amt"])


@pytest.mark.parametrize("name", CASES)
def test_records_carry_the_published_amounts_not_an_engine_run(name, monkeypatch):
    """The oracle stays independent: with the engine broken, the records are the same, and every
    amount is the one in NAME.expected.json."""
    from client.domain import engine

    def broken(*a, **k):
        raise AssertionError("build_record must not run the engine")

    monkeypatch.setattr(engine, "settle", broken)
    monkeypatch.setattr(engine, "settle_text", broken)
    r, exp = build_record(name), oracles.expected(name)
    assert r["setlinfo"] == exp["setlinfo"]
    assert r["setldetail"] == exp["setldetail"]
    assert r["invoice_split"] == exp["invoice"]
    for line, e in zip(r["lines"], exp["lines"], strict=True):
        assert line["feedetl_sn"] == e["feedetl_sn"]
        for key in ("det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt",
                    "inscp_scp_amt", "chrgitm_lv", "selfpay_prop"):
            assert line[key] == e[key], (e["feedetl_sn"], key)
