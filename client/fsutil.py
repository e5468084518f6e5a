"""Owner-only files and directories.

The local store, the secret store, its key file and the logs hold personal and financial data, so
they are created readable by their owner only (0700 directories, 0600 files) on POSIX. On Windows
the modes are mostly ignored by the OS; there the per-user profile ACLs (``%LOCALAPPDATA%``) or the
installer's ACLs on the per-machine data directory do the job (see docs/configuration.md).

``write_private_file`` is atomic: the data goes to a temporary file in the same directory, is
fsync'ed, then replaces the target with ``os.replace`` (and the directory is fsync'ed on POSIX), so
a crash leaves either the old or the new content, never half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE", "ensure_private_dir", "is_private", "private_umask",
           "write_private_file"]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_POSIX = os.name == "posix"


@contextlib.contextmanager
def private_umask(mask: int = 0o077) -> Iterator[None]:
    """Temporarily set the process umask (default 077: new files/dirs owner-only).

    The umask is process-wide; keep the block short (it is used around file creation only).
    """
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def ensure_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700. Returns the Path.

    Parents that are created get 0700 too; existing parents are left alone (they may be shared
    directories such as ``~/.local/share``).
    """
    p = Path(path)
    with private_umask():
        p.mkdir(parents=True, exist_ok=True)
    if _POSIX:
        os.chmod(p, PRIVATE_DIR_MODE)
    return p


def _fsync_dir(directory: Path) -> None:
    if not _POSIX:
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_file(path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Atomically write ``data`` to ``path`` with mode 0600 (text is encoded with ``encoding``).

    The parent directory is created (0700) if missing. The temporary file is removed if anything
    fails, and the old content (if any) stays intact.
    """
    p = Path(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    parent = p.parent
    if not parent.exists():
        ensure_private_dir(parent)
    with private_umask():
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if _POSIX:
                os.fchmod(fh.fileno(), PRIVATE_FILE_MODE)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(parent)
    return p


def is_private(path: str | os.PathLike[str]) -> bool:
    """True when no group/other permission bit is set (always True on non-POSIX systems)."""
    if not _POSIX:
        return True
    mode = stat.S_IMODE(os.stat(path).st_mode)
    return mode & 0o077 == 0
