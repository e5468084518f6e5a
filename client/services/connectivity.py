"""Connectivity state of the billing window (Qt-free, observable with plain callbacks).

The state comes from asking the platform, never from the operating system's "online" flag
(desktop-anchors §A1: Odoo confirms the browser flag with a ping because it is unreliable):

* ``GET {platform.url}/health`` (the training platform and most gateways answer it); any HTTP
  answer below 500 — even a 404 from a gateway without that path — proves the network path works;
* no answer / HTTP 5xx → the platform is treated as unreachable.

States (``ConnState``):

=============  =========  ====================================================================
 code           shown      meaning
=============  =========  ====================================================================
 ``online``     在线        platform reachable, nothing waiting in the outbox
 ``offline``    离线        platform unreachable: emergency offline settlement only (离线应急结算)
 ``recovering`` 恢复中      platform reachable again, the outbox still holds unsent / unresolved
                            items or settlements with an unknown outcome (store-and-forward running)
=============  =========  ====================================================================

Every check also reports the outbox size, unknown settlements and the age of the cached data
(catalogue sync time, newest policy-bundle ``fetched_at``, person cache ``fetched_at``), so the
window can show "缓存数据时间" and the offline limits can be enforced. ``subscribe(fn)`` registers a
callback ``fn(status)`` called on every state change (the window adapts it to a Qt signal).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

import requests

log = logging.getLogger("client.services.connectivity")

ONLINE, OFFLINE, RECOVERING = "online", "offline", "recovering"
STATE_WORDS = {ONLINE: "在线", OFFLINE: "离线", RECOVERING: "恢复中"}
UNKNOWN_SETTLEMENT_STATES = ("prepared", "sent", "unknown")


def as_datetime(v) -> datetime | None:
    """A stored timestamp (datetime or ISO text) as a datetime; None if empty or unreadable."""
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        return v
    try:
        return datetime.fromisoformat(str(v))
    except ValueError:
        return None


@dataclass
class CacheAges:
    """When the offline data was last refreshed (None = never)."""

    catalog_synced_at: datetime | None = None
    bundle_fetched_at: datetime | None = None        # newest policy bundle
    oldest_bundle_fetched_at: datetime | None = None
    persons_fetched_at: datetime | None = None       # newest cached person
    persons_cached: int = 0

    def hours(self, now: datetime | None = None) -> dict[str, float | None]:
        now = now or datetime.now()

        def h(t: datetime | None) -> float | None:
            return None if t is None else round((now - t).total_seconds() / 3600, 2)

        return {"catalog": h(self.catalog_synced_at), "bundle": h(self.bundle_fetched_at),
                "persons": h(self.persons_fetched_at)}


@dataclass
class ConnStatus:
    state: str
    reachable: bool
    checked_at: datetime
    outbox_pending: int = 0          # pending + sending + failed (will be sent)
    outbox_needs_review: int = 0     # refused by the platform: a person decides
    unknown_settlements: int = 0     # sent, outcome unknown (recovery asks 5203)
    cache: CacheAges = field(default_factory=CacheAges)
    detail: str = ""
    backsettle_pending: int = 0      # offline full self-pay visits waiting for 补结算 (backsettle.drain)

    @property
    def words(self) -> str:
        return STATE_WORDS[self.state]

    @property
    def unresolved(self) -> int:
        return self.outbox_pending + self.outbox_needs_review + self.unknown_settlements

    def summary(self) -> str:
        """One line for the status bar, in Chinese."""
        parts = [self.words]
        if self.outbox_pending:
            parts.append(f"待上传 {self.outbox_pending} 笔")
        if self.outbox_needs_review:
            parts.append(f"待人工处理 {self.outbox_needs_review} 笔")
        if self.unknown_settlements:
            parts.append(f"结果待确认 {self.unknown_settlements} 笔")
        if self.backsettle_pending:
            parts.append(f"待补结算 {self.backsettle_pending} 笔")
        if self.cache.catalog_synced_at:
            parts.append(f"目录同步于 {self.cache.catalog_synced_at:%m-%d %H:%M}")
        return "，".join(parts)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["words"] = self.words
        d["checked_at"] = self.checked_at.strftime("%Y-%m-%d %H:%M:%S")
        d["cache"] = {k: (v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v)
                      for k, v in asdict(self.cache).items()}
        return d


def probe_platform(url: str, *, timeout: float = 3.0, session: requests.Session | None = None) -> tuple[bool, str]:
    """(reachable, Chinese detail) from ``GET {url}/health``."""
    if not url:
        return False, "没有配置医保中心地址"
    s = session or requests
    try:
        r = s.get(url.rstrip("/") + "/health", timeout=timeout)
    except requests.RequestException as exc:
        return False, f"无法连接医保中心（{type(exc).__name__}）"
    if r.status_code >= 500:
        return False, f"医保中心或网关返回 HTTP {r.status_code}"
    return True, "医保中心连接正常"


def local_counts(store) -> tuple[int, int, int]:
    """(outbox pending+sending+failed, outbox needs_review, settlements with unknown outcome)."""
    with store.read_connection() as conn:
        rows = dict(conn.exec_driver_sql("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
        unknown = conn.exec_driver_sql(
            "SELECT count(*) FROM settlements WHERE state IN ('prepared', 'sent', 'unknown') AND offline = 0"
        ).scalar_one()
    pending = sum(rows.get(s, 0) for s in ("pending", "sending", "failed"))
    return pending, rows.get("needs_review", 0), unknown


def backsettle_count(store) -> int:
    """Offline full self-pay visits queued for (or in the middle of) 补结算."""
    with store.read_connection() as conn:
        return int(conn.exec_driver_sql(
            "SELECT count(*) FROM backsettlements WHERE state IN ('queued', 'identified', 'registered', 'uploaded', "
            "'settling')").scalar_one())


def cache_ages(store) -> CacheAges:
    with store.read_connection() as conn:
        cat = conn.exec_driver_sql(
            "SELECT max(updated_at) FROM sync_state WHERE name LIKE 'catalog:%'").scalar_one()
        b = conn.exec_driver_sql("SELECT max(fetched_at), min(fetched_at) FROM policy_bundles").fetchone()
        p = conn.exec_driver_sql("SELECT max(fetched_at), count(*) FROM persons").fetchone()
    return CacheAges(as_datetime(cat), as_datetime(b[0]), as_datetime(b[1]), as_datetime(p[0]), int(p[1] or 0))


class ConnectivityMonitor:
    """Checks the platform and the local queue; notifies subscribers when the state changes.

    Thread-safe: ``check()`` may run on a network worker; callbacks run on the calling thread
    (the window re-emits them as a Qt signal to reach the GUI thread).
    """

    def __init__(self, url: str, store, *, timeout: float = 3.0, session: requests.Session | None = None,
                 probe: Callable[[], tuple[bool, str]] | None = None):
        self.url = url
        self.store = store
        self.timeout = timeout
        self._session = session
        self._probe = probe or (lambda: probe_platform(self.url, timeout=self.timeout, session=self._session))
        self._subscribers: list[Callable[[ConnStatus], None]] = []
        self._lock = threading.Lock()
        self.last: ConnStatus | None = None

    @classmethod
    def for_context(cls, ctx, **kw) -> ConnectivityMonitor:
        return cls(ctx.settings.platform.url, ctx.store, **kw)

    def subscribe(self, fn: Callable[[ConnStatus], None]) -> Callable[[], None]:
        """Register ``fn(status)``; returns a function that unsubscribes it."""
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)
        return unsubscribe

    def status(self, reachable: bool, detail: str = "") -> ConnStatus:
        pending, review, unknown = local_counts(self.store)
        backsettle = backsettle_count(self.store)
        if not reachable:
            state = OFFLINE
        elif pending or review or unknown or backsettle:
            state = RECOVERING
        else:
            state = ONLINE
        return ConnStatus(state, reachable, datetime.now(), pending, review, unknown, cache_ages(self.store), detail,
                          backsettle)

    def check(self) -> ConnStatus:
        reachable, detail = self._probe()
        st = self.status(reachable, detail)
        with self._lock:
            prev = self.last
            self.last = st
            subs = list(self._subscribers)
        changed = prev is None or ((prev.state, prev.unresolved, prev.backsettle_pending)
                                   != (st.state, st.unresolved, st.backsettle_pending))
        if changed:
            log.info("connectivity: %s (%s)", st.state, st.summary())
            for fn in subs:
                try:
                    fn(st)
                except Exception:  # noqa: BLE001 - a broken subscriber must not stop the others
                    log.exception("connectivity subscriber failed")
        return st

    @property
    def online(self) -> bool:
        return self.last is not None and self.last.reachable
