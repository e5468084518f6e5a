"""Operator rules: roles and permissions, login lockout, forced change of initial passwords,
supervisor authorization. Pure logic — storage is behind :class:`OperatorRepository`
(``get_operator(code)`` / ``save_operator(operator)``), implemented in ``offline_cache``.

Roles and the permission table (``PERMISSIONS``):

================== ======= ========== ===== =======
action             cashier supervisor admin finance
================== ======= ========== ===== =======
settle             yes     yes        yes   –
reprint            yes     yes        yes   –
reverse            –       yes        yes   –
price_override     –       yes        yes   –
force_shift_close  –       yes        yes   –
export             –       yes        yes   yes
config             –       –          yes   –
manage_cashiers    –       yes        yes   –
manage_operators   –       –          yes   –
policy_import      –       –          yes   –
reconcile          –       –          yes   yes
================== ======= ========== ===== =======

``reconcile``: the institution's day end over the hospital store and the finance view (财务).
``manage_cashiers``: add, disable, re-enable and reset the password of *cashiers*;
``manage_operators``: the same for every role, and changing roles (see
``client.services.operators.OperatorAdmin``). ``policy_import``: import the site's policy
parameters (``medsettle policy import``, ``client.services.policies``) — IT, not the counter.

A cashier who needs an action marked "–" asks a supervisor, who types *their own* code and
password at the cashier's window: :func:`authorize_supervisor` checks that it is a different,
active, unlocked operator with the right role and returns an :class:`Authorization` record to be
written to the audit trail by the caller. Wrong supervisor passwords count towards the
supervisor's lockout like failed logins.

Times are whatever the caller's clock gives (``now``); tests inject it. Use one convention
(naive local time, as in the NHSA ``inf_time``) throughout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from argon2 import PasswordHasher

from .passwords import check_password_policy, hash_password, needs_rehash, verify_password

__all__ = [
    "ACTIONS", "ACTION_LABELS", "PERMISSIONS", "ROLES", "ROLE_LABELS", "AuthFailure", "Authorization",
    "LockoutPolicy", "LoginResult", "Operator", "OperatorRepository", "authenticate", "authorize_supervisor",
    "change_password", "create_operator", "has_permission", "is_locked", "lock_remaining_minutes",
    "login", "register_failure", "register_success", "require_permission", "reset_password",
]

ROLES = ("cashier", "supervisor", "admin", "finance")
ROLE_LABELS = {"cashier": "收费员", "supervisor": "收费组长", "admin": "系统管理员", "finance": "财务"}
ACTIONS = ("settle", "reverse", "reprint", "price_override", "force_shift_close", "config", "export",
           "manage_cashiers", "manage_operators", "policy_import", "reconcile")
ACTION_LABELS = {
    "settle": "结算", "reverse": "结算撤销/冲正", "reprint": "补打票据", "price_override": "修改价格",
    "force_shift_close": "强制交班", "config": "修改系统设置", "export": "导出数据", "manage_cashiers": "管理收费员",
    "manage_operators": "管理操作员", "policy_import": "导入政策参数", "reconcile": "全院对账与财务视图",
}
PERMISSIONS: dict[str, frozenset[str]] = {
    "cashier": frozenset({"settle", "reprint"}),
    "supervisor": frozenset({"settle", "reprint", "reverse", "price_override", "force_shift_close", "export",
                             "manage_cashiers"}),
    "admin": frozenset(ACTIONS),
    "finance": frozenset({"export", "reconcile"}),
}
AUTHORIZER_ROLES = ("supervisor", "admin")
OPERATOR_CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,30}$")   # NHSA envelope `opter` is 30 characters


def _now() -> datetime:
    return datetime.now()


@dataclass(frozen=True)
class Operator:
    code: str                          # 工号 (sent as `opter`)
    name: str                          # 姓名 (sent as `opter_name`)
    role: str                          # cashier | supervisor | admin
    password_hash: str
    failed_attempts: int = 0
    locked_until: datetime | None = None
    must_change_password: bool = True  # initial / reset passwords must be changed at first login
    active: bool = True
    password_changed_at: datetime | None = None

    def __repr__(self) -> str:  # never show the hash
        return f"Operator(code={self.code!r}, name={self.name!r}, role={self.role!r})"


class OperatorRepository(Protocol):
    def get_operator(self, code: str) -> Operator | None: ...

    def save_operator(self, operator: Operator) -> None: ...


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int = 5
    minutes: int = 15
    min_password_length: int = 8

    @classmethod
    def from_settings(cls, security: Any) -> LockoutPolicy:
        """From ``client.config.SecuritySettings``."""
        return cls(attempts=security.lockout_attempts, minutes=security.lockout_minutes,
                   min_password_length=security.min_password_length)


class AuthFailure(Exception):
    """Login/authorization refused. ``code`` is machine-readable, the message Chinese."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class LoginResult:
    operator: Operator
    must_change_password: bool


