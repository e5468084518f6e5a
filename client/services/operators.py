"""Till operators over the local store: repository, sign-in/out bookkeeping, supervisor
authorization, training seed accounts.

The rules (argon2id, lockout, forced change of initial passwords, roles, "a *different*
supervisor authorizes") live in :mod:`client.security.operators`; this module stores operators in
``offline_cache``'s ``operators`` table and writes every security-relevant outcome to the audit
trail (:mod:`client.services.audit`):

* :class:`StoreOperatorRepository` — ``get_operator`` / ``save_operator`` (the protocol of
  ``client.security.operators``), plus ``add_operator`` and ``list_operators``;
* :class:`OperatorService` — ``sign_in`` / ``sign_out`` / ``change_password`` / ``authorize`` /
  ``require`` with audit events ``signin`` / ``signin_failed`` / ``lockout`` / ``signout`` /
  ``password_change`` / ``authorize`` / ``authorize_refused``;
* :func:`seed_training_operators` — the documented training accounts, created only when the
  settings are in training mode (docs/security.md "Training accounts").

Actions that always need a second person (:data:`SUPERVISED_ACTIONS`): reversal, reprint, price
override, forced shift close. A cashier cannot do them alone; a supervisor cannot authorize their
own request (the requester and the authorizer must differ).

``operators.password_changed_at`` is not a column of the store (schema 0002); the timestamp of the
last change is kept in the audit trail (``password_change`` events) instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select

from client.security import operators as sec
from client.security.operators import AuthFailure, Authorization, LockoutPolicy, Operator

from . import audit

__all__ = [
    "OperatorAdmin", "SUPERVISED_ACTIONS", "TRAINING_ACCOUNTS", "OperatorService", "Session", "StoreOperatorRepository",
    "seed_training_operators",
]

# Actions for which even a supervisor needs a second supervisor's credentials at the window.
SUPERVISED_ACTIONS = ("reverse", "reprint", "price_override", "force_shift_close")

# Training accounts (TRAINING DATA, documented in docs/security.md; created only in training mode).
# Initial passwords: must be changed at first sign-in like any other initial password, except that
# the training supervisors are created already changed so that a trainee can practise authorizations.
TRAINING_ACCOUNTS = (
    {"code": "0001", "name": "培训收费员", "role": "cashier", "password": "Train-0001", "must_change": True},
    {"code": "0009", "name": "培训组长甲", "role": "supervisor", "password": "Train-0009", "must_change": False},
    {"code": "0008", "name": "培训组长乙", "role": "supervisor", "password": "Train-0008", "must_change": False},
)


def _now() -> datetime:
    return datetime.now()


# ---------------------------------------------------------------------------------------------
# repository
# ---------------------------------------------------------------------------------------------

class StoreOperatorRepository:
    """``OperatorRepository`` over ``offline_cache`` (table ``operators``). Each call is its own
    transaction, so a failed-password count is committed even when the caller then raises."""

    def __init__(self, store: Any):
        self.store = store

    @staticmethod
    def _to_operator(row: Any) -> Operator:
        return Operator(code=row.opter, name=row.opter_name, role=row.role, password_hash=row.password_hash,
                        failed_attempts=int(row.failed_attempts or 0), locked_until=row.locked_until,
                        must_change_password=bool(row.must_change_password), active=bool(row.active))

    def get_operator(self, code: str) -> Operator | None:
        from offline_cache.models import Operator as Row

        if not isinstance(code, str) or not code.strip():
            return None
        with self.store.read_session() as s:
            row = s.execute(select(Row).where(Row.opter == code.strip())).scalar_one_or_none()
            return None if row is None else self._to_operator(row)

    def save_operator(self, operator: Operator) -> None:
        """Update an existing operator (all mutable fields)."""
        from offline_cache.models import Operator as Row

        with self.store.session() as s:
            row = s.execute(select(Row).where(Row.opter == operator.code)).scalar_one_or_none()
            if row is None:
                raise AuthFailure("unknown_operator", f"没有工号为 {operator.code} 的操作员")
            row.opter_name = operator.name
            row.role = operator.role
            row.password_hash = operator.password_hash
            row.failed_attempts = operator.failed_attempts
            row.locked_until = operator.locked_until
            row.must_change_password = operator.must_change_password
            row.active = operator.active

    def add_operator(self, operator: Operator, *, now: datetime | None = None) -> None:
        """Insert a new operator; an existing code is refused with a Chinese message."""
        from offline_cache.models import Operator as Row

        with self.store.session() as s:
            if s.execute(select(Row.id).where(Row.opter == operator.code)).first() is not None:
                raise AuthFailure("exists", f"工号 {operator.code} 已存在，请换一个工号")
            s.add(Row(opter=operator.code, opter_name=operator.name, role=operator.role,
                      password_hash=operator.password_hash, failed_attempts=operator.failed_attempts,
                      locked_until=operator.locked_until, must_change_password=operator.must_change_password,
                      active=operator.active, created_at=now or _now()))

    def list_operators(self) -> list[Operator]:
        from offline_cache.models import Operator as Row

        with self.store.read_session() as s:
            return [self._to_operator(r) for r in s.execute(select(Row).order_by(Row.opter)).scalars()]


# ---------------------------------------------------------------------------------------------
# service
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Session:
    """A signed-in operator at a window."""

    operator: Operator
    signed_in_at: datetime
    window: str = ""
    must_change_password: bool = False

    @property
    def code(self) -> str:
        return self.operator.code


class OperatorService:
    """Sign-in/out, password change and supervisor authorization, each recorded in the audit trail."""

    def __init__(self, store: Any, *, policy: LockoutPolicy = LockoutPolicy(), hasher: PasswordHasher | None = None,
                 window: str = ""):
        self.store = store
        self.repo = StoreOperatorRepository(store)
        self.policy = policy
        self.hasher = hasher
        self.window = window

    @classmethod
    def from_settings(cls, store: Any, settings: Any, *, hasher: PasswordHasher | None = None) -> OperatorService:
        return cls(store, policy=LockoutPolicy.from_settings(settings.security), hasher=hasher,
                   window=getattr(settings, "window_id", None) or "")

    # -- accounts ---------------------------------------------------------------------------
    def create(self, code: str, name: str, role: str, initial_password: str, *, by: str = "system",
               must_change: bool = True, now: datetime | None = None) -> Operator:
        op = sec.create_operator(code, name, role, initial_password, policy=self.policy, hasher=self.hasher)
        if not must_change:
            op = replace(op, must_change_password=False)
        self.repo.add_operator(op, now=now)
        audit.record(self.store, by, "operator_create", {"operator": code, "role": role, "window": self.window},
                     at=now)
        return op

    # -- sign-in / sign-out -----------------------------------------------------------------
    def sign_in(self, code: str, password: str, *, now: datetime | None = None) -> Session:
        """Check the password; raises AuthFailure (Chinese). Success and failure are both audited."""
        now = now or _now()
        try:
            res = sec.login(self.repo, code, password, policy=self.policy, now=now, hasher=self.hasher)
        except AuthFailure as exc:
            actor = code if isinstance(code, str) and sec.OPERATOR_CODE_RE.match(code or "") else "unknown"
            action = "lockout" if exc.code == "locked" else "signin_failed"
            audit.record(self.store, actor, action, {"reason": exc.code, "window": self.window}, at=now)
            raise
        audit.record(self.store, res.operator.code, "signin",
                     {"role": res.operator.role, "window": self.window,
                      "must_change_password": res.must_change_password}, at=now)
        return Session(res.operator, now, self.window, res.must_change_password)

    def sign_out(self, session: Session, *, now: datetime | None = None, reason: str = "") -> None:
        audit.record(self.store, session.code, "signout", {"window": self.window, "reason": reason}, at=now)

    def change_password(self, code: str, old_password: str, new_password: str, *,
                        now: datetime | None = None) -> Operator:
        now = now or _now()
        try:
            op = sec.change_password(self.repo, code, old_password, new_password, policy=self.policy, now=now,
                                     hasher=self.hasher)
        except AuthFailure as exc:
            audit.record(self.store, code if sec.OPERATOR_CODE_RE.match(code or "") else "unknown",
                         "password_change_failed", {"reason": exc.code}, at=now)
            raise
        audit.record(self.store, code, "password_change", {"window": self.window}, at=now)
        return op

    def reset_password(self, admin: Operator, target_code: str, new_initial_password: str, *,
                       now: datetime | None = None) -> Operator:
        op = sec.reset_password(admin, target_code, new_initial_password, self.repo, policy=self.policy, now=now,
                                hasher=self.hasher)
        audit.record(self.store, admin.code, "password_reset", {"operator": target_code}, at=now)
        return op

    # -- permissions and authorizations -----------------------------------------------------
    @staticmethod
    def needs_authorization(operator: Operator, action: str) -> bool:
        """True when ``action`` needs another supervisor's credentials for this operator."""
        return action in SUPERVISED_ACTIONS or not sec.has_permission(operator.role, action)

    def authorize(self, requester: Operator | str, supervisor_code: str, password: str, *, action: str,
                  reason: str = "", subject: str = "", now: datetime | None = None) -> Authorization:
        """A different supervisor authorizes ``action``; recorded as ``authorize`` (or
        ``authorize_refused`` with the reason code) in the audit trail."""
        now = now or _now()
        req_code = requester.code if isinstance(requester, Operator) else str(requester)
        try:
            auth = sec.authorize_supervisor(requester, supervisor_code, password, self.repo, action=action,
                                            reason=reason, subject=subject, policy=self.policy, now=now,
                                            hasher=self.hasher)
        except AuthFailure as exc:
            audit.record(self.store, req_code, "authorize_refused",
                         {"action": action, "supervisor": supervisor_code if sec.OPERATOR_CODE_RE.match(
                             supervisor_code or "") else "?", "reason": exc.code, "subject": subject}, at=now)
            raise
        audit.record_authorization(self.store, auth)
        return auth

    def require(self, operator: Operator, action: str, *, authorization: Authorization | None = None) -> None:
        """Raise AuthFailure unless ``operator`` may do ``action`` now (alone, or with a matching
        authorization by somebody else)."""
        if not self.needs_authorization(operator, action):
            return
        if authorization is None:
            raise AuthFailure("authorization_required",
                              f"“{sec.ACTION_LABELS[action]}”需要另一位收费组长授权，请组长输入工号和密码")
        if authorization.action != action:
            raise AuthFailure("authorization_mismatch",
                              f"授权事项不符（授权的是“{sec.ACTION_LABELS.get(authorization.action, authorization.action)}”），"
                              "请重新授权")
        if authorization.requested_by.lower() != operator.code.lower() or \
                authorization.authorized_by.lower() == operator.code.lower():
            raise AuthFailure("self_authorization", "授权人必须是另一位收费组长，请重新授权")


