"""Connecting to the hospital store, with the failures a window or an IT admin can meet told in Chinese.

``connect(url, password=…)`` returns a SQLAlchemy Engine after checking the schema revision against
the migrations this program carries:

* no ``medsettle`` schema / no version table → ``HospitalSchemaMissing`` (run ``hospital init``);
* an older revision → ``HospitalSchemaOld`` (IT runs ``medsettle hospital migrate``);
* a revision this program does not know → ``HospitalSchemaNew`` (upgrade this window's program).

Server-side failures are mapped from their SQLSTATE (PostgreSQL appendix A) by ``explain``:
28P01/28000 credentials, 42501 privilege, 25006 read-only, 53100 disk full, 08xxx / no answer
unreachable. A window treats every one of them as "hospital store unavailable": it keeps working on
its local store and its backlog waits (``client.services.replication``).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url

from . import SCHEMA

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CONNECT_TIMEOUT_S = 5


class HospitalError(Exception):
    """A hospital-store failure with a message for the window / IT (Chinese)."""

    code = "hospital_error"

    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


class HospitalUnavailable(HospitalError):
    code = "hospital_unavailable"


class HospitalAuthFailed(HospitalError):
    code = "hospital_auth"


class HospitalForbidden(HospitalError):
    code = "hospital_forbidden"


class HospitalReadOnly(HospitalError):
    code = "hospital_read_only"


class HospitalFull(HospitalError):
    code = "hospital_full"


class HospitalSchemaMissing(HospitalError):
    code = "hospital_schema_missing"


class HospitalSchemaOld(HospitalError):
    code = "hospital_schema_old"


class HospitalSchemaNew(HospitalError):
    code = "hospital_schema_new"


_REVISION_RE = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN_RE = re.compile(r"^down_revision\s*=\s*(None|[\"']([^\"']+)[\"'])", re.M)


def revision_graph() -> dict[str, str | None]:
    graph: dict[str, str | None] = {}
    for f in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        t = f.read_text(encoding="utf-8")
        rev, down = _REVISION_RE.search(t), _DOWN_RE.search(t)
        if rev and down:
            graph[rev.group(1)] = down.group(2)
    return graph


def head_revision() -> str:
    graph = revision_graph()
    downs = {d for d in graph.values() if d}
    heads = [r for r in graph if r not in downs]
    if len(heads) != 1:  # pragma: no cover - a packaging error
        raise RuntimeError(f"hospital_store migrations have {len(heads)} heads: {heads}")
    return heads[0]


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as "?"
        return "?"


def explain(exc: BaseException, url: str = "") -> HospitalError:
    """A Chinese HospitalError for a driver / SQLAlchemy exception."""
    where = f"（{safe_url(url)}）" if url else ""
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    text_ = str(orig)
    if sqlstate in ("28P01", "28000") or "password authentication failed" in text_:
        return HospitalAuthFailed(f"医院库拒绝登录{where}：用户名或密码不对。请信息科核对本窗口的数据库账号，"
                                  "用 `medsettle config set-secret hospital-db` 重新存入密码。", detail=text_)
    if sqlstate == "42501":
        return HospitalForbidden(f"医院库拒绝了本次操作{where}：本账号没有这项权限。", detail=text_)
    if sqlstate == "25006":
        return HospitalReadOnly(f"医院库现在只读{where}（可能是备库或维护中），本窗口暂存本地，稍后自动补传。",
                                detail=text_)
    if sqlstate == "53100":
        return HospitalFull(f"医院库服务器磁盘已满{where}，本窗口暂存本地，请通知信息科。", detail=text_)
    if sqlstate in ("3F000", "42P01"):
        return HospitalSchemaMissing(f"医院库尚未初始化{where}：请信息科执行 `medsettle hospital init`。",
                                     detail=text_)
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)) or sqlstate.startswith("08"):
        return HospitalUnavailable(f"连不上医院库{where}，本窗口暂存本地，恢复后自动补传。", detail=text_)
    return HospitalError(f"医院库出错{where}：{text_.splitlines()[0] if text_ else type(exc).__name__}",
                         detail=text_)


def make_engine(url: str, *, password: str | None = None, connect_timeout: int = CONNECT_TIMEOUT_S) -> Engine:
    if not url.startswith("postgresql"):
        raise HospitalError(f"医院库地址应为 postgresql+psycopg://用户@主机:端口/库名，现为“{safe_url(url)}”。")
    args: dict = {"connect_timeout": connect_timeout}
    if password:
        args["password"] = password
    return create_engine(url, connect_args=args, pool_pre_ping=True, pool_size=2, max_overflow=2)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as c:
        exists = c.execute(text("SELECT to_regclass(:t)"), {"t": f"{SCHEMA}.alembic_version"}).scalar()
        if exists is None:
            return None
        return c.execute(text(f"SELECT version_num FROM {SCHEMA}.alembic_version")).scalar()


def check_revision(engine: Engine, url: str = "") -> str:
    where = f"（{safe_url(url)}）" if url else ""
    rev = current_revision(engine)
    graph = revision_graph()
    if rev is None:
        raise HospitalSchemaMissing(f"医院库尚未初始化{where}：请信息科执行 `medsettle hospital init`。")
    head = head_revision()
    if rev == head:
        return rev
    if rev in graph:
        raise HospitalSchemaOld(f"医院库结构版本 {rev} 比本程序（{head}）旧{where}：请信息科执行 "
                                "`medsettle hospital migrate`。本窗口暂存本地。")
    raise HospitalSchemaNew(f"医院库结构版本 {rev} 比本程序新{where}：请升级本窗口的 MedSettle 程序。本窗口暂存本地。")


def connect(url: str, *, password: str | None = None, check: bool = True) -> Engine:
    """An engine to the hospital store, revision checked; every failure as a HospitalError."""
    engine = make_engine(url, password=password)
    try:
        if check:
            check_revision(engine, url)
        else:
            with engine.connect() as c:
                c.execute(text("SELECT 1"))
    except HospitalError:
        engine.dispose()
        raise
    except Exception as exc:  # noqa: BLE001 - every driver failure becomes a Chinese message
        engine.dispose()
        raise explain(exc, url) from exc
    return engine
