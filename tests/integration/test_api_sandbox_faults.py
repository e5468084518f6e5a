"""Every fault mode of the training platform, seen through the real client (client.api).

The platform injects the fault (POST /admin/fault); the client must raise the documented typed
error: business refusals as BusinessError with err_msg verbatim; no usable answer to a
state-changing call as TransportError with outcome_unknown=True (never retried); read-only calls
retried with backoff; "commit, then drop the response" reported as outcome unknown while the
platform really did commit (the same msgid is then refused as a duplicate: no platform replays a
stored answer, reference §3.8).
"""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from client.api import (
    ApiSettings,
    BusinessError,
    CentralClient,
    MalformedResponse,
    Operator,
    TransportError,
    query_person_by_certno,
)
from client.api.transactions import Register

OP = Operator("0001", "收费员甲")
SHEN = "330421198503150016"


@pytest.fixture(scope="module")
def client(platform_module, tmp_path_factory):
    s = ApiSettings(base_url=platform_module.url, fixmedins_code="H31011800001", fixmedins_name="上海市青浦区培训医院",
                    mdtrtarea_admvs="310118", state_dir=tmp_path_factory.mktemp("state"), read_timeout=2.0)
    c = CentralClient(s, sleep=lambda _s: None)
    yield c
    c.close()


@pytest.fixture
def fault(platform_module):
    def set_fault(**spec):
        r = requests.post(platform_module.url + "/admin/fault", json=spec, timeout=5)
        assert r.status_code == 200, r.text
    yield set_fault
    requests.post(platform_module.url + "/admin/fault", json={"clear": True}, timeout=5)


def _register_request(client, no: str) -> Register:
    person = client.send(query_person_by_certno(SHEN), operator=OP)
    ins = person.insuinfo[0]
    return Register(psn_no=person.baseinfo.psn_no, insutype=ins.insutype,
                    begntime=datetime.now().strftime("%Y-%m-%d %H:%M:%S"), mdtrt_cert_type="02",
                    mdtrt_cert_no=SHEN, ipt_otp_no=no, atddr_no="D001", dr_name="李医生", dept_code="A03",
                    dept_name="内科", caty="A03", insuplc_admdvs=ins.insuplc_admdvs)


@pytest.mark.parametrize("mode", ["drop-before", "http-500", "http-502", "garbage"])
def test_state_changing_call_without_answer_is_outcome_unknown_and_not_retried(client, fault, platform_module, mode):
    req = _register_request(client, f"F-{mode}")
    fault(mode=mode, infno="2201", next=2)          # two: a (forbidden) retry would hit the fault again
    msgid = client.new_msgid()
    with pytest.raises(TransportError) as ei:
        client.send(req, operator=OP, msgid=msgid)
    err = ei.value
    assert err.outcome_unknown is True and err.infno == "2201" and err.msgid == msgid
    assert "未知" in str(err)
    if mode == "garbage":
        assert isinstance(err, MalformedResponse)
    # Not retried: one of the two injected faults is still armed.
    rules = requests.get(platform_module.url + "/admin/fault", timeout=5).json()
    armed = [r for r in rules.get("rules", rules if isinstance(rules, list) else []) if r.get("infno") == "2201"]
    assert armed and armed[0]["next"] == 1


def test_commit_then_drop_is_unknown_but_committed(client, fault):
    req = _register_request(client, "F-commit-drop")
    fault(mode="drop-after-commit", infno="2201", next=1)
    msgid = client.new_msgid()
    with pytest.raises(TransportError) as ei:
        client.send(req, operator=OP, msgid=msgid)
    assert ei.value.outcome_unknown is True
    # The platform committed: the SAME msgid again is refused as a duplicate, nothing is replayed
    with pytest.raises(BusinessError) as dup:
        client.send(req, operator=OP, msgid=msgid)
    assert dup.value.err_msg == f"发送方报文ID[{msgid}]重复：该报文ID已被2201交易使用，请使用新的报文ID"
    # and the registration exists once: a new msgid for the same 门诊号 is refused as already registered
    with pytest.raises(BusinessError) as again:
        client.send(req, operator=OP)
    assert "已登记" in again.value.err_msg


def test_refuse_is_a_business_error_with_the_message_verbatim(client, fault):
    req = _register_request(client, "F-refuse")
    fault(mode="refuse", infno="2201", next=1, message="参保人当日已在本院挂号，请勿重复挂号（培训演练）")
    with pytest.raises(BusinessError) as ei:
        client.send(req, operator=OP)
    assert ei.value.err_msg == "参保人当日已在本院挂号，请勿重复挂号（培训演练）"
    assert ei.value.infcode == -1


def test_read_only_calls_are_retried_through_transient_faults(client, fault):
    for mode in ("drop-before", "http-502"):
        fault(mode=mode, infno="1101", next=1)
        person = client.send(query_person_by_certno(SHEN), operator=OP)
        assert person.baseinfo.psn_name == "沈明"


def test_latency_beyond_the_read_timeout_is_unknown_and_trickle_within_it_succeeds(client, fault):
    req = _register_request(client, "F-latency")
    fault(mode="latency", infno="2201", next=1, delay_ms=3000)     # read timeout is 2 s
    with pytest.raises(TransportError) as ei:
        client.send(req, operator=OP)
    assert ei.value.outcome_unknown is True
    fault(mode="trickle", infno="1101", next=1, delay_ms=50)
    person = client.send(query_person_by_certno(SHEN), operator=OP)
    assert person.baseinfo.psn_name == "沈明"


PLEASE_SIGN_IN = "经办人未签到或签到已失效，请先签到(9001)"


def test_a_platform_that_keeps_asking_for_sign_in_gets_one_9001_per_call(client, fault, monkeypatch):
    """Issue #14: the re-sign-in is decided by BusinessError.needs_sign_in and bounded to one per call."""
    client.ensure_signed_in(OP)
    signed = []
    real = client.sign_in
    monkeypatch.setattr(client, "sign_in", lambda op: signed.append(op.opter) or real(op))
    fault(mode="refuse", infno="1101", message=PLEASE_SIGN_IN)        # every 1101, until cleared
    with pytest.raises(BusinessError) as ei:
        client.send(query_person_by_certno(SHEN), operator=OP)
    assert ei.value.needs_sign_in and ei.value.err_msg == PLEASE_SIGN_IN
    assert signed == [OP.opter]                                       # exactly one 9001, then the error
    assert client.signins.get(OP.opter)                               # and that 9001 really succeeded
    requests.post(client.settings.base_url + "/admin/fault", json={"clear": True}, timeout=5)
    assert client.send(query_person_by_certno(SHEN), operator=OP).baseinfo.psn_name == "沈明"
    assert signed == [OP.opter]                                       # a healthy call signs in no more
