"""The provincial API gateway in front of the training platform (reference §2), verified with the
platform's own code — never the client's signer — so a signing mistake on either side fails a test.
Three schemes: :class:`XCaGateway` (Zhejiang), :class:`XTifGateway` (Tencent ebus), :class:`CsbGateway`
(Jiangsu). A refused request never reaches the platform: HTTP 400 with ``{"message": ...}`` (and,
for x-ca, ``X-Ca-Error-Message``). Real gateways' refusal texts are UNVERIFIED.

``XCaGateway`` is the Zhejiang scheme (Jiashan 330421): headers ``x-ca-key`` (the gateway account =
fixmedins_code) and ``x-ca-signature`` = ``ts + ":" + HEX(HMAC-SM3(secret, ts + "\\n" + body))`` over
the exact body bytes. The timestamp unit (ms or s) and the HEX case are not published (reference:
"confirm with the site's gateway documentation"), so both are parameters here as in the client.
A refusal is answered as an Alibaba-style API gateway does (the ``x-ca-*`` header family is
Alibaba Cloud API Gateway's): HTTP 400 with ``X-Ca-Error-Message``; the request never reaches the
platform. The exact text of a real Zhejiang gateway refusal is UNVERIFIED (docs/central-interface.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac as _hmac
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


@dataclass
class XTifGateway:
    """The Tencent-style "ebus" gateway (Guangdong, Hebei): x-tif-paasid / -timestamp (Unix seconds) /
    -nonce / -signature = lowercase hex SHA-256(timestamp + secret + nonce + timestamp); body not
    signed (reference §2). Accounts: paasid → secret."""

    accounts: dict[str, str] = field(repr=False)
    max_skew_s: float = 900.0
    name: str = "x-tif"

    def refusal(self, headers, body: bytes) -> str | None:
        paasid = headers.get("x-tif-paasid") or ""
        ts, nonce, sig = (headers.get(h) or "" for h in ("x-tif-timestamp", "x-tif-nonce", "x-tif-signature"))
        if not (paasid and ts and nonce and sig):
            return "Missing x-tif headers"
        secret = self.accounts.get(paasid)
        if secret is None:
            return f"Invalid x-tif-paasid {paasid}"
        if not ts.isdigit() or abs(time.time() - int(ts)) > self.max_skew_s:
            return "Invalid x-tif-timestamp"
        if sig != hashlib.sha256((ts + secret + nonce + ts).encode("utf-8")).hexdigest():
            return "Invalid x-tif-signature"
        return None


@dataclass
class CsbGateway:
    """Alibaba CSB (Jiangsu): _api_name / _api_version / _api_access_key / _api_timestamp and
    _api_signature = Base64(HMAC-SHA1(secret, "k=v&..." over the four sorted by key)); body not signed
    (reference §2). Accounts: access key → secret."""

    accounts: dict[str, str] = field(repr=False)
    milliseconds: bool = False
    max_skew_s: float = 900.0
    name: str = "csb"

    def refusal(self, headers, body: bytes) -> str | None:
        names = ("_api_name", "_api_version", "_api_access_key", "_api_timestamp")
        params = {k: headers.get(k) or "" for k in names}
        sig = headers.get("_api_signature") or ""
        if not all(params.values()) or not sig:
            return "Missing _api_* headers"
        secret = self.accounts.get(params["_api_access_key"])
        if secret is None:
            return f"Invalid _api_access_key {params['_api_access_key']}"
        ts = params["_api_timestamp"]
        unit = 1000 if self.milliseconds else 1
        if not ts.isdigit() or abs(time.time() * unit - int(ts)) > self.max_skew_s * unit:
            return "Invalid _api_timestamp"
        text = "&".join(f"{k}={params[k]}" for k in sorted(params))
        want = base64.b64encode(_hmac.new(secret.encode("utf-8"), text.encode("utf-8"), "sha1").digest()).decode()
        if sig != want:
            return "Invalid _api_signature"
        return None
