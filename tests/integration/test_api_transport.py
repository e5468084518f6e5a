"""CentralClient against real HTTP servers on 127.0.0.1 (werkzeug WSGI apps written here).

Covers: envelope on the wire, sign-in injection and caching, typed errors, the outcome-unknown
rule, the retry policy (read-only retried, state-changing never), gateway headers, 9102 zip,
e-voucher decoding and the 9901 MAC check.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import socket
import threading
import time
import zipfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from client.api import (
    ApiConfigError,
    ApiSettings,
    BundleMacError,
    BusinessError,
    CentralClient,
    EVoucherClient,
    MalformedResponse,
    Operator,
    SignInCache,
    TransportError,
    query_person_by_ecvoucher,
)
from client.api.transactions import (
    FetchPolicyBundle,
    PreSettle,
    QueryPerson,
    Settle,
    SettleResult,
    bundle_mac,
)

OP = Operator("0001", "收费员甲")
CODE = "H31011800001"


class Platform:
    """A tiny scripted platform: records requests; ``handler(infno, body, request)`` answers."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.handlers: dict[str, Callable] = {}

    def __call__(self, environ, start_response):
        req = Request(environ)
        raw = req.get_data()
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"_raw": raw}
        self.requests.append(body)
        self.headers.append(dict(req.headers))
        infno = body.get("infno") or body.get("transType")
        h = self.handlers.get(infno) or self.handlers.get("*") or default_handler
        return h(body, req)(environ, start_response)

    def infnos(self) -> list[str]:
        return [r.get("infno") for r in self.requests]


def ok(output, **extra) -> Response:
    doc = {"infcode": 0, "inf_refmsgid": "310000202503040908071234567890", "refmsg_time": "20250304090807123",
           "respond_time": "20250304090807456", "err_msg": "", "warn_msg": "", "output": output, **extra}
    return Response(json.dumps(doc, ensure_ascii=False), content_type="application/json;charset=utf-8")


def default_handler(body, req) -> Response:
    if body.get("infno") == "9001":
        return ok({"signinoutb": {"sign_time": "2025-03-04 08:00:00", "sign_no": "SN" + "0" * 28}})
    if body.get("infno") == "9002":
        return ok({"signoutoutb": {"sign_time": "2025-03-04 18:00:00"}})
    return ok({})


@pytest.fixture
def platform():
    p = Platform()
    server = make_server("127.0.0.1", 0, p, threaded=True)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    p.url = f"http://127.0.0.1:{server.server_port}"
    yield p
    server.shutdown()
    server.server_close()
    t.join(5)


def make_settings(tmp_path, url, **kw) -> ApiSettings:
    base = dict(base_url=url, fixmedins_code=CODE, fixmedins_name="青浦示范医院", mdtrtarea_admvs="310118",
                state_dir=tmp_path / "state", connect_timeout=2.0, read_timeout=2.0, sign_in_ip="127.0.0.1",
                sign_in_mac="00-11-22-33-44-55")
    base.update(kw)
    return ApiSettings(**base)


@pytest.fixture
def sleeps():
    return []


def make_client(tmp_path, url, sleeps, **kw) -> CentralClient:
    return CentralClient(make_settings(tmp_path, url, **kw), sleep=sleeps.append)


PERSON_OUT = {"baseinfo": {"psn_no": "31000000000000000001", "psn_cert_type": "01", "certno": "330421198503150016",
                           "psn_name": "沈明", "gend": "1", "naty": "01", "brdy": "1985-03-15", "age": 40.0},
              "insuinfo": [{"balc": 1234.5, "insutype": "310", "psn_type": "1101", "psn_insu_stas": "1",
                            "insuplc_admdvs": "330421", "cvlserv_flag": "0", "emp_name": "某公司"}],
              "idetinfo": []}


