"""client.fsutil: owner-only directories and files, atomic replace."""

from __future__ import annotations

import os
import stat

import pytest

from client.fsutil import ensure_private_dir, is_private, private_umask, write_private_file

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def _mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


@posix_only
def test_ensure_private_dir_creates_0700_and_tightens_existing(tmp_path):
    d = ensure_private_dir(tmp_path / "a" / "b")
    assert _mode(d) == 0o700
    assert _mode(tmp_path / "a") == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    ensure_private_dir(loose)
    assert _mode(loose) == 0o700
    assert is_private(loose)


@posix_only
def test_write_private_file_is_0600_and_replaces_atomically(tmp_path):
    target = tmp_path / "sub" / "secret.bin"
    write_private_file(target, b"one")
    assert target.read_bytes() == b"one"
    assert _mode(target) == 0o600
    assert _mode(target.parent) == 0o700
    os.chmod(target, 0o644)
    write_private_file(target, "二")
    assert target.read_text(encoding="utf-8") == "二"
    assert _mode(target) == 0o600
    # no temporary files left behind
    assert [p.name for p in target.parent.iterdir()] == ["secret.bin"]


def test_write_private_file_failure_keeps_old_content(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    write_private_file(target, b"old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_private_file(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


@posix_only
def test_private_umask_restores(tmp_path):
    before = os.umask(0o022)
    os.umask(before)
    with private_umask():
        (tmp_path / "x").write_text("x")
    assert _mode(tmp_path / "x") == 0o600
    now = os.umask(before)
    os.umask(now)
    assert now == before
