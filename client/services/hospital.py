"""Hospital mode at a window: connecting with the window's own database role, pushing the journal.

The window always writes its local store first; ``push_after_write`` is called after a checkout (or
by the window's timer) and never raises — the hospital store being away only grows the backlog,
which ``replication_status`` reports beside the platform state.
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


def push_after_write(settings, store) -> PushOutcome | None:
    """Best effort after a local commit: None when hospital mode is off."""
    if not enabled(settings):
        return None
    try:
        out = push_now(settings, store)
    except Exception as exc:  # noqa: BLE001 - the hospital store never breaks a checkout
        log.warning("hospital push after write failed: %s", exc)
        return PushOutcome(None, str(exc))
    if out.error:
        log.info("hospital store: %s", out.error)
    return out


def replication_status(store) -> dict:
    from offline_cache import replication as journal

    with store.read_connection() as conn:
        return journal.state(conn)
