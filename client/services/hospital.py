"""Hospital mode at a window: connecting with the window's own database role, pushing the journal.

The window always writes its local store first; ``push_now`` is called by the window's timer and
after a settlement, ``BackgroundPusher`` runs for a writing CLI command's lifetime. Neither raises:
the hospital store being away only grows the backlog, which ``replication_status`` reports beside
the platform state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hospital_store import db as hdb

from .errors import ServiceError

log = logging.getLogger("client.services.hospital")


def enabled(settings) -> bool:
    return bool(getattr(settings, "hospital", None) and settings.hospital.url)


def window_id_of(settings) -> str:
    w = settings.window_id
    if not w:
        raise ServiceError("config", "医院库模式需要窗口编号：请在本机配置窗口编号（--window 或 window-id 文件），"
                                     "并由信息科用 `medsettle hospital window add <编号>` 开通数据库账号。")
    return w


def _password(settings, ref: str | None = None) -> str | None:
    from client.secrets import SecretStore, SecretStoreError

    name = ref or settings.hospital.secret_ref
    if not name:
        return None
    try:
        return SecretStore(settings.data_dir).get(name)
    except SecretStoreError as exc:
        raise ServiceError("config", f"读取医院库密码“{name}”失败：{exc}") from None


def engine_for(settings, *, url: str | None = None, password: str | None = None, check: bool = True):
    """Engine to the hospital store (HospitalError on failure, in Chinese)."""
    url = url or settings.hospital.url
    if not url:
        raise ServiceError("config", "未配置医院库：请在站点配置 [hospital] url 中填写，或用 --hospital 指定。")
    pw = password if password is not None else _password(settings)
    return hdb.connect(url, password=pw, check=check)


def finance_engine_for(settings, *, password: str | None = None):
    """Engine with this machine's finance role (``[hospital] finance_url``, else ``url``)."""
    url = settings.hospital.finance_url or settings.hospital.url
    if not url:
        raise ServiceError("config", "未配置医院库：请在站点配置 [hospital] 中填写 finance_url（财务账号）。")
    if password is None:
        ref = settings.hospital.finance_secret_ref if settings.hospital.finance_url else settings.hospital.secret_ref
        password = _password(settings, ref)
    return hdb.connect(url, password=password)


def finance_engine_from_env(settings, password_env: str | None):
    """The finance engine for a CLI command: the password from the environment variable named by
    ``--password-env`` (scripts), else the SecretStore; every failure as a ServiceError."""
    import os

    pw = None
    if password_env:
        pw = os.environ.get(password_env)
        if pw is None:
            raise ServiceError("invalid_input", f"环境变量 {password_env} 未设置（应存放医院库账号密码）。")
    try:
        return finance_engine_for(settings, password=pw)
    except hdb.HospitalError as exc:
        raise ServiceError("hospital", exc.message) from None


@dataclass
class PushOutcome:
    report: object | None
    error: str | None

    def to_dict(self) -> dict:
        d = self.report.to_dict() if self.report is not None else {"pushed": 0}
        if self.error and not d.get("error"):
            d["error"] = self.error
        return d


def push_now(settings, store, *, max_batches: int | None = None) -> PushOutcome:
    """Push the journal; every failure becomes a message (the local books are untouched)."""
    from client import __version__
    from client.services import replication

    try:
        wid = window_id_of(settings)
        engine = engine_for(settings)
    except (ServiceError, hdb.HospitalError) as exc:
        msg = exc.message
        from offline_cache import replication as journal

        with store.connection() as conn:
            journal.record(conn, error=msg)
        return PushOutcome(None, msg)
    try:
        rep = replication.push(store, engine, wid, max_batches=max_batches, app_version=__version__)
    finally:
        engine.dispose()
    return PushOutcome(rep, rep.error)


def replication_status(store) -> dict:
    from offline_cache import replication as journal

    with store.read_connection() as conn:
        return journal.state(conn)


class BackgroundPusher:
    """Pushes the journal every ``interval`` seconds on its own thread while a command runs (so a
    settlement reaches the hospital store within about a second of its commit, not at the end of
    the command), and once more at ``stop``. Its own store handle and one reused engine; every
    failure is recorded and retried on the next tick — never raised into the command."""

    def __init__(self, settings, *, interval: float = 0.5):
        import threading

        self.settings, self.interval = settings, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hospital-pusher", daemon=True)
        self._store = None
        self._engine = None
        self.last: PushOutcome | None = None
        self.backlog: int | None = None

    def start(self) -> BackgroundPusher:
        self._thread.start()
        return self

    def _tick(self) -> None:
        from client import __version__
        from client.services import replication

        if self._store is None:
            from client.services.context import open_store_for

            self._store = open_store_for(self.settings)
        try:
            if self._engine is None:
                self._engine = engine_for(self.settings)
            rep = replication.push(self._store, self._engine, window_id_of(self.settings), app_version=__version__)
            self.last = PushOutcome(rep, rep.error)
            if rep.error:
                self._engine.dispose()
                self._engine = None
        except (ServiceError, hdb.HospitalError) as exc:
            from offline_cache import replication as journal

            with self._store.connection() as conn:
                journal.record(conn, error=exc.message)
            self.last = PushOutcome(None, exc.message)
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._tick()
            except Exception as exc:  # noqa: BLE001 - never into the command
                log.warning("background hospital push: %s", exc)

    def stop(self) -> PushOutcome | None:
        """Stop the thread, push once more, close; returns the last outcome."""
        self._stop.set()
        self._thread.join(timeout=30)
        try:
            self._tick()
        except Exception as exc:  # noqa: BLE001
            log.warning("final hospital push: %s", exc)
            self.last = PushOutcome(None, str(exc))
        finally:
            if self._engine is not None:
                self._engine.dispose()
            if self._store is not None:
                try:
                    self.backlog = replication_status(self._store)["backlog"]
                except Exception:  # noqa: BLE001
                    self.backlog = None
                self._store.close()
        return self.last
