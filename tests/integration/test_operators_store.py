"""Operators over the real local store: repository, lockout across reopen, forced change,
supervisor authorization rules and their audit events."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from client.security.operators import AuthFailure, LockoutPolicy
from client.security.passwords import TEST_PARAMS, make_hasher
from client.services.operators import (
    SUPERVISED_ACTIONS,
    TRAINING_ACCOUNTS,
    OperatorService,
    StoreOperatorRepository,
    seed_training_operators,
)
from offline_cache.audit import verify_chain
from offline_cache.store import open_store

HASHER = make_hasher(TEST_PARAMS)
T0 = datetime(2026, 11, 20, 9, 0, 0)


def _events(store, action=None):
    with store.read_connection() as c:
        rows = c.exec_driver_sql("SELECT seq, actor, action, detail_json FROM audit_events ORDER BY seq").fetchall()
    return [(s, a, act, json.loads(d)) for s, a, act, d in rows if action is None or act == action]


@pytest.fixture
def db(tmp_path):
    return tmp_path / "data" / "medsettle.sqlite3"


@pytest.fixture
def store(db):
    st = open_store(db)
    seed_training_operators(st, training=True, hasher=HASHER)
    yield st
    st.close()


@pytest.fixture
def svc(store):
    return OperatorService(store, policy=LockoutPolicy(attempts=3, minutes=15), hasher=HASHER, window="w01")


def test_training_accounts_only_in_training_mode(tmp_path):
    with open_store(tmp_path / "a.sqlite3") as st:
        with pytest.raises(AuthFailure) as ei:
            seed_training_operators(st, training=False, hasher=HASHER)
        assert ei.value.code == "not_training" and "培训模式" in str(ei.value)
        assert StoreOperatorRepository(st).list_operators() == []
        assert seed_training_operators(st, training=True, hasher=HASHER) == ["0001", "0009", "0008"]
        assert seed_training_operators(st, training=True, hasher=HASHER) == []   # idempotent
        ops = {o.code: o for o in StoreOperatorRepository(st).list_operators()}
        assert (ops["0001"].role, ops["0009"].role, ops["0008"].role) == ("cashier", "supervisor", "supervisor")
        assert ops["0001"].password_hash.startswith("$argon2id$")
        for acc in TRAINING_ACCOUNTS:   # the stored hash is never the documented password itself
            assert acc["password"] not in ops[acc["code"]].password_hash


def test_repository_round_trip_and_duplicate_refused(store, svc):
    repo = StoreOperatorRepository(store)
    svc.create("0101", "王小红", "cashier", "Initial-pass1", by="admin1")
    op = repo.get_operator("0101")
    assert op is not None and op.name == "王小红" and op.must_change_password
    with pytest.raises(AuthFailure) as ei:
        svc.create("0101", "重复", "cashier", "Initial-pass2")
    assert ei.value.code == "exists"
    assert repo.get_operator("nobody") is None and repo.get_operator("") is None
    assert _events(store, "operator_create")[-1][1:3] == ("admin1", "operator_create")


def test_forced_change_of_initial_password(store, svc):
    sess = svc.sign_in("0001", "Train-0001", now=T0)
    assert sess.must_change_password
    with pytest.raises(AuthFailure) as ei:
        svc.change_password("0001", "Train-0001", "12345678", now=T0)
    assert ei.value.code == "weak_password" and "数字" in str(ei.value)
    with pytest.raises(AuthFailure) as ei:
        svc.change_password("0001", "Train-0001", "Train-0001", now=T0)
    assert "原密码" in str(ei.value)
    svc.change_password("0001", "Train-0001", "New-secret-77", now=T0)
    sess = svc.sign_in("0001", "New-secret-77", now=T0)
    assert not sess.must_change_password
    with pytest.raises(AuthFailure):
        svc.sign_in("0001", "Train-0001", now=T0)   # the old one no longer works
    acts = [e[2] for e in _events(store)]
    assert "password_change" in acts and "password_change_failed" in acts


def test_lockout_persists_across_store_reopen(db, store, svc):
    for i in range(2):
        with pytest.raises(AuthFailure) as ei:
            svc.sign_in("0009", "wrong-password", now=T0 + timedelta(seconds=i))
        assert ei.value.code == "wrong_password"
    with pytest.raises(AuthFailure) as ei:
        svc.sign_in("0009", "wrong-password", now=T0 + timedelta(seconds=3))
    assert ei.value.code == "locked" and "锁定" in str(ei.value)
    store.close()

    with open_store(db) as st2:                          # a restart of the window
        svc2 = OperatorService(st2, policy=LockoutPolicy(attempts=3, minutes=15), hasher=HASHER)
        op = StoreOperatorRepository(st2).get_operator("0009")
        assert op.locked_until == T0 + timedelta(seconds=3, minutes=15)
        with pytest.raises(AuthFailure) as ei:           # even the right password is refused while locked
            svc2.sign_in("0009", "Train-0009", now=T0 + timedelta(minutes=5))
        assert ei.value.code == "locked" and "分钟后再试" in str(ei.value)
        # locked supervisors cannot authorize either
        with pytest.raises(AuthFailure) as ei:
            svc2.authorize("0001", "0009", "Train-0009", action="reverse", now=T0 + timedelta(minutes=6))
        assert ei.value.code == "locked"
        sess = svc2.sign_in("0009", "Train-0009", now=T0 + timedelta(minutes=20))
        assert sess.code == "0009"
        acts = [(e[1], e[2], e[3].get("reason")) for e in _events(st2)]
        assert ("0009", "lockout", "locked") in acts and ("0009", "signin_failed", "wrong_password") in acts
        assert verify_chain(st2).ok


def test_cashier_cannot_reverse_or_reprint_without_another_supervisor(store, svc):
    repo = StoreOperatorRepository(store)
    cashier = repo.get_operator("0001")
    svc.create("0002", "收费员乙", "cashier", "Cashier-two-2", must_change=False)
    for action in ("reverse", "reprint"):
        assert svc.needs_authorization(cashier, action)
        with pytest.raises(AuthFailure) as ei:
            svc.require(cashier, action)
        assert ei.value.code == "authorization_required" and "组长授权" in str(ei.value)
        # not with the cashier's own credentials
        with pytest.raises(AuthFailure) as ei:
            svc.authorize(cashier, "0001", "Train-0001", action=action, now=T0)
        assert ei.value.code == "self_authorization"
        # not with another cashier's credentials
        with pytest.raises(AuthFailure) as ei:
            svc.authorize(cashier, "0002", "Cashier-two-2", action=action, now=T0)
        assert ei.value.code == "not_supervisor"
        # not with a wrong supervisor password
        with pytest.raises(AuthFailure) as ei:
            svc.authorize(cashier, "0009", "not-the-password", action=action, now=T0)
        assert ei.value.code == "wrong_password"
        auth = svc.authorize(cashier, "0009", "Train-0009", action=action, subject="SETL0001", reason="患者退费", now=T0)
        svc.require(cashier, action, authorization=auth)
        assert (auth.requested_by, auth.authorized_by, auth.action) == ("0001", "0009", action)
        # an authorization for another action does not count
        other = "reprint" if action == "reverse" else "reverse"
        with pytest.raises(AuthFailure) as ei:
            svc.require(cashier, other, authorization=auth)
        assert ei.value.code == "authorization_mismatch"

    ok = _events(store, "authorize")
    assert [(e[1], e[3]["action"], e[3]["authorized_by"]) for e in ok] == [("0001", "reverse", "0009"),
                                                                            ("0001", "reprint", "0009")]
    refused = [(e[3]["action"], e[3]["reason"]) for e in _events(store, "authorize_refused")]
    assert refused == [(a, r) for a in ("reverse", "reprint")
                       for r in ("self_authorization", "not_supervisor", "wrong_password")]


def test_supervisor_cannot_authorize_own_action(store, svc):
    sup = StoreOperatorRepository(store).get_operator("0009")
    for action in SUPERVISED_ACTIONS:
        assert svc.needs_authorization(sup, action)
        with pytest.raises(AuthFailure) as ei:
            svc.authorize(sup, "0009", "Train-0009", action=action, now=T0)
        assert ei.value.code == "self_authorization"
        auth = svc.authorize(sup, "0008", "Train-0008", action=action, now=T0)
        svc.require(sup, action, authorization=auth)
        with pytest.raises(AuthFailure):                 # an authorization naming oneself is refused
            svc.require(StoreOperatorRepository(store).get_operator("0008"), action, authorization=auth)
    assert len(_events(store, "authorize")) == len(SUPERVISED_ACTIONS)
    assert not svc.needs_authorization(sup, "settle")


def test_sign_in_out_audited_and_unknown_operator(store, svc):
    sess = svc.sign_in("0008", "Train-0008", now=T0)
    svc.sign_out(sess, now=T0 + timedelta(hours=8), reason="交班")
    with pytest.raises(AuthFailure) as ei:
        svc.sign_in("9999", "whatever1", now=T0)
    assert ei.value.code == "unknown_operator" and "工号或密码错误" in str(ei.value)
    with pytest.raises(AuthFailure):
        svc.sign_in("330421198503150016", "x", now=T0)   # an ID typed in the code box is stored masked
    ev = _events(store)
    assert [(a, act) for _, a, act, _ in ev[-4:]] == [("0008", "signin"), ("0008", "signout"),
                                                       ("9999", "signin_failed"),
                                                       ("330421********0016", "signin_failed")]
    assert "330421198503150016" not in json.dumps([e[3] for e in ev], ensure_ascii=False)
    assert verify_chain(store).ok