@dataclass(frozen=True)
class Authorization:
    """What the audit trail records for a supervisor authorization."""

    action: str
    requested_by: str        # requesting operator code
    authorized_by: str       # supervisor code
    authorized_by_name: str
    authorized_by_role: str
    at: datetime
    reason: str = ""
    subject: str = ""        # what it is about, e.g. a setl_id / msgid (free text from the caller)

    def as_dict(self) -> dict[str, str]:
        return {"action": self.action, "requested_by": self.requested_by, "authorized_by": self.authorized_by,
                "authorized_by_name": self.authorized_by_name, "authorized_by_role": self.authorized_by_role,
                "at": self.at.strftime("%Y-%m-%d %H:%M:%S"), "reason": self.reason, "subject": self.subject}


# ---------------------------------------------------------------------------------------------
# permissions
# ---------------------------------------------------------------------------------------------

def has_permission(role: str, action: str) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return action in PERMISSIONS.get(role, frozenset())


def require_permission(operator: Operator, action: str) -> None:
    """Raise :class:`AuthFailure` (``forbidden``) unless the operator may do ``action`` alone."""
    if not has_permission(operator.role, action):
        raise AuthFailure("forbidden", f"{ROLE_LABELS.get(operator.role, operator.role)}没有“{ACTION_LABELS[action]}”权限，"
                                       "请收费组长授权")


# ---------------------------------------------------------------------------------------------
# lockout (pure)
# ---------------------------------------------------------------------------------------------

def is_locked(op: Operator, now: datetime) -> bool:
    return op.locked_until is not None and now < op.locked_until


