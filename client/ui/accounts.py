"""Operator accounts as the window sees them: ONE set of training accounts, shared with the CLI.

The accounts, their storage and the sign-in rules live in :mod:`client.services.operators`
(``seed_training_operators``, ``OperatorService``, ``StoreOperatorRepository`` over the store's
``operators`` table; docs/security.md "Training accounts"). This module only adapts them for the
screens: :func:`training_accounts` lists the documented training accounts for the sign-in hint
(training mode only), and :func:`training_hint` / :func:`supervisor_hint` build the hint texts.

Training accounts (TRAINING DATA, the passwords are public):

====== ============ ============ ============ =============================
 code   name         role         password     first sign-in
====== ============ ============ ============ =============================
 0001   培训收费员    cashier      Train-0001   must change the password
 0009   培训组长甲    supervisor   Train-0009   ready
 0008   培训组长乙    supervisor   Train-0008   ready
====== ============ ============ ============ =============================

A window and ``medsettle checkout`` on the same data directory therefore accept the same codes
and passwords (and, after 0001's first sign-in, the same changed password).
"""

from __future__ import annotations

from dataclasses import dataclass

from client.services.operators import (  # noqa: F401 - re-exported for the window
    TRAINING_ACCOUNTS,
    OperatorService,
    StoreOperatorRepository,
    seed_training_operators,
)


@dataclass(frozen=True)
class TrainingAccount:
    code: str
    name: str
    role: str
    password: str
    must_change: bool


def training_accounts() -> list[TrainingAccount]:
    """The documented training accounts (from ``client.services.operators.TRAINING_ACCOUNTS``)."""
    return [TrainingAccount(a["code"], a["name"], a["role"], a["password"], bool(a["must_change"]))
            for a in TRAINING_ACCOUNTS]


def training_hint(min_length: int = 8) -> str:
    """The sign-in screen's training hint (UI language): every account, and which one must change its
    password."""
    from PySide6.QtCore import QCoreApplication

    parts = []
    for a in training_accounts():
        note = QCoreApplication.translate("TrainingHint", ", must change the password at the first sign-in") if a.must_change else ""
        parts.append(f"{a.name} {a.code} / {a.password}{note}")
    return (QCoreApplication.translate("TrainingHint", "Training accounts (shown in training only): %1. After the first sign-in the cashier sets a new "
              "password (at least %2 characters, not only digits, not the operator code) and uses it from then "
              "on.").replace("%1", QCoreApplication.translate("TrainingHint", "; ").join(parts)).replace("%2", str(min_length)))


def supervisor_hint() -> str:
    from PySide6.QtCore import QCoreApplication

    sup = [a for a in training_accounts() if a.role == "supervisor"]
    return QCoreApplication.translate("TrainingHint", "Training: supervisor accounts %1").replace(
        "%1", ", ".join(f"{a.code} / {a.password}" for a in sup))