def test_sign_in_once_then_sign_no_in_every_envelope(tmp_path, platform, sleeps):
    platform.handlers["1101"] = lambda b, r: ok(PERSON_OUT)
    with make_client(tmp_path, platform.url, sleeps) as c:
        p1 = c.send(QueryPerson(mdtrt_cert_type="02", mdtrt_cert_no="330421198503150016"), operator=OP)
        c.send(QueryPerson(mdtrt_cert_type="02", mdtrt_cert_no="330421198503150016"), operator=OP)
    assert platform.infnos() == ["9001", "1101", "1101"]
    signin = platform.requests[0]
    assert signin["sign_no"] == "" and signin["input"] == {"signIn": {"opter_no": "0001", "mac": "00-11-22-33-44-55",
                                                                      "ip": "127.0.0.1"}}
    for r in platform.requests[1:]:
        assert r["sign_no"] == "SN" + "0" * 28
        assert r["opter"] == "0001" and r["opter_name"] == "收费员甲" and r["fixmedins_code"] == CODE
        assert len(r["msgid"]) == 30 and r["msgid"].startswith(CODE)
    assert platform.requests[1]["msgid"] != platform.requests[2]["msgid"]
    assert platform.headers[1]["Content-Type"].startswith("application/json")
    assert p1.baseinfo.psn_no == "31000000000000000001" and p1.insuinfo[0].balc == Decimal("1234.50")
    assert p1.insuinfo[0].insuplc_admdvs == "330421"
    # a restart the same day does not sign in again (cache persisted in state_dir) ...
    with make_client(tmp_path, platform.url, sleeps) as c2:
        c2.call("1101", {"data": {}}, operator=OP)
    assert platform.infnos()[-1] == "1101" and platform.infnos().count("9001") == 1
    # ... but another day does
    cache = SignInCache(tmp_path / "state" / "signin.json", today=lambda: date(2099, 1, 1))
    assert cache.get("0001") is None


def test_sign_out_clears_cache(tmp_path, platform, sleeps):
    with make_client(tmp_path, platform.url, sleeps) as c:
        c.ensure_signed_in(OP)
        c.sign_out(OP)
        assert c.signins.get(OP.opter) is None
        assert platform.requests[-1]["input"] == {"signOut": {"sign_no": "SN" + "0" * 28, "opter_no": "0001"}}
        c.call("1101", {"data": {}}, operator=OP)
    assert platform.infnos() == ["9001", "9002", "9001", "1101"]


def test_business_error_verbatim_and_not_retried(tmp_path, platform, sleeps):
    msg = "未查询到人员参保信息！请核实证件号码"
    platform.handlers["1101"] = lambda b, r: Response(json.dumps({"infcode": "-1", "err_msg": msg, "output": None},
                                                                 ensure_ascii=False), content_type="application/json")
    with make_client(tmp_path, platform.url, sleeps) as c, pytest.raises(BusinessError) as ei:
        c.call("1101", {"data": {}}, operator=OP)
    assert ei.value.err_msg == msg and msg in str(ei.value) and ei.value.infno == "1101" and ei.value.infcode == -1
    assert platform.infnos().count("1101") == 1 and sleeps == []


def garbage(b, r):
    return Response("<html>oops</html>", content_type="text/html")


def test_garbage_for_settlement_is_outcome_unknown_and_sent_once(tmp_path, platform, sleeps):
    platform.handlers["2207"] = garbage
    with make_client(tmp_path, platform.url, sleeps) as c:
        msgid = c.new_msgid()   # "stored first" by the caller
        with pytest.raises(MalformedResponse) as ei:
            c.call("2207", {"data": {}}, operator=OP, msgid=msgid)
    e = ei.value
    assert e.outcome_unknown and e.msgid == msgid and "结算结果未知" in str(e) and "请勿重复结算" in str(e)
    assert platform.infnos().count("2207") == 1 and platform.requests[-1]["msgid"] == msgid


