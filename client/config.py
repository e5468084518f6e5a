"""Site configuration: one TOML file per hospital, with per-window overrides.

The file has one table per section (``[site]``, ``[platform]``, ``[einvoice]``, ``[printers]``,
``[offline]``, ``[scanner]``, ``[ui]``, ``[counter]``, ``[security]``, ``[policy]``, ``[catalog]``, ``[training]``, ``[payment]``,
``[paths]``)
and optional ``[windows.<id>]`` tables whose sub-tables override any of those for one billing
window (``[windows.w03.printers] receipt_printer = "..."``). The window is chosen by
``load_settings(window=...)`` (CLI ``--window``), else ``MEDSETTLE_WINDOW``, else a per-machine
file ``window-id`` next to the site file.

Layering, lowest first: built-in defaults → file sections → the selected window's tables →
``overrides`` (CLI ``--platform/--institution/--data``). Every problem is collected as a
:class:`ConfigError` with its TOML key path and a Chinese message with a fix hint; unknown keys are
warnings. :func:`load_settings` raises :class:`ConfigInvalid` (carrying all errors and warnings)
when any error was found; :func:`check_config` returns the report without raising.

Secrets never live in this file: ``platform.secret_ref``, ``einvoice.secret_ref`` and
``policy.mac_key_ref`` *name* a secret kept by :class:`client.secrets.SecretStore`. A literal
``secret``/``password``/``key`` entry is an error.

All the keys, defaults and rules are documented in docs/configuration.md.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "APP_NAME", "ConfigError", "ConfigInvalid", "ConfigReport", "CounterSettings", "EInvoiceSettings",
    "OfflineSettings", "PaymentSettings",
    "PathSettings", "PlatformSettings", "PolicySettings", "PrinterSettings", "ScannerSettings",
    "SecuritySettings", "Settings", "SiteSettings", "TrainingSettings", "UiSettings",
    "api_settings_kwargs", "check_config", "cli_overrides", "default_config_path", "default_data_dir",
    "default_log_dir", "load_settings", "redacted", "settings_from_mapping", "training_settings",
    "TRAINING_INSTITUTION",
]

APP_NAME = "MedSettle"
SITE_FILE_NAME = "site.toml"
WINDOW_FILE_NAME = "window-id"

ENV_CONFIG = "MEDSETTLE_CONFIG"
ENV_WINDOW = "MEDSETTLE_WINDOW"
ENV_DATA = "MEDSETTLE_DATA"
ENV_NO_USER_DIRS = "MEDSETTLE_NO_USER_DIRS"

# The fixed training institution (上海市青浦区培训医院, Qingpu, level 2).
TRAINING_INSTITUTION = {
    "fixmedins_code": "H31011800001",
    "fixmedins_name": "上海市青浦区培训医院",
    "admdvs": "310118",
    "hosp_lv": "2",
}

FIXMEDINS_CODE_RE = re.compile(r"^H[0-9A-Z]{11}$")
ADMDVS_RE = re.compile(r"^\d{6}$")
WINDOW_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SECRET_REF_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
INFNO_RE = re.compile(r"^\d{4}[A-Z]?$")
# Keys that would hold a secret itself. Any of them, in any section, is an error.
LITERAL_SECRET_KEYS = frozenset({
    "secret", "secret_key", "secretkey", "app_secret", "password", "passwd", "pwd", "key", "mac_key",
    "private_key", "token", "access_secret", "api_secret", "sm4_key",
})


# ---------------------------------------------------------------------------------------------
# Settings dataclasses (frozen; build a changed copy with dataclasses.replace)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SiteSettings:
    fixmedins_code: str = ""            # 定点医药机构编号, "H" + 11
    fixmedins_name: str = ""            # 定点医药机构名称
    admdvs: str = ""                    # 就医地医保区划 (envelope mdtrtarea_admvs), 6 digits
    hosp_lv: str = "2"                  # hospital level "1" | "2" | "3"
    recer_sys_code: str = "MBS_LOCAL"   # 接收方系统代码 (province-specific)
    fixmedins_soft_fcty: str = ""       # 软件厂商全称 (Jiangsu/Jilin envelope extra; "" = not sent)

    @property
    def mdtrtarea_admvs(self) -> str:
        return self.admdvs


@dataclass(frozen=True)
class PlatformSettings:
    url: str = ""
    url_mode: str = "single"            # single | paths | infno
    single_path: str = "/fsi/api/callService"
    paths: dict[str, str] = field(default_factory=dict)   # infno -> path (url_mode = paths)
    infno_map: dict[str, str] = field(default_factory=dict)  # national infno -> regional (2207 -> 2207A)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    verify_tls: bool = True
    ca_bundle: str = ""
    allow_insecure_http: bool = False
    gateway: str = "none"               # none | x-tif | csb | x-ca
    paasid: str = ""                    # x-tif-paasid
    access_key: str = ""                # CSB _api_access_key (an id, not a secret)
    secret_ref: str = ""                # name of the gateway secret in the SecretStore
    csb_api_name: str = ""
    csb_api_version: str = "1.0.0"
    csb_timestamp_ms: bool = False
    xca_key: str = ""                   # Zhejiang x-ca-key; "" = the fixmedins_code
    xca_timestamp_ms: bool = True
    xca_hex_upper: bool = True
    infver: str = "V1.0"
    read_retries: int = 2
    ec_base_url: str = ""               # e-voucher platform; "" = same host as url
    ec_wedge_qr: bool = False           # the region takes a keyboard-wedge QR in ec.query ecQrCode (Shanghai SE01-style)
    password_check: bool = False        # 验密: patient password RSA-encrypted into cainfo (client.api.password)
    password_infnos: tuple[str, ...] = ("2207", "2304")
    # err_msg words meaning plain success with infcode 0; any other err_msg → needs review
    success_err_msgs: tuple[str, ...] = ("success", "成功", "交易成功", "处理成功", "ok")
    # err_msg words of a 2601 refusal meaning "nothing to reverse" (client.api.errors; UNVERIFIED)
    reversal_void_words: tuple[str, ...] = ("无需冲正", "退费结算标志不为未退费", "原交易不存在", "未找到原交易")
    # err_msg words (all of them) of a 2302 refusal meaning "no such fee line" (client.api.errors; UNVERIFIED)
    fee_cancel_void_words: tuple[str, ...] = ("明细流水号", "不存在")
    password_public_key: str = ""       # PEM file of the region's public key
    password_padding: str = "pkcs1v15"  # pkcs1v15 | oaep
    # fetch policy bundles with the MedSettle extension 9901 (only a training platform serves it; real
    # platforms answer 未知交易编号): off = bundles are site data imported by IT (medsettle policy import)
    policy_bundles_9901: bool = False
    password_cross_province_exempt: bool = True   # 跨省异地不验密


@dataclass(frozen=True)
class EInvoiceSettings:
    enabled: bool = False
    url: str = ""                       # e-invoice platform base URL; "" = platform.url
    invoicing_party_code: str = ""      # 开票单位代码
    invoicing_party_name: str = ""      # "" = site.fixmedins_name
    supervisor_area_code: str = ""      # 财政区划 (6 digits); "" = site.admdvs
    secret_ref: str = ""
    timeout: float = 10.0


@dataclass(frozen=True)
class PrinterSettings:
    receipt_printer: str = ""           # "" = system default printer
    form_printer: str = ""              # A4/A5 forms (settlement slip, detail list); "" = default
    slip_width_mm: int = 80             # 58 | 76 | 80
    auto_print: bool = True


@dataclass(frozen=True)
class OfflineSettings:
    enabled: bool = True
    max_amount: Decimal = Decimal("500.00")   # per offline settlement (total fee)
    max_cache_age_hours: int = 72
    allow_inpatient: bool = False
    # Default offline mode is full self-pay (全自费) queued for 补结算 when the platform is back.
    # The locally computed provisional insurance settlement (离线暂定结算) is allowed only for the
    # insured places listed here (6-digit admdvs, or a 2/4-digit province/city prefix) — each one
    # needs the regional office's written approval (docs/offline-and-recovery.md §2). Empty = none.
    provisional_regions: tuple[str, ...] = ()
    # queue an offline full self-pay of an insured patient for 补结算 (事后结算) when the platform is back
    backsettle: bool = True
    # use the personal account (acct_used_flag 1) in the 补结算; off by default: the patient is not at
    # the window to agree, and a region may require his password for the account
    backsettle_account: bool = False

    def provisional_allowed(self, insuplc_admdvs: str | None) -> bool:
        """True when the insured place may be settled provisionally offline (approved region)."""
        adm = str(insuplc_admdvs or "")
        return bool(adm) and any(adm.startswith(r) for r in self.provisional_regions)


@dataclass(frozen=True)
class ScannerSettings:
    inter_key_ms: int = 50
    suffix: str = "enter"               # enter | tab | both | none
    min_length: int = 6


@dataclass(frozen=True)
class UiSettings:
    language: str = "zh_CN"             # zh_CN | en
    large_font: bool = False
    idle_lock_minutes: int = 10         # 0 = never lock


@dataclass(frozen=True)
class CounterSettings:
    """The counter's rules of the insured places (区域配置). The personal account (个人账户,
    2206/2207/2303/2304 ``acct_used_flag``) is used by default ("use") or only when the patient asks
    ("ask"), per kind of visit; ``account_places`` overrides both for an insured place (6-digit
    admdvs, or a 2/4-digit prefix for a province/city): ``{ "110105" = "ask" }``. The cashier toggles
    the patient's choice with F6 either way."""

    account_outpatient: str = "use"     # use | ask
    account_inpatient: str = "use"      # use | ask
    account_places: dict[str, str] = field(default_factory=dict)
    # 2403 住院信息变更 (UNVERIFIED, docs/central-interface.md): the input node and whether diseinfo is sent
    inpatient_change_node: str = "adminfo"     # adminfo | mdtrtinfo
    inpatient_change_diseinfo: bool = True


