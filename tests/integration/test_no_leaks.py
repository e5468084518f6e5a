"""No leaks: a realistic day at a training window, then every file it produced is scanned.

Workload (real training platform on 127.0.0.1, real SQLite store, real PDFs, real log files at
DEBUG level): sync, operators (training accounts, forced password change, a failed login),
three outpatient settlements identified by ID number, social-security card and e-voucher QR, with
the audit events the window records (identification, precheck acknowledgement, settlement),
receipts and settlement forms rendered, a reprint and a same-day reversal each authorized by a
different supervisor, a careless log line holding raw card data, and an audit export through the
CLI.

Scan (client.security.leakscan.scan_tree over the window's data directory — store, backups,
logs, printouts, exports): no full resident ID number (18 characters with a valid check
character), no full card number / card identification code of the demo people, and no training
MAC/gateway secret anywhere, except in the operational columns listed in
``leakscan.OPERATIONAL_COLUMNS`` (protected by the owner-only database file, checked here too).
The window's data directory is also recorded for the session's leak scan (tests/leaksession.py,
run when the session ends); the control that plants leaks works on a copy of it.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from client.cli import main
from client.domain import prechecks
from client.logging_setup import clear_secrets, setup_logging
from client.printing.documents import render_form, render_slip
from client.security import leakscan
from client.security.operators import AuthFailure
from client.security.passwords import TEST_PARAMS, make_hasher
from client.services import audit, invoicing
from client.services.checkout import Counter
from client.services.context import STORE_FILE, TRAINING_MAC_KEYS, open_context, training_settings_for
from client.services.operators import OperatorService, seed_training_operators
from client.services.payments import Tender
from client.services.sync import SyncService
from tests import leaksession
from training_platform import demo

DATA = demo.generate()
PEOPLE = {p["certno"]: p for p in DATA["people"]}
SHEN, LU, LOCAL = "330421198503150016", "320509195207080020", "310118199001010036"
LINES = [("XJ01CRA006A001010104041", "24"), ("001102000010000", "1"), ("250601001", "1"), ("250401015", "1")]
CARDS = sorted({p["card"]["card_no"] for p in DATA["people"] if p.get("card")} |
               {p["card"]["card_sn"] for p in DATA["people"] if p.get("card")})
SECRETS = sorted(set(TRAINING_MAC_KEYS.values()) | {i["sign_secret"] for i in demo.FIXED_INSTITUTIONS})


def _printable(ctx, record: dict) -> dict:
    doc = dict(record)
    doc["institution"] = {"fixmedins_code": ctx.fixmedins_code, "fixmedins_name": ctx.settings.site.fixmedins_name,
                          "admdvs": ctx.admdvs, "hosp_lv": ctx.hosp_lv}
    person = dict(doc.get("person") or {})
    person["certno"] = (doc.get("setlinfo") or {}).get("certno") or person.get("certno")   # full: the printer masks
    doc["person"] = person
    return doc


@pytest.fixture(scope="module")
def day(platform_module, tmp_path_factory):
    """Run the workload once per module; yields the window's data directory."""
    platform = platform_module
    data_dir = tmp_path_factory.mktemp("no-leaks") / "window"
    log_dir = data_dir / "logs"
    prints = data_dir / "printouts"
    clear_secrets()   # nothing registered: the code itself must not write the secrets anywhere
    setup_logging(log_dir, "DEBUG", window_id="w01")
    log = logging.getLogger("tests.no_leaks")
    leaksession.record_root(data_dir)    # scanned again when the session ends
    settings = training_settings_for(platform.url, data_dir)
    ctx = open_context(settings)
    try:
        SyncService(ctx).run()
        hasher = make_hasher(TEST_PARAMS)
        seed_training_operators(ctx.store, settings, hasher=hasher)
        ops = OperatorService.from_settings(ctx.store, settings, hasher=hasher)
        with pytest.raises(AuthFailure):
            ops.sign_in("0001", "wrong-password")
        sess = ops.sign_in("0001", "Train-0001")
        assert sess.must_change_password
        ops.change_password("0001", "Train-0001", "Cashier-2026!")
        cashier = ops.sign_in("0001", "Cashier-2026!").operator
        from client.api import Operator as ApiOperator

        ctx.operator = ApiOperator(cashier.code, cashier.name, "A03", "内科")   # as the window does after sign-in
        from client.services import dayend

        dayend.open_shift(ctx.store, cashier.code, Decimal("100.00"))          # 开班 before the first patient

        prints.mkdir(parents=True)
        records = []
        for how, certno in (("certno", SHEN), ("card", LU), ("ecqr", LOCAL)):
            p = PEOPLE[certno]
            c = Counter(ctx)
            if how == "certno":
                view = c.identify_certno(certno)
            elif how == "card":
                log.info("card reader returned %s", p["card"]["card_data"])   # careless, masked by the filter
                view = c.identify_card(p["card"]["card_data"])
            else:
                view = c.identify_ecqr(p["ecqr"])
            audit.record_identification(ctx.store, cashier.code, method=how, certno=certno, psn_no=c.person.psn_no
                                        if hasattr(c.person, "psn_no") else "", psn_name=view.name,
                                        insuplc_admdvs=getattr(view, "insuplc_admdvs", "") or "")
            c.start_outpatient("11")
            for code, cnt in LINES:
                c.add_line(code, cnt)
            c.add_line("XJ01CRA006A001010104041", "1")     # a duplicate → 事前提醒
            local = c.preview()
            lines = [ln.to_dict() for ln in c.lines]
            warnings = prechecks.run_prechecks(lines, {"gend": "1", "psn_insu_stas": "1"},
                                               {ln["code"]: {"name": ln["name"]} for ln in lines},
                                               visit={"med_type": "11", "begndate": c.visit_date})
            assert any(w.code == "duplicate_in_visit" for w in warnings)
            audit.record_precheck_ack(ctx.store, cashier.code, warnings=warnings, subject=certno)
            trial = c.presettle("1")
            assert trial.prechecks and c.acknowledge_prechecks("all", cashier) == []   # the counter's own 事前提醒
            due = Decimal(str(trial.psn_cash_pay))
            rec = c.settle([Tender("cash", due + Decimal("50"))] if due > 0 else [])
            assert rec["state"] == "confirmed" and local["setlinfo"]["medfee_sumamt"]
            si = rec["setlinfo"]
            audit.record_settlement(ctx.store, cashier.code, msgid=rec["msgid"], setl_id=rec["setl_id"],
                                    medfee_sumamt=si["medfee_sumamt"], fund_pay_sumamt=si["fund_pay_sumamt"],
                                    acct_pay=si["acct_pay"], psn_cash_pay=si["psn_cash_pay"],
                                    psn_no=si.get("psn_no", ""))
            doc = _printable(ctx, rec)
            render_slip(doc, prints / f"slip-{rec['setl_id']}.pdf")
            render_form(invoicing.document_record(ctx.store, rec["settlement_id"], ctx.settings),
                        prints / f"form-{rec['setl_id']}.pdf")
            log.debug("settled %s for certno=%s", rec["setl_id"], certno)
            records.append(rec)

        # reprint and reversal, each authorized by another supervisor
        first = records[0]
        auth = ops.authorize(cashier, "0009", "Train-0009", action="reprint", subject=first["setl_id"])
        ops.require(cashier, "reprint", authorization=auth)
        doc = _printable(ctx, first)
        doc["reprint"] = True
        render_slip(doc, prints / f"slip-{first['setl_id']}-reprint.pdf")
        audit.record_reprint(ctx.store, cashier.code, setl_id=first["setl_id"], document="slip", copy_no=2,
                             authorized_by=auth.authorized_by)
        last = records[-1]
        auth = ops.authorize(cashier, "0008", "Train-0008", action="reverse", subject=last["setl_id"], reason="患者退费")
        rev = Counter(ctx).reverse(last["setl_id"], auth, reason="患者退费")
        assert rev["state"] == "reversed"
        audit.record_reversal(ctx.store, cashier.code, setl_id=last["setl_id"], revoke_msgid=rev["revoke_msgid"],
                              authorized_by=auth.authorized_by, reason="患者退费")
        ops.sign_out(sess, reason="交班")
    finally:
        ctx.close()
    assert main(["audit", "export", "--data", str(data_dir), "--out", str(data_dir / "exports" / "audit.jsonl"),
                 "--operator", "0009"]) == 0
    assert main(["audit", "export", "--data", str(data_dir), "--out", str(data_dir / "exports" / "audit.csv")]) == 0
    assert main(["audit", "verify", "--data", str(data_dir)]) == 0
    for h in logging.getLogger().handlers:
        h.flush()
    yield data_dir
    logging.getLogger().handlers[:] = [h for h in logging.getLogger().handlers
                                       if not getattr(h, "_medsettle_handler", False)]


