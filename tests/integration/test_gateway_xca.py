"""Zhejiang's x-ca gateway (Jiashan 330421, reference §2): the client signs the exact body bytes with
HMAC-SM3, and the training platform's gateway verifies with its own code (training_platform.gateway,
RFC 2104 written out over hashlib's SM3) — so a mistake on either side fails here. Over HTTP on
127.0.0.1: sign-in (9001) and 1101 pass with the right secret; a wrong secret or account is refused
by the gateway (HTTP 400, X-Ca-Error-Message) and the cashier reads the gateway's words in Chinese."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from client.api import ApiSettings, CentralClient, Operator, TransportError, query_person_by_certno
from client.api.signing import XCaSigner, xca_signature
from training_platform.gateway import XCaGateway, hmac_sm3
from training_platform.server import EmbeddedPlatform

JIASHAN = "H33042100001"
SECRET = "training-only-xca-secret-330421"
OP = Operator("0001", "收费员甲")


def test_sm3_is_the_published_sm3():
    # GB/T 32905-2016 Appendix A, example 1: SM3("abc")
    assert hashlib.new("sm3", b"abc").hexdigest() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    # the platform's hand-written HMAC agrees with the standard library's (two constructions)
    for key in (b"k", b"x" * 64, b"y" * 100):
        assert hmac_sm3(key, b"m") == hmac.new(key, b"m", "sm3").digest()


def test_signature_shape_and_options():
    body = b'{"infno":"9001"}'
    sig = xca_signature(SECRET, "1764720000000", body)
    ts, mac = sig.split(":")
    assert ts == "1764720000000" and len(mac) == 64 and mac == mac.upper()
    assert mac == hmac_sm3(SECRET.encode(), b"1764720000000\n" + body).hex().upper()
    assert xca_signature(SECRET, "1764720000", body, upper=False).split(":")[1].islower()
    h = XCaSigner(JIASHAN, SECRET, milliseconds=False, clock=lambda: 1764720000.9).headers("9001", body)
    assert h["x-ca-key"] == JIASHAN and h["x-ca-signature"].startswith("1764720000:")
    assert SECRET not in repr(XCaSigner(JIASHAN, SECRET))
    # one changed byte of the body changes the signature: the body is signed
    assert xca_signature(SECRET, "1", body) != xca_signature(SECRET, "1", body.replace(b"9001", b"9002"))


@pytest.fixture
def zj_platform(tmp_path):
    p = EmbeddedPlatform(tmp_path / "zj", gateway=XCaGateway({JIASHAN: SECRET})).start()
    yield p
    p.stop()


def _client(tmp_path, url, **kw) -> CentralClient:
    s = ApiSettings(base_url=url, fixmedins_code=JIASHAN, fixmedins_name="嘉善县培训医院", mdtrtarea_admvs="330421",
                    state_dir=tmp_path / "state", read_timeout=10.0, gateway="x-ca", **kw)
    return CentralClient(s, sleep=lambda _s: None)


def test_signed_requests_pass_the_gateway(zj_platform, tmp_path):
    c = _client(tmp_path, zj_platform.url, secret=SECRET)
    try:
        person = c.send(query_person_by_certno("330421198503150016"), operator=OP)   # 9001 first, then 1101
        assert person.baseinfo.psn_name == "沈明"
    finally:
        c.close()


@pytest.mark.parametrize(("kw", "words"), [
    ({"secret": "wrong-secret"}, "Invalid Signature"),
    ({"secret": SECRET, "xca_key": "H99999999999"}, "Invalid x-ca-key"),
    ({"secret": SECRET, "xca_timestamp_ms": False}, "Invalid timestamp"),   # seconds where ms are expected
])
def test_a_bad_signature_is_refused_by_the_gateway_in_chinese(zj_platform, tmp_path, kw, words):
    c = _client(tmp_path, zj_platform.url, **kw)
    try:
        with pytest.raises(TransportError) as ei:
            c.send(query_person_by_certno("330421198503150016"), operator=OP)
    finally:
        c.close()
    msg = str(ei.value)
    assert "网关拒绝了请求（HTTP 400：" in msg and words in msg and "密钥" in msg
    assert ei.value.http_status == 400 and not ei.value.outcome_unknown
    assert SECRET not in msg


def test_settings_want_a_secret_for_xca(tmp_path):
    from client.api import ApiConfigError

    with pytest.raises(ApiConfigError, match="x-ca（浙江）网关需要配置密钥"):
        ApiSettings(base_url="https://zj.example", fixmedins_code=JIASHAN, fixmedins_name="x", mdtrtarea_admvs="330421",
                    state_dir=tmp_path, gateway="x-ca")
