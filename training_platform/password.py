"""验密 in the training platform, verified with the platform's own code (never the client's).

A platform started with ``password_check=True`` wants, for 2207 / 2304 (their regional variants too) of a
patient insured in the same province ("跨省异地不验密", reference §2/§3.7), the envelope's ``cainfo`` =
Base64(RSA-encrypt(its public key, the password)) — PKCS#1 v1.5, the padding of the public source
(openhis YiBaoHelper.cs). The key pair is made once per data directory (``password-key.pem``, a
TRAINING-ONLY private key); the public key is served at ``GET /training/password-key``.

Training passwords (docs/demo-data.md): the six digits before the ID number's check digit, reversed
(330421198503150016 → 315001 → ``100513``). A wrong password is refused and counted; the real refusal text is
UNVERIFIED (docs/central-interface.md).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_FILE = "password-key.pem"
CHECKED = ("2207", "2304")


def training_password(certno: str) -> str:
    return certno[-7:-1][::-1]


class PasswordVerifier:
    def __init__(self, data_dir: str | Path):
        path = Path(data_dir) / KEY_FILE
        if path.exists():
            self._key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        else:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            path.write_bytes(self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
            path.chmod(0o600)

    def public_pem(self) -> bytes:
        return self._key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)

    def refusal(self, cainfo: str, certno: str, insuplc_admdvs: str, mdtrtarea_admvs: str) -> str | None:
        """None when the password is right (or not needed), else the platform's refusal."""
        if (insuplc_admdvs or "")[:2] != (mdtrtarea_admvs or "")[:2]:
            return None                                   # 跨省异地不验密
        if not cainfo:
            return "该交易需要验证参保人密码，数字签名信息(cainfo)不能为空"
        try:
            plain = self._key.decrypt(base64.b64decode(cainfo, validate=True), padding.PKCS1v15())
        except (ValueError, binascii.Error):
            return "参保人密码密文(cainfo)无法解密，请检查验密公钥和加密方式"
        if plain.decode("utf-8", "replace") != training_password(certno):
            return "参保人密码校验失败，请患者重新输入密码"
        return None
