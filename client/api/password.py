"""验密 — the patient's password for a settlement, RSA-encrypted into the envelope's ``cainfo``.

What the public sources say (reference §2, §3.7; newtouch-cloud/openhis
``WinServiceAPI/NeiMengGuYiBaoApp/Service/YiBaoHelper.cs#SettingsBase``): "调用【2102】药店结算、【2207】门诊结算、
【2304】住院结算三个接口需要验证患者电子凭证密码或医保卡密码（跨省异地不验密）"; the client puts
``RSA-encrypt(region public key, password)`` into ``cainfo``. Hebei maps 2207 to a password-checking
path (``saveSettletmentV2``: a ``[platform] paths`` override). The Jiangsu card library checks the card
password itself (``CARD_PASSTYPE`` in its Init parameters).

Configurable because it is regional (docs/central-interface.md, our conventions): whether a region checks
at all, for which infnos, the public key (PEM from the regional office), the padding (PKCS#1 v1.5 —
what the .NET ``RSACryptoServiceProvider.Encrypt(data, false)`` of that source does — or OAEP), and
whether cross-province patients are exempt (the source's "跨省异地不验密").

The password itself is never stored, logged or shown: it lives in a local variable from the PIN entry
to :func:`encrypt_password` and is dropped; only the ciphertext is sent (and not stored either).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ApiConfigError

PADDINGS = ("pkcs1v15", "oaep")
PASSWORD_RE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class PasswordCheck:
    enabled: bool = False
    infnos: tuple[str, ...] = ("2207", "2304")        # national infnos whose request carries cainfo
    public_key: str = field(default="", repr=False)   # PEM file path (not a secret, but long)
    padding: str = "pkcs1v15"
    cross_province_exempt: bool = True                # 跨省异地不验密

    def validate(self) -> list[str]:
        problems: list[str] = []
        if self.padding not in PADDINGS:
            problems.append(f"验密填充方式 password_padding 只能是 {'/'.join(PADDINGS)}")
        if self.enabled and not self.public_key:
            problems.append("已启用验密（password_check），请配置医保部门提供的公钥文件 password_public_key")
        elif self.enabled and not Path(self.public_key).is_file():
            problems.append(f"验密公钥文件不存在：{self.public_key}")
        return problems

    def required(self, infno: str, insuplc_admdvs: str, mdtrtarea_admvs: str) -> bool:
        """Does this (national) ``infno`` for a patient insured at ``insuplc_admdvs`` need the password here?"""
        if not self.enabled or infno not in self.infnos:
            return False
        cross_province = (insuplc_admdvs or "")[:2] != (mdtrtarea_admvs or "")[:2]
        return not (cross_province and self.cross_province_exempt)


def check_password(password: str) -> str:
    """A 6-digit password (社保卡 / 电子凭证 密码) as ASCII digits (full-width digits from an input method
    are the same digits: NFKC); refused with a Chinese message otherwise."""
    import unicodedata

    text = unicodedata.normalize("NFKC", password) if isinstance(password, str) else ""
    if not PASSWORD_RE.match(text):
        raise ValueError("密码应为6位数字，请患者重新输入")
    return text


def encrypt_password(password: str, check: PasswordCheck) -> str:
    """``cainfo`` = Base64(RSA-encrypt(public key, password as UTF-8))."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    password = check_password(password)
    try:
        key = serialization.load_pem_public_key(Path(check.public_key).read_bytes())
    except (OSError, ValueError) as exc:
        raise ApiConfigError(f"无法读取验密公钥 {check.public_key}：{exc.__class__.__name__}。"
                             "请信息科核对医保部门提供的公钥文件（PEM 格式）。") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ApiConfigError("验密公钥不是 RSA 公钥，请核对医保部门提供的公钥文件。")
    pad = (padding.PKCS1v15() if check.padding == "pkcs1v15"
           else padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    return base64.b64encode(key.encrypt(password.encode("utf-8"), pad)).decode("ascii")
