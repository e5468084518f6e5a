"""A throwaway PostgreSQL server for the tests: Debian's server binaries, a temp data directory,
127.0.0.1 on a free port, SCRAM passwords for every TCP login.

``initdb`` refuses to run as root (CI runs as root), so as root the server's processes run as the
unprivileged ``postgres`` user that Debian's package creates (``runuser``); otherwise as the
current user. Databases inside it are made and dropped by pytest-postgresql's ``DatabaseJanitor``.
The tests stop and start the server themselves (the hospital-server-gone cases).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "postgres"
SUPERPASS = "test-superuser-pw"


def _bindir() -> Path | None:
    env = os.environ.get("MEDSETTLE_PG_BINDIR")
    if env:
        return Path(env)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    w = shutil.which("pg_ctl")
    return Path(w).parent if w else None


def available() -> str | None:
    """None when a server can be started here, else why not."""
    b = _bindir()
    if b is None or not (b / "initdb").exists():
        return "PostgreSQL server binaries not found (apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and no 'postgres' user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self):
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="medsettle-pg-"))
        self.datadir = self.root / "data"
        self.sockdir = self.root / "sock"
        self.port = _free_port()
        self.host = "127.0.0.1"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def init(self) -> PgServer:
        self.root.chmod(0o755)
        self.sockdir.mkdir()
        pwfile = self.root / "pw"
        pwfile.write_text(SUPERPASS + "\n")
        if self.as_root:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockdir, "postgres")
            shutil.chown(pwfile, "postgres")
        self._run("initdb", "-D", str(self.datadir), "-U", SUPERUSER, "--pwfile", str(pwfile),
                  "-A", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8")
        pwfile.unlink()
        return self

    def start(self) -> PgServer:
        opts = (f"-c listen_addresses={self.host} -c port={self.port} -c unix_socket_directories={self.sockdir} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.root / "server.log"), "-o", opts,
                  "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "stop", check=False)

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.datadir), "status", check=False).returncode == 0

    def wait_down(self, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while self.running() and time.monotonic() < end:
            time.sleep(0.1)

    def url(self, dbname: str, user: str = SUPERUSER, password: str | None = SUPERPASS) -> str:
        cred = f"{user}:{password}" if password else user
        return f"postgresql+psycopg://{cred}@{self.host}:{self.port}/{dbname}"

    def cleanup(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class throwaway_hospital:  # noqa: N801 - a context manager used like a function
    """``with throwaway_hospital() as (srv, engine):`` — a started server, a database ``medsettle``
    migrated to head by the product, an admin engine; all removed afterwards (the benchmarks)."""

    def __init__(self, dbname: str = "medsettle"):
        self.dbname = dbname
        self.srv = self.engine = None

    def __enter__(self):
        from pytest_postgresql.janitor import DatabaseJanitor

        from hospital_store import admin, db

        self.srv = PgServer().init().start()
        DatabaseJanitor(user=SUPERUSER, password=SUPERPASS, host=self.srv.host, port=self.srv.port,
                        dbname=self.dbname).init()
        self.engine = db.make_engine(self.srv.url(self.dbname))
        admin.migrate(self.engine)
        return self.srv, self.engine

    def __exit__(self, *exc) -> None:
        if self.engine is not None:
            self.engine.dispose()
        if self.srv is not None:
            self.srv.cleanup()