def test_no_full_ids_cards_or_secrets_anywhere(day, capsys):
    leaks, n = leakscan.scan_tree(day, cards=CARDS, secrets=SECRETS)
    assert not leaks, "\n".join(str(x) for x in leaks[:20])
    names = {p.name for p in day.rglob("*") if p.is_file()}
    assert n >= 10 and STORE_FILE in names and "audit.jsonl" in names
    assert sum(1 for x in names if x.endswith(".pdf")) == 7
    assert any(x.startswith("medsettle-w01.log") for x in names)
    # the workload really did handle full identifiers: they are in the operational columns only
    full = leakscan.scan_sqlite(day / STORE_FILE, cards=CARDS, secrets=SECRETS, exclude={})
    where = {x.where.split(":")[-1].split("#")[0] for x in full}
    assert "persons.certno" in where and where <= {f"{t}.{c}" for t, cs in leakscan.OPERATIONAL_COLUMNS.items()
                                                    for c in cs}, where
    # and the masked forms did land where they should
    log_text = "".join(p.read_text(encoding="utf-8") for p in (day / "logs").glob("*.log*"))
    assert "330421********0016" in log_text
    assert main(["audit", "list", "--data", str(day)]) == 0
    listing = capsys.readouterr().out
    assert "330421********0016" in listing and leakscan.find_in_text(listing, "audit list", cards=CARDS,
                                                                       secrets=SECRETS) == []
    events = [json.loads(x) for x in (day / "exports" / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    acts = [e["action"] for e in events]
    for a in ("signin", "signin_failed", "password_change", "identify", "precheck_ack", "settle", "authorize",
              "reprint", "reverse", "signout"):
        assert a in acts, a


def test_operational_files_are_owner_only(day):
    if os.name != "posix":
        pytest.skip("owner-only file modes are POSIX permission bits; on Windows the profile and installer ACLs do it (client/fsutil.py)")
    for p in [day / STORE_FILE, *(day / "logs").glob("*.log*"), *(day / "exports").glob("*")]:
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p
    for d in (day, day / "logs"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d


def test_scanner_would_have_caught_a_leak(day, tmp_path):
    """Control, on a copy of the window's directory: plant one full ID in a display column, one secret
    in the sync state and one card number in a log; the scan finds all three (and masks them)."""
    import shutil
    import sqlite3

    day = Path(shutil.copytree(day, tmp_path / "planted"))
    conn = sqlite3.connect(day / STORE_FILE)
    conn.execute("UPDATE shifts SET counted_json = ?", (json.dumps({"note": SHEN}),))
    conn.execute("INSERT INTO sync_state (name, detail_json, updated_at, in_progress) VALUES ('x', ?, "
                 "'2026-01-01 00:00:00', 0)", (json.dumps({"k": SECRETS[0]}),))
    conn.commit()
    conn.close()
    Path(day / "logs" / "planted.log").write_text(f"card {CARDS[0]}\n", encoding="utf-8")
    leaks, _ = leakscan.scan_tree(day, cards=CARDS, secrets=SECRETS)
    kinds = {(x.kind, x.where.rsplit("/", 1)[-1].split("#")[0]) for x in leaks}
    assert ("certno", f"{STORE_FILE}:shifts.counted_json") in kinds
    assert ("secret", f"{STORE_FILE}:sync_state.detail_json") in kinds
    assert ("card", "planted.log") in kinds
    assert all(SHEN not in str(x) and SECRETS[0] not in str(x) for x in leaks)   # the report itself is masked
