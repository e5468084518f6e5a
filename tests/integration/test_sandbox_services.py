"""Catalogue download by version (1301/1305/1306 → 9102), 1312, 9901 policy bundle, demo HIS,
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

import pytest
import requests

from client.domain.casebuild import CATALOG_FILE_COLUMNS, catalog_row_from_fields
from tests.integration.conftest import Wire, _start
from training_platform import demo


@pytest.fixture(scope="module")
def small_pages(sandbox_template, tmp_path_factory):
    p = _start(sandbox_template, tmp_path_factory.mktemp("pages"), catalog_page_rows=40)
    try:
        yield p
    finally:
        p.stop()


def download_all(w: Wire, infno: str) -> list[dict]:
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
        batch = [catalog_row_from_fields(ln.split("\t")) for ln in lines]
        assert all(len(ln.split("\t")) == len(CATALOG_FILE_COLUMNS) for ln in lines)
        rows += batch
        ver = batch[-1]["ver"]


def test_catalogue_download_loop_gets_every_row(small_pages):
    w = Wire(small_pages.url).sign_in()
    expected = [r for r in demo.generate()["catalog"] if r["admdvs"] == "310118"]
    got = []
    for infno, types in (("1301", {"101", "103", "104"}), ("1305", {"201"}), ("1306", {"301"})):
        rows = download_all(w, infno)
        assert rows, infno
        assert {r["list_type"] for r in rows} <= types
        got += rows
    assert sorted(r["med_list_codg"] for r in got) == sorted(r["med_list_codg"] for r in expected
                                                            if r["list_type"] != "102")
    by_code = {r["med_list_codg"]: r for r in expected}
    for r in got[:50]:
        e = by_code[r["med_list_codg"]]
        assert (r["name"], r["chrgitm_lv"], r["selfpay_prop"], r["pric_uplmt_amt"], r["ver"]) == \
            (e["name"], e["chrgitm_lv"], e["selfpay_prop"], e["pric_uplmt_amt"], e["ver"])
    # an up-to-date client gets nothing new
    last = max(r["ver"] for r in got)
    assert w.call("1301", {"data": {"ver": last}})["output"]["data_cnt"] == 0


def test_1312_paged_query(platform_module):
    w = Wire(platform_module.url).sign_in()
    out = w.call("1312", {"data": {"hilist_name": "头孢", "updt_time": "2020-01-01 00:00:00", "page_num": "1",
                                   "page_size": "5"}})["output"]
    assert out["recordCounts"] >= 1 and out["pageNum"] == 1 and len(out["data"]) <= 5
    assert all("头孢" in r["hilist_name"] and r["insu_admdvs"] == "310118" for r in out["data"])


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
