"""Wiring for the headless services: settings → local store, CentralClient, e-voucher client, operator.

One :class:`ServiceContext` per billing window (or per CLI run). Layout of the data directory::

    <data_dir>/medsettle.sqlite3     the local store (offline_cache.open_store)
    <data_dir>/api/msgid.json        the durable msgid generator state (client.api.msgid)
    <data_dir>/api/signin.json       sign_no cache (9001)

``ServiceContext.call(request, msgid=...)`` sends a typed request with the window's operator; when
the platform answers that the operator is not signed in (a cached sign_no from a restarted
platform), it signs in again and repeats the call ONCE — safe even for state-changing calls because
a refusal means the platform processed nothing (the same msgid is reused).

Policy-bundle MAC key (9901, only with ``platform.policy_bundles_9901``; bundles are otherwise imported
site data): ``policy.mac_key_ref`` names a secret in :class:`client.secrets.SecretStore`;
in training mode the key is the training institution's documented training secret
(``TRAINING_MAC_KEYS``, the same values as ``training_platform.demo.FIXED_INSTITUTIONS``; a test
checks they agree).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.api import (
    ApiError,
    ApiSettings,
    CentralClient,
    EVoucherClient,
    Operator,
)
from client.config import Settings, api_settings_kwargs

from .errors import ServiceError

log = logging.getLogger("client.services")

STORE_FILE = "medsettle.sqlite3"
TRAINING_OPERATOR = Operator("T001", "培训收费员", "A03", "内科")

# Training-only MAC/gateway secrets of the three fixed training institutions (documented as
# training data in docs/demo-data.md; never used outside training mode).
TRAINING_MAC_KEYS = {
    "H31011800001": "TRAINING-ONLY-310118-5f0c2a9e7b41d8c3",
    "H32050900001": "TRAINING-ONLY-320509-a83e6d1f20c94b57",
    "H33042100001": "TRAINING-ONLY-330421-3c7b9e05d2f1a864",
}


@dataclass
class ServiceContext:
    settings: Settings
    store: Any                      # offline_cache.store.Store
    central: CentralClient
    evoucher: EVoucherClient
    operator: Operator
    mac_key: bytes = b""
    require_mac: bool = True
    einvoice_secret: bytes = b""     # check-code (校验码) key of offline-numbered invoices; b"" = random
    closers: list = field(default_factory=list, repr=False)

    # -- identity of this institution ---------------------------------------------------------
    @property
    def fixmedins_code(self) -> str:
        return self.settings.site.fixmedins_code

    @property
    def admdvs(self) -> str:
        return self.settings.site.admdvs

    @property
    def hosp_lv(self) -> str:
        return self.settings.site.hosp_lv

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.data_dir)

    # -- calls --------------------------------------------------------------------------------
    def call(self, request: Any, *, msgid: str | None = None, cainfo: str = "") -> Any:
        """Send a typed request as this window's operator. A stale sign_no is the client's business:
        ``CentralClient`` signs in again and repeats the call once (``BusinessError.needs_sign_in``)."""
        return self.central.send(request, operator=self.operator, msgid=msgid, cainfo=cainfo)

    def new_msgid(self) -> str:
        return self.central.new_msgid()

    def close(self) -> None:
        for c in reversed(self.closers):
            try:
                c()
            except Exception:  # noqa: BLE001 - closing must not mask the real error
                log.exception("error while closing the service context")
        self.closers.clear()

    def __enter__(self) -> ServiceContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def policy_mac_key(settings: Settings) -> bytes:
    """The HMAC key for 9901 bundles ('' when none is configured). Outside training it is read only
    where bundles are fetched with 9901 (``platform.policy_bundles_9901``); imported bundles need none."""
    ref = settings.policy.mac_key_ref
    if ref and settings.platform.policy_bundles_9901:
        from client.secrets import SecretStore

        value = SecretStore(settings.data_dir).get(ref)
        if not value:
            raise ServiceError("config", f"找不到政策包校验密钥“{ref}”，请信息科在本机录入密钥后再同步（medsettle config）。")
        return value.encode("utf-8")
    if settings.training.enabled:
        return TRAINING_MAC_KEYS.get(settings.site.fixmedins_code, "").encode("utf-8")
    return b""


def gateway_secret(settings: Settings) -> str:
    """The gateway secret named by ``platform.secret_ref`` (x-tif / CSB / x-ca), from the secret store;
    "" without a gateway. A gateway without its secret is a configuration error the window names."""
    if settings.platform.gateway == "none":
        return ""
    ref = settings.platform.secret_ref
    value = None
    if ref:
        from client.secrets import SecretStore, SecretStoreError

        try:
            value = SecretStore(settings.data_dir).get(ref)
        except SecretStoreError as exc:
            raise ServiceError("config", f"读取网关密钥“{ref}”失败：{exc}") from None
    if not value:
        raise ServiceError("config", f"本机没有 {settings.platform.gateway} 网关密钥“{ref or '（未配置 secret_ref）'}”。"
                                     f"请信息科运行 `medsettle config set-secret {ref or 'platform-gateway'}` 录入"
                                     "医保部门下发的密钥后重试。")
    return value


def open_store_for(settings: Settings):
    """Open (create/migrate) the local store of this window; StoreError → ServiceError('store')."""
    from offline_cache.errors import StoreError
    from offline_cache.store import open_store

    try:
        return open_store(Path(settings.data_dir) / STORE_FILE)
    except StoreError as exc:
        raise ServiceError("store", exc.message, detail=exc.detail or "") from None


def window_slot(settings: Settings) -> int:
    """The msgid slot (0–99) of this window: the number in its window id ("w07" → 7, "12" → 12),
    else a stable hash of the id; 0 without a window id. Windows of one institution must have
    distinct slots (`medsettle config check` shows each window's id)."""
    wid = settings.window_id or ""
    if not wid:
        return 0
    digits = "".join(ch for ch in wid if ch.isdigit())
    if digits:
        return int(digits) % 100
    import zlib

    return zlib.crc32(wid.encode("utf-8")) % 100


def open_context(settings: Settings, *, operator: Operator | None = None, secret: str = "",
                 store: Any = None, msgid_slot: int | None = None) -> ServiceContext:
    """Build the context of one window. The caller closes it (``with open_context(...) as ctx``).

    ``msgid_slot`` (0–99) partitions msgids between the windows of one institution (see
    client.api.msgid.MsgIdGenerator);
    default :func:`window_slot`."""
    if not settings.platform.url:
        raise ServiceError("config", "没有配置医保中心地址（platform.url），请用 --platform 指定或在站点配置中填写。")
    if not secret:
        secret = gateway_secret(settings)
    own_store = store is None
    st = open_store_for(settings) if own_store else store
    try:
        try:
            api = ApiSettings(**api_settings_kwargs(settings, secret=secret,
                                                    state_dir=Path(settings.data_dir) / "api"))
            from client.api import MsgIdGenerator

            slot = window_slot(settings) if msgid_slot is None else msgid_slot
            central = CentralClient(api, msgids=MsgIdGenerator(api.state_dir / "msgid.json",
                                                               api.fixmedins_code, slot=slot))
        except ApiError as exc:
            raise ServiceError("config", str(exc)) from None
        ctx = ServiceContext(settings=settings, store=st, central=central, evoucher=EVoucherClient(api),
                             operator=operator or TRAINING_OPERATOR, mac_key=policy_mac_key(settings),
                             require_mac=settings.policy.require_mac or settings.training.enabled)
    except BaseException:
        if own_store:
            st.close()
        raise
    ctx.closers.append(central.close)
    ctx.closers.append(ctx.evoucher.close)
    if own_store:
        ctx.closers.append(st.close)
    _register_secrets(ctx, secret)
    if settings.einvoice.enabled:
        ensure_invoice_ranges(ctx)
    return ctx


def _register_secrets(ctx: ServiceContext, gateway_secret: str) -> None:
    """Secrets resolved for this context never reach a log file (client.logging_setup masks them): the
    gateway secret handed in, the policy MAC key, and the e-invoice key (resolved here from
    ``einvoice.secret_ref`` when configured)."""
    from client.logging_setup import register_secret

    register_secret(gateway_secret or None)
    if ctx.mac_key:
        register_secret(ctx.mac_key.decode("utf-8", "replace"))
    ref = ctx.settings.einvoice.secret_ref
    if ref and ctx.settings.einvoice.enabled:
        from client.secrets import SecretStore

        try:
            value = SecretStore(ctx.settings.data_dir).get(ref)
        except Exception as exc:  # noqa: BLE001 - without the key check codes are random (training-like)
            log.warning("e-invoice secret %s unavailable: %s", ref, exc.__class__.__name__)
            value = None
        if value:
            register_secret(value)
            ctx.einvoice_secret = value.encode("utf-8")
        else:
            log.warning("e-invoice secret %s not found; offline check codes will be random", ref)


def ensure_invoice_ranges(ctx: ServiceContext) -> int | None:
    """Top up this window's e-invoice number stock while online (``invoicing.ensure_ranges``); offline or
    refused, the window keeps issuing from what it has (logged). Returns the stock, None when unknown."""
    from . import invoicing

    try:
        platform = invoicing.EInvoicePlatform.from_settings(ctx.settings)
    except ServiceError as exc:
        log.warning("no e-invoice platform: %s", exc.message)
        return None
    try:
        platform.timeout = min(platform.timeout, 5.0)
        return invoicing.ensure_ranges(ctx.store, platform)
    except Exception as exc:  # noqa: BLE001 - opening a window never fails because of the invoice platform
        log.warning("e-invoice range top-up failed: %s", getattr(exc, "message", None) or exc.__class__.__name__)
        return None
    finally:
        platform.close()


def settings_from_args(args: Any) -> Settings:
    """Settings for a CLI run: the site file with --platform/--institution/--data overrides; with no
    site file and ``--platform`` given, the training institution (H31011800001 上海市青浦区培训医院,
    unless ``--institution`` names another training institution)."""
    from client.config import (
        ConfigInvalid,
        cli_overrides,
        default_config_path,
        load_settings,
        training_settings,
    )

    config = getattr(args, "config", None)
    if config is None and default_config_path() is None:
        if not getattr(args, "platform", None):
            raise ServiceError("config", "没有站点配置文件：请用 --config 指定配置，或用 --platform 指定培训平台地址（培训模式）。")
        from client.config import default_data_dir

        data = getattr(args, "data", None) or default_data_dir()
        s = training_settings(args.platform, data)
        inst = getattr(args, "institution", None)
        if inst and inst != s.site.fixmedins_code:
            site = _TRAINING_SITES.get(inst)
            if site is None:
                raise ServiceError("config", f"培训模式只支持培训机构 {'、'.join(_TRAINING_SITES)}；"
                                             f"“{inst}”不是培训机构，请提供站点配置文件（--config）。")
            from dataclasses import replace

            s = replace(s, site=replace(s.site, **site))
        return _training_hospital(s, args)
    try:
        return load_settings(config, window=getattr(args, "window", None), overrides=cli_overrides(args))
    except ConfigInvalid as exc:
        raise ServiceError("config", str(exc)) from None


def _training_hospital(s: Settings, args: Any) -> Settings:
    """Training mode with ``--window`` / ``--hospital``: a training window of a hospital store."""
    from dataclasses import replace

    window, url = getattr(args, "window", None), getattr(args, "hospital", None)
    if window:
        s = replace(s, window_id=window)
    if url:
        from client.config import _v_pg_url

        _, err = _v_pg_url(url)
        if err:
            raise ServiceError("config", f"--hospital {err}")
        s = replace(s, hospital=replace(s.hospital, url=url))
    return s


_TRAINING_SITES = {
    "H31011800001": {"fixmedins_code": "H31011800001", "fixmedins_name": "上海市青浦区培训医院", "admdvs": "310118",
                     "hosp_lv": "2"},
    "H32050900001": {"fixmedins_code": "H32050900001", "fixmedins_name": "苏州市吴江区培训医院", "admdvs": "320509",
                     "hosp_lv": "3"},
    "H33042100001": {"fixmedins_code": "H33042100001", "fixmedins_name": "嘉善县培训医院", "admdvs": "330421",
                     "hosp_lv": "2"},
}


def training_settings_for(url: str, data_dir: str | Path, fixmedins_code: str = "H31011800001") -> Settings:
    """Training settings for one of the three training institutions (tests, training windows)."""
    from dataclasses import replace

    from client.config import training_settings

    s = training_settings(url, data_dir)
    site = _TRAINING_SITES[fixmedins_code]
    return replace(s, site=replace(s.site, **site))
