"""Fault injection observable at the HTTP level (real sockets on 127.0.0.1)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from tests.integration.test_sandbox_outpatient import SHEN, run_outpatient
from training_platform.ledger import read_ledger

Q = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": SHEN, "psn_cert_type": "01"}}


def fault(platform, **spec):
    r = requests.post(platform.url + "/admin/fault", json=spec, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def w(platform, nhsa):
    return nhsa(platform)


def test_drop_before_is_a_connection_error_and_changes_nothing(platform, w):
    fault(platform, mode="drop-before", infno="9001", next=1)
    env = w.envelope("9001", {"signIn": {"opter_no": "T001", "ip": "127.0.0.1"}})
    with pytest.raises(requests.ConnectionError):
        w.session.post(platform.url + "/fsi/api/callService", json=env, timeout=5)
    # next=1 consumed: the same message now goes through and is processed once
    assert w.post(env).json()["infcode"] == 0
    assert fault(platform, clear=True)["rules"] == []


def test_drop_after_commit_really_commits(platform, w):
    ctx = run_outpatient(w, SHEN, "MZ-F-0001", settle=False)
    s = ctx["pre"]["setlinfo"]
    d = dict(w.setl_data(ctx["person"], ctx["mdtrt_id"], ctx["total"]), invono="",
             **{k: s[k] for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")})
    env = w.envelope("2207", {"data": d}, "330421")
    fault(platform, mode="drop-after-commit", infno="2207", next=1)
    with pytest.raises(requests.ConnectionError):
        requests.post(platform.url + "/fsi/api/callService", json=env, timeout=5)
    ledger = read_ledger(platform.data_dir)
    assert len(ledger) == 1 and ledger[0]["medins_setl_id"] == env["msgid"]
    # the same msgid again is refused as a duplicate (never a replay of the lost answer)
    again = w.post(env).json()
    assert again["infcode"] == -1 and again["output"] is None and "重复" in again["err_msg"]
    # 5203 needs the setl_id the client never received (必填字段[setl_id]不能为空) ...
    blind = w.call("5203", {"data": {"psn_no": d["psn_no"], "mdtrt_id": ctx["mdtrt_id"]}}, "330421", expect_ok=False)
    assert blind["err_msg"] == "必填字段[setl_id]不能为空"
    # ... so the client reverses the lost msgid by 2601 — and its answer may be lost too (the fault
    # mode applies to 2601): it committed; a second 2601 (fresh msgid) is told it is already reversed
    fault(platform, mode="drop-after-commit", infno="2601", next=1)
    rev = w.envelope("2601", {"data": {"psn_no": d["psn_no"], "omsgid": env["msgid"], "oinfno": "2207"}}, "330421")
    with pytest.raises(requests.ConnectionError):
        requests.post(platform.url + "/fsi/api/callService", json=rev, timeout=5)
    ledger = read_ledger(platform.data_dir)
    assert [(r["kind"], r["reversed"]) for r in ledger] == [("setl", True), ("revs", False)]
    second = w.call("2601", {"data": {"psn_no": d["psn_no"], "omsgid": env["msgid"], "oinfno": "2207"}}, "330421",
                    expect_ok=False)
    assert "退费结算标志不为未退费，不能办理冲正交易" in second["err_msg"]
    assert len(read_ledger(platform.data_dir)) == 2


@pytest.mark.parametrize("mode,status", [("http-500", 500), ("http-502", 502)])
def test_http_errors(platform, w, mode, status):
    fault(platform, mode=mode, next=2)
    r = w.post(w.envelope("1101", Q))
    assert r.status_code == status
    r = requests.post(platform.url + "/his/api/pendingCharges", json={"fixmedins_code": w.code, "certno": SHEN}, timeout=5)
    assert r.status_code == status  # global scope covers the other endpoints too
    assert w.post(w.envelope("1101", Q)).json()["infcode"] == 0


def test_garbage_and_refuse(platform, w):
    fault(platform, mode="garbage", infno="1101", next=1)
    r = w.post(w.envelope("1101", Q))
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    fault(platform, mode="refuse", infno="1101", next=1, message="医保中心系统维护，请稍后再试")
    body = w.post(w.envelope("1101", Q)).json()
    assert body["infcode"] == -1 and body["err_msg"] == "医保中心系统维护，请稍后再试"
    assert len(body["inf_refmsgid"]) == 30
    # other infnos are not affected by an infno-scoped rule
    fault(platform, mode="refuse", infno="2207")
    assert w.post(w.envelope("1101", Q)).json()["infcode"] == 0


def test_latency_and_trickle_are_slow(platform, w):
    fault(platform, mode="latency", infno="1101", next=1, delay_ms=400)
    t = time.monotonic()
    assert w.post(w.envelope("1101", Q)).json()["infcode"] == 0
    assert time.monotonic() - t >= 0.4
    fault(platform, mode="trickle", infno="1101", next=1, delay_ms=60)
    t = time.monotonic()
    body = w.post(w.envelope("1101", Q)).json()
    assert body["infcode"] == 0 and body["output"]["baseinfo"]["psn_name"] == "沈明"
    assert time.monotonic() - t >= 0.3
    # a read timeout shorter than the trickle's pauses trips (requests reports a body read timeout
    # as ConnectionError, a header read timeout as Timeout)
    with pytest.raises((requests.Timeout, requests.ConnectionError)):
        fault(platform, mode="trickle", infno="1101", next=1, delay_ms=400)
        w.session.post(platform.url + "/fsi/api/callService", json=w.envelope("1101", Q), timeout=0.3)


def test_probability_is_seeded_and_bad_specs_rejected(platform, w):
    fault(platform, mode="http-500", infno="1101", prob=0.5, seed=7)
    codes = [w.post(w.envelope("1101", Q)).status_code for _ in range(12)]
    assert 500 in codes and 200 in codes
    fault(platform, clear=True)
    r = requests.post(platform.url + "/admin/fault", json={"mode": "explode"}, timeout=5)
    assert r.status_code == 400 and "未知的故障模式" in r.json()["message"]


def test_fault_and_ledger_commands(platform, w):
    cmd = [sys.executable, "-m", "client", "sandbox", "fault", "--url", platform.url, "--mode", "http-502",
           "--infno", "1101", "--next", "1"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert w.post(w.envelope("1101", Q)).status_code == 502
    fault(platform, mode="http-500")
    out = subprocess.run([sys.executable, "-m", "client", "sandbox", "fault", "--url", platform.url, "--clear"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and '"rules": []' in out.stdout
    run_outpatient(w, SHEN, "MZ-F-0002")
    out = subprocess.run([sys.executable, "-m", "client", "sandbox", "ledger", "--data", str(platform.data_dir)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    import json

    rows = [json.loads(ln) for ln in out.stdout.splitlines()]
    assert len(rows) == 1 and rows[0]["reversed"] is False and rows[0]["medfee_sumamt"] and "hifp_pay" in rows[0]
