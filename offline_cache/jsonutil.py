"""Canonical JSON used for stored payloads and hashes (sorted keys, UTF-8, no spaces, no floats)."""

from __future__ import annotations

import json
from decimal import Decimal


def _check(obj, path: str = "$") -> None:
    if isinstance(obj, float):
        raise ValueError(f"{path}: 不允许浮点数（金额请用两位小数的字符串）: {obj!r}")
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ValueError(f"{path}: JSON 键必须是字符串: {k!r}")
            _check(v, f"{path}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _check(v, f"{path}[{i}]")


def _default(o):
    if isinstance(o, Decimal):
        return format(o, "f")
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def canonical_json(obj) -> str:
    """``json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``; Decimal → string."""
    _check(obj)
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


_CENT = Decimal("0.01")


def jsonable(obj):
    """Decimals in *obj* (dicts, lists, tuples) as JSON strings: an amount with at most two decimals
    as exactly two (``Decimal("5")`` → ``"5.00"``), anything finer exactly as it is (a ratio
    ``0.125`` → ``"0.125"``); other values unchanged. The one encoding of stored payloads."""
    if isinstance(obj, Decimal):
        if obj.is_finite() and obj.as_tuple().exponent >= -2:
            return format(obj.quantize(_CENT), "f")
        return format(obj, "f")
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj
