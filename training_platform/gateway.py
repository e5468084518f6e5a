"""The provincial API gateway in front of the training platform (reference §2), verified with the
platform's own code — never the client's signer — so a signing mistake on either side fails a test.

``XCaGateway`` is the Zhejiang scheme (Jiashan 330421): headers ``x-ca-key`` (the gateway account =
fixmedins_code) and ``x-ca-signature`` = ``ts + ":" + HEX(HMAC-SM3(secret, ts + "\\n" + body))`` over
the exact body bytes. The timestamp unit (ms or s) and the HEX case are not published (reference:
"confirm with the site's gateway documentation"), so both are parameters here as in the client.
A refusal is answered as an Alibaba-style API gateway does (the ``x-ca-*`` header family is
Alibaba Cloud API Gateway's): HTTP 400 with ``X-Ca-Error-Message``; the request never reaches the
platform. The exact text of a real Zhejiang gateway refusal is UNVERIFIED (docs/central-interface.md).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

_BLOCK = 64  # SM3 block size in bytes (GB/T 32905)


def hmac_sm3(key: bytes, message: bytes) -> bytes:
    """HMAC (RFC 2104) over SM3, written out: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))."""
    if len(key) > _BLOCK:
        key = hashlib.new("sm3", key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.new("sm3", bytes(b ^ 0x36 for b in key) + message).digest()
    return hashlib.new("sm3", bytes(b ^ 0x5C for b in key) + inner).digest()


@dataclass
class XCaGateway:
    """Accounts: x-ca-key → secret. ``max_skew_s`` bounds the timestamp's distance from now."""

    accounts: dict[str, str] = field(repr=False)
    milliseconds: bool = True
    upper: bool = True
    max_skew_s: float = 900.0
    name: str = "x-ca"

    def expected(self, secret: str, ts: str, body: bytes) -> str:
        mac = hmac_sm3(secret.encode("utf-8"), ts.encode("ascii") + b"\n" + body).hex()
        return f"{ts}:{mac.upper() if self.upper else mac}"

    def refusal(self, headers, body: bytes) -> str | None:
        """``None`` when the request passes, else the gateway's error message."""
        key = headers.get("x-ca-key") or ""
        sig = headers.get("x-ca-signature") or ""
        if not key or not sig:
            return "Missing x-ca-key or x-ca-signature"
        secret = self.accounts.get(key)
        if secret is None:
            return f"Invalid x-ca-key {key}"
        ts, _, _mac = sig.partition(":")
        if not ts.isdigit():
            return "Invalid x-ca-signature format"
        now = time.time() * (1000 if self.milliseconds else 1)
        if abs(now - int(ts)) > self.max_skew_s * (1000 if self.milliseconds else 1):
            return "Invalid timestamp (expired)"
        if sig != self.expected(secret, ts, body):
            return "Invalid Signature"
        return None
