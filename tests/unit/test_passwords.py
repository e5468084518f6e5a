"""client.security.passwords and client.security.operators (lockout, forced change, roles, authorization)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from client.security.operators import (
    PERMISSIONS,
    AuthFailure,
    LockoutPolicy,
    Operator,
    authorize_supervisor,
    change_password,
    create_operator,
    has_permission,
    is_locked,
    login,
    require_permission,
    reset_password,
)
from client.security.passwords import (
    DEFAULT_PARAMS,
    TEST_PARAMS,
    check_password_policy,
    hash_password,
    make_hasher,
    needs_rehash,
    verify_password,
)

H = make_hasher(TEST_PARAMS)
T0 = datetime(2024, 3, 1, 9, 0, 0)
POLICY = LockoutPolicy(attempts=5, minutes=15, min_password_length=8)


class DictRepo:
    """A plain in-memory implementation of the OperatorRepository protocol."""

    def __init__(self, *ops: Operator):
        self.ops = {o.code: o for o in ops}
        self.saves = 0

    def get_operator(self, code):
        return self.ops.get(code)

    def save_operator(self, op):
        self.saves += 1
        self.ops[op.code] = op


def op(code, role, password="Passw0rd!", **kw):
    return Operator(code=code, name={"cashier": "王收费", "supervisor": "李组长", "admin": "赵管理"}[role],
                    role=role, password_hash=hash_password(password, hasher=H),
                    must_change_password=kw.pop("must_change_password", False), **kw)


# -- hashing ------------------------------------------------------------------------------------

def test_argon2id_hash_verify_and_rehash():
    h = hash_password("correct horse", hasher=H)
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct horse", hasher=H)
    assert not verify_password(h, "wrong horse", hasher=H)
    assert not verify_password("", "x", hasher=H)
    assert not verify_password("not-a-hash", "x", hasher=H)
    assert needs_rehash(h, hasher=make_hasher(DEFAULT_PARAMS))   # cheap params are upgraded
    assert not needs_rehash(h, hasher=H)
    with pytest.raises(ValueError):
        hash_password("", hasher=H)


def test_password_policy_messages():
    assert check_password_policy("Kx7#mm2024", operator_code="0107") == []
    assert any("至少需要 8 位" in m for m in check_password_policy("a1b2", operator_code="x"))
    assert any("全是数字" in m for m in check_password_policy("1234567890"))
    assert any("工号相同" in m for m in check_password_policy("Cashier01", operator_code="cashier01"))
    assert any("同一个字符" in m for m in check_password_policy("aaaaaaaaa"))
    assert any("原密码相同" in m for m in check_password_policy("Kx7#mm2024", previous_password="Kx7#mm2024"))
    assert check_password_policy("") == ["密码不能为空，请输入新密码"]
    # several problems are all reported
    assert len(check_password_policy("1234", operator_code="1234")) == 3


# -- permissions --------------------------------------------------------------------------------

def test_permission_table():
    assert has_permission("cashier", "settle") and has_permission("cashier", "reprint")
    for action in ("reverse", "price_override", "force_shift_close", "config", "export", "manage_operators"):
        assert not has_permission("cashier", action)
    assert has_permission("supervisor", "reverse") and not has_permission("supervisor", "config")
    assert PERMISSIONS["admin"] >= PERMISSIONS["supervisor"] >= PERMISSIONS["cashier"]
    with pytest.raises(AuthFailure, match="没有“结算撤销/冲正”权限"):
        require_permission(op("c1", "cashier"), "reverse")
    with pytest.raises(ValueError):
        has_permission("cashier", "fly")


# -- login and lockout --------------------------------------------------------------------------

def test_lockout_after_n_failures_then_unlock_after_time():
    repo = DictRepo(op("c1", "cashier"))
    for i in range(4):
        with pytest.raises(AuthFailure) as ei:
            login(repo, "c1", "nope", policy=POLICY, now=T0 + timedelta(seconds=i), hasher=H)
        assert ei.value.code == "wrong_password"
        assert f"再错 {4 - i} 次" in str(ei.value)
    with pytest.raises(AuthFailure) as ei:
        login(repo, "c1", "nope", policy=POLICY, now=T0 + timedelta(seconds=5), hasher=H)
    assert ei.value.code == "locked"
    assert is_locked(repo.ops["c1"], T0 + timedelta(minutes=10))
    # even the right password is refused while locked
    with pytest.raises(AuthFailure) as ei:
        login(repo, "c1", "Passw0rd!", policy=POLICY, now=T0 + timedelta(minutes=14), hasher=H)
    assert ei.value.code == "locked" and "分钟后再试" in str(ei.value)
    # after the lock time it works and counters reset
    res = login(repo, "c1", "Passw0rd!", policy=POLICY, now=T0 + timedelta(minutes=16), hasher=H)
    assert res.operator.failed_attempts == 0 and res.operator.locked_until is None


def test_success_resets_failure_count():
    repo = DictRepo(op("c1", "cashier"))
    for _ in range(3):
        with pytest.raises(AuthFailure):
            login(repo, "c1", "nope", policy=POLICY, now=T0, hasher=H)
    assert repo.ops["c1"].failed_attempts == 3
    login(repo, "c1", "Passw0rd!", policy=POLICY, now=T0, hasher=H)
    assert repo.ops["c1"].failed_attempts == 0


def test_unknown_and_inactive_operators():
    repo = DictRepo(op("c1", "cashier", active=False))
    with pytest.raises(AuthFailure) as ei:
        login(repo, "zz", "x", now=T0, hasher=H)
    assert ei.value.code == "unknown_operator" and "工号或密码错误" in str(ei.value)
    with pytest.raises(AuthFailure) as ei:
        login(repo, "c1", "Passw0rd!", now=T0, hasher=H)
    assert ei.value.code == "inactive"


def test_initial_password_must_be_changed():
    new = create_operator("0107", "周明", "cashier", "Init#2024a", policy=POLICY, hasher=H)
    repo = DictRepo(new)
    res = login(repo, "0107", "Init#2024a", policy=POLICY, now=T0, hasher=H)
    assert res.must_change_password is True
    with pytest.raises(AuthFailure) as ei:
        change_password(repo, "0107", "Init#2024a", "12345678", policy=POLICY, now=T0, hasher=H)
    assert ei.value.code == "weak_password" and "全是数字" in str(ei.value)
    with pytest.raises(AuthFailure) as ei:
        change_password(repo, "0107", "Init#2024a", "Init#2024a", policy=POLICY, now=T0, hasher=H)
    assert "原密码相同" in str(ei.value)
    changed = change_password(repo, "0107", "Init#2024a", "N3w-secret!", policy=POLICY, now=T0, hasher=H)
    assert changed.must_change_password is False and changed.password_changed_at == T0
    assert login(repo, "0107", "N3w-secret!", now=T0, hasher=H).must_change_password is False
    with pytest.raises(AuthFailure):
        login(repo, "0107", "Init#2024a", now=T0, hasher=H)


def test_create_operator_validation():
    with pytest.raises(AuthFailure) as ei:
        create_operator("bad code!", "", "boss", "short", hasher=H)
    msg = str(ei.value)
    assert "工号" in msg and "姓名" in msg and "角色" in msg and "至少需要" in msg


def test_reset_password_needs_admin_and_unlocks():
    admin = op("a1", "admin")
    locked = replace(op("c1", "cashier"), locked_until=T0 + timedelta(minutes=10))
    repo = DictRepo(admin, locked, op("s1", "supervisor"))
    with pytest.raises(AuthFailure):
        reset_password(repo.ops["s1"], "c1", "Reset#2024", repo, hasher=H)
    out = reset_password(admin, "c1", "Reset#2024", repo, now=T0, hasher=H)
    assert out.must_change_password and out.locked_until is None
    assert login(repo, "c1", "Reset#2024", now=T0, hasher=H).must_change_password


# -- supervisor authorization -------------------------------------------------------------------

def test_supervisor_authorizes_cashier_action():
    cashier, sup = op("c1", "cashier"), op("s1", "supervisor", password="Sup#2024x")
    repo = DictRepo(cashier, sup)
    auth = authorize_supervisor(cashier, "s1", "Sup#2024x", repo, action="reverse", reason="患者退费",
                                subject="H31011800001202403010900000001", now=T0, hasher=H)
    assert (auth.action, auth.requested_by, auth.authorized_by, auth.authorized_by_role, auth.at) == (
        "reverse", "c1", "s1", "supervisor", T0)
    assert auth.as_dict()["at"] == "2024-03-01 09:00:00"


def test_cashier_cannot_authorize():
    repo = DictRepo(op("c1", "cashier"), op("c2", "cashier"))
    with pytest.raises(AuthFailure) as ei:
        authorize_supervisor("c1", "c2", "Passw0rd!", repo, action="reverse", now=T0, hasher=H)
    assert ei.value.code == "not_supervisor"


def test_supervisor_cannot_self_authorize():
    repo = DictRepo(op("s1", "supervisor"))
    with pytest.raises(AuthFailure) as ei:
        authorize_supervisor(repo.ops["s1"], "S1", "Passw0rd!", repo, action="price_override", now=T0, hasher=H)
    assert ei.value.code == "self_authorization"


def test_supervisor_without_that_permission_cannot_authorize_config():
    repo = DictRepo(op("c1", "cashier"), op("s1", "supervisor"))
    with pytest.raises(AuthFailure) as ei:
        authorize_supervisor("c1", "s1", "Passw0rd!", repo, action="config", now=T0, hasher=H)
    assert ei.value.code == "not_supervisor"


def test_wrong_supervisor_password_refused_and_counted_to_lockout():
    repo = DictRepo(op("c1", "cashier"), op("s1", "supervisor"))
    for _ in range(POLICY.attempts - 1):
        with pytest.raises(AuthFailure) as ei:
            authorize_supervisor("c1", "s1", "bad", repo, action="reverse", policy=POLICY, now=T0, hasher=H)
        assert ei.value.code == "wrong_password"
    assert repo.ops["s1"].failed_attempts == POLICY.attempts - 1
    with pytest.raises(AuthFailure) as ei:
        authorize_supervisor("c1", "s1", "bad", repo, action="reverse", policy=POLICY, now=T0, hasher=H)
    assert ei.value.code == "locked"
    with pytest.raises(AuthFailure) as ei:
        authorize_supervisor("c1", "s1", "Passw0rd!", repo, action="reverse", policy=POLICY,
                             now=T0 + timedelta(minutes=1), hasher=H)
    assert ei.value.code == "locked"


def test_supervisor_with_initial_password_cannot_authorize():
    repo = DictRepo(op("c1", "cashier"), op("s1", "supervisor", must_change_password=True))
    with pytest.raises(AuthFailure) as ei:
        authorize_supervisor("c1", "s1", "Passw0rd!", repo, action="reverse", now=T0, hasher=H)
    assert ei.value.code == "must_change_password"


def test_lockout_policy_from_settings():
    from client.config import SecuritySettings

    p = LockoutPolicy.from_settings(SecuritySettings(lockout_attempts=3, lockout_minutes=30, min_password_length=10))
    assert (p.attempts, p.minutes, p.min_password_length) == (3, 30, 10)
