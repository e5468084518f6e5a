"""验密 (client.api.password): who is asked, and the cainfo ciphertext — decrypted here with the private
key through the cryptography library directly (not with the client's code)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from client.api.errors import ApiConfigError
from client.api.password import PasswordCheck, check_password, encrypt_password
from client.api.settings import ApiSettings


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def pem(key, tmp_path):
    p = tmp_path / "region.pem"
    p.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo))
    return str(p)


def test_who_is_asked():
    c = PasswordCheck(enabled=True, public_key="x.pem")
    assert c.required("2207", "330421", "330421")          # local
    assert c.required("2207", "330100", "330421")          # same province (Hangzhou insured, Jiashan)
    assert not c.required("2207", "310118", "330421")      # 跨省异地不验密
    assert not c.required("2206", "330421", "330421")      # only the listed infnos
    assert PasswordCheck(enabled=True, public_key="x", cross_province_exempt=False).required("2207", "310118", "330421")
    assert not PasswordCheck().required("2207", "330421", "330421")


@pytest.mark.parametrize("pad", ["pkcs1v15", "oaep"])
def test_cainfo_decrypts_to_the_password(key, pem, pad):
    cainfo = encrypt_password("100513", PasswordCheck(True, public_key=pem, padding=pad))
    raw = base64.b64decode(cainfo, validate=True)
    assert len(raw) == 256                                  # one RSA-2048 block
    unpad = padding.PKCS1v15() if pad == "pkcs1v15" else padding.OAEP(
        mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    assert key.decrypt(raw, unpad) == b"100513"
    assert encrypt_password("100513", PasswordCheck(True, public_key=pem, padding=pad)) != cainfo   # randomised


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", None])
def test_only_six_digits(bad):
    with pytest.raises(ValueError, match="6位数字"):
        check_password(bad)


def test_full_width_digits_are_the_same_digits():
    assert check_password("１００５１３") == "100513"


def test_bad_key_file_is_a_config_error(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    with pytest.raises(ApiConfigError, match="无法读取验密公钥"):
        encrypt_password("100513", PasswordCheck(True, public_key=str(junk)))


def test_settings_need_the_key_when_enabled(tmp_path, pem):
    base = dict(base_url="https://a.example.cn", fixmedins_code="H33042100001", fixmedins_name="某院",
                mdtrtarea_admvs="330421", state_dir=tmp_path)
    with pytest.raises(ApiConfigError, match="password_public_key"):
        ApiSettings(**base, password_check=True)
    with pytest.raises(ApiConfigError, match="验密公钥文件不存在"):
        ApiSettings(**base, password_check=True, password_public_key=str(tmp_path / "nope.pem"))
    s = ApiSettings(**base, password_check=True, password_public_key=pem)
    assert s.password.required("2207", "330421", "330421") and "100513" not in repr(s)