def lock_remaining_minutes(op: Operator, now: datetime) -> int:
    if not is_locked(op, now):
        return 0
    assert op.locked_until is not None
    secs = (op.locked_until - now).total_seconds()
    return max(1, int(-(-secs // 60)))


def register_failure(op: Operator, now: datetime, policy: LockoutPolicy) -> Operator:
    """Count one failed password; lock for ``policy.minutes`` when ``policy.attempts`` is reached."""
    failed = 0 if (op.locked_until is not None and now >= op.locked_until) else op.failed_attempts
    failed += 1
    if failed >= policy.attempts:
        return replace(op, failed_attempts=0, locked_until=now + timedelta(minutes=policy.minutes))
    return replace(op, failed_attempts=failed, locked_until=None)


def register_success(op: Operator) -> Operator:
    return replace(op, failed_attempts=0, locked_until=None)


# ---------------------------------------------------------------------------------------------
# use cases over the repository
# ---------------------------------------------------------------------------------------------

_BAD_CREDENTIALS = "工号或密码错误，请重新输入（连续输错多次将被锁定）"


def _check_password_against(repo: OperatorRepository, op: Operator, password: str, now: datetime,
                            policy: LockoutPolicy, hasher: PasswordHasher | None) -> Operator:
    """Verify; count a failure (saved) or reset counters (saved). Returns the updated operator."""
    if not op.active:
        raise AuthFailure("inactive", f"操作员 {op.code} 已停用，请联系系统管理员")
    if is_locked(op, now):
        raise AuthFailure("locked", f"操作员 {op.code} 因多次密码错误已被锁定，请 {lock_remaining_minutes(op, now)} 分钟后再试，"
                                    "或请系统管理员解锁")
    if not verify_password(op.password_hash, password, hasher=hasher):
        updated = register_failure(op, now, policy)
        repo.save_operator(updated)
        if is_locked(updated, now):
            raise AuthFailure("locked", f"密码连续错误 {policy.attempts} 次，操作员 {op.code} 已被锁定 {policy.minutes} 分钟")
        left = policy.attempts - updated.failed_attempts
        raise AuthFailure("wrong_password", f"工号或密码错误，再错 {left} 次将锁定 {policy.minutes} 分钟")
    updated = register_success(op)
    if needs_rehash(op.password_hash, hasher=hasher):
        updated = replace(updated, password_hash=hash_password(password, hasher=hasher))
    if updated != op:
        repo.save_operator(updated)
    return updated


def authenticate(repo: OperatorRepository, code: str, password: str, *, policy: LockoutPolicy = LockoutPolicy(),
                 now: datetime | None = None, hasher: PasswordHasher | None = None) -> Operator:
    """Check the credentials of somebody who authorizes a change (counts towards their lockout).

    Unlike :func:`login` an initial password is not enough: the person must have set their own."""
    now = now or _now()
    op = repo.get_operator(code) if isinstance(code, str) else None
    if op is None:
        raise AuthFailure("unknown_operator", _BAD_CREDENTIALS)
    op = _check_password_against(repo, op, password, now, policy, hasher)
    if op.must_change_password:
        raise AuthFailure("must_change_password", f"{op.code} 仍在使用初始密码，请先登录修改密码后再操作")
    return op


def login(repo: OperatorRepository, code: str, password: str, *, policy: LockoutPolicy = LockoutPolicy(),
          now: datetime | None = None, hasher: PasswordHasher | None = None) -> LoginResult:
    """Check a login; raises :class:`AuthFailure` (unknown / inactive / locked / wrong_password)."""
    now = now or _now()
    op = repo.get_operator(code)
    if op is None:
        raise AuthFailure("unknown_operator", _BAD_CREDENTIALS)
    op = _check_password_against(repo, op, password, now, policy, hasher)
    return LoginResult(operator=op, must_change_password=op.must_change_password)


def create_operator(code: str, name: str, role: str, initial_password: str, *,
                    policy: LockoutPolicy = LockoutPolicy(), hasher: PasswordHasher | None = None) -> Operator:
    """A new operator whose initial password must be changed at first login."""
    problems: list[str] = []
    if not OPERATOR_CODE_RE.match(code or ""):
        problems.append("工号只能包含字母、数字、_ 和 -，最长30位")
    if not name or not name.strip():
        problems.append("姓名不能为空")
    if role not in ROLES:
        problems.append(f"角色只能是 {'、'.join(ROLE_LABELS[r] + '(' + r + ')' for r in ROLES)}")
    problems += check_password_policy(initial_password, operator_code=code, min_length=policy.min_password_length)
    if problems:
        raise AuthFailure("invalid", "；".join(problems))
    return Operator(code=code, name=name.strip(), role=role, password_hash=hash_password(initial_password, hasher=hasher),
                    must_change_password=True)


def change_password(repo: OperatorRepository, code: str, old_password: str, new_password: str, *,
                    policy: LockoutPolicy = LockoutPolicy(), now: datetime | None = None,
                    hasher: PasswordHasher | None = None) -> Operator:
    """Change one's own password (also the forced first change). Policy problems → AuthFailure."""
    now = now or _now()
    op = repo.get_operator(code)
    if op is None:
        raise AuthFailure("unknown_operator", _BAD_CREDENTIALS)
    op = _check_password_against(repo, op, old_password, now, policy, hasher)
    problems = check_password_policy(new_password, operator_code=code, min_length=policy.min_password_length,
                                     previous_password=old_password)
    if problems:
        raise AuthFailure("weak_password", "；".join(problems))
    updated = replace(op, password_hash=hash_password(new_password, hasher=hasher), must_change_password=False,
                      password_changed_at=now)
    repo.save_operator(updated)
    return updated


def reset_password(admin: Operator, target_code: str, new_initial_password: str, repo: OperatorRepository, *,
                   policy: LockoutPolicy = LockoutPolicy(), now: datetime | None = None,
                   hasher: PasswordHasher | None = None) -> Operator:
    """Admin sets a new initial password (must be changed at next login) and unlocks the account."""
    require_permission(admin, "manage_operators")
    target = repo.get_operator(target_code)
    if target is None:
        raise AuthFailure("unknown_operator", f"没有工号为 {target_code} 的操作员")
    problems = check_password_policy(new_initial_password, operator_code=target_code,
                                     min_length=policy.min_password_length)
    if problems:
        raise AuthFailure("weak_password", "；".join(problems))
    updated = replace(target, password_hash=hash_password(new_initial_password, hasher=hasher),
                      must_change_password=True, failed_attempts=0, locked_until=None,
                      password_changed_at=now or _now())
    repo.save_operator(updated)
    return updated


def authorize_supervisor(requesting_operator: Operator | str, supervisor_code: str, password: str,
                         repo: OperatorRepository, *, action: str, reason: str = "", subject: str = "",
                         policy: LockoutPolicy = LockoutPolicy(), now: datetime | None = None,
                         hasher: PasswordHasher | None = None) -> Authorization:
    """A different supervisor/admin authorizes ``action`` for ``requesting_operator``.

    Raises :class:`AuthFailure` with code ``unknown_action``, ``self_authorization``,
    ``unknown_operator``, ``inactive``, ``locked``, ``wrong_password`` (counted towards the
    supervisor's lockout), ``must_change_password`` or ``not_supervisor``.
    """
    if action not in ACTIONS:
        raise AuthFailure("unknown_action", f"未知的授权事项 {action!r}")
    now = now or _now()
    requester = requesting_operator.code if isinstance(requesting_operator, Operator) else str(requesting_operator)
    if supervisor_code.strip().lower() == requester.strip().lower():
        raise AuthFailure("self_authorization", "不能为自己的操作授权，请由另一位收费组长输入工号和密码")
    sup = repo.get_operator(supervisor_code)
    if sup is None:
        raise AuthFailure("unknown_operator", "授权人工号或密码错误，请重新输入")
    sup = _check_password_against(repo, sup, password, now, policy, hasher)
    if sup.must_change_password:
        raise AuthFailure("must_change_password", f"授权人 {sup.code} 仍在使用初始密码，请先登录修改密码后再授权")
    if sup.role not in AUTHORIZER_ROLES or not has_permission(sup.role, action):
        raise AuthFailure("not_supervisor", f"{sup.name}（{ROLE_LABELS.get(sup.role, sup.role)}）无权授权“{ACTION_LABELS[action]}”，"
                                            "请由收费组长或系统管理员授权")
    return Authorization(action=action, requested_by=requester, authorized_by=sup.code, authorized_by_name=sup.name,
                         authorized_by_role=sup.role, at=now, reason=reason, subject=subject)
