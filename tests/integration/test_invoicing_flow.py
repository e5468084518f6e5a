"""E-invoices through the outbox against the training e-invoice platform (real HTTP on 127.0.0.1,
real SQLite store files).

Settlement rows are written with the store's ORM models in the layout client.services.checkout
writes (settlements state 'confirmed' + setlinfo_json, payments incl. 'account', fee_lines), with
amounts computed by the settlement engine (client.domain.engine.settle on the spec example
01-zone-outpatient, varied by insured place / lines / account balance) — the checkout service needs
a full 2201…2207 round trip per settlement, which the checkout helper's tests already cover.
``seed_settlement`` is shared with the report tests.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from client.config import training_settings
from client.domain import engine
from client.printing.einvoice_xml import validate_xml
from client.resources import resource
from client.services import invoicing
from client.services.errors import ServiceError
from offline_cache import outbox
from offline_cache.models import FeeLine, Invoice, Payment, Person, Settlement, Shift, Visit
from offline_cache.store import open_store
from tests import oracles
from training_platform.store import DB_NAME

CERTNOS = {"330421": "330421198503150016", "320509": "320509195207080020", "310118": "310118199001010036",
           "110105": "110105197804120046", "420106": "420106198807070025"}


def base_case() -> dict:
    """Spec example 01-zone-outpatient (tests/oracles.py); the engine computes every amount from it."""
    return oracles.case("01-zone-outpatient")


def seed_settlement(store, *, insuplc: str = "330421", n_lines: int = 6, acct_balc: str = "120.00",
                    when: datetime | None = None, opter: str = "T001", offline: bool = False,
                    method: str = "cash", tendered: str | None = None, shift_id: int | None = None,
                    seq: list | None = None) -> int:
    """One settled outpatient visit, amounts from the engine. Returns the settlement id."""
    when = when or datetime.now().replace(microsecond=0)
    case = base_case()
    case["person"]["insuplc_admdvs"] = insuplc
    case["person"]["acct_balc"] = acct_balc
    case["policies"][0]["insuplc_admdvs"] = insuplc
    case["lines"] = case["lines"][:n_lines]
    case["visit"]["begndate"] = when.strftime("%Y-%m-%d")
    case["policies"][0]["valid"] = ["2000-01-01", "2099-12-31"]
    result = engine.settle(case)
    s = result["setlinfo"]
    cat = {c["code"]: c for c in case["catalog"]}
    certno = CERTNOS.get(insuplc, "330421198503150016")
    with store.session() as ses:
        n = ses.query(Settlement).count() + 1
        psn_no = f"P{insuplc}{certno[-4:]}"
        if ses.get(Person, psn_no) is None:
            ses.add(Person(psn_no=psn_no, certno=certno, psn_name="沈明", gend="1", brdy=None, fetched_at=when))
        v = Visit(kind="outpatient", psn_no=psn_no, insutype="310", insuplc_admdvs=insuplc, mdtrt_id=f"MD{n:06d}",
                  ipt_otp_no=f"MZ{n:06d}", med_type="11", begntime=when, state="settled", opter=opter,
                  created_at=when, updated_at=when)
        ses.add(v)
        ses.flush()
        for ln, out in zip(case["lines"], result["lines"], strict=True):
            c = cat.get(ln["code"], {})
            ses.add(FeeLine(visit_id=v.id, feedetl_sn=ln["feedetl_sn"], med_list_codg=ln["code"],
                            name=c.get("name", "院内自制项目"), cnt=Decimal(ln["cnt"]), pric=Decimal(ln["pric"]),
                            det_item_fee_sumamt=Decimal(out["det_item_fee_sumamt"]), uploaded=True,
                            chrgitm_lv=c.get("chrgitm_lv"), med_chrgitm_type=c.get("med_chrgitm_type", "14"),
                            fulamt_ownpay_amt=Decimal(out["fulamt_ownpay_amt"]), overlmt_amt=Decimal(out["overlmt_amt"]),
                            preselfpay_amt=Decimal(out["preselfpay_amt"]), inscp_scp_amt=Decimal(out["inscp_scp_amt"])))
        msgid = f"H31011800001{when:%Y%m%d%H%M%S}{n:04d}"
        info = dict(s, psn_no=psn_no, psn_name="沈明", certno=certno, gend="1", age=36, insutype="310",
                    psn_type="1101", med_type="11", setl_time=when.strftime("%Y-%m-%d %H:%M:%S"),
                    medins_setl_id=msgid, setl_id=f"S{n:08d}", mdtrt_id=v.mdtrt_id, clr_optins=insuplc)
        st = Settlement(visit_id=v.id, msgid=msgid, infno="2207", state="provisional" if offline else "confirmed",
                        setl_id=info["setl_id"], mdtrt_id=v.mdtrt_id, medfee_sumamt=Decimal(s["medfee_sumamt"]),
                        fund_pay_sumamt=Decimal(s["fund_pay_sumamt"]), acct_pay=Decimal(s["acct_pay"]),
                        psn_cash_pay=Decimal(s["psn_cash_pay"]), setlinfo_json=json.dumps(info, ensure_ascii=False),
                        setldetail_json=json.dumps(result["setldetail"], ensure_ascii=False),
                        preview_json=json.dumps({"visit": {"dept_name": "内科"},
                                                 "cashier": {"opter": opter, "opter_name": "培训收费员"}},
                                                ensure_ascii=False),
                        offline=offline, provisional=offline, opter=opter, shift_id=shift_id,
                        created_at=when, updated_at=when)
        ses.add(st)
        ses.flush()
        cash = Decimal(s["psn_cash_pay"])
        if cash > 0:
            if method == "cash":
                t = Decimal(tendered) if tendered else cash
                ses.add(Payment(settlement_id=st.id, method="cash", amount=cash, tendered=t, change=t - cash,
                                created_at=when))
            else:
                ses.add(Payment(settlement_id=st.id, method=method, amount=cash, created_at=when))
        if Decimal(s["acct_pay"]) > 0:
            ses.add(Payment(settlement_id=st.id, method="account", amount=Decimal(s["acct_pay"]), created_at=when))
        sid = st.id
    if seq is not None:
        seq.append(sid)
    return sid


def reverse_locally(store, sid: int, when: datetime | None = None) -> None:
    """What checkout.reverse_settlement writes after a successful 2208: state + negative refunds."""
    when = when or datetime.now().replace(microsecond=0)
    with store.session() as ses:
        st = ses.get(Settlement, sid)
        st.state = "reversed"
        st.revoke_msgid = st.msgid[:-4] + "9999"
        st.updated_at = when
        for p in list(ses.query(Payment).filter(Payment.settlement_id == sid, Payment.amount > 0)):
            ses.add(Payment(settlement_id=sid, method=p.method, amount=-p.amount, ref=f"refund:{st.revoke_msgid}",
                            created_at=when))


def open_shift(store, opter: str = "T001", float_amt: str = "200.00", when: datetime | None = None) -> int:
    with store.session() as ses:
        sh = Shift(opter=opter, opened_at=when or datetime.now().replace(microsecond=0), float_amt=Decimal(float_amt))
        ses.add(sh)
        ses.flush()
        return sh.id


# ---------------------------------------------------------------------------------------------

@pytest.fixture
def env(platform, tmp_path):
    settings = training_settings(platform.url, tmp_path / "data")
    store = open_store(tmp_path / "data" / "medsettle.sqlite3")
    einv = invoicing.EInvoicePlatform.from_settings(settings, window="01")
    yield settings, store, einv
    einv.close()
    store.close()


def issued_on_platform(platform) -> list[tuple[str, str, str]]:
    c = sqlite3.connect(Path(platform.data_dir) / DB_NAME)
    try:
        return [tuple(r) for r in c.execute("SELECT code, number, doc FROM einv_issued ORDER BY number")]
    finally:
        c.close()


def test_numbers_never_repeat_across_restart_and_offline(env, platform, tmp_path):
    settings, store, einv = env
    # online: allocate a small block; the stock is topped up ahead of exhaustion
    assert invoicing.ensure_ranges(store, einv, low_water=3, batch=5) == 5
    assert invoicing.remaining_numbers(store, "01") == 5
    sids = [seed_settlement(store, insuplc=a) for a in ("330421", "320509", "310118")]
    first = [invoicing.issue_for_settlement(store, sid, settings=settings) for sid in sids]
    assert [i.state for i in first] == ["allocated"] * 3
    # issuing again for the same settlement returns the same invoice, no new number
    again = invoicing.issue_for_settlement(store, sids[0], settings=settings)
    assert (again.number, again.created) == (first[0].number, False)
    assert invoicing.remaining_numbers(store, "01") == 2
    assert invoicing.ensure_ranges(store, einv, low_water=3, batch=5) == 7  # 2 left < 3 → new block

    # restart: reopen the store file; numbering continues after the last used number
    path = store.path
    store.close()
    store2 = open_store(path)
    try:
        # offline: the platform is stopped; the window keeps issuing from its pre-allocated ranges
        platform.stop()
        more = [seed_settlement(store2, insuplc="110105", offline=True) for _ in range(4)]
        issued = [invoicing.issue_for_settlement(store2, sid, settings=settings) for sid in more]
        numbers = [(i.code, i.number) for i in first + issued]
        assert len(set(numbers)) == 7
        assert [int(n) for _, n in numbers] == sorted(int(n) for _, n in numbers)
        # uploads fail while offline and stay queued
        res = invoicing.drain_invoice_uploads(store2, einv)
        assert (res.acked, res.failed) == (0, 1) and "联网后会自动上传" in res.messages[0]
        # a top-up attempt while offline is not an error as long as numbers are left
        assert invoicing.ensure_ranges(store2, einv, low_water=100, batch=5) == 3
        last = [invoicing.issue_for_settlement(store2, seed_settlement(store2, offline=True), settings=settings)
                for _ in range(3)]
        numbers += [(i.code, i.number) for i in last]
        assert len(set(numbers)) == 10
        with pytest.raises(ServiceError, match="没有可用的电子票据号码"):
            invoicing.issue_for_settlement(store2, seed_settlement(store2), settings=settings)
        with store2.read_session() as s:
            assert s.query(Invoice).count() == 10  # the refused issue wrote nothing

        # back online: drain uploads (the failed item's back-off is skipped by passing a later `now`)
        platform.port = int(einv.url.rsplit(":", 1)[1])
        platform.start()
        res = invoicing.drain_invoice_uploads(store2, einv, now=datetime.now() + timedelta(hours=1))
        assert (res.acked, res.failed, res.needs_review) == (10, 0, 0)
        on_platform = issued_on_platform(platform)
        assert sorted((c, n) for c, n, _ in on_platform) == sorted(numbers)  # each accepted exactly once
        # draining again sends nothing; the platform still holds each number once
        assert invoicing.drain_invoice_uploads(store2, einv, now=datetime.now() + timedelta(hours=2)).acked == 0
        assert len(issued_on_platform(platform)) == 10
        with store2.read_session() as s:
            assert {r.state for r in s.query(Invoice)} == {"issued"}
            assert outbox.counts(s)["acked"] == 10
    finally:
        store2.close()


def test_resend_after_lost_answer_is_accepted_once(env, platform):
    settings, store, einv = env
    invoicing.ensure_ranges(store, einv, batch=10)
    sid = seed_settlement(store)
    inv = invoicing.issue_for_settlement(store, sid, settings=settings)
    import requests
    requests.post(platform.url + "/admin/fault", json={"infno": "einvoice.issue", "mode": "drop-after-commit",
                                                       "next": 1}, timeout=5)
    res = invoicing.drain_invoice_uploads(store, einv)
    assert res.failed == 1  # the platform committed but the answer was lost
    res = invoicing.drain_invoice_uploads(store, einv, now=datetime.now() + timedelta(hours=1))
    assert res.acked == 1
    rows = issued_on_platform(platform)
    assert [(c, n) for c, n, _ in rows] == [(inv.code, inv.number)]


def test_red_letter_for_reversal_is_linked_uploaded_after_original_and_valid_xml(env, platform, tmp_path):
    settings, store, einv = env
    invoicing.ensure_ranges(store, einv, batch=10)
    sid = seed_settlement(store, insuplc="320509")
    blue = invoicing.issue_for_settlement(store, sid, settings=settings)
    with pytest.raises(ServiceError, match="尚未冲销"):
        invoicing.red_letter_for_reversal(store, sid, settings=settings)
    reverse_locally(store, sid)
    red = invoicing.red_letter_for_reversal(store, sid, settings=settings, reason="患者退费")
    assert red.kind == "red" and red.number != blue.number
    ext = red.body["Main"]["MainExt"]
    assert (ext["RelatedInvoiceCode"], ext["RelatedInvoiceNumber"]) == (blue.code, blue.number)
    assert Decimal(red.body["Main"]["TotalAmount"]) == -Decimal(blue.body["Main"]["TotalAmount"]) < 0
    assert invoicing.red_letter_for_reversal(store, sid, settings=settings).number == red.number  # idempotent
    # both uploaded in order (the red one is chained after its original); the platform accepts both
    res = invoicing.drain_invoice_uploads(store, einv)
    assert res.acked == 2
    docs = {n: json.loads(d) for _, n, d in issued_on_platform(platform)}
    assert docs[red.number]["MainExt"]["RelatedInvoiceNumber"] == blue.number
    # export of the day: XML validated against the XSD, JSON
    out = tmp_path / "export"
    paths = invoicing.export_invoices(store, datetime.now().date(), "xml", out)
    assert sorted(p.name for p in paths) == sorted(f"{i.code}-{i.number}.xml" for i in (blue, red))
    for p in paths:
        validate_xml(p.read_bytes())
    red_xml = (out / f"{red.code}-{red.number}.xml").read_text("utf-8")
    assert f"<RelatedInvoiceNumber>{blue.number}</RelatedInvoiceNumber>" in red_xml
    assert "330421198503150016" not in red_xml and "320509195207080020" not in red_xml  # masked ID only
    jpaths = invoicing.export_invoices(store, datetime.now().date(), "json", out)
    assert json.loads(jpaths[0].read_text("utf-8"))["Main"]["EInvoiceCode"] == blue.code
    assert resource("schemas", "einvoice.xsd").is_file()


def test_refused_upload_needs_review_and_issue_requires_settled(env, platform):
    settings, store, einv = env
    invoicing.ensure_ranges(store, einv, batch=10)
    sid = seed_settlement(store)
    with store.session() as s:
        s.get(Settlement, sid).state = "unknown"
    with pytest.raises(ServiceError, match="只有已结算"):
        invoicing.issue_for_settlement(store, sid, settings=settings)
    with store.session() as s:
        s.get(Settlement, sid).state = "confirmed"
    inv = invoicing.issue_for_settlement(store, sid, settings=settings)
    import requests
    requests.post(platform.url + "/admin/fault", json={"infno": "einvoice.issue", "mode": "refuse", "next": 1,
                                                       "message": "开票单位已停用"}, timeout=5)
    res = invoicing.drain_invoice_uploads(store, einv)
    assert res.needs_review == 1 and "信息科" in res.messages[0]
    with store.read_session() as s:
        assert s.get(Invoice, inv.id).state == "failed"
        assert outbox.counts(s)["needs_review"] == 1


def test_print_count_marks_reprints(env):
    settings, store, _ = env
    sid = seed_settlement(store)
    assert invoicing.begin_print(store, sid) == {"reprint": False, "print_count": 0}
    assert invoicing.begin_print(store, sid) == {"reprint": True, "print_count": 1}
    assert invoicing.begin_print(store, sid) == {"reprint": True, "print_count": 2}
    with store.read_session() as s:
        assert s.get(Settlement, sid).print_count == 3
    rec = invoicing.document_record(store, sid, settings)
    assert rec["flags"]["print_count"] == 3 and rec["invoice_split"]["self_cost"] == "108.10"
