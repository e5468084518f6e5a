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
    "SUPERVISED_ACTIONS", "TRAINING_ACCOUNTS", "OperatorService", "Session", "StoreOperatorRepository",
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