@dataclass(frozen=True)
class SecuritySettings:
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    min_password_length: int = 8


@dataclass(frozen=True)
class PolicySettings:
    mac_key_ref: str = ""               # name of the policy-bundle HMAC key in the SecretStore
    require_mac: bool = True


@dataclass(frozen=True)
class HospitalSettings:
    """Hospital mode: the hospital store (PostgreSQL) where every window's books meet. "" = off
    (the window keeps its books alone, as in training mode). The URL names the window's own
    database role; its password lives in the SecretStore under ``secret_ref``."""

    url: str = ""                       # postgresql+psycopg://medsettle_w_w01@db.hospital.lan:5432/medsettle?sslmode=verify-full
    secret_ref: str = "hospital-db"
    push_interval_s: int = 5            # the window pushes its journal this often
    connect_timeout: int = 5
    # the finance view / institution day end at this machine: a finance role (reads every window)
    finance_url: str = ""               # "" = url (a finance office machine configured with a finance role)
    finance_secret_ref: str = "hospital-finance"


@dataclass(frozen=True)
class CatalogSettings:
    """Catalogue sync (docs/central-interface.md, conventions): ``layouts`` replaces the column list
    of a catalogue file (``{"1309" = ["opsp_dise_code", …]}``, client.domain.catalog_layouts);
    ``selfpay_psn_type`` restricts the 1319 rows used for the window's ratio to one
    selfpay_prop_psn_type ("" = any). ``opsp_drug_list``: the 门诊慢特病 drug lists per disease
    (JSON ``opsp-drug-list/1``, client.domain.opsp; "" = none, in training mode the shipped training
    list) — items outside the chosen disease's list are warned about before settling."""

    layouts: dict = field(default_factory=dict)
    selfpay_psn_type: str = ""
    opsp_drug_list: str = ""


@dataclass(frozen=True)
class PaymentSettings:
    """``[payment]``: the aggregate-payment gateway (聚合支付) for payment codes (docs/payments.md)."""

    enabled: bool = False
    url: str = ""                       # gateway base URL; "" = platform.url (the training platform hosts one)
    mch_id: str = ""                    # merchant id at the provider; "" in training = site.fixmedins_code
    secret_ref: str = ""                # the signing key's name in the SecretStore (training: built in)
    ca_bundle: str = ""                 # "" = the system CAs; TLS is always verified
    timeout: float = 10.0               # read timeout of one call (s)
    connect_timeout: float = 5.0
    userpaying_timeout: float = 60.0    # how long to poll a USERPAYING charge before reversing it (s)
    poll_interval: float = 2.0          # between two order queries while USERPAYING (s)
    query_attempts: int = 3             # order queries after SYSTEMERROR / no answer before reversing
    reverse_after: float = 15.0         # never reverse an order younger than this (s): WeChat Pay's advice
    ecny_prefixes: tuple = ("01",)      # e-CNY payment-code prefixes (UNVERIFIED; docs/payments.md)


@dataclass(frozen=True)
class TrainingSettings:
    enabled: bool = False


@dataclass(frozen=True)
class PathSettings:
    data_dir: str = ""                  # "" = default (see default_data_dir)
    log_dir: str = ""                   # "" = <data_dir>/logs or the platform log dir


