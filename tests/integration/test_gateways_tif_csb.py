"""The x-tif (Guangdong/Hebei ebus) and CSB (Jiangsu) gateways verified by the training platform's own
code (training_platform.gateway) over 127.0.0.1: the client's signed 9001 + 1101 pass; a wrong secret
is refused by the gateway before the platform sees it, and the cashier reads the gateway's words."""

from __future__ import annotations

import pytest

from client.api import ApiSettings, CentralClient, Operator, TransportError, query_person_by_certno
from training_platform.gateway import CsbGateway, XTifGateway
from training_platform.server import EmbeddedPlatform

WUJIANG = "H32050900001"
OP = Operator("0001", "收费员甲")
SCHEMES = {
    "x-tif": (lambda: XTifGateway({"app-320509": "tif-secret"}),
              {"paasid": "app-320509", "secret": "tif-secret"}, "Invalid x-tif-signature"),
    "csb": (lambda: CsbGateway({"ak-320509": "csb-secret"}),
            {"access_key": "ak-320509", "secret": "csb-secret", "csb_api_name": "hsa.fsi.callService"},
            "Invalid _api_signature"),
}


@pytest.fixture(params=sorted(SCHEMES))
def gated(request, tmp_path):
    make, kw, words = SCHEMES[request.param]
    p = EmbeddedPlatform(tmp_path / request.param, gateway=make()).start()
    yield p, request.param, kw, words
    p.stop()


def _client(tmp_path, url, gateway, **kw) -> CentralClient:
    s = ApiSettings(base_url=url, fixmedins_code=WUJIANG, fixmedins_name="吴江区培训医院", mdtrtarea_admvs="320509",
                    state_dir=tmp_path / "state", read_timeout=10.0, gateway=gateway, **kw)
    return CentralClient(s, sleep=lambda _s: None)


def test_signed_requests_pass(gated, tmp_path):
    p, gateway, kw, _words = gated
    c = _client(tmp_path, p.url, gateway, **kw)
    try:
        assert c.send(query_person_by_certno("320509195207080020"), operator=OP).baseinfo.psn_name
    finally:
        c.close()


def test_wrong_secret_is_refused_with_the_gateways_words(gated, tmp_path):
    p, gateway, kw, words = gated
    c = _client(tmp_path, p.url, gateway, **dict(kw, secret="not-the-secret"))
    try:
        with pytest.raises(TransportError) as ei:
            c.send(query_person_by_certno("320509195207080020"), operator=OP)
    finally:
        c.close()
    assert f"网关拒绝了请求（HTTP 400：{words}）" in str(ei.value) and "not-the-secret" not in str(ei.value)
