"""Operator passwords: argon2id hashing (argon2-cffi) and the password policy.

Parameters (``DEFAULT_PARAMS``) follow the OWASP Password Storage Cheat Sheet's first argon2id
configuration: memory_cost 19456 KiB (19 MiB), time_cost 2, parallelism 1, 32-byte hash,
16-byte random salt. That keeps a sign-in under ~50 ms and adds only ~20 MB to the window's peak
memory on a till PC (RFC 9106's 64 MiB profile added ~63 MB at every sign-in, pushing the window
past its 300 MB budget with a 300k-row catalogue), while a stolen database still costs an attacker
19 MiB and two passes per guess. The parameters are stored inside every hash string
(``$argon2id$v=19$m=19456,t=2,p=1$...``), so they can be raised later: :func:`needs_rehash` tells
the login code to re-hash with the current parameters.

``TEST_PARAMS`` are deliberately cheap (1 iteration, 1 MiB) and are for tests only.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["DEFAULT_PARAMS", "MAX_PASSWORD_LENGTH", "TEST_PARAMS", "check_password_policy", "hash_password",
           "make_hasher", "needs_rehash", "verify_password"]

DEFAULT_PARAMS = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1, "hash_len": 32, "salt_len": 16}
TEST_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1, "hash_len": 32, "salt_len": 16}
MAX_PASSWORD_LENGTH = 128

_default: PasswordHasher | None = None


def make_hasher(params: dict[str, int] | None = None) -> PasswordHasher:
    """An argon2id ``PasswordHasher`` with ``params`` (default ``DEFAULT_PARAMS``)."""
    p = dict(DEFAULT_PARAMS if params is None else params)
    return PasswordHasher(type=Type.ID, **p)


def _hasher(hasher: PasswordHasher | None) -> PasswordHasher:
    global _default
    if hasher is not None:
        return hasher
    if _default is None:
        _default = make_hasher()
    return _default


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    if not isinstance(password, str) or password == "":
        raise ValueError("密码不能为空")
    return _hasher(hasher).hash(password)


def verify_password(stored_hash: str, password: str, *, hasher: PasswordHasher | None = None) -> bool:
    """True when ``password`` matches; False on mismatch or an unreadable/empty stored hash."""
    if not stored_hash or not isinstance(password, str):
        return False
    try:
        return _hasher(hasher).verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, *, hasher: PasswordHasher | None = None) -> bool:
    try:
        return _hasher(hasher).check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


def check_password_policy(password: str, *, operator_code: str | None = None, min_length: int = 8,
                          previous_password: str | None = None) -> list[str]:
    """Every policy violation as a Chinese message (empty list = acceptable).

    Rules: at least ``min_length`` characters (and at most 128); not only digits; not the operator
    code (case-insensitive, also reversed); not a single repeated character; different from the
    previous password when that is given.
    """
    problems: list[str] = []
    if not isinstance(password, str) or password == "":
        return ["密码不能为空，请输入新密码"]
    if len(password) < min_length:
        problems.append(f"密码至少需要 {min_length} 位（当前 {len(password)} 位），请加长")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"密码不能超过 {MAX_PASSWORD_LENGTH} 位")
    if password.isdigit():
        problems.append("密码不能全是数字，请加入字母或符号")
    if password.strip() != password:
        problems.append("密码首尾不能有空格")
    if len(set(password)) == 1 and len(password) > 1:
        problems.append("密码不能由同一个字符重复组成")
    if operator_code:
        low = password.lower()
        code = operator_code.lower()
        if low == code or low == code[::-1]:
            problems.append("密码不能与工号相同，请换一个")
    if previous_password is not None and password == previous_password:
        problems.append("新密码不能与原密码相同")
    return problems
