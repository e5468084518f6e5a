"""Catalogue download by version (real layouts: 1301/1302/1303/1305/1306 → 9102), 1312, 1318/1319, 9901 policy bundle, demo HIS,
e-invoice platform and the `sandbox serve` command."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from decimal import Decimal

import pytest
import requests

from client.domain.catalog_layouts import LAYOUTS
from tests.integration.conftest import Wire, _start
from training_platform import demo


@pytest.fixture(scope="module")
def small_pages(sandbox_template, tmp_path_factory):
    p = _start(sandbox_template, tmp_path_factory.mktemp("pages"), catalog_page_rows=40)
    try:
        yield p
    finally:
        p.stop()


NAME_COLUMN = {"1301": "drug_genname", "1302": "tcmherb_name", "1303": "drug_prodname", "1305": "servitem_name",
               "1306": "mcs_name"}


def download_all(w: Wire, infno: str) -> list[dict]:
    """Every row of a catalogue, read BY THE REAL LAYOUT (catalog_layouts) as a dict column -> value."""
    layout = LAYOUTS[infno]
    ver, rows, files = "0", [], 0
    while True:
        out = w.call(infno, {"data": {"ver": ver}})["output"]
        if out["data_cnt"] == 0:
            assert out["file_qury_no"] == ""
            return rows
        files += 1
        assert files < 100
        z = zipfile.ZipFile(io.BytesIO(w.download(out["file_qury_no"], out["filename"])))
        assert len(z.namelist()) == 1
        lines = z.read(z.namelist()[0]).decode("utf-8").splitlines()
        assert len(lines) == out["data_cnt"]
        fields = [ln.split("\t") for ln in lines]
        # the real columns, then the two training-only columns (hospital price, barcode)
        assert all(len(f) == layout.width + 2 for f in fields), infno
        batch = [dict(zip(layout.columns, f, strict=False)) | {"_pric": f[layout.width]} for f in fields]
        rows += batch
        ver = fields[-1][layout.ver_index]


def test_catalogue_download_loop_gets_every_row(small_pages):
    w = Wire(small_pages.url).sign_in()
    expected = [r for r in demo.generate()["catalog"] if r["admdvs"] == "310118"]
    got = []
    for infno in ("1301", "1302", "1303", "1305", "1306"):
        rows = download_all(w, infno)
        assert rows or infno == "1303", infno          # the demo has no 医疗机构制剂 (list_type 103)
        got += [(infno, r) for r in rows]
    assert sorted(r["med_list_codg"] for _, r in got) == sorted(r["med_list_codg"] for r in expected)
    by_code = {r["med_list_codg"]: r for r in expected}
    for infno, r in got[::7]:
        e = by_code[r["med_list_codg"]]
        assert (r[NAME_COLUMN[infno]], r["ver"], r["vali_flag"], r["_pric"]) == \
            (e["name"], e["ver"], e["vali_flag"], e["pric"] or "")
    # 1301: ver at column 82 (0-based), as the public readers take it; no local class in the file
    one = next(r for i, r in got if i == "1301")
    assert LAYOUTS["1301"].columns[82] == "ver" and one["nat_hi_druglist_chrgitm_lv"] == ""
    # an up-to-date client gets nothing new
    last = max(r["ver"] for i, r in got if i == "1301")
    assert w.call("1301", {"data": {"ver": last}})["output"]["data_cnt"] == 0


def test_1318_1319_pages_carry_the_demo_limits_and_ratios(platform_module):
    w = Wire(platform_module.url).sign_in()
    expected = {r["med_list_codg"]: r for r in demo.generate()["catalog"] if r["admdvs"] == "310118"}
    for infno, key, field in (("1318", "pric_uplmt_amt", "hilist_pric_uplmt_amt"), ("1319", "selfpay_prop", "selfpay_prop")):
        seen, page = {}, 1
        while True:
            out = w.call(infno, {"data": {"updt_time": "2000-01-01 00:00:00", "page_num": page, "page_size": 500}})["output"]
            assert {"firstPage", "lastPage", "pageNum", "pages", "recordCounts", "data"} <= set(out)
            seen.update({r["hilist_code"]: r for r in out["data"]})
            if out["lastPage"]:
                break
            page += 1
        want = {c: e[key] for c, e in expected.items() if e[key] is not None}
        assert len(seen) == out["recordCounts"] == len(want), infno
        for code, r in seen.items():
            assert Decimal(str(r[field])) == Decimal(want[code]) and r["rid"] and r["updt_time"], (infno, code)
    # the limit of the example's 头孢克洛胶囊 (shared/spec/examples/01-zone-outpatient): 2.80
    out = w.call("1318", {"data": {"updt_time": "2000-01-01 00:00:00", "page_num": 1, "page_size": 10,
                                   "hilist_code": "XJ01CRA006A001010104041"}})["output"]
    assert [Decimal(str(r["hilist_pric_uplmt_amt"])) for r in out["data"]] == [Decimal("2.80")]


def test_1312_paged_query(platform_module):
    w = Wire(platform_module.url).sign_in()
    out = w.call("1312", {"data": {"hilist_name": "头孢", "updt_time": "2020-01-01 00:00:00", "page_num": "1",
                                   "page_size": "5"}})["output"]
    assert out["recordCounts"] >= 1 and out["pageNum"] == 1 and len(out["data"]) <= 5
    assert all("头孢" in r["hilist_name"] and r["insu_admdvs"] == "310118" for r in out["data"])
    # the real 1312 item list (reference §3.11): a class, no self-pay ratio, no price limit
    assert all(r["chrgitm_lv"] in ("01", "02", "03") and "selfpay_prop" not in r and "pric_uplmt_amt" not in r
               and len(r["updt_time"]) == 19 for r in out["data"])


def test_9901_bundle_with_verifiable_mac(platform_module):
    w = Wire(platform_module.url).sign_in()
    out = w.call("9901", {"data": {"insuplc_admdvs": "330421", "ver": ""}})["output"]
    secret = next(i for i in demo.generate()["institutions"] if i["fixmedins_code"] == w.code)["sign_secret"]
    canon = json.dumps(out["bundle"], sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert out["mac"] == hmac.new(secret.encode(), canon, hashlib.sha256).hexdigest()
    assert out["bundle"]["format"] == "policy-bundle/1"
    bad = w.call("9901", {"data": {"insuplc_admdvs": "999999"}}, expect_ok=False)
    assert bad["infcode"] == -1


def test_his_pending_charges(platform_module):
    url = platform_module.url + "/his/api/pendingCharges"
    body = requests.post(url, json={"fixmedins_code": "H31011800001", "certno": "330421198503150016"}, timeout=5).json()
    assert body["code"] == 0 and body["data"] and body["data"][0]["lines"]
    by_psn = requests.post(url, json={"fixmedins_code": "H31011800001", "psn_no": "33042119850315001601"}, timeout=5).json()
    assert by_psn["data"] == body["data"]
    assert all(v.get("fixmedins_code", "H31011800001") == "H31011800001" for v in body["data"])
    # The same patient at another hospital's window sees only that hospital's bills.
    other = requests.post(url, json={"fixmedins_code": "H33042100001", "certno": "330421198503150016"}, timeout=5).json()
    assert other["code"] == 0
    assert all(v["fixmedins_code"] == "H33042100001" for v in other["data"])
    assert not {v["ipt_otp_no"] for v in other["data"]} & {v["ipt_otp_no"] for v in body["data"]}
    bad = requests.post(url, json={"fixmedins_code": "H31011800001"}, timeout=5).json()
    assert bad["code"] != 0


def test_einvoice_allocate_and_issue(platform_module):
    base = platform_module.url + "/einvoice/api"
    ranges = []
    for window in ("W1", "W2", "W1"):
        r = requests.post(base + "/allocate", json={"fixmedins_code": "H31011800001", "window": window, "count": 5},
                          timeout=5).json()
        assert r["code"] == 0 and len(r["data"]["EInvoiceCode"]) == 8
        ranges.append((int(r["data"]["start"]), int(r["data"]["end"])))
        assert len(r["data"]["start"]) == 10
    for i, (a, b) in enumerate(ranges):
        assert b - a == 4
        for c, d in ranges[i + 1:]:
            assert b < c or d < a  # never overlapping
    code = r["data"]["EInvoiceCode"]
    first = f"{ranges[0][0]:010d}"
    rec = {"EInvoiceCode": code, "EInvoiceNumber": first, "TotalAmount": "256.30", "IssueDate": "20261120",
           "PayerParty": {"name": "沈明"}}
    ok = requests.post(base + "/issue", json=rec, timeout=5).json()
    assert ok["code"] == 0
    check = ok["data"]["RandomNumber"]
    assert len(check) == 6 and check.isalnum() and check == check.lower()
    assert requests.post(base + "/issue", json=rec, timeout=5).json() == ok          # idempotent by number
    other = requests.post(base + "/issue", json=dict(rec, TotalAmount="1.00"), timeout=5).json()
    assert other["code"] != 0 and "已使用" in other["message"]
    outside = requests.post(base + "/issue", json=dict(rec, EInvoiceNumber="9999999999"), timeout=5).json()
    assert outside["code"] != 0 and "号段" in outside["message"]
    red = {"EInvoiceCode": code, "EInvoiceNumber": f"{ranges[0][0] + 1:010d}", "TotalAmount": "-256.30",
           "RelatedInvoiceCode": code, "RelatedInvoiceNumber": first}
    no_orig = requests.post(base + "/issue", json=dict(red, RelatedInvoiceNumber=f"{ranges[0][0] + 3:010d}"), timeout=5).json()
    assert no_orig["code"] != 0 and "未开具" in no_orig["message"]
    assert requests.post(base + "/issue", json=red, timeout=5).json()["code"] == 0
    again = requests.post(base + "/issue", json=dict(red, EInvoiceNumber=f"{ranges[0][0] + 2:010d}"), timeout=5).json()
    assert again["code"] != 0 and "已冲红" in again["message"]


def test_serve_command_initialises_empty_dir(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "client", "sandbox", "serve", "--port", str(port), "--data",
                             str(tmp_path / "plat")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/health", timeout=1).json()["status"] == "ok"
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert (tmp_path / "plat" / "platform.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_stop_joins_every_thread_even_with_kept_alive_connections(sandbox_template, tmp_path):
    import threading

    before = set(threading.enumerate())
    p = _start(sandbox_template, tmp_path / "p")
    session = requests.Session()  # keeps its connection open after the request
    assert session.get(p.url + "/health", timeout=5).json()["status"] == "ok"
    w = Wire(p.url).sign_in()
    w.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "330421198503150016", "psn_cert_type": "01"}})
    t = time.monotonic()
    p.stop()
    assert time.monotonic() - t < 5
    leftover = [th for th in threading.enumerate() if th not in before and th.is_alive()]
    assert leftover == []
    session.close()
    w.session.close()
