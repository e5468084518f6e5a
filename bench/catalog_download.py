"""Benchmark: full catalogue download through the training platform (1301/1302/1303/1305/1306 by version → 9102 zips, real layouts).

    .venv/bin/python bench/catalog_download.py [--rows 300000] [--page-rows 20000]

Generates a catalogue of --rows rows (training_platform.demo.generate(catalog_size=...)), loads it
into a fresh platform on a temp dir, serves it on 127.0.0.1 and downloads everything for the
three training institutions (1301/1302/1303/1305/1306, real layouts) with a plain requests loop (no client.api), parsing every row. Prints rows/s and
total time, plus a baseline measured in the same run: reading the same rows straight from the
platform's SQLite file (the floor any HTTP download can approach) and the ratio to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import itertools
import json
import sqlite3
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from client.domain.catalog_layouts import LAYOUTS  # noqa: E402
from training_platform import demo  # noqa: E402
from training_platform.server import EmbeddedPlatform  # noqa: E402
from training_platform.store import DB_NAME, Store  # noqa: E402

INSTITUTIONS = {"H31011800001": "310118", "H32050900001": "320509", "H33042100001": "330421"}
_seq = itertools.count(1)


def envelope(infno: str, inp: dict, sign_no: str, code: str) -> dict:
    now = dt.datetime.now()
    return {"infno": infno, "msgid": code + now.strftime("%Y%m%d%H%M%S") + f"{next(_seq) % 10000:04d}",
            "mdtrtarea_admvs": INSTITUTIONS[code], "insuplc_admdvs": "", "recer_sys_code": "MBS_LOCAL", "dev_no": "",
            "dev_safe_info": "", "cainfo": "", "signtype": "", "infver": "V1.0", "opter_type": "1", "opter": "B001",
            "opter_name": "bench", "inf_time": now.strftime("%Y-%m-%d %H:%M:%S"), "fixmedins_code": code,
            "fixmedins_name": "bench", "sign_no": sign_no, "input": inp}


def download(url: str, code: str) -> tuple[int, int]:
    s = requests.Session()
    call = url + "/fsi/api/callService"
    sign_no = s.post(call, json=envelope("9001", {"signIn": {"opter_no": "B001", "ip": "127.0.0.1"}}, "", code),
                     timeout=60).json()["output"]["signinoutb"]["sign_no"]
    rows = files = 0
    for infno in ("1301", "1302", "1303", "1305", "1306"):
        ver = "0"
        while True:
            out = s.post(call, json=envelope(infno, {"data": {"ver": ver}}, sign_no, code), timeout=600).json()
            assert out["infcode"] == 0, out["err_msg"]
            if out["output"]["data_cnt"] == 0:
                break
            r = s.post(call, json=envelope("9102", {"fsDownloadIn": {"file_qury_no": out["output"]["file_qury_no"],
                                                                      "filename": out["output"]["filename"],
                                                                      "fixmedins_code": "plc"}}, sign_no, code),
                       timeout=600)
            z = zipfile.ZipFile(io.BytesIO(r.content))
            last = None
            n = 0
            for line in z.read(z.namelist()[0]).decode("utf-8").splitlines():
                last = line.split("\t")
                n += 1
            assert n == out["output"]["data_cnt"]
            rows += n
            files += 1
            ver = last[LAYOUTS[infno].ver_index]          # the real layout's ver column (1301: 82)
    return rows, files


def baseline(data_dir: Path) -> int:
    conn = sqlite3.connect(data_dir / DB_NAME)
    n = 0
    adms = ",".join(f"'{a}'" for a in INSTITUTIONS.values())
    for (doc,) in conn.execute(f"SELECT doc FROM catalog WHERE admdvs IN ({adms}) AND list_type IN "
                               "('101','102','103','104','201','301') ORDER BY admdvs, list_type, ver, med_list_codg"):
        json.loads(doc)
        n += 1
    conn.close()
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=300000)
    ap.add_argument("--page-rows", type=int, default=20000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        data = demo.generate(catalog_size=a.rows)
        t1 = time.perf_counter()
        store = Store(tmp)
        store.load(data)
        store.close()
        t2 = time.perf_counter()
        total = len(data["catalog"])
        print(f"generated {total} catalogue rows in {t1 - t0:.1f} s, loaded in {t2 - t1:.1f} s")
        del data
        tb = time.perf_counter()
        nb = baseline(Path(tmp))
        base_s = time.perf_counter() - tb
        with EmbeddedPlatform(tmp, catalog_page_rows=a.page_rows) as p:
            td = time.perf_counter()
            rows = files = 0
            for code in INSTITUTIONS:
                r, f = download(p.url, code)
                rows += r
                files += f
            dl_s = time.perf_counter() - td
        print(f"download: {rows} rows in {files} files, {dl_s:.2f} s, {rows / dl_s:,.0f} rows/s")
        print(f"baseline (direct SQLite read of the same rows): {nb} rows, {base_s:.2f} s, {nb / base_s:,.0f} rows/s")
        print(f"ratio download/baseline time: {dl_s / base_s:.1f}x")
        if rows != nb:
            print(f"MISMATCH: downloaded {rows} rows, platform holds {nb}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
