"""Offline emergency settlement and store-and-forward against the training platform.

The platform is cut mid-shift (EmbeddedPlatform stopped), 20 demo patients — identified online
first so the person cache is warm — are settled offline; the platform comes back on the same port,
the outbox is drained and every offline settlement must reach the platform exactly once (ledger).

Policy change while offline: the training platform has no admin hook to change a policy, so the
test edits the platform's own data (``bundles`` table of ``platform.sqlite3``, documented in
training_platform/store.py) while it is stopped: the deductible of insured place 310118 becomes 0.
Settlements of 310118 people then differ from the provisional ones and must produce adjustment
records whose amount is what the patient paid minus the platform's psn_cash_pay.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from client.api import Operator
from client.services import dayend
from client.services.connectivity import OFFLINE, ONLINE, RECOVERING, ConnectivityMonitor
from client.services.context import open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.fees import FeeInput
from client.services.forward import drain, pending_adjustments
from client.services.identify import IdentifyService
from client.services.offline import (
    FLAG_BACKSETTLE,
    FLAG_OFFLINE,
    FLAG_SELF_PAY,
    OfflineLimitExceeded,
    OfflineService,
)
from client.services.payments import Tender
from client.services.sync import SyncService
from training_platform.ledger import read_ledger
from training_platform.server import EmbeddedPlatform
from training_platform.store import DB_NAME

OP = Operator("T001", "培训收费员", "A03", "内科")
FEES = [FeeInput("001102000010000", Decimal("1")), FeeInput("XJ01CRA006A001010104041", Decimal("6"))]
ZONE = ("310118", "320509", "330421")


def _zone_people(platform, n: int) -> list[str]:
    conn = sqlite3.connect(Path(platform.data_dir) / DB_NAME)
    try:
        out = []
        for certno, doc in conn.execute("SELECT certno, doc FROM people ORDER BY psn_no"):
            p = json.loads(doc)
            ins = (p.get("insuinfo") or [{}])[0]
            if ins.get("insuplc_admdvs") in ZONE and str(ins.get("psn_insu_stas") or "1") == "1":
                out.append(certno)
        return out[: n * 2]
    finally:
        conn.close()


def _set_deductible_zero(platform_dir: Path, admdvs: str) -> None:
    conn = sqlite3.connect(platform_dir / DB_NAME)
    try:
        (doc,) = conn.execute("SELECT doc FROM bundles WHERE insuplc_admdvs = ?", (admdvs,)).fetchone()
        b = json.loads(doc)
        for p in b["policies"]:
            if p.get("deductible"):
                p["deductible"] = {"per": p["deductible"].get("per", "year"),
                                   "by_hosp_lv": {"1": "0", "2": "0", "3": "0"}}
        conn.execute("UPDATE bundles SET doc = ? WHERE insuplc_admdvs = ?", (json.dumps(b, ensure_ascii=False), admdvs))
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def window(platform, tmp_path):
    s = training_settings_for(platform.url, tmp_path / "window")
    # the bundles patched on the platform above reach the window through the training platform's 9901
    # (policy parameters are otherwise imported site data: the shipped, unpatched files)
    s = replace(s, platform=replace(s.platform, policy_bundles_9901=True))
    # the provisional offline insurance settlement is a per-region option (off by default; the default
    # offline mode is full self-pay + 补结算, tests/integration/test_offline_backsettle.py)
    s = replace(s, offline=replace(s.offline, provisional_regions=ZONE))
    with open_context(s, operator=OP) as ctx:
        SyncService(ctx).run(bundles=list(ZONE))
        dayend.open_shift(ctx.store, OP.opter, Decimal("0.00"))   # no settlement without an open shift
        yield ctx


def test_offline_twenty_patients_forwarded_exactly_once_with_adjustments(platform, window):
    ctx = window
    people = []
    for certno in _zone_people(platform, 20):
        try:
            p = IdentifyService(ctx).by_certno(certno)      # online: warms the person cache
        except ServiceError:
            continue
        if not p.view.suspended:
            people.append(certno)
        if len(people) == 20:
            break
    assert len(people) == 20
    mon = ConnectivityMonitor.for_context(ctx, timeout=1.0)
    seen: list[str] = []
    mon.subscribe(lambda st: seen.append(st.state))
    assert mon.check().state == ONLINE

    port, pdir = int(platform.url.rsplit(":", 1)[1]), Path(platform.data_dir)
    platform.stop()                                         # the platform goes away mid-shift
    assert mon.check().state == OFFLINE

    svc = OfflineService(ctx)
    results = []
    for certno in people:
        person = svc.identify(certno=certno)
        q = svc.quote(person, FEES)
        assert q.allowed, q.reasons
        r = svc.settle(person, FEES, [Tender("cash", q.due)], quote=q)
        assert r.receipt["flags"] == [FLAG_OFFLINE]
        results.append((person.insuplc_admdvs, r))
    st = mon.check()
    assert st.state == OFFLINE and st.outbox_pending == 20
    # every msgid of every document was recorded before the first attempt
    with ctx.store.read_connection() as conn:
        docs = [json.loads(r[0]) for r in conn.exec_driver_sql("SELECT payload_json FROM outbox ORDER BY id")]
    assert len(docs) == 20 and all(all(d["msgids"][k] for k in ("2201", "2204", "2207")) for d in docs)
    assert len({m for d in docs for m in d["msgids"].values()}) == 60

    _set_deductible_zero(pdir, "310118")
    p2 = EmbeddedPlatform(pdir, port=port).start()          # back on the same address
    try:
        assert mon.check().state == RECOVERING
        rep = drain(ctx)
        assert rep.acked == 20 and rep.needs_review == 0 and rep.retry_later == 0, rep.errors
        assert mon.check().state == ONLINE
        # notified on every change of state or queue size; the states in order:
        assert [x for i, x in enumerate(seen) if i == 0 or seen[i - 1] != x] == [ONLINE, OFFLINE, RECOVERING, ONLINE]

        ledger = read_ledger(pdir)
        adjustments = {a["msgid"]: a for a in pending_adjustments(ctx.store)}
        n_adjusted = 0
        for adm, r in results:
            rows = [x for x in ledger if x["medins_setl_id"] == r.msgid]
            assert len(rows) == 1, r.msgid                     # exactly once
            central = rows[0]
            with ctx.store.read_connection() as conn:
                state, setl_id, cash, info_js, prev_js = conn.exec_driver_sql(
                    "SELECT state, setl_id, psn_cash_pay, setlinfo_json, preview_json FROM settlements WHERE id = ?",
                    (r.settlement_id,)).fetchone()
            assert state == "confirmed" and setl_id == central["setl_id"]
            assert Decimal(cash) / 100 == Decimal(central["psn_cash_pay"])
            assert json.loads(info_js)["setl_id"] == central["setl_id"]              # central kept
            assert json.loads(prev_js)["setlinfo"]["provisional"] is True             # provisional kept
            paid = Decimal(r.payments[0]["amount"])
            owed = Decimal(central["psn_cash_pay"]) - paid
            if owed != 0:
                n_adjusted += 1
                a = adjustments[r.msgid]
                assert Decimal(a["amount"]) == abs(owed)
                assert a["direction"] == ("charge" if owed > 0 else "refund")
                assert "hifp_pay" in a["reason"] and "离线" in a["reason"]
            else:
                assert r.msgid not in adjustments
            if adm != "310118":
                assert owed == 0                                  # unchanged policy: same result
        assert n_adjusted >= 1
        assert all(a["direction"] == "refund" for a in adjustments.values())   # deductible removed → refund
        # a second drain sends nothing again
        assert drain(ctx).attempted == 0
        assert len([x for x in read_ledger(pdir) if x["kind"] == "setl"]) == len([x for x in ledger if x["kind"] == "setl"])
    finally:
        p2.stop()


def test_offline_limits_offer_self_pay_and_ecqr_is_refused(platform, window):
    ctx = window
    IdentifyService(ctx).by_certno("330421198503150016")
    platform.stop()
    svc = OfflineService(ctx)
    with pytest.raises(ServiceError) as ei:
        svc.identify(ecqr="4243754826492874240001130000")
    assert "社保卡" in ei.value.message and "身份证" in ei.value.message
    person = svc.identify(certno="330421198503150016")
    assert person.view.from_cache
    direct = IdentifyService(ctx).identify_from_cache(("certno", "330421198503150016"), "02", "330421198503150016")
    assert direct.view.from_cache and direct.info == person.info and direct.psn_no == person.psn_no
    assert IdentifyService(ctx).identify_from_cache(("certno", "110101199001010011"), "02", "110101199001010011") is None
    with pytest.raises(ValueError):
        IdentifyService(ctx).identify_from_cache(("psn_name; --", "x"), "02", "x")
    big = [FeeInput("001102000010000", Decimal("30"))]                      # 750.00 > 500.00
    with pytest.raises(OfflineLimitExceeded) as ei:
        svc.settle(person, big, [Tender("cash", Decimal("750.00"))])
    assert "超过离线结算限额" in ei.value.message and ei.value.total == Decimal("750.00")
    with ctx.store.read_connection() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM settlements").scalar_one() == 0   # nothing half-written
    r = svc.settle_self_pay(person, big, [Tender("cash", Decimal("800"))])
    # an insured patient's offline self-pay is queued for 补结算 (never sent through the outbox)
    assert r.self_pay and r.outbox_id is None and r.receipt["flags"] == [FLAG_SELF_PAY, FLAG_BACKSETTLE]
    assert r.payments[0]["change"] == "50.00"
    with ctx.store.read_connection() as conn:
        infno, state, n = conn.exec_driver_sql(
            "SELECT infno, state, (SELECT count(*) FROM outbox) FROM settlements WHERE id = ?",
            (r.settlement_id,)).fetchone()
    assert (infno, state, n) == ("0000", "confirmed", 0)


def test_offline_stale_cache_and_disabled_offline_refused(platform, window, tmp_path):

    ctx = window
    IdentifyService(ctx).by_certno("330421198503150016")
    with ctx.store.connection() as conn:
        conn.exec_driver_sql("UPDATE persons SET fetched_at = '2020-01-01 08:00:00.000000'")
    platform.stop()
    svc = OfflineService(ctx)
    person = svc.identify(certno="330421198503150016")
    q = svc.quote(person, FEES)
    assert not q.allowed and any("参保人信息缓存时间为 2020-01-01" in r for r in q.reasons)
    svc.limits = replace(svc.limits, enabled=False)
    q = svc.quote(person, FEES, kind="inpatient")
    assert "本院未开通离线医保结算" in q.reasons and "本院规定住院不能离线结算" in q.reasons


def test_forward_retries_use_fresh_msgids_2205_before_a_retried_upload_2601_before_a_retried_settlement(
        platform, window):
    """Answers lost during the drain (drop after commit on 2204, then on 2207): every retry has a new
    msgid; the retried upload is preceded by 2205 (the lost upload's lines deleted), the retried
    settlement by 2601 冲正 of the lost 2207; the platform ends with exactly one settlement in force,
    with the figures of the first (lost) one."""
    import requests

    from client.services.forward import retry_now

    ctx = window
    certno = _zone_people(platform, 1)[0]
    IdentifyService(ctx).by_certno(certno)
    port, pdir = int(platform.url.rsplit(":", 1)[1]), Path(platform.data_dir)
    platform.stop()
    svc = OfflineService(ctx)
    person = svc.identify(certno=certno)
    q = svc.quote(person, FEES)
    r = svc.settle(person, FEES, [Tender("cash", q.due)], quote=q)
    queued = r.msgid
    p2 = EmbeddedPlatform(pdir, port=port).start()
    try:
        for infno in ("2204", "2207"):
            requests.post(p2.url + "/admin/fault", json={"mode": "drop-after-commit", "infno": infno, "next": 1},
                          timeout=5).raise_for_status()
        first = drain(ctx)                     # 2201 ok, 2204 committed but its answer lost
        assert first.retry_later == 1 and first.acked == 0
        retry_now(ctx)
        second = drain(ctx)                    # 2205, 2204 again (fresh msgid), 2206, 2207 committed, answer lost
        assert second.retry_later == 1 and second.acked == 0
        lost = [x for x in read_ledger(pdir) if x["medins_setl_id"] == queued]
        assert len(lost) == 1 and not lost[0]["reversed"]
        retry_now(ctx)
        third = drain(ctx)                     # 2601 of the lost 2207, then 2206 + 2207 with a new msgid
        assert third.acked == 1 and third.needs_review == 0, third.errors
        with ctx.store.read_connection() as conn:
            state, msgid, meta_js, setl_id = conn.exec_driver_sql(
                "SELECT state, msgid, preview_json, setl_id FROM settlements WHERE id = ?", (r.settlement_id,)).fetchone()
        meta = json.loads(meta_js)
        spent = [(x["infno"], x["msgid"]) for x in meta["forward"]["spent"]]
        assert [i for i, _ in spent] == ["2201", "2204", "2205", "2204", "2207", "2207"]
        assert len({m for _, m in spent}) == 6 and spent[4][1] == queued      # the queued msgid, once
        assert state == "confirmed" and msgid == spent[5][1] != queued
        att = meta["forward"]["attempts"]
        assert [(a["omsgid"], a["oinfno"], a["result"]) for a in att] == [(queued, "2207", "accepted")]
        ledger = read_ledger(pdir)
        in_force = [x for x in ledger if x["mdtrt_id"] == lost[0]["mdtrt_id"] and x["kind"] == "setl"
                    and not x["reversed"]]
        assert [x["setl_id"] for x in in_force] == [setl_id]
        assert in_force[0]["medfee_sumamt"] == lost[0]["medfee_sumamt"]      # the lines were uploaded once
        assert [x["kind"] for x in ledger if x["medins_setl_id"] == queued] == ["setl"]
        assert [x["infno"] for x in ledger if x["kind"] == "revs"] == ["2601"]
    finally:
        p2.stop()
