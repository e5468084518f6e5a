"""Gateway signing profiles (reference §2). Only the Zhejiang x-ca scheme signs the body.

* ``none``  – no extra headers.
* ``x-tif`` – Tencent-style "ebus" gateway (Guangdong, Hebei): x-tif-paasid, x-tif-timestamp
  (Unix seconds), x-tif-nonce, x-tif-signature = lowercase hex SHA-256(ts + secret + nonce + ts).
* ``csb``   – Alibaba CSB (Jiangsu): _api_name, _api_version, _api_access_key, _api_timestamp,
  _api_signature = Base64(HMAC-SHA1(secret, "k=v&..." over the four other _api_* sorted by key)).
* ``x-ca``  – Zhejiang (Jiashan): x-ca-key = the gateway account (default the fixmedins_code),
  x-ca-signature = ts + ":" + HEX(HMAC-SM3(secret, ts + "\n" + body)) over the exact body bytes
  sent. SM3 comes from OpenSSL through ``hmac``/``hashlib`` (docs/dependencies.md). The timestamp
  unit and the HEX case are unpublished: configurable (``xca_timestamp_ms``, ``xca_hex_upper``).

The secret lives only inside the signer object; it is never logged and not in ``repr``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable

from .settings import ApiSettings


def _unix_seconds() -> int:
    return int(time.time())


def _nonce() -> str:
    return uuid.uuid4().hex


class Signer:
    name = "none"

    def headers(self, infno: str, body: bytes = b"") -> dict[str, str]:
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class NoSigner(Signer):
    pass


def xtif_signature(timestamp: str, secret: str, nonce: str) -> str:
    return hashlib.sha256((timestamp + secret + nonce + timestamp).encode("utf-8")).hexdigest()


class XTifSigner(Signer):
    name = "x-tif"

    def __init__(self, paasid: str, secret: str, *, clock: Callable[[], int] = _unix_seconds,
                 nonce: Callable[[], str] = _nonce):
        self._paasid = paasid
        self._secret = secret
        self._clock = clock
        self._nonce = nonce

    def headers(self, infno: str, body: bytes = b"") -> dict[str, str]:
        ts = str(int(self._clock()))
        nonce = self._nonce()
        return {
            "x-tif-paasid": self._paasid,
            "x-tif-timestamp": ts,
            "x-tif-nonce": nonce,
            "x-tif-signature": xtif_signature(ts, self._secret, nonce),
        }


def csb_signature(params: dict[str, str], secret: str) -> str:
    text = "&".join(f"{k}={params[k]}" for k in sorted(params))
    mac = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


class CsbSigner(Signer):
    name = "csb"

    def __init__(self, api_name: str, api_version: str, access_key: str, secret: str, *,
                 clock: Callable[[], int] = _unix_seconds, milliseconds: bool = False):
        self._api_name = api_name
        self._api_version = api_version
        self._access_key = access_key
        self._secret = secret
        self._clock = clock
        self._ms = milliseconds

    def headers(self, infno: str, body: bytes = b"") -> dict[str, str]:
        ts = int(self._clock())
        params = {
            "_api_name": self._api_name,
            "_api_version": self._api_version,
            "_api_access_key": self._access_key,
            "_api_timestamp": str(ts * 1000 if self._ms else ts),
        }
        return {**params, "_api_signature": csb_signature(params, self._secret)}


def xca_signature(secret: str, ts: str, body: bytes, *, upper: bool = True) -> str:
    """``ts + ":" + HEX(HMAC-SM3(secret, ts + "\n" + body))``."""
    try:
        mac = hmac.new(secret.encode("utf-8"), ts.encode("ascii") + b"\n" + body, "sm3").hexdigest()
    except ValueError:   # an OpenSSL build without SM3
        from .errors import ApiConfigError

        raise ApiConfigError("本机的 OpenSSL 不支持 SM3 算法，无法按浙江医保网关要求签名。"
                             "请升级系统的 OpenSSL（1.1.1 及以上）后重试。") from None
    return f"{ts}:{mac.upper() if upper else mac}"


class XCaSigner(Signer):
    name = "x-ca"

    def __init__(self, key: str, secret: str, *, milliseconds: bool = True, upper: bool = True,
                 clock: Callable[[], float] = time.time):
        self._key = key
        self._secret = secret
        self._ms = milliseconds
        self._upper = upper
        self._clock = clock

    def headers(self, infno: str, body: bytes = b"") -> dict[str, str]:
        t = self._clock()
        ts = str(int(t * 1000) if self._ms else int(t))
        return {"x-ca-key": self._key, "x-ca-signature": xca_signature(self._secret, ts, body, upper=self._upper)}


def make_signer(settings: ApiSettings) -> Signer:
    if settings.gateway == "x-tif":
        return XTifSigner(settings.paasid, settings.secret)
    if settings.gateway == "csb":
        return CsbSigner(settings.csb_api_name, settings.csb_api_version, settings.access_key,
                         settings.secret, milliseconds=settings.csb_timestamp_ms)
    if settings.gateway == "x-ca":
        return XCaSigner(settings.xca_key or settings.fixmedins_code, settings.secret,
                         milliseconds=settings.xca_timestamp_ms, upper=settings.xca_hex_upper)
    return NoSigner()