SECTION_CLASSES: dict[str, type] = {
    "site": SiteSettings,
    "platform": PlatformSettings,
    "einvoice": EInvoiceSettings,
    "printers": PrinterSettings,
    "offline": OfflineSettings,
    "scanner": ScannerSettings,
    "ui": UiSettings,
    "counter": CounterSettings,
    "security": SecuritySettings,
    "policy": PolicySettings,
    "catalog": CatalogSettings,
    "training": TrainingSettings,
    "payment": PaymentSettings,
    "paths": PathSettings,
    "hospital": HospitalSettings,
}


@dataclass(frozen=True)
class Settings:
    site: SiteSettings = field(default_factory=SiteSettings)
    platform: PlatformSettings = field(default_factory=PlatformSettings)
    einvoice: EInvoiceSettings = field(default_factory=EInvoiceSettings)
    printers: PrinterSettings = field(default_factory=PrinterSettings)
    offline: OfflineSettings = field(default_factory=OfflineSettings)
    scanner: ScannerSettings = field(default_factory=ScannerSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    counter: CounterSettings = field(default_factory=CounterSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    payment: PaymentSettings = field(default_factory=PaymentSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    hospital: HospitalSettings = field(default_factory=HospitalSettings)
    window_id: str | None = None
    window_label: str = ""
    source: Path | None = None          # the site file, None when built in code
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    log_dir: Path = field(default_factory=lambda: default_log_dir())
    warnings: tuple[ConfigError, ...] = ()

    def secret_refs(self) -> dict[str, str]:
        """Key path -> secret name, for every secret this configuration refers to."""
        refs = {
            "platform.secret_ref": self.platform.secret_ref,
            "einvoice.secret_ref": self.einvoice.secret_ref,
            "policy.mac_key_ref": self.policy.mac_key_ref,
            "payment.secret_ref": self.payment.secret_ref if self.payment.enabled else "",
            "hospital.secret_ref": self.hospital.secret_ref if self.hospital.url else "",
        }
        return {k: v for k, v in refs.items() if v}


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfigError:
    """One problem: ``path`` is the TOML key path (e.g. ``windows.w03.site.fixmedins_code``)."""

    path: str
    message: str
    severity: str = "error"             # error | warning

    def __str__(self) -> str:
        label = "错误" if self.severity == "error" else "警告"
        return f"[{label}] {self.path}: {self.message}"


@dataclass(frozen=True)
class ConfigReport:
    settings: Settings | None
    errors: tuple[ConfigError, ...]
    warnings: tuple[ConfigError, ...]
    source: Path | None

    @property
    def ok(self) -> bool:
        return not self.errors


class ConfigInvalid(Exception):
    """The configuration has errors; ``errors``/``warnings`` hold every one of them."""

    def __init__(self, errors: list[ConfigError] | tuple[ConfigError, ...],
                 warnings: list[ConfigError] | tuple[ConfigError, ...] = (), source: Path | None = None):
        self.errors = tuple(errors)
        self.warnings = tuple(warnings)
        self.source = source
        where = f"（{source}）" if source else ""
        lines = [f"站点配置有误{where}，共 {len(self.errors)} 处，请修改后重试："]
        lines += [f"  {e.path}: {e.message}" for e in self.errors]
        super().__init__("\n".join(lines))


# ---------------------------------------------------------------------------------------------
# Per-key validators. Each takes the raw TOML value and returns (value, error message or None).
# ---------------------------------------------------------------------------------------------

Validator = Callable[[Any], tuple[Any, str | None]]


def _v_str(pattern: re.Pattern[str] | None = None, hint: str = "", allow_empty: bool = True) -> Validator:
    def check(v: Any) -> tuple[Any, str | None]:
        if not isinstance(v, str):
            return v, f"应为字符串（用英文双引号括起来），当前为 {_type_name(v)}"
        if v == "" and allow_empty:
            return v, None
        if v.strip() != v:
            return v, "前后不能有空格"
        if pattern is not None and not pattern.match(v):
            return v, hint or "格式不正确"
        return v, None
    return check


def _v_choice(*choices: str) -> Validator:
    def check(v: Any) -> tuple[Any, str | None]:
        if not isinstance(v, str) or v not in choices:
            return v, f"只能是 {' / '.join(choices)} 之一（当前为 {v!r}）"
        return v, None
    return check


def _v_bool(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, bool):
        return v, f"应为 true 或 false（不带引号），当前为 {_type_name(v)} {v!r}"
    return v, None


def _v_int(lo: int, hi: int) -> Validator:
    def check(v: Any) -> tuple[Any, str | None]:
        if isinstance(v, bool) or not isinstance(v, int):
            return v, f"应为整数（不带引号），当前为 {_type_name(v)} {v!r}"
        if not lo <= v <= hi:
            return v, f"应在 {lo} 到 {hi} 之间（当前为 {v}）"
        return v, None
    return check


def _v_float(lo: float, hi: float) -> Validator:
    def check(v: Any) -> tuple[Any, str | None]:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return v, f"应为数字（秒，不带引号），当前为 {_type_name(v)} {v!r}"
        if not lo <= float(v) <= hi:
            return v, f"应在 {lo:g} 到 {hi:g} 之间（当前为 {v}）"
        return float(v), None
    return check


def _v_amount(lo: Decimal, hi: Decimal) -> Validator:
    def check(v: Any) -> tuple[Any, str | None]:
        if isinstance(v, float):
            return v, f"金额请写成带引号的字符串，如 \"{Decimal(str(v)).quantize(Decimal('0.01'))}\"（不要用小数）"
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            return v, f"金额应为字符串，如 \"500.00\"，当前为 {_type_name(v)}"
        text = str(v)
        if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
            return v, f"金额格式不正确（{text!r}），应写成如 \"500.00\" 的非负数，最多两位小数"
        try:
            d = Decimal(text).quantize(Decimal("0.01"))
        except InvalidOperation:
            return v, f"金额格式不正确（{text!r}）"
        if not lo <= d <= hi:
            return v, f"应在 {lo} 到 {hi} 元之间（当前为 {d}）"
        return d, None
    return check


def _v_hosp_lv(v: Any) -> tuple[Any, str | None]:
    if isinstance(v, bool) or str(v) not in ("1", "2", "3") or not isinstance(v, (int, str)):
        return v, f"医院等级只能是 1、2 或 3（一级/二级/三级），当前为 {v!r}"
    return str(v), None


def _v_secret_ref(v: Any) -> tuple[Any, str | None]:
    value, err = _v_str(SECRET_REF_RE, "密钥名称只能包含字母、数字和 _ . : -（最长64位），"
                                       "例如 \"platform-gateway\"")(v)
    if err:
        return value, err
    if value and _looks_like_secret(value):
        return value, ("这里应填写密钥在密钥库中的名称，而不是密钥本身。请运行 "
                       "`medsettle config set-secret <名称>` 存入密钥，再把名称写在这里")
    return value, None


def _v_paths(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, dict):
        return v, "应为表（如 paths = { \"2207\" = \"/fsi/api/outpatientSettleService/saveSettletment\" }）"
    bad = [k for k, p in v.items() if not INFNO_RE.match(str(k)) or not isinstance(p, str) or not p.startswith("/")]
    if bad:
        return v, (f"交易路径表中以下项不正确：{', '.join(map(str, bad))}；键应为4位交易编号"
                   "（如 \"2207\"），值应为以 / 开头的路径")
    return dict(v), None


def _v_infno_map(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, dict):
        return v, "应为表（如 infno_map = { \"2206\" = \"2206A\", \"2207\" = \"2207A\" }）"
    bad = [f"{k} = {p!r}" for k, p in v.items()
           if not (INFNO_RE.match(str(k)) and isinstance(p, str) and INFNO_RE.match(p) and p[:4] == str(k)[:4])]
    if bad:
        return v, (f"交易编号映射中以下项不正确：{', '.join(bad)}；键为国家交易编号（如 \"2207\"），"
                   "值为本地区使用的编号，只能在末尾多一个大写字母（如 \"2207A\"）")
    return {str(k): str(p) for k, p in v.items()}, None


def _v_word_list(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        return v, "应为文字列表，如 success_err_msgs = [\"success\", \"成功\"]"
    return tuple(x.strip() for x in v), None


def _v_infno_list(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, list) or not v or not all(isinstance(x, str) and INFNO_RE.match(x) for x in v):
        return v, "应为交易编号列表，如 password_infnos = [\"2207\", \"2304\"]"
    return tuple(v), None


def _v_layouts(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, dict):
        return v, "应为表，如 layouts = { \"1309\" = [\"opsp_dise_code\", \"…\", \"ver\"] }"
    bad = [str(k) for k, cols in v.items() if not re.fullmatch(r"13\d\d", str(k)) or not isinstance(cols, list)
           or not cols or not all(isinstance(c, str) and re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in cols)
           or "ver" not in cols]
    if bad:
        return v, (f"以下目录的列定义不正确：{', '.join(bad)}；键应为目录交易编号（如 \"1309\"），"
                   "值为按文件顺序排列的列名列表（小写字段名，必须包含 ver）")
    return {str(k): tuple(cols) for k, cols in v.items()}, None


def _v_account_places(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, dict):
        return v, "应为表，如 account_places = { \"110105\" = \"ask\", \"34\" = \"use\" }"
    bad = [k for k, m in v.items() if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", str(k)) or m not in ("use", "ask")]
    if bad:
        return v, (f"以下参保地规则不正确：{', '.join(map(str, bad))}；键应为2、4或6位区划代码（省、市或区县），"
                   "值应为 \"use\"（默认使用个人账户）或 \"ask\"（患者要求时才使用）")
    return {str(k): str(m) for k, m in v.items()}, None


def _v_region_list(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, list) or not all(re.fullmatch(r"\d{2}|\d{4}|\d{6}", str(x)) for x in v):
        return v, ("应为参保地区划代码列表，如 provisional_regions = [\"330421\"]（2、4或6位：省、市或区县）；"
                   "列入的参保地须经当地医保经办机构书面同意离线暂定结算")
    return tuple(str(x) for x in v), None


def _v_path_str(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, str):
        return v, f"应为路径字符串，当前为 {_type_name(v)}"
    return v, None


def _v_url(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, str):
        return v, f"应为网址字符串，当前为 {_type_name(v)}"
    if v == "":
        return v, None
    parts = urlsplit(v)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return v, f"网址应以 http:// 或 https:// 开头并包含主机名（当前为 {v!r}），如 https://hsa.example.gov.cn"
    return v, None


def _v_pg_url(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, str):
        return v, f"应为数据库地址字符串，当前为 {_type_name(v)}"
    if v == "":
        return v, None
    parts = urlsplit(v)
    if parts.scheme not in ("postgresql+psycopg", "postgresql") or not parts.hostname or not parts.path.strip("/"):
        return v, ("医院库地址应形如 postgresql+psycopg://medsettle_w_w01@db.hospital.lan:5432/medsettle"
                   f"（当前为 {v!r}）")
    if parts.password:
        return v, "医院库地址里不能写密码：请用 `medsettle config set-secret hospital-db` 存入密钥库"
    return v, None


SCHEMA: dict[str, dict[str, Validator]] = {
    "site": {
        "fixmedins_code": _v_str(FIXMEDINS_CODE_RE, "定点医药机构编号应为12位：H 加11位数字或大写字母（如 H31011800001）"),
        "fixmedins_name": _v_str(None),
        "admdvs": _v_str(ADMDVS_RE, "就医地医保区划应为6位数字（如 310118 青浦区）"),
        "hosp_lv": _v_hosp_lv,
        "recer_sys_code": _v_str(re.compile(r"^[A-Za-z0-9_]{1,10}$"), "接收方系统代码应为1–10位字母、数字或下划线（如 MBS_LOCAL、YBXT）"),
        "fixmedins_soft_fcty": _v_str(None),
    },
    "platform": {
        "url": _v_url,
        "url_mode": _v_choice("single", "paths", "infno"),
        "single_path": _v_str(re.compile(r"^/"), "路径应以 / 开头，如 /fsi/api/callService"),
        "paths": _v_paths,
        "infno_map": _v_infno_map,
        "connect_timeout": _v_float(0.5, 120),
        "read_timeout": _v_float(1, 600),
        "verify_tls": _v_bool,
        "ca_bundle": _v_path_str,
        "allow_insecure_http": _v_bool,
        "gateway": _v_choice("none", "x-tif", "csb", "x-ca"),
        "policy_bundles_9901": _v_bool,
        "paasid": _v_str(None),
        "access_key": _v_str(None),
        "secret_ref": _v_secret_ref,
        "csb_api_name": _v_str(None),
        "csb_api_version": _v_str(None),
        "csb_timestamp_ms": _v_bool,
        "xca_key": _v_str(None),
        "xca_timestamp_ms": _v_bool,
        "xca_hex_upper": _v_bool,
        "infver": _v_str(re.compile(r"^V\d+(\.\d+)*$"), "接口版本号形如 V1.0"),
        "read_retries": _v_int(0, 5),
        "ec_base_url": _v_url,
        "ec_wedge_qr": _v_bool,
        "password_check": _v_bool,
        "password_infnos": _v_infno_list,
        "success_err_msgs": _v_word_list,
        "reversal_void_words": _v_word_list,
        "fee_cancel_void_words": _v_word_list,
        "password_public_key": _v_path_str,
        "password_padding": _v_choice("pkcs1v15", "oaep"),
        "password_cross_province_exempt": _v_bool,
    },
    "einvoice": {
        "enabled": _v_bool,
        "url": _v_url,
        "invoicing_party_code": _v_str(None),
        "invoicing_party_name": _v_str(None),
        "supervisor_area_code": _v_str(ADMDVS_RE, "财政区划应为6位数字（如 310118）"),
        "secret_ref": _v_secret_ref,
        "timeout": _v_float(1, 120),
    },
    "printers": {
        "receipt_printer": _v_str(None),
        "form_printer": _v_str(None),
        "slip_width_mm": _v_int(40, 120),
        "auto_print": _v_bool,
    },
    "offline": {
        "enabled": _v_bool,
        "max_amount": _v_amount(Decimal("0.00"), Decimal("100000.00")),
        "max_cache_age_hours": _v_int(1, 24 * 30),
        "allow_inpatient": _v_bool,
        "provisional_regions": _v_region_list,
        "backsettle": _v_bool,
        "backsettle_account": _v_bool,
    },
    "scanner": {
        "inter_key_ms": _v_int(5, 500),
        "suffix": _v_choice("enter", "tab", "both", "none"),
        "min_length": _v_int(1, 64),
    },
    "ui": {
        "language": _v_choice("zh_CN", "en"),
        "large_font": _v_bool,
        "idle_lock_minutes": _v_int(0, 240),
    },
    "counter": {
        "account_outpatient": _v_choice("use", "ask"),
        "account_inpatient": _v_choice("use", "ask"),
        "account_places": _v_account_places,
        "inpatient_change_node": _v_choice("adminfo", "mdtrtinfo"),
        "inpatient_change_diseinfo": _v_bool,
    },
    "security": {
        "lockout_attempts": _v_int(3, 20),
        "lockout_minutes": _v_int(1, 24 * 60),
        "min_password_length": _v_int(6, 64),
    },
    "policy": {
        "mac_key_ref": _v_secret_ref,
        "require_mac": _v_bool,
    },
    "catalog": {
        "layouts": _v_layouts,
        "selfpay_psn_type": _v_str(re.compile(r"^[0-9A-Za-z]{0,6}$"), "最多6位字母或数字"),
        "opsp_drug_list": _v_path_str,
    },
    "training": {
        "enabled": _v_bool,
    },
    "payment": {
        "enabled": _v_bool,
        "url": _v_url,
        "mch_id": _v_str(None),
        "secret_ref": _v_secret_ref,
        "ca_bundle": _v_path_str,
        "timeout": _v_float(1, 120),
        "connect_timeout": _v_float(0.5, 60),
        "userpaying_timeout": _v_float(5, 600),
        "poll_interval": _v_float(0.1, 30),
        "query_attempts": _v_int(1, 20),
        "reverse_after": _v_float(0, 120),
        "ecny_prefixes": _v_word_list,
    },
    "paths": {
        "data_dir": _v_path_str,
        "log_dir": _v_path_str,
    },
    "hospital": {
        "url": _v_pg_url,
        "secret_ref": _v_secret_ref,
        "push_interval_s": _v_int(1, 3600),
        "connect_timeout": _v_int(1, 60),
        "finance_url": _v_pg_url,
        "finance_secret_ref": _v_secret_ref,
    },
}

REQUIRED = {
    ("site", "fixmedins_code"): "请填写定点医药机构编号（12位，如 H31011800001）",
    ("site", "fixmedins_name"): "请填写定点医药机构名称（与医保协议一致）",
    ("site", "admdvs"): "请填写就医地医保区划（6位数字，如 310118）",
    ("platform", "url"): "请填写医保中心平台地址，如 https://hsa.example.gov.cn",
}

WINDOW_META_KEYS = ("label",)


def _type_name(v: Any) -> str:
    return {bool: "布尔值", int: "整数", float: "小数", str: "字符串", dict: "表", list: "数组"}.get(type(v), type(v).__name__)


def _looks_like_secret(value: str) -> bool:
    """Heuristic: a long run of letters+digits with no separators looks like a key, not a name."""
    if len(value) < 24 or re.search(r"[_.:-]", value):
        return False
    return bool(re.search(r"\d", value)) and bool(re.search(r"[A-Za-z]", value))


# ---------------------------------------------------------------------------------------------
# Default locations
# ---------------------------------------------------------------------------------------------

def _no_user_dirs() -> bool:
    return os.environ.get(ENV_NO_USER_DIRS, "") not in ("", "0")


def _temp_root() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    return Path(tempfile.gettempdir()) / f"medsettle-nouserdirs-{uid}"


def default_config_path() -> Path | None:
    """The site file to use when none is given, or None when there is none.

    ``MEDSETTLE_CONFIG`` wins; then the per-machine config dir (``site_config_dir``), then the
    per-user one (``user_config_dir``). With ``MEDSETTLE_NO_USER_DIRS=1`` the real directories are
    never consulted.
    """
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    if _no_user_dirs():
        return None
    for candidate in _config_candidates():
        if candidate.is_file():
            return candidate
    return None


def _config_candidates() -> list[Path]:
    import platformdirs

    return [Path(platformdirs.site_config_dir(APP_NAME, appauthor=False)) / SITE_FILE_NAME,
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / SITE_FILE_NAME]


def default_data_dir() -> Path:
    """``MEDSETTLE_DATA`` or the per-user data dir (``user_data_dir("MedSettle")``).

    Under ``MEDSETTLE_NO_USER_DIRS=1`` a temp-rooted directory is used instead.
    """
    env = os.environ.get(ENV_DATA)
    if env:
        return Path(env)
    if _no_user_dirs():
        return _temp_root() / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_log_dir() -> Path:
    if os.environ.get(ENV_DATA) or _no_user_dirs():
        return default_data_dir() / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def cli_overrides(args: Any) -> dict[str, dict[str, Any]]:
    """Map the common CLI options (--platform/--institution/--data) to an ``overrides`` dict."""
    out: dict[str, dict[str, Any]] = {}
    if getattr(args, "platform", None):
        out.setdefault("platform", {})["url"] = args.platform
    if getattr(args, "institution", None):
        out.setdefault("site", {})["fixmedins_code"] = args.institution
    if getattr(args, "data", None):
        out.setdefault("paths", {})["data_dir"] = args.data
    if getattr(args, "hospital", None):
        out.setdefault("hospital", {})["url"] = args.hospital
    return out


def _read_window_file(config_path: Path | None) -> str | None:
    candidates: list[Path] = []
    if config_path is not None:
        candidates.append(config_path.parent / WINDOW_FILE_NAME)
    if not _no_user_dirs():
        import platformdirs

        candidates.append(Path(platformdirs.site_config_dir(APP_NAME, appauthor=False)) / WINDOW_FILE_NAME)
    for c in candidates:
        try:
            text = c.read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if text:
            return text
    return None


def load_settings(path: str | os.PathLike[str] | None = None, *, window: str | None = None,
                  overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Settings:
    """Load, merge and validate the site file; raise :class:`ConfigInvalid` listing every error.

    ``path`` None → :func:`default_config_path`. ``window`` None → ``MEDSETTLE_WINDOW`` → the
    ``window-id`` file beside the site file → no window. ``overrides`` (e.g. from
    :func:`cli_overrides`) is applied last, as ``{"section": {"key": value}}``.
    Warnings (unknown keys, plain http allowed explicitly …) are kept in ``Settings.warnings``.
    """
    report = check_config(path, window=window, overrides=overrides)
    if not report.ok or report.settings is None:
        raise ConfigInvalid(report.errors, report.warnings, report.source)
    return report.settings


def check_config(path: str | os.PathLike[str] | None = None, *, window: str | None = None,
                 overrides: Mapping[str, Mapping[str, Any]] | None = None) -> ConfigReport:
    """Like :func:`load_settings` but never raises for bad content: returns every error/warning."""
    source = Path(path) if path is not None else default_config_path()
    if source is None:
        where = "、".join(str(p) for p in _config_candidates()) if not _no_user_dirs() else "（测试模式不读取用户目录）"
        err = ConfigError("(file)", f"未找到站点配置文件。请用 --config 指定，或设置环境变量 {ENV_CONFIG}，"
                                    f"或把配置放到：{where}。可用 `medsettle config example` 生成示例")
        return ConfigReport(None, (err,), (), None)
    try:
        raw_bytes = source.read_bytes()
    except FileNotFoundError:
        return ConfigReport(None, (ConfigError("(file)", f"配置文件不存在：{source}。请检查路径，"
                                                         "或用 `medsettle config example` 生成示例"),), (), source)
    except OSError as exc:
        return ConfigReport(None, (ConfigError("(file)", f"无法读取配置文件 {source}：{exc.strerror or exc}。"
                                                         "请检查文件权限"),), (), source)
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ConfigReport(None, (ConfigError("(file)", "配置文件必须以 UTF-8 编码保存（记事本：另存为 → 编码选 UTF-8）"),),
                            (), source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return ConfigReport(None, (ConfigError("(file)", f"TOML 语法错误：{exc}。请检查该行的引号、等号和方括号"),),
                            (), source)
    if window is None:
        window = os.environ.get(ENV_WINDOW) or _read_window_file(source)
    return _build(data, window=window, overrides=overrides, source=source)


def settings_from_mapping(data: Mapping[str, Any], *, window: str | None = None,
                          overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Settings:
    """Build Settings from an already parsed mapping (same rules as a file); raises ConfigInvalid."""
    report = _build(dict(data), window=window, overrides=overrides, source=None)
    if not report.ok or report.settings is None:
        raise ConfigInvalid(report.errors, report.warnings, None)
    return report.settings


def _check_section_table(table: Any, prefix: str, section: str, errors: list[ConfigError],
                         warnings: list[ConfigError]) -> dict[str, Any]:
    """Validate one section table (types/ranges/unknown/literal secrets); return the good values."""
    if not isinstance(table, dict):
        errors.append(ConfigError(prefix, f"[{section}] 应为表（[{section}] 段），当前为 {_type_name(table)}"))
        return {}
    schema = SCHEMA[section]
    good: dict[str, Any] = {}
    for key, value in table.items():
        kpath = f"{prefix}.{key}"
        if key.lower() in LITERAL_SECRET_KEYS:
            ref_key = "mac_key_ref" if section == "policy" else "secret_ref"
            errors.append(ConfigError(kpath, "配置文件中不能写入密钥或口令本身（文件可能被复制、备份或打印）。"
                                             f"请删除此行，运行 `medsettle config set-secret <名称>` 把密钥存入密钥库，"
                                             f"然后写 {ref_key} = \"<名称>\""))
            continue
        validator = schema.get(key)
        if validator is None:
            close = [k for k in schema if k.replace("_", "") == key.replace("_", "").lower()]
            hint = f"，是否想写 {close[0]}？" if close else "，将被忽略。请检查拼写（可用的项见 docs/configuration.md）"
            warnings.append(ConfigError(kpath, f"无法识别的配置项{hint}", "warning"))
            continue
        converted, err = validator(value)
        if err:
            errors.append(ConfigError(kpath, err))
        else:
            good[key] = converted
    return good


def _build(data: dict[str, Any], *, window: str | None, overrides: Mapping[str, Mapping[str, Any]] | None,
           source: Path | None) -> ConfigReport:
    errors: list[ConfigError] = []
    warnings: list[ConfigError] = []

    # 1. base sections
    effective: dict[str, dict[str, Any]] = {s: {} for s in SECTION_CLASSES}
    origin: dict[tuple[str, str], str] = {}
    for top, table in data.items():
        if top == "windows":
            continue
        if top not in SECTION_CLASSES:
            if top.lower() in LITERAL_SECRET_KEYS:
                errors.append(ConfigError(top, "配置文件中不能写入密钥或口令本身。请删除此行，改用密钥库（见 `medsettle config set-secret`）"))
            else:
                warnings.append(ConfigError(top, f"无法识别的配置段或项 {top!r}，将被忽略。可用的段："
                                                 f"{', '.join(SECTION_CLASSES)}、windows", "warning"))
            continue
        good = _check_section_table(table, top, top, errors, warnings)
        for k, v in good.items():
            effective[top][k] = v
            origin[(top, k)] = f"{top}.{k}"

    # 2. windows: validate all of them, apply the selected one
    windows = data.get("windows", {})
    window_tables: dict[str, dict[str, Any]] = {}
    if not isinstance(windows, dict):
        errors.append(ConfigError("windows", "windows 应为表，写法如 [windows.w01.printers]"))
        windows = {}
    for wid, wtable in windows.items():
        wprefix = f"windows.{wid}"
        if not WINDOW_ID_RE.match(wid):
            errors.append(ConfigError(wprefix, "窗口编号只能包含字母、数字、_ 和 -（最长32位），如 w01"))
            continue
        if not isinstance(wtable, dict):
            errors.append(ConfigError(wprefix, "窗口配置应为表，写法如 [windows.w01.printers]"))
            continue
        parsed: dict[str, Any] = {}
        for section, table in wtable.items():
            spath = f"{wprefix}.{section}"
            if section in WINDOW_META_KEYS:
                if not isinstance(table, str):
                    errors.append(ConfigError(spath, "窗口名称应为字符串，如 label = \"门诊收费3号窗口\""))
                else:
                    parsed[section] = table
                continue
            if section not in SECTION_CLASSES:
                if section.lower() in LITERAL_SECRET_KEYS:
                    errors.append(ConfigError(spath, "配置文件中不能写入密钥或口令本身。请改用密钥库（见 `medsettle config set-secret`）"))
                else:
                    warnings.append(ConfigError(spath, f"无法识别的窗口配置段 {section!r}，将被忽略。可覆盖的段："
                                                       f"{', '.join(SECTION_CLASSES)}", "warning"))
                continue
            parsed[section] = _check_section_table(table, spath, section, errors, warnings)
        window_tables[wid] = parsed

    label = ""
    if window is not None:
        if not WINDOW_ID_RE.match(window):
            errors.append(ConfigError("(window)", f"窗口编号 {window!r} 不合法：只能包含字母、数字、_ 和 -"))
        elif window not in window_tables and window not in windows:
            known = "、".join(window_tables) or "（文件中没有任何 [windows.*] 段）"
            errors.append(ConfigError(f"windows.{window}", f"配置文件中没有窗口 {window!r} 的配置。已配置的窗口：{known}。"
                                                           f"请检查 --window / {ENV_WINDOW} / window-id 文件，或在文件中添加 [windows.{window}]"))
        else:
            for section, good in window_tables.get(window, {}).items():
                if section == "label":
                    label = good
                    continue
                for k, v in good.items():
                    if k == "paths" and isinstance(v, dict):
                        effective[section][k] = {**effective[section].get(k, {}), **v}
                    else:
                        effective[section][k] = v
                    origin[(section, k)] = f"windows.{window}.{section}.{k}"

    # 3. overrides (CLI)
    for section, table in (overrides or {}).items():
        if section not in SECTION_CLASSES:
            errors.append(ConfigError(f"(override).{section}", "未知的配置段（程序内部错误，请联系技术支持）"))
            continue
        good = _check_section_table(dict(table), f"(命令行).{section}", section, errors, warnings)
        for k, v in good.items():
            effective[section][k] = v
            origin[(section, k)] = f"(命令行).{section}.{k}"

    # 4. required keys and cross-field rules on the effective view
    def where(section: str, key: str) -> str:
        return origin.get((section, key), f"{section}.{key}")

    training = bool(effective["training"].get("enabled", False))
    for (section, key), hint in REQUIRED.items():
        if effective[section].get(key, "") == "":
            errors.append(ConfigError(f"{section}.{key}", f"缺少必填项。{hint}"))
    _cross_checks(effective, where, errors, warnings, training)

    if errors:
        return ConfigReport(None, tuple(errors), tuple(warnings), source)

    sections = {name: cls(**effective[name]) for name, cls in SECTION_CLASSES.items()}
    data_dir, log_dir = _resolve_dirs(sections["paths"], source)
    settings = Settings(**sections, window_id=window, window_label=label, source=source,
                        data_dir=data_dir, log_dir=log_dir, warnings=tuple(warnings))
    return ConfigReport(settings, (), tuple(warnings), source)


def _is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cross_checks(eff: dict[str, dict[str, Any]], where: Callable[[str, str], str], errors: list[ConfigError],
                  warnings: list[ConfigError], training: bool) -> None:
    p = eff["platform"]
    allow_http = bool(p.get("allow_insecure_http", False))
    for section, key in (("platform", "url"), ("platform", "ec_base_url"), ("einvoice", "url"), ("payment", "url")):
        url = eff[section].get(key, "")
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme == "http":
            host = parts.hostname or ""
            if _is_loopback(host):
                continue
            if allow_http:
                warnings.append(ConfigError(where(section, key), "使用未加密的 http 连接（已设置 allow_insecure_http = true）。"
                                                                 "个人信息和结算数据可能被窃听，正式上线前请改用 https", "warning"))
            else:
                errors.append(ConfigError(where(section, key), "不允许使用未加密的 http 地址（仅本机 127.0.0.1/localhost 例外）。"
                                                               "请改用 https://；确属医保专网且经批准的，可在 [platform] 中设置 "
                                                               "allow_insecure_http = true"))
    gateway = p.get("gateway", "none")
    if gateway == "x-tif":
        if not p.get("paasid"):
            errors.append(ConfigError(where("platform", "paasid"), "x-tif 网关需要 paasid（省医保分配的应用账户编码）"))
        if not p.get("secret_ref"):
            errors.append(ConfigError(where("platform", "secret_ref"), "x-tif 网关需要密钥：请用 `medsettle config set-secret "
                                                                     "platform-gateway` 存入密钥，再写 secret_ref = \"platform-gateway\""))
    elif gateway == "csb":
        for key, hint in (("access_key", "CSB 网关需要 access_key（访问标识）"),
                          ("csb_api_name", "CSB 网关需要 csb_api_name（接口名称）")):
            if not p.get(key):
                errors.append(ConfigError(where("platform", key), hint))
        if not p.get("secret_ref"):
            errors.append(ConfigError(where("platform", "secret_ref"), "CSB 网关需要密钥：请用 `medsettle config set-secret "
                                                                     "platform-gateway` 存入密钥，再写 secret_ref = \"platform-gateway\""))
    elif gateway == "x-ca":
        if not p.get("secret_ref"):
            errors.append(ConfigError(where("platform", "secret_ref"), "x-ca（浙江）网关需要密钥：请用 `medsettle config set-secret "
                                                                     "platform-gateway` 存入密钥，再写 secret_ref = \"platform-gateway\""))
    if p.get("verify_tls") is False:
        warnings.append(ConfigError(where("platform", "verify_tls"), "已关闭 TLS 证书校验，连接可能被冒充。请改为配置 ca_bundle（医保专网CA证书）", "warning"))
    if p.get("password_check"):
        key = p.get("password_public_key", "")
        if not key:
            errors.append(ConfigError(where("platform", "password_public_key"), "已启用验密，请填写医保部门提供的 RSA 公钥文件（PEM）路径"))
        elif not Path(key).is_file():
            errors.append(ConfigError(where("platform", "password_public_key"), f"验密公钥文件不存在：{key}"))
    ca = p.get("ca_bundle", "")
    if ca and not Path(ca).is_file():
        errors.append(ConfigError(where("platform", "ca_bundle"), f"CA 证书文件不存在：{ca}。请填写 PEM 证书文件的完整路径"))
    if float(p.get("connect_timeout", 5.0)) > float(p.get("read_timeout", 30.0)):
        warnings.append(ConfigError(where("platform", "connect_timeout"), "连接超时大于读取超时，通常应更小", "warning"))
    pay = eff.get("payment") or {}
    if pay.get("enabled") and not training:
        if not pay.get("mch_id"):
            errors.append(ConfigError(where("payment", "mch_id"), "已启用聚合支付，请填写聚合支付分配的商户号 mch_id"))
        if not pay.get("secret_ref"):
            errors.append(ConfigError(where("payment", "secret_ref"), "已启用聚合支付，需要签名密钥：请用 `medsettle config "
                                                                    "set-secret payment-key` 存入密钥，再写 secret_ref = \"payment-key\""))
    e = eff["einvoice"]
    if e.get("enabled") and not e.get("invoicing_party_code"):
        errors.append(ConfigError(where("einvoice", "invoicing_party_code"), "已启用电子票据，请填写开票单位代码 invoicing_party_code"))
    pol = eff["policy"]
    if pol.get("require_mac", True) and not pol.get("mac_key_ref") and not training and p.get("policy_bundles_9901"):
        warnings.append(ConfigError(where("policy", "mac_key_ref"), "未配置政策包校验密钥 mac_key_ref，将无法校验政策包（9901）。"
                                                                  "请向医保中心索取并用 `medsettle config set-secret policy-mac` 存入", "warning"))
    o = eff["offline"]
    if o.get("allow_inpatient") and o.get("enabled", True):
        warnings.append(ConfigError(where("offline", "allow_inpatient"), "允许住院脱机结算：脱机结算需事后补传，住院金额较大，风险较高", "warning"))
    if o.get("provisional_regions"):
        warnings.append(ConfigError(where("offline", "provisional_regions"),
                                    "已为以下参保地开启离线暂定结算（本地计算医保基金支付）："
                                    + "、".join(map(str, o["provisional_regions"]))
                                    + "；须有当地医保经办机构的书面同意，否则请删除此项（默认离线全自费、恢复后补结算）",
                                    "warning"))


def _resolve_dirs(paths: PathSettings, source: Path | None) -> tuple[Path, Path]:
    """data dir: [paths].data_dir (relative to the site file) > MEDSETTLE_DATA > default."""
    def rel(p: str) -> Path:
        path = Path(os.path.expandvars(os.path.expanduser(p)))
        if not path.is_absolute() and source is not None:
            path = source.parent / path
        return path

    if paths.data_dir:
        data_dir = rel(paths.data_dir)
        explicit = True
    else:
        data_dir = default_data_dir()
        explicit = bool(os.environ.get(ENV_DATA)) or _no_user_dirs()
    if paths.log_dir:
        log_dir = rel(paths.log_dir)
    elif explicit:
        log_dir = data_dir / "logs"
    else:
        log_dir = default_log_dir()
    return data_dir, log_dir


# ---------------------------------------------------------------------------------------------
# Training and helpers for other parts
# ---------------------------------------------------------------------------------------------

def training_settings(url: str, data_dir: str | os.PathLike[str], *, window: str | None = None) -> Settings:
    """Settings for training mode against the embedded training platform at ``url``.

    Uses the fixed training institution H31011800001 上海市青浦区培训医院 (310118, level 2).
    """
    mapping = {
        "site": dict(TRAINING_INSTITUTION),
        # the training platform takes the SE01/wedge variant too, so the keyboard wedge can be practised
        "platform": {"url": url, "url_mode": "single", "ec_wedge_qr": True},
        "einvoice": {"enabled": True, "invoicing_party_code": "31011800001",
                     "supervisor_area_code": "310118"},
        "policy": {"require_mac": False},
        "training": {"enabled": True},
        # the training platform's own payment gateway (it has no 15 s reverse rule: practise quickly)
        "payment": {"enabled": True, "reverse_after": 1.0},
        "paths": {"data_dir": str(data_dir)},
    }
    s = settings_from_mapping(mapping)
    return replace(s, window_id=window)


def redacted(settings: Settings) -> dict[str, dict[str, Any]]:
    """The effective settings as plain values for display; secret references appear as ``***``."""
    out: dict[str, dict[str, Any]] = {}
    for name in SECTION_CLASSES:
        section = getattr(settings, name)
        values: dict[str, Any] = {}
        for f in fields(section):
            v = getattr(section, f.name)
            if f.name in ("secret_ref", "mac_key_ref", "finance_secret_ref") and v:
                v = "***"
            elif isinstance(v, Decimal):
                v = f"{v:.2f}"
            values[f.name] = copy.deepcopy(v)
        out[name] = values
    return out


def api_settings_kwargs(settings: Settings, *, secret: str = "", state_dir: str | os.PathLike[str] | None = None
                        ) -> dict[str, Any]:
    """Keyword arguments for ``client.api.settings.ApiSettings`` (``ApiSettings(**kwargs)``).

    ``secret`` is the gateway secret the caller fetched with ``SecretStore.get(platform.secret_ref)``.
    """
    s, p = settings.site, settings.platform
    kwargs: dict[str, Any] = {
        "base_url": p.url,
        "fixmedins_code": s.fixmedins_code,
        "fixmedins_name": s.fixmedins_name,
        "mdtrtarea_admvs": s.admdvs,
        "state_dir": Path(state_dir) if state_dir is not None else settings.data_dir / "api",
        "recer_sys_code": s.recer_sys_code,
        "infver": p.infver,
        "connect_timeout": p.connect_timeout,
        "read_timeout": p.read_timeout,
        "verify_tls": p.verify_tls,
        "ca_bundle": p.ca_bundle or None,
        "gateway": p.gateway,
        "paasid": p.paasid,
        "access_key": p.access_key,
        "secret": secret,
        "csb_api_name": p.csb_api_name,
        "csb_api_version": p.csb_api_version,
        "csb_timestamp_ms": p.csb_timestamp_ms,
        "xca_key": p.xca_key,
        "xca_timestamp_ms": p.xca_timestamp_ms,
        "xca_hex_upper": p.xca_hex_upper,
        "url_mode": p.url_mode,
        "single_path": p.single_path,
        "paths": dict(p.paths),
        "infno_map": dict(p.infno_map),
        "fixmedins_soft_fcty": s.fixmedins_soft_fcty or None,
        "read_retries": p.read_retries,
        "ec_base_url": p.ec_base_url,
        "ec_wedge_qr": p.ec_wedge_qr,
        "password_check": p.password_check,
        "password_infnos": tuple(p.password_infnos),
        "success_err_msgs": tuple(p.success_err_msgs),
        "reversal_void_words": tuple(p.reversal_void_words),
        "fee_cancel_void_words": tuple(p.fee_cancel_void_words),
        "password_public_key": p.password_public_key,
        "password_padding": p.password_padding,
        "password_cross_province_exempt": p.password_cross_province_exempt,
    }
    return kwargs
