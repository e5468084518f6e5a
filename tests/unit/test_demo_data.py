"""Training demo data (training_platform.demo): determinism, fixed entries, realism invariants."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from training_platform import demo

ZONE = {"310118", "320509", "330421"}
OUT_OF_ZONE_PROVINCES = {"11", "34", "42"}


@pytest.fixture(scope="module")
def data() -> dict:
    return demo.generate()


def _gb11643_ok(certno: str) -> bool:
    """Independent GB 11643 check: sum(a_i * 2^(17-i) mod 11) + check value ≡ 1 (mod 11)."""
    if not re.fullmatch(r"\d{17}[\dX]", certno):
        return False
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(certno[:17]))
    check = 10 if certno[17] == "X" else int(certno[17])
    return (total + check) % 11 == 1


def _age(brdy: str, at: date = date(2026, 11, 1)) -> int:
    b = date.fromisoformat(brdy)
    return at.year - b.year - ((at.month, at.day) < (b.month, b.day))


def _ean13_ok(code: str) -> bool:
    if not re.fullmatch(r"\d{13}", code):
        return False
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(code[:12]))
    return (10 - total % 10) % 10 == int(code[12])


# ---------------------------------------------------------------- determinism and shape


def test_same_seed_same_data_and_json_serialisable(data):
    again = demo.generate()
    assert json.dumps(data, sort_keys=True, ensure_ascii=False) == json.dumps(again, sort_keys=True, ensure_ascii=False)
    assert set(data) == {"institutions", "people", "catalog", "his_charges", "his_stays", "policy_bundles", "einvoice"}


def test_other_seed_differs_beyond_fixed_entries(data):
    other = demo.generate(seed=7)
    fixed = set(demo.FIXED_CERTNOS)
    extra_a = [p["certno"] for p in data["people"] if p["certno"] not in fixed]
    extra_b = [p["certno"] for p in other["people"] if p["certno"] not in fixed]
    assert extra_a != extra_b
    assert [p for p in data["people"] if p["certno"] in fixed] == [p for p in other["people"] if p["certno"] in fixed]
    assert data["institutions"] == other["institutions"]
    assert [r["pric"] for r in data["catalog"]] != [r["pric"] for r in other["catalog"]]


# ---------------------------------------------------------------- fixed entries

FIXED_PEOPLE = {
    "330421198503150016": ("沈明", "1", "1985-03-15", "310", "1101", "330421", "1280.00"),
    "320509195207080020": ("陆秀英", "2", "1952-07-08", "310", "1201", "320509", "3500.00"),
    "310118199001010036": ("张伟", "1", "1990-01-01", "310", "1101", "310118", None),
    "110105197804120046": ("王芳", "2", "1978-04-12", "310", "1101", "110105", None),
    "330421201706010050": ("顾子涵", "1", "2017-06-01", "390", "1403", "330421", "0.00"),
}


def test_fixed_institutions(data):
    got = {i["fixmedins_code"]: (i["fixmedins_name"], i["hosp_lv"], i["admdvs"]) for i in data["institutions"]}
    assert got["H31011800001"] == ("上海市青浦区培训医院", "2", "310118")
    assert got["H32050900001"] == ("苏州市吴江区培训医院", "3", "320509")
    assert got["H33042100001"] == ("嘉善县培训医院", "2", "330421")
    assert all(i["sign_secret"].startswith("TRAINING-ONLY-") for i in data["institutions"])
    for code, inv in data["einvoice"].items():
        assert code in got
        assert re.fullmatch(r"\d{8}", inv["EInvoiceCode"]) and inv["EInvoiceCode"].endswith("26")
        assert inv["EInvoiceCode"][:2] == got[code][2][:2]
        assert inv["SupervisorAreaCode"] == got[code][2]
        assert inv["EInvoiceSpecimenCode"]


def test_fixed_people_exact(data):
    people = {p["certno"]: p for p in data["people"]}
    for certno, (name, gend, brdy, insutype, psn_type, adm, balc) in FIXED_PEOPLE.items():
        p = people[certno]
        info = p["insuinfo"][0]
        assert (p["psn_name"], p["gend"], p["brdy"]) == (name, gend, brdy)
        assert (info["insutype"], info["psn_type"], info["insuplc_admdvs"], info["psn_insu_stas"]) == (
            insutype, psn_type, adm, "1")
        if balc is not None:
            assert info["balc"] == balc
        assert p["psn_no"] == certno + "01"
    assert people["110105197804120046"]["filing"]["type"] == "none"
    # Printed training QR codes and card strings must never change (docs/demo-data.md).
    shen = people["330421198503150016"]
    # 28 digits (reference §6): the 26 draws of the former ECQR330421EDGUIZRCMU938TN7TC30QHGJIK, the
    # first 18 as digits (index in 0-9A-Z mod 10: E→4 D→3 G→6 U→0 I→8 Z→5 R→7 C→2 M→2 U→0 9 3 8 T→9 N→3 7
    # T→9 C→2), then "0001" and the insured admdvs 330421.
    assert shen["ecqr"] == "436085722093893792" + "0001" + "330421"
    assert shen["card"]["card_no"] == "XT2L0T5W2"
    assert shen["card"]["card_data"] == (
        "330421|330421198503150016|XT2L0T5W2|330421D15631D9D62E0D18042342BE1A|沈明|3B6D0000001E8CD6A2F006687F"
        "|3.00|20190320|20290320|330421129753|3471155554|")
    assert shen["ytd"] == {"2026": {"dedc_paid": "550.00"}}


# ---------------------------------------------------------------- people


def test_people_counts_and_categories(data):
    people = data["people"]
    extra = [p for p in people if p["certno"] not in demo.FIXED_CERTNOS]
    assert len(extra) >= 60
    regions = Counter(p["insuinfo"][0]["insuplc_admdvs"] for p in extra)
    assert all(regions[z] >= 10 for z in ZONE)
    assert {"310101", "320506"} <= set(regions)
    assert len({r[:2] for r in regions} & OUT_OF_ZONE_PROVINCES) >= 2
    types = Counter(p["insuinfo"][0]["psn_type"] for p in people)
    assert types["1201"] and types["1501"] and types["1403"] and types["1101"]
    assert {p["insuinfo"][0]["insutype"] for p in people} == {"310", "390"}
    filings = Counter(p["filing"]["type"] for p in people)
    assert filings["long_term"] >= 5 and filings["referral"] >= 3
    for p in people:
        f = p["filing"]
        if f["type"] == "none":
            assert f == {"type": "none", "admdvs": None, "begndate": None, "enddate": None}
        else:
            assert f["admdvs"] in ZONE and f["admdvs"] != p["insuinfo"][0]["insuplc_admdvs"]
            assert f["begndate"] <= "2026-11-01" and (f["enddate"] is None or f["enddate"] > "2026-11-22")
    assert sum(1 for p in people if p["chronic"]) >= 5
    suspended = [p for p in people if p["insuinfo"][0]["psn_insu_stas"] == "2"]
    assert len(suspended) >= 2 and all(p["insuinfo"][0]["paus_insu_date"] for p in suspended)
    assert sum(1 for p in people if p["idet"]) >= 3
    assert sum(1 for p in people if p["ytd"].get("2026")) >= 10


def test_person_identity_invariants(data):
    certnos = [p["certno"] for p in data["people"]]
    assert len(set(certnos)) == len(certnos)
    psn_nos = [p["psn_no"] for p in data["people"]]
    assert len(set(psn_nos)) == len(psn_nos) and all(len(x) <= 30 for x in psn_nos)
    for p in data["people"]:
        c = p["certno"]
        info = p["insuinfo"][0]
        assert _gb11643_ok(c), c
        assert c[:6] == info["insuplc_admdvs"]
        assert p["brdy"].replace("-", "") == c[6:14]
        assert p["gend"] == ("1" if int(c[16]) % 2 else "2")
        age = _age(p["brdy"])
        t = info["psn_type"]
        if t == "1403":
            assert 6 <= age <= 15, (c, age)
        elif t.startswith("12"):
            assert age >= 55, (c, age)
        elif t.startswith("11"):
            assert 18 <= age <= 60, (c, age)
        elif t == "1501":
            assert age >= 18
        if info["insutype"] == "390":
            assert info["balc"] == "0.00"
        else:
            assert Decimal(info["balc"]) >= 0 and re.fullmatch(r"\d+\.\d{2}", info["balc"])
        assert info["psn_insu_date"] >= p["brdy"]
        labels = {row["psn_idet_type"] for row in p["idetinfo"]}
        assert len(labels) == len(p["idet"])


def test_cards_and_e_vouchers(data):
    ecqrs, card_nos = set(), set()
    expired = 0
    for p in data["people"]:
        adm = p["insuinfo"][0]["insuplc_admdvs"]
        assert re.fullmatch(r"\d{28}", p["ecqr"]) and p["ecqr"][-6:] == adm
        ecqrs.add(p["ecqr"])
        card = p["card"]
        assert re.fullmatch(r"[A-Z][0-9A-Z]{8}", card["card_no"])
        assert re.fullmatch(r"\d{6}D156[0-9A-F]{22}", card["card_sn"]) and card["card_sn"][:6] == adm
        fields = card["card_data"].split("|")
        assert len(fields) == 12 and fields[11] == ""  # 11 fields, trailing separator
        assert fields[0] == adm and fields[1] == p["certno"] and fields[2] == card["card_no"]
        assert fields[3] == card["card_sn"] and fields[4] == p["psn_name"]
        assert fields[7].replace("-", "") >= p["brdy"].replace("-", "") and fields[8] > fields[7]
        if fields[8] < "20261101":
            expired += 1
        card_nos.add(card["card_no"])
    assert len(ecqrs) == len(data["people"]) and len(card_nos) == len(data["people"])
    assert expired == 1


# ---------------------------------------------------------------- catalogue


def test_catalog_invariants(data):
    rows = data["catalog"]
    keys = [(r["admdvs"], r["med_list_codg"]) for r in rows]
    assert len(set(keys)) == len(keys)
    per_region = Counter(r["admdvs"] for r in rows)
    assert set(per_region) == ZONE and min(per_region.values()) >= 150
    vers = [r["ver"] for r in rows]
    assert vers == sorted(vers) and len(set(vers)) >= 3
    assert len({r["rid"] for r in rows}) == len(rows)
    classes = Counter(r["chrgitm_lv"] for r in rows)
    assert classes["01"] > classes["03"] and classes["02"] > classes["03"] > 0
    for r in rows:
        assert r["list_type"] in {"101", "102", "201", "301"}
        assert r["chrgitm_lv"] in {"01", "02", "03"}
        sp = Decimal(r["selfpay_prop"])
        assert 0 <= sp <= 1
        if r["chrgitm_lv"] == "02":
            assert Decimal("0.05") <= sp <= Decimal("0.20"), r
        if r["pric_uplmt_amt"] is not None:
            assert Decimal(r["pric_uplmt_amt"]) > 0
        assert Decimal(r["pric"]) > 0 and re.fullmatch(r"\d+\.\d{2}", r["pric"])
        if r["barcode"] is not None:
            assert r["barcode"].startswith("69") and _ean13_ok(r["barcode"])
        code = r["med_list_codg"]
        if r["list_type"] == "101":
            assert re.fullmatch(r"X[A-Z]\d\d[A-Z]{2}[A-Z]\d{3}[A-Z]\d{12}|Z[A-Z]\d\d[A-Z]{2}X\d{13}", code), code
            assert r["med_chrgitm_type"] in {"09", "11"}
        elif r["list_type"] == "201":
            assert re.fullmatch(r"\d{9,15}", code)
        elif r["list_type"] == "301":
            assert re.fullmatch(r"C\d{20}", code) and r["med_chrgitm_type"] == "08"
        assert r["vali_flag"] in {"0", "1"}
        assert (r["vali_flag"] == "0") == (r["enddate"] is not None)
    # some class-B first self-pay ratios differ between treatment places (就医地目录)
    b = {}
    for r in rows:
        if r["chrgitm_lv"] == "02":
            b.setdefault(r["med_list_codg"], set()).add(r["selfpay_prop"])
    assert sum(1 for v in b.values() if len(v) > 1) >= 20
    limited = [r for r in rows if r["pric_uplmt_amt"]]
    over = [r for r in limited if Decimal(r["pric"]) > Decimal(r["pric_uplmt_amt"])]
    assert len(limited) >= 30 and 0 < len(over) < len(limited)
    names = {r["name"] for r in rows}
    for n in ("阿莫西林胶囊", "盐酸二甲双胍片", "苯磺酸氨氯地平片", "连花清瘟胶囊", "普通门诊诊查费",
              "急诊诊查费", "血常规(全血细胞计数+五分类)", "胸部CT平扫", "静脉输液", "一次性使用输液器", "黄芪"):
        assert n in names


def test_example_01_catalogue_values_for_qingpu(data):
    q = {r["med_list_codg"]: r for r in data["catalog"] if r["admdvs"] == "310118"}
    expect = {
        "XJ01CRA006A001010104041": ("头孢克洛胶囊", "01", None, "2.80", "3.10"),
        "ZA09BAX0367010102963": ("复方丹参滴丸", "02", "0.10", None, "26.50"),
        "001102000010000": ("普通门诊诊查费", "01", None, None, "25.00"),
        "250401015": ("血清维生素D测定", "03", None, None, "88.00"),
        "C14010203000000000000": ("一次性使用无菌注射器", "02", "0.20", "0.50", "0.65"),
    }
    for code, (name, lv, sp, lim, pric) in expect.items():
        r = q[code]
        assert (r["name"], r["chrgitm_lv"], r["pric_uplmt_amt"], r["pric"]) == (name, lv, lim, pric)
        if sp is not None:
            assert Decimal(r["selfpay_prop"]) == Decimal(sp)
        assert r["vali_flag"] == "1"


def test_big_catalog_exact_size_unique_and_ordered():
    n = 20000
    rows = list(demo.iter_catalog(demo.DEFAULT_SEED, n))
    assert len(rows) == n
    assert len({(r["admdvs"], r["med_list_codg"]) for r in rows}) == n
    vers = [r["ver"] for r in rows]
    assert vers == sorted(vers)
    assert len({r["rid"] for r in rows}) == n
    assert all(_ean13_ok(r["barcode"]) for r in rows if r["barcode"])
    assert len(demo.generate(catalog_size=n)["catalog"]) == n
    with pytest.raises(ValueError, match="catalog_size"):
        list(demo.iter_catalog(demo.DEFAULT_SEED, 10))


# ---------------------------------------------------------------- pending HIS charges


def test_his_charges_reference_the_treatment_place_catalogue(data):
    valid = {(r["admdvs"], r["med_list_codg"]) for r in data["catalog"] if r["vali_flag"] == "1"}
    inst = {i["fixmedins_code"]: i["admdvs"] for i in data["institutions"]}
    certnos = {p["certno"] for p in data["people"]}
    visit_nos = set()
    off_catalog = inpatient = 0
    for certno, visits in data["his_charges"].items():
        assert certno in certnos
        for v in visits:
            assert v["ipt_otp_no"] not in visit_nos
            visit_nos.add(v["ipt_otp_no"])
            adm = inst[v["fixmedins_code"]]
            assert v["mdtrtarea_admvs"] == adm
            sns = [ln["feedetl_sn"] for ln in v["lines"]]
            assert len(set(sns)) == len(sns)
            if v["med_type"] == "21":
                inpatient += 1
                assert 60 <= len(v["lines"]) <= 200
            else:
                assert v["med_type"] in {"11", "13", "14"}
                assert 3 <= len(v["lines"]) <= 12
            for ln in v["lines"]:
                if (adm, ln["code"]) not in valid:
                    assert ln["code"] in demo.OFF_CATALOG_CODES, (adm, ln["code"])
                    off_catalog += 1
                amount = (Decimal(ln["pric"]) * Decimal(ln["cnt"])).quantize(Decimal("0.01"))
                assert Decimal(ln["det_item_fee_sumamt"]) == amount
    assert off_catalog >= 2 and inpatient >= 3
    assert len(data["his_charges"]) >= 40
    assert set(demo.FIXED_CERTNOS) <= set(data["his_charges"])


def test_shen_ming_visit_is_the_example_01_bill(data):
    v = data["his_charges"]["330421198503150016"][0]
    assert v["fixmedins_code"] == "H31011800001" and v["med_type"] == "11"
    got = [(ln["code"], ln["cnt"], ln["pric"]) for ln in v["lines"]]
    assert got == [("XJ01CRA006A001010104041", "24", "3.10"), ("ZA09BAX0367010102963", "2", "26.50"),
                   ("001102000010000", "1", "25.00"), ("250401015", "1", "88.00"),
                   ("C14010203000000000000", "6", "0.65"), ("LOCAL-NOT-IN-CATALOG", "1", "12.00")]


@pytest.mark.parametrize("seed", [1, 424242])
def test_invariants_hold_for_other_seeds(seed):
    other = demo.generate(seed=seed)
    test_people_counts_and_categories(other)
    test_person_identity_invariants(other)
    test_cards_and_e_vouchers(other)
    test_catalog_invariants(other)
    test_example_01_catalogue_values_for_qingpu(other)
    test_his_charges_reference_the_treatment_place_catalogue(other)


def test_printed_qr_images_decode_to_the_fixed_e_vouchers(tmp_path, data):
    """The docs' QR PNGs are current: regenerated images decode (pyzbar) to the fixed people's ecqr."""
    from PIL import Image
    from pyzbar.pyzbar import decode

    from client.resources import resources_dir

    paths = demo.render_qr_images(tmp_path, dpi=100)
    ecqr = {p["certno"]: p["ecqr"] for p in data["people"]}
    assert len(paths) == len(demo.FIXED_CERTNOS)
    for path in paths:
        certno = path.name.split("-")[0]
        assert [d.data.decode() for d in decode(Image.open(path))] == [ecqr[certno]]
        committed = resources_dir().parent / "docs" / "demo-data" / path.name
        assert [d.data.decode() for d in decode(Image.open(committed))] == [ecqr[certno]]


def test_command_line_writes_json(tmp_path, data):
    out = tmp_path / "demo.json"
    assert demo.main(["--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(json.dumps(data))
    assert demo.main(["--out", str(tmp_path / "x.json"), "--catalog-size", "5"]) == 2
    assert sorted(f.name for f in tmp_path.iterdir()) == ["demo.json"]


def test_visit_templates_only_name_catalogue_items():
    from training_platform import demo_catalog

    names = {item[2] for item in demo_catalog.ITEMS}
    for _, _, _, drugs, tests, extras in demo.VISIT_TEMPLATES:
        assert set(drugs) | set(tests) | {n for n, _ in extras} <= names
    for drugs in demo.CHRONIC_DRUGS.values():
        assert set(drugs) <= names
    assert {code for code, _ in demo.CHRONIC_DISEASES} == set(demo.CHRONIC_DRUGS)