def test_garbage_for_read_only_is_retried_with_backoff(tmp_path, platform, sleeps):
    platform.handlers["1101"] = garbage
    with make_client(tmp_path, platform.url, sleeps, read_retries=2, backoff_base=0.1) as c, \
            pytest.raises(MalformedResponse) as ei:
        c.call("1101", {"data": {}}, operator=OP)
    assert not ei.value.outcome_unknown
    sent = [r for r in platform.requests if r.get("infno") == "1101"]
    assert len(sent) == 3 and len({r["msgid"] for r in sent}) == 3
    assert sleeps == [0.1, 0.2]


def test_502_then_success_for_read_only(tmp_path, platform, sleeps):
    calls = {"n": 0}

    def flaky(b, r):
        calls["n"] += 1
        return Response("Bad Gateway", status=502) if calls["n"] == 1 else ok(PERSON_OUT)

    platform.handlers["1101"] = flaky
    with make_client(tmp_path, platform.url, sleeps) as c:
        resp = c.call("1101", {"data": {}}, operator=OP)
    assert resp.ok and calls["n"] == 2 and len(sleeps) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_5xx_without_envelope_for_state_changing_is_unknown(tmp_path, platform, sleeps, status):
    platform.handlers["2204"] = lambda b, r: Response("upstream error", status=status)
    with make_client(tmp_path, platform.url, sleeps) as c, pytest.raises(TransportError) as ei:
        c.call("2204", {"feedetail": []}, operator=OP)
    assert ei.value.outcome_unknown and ei.value.http_status == status
    assert platform.infnos().count("2204") == 1 and sleeps == []


def test_envelope_inside_http_500_is_a_business_error(tmp_path, platform, sleeps):
    platform.handlers["2207"] = lambda b, r: Response(json.dumps({"infcode": -1, "err_msg": "余额不足"}),
                                                      status=500, content_type="application/json")
    with make_client(tmp_path, platform.url, sleeps) as c, pytest.raises(BusinessError) as ei:
        c.call("2207", {"data": {}}, operator=OP)
    assert ei.value.err_msg == "余额不足"


def test_gateway_401_is_not_processed_and_not_retried(tmp_path, platform, sleeps):
    platform.handlers["1101"] = lambda b, r: Response("signature mismatch", status=401)
    platform.handlers["2207"] = lambda b, r: Response("signature mismatch", status=401)
    with make_client(tmp_path, platform.url, sleeps) as c:
        with pytest.raises(TransportError) as e1:
            c.call("1101", {"data": {}}, operator=OP)
        with pytest.raises(TransportError) as e2:
            c.call("2207", {"data": {}}, operator=OP)
    assert not e1.value.outcome_unknown and not e2.value.outcome_unknown
    assert "网关拒绝" in str(e2.value) and platform.infnos().count("1101") == 1


def test_read_timeout(tmp_path, platform, sleeps):
    def slow(b, r):
        time.sleep(0.6)
        return ok({})

    platform.handlers["2207"] = slow
    platform.handlers["1101"] = slow
    with make_client(tmp_path, platform.url, sleeps, read_timeout=0.2, read_retries=1) as c:
        with pytest.raises(TransportError) as e1:
            c.call("2207", {"data": {}}, operator=OP)
        with pytest.raises(TransportError) as e2:
            c.call("1101", {"data": {}}, operator=OP)
    assert e1.value.outcome_unknown and "超时" in str(e1.value)
    assert not e2.value.outcome_unknown
    assert platform.infnos().count("2207") == 1 and platform.infnos().count("1101") == 2


def test_connection_refused_is_definitely_not_processed(tmp_path, sleeps):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()   # nothing listens there now
    st = make_settings(tmp_path, f"http://127.0.0.1:{port}")
    c = CentralClient(st, sleep=sleeps.append)
    c.signins.put(OP.opter, "SN-CACHED")
    with c, pytest.raises(TransportError) as ei:
        c.call("2207", {"data": {}}, operator=OP)
    assert not ei.value.outcome_unknown and "未被医保中心处理" in str(ei.value)


