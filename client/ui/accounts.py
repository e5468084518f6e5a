"""Local operator accounts for the window: the ``operators`` table as a
``client.security.operators.OperatorRepository``, and the training accounts.

Training mode seeds two accounts whose passwords are shown on the sign-in screen (training only):
cashier ``0001`` and supervisor ``0009``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from client.security import operators as sec

TRAINING_ACCOUNTS = (
    # code, name, role, password
    ("0001", "培训收费员", "cashier", "Train-0001"),
    ("0009", "培训组长", "supervisor", "Super-0009"),
)


@dataclass(frozen=True)
class TrainingAccount:
    code: str
    name: str
    role: str
    password: str


def training_accounts() -> list[TrainingAccount]:
    return [TrainingAccount(*a) for a in TRAINING_ACCOUNTS]


class StoreOperatorRepository:
    """``get_operator`` / ``save_operator`` over ``offline_cache.models.Operator``."""

    def __init__(self, store):
        self.store = store

    def get_operator(self, code: str) -> sec.Operator | None:
        from offline_cache.models import Operator as Row

        with self.store.read_session() as s:
            row = s.scalar(select(Row).where(Row.opter == code))
            if row is None:
                return None
            return sec.Operator(code=row.opter, name=row.opter_name, role=row.role, password_hash=row.password_hash,
                                failed_attempts=row.failed_attempts or 0, locked_until=row.locked_until,
                                must_change_password=bool(row.must_change_password), active=bool(row.active))

    def save_operator(self, op: sec.Operator) -> None:
        from offline_cache.models import Operator as Row

        with self.store.session() as s:
            row = s.scalar(select(Row).where(Row.opter == op.code))
            if row is None:
                row = Row(opter=op.code, created_at=datetime.now())
                s.add(row)
            row.opter_name = op.name
            row.role = op.role
            row.password_hash = op.password_hash
            row.failed_attempts = op.failed_attempts
            row.locked_until = op.locked_until
            row.must_change_password = op.must_change_password
            row.active = op.active

    def count(self) -> int:
        from sqlalchemy import func

        from offline_cache.models import Operator as Row

        with self.store.read_session() as s:
            return int(s.scalar(select(func.count()).select_from(Row)) or 0)


def seed_training_accounts(repo: StoreOperatorRepository) -> None:
    """Create the training cashier and supervisor if missing (usable at once: no forced change)."""
    from dataclasses import replace

    for a in training_accounts():
        if repo.get_operator(a.code) is None:
            op = sec.create_operator(a.code, a.name, a.role, a.password)
            repo.save_operator(replace(op, must_change_password=False))
