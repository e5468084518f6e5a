"""Recorded real answers (tests/fixtures/real/) served byte for byte by a tiny http.server on 127.0.0.1
to the real CentralClient (requests, envelope parsing, typed responses). The expected figures are the
recorded messages' own numbers."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from client.api import ApiSettings, BusinessError, CentralClient, Operator
from client.api.transactions import PreSettle, QueryPerson, Reverse, Settle, SettleResult

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
OP = Operator("0001", "收费员甲")


class _Handler(BaseHTTPRequestHandler):
    answers: dict[str, str] = {}
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(body)
        data = (REAL / f"{self.answers[body['infno']]}.json").read_bytes()   # the fixture's bytes, unchanged
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def serve(tmp_path):
    _Handler.answers, _Handler.seen = {"9001": "9001-output-zjharness"}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    settings = ApiSettings(base_url=f"http://127.0.0.1:{server.server_port}", fixmedins_code="H31011800001",
                           fixmedins_name="青浦示范医院", mdtrtarea_admvs="310118", state_dir=tmp_path / "state",
                           connect_timeout=2.0, read_timeout=5.0, sign_in_ip="127.0.0.1",
                           sign_in_mac="00-11-22-33-44-55")

    def client(answers: dict[str, str]) -> CentralClient:
        _Handler.answers.update(answers)
        return CentralClient(settings, sleep=lambda _s: None)

    yield client
    server.shutdown()
    server.server_close()
    t.join(5)


PRE = dict(psn_no="1303************1217", mdtrt_cert_type="02", mdtrt_cert_no="130302********1614", med_type="11",
           medfee_sumamt=Decimal("4.52"), psn_setlway="01", mdtrt_id="300179916", chrg_bchno="B1", insutype="310")


def test_real_shanghai_1101_through_http(serve):
    with serve({"1101": "1101-output-openhis"}) as c:
        p = c.send(QueryPerson(mdtrt_cert_type="02", mdtrt_cert_no="310103********2018"), operator=OP)
    assert _Handler.seen[-1]["sign_no"] == "680003"           # from the recorded Zhejiang 9001 answer
    ins = p.insuinfo[0]
    assert ins.balc == Decimal("41509.00")                     # recorded: "balc":41509.00
    assert (ins.insuplc_admdvs, ins.psn_type, ins.insutype, ins.emp_name) == ("310115", "116032", "310",
                                                                              "上海正德医院有限公司")
    assert p.baseinfo.age == Decimal("50.2") and p.baseinfo.brdy == "1973-07-25"


def test_real_2207_numbers_through_http(serve):
    with serve({"2207": "2207-output-openhis"}) as c:
        res = c.send(Settle(**PRE), operator=OP)
    assert isinstance(res, SettleResult)
    si = res.setlinfo
    # the recorded numbers, to the fen
    assert (si.medfee_sumamt, si.acct_pay, si.inscp_scp_amt, si.act_pay_dedc, si.preselfpay_amt) == (
        Decimal("4.52"), Decimal("4.52"), Decimal("4.29"), Decimal("4.29"), Decimal("0.23"))
    assert (si.psn_cash_pay, si.fund_pay_sumamt, si.psn_part_amt, si.balc) == (
        Decimal("0.00"), Decimal("0.00"), Decimal("4.52"), Decimal("1373.63"))
    assert si.setl_id == "400125241" and si.clr_optins == "131199"
    assert [(d.fund_pay_type, d.fund_payamt) for d in res.setldetail] == [("310200", Decimal("4.52"))]
    assert res.warn_msg == "" and res.review_msg == ""
    sent = _Handler.seen[-1]["input"]["data"]
    assert sent["medfee_sumamt"] == "4.52"                     # our requests keep exact strings


def test_real_2208_negative_numbers_through_http(serve):
    from client.api.transactions import CancelSettle

    with serve({"2208": "2208-output-openhis"}) as c:
        res = c.send(CancelSettle(setl_id="400120618", mdtrt_id="300179916", psn_no="1303************1217"),
                     operator=OP)
    assert res.setlinfo.medfee_sumamt == Decimal("-25.10") and res.setlinfo.balc == Decimal("1378.15")
    assert res.setlinfo.psn_part_amt is None


def test_warn_msg_and_review_through_http(serve):
    with serve({"2206": "2207-warn-msg", "2207": "2207-infcode0-errmsg"}) as c:
        pre = c.send(PreSettle(**PRE), operator=OP)
        done = c.send(Settle(**PRE), operator=OP)
    assert pre.warn_msg == "该参保人本年度门诊统筹额度已用完，本次按个人账户支付" and pre.review_msg == ""
    assert done.review_msg == "结算成功，但电子凭证状态待核实，请稍后查询结算结果"
    assert done.setlinfo.medfee_sumamt == Decimal("4.52")


def test_recorded_refusal_through_http(serve):
    with serve({"2601": "2601-output-zjharness"}) as c, pytest.raises(BusinessError) as ei:
        c.send(Reverse(psn_no="P1", omsgid="H31011800001202201211324040001", oinfno="2207"), operator=OP)
    assert ei.value.err_msg.startswith("FSI-调用业务基础子系统冲正失败:冲正的结算信息退费结算标志不为未退费")
