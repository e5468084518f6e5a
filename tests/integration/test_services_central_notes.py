"""What the platform says beside the figures, through the training platform on 127.0.0.1 and a real
SQLite store: ``warn_msg`` is shown verbatim and recorded; infcode 0 with a non-success ``err_msg``
settles (the platform committed it) but the local record is marked for review and the text is shown
verbatim (docs/central-interface.md "Response handling")."""
from __future__ import annotations

import json

import requests

from client.services.checkout import Counter, settlement_record
from client.services.payments import Tender
from tests.integration.test_services_checkout import SHEN, make_window, supervisor_ok

WARN = "培训：本年度门诊统筹额度已用完，本次按个人账户支付"
REVIEW = "培训：结算成功，但电子凭证状态待核实，请稍后查询结算结果"


def _settle(ctx, platform, mode: str, text: str, infno: str = "2207"):
    c = Counter(ctx)
    c.identify_certno(SHEN)
    c.start_outpatient("11")
    c.add_line("001102000010000", "1")
    trial = c.presettle()
    requests.post(platform.url + "/admin/fault", json={"mode": mode, "infno": infno, "next": 1, "message": text},
                  timeout=5)
    return trial, c.settle([Tender("cash", trial.psn_cash_pay)])


def _meta(ctx) -> tuple[str, dict]:
    with ctx.store.read_connection() as conn:
        state, meta = conn.exec_driver_sql("SELECT state, preview_json FROM settlements").one()
    return state, json.loads(meta)


def test_warn_msg_shown_verbatim_and_recorded(platform, tmp_path):
    ctx = make_window(platform, tmp_path / "w")
    try:
        _trial, rec = _settle(ctx, platform, "warn-msg", WARN)
        assert rec["state"] == "confirmed" and rec["review"] is None
        assert rec["warn_msg"] == WARN
        assert any(WARN in w for w in rec["warnings"])          # what the window / CLI show
        state, meta = _meta(ctx)
        assert state == "confirmed" and meta["warn_msg"] == WARN
        assert settlement_record(ctx, rec["settlement_id"])["warn_msg"] == WARN
    finally:
        ctx.close()


def test_infcode_0_with_err_msg_is_recorded_for_review(platform, tmp_path):
    ctx = make_window(platform, tmp_path / "w")
    try:
        _trial, rec = _settle(ctx, platform, "success-with-err-msg", REVIEW)
        # settled centrally (setl_id known): recorded, never settled twice, but marked for review
        assert rec["state"] == "confirmed" and rec["setl_id"]
        assert rec["review"] == {"err_msg": REVIEW, "infno": "2207", "msgid": rec["msgid"]}
        assert any(REVIEW in w and w.startswith("需复核") for w in rec["warnings"])
        _state, meta = _meta(ctx)
        assert meta["review"]["err_msg"] == REVIEW
    finally:
        ctx.close()


def test_presettle_notes_are_warnings(platform, tmp_path):
    ctx = make_window(platform, tmp_path / "w")
    try:
        c = Counter(ctx)
        c.identify_certno(SHEN)
        c.start_outpatient("11")
        c.add_line("001102000010000", "1")
        requests.post(platform.url + "/admin/fault", json={"mode": "warn-msg", "infno": "2206", "next": 1,
                                                           "message": WARN}, timeout=5)
        trial = c.presettle()
        assert f"医保中心提示（2206）：{WARN}" in trial.warnings
    finally:
        ctx.close()


def test_success_word_in_err_msg_is_plain_success(platform, tmp_path):
    ctx = make_window(platform, tmp_path / "w")
    try:
        _trial, rec = _settle(ctx, platform, "success-with-err-msg", "success")   # as Zhejiang answers 9001
        assert rec["state"] == "confirmed" and rec["review"] is None
        assert not any(w.startswith("需复核") for w in rec["warnings"])
    finally:
        ctx.close()


def test_identification_warn_msg_is_shown(platform, tmp_path):
    ctx = make_window(platform, tmp_path / "w")
    try:
        requests.post(platform.url + "/admin/fault", json={"mode": "warn-msg", "infno": "1101", "next": 1,
                                                           "message": WARN}, timeout=5)
        view = Counter(ctx).identify_certno(SHEN)
        assert f"医保中心提示（1101）：{WARN}" in view.warnings
    finally:
        ctx.close()


def test_reversal_answered_with_err_msg_is_recorded_for_review(platform, tmp_path):
    ctx = make_window(platform, tmp_path / "w")
    try:
        _trial, rec = _settle(ctx, platform, "warn-msg", WARN, infno="9999")      # a plain settlement
        requests.post(platform.url + "/admin/fault", json={"mode": "success-with-err-msg", "infno": "2208",
                                                           "next": 1, "message": REVIEW}, timeout=5)
        back = Counter(ctx).reverse(rec["setl_id"], supervisor_ok(ctx, rec["setl_id"]), reason="患者退费")
        assert back["state"] == "reversed"                    # the platform reversed it: refunds recorded
        assert back["reversal"]["review"] == {"err_msg": REVIEW, "infno": "2208", "msgid": back["revoke_msgid"]}
        assert any(w.startswith("需复核") and REVIEW in w and "本笔撤销" in w for w in back["warnings"])
    finally:
        ctx.close()
