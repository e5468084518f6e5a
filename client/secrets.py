"""Secret storage: the OS keyring when one is usable, else an encrypted file in the data dir.

The site file only *names* secrets (``platform.secret_ref`` …); this module keeps their values.

Backends
--------
``keyring`` (preferred)
    The ``keyring`` library with service name ``"MedSettle"`` and the secret name as user name:
    Windows Credential Manager, macOS Keychain, Secret Service (GNOME Keyring/KWallet) on Linux.
    Unusable backends are detected and skipped: ``keyring.backends.fail.Keyring`` (no backend),
    ``keyring.backends.null.Keyring``, a ``ChainerBackend`` with no backends, anything with
    priority <= 0, and the plaintext backends of ``keyrings.alt``.

``file`` (fallback; also what tests use)
    ``<data_dir>/secrets/store.json`` (0600) encrypted with a key derived from a machine-bound key
    file ``<data_dir>/secrets/machine.key`` (32 random bytes, 0600, directory 0700) and an optional
    passphrase. The standard library has no AES/AEAD, and we do not add ``cryptography``, so the
    construction is built from stdlib primitives, encrypt-then-MAC:

    * ``K = scrypt(password = machine_key || passphrase_utf8, salt = 16 random bytes per store,
      n = 2**14, r = 8, p = 1, dklen = 64)``; ``K_enc = K[:32]``, ``K_mac = K[32:]``.
    * per entry: ``nonce`` = 16 random bytes;
      ``keystream = SHAKE-256("MedSettle/enc/v1" || K_enc || nonce)`` truncated to the plaintext
      length; ``ct = plaintext XOR keystream``.
    * ``tag = HMAC-SHA256(K_mac, "MedSettle/mac/v1" || len(name) (4 bytes BE) || name || nonce || ct)``
      — the entry name is authenticated, so entries cannot be swapped; the tag is checked (constant
      time) before decrypting.
    * a store-level verifier ``HMAC-SHA256(K_mac, "MedSettle/verifier/v1")`` detects a wrong
      passphrase or a foreign key file before anything is written.

    Limits (be honest): SHAKE-256 used as a keyed stream generator is a sound PRF construction but
    it is not a standardised AEAD; more importantly anyone who can read *both* the key file and the
    store (the same OS user, an administrator, malware running as the cashier, a full-disk backup)
    can decrypt them. The file backend protects against the store file being copied alone (backups
    of the data dir without the key, support bundles, screenshots/prints of config) and against
    accidental disclosure in logs. A passphrase (``MEDSETTLE_SECRET_PASSPHRASE`` or the
    ``passphrase`` argument) adds a factor that is not on disk. Prefer the OS keyring.

Choosing: ``SecretStore(data_dir, backend="auto")`` — ``MEDSETTLE_SECRET_BACKEND=keyring|file``
forces one; under ``MEDSETTLE_NO_USER_DIRS=1`` (tests) ``auto`` never touches the user's keyring.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import struct
from pathlib import Path
from typing import Any

from client.fsutil import ensure_private_dir, write_private_file

__all__ = ["KEYRING_SERVICE", "SecretStore", "SecretStoreError", "keyring_is_usable", "usable_keyring"]

KEYRING_SERVICE = "MedSettle"
STORE_FORMAT = "medsettle-secrets/1"
NAME_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
ENV_BACKEND = "MEDSETTLE_SECRET_BACKEND"
ENV_PASSPHRASE = "MEDSETTLE_SECRET_PASSPHRASE"

_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
_ENC_LABEL = b"MedSettle/enc/v1"
_MAC_LABEL = b"MedSettle/mac/v1"
_VERIFIER_LABEL = b"MedSettle/verifier/v1"
_NONCE_LEN = 16
_TAG_LEN = 32


class SecretStoreError(Exception):
    """A secret could not be stored or read; the message is Chinese and says what to do."""


# ---------------------------------------------------------------------------------------------
# keyring detection
# ---------------------------------------------------------------------------------------------

def keyring_is_usable(kr: Any) -> bool:
    """False for the fail/null backends, an empty chainer, priority <= 0 and plaintext backends."""
    try:
        from keyring.backends import chainer, fail
    except Exception:  # keyring not installed or broken
        return False
    if isinstance(kr, fail.Keyring):
        return False
    try:
        from keyring.backends import null

        if isinstance(kr, null.Keyring):
            return False
    except ImportError:
        pass
    if isinstance(kr, chainer.ChainerBackend):
        return any(keyring_is_usable(b) for b in kr.backends)
    module = type(kr).__module__
    if module.startswith("keyrings.alt"):
        return False  # plaintext / weakly protected files: our encrypted file is better
    try:
        priority = float(getattr(kr, "priority", 1))
    except Exception:
        return False
    return priority > 0


def usable_keyring() -> Any | None:
    """The active keyring backend if it is usable, else None."""
    try:
        import keyring

        kr = keyring.get_keyring()
    except Exception:
        return None
    return kr if keyring_is_usable(kr) else None


# ---------------------------------------------------------------------------------------------
# the encrypted file backend
# ---------------------------------------------------------------------------------------------

def _b64e(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _b64d(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"), validate=True)


def _keystream(k_enc: bytes, nonce: bytes, n: int) -> bytes:
    return hashlib.shake_256(_ENC_LABEL + k_enc + nonce).digest(n) if n else b""


def _tag(k_mac: bytes, name: str, nonce: bytes, ct: bytes) -> bytes:
    nb = name.encode("utf-8")
    return hmac.new(k_mac, _MAC_LABEL + struct.pack(">I", len(nb)) + nb + nonce + ct, hashlib.sha256).digest()


class _FileBackend:
    def __init__(self, directory: Path, passphrase: str | None):
        self.dir = Path(directory)
        self.key_path = self.dir / "machine.key"
        self.store_path = self.dir / "store.json"
        self._passphrase = passphrase or ""
        self._keys: tuple[bytes, bytes] | None = None
        self._salt: bytes | None = None

    def __repr__(self) -> str:
        return f"<file secret store {self.store_path}>"

    # -- key material ------------------------------------------------------------------------
    def _machine_key(self, create: bool) -> bytes | None:
        try:
            data = self.key_path.read_bytes()
        except FileNotFoundError:
            if not create:
                return None
            ensure_private_dir(self.dir)
            data = os.urandom(32)
            # O_EXCL so that two processes starting together do not create two different keys
            try:
                fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return self.key_path.read_bytes()
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            return data
        except OSError as exc:
            raise SecretStoreError(f"无法读取本机密钥文件 {self.key_path}：{exc.strerror or exc}。请检查文件权限") from exc
        if len(data) != 32:
            raise SecretStoreError(f"本机密钥文件 {self.key_path} 已损坏（长度不对）。请从备份恢复，或删除密钥库后重新录入密钥")
        return data

    def _derive(self, salt: bytes, machine_key: bytes) -> tuple[bytes, bytes]:
        k = hashlib.scrypt(machine_key + self._passphrase.encode("utf-8"), salt=salt, dklen=64,
                           maxmem=64 * 1024 * 1024, **_SCRYPT)
        return k[:32], k[32:]

    # -- store file --------------------------------------------------------------------------
    def _load(self) -> dict[str, Any] | None:
        try:
            doc = json.loads(self.store_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SecretStoreError(f"密钥库文件 {self.store_path} 无法读取或已损坏。请从备份恢复，"
                                   "或删除该文件后用 `medsettle config set-secret` 重新录入") from exc
        if not isinstance(doc, dict) or doc.get("format") != STORE_FORMAT or not isinstance(doc.get("entries"), dict):
            raise SecretStoreError(f"密钥库文件 {self.store_path} 格式不正确。请从备份恢复，或删除后重新录入")
        return doc

    def _keys_for(self, doc: dict[str, Any] | None, create: bool) -> tuple[bytes, bytes] | None:
        if self._keys is not None:
            return self._keys
        mk = self._machine_key(create=create)
        if mk is None:
            if doc is not None:
                raise SecretStoreError(f"缺少本机密钥文件 {self.key_path}，无法解密密钥库。请从备份恢复该文件，"
                                       "或删除密钥库后重新录入密钥")
            return None
        if doc is None:
            return None if not create else self._derive(self._new_salt(), mk)
        try:
            salt = _b64d(doc["kdf"]["salt"])
            verifier = _b64d(doc["verifier"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SecretStoreError(f"密钥库文件 {self.store_path} 格式不正确。请从备份恢复，或删除后重新录入") from exc
        keys = self._derive(salt, mk)
        expected = hmac.new(keys[1], _VERIFIER_LABEL, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, verifier):
            raise SecretStoreError("密钥库口令不正确，或本机密钥文件与密钥库不匹配。请确认口令"
                                   f"（环境变量 {ENV_PASSPHRASE}），或从备份恢复 machine.key")
        self._keys, self._salt = keys, salt
        return keys

    def _new_salt(self) -> bytes:
        self._salt = os.urandom(16)
        return self._salt

    def _save(self, doc: dict[str, Any]) -> None:
        write_private_file(self.store_path, json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True))

    # -- API ---------------------------------------------------------------------------------
    def get(self, name: str) -> str | None:
        doc = self._load()
        if doc is None:
            return None
        k_enc, k_mac = self._keys_for(doc, create=False)  # type: ignore[misc]
        blob_text = doc["entries"].get(name)
        if blob_text is None:
            return None
        try:
            blob = _b64d(blob_text)
        except ValueError as exc:
            raise SecretStoreError(f"密钥 {name!r} 的存储内容已损坏。请重新录入：medsettle config set-secret {name}") from exc
        if len(blob) < _NONCE_LEN + _TAG_LEN:
            raise SecretStoreError(f"密钥 {name!r} 的存储内容已损坏。请重新录入：medsettle config set-secret {name}")
        nonce, ct, tag = blob[:_NONCE_LEN], blob[_NONCE_LEN:-_TAG_LEN], blob[-_TAG_LEN:]
        if not hmac.compare_digest(_tag(k_mac, name, nonce, ct), tag):
            raise SecretStoreError(f"密钥 {name!r} 校验失败（内容被改动或来自其他密钥库）。请重新录入：medsettle config set-secret {name}")
        pt = bytes(a ^ b for a, b in zip(ct, _keystream(k_enc, nonce, len(ct)), strict=True))
        return pt.decode("utf-8")

    def set(self, name: str, value: str) -> None:
        doc = self._load()
        keys = self._keys_for(doc, create=True)
        assert keys is not None
        k_enc, k_mac = keys
        if doc is None:
            assert self._salt is not None
            doc = {
                "format": STORE_FORMAT,
                "kdf": {"name": "scrypt", "salt": _b64e(self._salt), **_SCRYPT},
                "cipher": "shake256-xor+hmac-sha256",
                "verifier": _b64e(hmac.new(k_mac, _VERIFIER_LABEL, hashlib.sha256).digest()),
                "entries": {},
            }
            self._keys = keys
        pt = value.encode("utf-8")
        nonce = os.urandom(_NONCE_LEN)
        ct = bytes(a ^ b for a, b in zip(pt, _keystream(k_enc, nonce, len(pt)), strict=True))
        doc["entries"][name] = _b64e(nonce + ct + _tag(k_mac, name, nonce, ct))
        self._save(doc)

    def delete(self, name: str) -> bool:
        doc = self._load()
        if doc is None or name not in doc["entries"]:
            return False
        self._keys_for(doc, create=False)  # refuse to modify a store we cannot open
        del doc["entries"][name]
        self._save(doc)
        return True

    def names(self) -> list[str]:
        doc = self._load()
        return sorted(doc["entries"]) if doc else []


# ---------------------------------------------------------------------------------------------
# public facade
# ---------------------------------------------------------------------------------------------

class SecretStore:
    """``get(name) -> str | None``, ``set(name, value)``, ``delete(name)``, ``backend_name()``.

    ``backend``: ``"auto"`` (keyring if usable, else file), ``"keyring"`` (error if unusable) or
    ``"file"``. ``data_dir`` is where the file backend lives (``<data_dir>/secrets``).
    """

    def __init__(self, data_dir: str | os.PathLike[str], *, backend: str = "auto",
                 passphrase: str | None = None, service: str = KEYRING_SERVICE):
        chosen = os.environ.get(ENV_BACKEND) or backend
        if chosen not in ("auto", "keyring", "file"):
            raise SecretStoreError(f"未知的密钥库类型 {chosen!r}：只能是 auto、keyring 或 file")
        self._service = service
        self._keyring: Any | None = None
        self._file: _FileBackend | None = None
        if chosen in ("auto", "keyring"):
            no_user = os.environ.get("MEDSETTLE_NO_USER_DIRS", "") not in ("", "0")
            kr = None if (chosen == "auto" and no_user) else usable_keyring()
            if kr is None and chosen == "keyring":
                raise SecretStoreError("系统密钥环不可用（未找到可用的 keyring 后端）。Linux 请安装并解锁 "
                                       "GNOME Keyring/KWallet，或改用加密文件：MEDSETTLE_SECRET_BACKEND=file")
            self._keyring = kr
        if self._keyring is None:
            if passphrase is None:
                passphrase = os.environ.get(ENV_PASSPHRASE)
            self._file = _FileBackend(Path(data_dir) / "secrets", passphrase)

    def __repr__(self) -> str:
        return f"<SecretStore {self.backend_name()}>"

    @staticmethod
    def _check_name(name: str) -> None:
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise SecretStoreError(f"密钥名称 {name!r} 不合法：只能包含字母、数字和 _ . : -，最长64位")

    def backend_name(self) -> str:
        if self._keyring is not None:
            return f"keyring:{type(self._keyring).__module__}.{type(self._keyring).__name__}"
        assert self._file is not None
        return f"file:{self._file.store_path}"

    @property
    def is_keyring(self) -> bool:
        return self._keyring is not None

    def get(self, name: str) -> str | None:
        self._check_name(name)
        if self._keyring is not None:
            try:
                return self._keyring.get_password(self._service, name)
            except Exception as exc:
                raise SecretStoreError(f"从系统密钥环读取 {name!r} 失败：{type(exc).__name__}。请确认密钥环已解锁") from exc
        assert self._file is not None
        return self._file.get(name)

    def set(self, name: str, value: str) -> None:
        self._check_name(name)
        if not isinstance(value, str) or value == "":
            raise SecretStoreError("密钥内容不能为空")
        if self._keyring is not None:
            try:
                self._keyring.set_password(self._service, name, value)
            except Exception as exc:
                raise SecretStoreError(f"写入系统密钥环失败：{type(exc).__name__}。请确认密钥环已解锁，"
                                       "或改用加密文件：MEDSETTLE_SECRET_BACKEND=file") from exc
            return
        assert self._file is not None
        self._file.set(name, value)

    def delete(self, name: str) -> bool:
        """Remove ``name``; returns False when it did not exist."""
        self._check_name(name)
        if self._keyring is not None:
            try:
                import keyring.errors

                try:
                    self._keyring.delete_password(self._service, name)
                except keyring.errors.PasswordDeleteError:
                    return False
                return True
            except SecretStoreError:
                raise
            except Exception as exc:
                raise SecretStoreError(f"从系统密钥环删除 {name!r} 失败：{type(exc).__name__}") from exc
        assert self._file is not None
        return self._file.delete(name)
