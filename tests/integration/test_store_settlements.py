"""The settlement lifecycle table (offline_cache/settlements.py) on a real SQLite store.

The expected edges are written out here by hand from the states' meanings (docs/architecture.md,
"Settlement lifecycle"), not read back from the module's table.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest

from offline_cache import settlements as lifecycle
from offline_cache.jsonutil import jsonable
from offline_cache.models import SETTLEMENT_STATES, Visit
from offline_cache.store import open_store

T0 = datetime(2026, 12, 3, 9, 0, 0)

# every legal change, by hand: (from, to). None = insert.
LEGAL = {
    (None, "sent"), (None, "provisional"), (None, "confirmed"),
    ("prepared", "sent"), ("prepared", "unknown"), ("prepared", "failed"), ("prepared", "confirmed"),
    ("prepared", "reversed"),
    ("sent", "sent"), ("sent", "unknown"), ("sent", "failed"), ("sent", "confirmed"), ("sent", "reversed"),
    ("unknown", "unknown"), ("unknown", "failed"), ("unknown", "confirmed"), ("unknown", "reversed"),
    ("provisional", "sent"), ("provisional", "confirmed"),
    ("confirmed", "unknown"), ("confirmed", "reversed"),
}


@pytest.fixture()
def store(tmp_path):
    s = open_store(tmp_path / "db.sqlite3")
    yield s
    s.close()


def _row(store, state="sent") -> int:
    with store.session() as s:
        v = Visit(kind="outpatient", psn_no="P1", begntime=T0, state="uploaded", created_at=T0, updated_at=T0)
        s.add(v)
        s.flush()
        st = lifecycle.new(state, visit_id=v.id, msgid=f"H1{v.id:028d}", infno="2207", medfee_sumamt=Decimal("68.86"),
                           preview_json=json.dumps({"window": "W01"}), created_at=T0, updated_at=T0)
        s.add(st)
        s.flush()
        return st.id


@pytest.mark.parametrize("before", [None, *SETTLEMENT_STATES])
@pytest.mark.parametrize("after", SETTLEMENT_STATES)
def test_every_edge_is_legal_exactly_when_listed(before, after):
    if (before, after) in LEGAL:
        lifecycle.check(before, after)
    else:
        with pytest.raises(lifecycle.IllegalTransition) as ei:
            lifecycle.check(before, after, 7)
        assert "不能从" in str(ei.value) and after in str(ei.value)


def test_confirm_writes_amounts_through_money_and_json_once(store):
    sid = _row(store)
    info = {"setl_id": "S1", "medfee_sumamt": "68.86", "fund_pay_sumamt": "41.32", "acct_pay": "0.00",
            "psn_cash_pay": "27.54", "hifp_pay": Decimal("41.32"), "selfpay_prop": Decimal("0.125")}
    with store.connection() as conn:
        before = lifecycle.move(conn, sid, "confirmed", now=T0, expect=("sent",), setl_id="S1", setlinfo=info,
                                **{k: info[k] for k in lifecycle.AMOUNT_FIELDS}, meta={"warnings": ["w"]})
    assert before == "sent"
    with store.read_connection() as conn:
        fen = conn.exec_driver_sql("SELECT medfee_sumamt, fund_pay_sumamt, psn_cash_pay FROM settlements "
                                   "WHERE id = ?", (sid,)).one()
        rec = lifecycle.load(conn, sid)
    assert tuple(fen) == (6886, 4132, 2754)                 # INTEGER fen on disk
    assert rec.state == "confirmed" and rec.setl_id == "S1"
    assert (rec.medfee_sumamt, rec.fund_pay_sumamt, rec.psn_cash_pay) == (
        Decimal("68.86"), Decimal("41.32"), Decimal("27.54"))
    assert rec.fund_pay_sumamt + rec.acct_pay + rec.psn_cash_pay == rec.medfee_sumamt   # 41.32 + 0 + 27.54
    assert rec.setlinfo["hifp_pay"] == "41.32" and rec.setlinfo["selfpay_prop"] == "0.125"
    assert rec.meta == {"window": "W01", "warnings": ["w"]}   # merged, not replaced


def test_illegal_moves_are_refused_and_change_nothing(store):
    sid = _row(store)
    with store.connection() as conn:
        lifecycle.move(conn, sid, "failed", now=T0, meta={"error": {"err_msg": "拒绝"}})
    for to in ("confirmed", "reversed", "sent", "unknown"):
        with pytest.raises(lifecycle.IllegalTransition), store.connection() as conn:
            lifecycle.move(conn, sid, to, now=T0)
    with store.read_connection() as conn:
        rec = lifecycle.load(conn, sid)
    assert rec.state == "failed" and rec.meta["error"] == {"err_msg": "拒绝"}


def test_expect_guards_against_a_row_changed_meanwhile(store):
    sid = _row(store)
    with store.connection() as conn:
        lifecycle.move(conn, sid, "unknown", now=T0)
    with pytest.raises(lifecycle.IllegalTransition), store.connection() as conn:
        lifecycle.move(conn, sid, "confirmed", now=T0, expect=("sent",))   # another flow resolved it


def test_amounts_finer_than_a_fen_are_refused(store):
    sid = _row(store)
    with pytest.raises(ValueError, match="两位小数"), store.connection() as conn:
        lifecycle.move(conn, sid, "confirmed", now=T0, medfee_sumamt="68.865")
    with store.read_connection() as conn:
        assert lifecycle.load(conn, sid).state == "sent"             # the transaction rolled back


def test_orm_advance_and_dotted_meta(store):
    from offline_cache.models import Settlement

    sid = _row(store, "provisional")
    with store.session() as s:
        row = s.get(Settlement, sid)
        assert lifecycle.advance(row, "sent", now=T0) == "provisional"
        with pytest.raises(lifecycle.IllegalTransition):
            lifecycle.advance(row, "provisional", now=T0)
    with store.connection() as conn:
        lifecycle.move(conn, sid, now=T0, meta={"reversal.error": "超时"})
        assert lifecycle.load(conn, sid).meta["reversal"] == {"error": "超时"}


def test_new_refuses_a_row_born_reversed():
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.new("reversed", msgid="x")


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("5"), "5.00"), (Decimal("68.86"), "68.86"), (Decimal("0.125"), "0.125"), (Decimal("1.500"), "1.500"),
    (Decimal("-3.1"), "-3.10"), (Decimal("1E+1"), "10.00"),
])
def test_one_json_encoding_of_decimals(value, text):
    assert jsonable({"a": [value]}) == {"a": [text]}