# ---------------------------------------------------------------------------------------------
# administration (medsettle operator …, the window's 操作员管理)
# ---------------------------------------------------------------------------------------------

SITE_ADMIN = "site-admin"   # audit actor of the bootstrap: the person with the machine's admin rights


class OperatorAdmin:
    """Operator administration outside training, every change authorized and audited.

    Rules (a head cashier's and an IT admin's expectations):

    * the person making the change (``actor``) proves who they are with their own code and password
      (:func:`client.security.operators.authenticate`; wrong passwords count towards their lockout;
      an initial password is not enough);
    * a supervisor (``manage_cashiers``) may add, disable, re-enable and reset *cashiers* only; an
      admin (``manage_operators``) may do all of it for every role and change roles;
    * nobody disables, re-roles or resets themselves (their own password is changed at sign-in);
    * the last active admin cannot be disabled or demoted;
    * an empty installation is bootstrapped once with :meth:`bootstrap_admin` (allowed only while the
      store has no active admin; audited as ``operator_bootstrap`` by :data:`SITE_ADMIN`).

    Audit events: ``operator_create``, ``operator_disable``, ``operator_enable``, ``password_reset``,
    ``operator_role``, ``operator_bootstrap`` and ``operator_admin_refused`` (with the reason code).
    Passwords never reach the audit trail or a log.
    """

    def __init__(self, svc: OperatorService):
        self.svc = svc
        self.repo = svc.repo
        self.store = svc.store

    # -- who acts ---------------------------------------------------------------------------
    def authenticate(self, code: str, password: str, *, now: datetime | None = None) -> Operator:
        try:
            op = sec.authenticate(self.repo, code, password, policy=self.svc.policy, now=now or _now(),
                                  hasher=self.svc.hasher)
        except AuthFailure as exc:
            self._refused(code if sec.OPERATOR_CODE_RE.match(code or "") else "unknown", "authenticate", "", exc,
                          now)
            raise
        if not (sec.has_permission(op.role, "manage_cashiers") or sec.has_permission(op.role, "manage_operators")):
            exc = AuthFailure("forbidden", f"{op.name}（{sec.ROLE_LABELS.get(op.role, op.role)}）无权管理操作员，"
                                           "请由收费组长或系统管理员操作")
            self._refused(op.code, "authenticate", "", exc, now)
            raise exc
        return op

    def _refused(self, actor: str, what: str, target: str, exc: AuthFailure, now: datetime | None) -> None:
        audit.record(self.store, actor, "operator_admin_refused",
                     {"action": what, "operator": target, "reason": exc.code, "window": self.svc.window}, at=now)

    def _check(self, actor: Operator, what: str, target_role: str, *, new_role: str | None = None,
               target_code: str = "", now: datetime | None = None) -> None:
        try:
            roles = {target_role} | ({new_role} if new_role else set())
            needs = "manage_cashiers" if roles <= {"cashier"} and what != "role" else "manage_operators"
            if not sec.has_permission(actor.role, needs):
                raise AuthFailure("forbidden", f"{sec.ROLE_LABELS.get(actor.role, actor.role)}只能管理收费员；"
                                               "管理收费组长、系统管理员或修改角色请由系统管理员操作")
            if target_code and target_code.lower() == actor.code.lower() and what != "add":
                raise AuthFailure("self", "不能对自己的账号做此操作（自己的密码请在登录后修改）")
        except AuthFailure as exc:
            self._refused(actor.code, what, target_code, exc, now)
            raise

    def _target(self, actor: Operator, what: str, code: str, now: datetime | None) -> Operator:
        op = self.repo.get_operator(code)
        if op is None:
            exc = AuthFailure("unknown_operator", f"没有工号为 {code} 的操作员")
            self._refused(actor.code, what, code, exc, now)
            raise exc
        return op

    def _last_admin(self, target: Operator) -> bool:
        others = [o for o in self.repo.list_operators()
                  if o.role == "admin" and o.active and o.code != target.code]
        return target.role == "admin" and not others

    # -- changes ----------------------------------------------------------------------------
    def bootstrap_admin(self, code: str, name: str, initial_password: str, *, now: datetime | None = None) -> Operator:
        if any(o.role == "admin" and o.active for o in self.repo.list_operators()):
            exc = AuthFailure("has_admin", "本机已有系统管理员：新增操作员请由系统管理员（--by）授权")
            self._refused(SITE_ADMIN, "bootstrap", code, exc, now)
            raise exc
        op = self.svc.create(code, name, "admin", initial_password, by=SITE_ADMIN, now=now)
        audit.record(self.store, SITE_ADMIN, "operator_bootstrap", {"operator": code, "window": self.svc.window},
                     at=now)
        return op

    def add(self, actor: Operator, code: str, name: str, role: str, initial_password: str, *,
            now: datetime | None = None) -> Operator:
        if role not in sec.ROLES:
            raise AuthFailure("invalid", f"角色只能是 {'、'.join(sec.ROLE_LABELS[r] + '(' + r + ')' for r in sec.ROLES)}")
        self._check(actor, "add", role, target_code=code, now=now)
        return self.svc.create(code, name, role, initial_password, by=actor.code, now=now)

    def set_active(self, actor: Operator, code: str, active: bool, *, reason: str = "",
                   now: datetime | None = None) -> Operator:
        what = "enable" if active else "disable"
        target = self._target(actor, what, code, now)
        self._check(actor, what, target.role, target_code=target.code, now=now)
        if not active and self._last_admin(target):
            exc = AuthFailure("last_admin", "这是本机唯一的系统管理员，不能停用；请先新增另一位系统管理员")
            self._refused(actor.code, what, code, exc, now)
            raise exc
        updated = replace(target, active=active, failed_attempts=0 if active else target.failed_attempts,
                          locked_until=None if active else target.locked_until)
        self.repo.save_operator(updated)
        audit.record(self.store, actor.code, f"operator_{what}",
                     {"operator": target.code, "reason": reason, "window": self.svc.window}, at=now)
        return updated

    def reset_password(self, actor: Operator, code: str, new_initial_password: str, *,
                       now: datetime | None = None) -> Operator:
        target = self._target(actor, "reset-password", code, now)
        self._check(actor, "reset-password", target.role, target_code=target.code, now=now)
        # the rule in client.security checks manage_operators; a supervisor resetting a cashier passes
        # the check above, so the rule is applied on the supervisor's behalf with the admin permission
        proxy = actor if sec.has_permission(actor.role, "manage_operators") else replace(actor, role="admin")
        op = sec.reset_password(proxy, target.code, new_initial_password, self.repo, policy=self.svc.policy,
                                now=now, hasher=self.svc.hasher)
        audit.record(self.store, actor.code, "password_reset", {"operator": target.code, "window": self.svc.window},
                     at=now)
        return op

    def set_role(self, actor: Operator, code: str, role: str, *, now: datetime | None = None) -> Operator:
        if role not in sec.ROLES:
            raise AuthFailure("invalid", f"角色只能是 {'、'.join(sec.ROLE_LABELS[r] + '(' + r + ')' for r in sec.ROLES)}")
        target = self._target(actor, "role", code, now)
        self._check(actor, "role", target.role, new_role=role, target_code=target.code, now=now)
        if role != "admin" and self._last_admin(target):
            exc = AuthFailure("last_admin", "这是本机唯一的系统管理员，不能改为其他角色；请先新增另一位系统管理员")
            self._refused(actor.code, "role", code, exc, now)
            raise exc
        updated = replace(target, role=role)
        self.repo.save_operator(updated)
        audit.record(self.store, actor.code, "operator_role",
                     {"operator": target.code, "from": target.role, "to": role, "window": self.svc.window}, at=now)
        return updated

    def listing(self) -> list[dict[str, Any]]:
        now = _now()
        return [{"code": o.code, "name": o.name, "role": o.role, "role_label": sec.ROLE_LABELS.get(o.role, o.role),
                 "active": o.active, "locked": sec.is_locked(o, now), "must_change_password": o.must_change_password}
                for o in self.repo.list_operators()]


# ---------------------------------------------------------------------------------------------
# training seed
# ---------------------------------------------------------------------------------------------

def seed_training_operators(store: Any, settings: Any = None, *, training: bool | None = None,
                            hasher: PasswordHasher | None = None) -> list[str]:
    """Create the training accounts 0001 (cashier) and 0009/0008 (supervisors) if missing.

    Only in training mode (``settings.training.enabled`` or ``training=True``); otherwise raises
    ``AuthFailure('not_training')`` — real sites create accounts with ``OperatorService.create``.
    Returns the codes created.
    """
    enabled = training if training is not None else bool(settings is not None and settings.training.enabled)
    if not enabled:
        raise AuthFailure("not_training", "培训账号只能在培训模式下创建，正式环境请由系统管理员创建操作员")
    svc = OperatorService(store, hasher=hasher)
    created = []
    for acc in TRAINING_ACCOUNTS:
        if svc.repo.get_operator(acc["code"]) is not None:
            continue
        svc.create(acc["code"], acc["name"], acc["role"], acc["password"], by="system",
                   must_change=acc["must_change"])
        created.append(acc["code"])
    return created
