"""Masking for anything client.api logs: 18-digit resident ID numbers (and 15-digit legacy ones).

Uses client.domain.masking.mask_text when it exists; otherwise a small local masker with
the same convention (first 6 and last 4 kept).
"""

from __future__ import annotations

import re

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8}|\d{5})(\d{3}[0-9Xx])(?![0-9A-Za-z])")


def _local_mask(text: str) -> str:
    return _ID_RE.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)


try:  # prefer the shared domain masker once it exists
    from client.domain.masking import mask_text as _domain_mask  # type: ignore[attr-defined]
except Exception:  # noqa: BLE001 - absent or not yet importable: fall back to the local masker
    _domain_mask = None


def mask_for_log(text: str) -> str:
    if not text:
        return text
    if _domain_mask is not None:
        try:
            text = _domain_mask(text)
        except Exception:  # noqa: BLE001 - never let logging break a transaction
            pass
    return _local_mask(text)