def test_connection_closed_after_request_is_unknown(tmp_path, sleeps):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    port = srv.getsockname()[1]
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.recv(65536)   # read the request, then hang up without answering
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        c = CentralClient(make_settings(tmp_path, f"http://127.0.0.1:{port}"), sleep=sleeps.append)
        c.signins.put(OP.opter, "SN-CACHED")
        with c, pytest.raises(TransportError) as ei:
            c.call("2207", {"data": {}}, operator=OP)
        assert ei.value.outcome_unknown and "结算结果未知" in str(ei.value)
    finally:
        stop.set()
        t.join(2)
        srv.close()


def test_caller_msgid_must_be_ours(tmp_path, platform, sleeps):
    with make_client(tmp_path, platform.url, sleeps) as c:
        with pytest.raises(ApiConfigError):
            c.call("2207", {"data": {}}, operator=OP, msgid="H99999999999202503040908070001")
        with pytest.raises(ApiConfigError):
            c.call("2207", {"data": {}}, operator=OP, msgid="short")
    assert "2207" not in platform.infnos()


def test_xtif_headers_on_the_wire_verify(tmp_path, platform, sleeps):
    with make_client(tmp_path, platform.url, sleeps, gateway="x-tif", paasid="paas01", secret="s3cr3t") as c:
        c.call("1101", {"data": {}}, operator=OP)
    h = platform.headers[-1]
    ts, nonce = h["X-Tif-Timestamp"], h["X-Tif-Nonce"]
    assert h["X-Tif-Paasid"] == "paas01" and abs(int(ts) - time.time()) < 60
    assert h["X-Tif-Signature"] == hashlib.sha256((ts + "s3cr3t" + nonce + ts).encode()).hexdigest()
    assert all("s3cr3t" not in json.dumps(r, ensure_ascii=False) for r in platform.requests)


def test_paths_mode_posts_to_per_service_paths(tmp_path, sleeps):
    paths: list[str] = []

    def app(environ, start_response):
        req = Request(environ)
        paths.append(req.path)
        return default_handler(json.loads(req.get_data()), req)(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        with make_client(tmp_path, f"http://127.0.0.1:{server.server_port}", sleeps, url_mode="paths") as c:
            c.call("1101", {"data": {}}, operator=OP)
    finally:
        server.shutdown()
        server.server_close()
    assert paths == ["/fsi/api/signInSignOutService/signIn", "/fsi/api/fsiPsnInfoService/queryPsnInfo"]


SETL_OUT = {"setlinfo": {"mdtrt_id": "MD1", "setl_id": "", "psn_no": "P1", "medfee_sumamt": 200,
                         "fulamt_ownpay_amt": "10.00", "overlmt_selfpay": 0, "preselfpay_amt": 5.5,
                         "inscp_scp_amt": 184.5, "hifp_pay": 120.15, "pool_prop_selfpay": 0.85,
                         "fund_pay_sumamt": 120.15, "psn_part_amt": 79.85, "acct_pay": 0, "psn_cash_pay": 79.85,
                         "hosp_part_amt": 0, "balc": 1000, "medins_setl_id": "", "clr_optins": "330421"},
            "setldetail": [{"fund_pay_type": "310100", "fund_payamt": 120.15, "inscp_scp_amt": 184.5}]}


def test_presettle_then_settle_copies_amounts_and_formats_wire(tmp_path, platform, sleeps):
    platform.handlers["2206"] = lambda b, r: ok(SETL_OUT)

    def settle(b, r):
        out = json.loads(json.dumps(SETL_OUT))
        out["setlinfo"]["setl_id"] = "S1"
        out["setlinfo"]["medins_setl_id"] = b["msgid"]
        return ok(out)

    platform.handlers["2207"] = settle
    with make_client(tmp_path, platform.url, sleeps) as c:
        pre = PreSettle(psn_no="P1", mdtrt_cert_type="01", mdtrt_cert_no="tok", med_type="11",
                        medfee_sumamt=Decimal("200.00"), psn_setlway="01", mdtrt_id="MD1", chrg_bchno="B1",
                        insutype="310", insuplc_admdvs="330421")
        res = c.send(pre, operator=OP)
        assert isinstance(res, SettleResult)
        si = res.setlinfo
        assert si.medfee_sumamt == Decimal("200.00") and si.preselfpay_amt == Decimal("5.50")
        assert si.pool_prop_selfpay == Decimal("0.85") and res.setldetail[0].fund_payamt == Decimal("120.15")
        msgid = c.new_msgid()
        done = c.send(Settle.from_presettle(pre, res, invono="INV001"), operator=OP, msgid=msgid)
    sent_pre, sent_settle = platform.requests[-2], platform.requests[-1]
    assert sent_pre["insuplc_admdvs"] == "330421" and sent_pre["input"]["data"]["medfee_sumamt"] == "200.00"
    d = sent_settle["input"]["data"]
    assert d["fulamt_ownpay_amt"] == "10.00" and d["preselfpay_amt"] == "5.50" and d["inscp_scp_amt"] == "184.50"
    assert d["overlmt_selfpay"] == "0.00" and d["invono"] == "INV001" and "insuplc_admdvs" not in d
    assert done.setlinfo.setl_id == "S1" and done.setlinfo.medins_setl_id == msgid == sent_settle["msgid"]


def test_settle_success_without_setlinfo_is_unknown(tmp_path, platform, sleeps):
    platform.handlers["2207"] = lambda b, r: ok({"nothing": 1})
    pre = PreSettle(psn_no="P1", mdtrt_cert_type="01", mdtrt_cert_no="tok", med_type="11",
                    medfee_sumamt=Decimal("1.00"), psn_setlway="01", mdtrt_id="MD1", chrg_bchno="B1", insutype="310")
    with make_client(tmp_path, platform.url, sleeps) as c, pytest.raises(MalformedResponse) as ei:
        c.send(Settle(**pre.__dict__), operator=OP)
    assert ei.value.outcome_unknown


def _zip(rows: list[list[str]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("1301_ver.txt", "\n".join("\t".join(r) for r in rows).encode("utf-8"))
    return buf.getvalue()


def test_catalogue_download_9102_zip_with_plc(tmp_path, platform, sleeps):
    rows = [["XA01", "阿莫西林胶囊", "1"], ["XB02", "头孢克洛胶囊", "1"]]
    platform.handlers["1301"] = lambda b, r: ok({"file_qury_no": "FQ1", "filename": "1301_ver.zip",
                                                 "dld_end_time": "2025-03-05", "data_cnt": 2})
    platform.handlers["9102"] = lambda b, r: Response(_zip(rows), content_type="application/octet-stream")
    with make_client(tmp_path, platform.url, sleeps) as c:
        info, got = c.download_catalogue("1301", "0", operator=OP)
    assert info.data_cnt == 2 and got == rows
    assert platform.requests[-2]["input"] == {"data": {"ver": "0"}}
    assert platform.requests[-1]["input"] == {"fsDownloadIn": {"file_qury_no": "FQ1", "filename": "1301_ver.zip",
                                                               "fixmedins_code": "plc"}}


def test_9102_error_envelope_is_business_error(tmp_path, platform, sleeps):
    platform.handlers["9102"] = lambda b, r: Response(json.dumps({"infcode": -1, "err_msg": "文件已过期"}),
                                                      content_type="application/json")
    with make_client(tmp_path, platform.url, sleeps) as c, pytest.raises(BusinessError):
        c.download_file("FQ", "f.zip", operator=OP)


def test_policy_bundle_mac(tmp_path, platform, sleeps):
    key = b"bundle-key"
    bundle = {"format": "policy-bundle/1", "ver": "2025.1", "issued_at": "2025-01-01", "policies": [],
              "zones": [{"id": "yrd", "name": "长三角示范区"}], "pools": {}}
    mac = hmac.new(key, json.dumps(bundle, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(),
                   hashlib.sha256).hexdigest()
    assert bundle_mac(bundle, key) == mac
    platform.handlers["9901"] = lambda b, r: ok({"bundle": bundle, "mac": mac})
    with make_client(tmp_path, platform.url, sleeps) as c:
        res = c.send(FetchPolicyBundle(insuplc_admdvs="330421", ver=""), operator=OP)
        assert res.verified(key) == bundle
        with pytest.raises(BundleMacError):
            res.verified(b"wrong-key")
        tampered = dict(bundle, ver="2025.2")
        platform.handlers["9901"] = lambda b, r: ok({"bundle": tampered, "mac": mac})
        with pytest.raises(BundleMacError):
            c.send(FetchPolicyBundle(insuplc_admdvs="330421"), operator=OP).verified(key)
    assert platform.requests[-1]["input"] == {"data": {"insuplc_admdvs": "330421", "ver": ""}}


def test_evoucher_decode_and_1101(tmp_path, platform, sleeps):
    ident = {"ecToken": "330421ec" + "0" * 30, "idNo": "330421198503150016", "idType": "01", "userName": "沈明",
             "insuOrg": "330421", "gender": "1", "birthday": "1985.03.15"}

    def ec(b, r):
        assert r.path == "/localcfc/api/hsecfc/localQrCodeQuery"
        if b["data"]["ecQrCode"] == "BAD":
            return Response(json.dumps({"code": 1, "message": "二维码已失效，请刷新"}, ensure_ascii=False),
                            content_type="application/json")
        return Response(json.dumps({"code": 0, "data": json.dumps(ident, ensure_ascii=False), "message": "成功"},
                                   ensure_ascii=False), content_type="application/json")

    platform.handlers["ec.query"] = ec
    ecc = EVoucherClient(make_settings(tmp_path, platform.url), sleep=sleeps.append)
    try:
        got = ecc.decode("4243754826492874240001130000", operator=OP)
        with pytest.raises(BusinessError) as ei:
            ecc.decode("BAD", operator=OP)
    finally:
        ecc.close()
    assert "二维码已失效" in str(ei.value)
    sent = platform.requests[0]
    assert sent["transType"] == "ec.query" and sent["orgId"] == CODE
    assert sent["data"]["businessType"] == "01301" and sent["data"]["ecQrCode"] == "4243754826492874240001130000"
    assert got.ecToken == ident["ecToken"] and got.idNo == ident["idNo"] and got.insuOrg == "330421"
    assert "330421198503150016" not in repr(got) and "沈明" not in repr(got)
    q = query_person_by_ecvoucher(got).to_input()
    assert q == {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": ident["ecToken"], "psn_cert_type": "01",
                          "certno": "330421198503150016", "psn_name": "沈明", "card_sn": "", "begntime": ""}}


def test_logs_carry_infno_msgid_but_no_full_id_numbers(tmp_path, platform, sleeps, caplog):
    platform.handlers["1101"] = lambda b, r: Response(
        json.dumps({"infcode": -1, "err_msg": "证件号330421198503150016无参保信息"}, ensure_ascii=False),
        content_type="application/json")
    caplog.set_level("INFO", logger="client.api")
    with make_client(tmp_path, platform.url, sleeps, gateway="x-tif", paasid="p", secret="TOPSECRET") as c, \
            pytest.raises(BusinessError):
        c.call("1101", {"data": {"certno": "330421198503150016"}}, operator=OP)
    text = caplog.text
    assert "infno=1101" in text and "msgid=" + CODE in text and "infcode=-1" in text and "duration_ms=" in text
    assert "330421198503150016" not in text and "330421********0016" in text and "TOPSECRET" not in text
