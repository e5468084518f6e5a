"""client.secrets: encrypted-file backend (real files in tmp), keyring detection and use."""

from __future__ import annotations

import base64
import json
import os
import stat

import keyring
import keyring.backend
import pytest
from keyring.backends import chainer, fail

from client.secrets import SecretStore, SecretStoreError, keyring_is_usable


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv("MEDSETTLE_SECRET_BACKEND", raising=False)
    monkeypatch.delenv("MEDSETTLE_SECRET_PASSPHRASE", raising=False)
    return SecretStore(tmp_path, backend="file")


def test_roundtrip_and_delete(store, tmp_path):
    assert store.get("platform-gateway") is None
    store.set("platform-gateway", "Zx9-密钥-secret")
    store.set("policy-mac", "another")
    assert store.get("platform-gateway") == "Zx9-密钥-secret"
    # a fresh instance (new process) reads the same value
    assert SecretStore(tmp_path, backend="file").get("policy-mac") == "another"
    assert store.delete("policy-mac") is True
    assert store.delete("policy-mac") is False
    assert store.get("policy-mac") is None
    assert store.backend_name().startswith("file:")


def test_files_are_private_and_value_not_in_clear(store, tmp_path):
    store.set("gw", "PLAINTEXT-MARKER-123")
    d = tmp_path / "secrets"
    for p in (d / "store.json", d / "machine.key"):
        raw = p.read_bytes()
        assert b"PLAINTEXT-MARKER" not in raw
        assert base64.b64encode(b"PLAINTEXT-MARKER-123") not in raw
        if os.name == "posix":
            assert stat.S_IMODE(p.stat().st_mode) == 0o600
    if os.name == "posix":
        assert stat.S_IMODE(d.stat().st_mode) == 0o700


def test_same_value_encrypts_differently(store, tmp_path):
    store.set("a", "same")
    first = json.loads((tmp_path / "secrets" / "store.json").read_text())["entries"]["a"]
    store.set("a", "same")
    second = json.loads((tmp_path / "secrets" / "store.json").read_text())["entries"]["a"]
    assert first != second


def test_tampering_is_detected(store, tmp_path):
    store.set("gw", "value-1")
    path = tmp_path / "secrets" / "store.json"
    doc = json.loads(path.read_text())
    blob = bytearray(base64.b64decode(doc["entries"]["gw"]))
    blob[17] ^= 0x01  # flip one ciphertext bit
    doc["entries"]["gw"] = base64.b64encode(bytes(blob)).decode()
    path.write_text(json.dumps(doc))
    with pytest.raises(SecretStoreError, match="校验失败"):
        SecretStore(tmp_path, backend="file").get("gw")


def test_entries_cannot_be_swapped(store, tmp_path):
    store.set("a", "value-a")
    store.set("b", "value-b")
    path = tmp_path / "secrets" / "store.json"
    doc = json.loads(path.read_text())
    doc["entries"]["a"], doc["entries"]["b"] = doc["entries"]["b"], doc["entries"]["a"]
    path.write_text(json.dumps(doc))
    with pytest.raises(SecretStoreError):
        SecretStore(tmp_path, backend="file").get("a")


def test_passphrase_and_machine_key_are_both_needed(tmp_path, monkeypatch):
    monkeypatch.delenv("MEDSETTLE_SECRET_BACKEND", raising=False)
    s = SecretStore(tmp_path, backend="file", passphrase="口令-1")
    s.set("gw", "v")
    assert SecretStore(tmp_path, backend="file", passphrase="口令-1").get("gw") == "v"
    with pytest.raises(SecretStoreError, match="口令不正确"):
        SecretStore(tmp_path, backend="file", passphrase="wrong").get("gw")
    with pytest.raises(SecretStoreError):
        SecretStore(tmp_path, backend="file").get("gw")
    # store copied to another machine (different machine.key) cannot be opened
    other = tmp_path / "other"
    (other / "secrets").mkdir(parents=True)
    (other / "secrets" / "store.json").write_bytes((tmp_path / "secrets" / "store.json").read_bytes())
    with pytest.raises(SecretStoreError, match="machine.key|缺少本机密钥文件"):
        SecretStore(other, backend="file", passphrase="口令-1").get("gw")
    (other / "secrets" / "machine.key").write_bytes(os.urandom(32))
    with pytest.raises(SecretStoreError, match="不匹配"):
        SecretStore(other, backend="file", passphrase="口令-1").get("gw")


def test_bad_names_and_empty_values(store):
    for bad in ("", "has space", "x" * 65, "名字"):
        with pytest.raises(SecretStoreError):
            store.set(bad, "v")
    with pytest.raises(SecretStoreError):
        store.set("ok", "")


def test_corrupt_store_gives_chinese_error(store, tmp_path):
    store.set("gw", "v")
    (tmp_path / "secrets" / "store.json").write_text("{not json")
    with pytest.raises(SecretStoreError, match="损坏"):
        SecretStore(tmp_path, backend="file").get("gw")


def test_fail_and_empty_chainer_keyrings_are_not_usable():
    assert keyring_is_usable(fail.Keyring()) is False
    class EmptyChainer(chainer.ChainerBackend):
        backends = []  # what keyring builds when no backend is viable

    assert keyring_is_usable(EmptyChainer()) is False

    class ChainerWithMemory(chainer.ChainerBackend):
        backends = [MemoryKeyring()]

    assert keyring_is_usable(ChainerWithMemory()) is True


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real (in-process) keyring backend, registered through keyring's own API."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.data = {}

    def get_password(self, service, username):
        return self.data.get((service, username))

    def set_password(self, service, username, password):
        self.data[(service, username)] = password

    def delete_password(self, service, username):
        import keyring.errors

        if (service, username) not in self.data:
            raise keyring.errors.PasswordDeleteError("missing")
        del self.data[(service, username)]


def test_keyring_backend_used_when_usable_and_forced(tmp_path, monkeypatch):
    monkeypatch.delenv("MEDSETTLE_SECRET_BACKEND", raising=False)
    previous = keyring.get_keyring()
    mem = MemoryKeyring()
    keyring.set_keyring(mem)
    try:
        assert keyring_is_usable(mem)
        s = SecretStore(tmp_path, backend="keyring")
        assert s.is_keyring and s.backend_name().endswith("MemoryKeyring")
        s.set("gw", "kv")
        assert mem.data[("MedSettle", "gw")] == "kv"
        assert s.get("gw") == "kv"
        assert s.delete("gw") is True and s.delete("gw") is False
        assert not (tmp_path / "secrets").exists()
        # auto under MEDSETTLE_NO_USER_DIRS (set by the suite) does not touch the keyring
        monkeypatch.setenv("MEDSETTLE_NO_USER_DIRS", "1")
        assert not SecretStore(tmp_path, backend="auto").is_keyring
        monkeypatch.setenv("MEDSETTLE_NO_USER_DIRS", "0")
        assert SecretStore(tmp_path, backend="auto").is_keyring
    finally:
        keyring.set_keyring(previous)


def test_forced_keyring_without_backend_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("MEDSETTLE_SECRET_BACKEND", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(SecretStoreError, match="密钥环不可用"):
            SecretStore(tmp_path, backend="keyring")
        monkeypatch.setenv("MEDSETTLE_NO_USER_DIRS", "0")
        s = SecretStore(tmp_path, backend="auto")  # falls back to the encrypted file
        assert not s.is_keyring
    finally:
        keyring.set_keyring(previous)
