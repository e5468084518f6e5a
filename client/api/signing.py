"""Gateway signing profiles (reference §2). The JSON body is never part of a signature.

* ``none``  – no extra headers.
* ``x-tif`` – Tencent-style "ebus" gateway (Guangdong, Hebei): x-tif-paasid, x-tif-timestamp
  (Unix seconds), x-tif-nonce, x-tif-signature = lowercase hex SHA-256(ts + secret + nonce + ts).
* ``csb``   – Alibaba CSB (Jiangsu): _api_name, _api_version, _api_access_key, _api_timestamp,
  _api_signature = Base64(HMAC-SHA1(secret, "k=v&..." over the four other _api_* sorted by key)).

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

    def headers(self, infno: str) -> dict[str, str]:
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

    def headers(self, infno: str) -> dict[str, str]:
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

    def headers(self, infno: str) -> dict[str, str]:
        ts = int(self._clock())
        params = {
            "_api_name": self._api_name,
            "_api_version": self._api_version,
            "_api_access_key": self._access_key,
            "_api_timestamp": str(ts * 1000 if self._ms else ts),
        }
        return {**params, "_api_signature": csb_signature(params, self._secret)}


def make_signer(settings: ApiSettings) -> Signer:
    if settings.gateway == "x-tif":
        return XTifSigner(settings.paasid, settings.secret)
    if settings.gateway == "csb":
        return CsbSigner(settings.csb_api_name, settings.csb_api_version, settings.access_key,
                         settings.secret, milliseconds=settings.csb_timestamp_ms)
    return NoSigner()
