"""Training-platform fixtures for integration tests (real HTTP on 127.0.0.1, real SQLite files).

* ``platform`` — a fresh EmbeddedPlatform per test on a tmp data dir (``.url``, ``.data_dir``).
  Start is cheap: the demo data is generated and loaded ONCE per session into a template
  database that each platform copies.
* ``platform_module`` — one platform shared by a test module (for tests whose state can mix).
* ``nhsa`` — a factory ``nhsa(platform, fixmedins_code="H31011800001")`` returning a ``Wire``
  that builds §1.1 envelopes itself (independent of client.api), signs in (9001) and posts.
* ``no_threads_left`` (autouse) — a test fails when it leaves threads running (the same guard as
  tests/gui, tests/threads.py); threads of module- and session-scoped fixtures started before
  the test are not counted, and a function-scoped fixture must stop its threads in its teardown.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import requests

from tests.threads import assert_no_threads_left, snapshot
from training_platform.server import EmbeddedPlatform, init_data_dir
from training_platform.store import DB_NAME

INSTITUTIONS = {"H31011800001": "310118", "H32050900001": "320509", "H33042100001": "330421"}


@pytest.fixture(autouse=True)
def no_threads_left():
    """Fail the test (at teardown) when it leaves a thread running."""
    before = snapshot()
    yield
    assert_no_threads_left(before)


@pytest.fixture(scope="session")
def sandbox_template(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("sandbox-template")
    store = init_data_dir(d)
    conn = store.conn()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return d / DB_NAME


def _start(template: Path, target: Path, **kw) -> EmbeddedPlatform:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target / DB_NAME)
    return EmbeddedPlatform(target, **kw).start()


@pytest.fixture
def platform(sandbox_template, tmp_path):
    p = _start(sandbox_template, tmp_path / "platform")
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def platform_module(sandbox_template, tmp_path_factory):
    p = _start(sandbox_template, tmp_path_factory.mktemp("platform-module"))
    try:
        yield p
    finally:
        p.stop()


_seq = itertools.count(1)


class Wire:
    """Minimal, independent NHSA envelope client for tests."""

    def __init__(self, url: str, fixmedins_code: str = "H31011800001", opter: str = "T001"):
        self.url = url
        self.code = fixmedins_code
        self.admdvs = INSTITUTIONS.get(fixmedins_code, "310118")
        self.opter = opter
        self.sign_no = ""
        self.session = requests.Session()

    def msgid(self) -> str:
        return self.code + dt.datetime.now().strftime("%Y%m%d%H%M%S") + f"{next(_seq) % 10000:04d}"

    def envelope(self, infno: str, inp: dict, insuplc: str = "", msgid: str | None = None) -> dict:
        now = dt.datetime.now()
        return {"infno": infno, "msgid": msgid or self.msgid(), "mdtrtarea_admvs": self.admdvs,
                "insuplc_admdvs": insuplc, "recer_sys_code": "MBS_LOCAL", "dev_no": "", "dev_safe_info": "",
                "cainfo": "", "signtype": "", "infver": "V1.0", "opter_type": "1", "opter": self.opter,
                "opter_name": "培训收费员", "inf_time": now.strftime("%Y-%m-%d %H:%M:%S"),
                "fixmedins_code": self.code, "fixmedins_name": "培训医院", "sign_no": self.sign_no, "input": inp}

    def post(self, env: dict, path: str = "/fsi/api/callService", timeout: float = 30):
        """The answer; its ``.json()`` reads a JSON number with a fraction as its exact text ("235.90"):
        the platform answers amounts as numbers (the real shape), and this client keeps money exact."""
        r = self.session.post(self.url + path, json=env, timeout=timeout)
        r.json = lambda **kw: json.loads(r.content.decode("utf-8"), parse_float=str, **kw)
        return r

    def call(self, infno: str, inp: dict, insuplc: str = "", msgid: str | None = None, expect_ok: bool = True) -> dict:
        r = self.post(self.envelope(infno, inp, insuplc, msgid))
        assert r.status_code == 200, r.text
        body = r.json()
        if expect_ok:
            assert body["infcode"] == 0, body["err_msg"]
        return body

    def sign_in(self) -> Wire:
        out = self.call("9001", {"signIn": {"opter_no": self.opter, "mac": "00-00-00-00-00-00", "ip": "127.0.0.1"}})
        self.sign_no = out["output"]["signinoutb"]["sign_no"]
        return self

    # -- flow helpers --------------------------------------------------------------------------
    def person(self, certno: str) -> dict:
        out = self.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno, "psn_cert_type": "01",
                                          "certno": certno, "psn_name": ""}})["output"]
        out["insuplc"] = out["insuinfo"][0]["insuplc_admdvs"]
        out["insutype"] = out["insuinfo"][0]["insutype"]
        return out

    def his_visits(self, certno: str) -> list[dict]:
        r = self.session.post(self.url + "/his/api/pendingCharges", json={"fixmedins_code": self.code, "certno": certno})
        assert r.status_code == 200
        body = r.json()
        assert body["code"] == 0, body
        return body["data"]

    def register(self, person: dict, ipt_otp_no: str, begntime: str | None = None) -> str:
        psn = person["baseinfo"]
        begntime = begntime or dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        out = self.call("2201", {"data": {"psn_no": psn["psn_no"], "insutype": person["insutype"], "begntime": begntime,
                                          "mdtrt_cert_type": "02", "mdtrt_cert_no": psn["certno"],
                                          "ipt_otp_no": ipt_otp_no, "atddr_no": "D001", "dr_name": "周医生",
                                          "dept_code": "A03", "dept_name": "内科", "caty": "A03"}},
                        person["insuplc"])["output"]["data"]
        return out["mdtrt_id"]

    @staticmethod
    def feedetail(person: dict, mdtrt_id: str, lines: list[dict], bchno: str = "B1") -> list[dict]:
        return [{"feedetl_sn": ln["feedetl_sn"], "mdtrt_id": mdtrt_id, "psn_no": person["baseinfo"]["psn_no"],
                 "chrg_bchno": bchno, "rx_circ_flag": "0", "med_type": "21",
                 "fee_ocur_time": ln.get("fee_ocur_time") or dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
                 "med_list_codg": ln["code"], "medins_list_codg": ln["code"],
                 "det_item_fee_sumamt": ln["det_item_fee_sumamt"], "cnt": ln["cnt"], "pric": ln["pric"],
                 "bilg_dept_codg": "A03", "bilg_dept_name": "内科", "bilg_dr_codg": "D001", "bilg_dr_name": "周医生",
                 "hosp_appr_flag": "0"} for ln in lines]

    def setl_data(self, person: dict, mdtrt_id: str, medfee: str, med_type: str = "11", acct: str = "1") -> dict:
        psn = person["baseinfo"]
        return {"psn_no": psn["psn_no"], "mdtrt_cert_type": "02", "mdtrt_cert_no": psn["certno"], "med_type": med_type,
                "medfee_sumamt": medfee, "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1",
                "acct_used_flag": acct, "insutype": person["insutype"]}

    def download(self, file_qury_no: str, filename: str = "") -> bytes:
        r = self.post(self.envelope("9102", {"fsDownloadIn": {"file_qury_no": file_qury_no, "filename": filename,
                                                               "fixmedins_code": "plc"}}))
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("application/octet-stream"), r.text[:300]
        return r.content


@pytest.fixture
def nhsa():
    wires = []

    def make(platform, fixmedins_code: str = "H31011800001", opter: str = "T001", sign_in: bool = True) -> Wire:
        w = Wire(platform.url, fixmedins_code, opter)
        wires.append(w)
        return w.sign_in() if sign_in else w

    yield make
    for w in wires:
        w.session.close()


def platform_db(platform) -> sqlite3.Connection:
    return sqlite3.connect(Path(platform.data_dir) / DB_NAME)

from tests.pgfixtures import hospital, pg_db, pg_server  # noqa: E402,F401 - hospital-mode fixtures
