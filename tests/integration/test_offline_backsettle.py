"""Outage acceptance (issue 16 scope 6): offline = full self-pay (全自费), 补结算 when the platform is back.

The training platform is stopped mid-shift (unreachable, as in an outage). 20 demo patients —
identified online first so the person cache is warm — pay the whole amount offline; the receipt
says 全自费收据（待医保补结算）and every visit is queued for 补结算. The platform comes back on the
same address; ``backsettle.drain`` settles each visit with the platform (1101 → 2201 → 2203/2204 →
2206/2207, fresh msgids) and records the refund of what the platform paid as an adjustment.

The books must balance to the fen for every visit: self-pay taken = medfee_sumamt (the platform's
answer), refund = medfee_sumamt − psn_cash_pay = what the platform paid for the patient (its
fund_pay_sumamt + acct_pay + hosp_part_amt), patient net = psn_cash_pay; the platform's ledger holds
exactly one settlement per visit; a second drain does nothing; a 2207 whose answer is dropped after
the platform committed it is left for recovery (state ``unknown``, in ``recovery.unresolved_ids``)
and never sent again by the drain.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from client.api import Operator
from client.printing.reports import render_zreport
from client.services import backsettle, dayend
from client.services.context import open_context, training_settings_for
from client.services.errors import ServiceError
from client.services.housekeeping import drain_einvoices
from client.services.identify import IdentifyService
from client.services.offline import FLAG_BACKSETTLE, FLAG_SELF_PAY, PROVISIONAL_OFF, OfflineService
from client.services.payments import Tender
from client.services.recovery import resolve_unknown, unresolved_ids
from client.services.reports import zreport
from client.services.sync import SyncService
from training_platform.ledger import read_ledger
from training_platform.server import EmbeddedPlatform

from .test_offline_forward import FEES, ZONE, _set_deductible_zero, _zone_people

OP = Operator("T001", "培训收费员", "A03", "内科")
HAND_WORKED_PSN = "32050919461005968101"


@pytest.fixture
def window(platform, tmp_path):
    s = training_settings_for(platform.url, tmp_path / "window")
    with open_context(s, operator=OP) as ctx:
        SyncService(ctx).run(hilist=False, bundles=list(ZONE))
        dayend.open_shift(ctx.store, OP.opter, Decimal("0.00"))
        yield ctx


def _warm(ctx, platform, n: int) -> list[str]:
    people = []
    for certno in _zone_people(platform, n):
        try:
            p = IdentifyService(ctx).by_certno(certno)
        except ServiceError:
            continue
        if not p.view.suspended:
            people.append(certno)
        if len(people) == n:
            break
    assert len(people) == n
    return people


def _row(ctx, sql: str, args=()):
    with ctx.store.read_connection() as conn:
        return conn.exec_driver_sql(sql, args).fetchone()


def test_outage_twenty_self_pay_backsettled_exactly_once_books_balance(platform, window, tmp_path):
    ctx = window
    people = _warm(ctx, platform, 20)
    port, pdir = int(platform.url.rsplit(":", 1)[1]), Path(platform.data_dir)
    platform.stop()                                          # the outage
    _set_deductible_zero(pdir, "310118")    # so that the fund pays for most Shanghai patients too (refunds)

    svc = OfflineService(ctx)
    visits = []
    for i, certno in enumerate(people):
        person = svc.identify(certno=certno)
        q = svc.quote(person, FEES)
        # default: no locally computed fund payment — full self-pay, 补结算 afterwards
        assert not q.allowed and q.reasons == [PROVISIONAL_OFF] and q.backsettle and q.setlinfo is None
        method = "wechat" if i % 5 == 0 else "cash"
        ref = f"42000020261204{i:010d}" if method == "wechat" else None     # the merchant app's trade no
        r = svc.settle_self_pay(person, FEES, [Tender(method, q.total, ref)])
        assert r.self_pay and r.receipt["flags"] == [FLAG_SELF_PAY, FLAG_BACKSETTLE]
        assert "全自费收据" in r.receipt["note"] and "补结算" in r.receipt["note"]
        assert r.setlinfo["backsettle"] is True and r.setlinfo["psn_cash_pay"] == r.setlinfo["medfee_sumamt"]
        visits.append((certno, person.psn_no, method, r))
    assert HAND_WORKED_PSN in {v[1] for v in visits}
    s0 = backsettle.summary(ctx.store)
    assert s0["offline_self_pay"] == 20 and s0["queued"] == 20 and s0["backsettled"] == 0

    p2 = EmbeddedPlatform(pdir, port=port).start()          # back on the same address
    try:
        # the 7th visit's 2207 is committed by the platform and its answer dropped
        p2.faults.add({"mode": "drop-after-commit", "infno": "2207", "next": 1})
        first = backsettle.drain(ctx, max_items=None)
        p2.faults.clear()
        assert first.stopped and len(first.awaiting_recovery) == 1 and first.settled == 0, first.to_dict()
        lost = first.awaiting_recovery[0]
        st_state, st_msgid = _row(ctx, "SELECT state, msgid FROM settlements WHERE id = ?", (lost["settlement_id"],))
        assert st_state == "unknown" and lost["settlement_id"] in unresolved_ids(ctx.store)   # recovery's to resolve
        assert _row(ctx, "SELECT state, step_msgid FROM backsettlements WHERE id = ?",
                    (lost["backsettlement_id"],)) == ("settling", st_msgid)

        second = backsettle.drain(ctx)
        assert second.settled == 19 and second.refused == 0 and not second.stopped, second.to_dict()
        assert [a["settlement_id"] for a in second.awaiting_recovery] == [lost["settlement_id"]]   # not re-sent
        n_setl = len([x for x in read_ledger(pdir) if x["kind"] == "setl"])

        # the recovery service decides the lost one: 2601 冲正 of its msgid → 未结算 (failed)
        rec = resolve_unknown(ctx, grace_s=0)
        assert [r.after for r in rec.resolutions] == ["failed"]
        third = backsettle.drain(ctx)                           # settled again, with a fresh msgid
        assert third.settled == 1 and not third.awaiting_recovery
        assert backsettle.drain(ctx).attempted == 0             # a second drain does nothing
        ledger = read_ledger(pdir)
        setl = [x for x in ledger if x["kind"] == "setl"]
        # one new settlement (the re-settlement); the reversed one stays on the ledger, not in force
        assert len(setl) == n_setl + 1 and len([x for x in setl if x["reversed"]]) == 1

        msgids, refunded, hand_worked = set(), 0, False
        books = {"medfee": Decimal("0.00"), "fund": Decimal("0.00"), "cash": Decimal("0.00")}
        adjustments = {a["settlement_id"]: a for a in dayend.day_report(ctx.store)["adjustments"]}
        listed = {v["selfpay_settlement_id"]: v for v in backsettle.listing(ctx.store)}
        for _certno, psn_no, method, r in visits:
            v = listed[r.settlement_id]
            rows = [x for x in ledger if x["kind"] == "setl" and x["psn_no"] == psn_no and not x["reversed"]]
            assert len(rows) == 1, psn_no                                    # exactly once per visit
            central = rows[0]
            msgids.add(central["medins_setl_id"])
            medfee, cash = Decimal(central["medfee_sumamt"]), Decimal(central["psn_cash_pay"])
            taken = Decimal(r.payments[0]["amount"])
            assert taken == medfee == Decimal(r.setlinfo["medfee_sumamt"])    # self-pay taken = medfee_sumamt
            refund = Decimal(v["refund"])
            platform_paid = (Decimal(central["fund_pay_sumamt"]) + Decimal(central.get("acct_pay") or "0")
                             + Decimal(central.get("hosp_part_amt") or "0"))
            assert refund == platform_paid == medfee - cash                   # refund = the platform's share
            assert taken - refund == cash                                     # patient net = psn_cash_pay
            assert v["refund_method"] == method and v["setl_id"] == central["setl_id"]
            assert v["state"] == ("refund_owed" if refund else "done")   # nothing owed: closed at once
            a = adjustments[v["settlement_id"]]
            assert a["direction"] == "refund" and Decimal(a["amount"]) == refund
            assert a["state"] == ("pending" if refund else "done") and "fund_pay_sumamt" in a["reason"]
            refunded += refund > 0
            if psn_no == HAND_WORKED_PSN:
                # hand-worked from training_platform/demo_policies.py + demo_catalog.py (not from our engine):
                #   fees: 001102000010000 普通门诊诊查费 1 × 25.00 (甲类, no limit)            = 25.00
                #         XJ01CRA006A001010104041 头孢克洛胶囊 6 × 3.10 (甲类, limit 2.80)     = 18.60
                #   medfee_sumamt = 43.60; over the limit (3.10 − 2.80) × 6 = 1.80 → overlmt_selfpay 1.80
                #   inscp_scp_amt = 43.60 − 1.80 = 41.80
                #   320509 (吴江) employee retiree (insutype 310, psn_type 1201), outpatient, H31011800001 is
                #   hosp_lv 2 → ratio 0.80; 2026 deductible 400 already met (ytd dedc_paid 600) → act_pay_dedc 0
                #   hifp_pay = 41.80 × 0.80 = 33.44 = fund_pay_sumamt; account not used (acct_used_flag 0)
                #   psn_cash_pay = 43.60 − 33.44 = 10.16 (= 1.80 over the limit + 41.80 × 0.20 = 8.36)
                #   self-pay taken 43.60, refund 33.44, patient net 10.16
                assert (taken, refund, taken - refund) == (Decimal("43.60"), Decimal("33.44"), Decimal("10.16"))
                assert central["act_pay_dedc"] == "0.00" and central["hifp_pay"] == "33.44"
                hand_worked = True
            # the 2207 row carries what the patient paid; the self-pay row nets to zero
            paid_2207 = _row(ctx, "SELECT sum(amount) FROM payments WHERE settlement_id = ?", (v["settlement_id"],))[0]
            paid_self = _row(ctx, "SELECT sum(amount) FROM payments WHERE settlement_id = ?", (r.settlement_id,))[0]
            assert Decimal(paid_2207) / 100 == taken and paid_self == 0
            # the superseded full self-pay record is reversed: the visit counts once, as the insurance settlement
            assert _row(ctx, "SELECT state FROM settlements WHERE id = ?", (r.settlement_id,))[0] == "reversed"
            books["medfee"] += medfee
            books["fund"] += Decimal(central["fund_pay_sumamt"])
            books["cash"] += cash
        assert len(msgids) == 20 and hand_worked and refunded >= 10
        s1 = backsettle.summary(ctx.store)
        assert s1["backsettled"] == 20 and s1["refunds_owed"] == refunded and s1["queued"] == 0
        # the drawers did not move by the transfer: cash expected = the cash self-pay taken
        shift = dayend.current_shift(ctx.store, OP.opter)
        exp = dayend.shift_summary(ctx.store, shift)["expected"]
        cash_taken = sum((Decimal(r.payments[0]["amount"]) for _, _, m, r in visits if m == "cash"), Decimal("0"))
        assert Decimal(exp["cash"]) == cash_taken
        # a refund owed to WeChat goes back through its channel: not handed over as cash by mistake
        wechat = next(v for v in backsettle.listing(ctx.store, states=("refund_owed",)) if v["refund_method"] == "wechat")
        with pytest.raises(ServiceError) as ei:
            backsettle.refund_paid(ctx, wechat["backsettlement_id"])
        assert "原路退还" in ei.value.message and "--cash" in ei.value.message
        # the cashier hands one cash refund over: the drawer goes down by it, the row is done
        cash_visit = next(v for v in backsettle.listing(ctx.store, states=("refund_owed",))
                          if v["refund_method"] == "cash")
        backsettle.refund_paid(ctx, cash_visit["backsettlement_id"])
        exp2 = dayend.shift_summary(ctx.store, shift)["expected"]
        assert Decimal(exp2["cash"]) == cash_taken - Decimal(cash_visit["refund"])
        assert backsettle.summary(ctx.store)["refunds_paid"] == 1
        # e-invoices: the insurance settlements get theirs (the superseded self-pay records are owed none)
        assert drain_einvoices(ctx)["issued"] == 20
        with ctx.store.read_connection() as conn:
            inv = conn.exec_driver_sql("SELECT settlement_id, kind FROM invoices ORDER BY id").fetchall()
        assert sorted(inv) == sorted((v["settlement_id"], "normal") for v in listed.values())
        # the day-end report and the Z report show the outage's lines
        day = dayend.day_report(ctx.store)["backsettle"]
        assert (day["offline_self_pay"], day["backsettled"], day["refunds_paid"]) == (20, 20, 1)
        assert day["refunds_owed"] == refunded - 1 and len(day["open"]) == refunded - 1
        owed = sum((Decimal(v["refund"]) for v in backsettle.listing(ctx.store, states=("refund_owed",))),
                   Decimal("0.00"))
        assert Decimal(day["refunds_owed_amount"]) == owed
        z = zreport(ctx.store, date.today())
        # the Z report's net: 20 insurance settlements with the platform's figures (self-pay − its reversal)
        assert (z.net.count, z.net.medfee_sumamt, z.net.fund_pay_sumamt, z.net.psn_cash_pay) == (
            20, books["medfee"], books["fund"], books["cash"])
        assert z.backsettle["offline_self_pay"] == 20 and z.backsettle["refunds_owed_amount"] == f"{owed:.2f}"
        pdf = tmp_path / "z.pdf"
        render_zreport(z, pdf)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "离线全自费 20 笔" in text and f"待退 {refunded - 1} 笔 {owed:.2f} 元" in text.replace("\n", "")
    finally:
        p2.stop()


def _medsettle(platform_url: str, data_dir: Path, *args: str) -> subprocess.Popen:
    import os
    import sys

    env = dict(os.environ, MEDSETTLE_NO_USER_DIRS="1", QT_QPA_PLATFORM="offscreen")
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "client", *args, "--platform", platform_url, "--data", str(data_dir)]
    return subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_backsettle_sigkill_mid_2207_refusal_and_decline(platform, window):
    """A `medsettle offline backsettle` process SIGKILLed while its 2207 is on the wire leaves the row
    ``sent`` for recovery and is never settled twice; a refusal stays full self-pay with the platform's
    words; a patient who declines stays full self-pay with his reason; both are listed by the CLI."""
    import signal
    import time

    ctx = window
    people = _warm(ctx, platform, 4)
    port, pdir = int(platform.url.rsplit(":", 1)[1]), Path(platform.data_dir)
    platform.stop()
    svc = OfflineService(ctx)
    visits = []
    for certno in people:
        person = svc.identify(certno=certno)
        q = svc.quote(person, FEES)
        visits.append((person.psn_no, svc.settle_self_pay(person, FEES, [Tender("cash", q.total)])))
    ids = {r.settlement_id: bs for bs, r in zip(backsettle.due_ids(ctx.store), [v[1] for v in visits], strict=True)}
    first_bs, declined_bs = ids[visits[0][1].settlement_id], ids[visits[3][1].settlement_id]
    backsettle.decline(ctx, declined_bs, "患者表示自行回参保地报销")

    p2 = EmbeddedPlatform(pdir, port=port).start()
    try:
        url = f"http://127.0.0.1:{port}"
        p2.faults.add({"mode": "latency", "infno": "2207", "next": 1, "delay_ms": 2500})
        proc = _medsettle(url, ctx.settings.data_dir, "offline", "backsettle")
        deadline = time.monotonic() + 60
        sent = None
        while time.monotonic() < deadline and sent is None:
            sent = _row(ctx, "SELECT id, msgid FROM settlements WHERE infno = '2207' AND state = 'sent'")
            time.sleep(0.05)
        assert sent is not None, proc.communicate(timeout=30)
        os.kill(proc.pid, signal.SIGKILL)                       # killed while the 2207 is on the wire
        proc.communicate(timeout=30)
        time.sleep(3.5)                                         # the platform finishes (and commits) it
        p2.faults.clear()
        assert sent[0] in unresolved_ids(ctx.store)             # a state recovery handles
        assert _row(ctx, "SELECT state, step_msgid FROM backsettlements WHERE id = ?", (first_bs,)) == ("settling", sent[1])
        committed = [x for x in read_ledger(pdir) if x["medins_setl_id"] == sent[1]]
        assert len(committed) == 1                              # the platform has it

        # the next visit is refused by the platform: stays full self-pay with the platform's words
        p2.faults.add({"mode": "refuse", "infno": "2207", "next": 1, "message": "培训平台：该人员本次不能结算"})
        rep = backsettle.drain(ctx)
        p2.faults.clear()
        assert rep.refused == 1 and [a["settlement_id"] for a in rep.awaiting_recovery] == [sent[0]]
        assert rep.settled == 1                                  # the third visit
        assert len([x for x in read_ledger(pdir) if x["medins_setl_id"] == sent[1]]) == 1   # not re-sent

        # recovery reverses the killed one by 2601 (未结算); the next drain settles it again, fresh msgid
        rec = resolve_unknown(ctx, grace_s=0)
        assert [(r.settlement_id, r.after) for r in rec.resolutions] == [(sent[0], "failed")]
        assert backsettle.drain(ctx).settled == 1
        out = _medsettle(url, ctx.settings.data_dir, "offline", "list")
        stdout, stderr = out.communicate(timeout=60)
        assert out.returncode == 0, stderr
        doc = json.loads(stdout)
        by_sp = {v["selfpay_settlement_id"]: v for v in doc["visits"]}
        refused = by_sp[visits[1][1].settlement_id]
        assert refused["state"] == "refused" and "该人员本次不能结算" in refused["reason"]
        assert by_sp[visits[3][1].settlement_id]["state"] == "declined"
        assert by_sp[visits[3][1].settlement_id]["reason"] == "患者表示自行回参保地报销"
        assert doc["summary"]["backsettled"] == 2 and doc["summary"]["refused"] == 1 and doc["summary"]["declined"] == 1
        # the refused one keeps its full self-pay money on the self-pay row
        for _psn_no, r in visits[1:4:2]:
            paid = _row(ctx, "SELECT sum(amount) FROM payments WHERE settlement_id = ?", (r.settlement_id,))[0]
            assert Decimal(paid) / 100 == Decimal(r.setlinfo["medfee_sumamt"])
        ledger = read_ledger(pdir)
        for psn_no, r in visits:
            n = len([x for x in ledger if x["kind"] == "setl" and x["psn_no"] == psn_no and not x["reversed"]])
            assert n == (1 if r in (visits[0][1], visits[2][1]) else 0), psn_no
        # requeued after the cause is corrected: settled once
        backsettle.requeue(ctx, ids[visits[1][1].settlement_id])
        assert backsettle.drain(ctx).settled == 1
        assert len([x for x in read_ledger(pdir) if x["kind"] == "setl" and x["psn_no"] == visits[1][0]
                    and not x["reversed"]]) == 1
    finally:
        p2.stop()


def test_two_drains_at_once_settle_each_visit_once(platform, window):
    """Two `medsettle offline backsettle` processes started together on the same window (the window's
    own drain and IT's command, say): each step claims the row in the write transaction, so every
    visit is settled once."""
    ctx = window
    people = _warm(ctx, platform, 6)
    port, pdir = int(platform.url.rsplit(":", 1)[1]), Path(platform.data_dir)
    platform.stop()
    svc = OfflineService(ctx)
    psn = []
    for certno in people:
        person = svc.identify(certno=certno)
        svc.settle_self_pay(person, FEES, [Tender("cash", svc.quote(person, FEES).total)])
        psn.append(person.psn_no)
    p2 = EmbeddedPlatform(pdir, port=port).start()
    try:
        url = f"http://127.0.0.1:{port}"
        procs = [_medsettle(url, ctx.settings.data_dir, "offline", "backsettle") for _ in range(2)]
        for p in procs:
            _out, err = p.communicate(timeout=120)
            # 3 = "a 2207 is in flight" (the other process's): left alone, never sent twice
            assert p.returncode in (0, 3), err
        ledger = read_ledger(pdir)
        for psn_no in psn:
            assert len([x for x in ledger if x["kind"] == "setl" and x["psn_no"] == psn_no]) == 1, psn_no
        assert backsettle.summary(ctx.store)["backsettled"] == 6
        assert _row(ctx, "SELECT count(*) FROM settlements WHERE infno = '2207'")[0] == 6
    finally:
        p2.stop()
