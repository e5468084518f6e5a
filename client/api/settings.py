"""ApiSettings: everything the client needs to talk to one region's central platform."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import FEE_CANCEL_VOID_WORDS, REVERSAL_VOID_WORDS, ApiConfigError
from .infnos import DEFAULT_PATHS
from .password import PasswordCheck

GATEWAYS = ("none", "x-tif", "csb", "x-ca")
URL_MODES = ("single", "paths", "infno")
FIXMEDINS_CODE_RE = re.compile(r"^[0-9A-Za-z]{12}$")
ADMVS_RE = re.compile(r"^\d{6}$")
INFNO_RE = re.compile(r"^\d{4}[A-Z]?$")
# err_msg texts that mean plain success when infcode is 0 (compared stripped, case-insensitive). Real
# answers fill err_msg on success with "success" (Zhejiang 9001, tests/fixtures/real) or "成功" (§1.2).
# Any OTHER non-empty err_msg with infcode 0 makes the answer "needs review" (docs/central-interface.md).
SUCCESS_ERR_MSGS = ("success", "成功", "交易成功", "处理成功", "ok")


@dataclass(frozen=True)
class ApiSettings:
    """Connection and identity settings for one institution and one platform.

    ``secret`` is passed in by the caller (e.g. from the OS keyring) and never logged or shown
    in ``repr``.
    """

    base_url: str
    fixmedins_code: str
    fixmedins_name: str
    mdtrtarea_admvs: str
    state_dir: Path
    # Envelope constants. "MBS_LOCAL" is the value in the public example request (reference
    # §1.1); regions such as Inner Mongolia expect "YBXT" — set it per region.
    recer_sys_code: str = "MBS_LOCAL"
    infver: str = "V1.0"
    opter_type: str = "1"           # 1 经办人; 2 自助终端; 3 移动终端
    dev_no: str = ""
    # Timeouts (seconds) and TLS.
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    verify_tls: bool = True
    ca_bundle: str | None = None     # path to a PEM bundle; overrides the system store
    # Gateway profile (reference §2).
    gateway: str = "none"            # none | x-tif | csb | x-ca
    paasid: str = ""                 # x-tif-paasid
    access_key: str = ""             # csb _api_access_key
    secret: str = field(default="", repr=False)
    csb_api_name: str = ""
    csb_api_version: str = "1.0.0"
    csb_timestamp_ms: bool = False   # Suqian variant: milliseconds
    xca_key: str = ""                # Zhejiang x-ca-key; "" = fixmedins_code
    xca_timestamp_ms: bool = True    # x-ca signature timestamp in ms (UNVERIFIED: confirm with the gateway)
    xca_hex_upper: bool = True       # HEX case of the HMAC-SM3 (UNVERIFIED)
    # URL layout (reference §1.3).
    url_mode: str = "single"         # single | paths | infno
    single_path: str = "/fsi/api/callService"
    paths: dict[str, str] = field(default_factory=dict)  # overrides of DEFAULT_PATHS
    # Regional infno variants (reference §2 Zhejiang: 2206A / 2207A): the national infno the client
    # means → the infno sent on the wire (envelope, URL, signature, 2601 oinfno). {} = national set.
    infno_map: dict[str, str] = field(default_factory=dict)
    # err_msg words that mean plain success with infcode 0 (envelope.SUCCESS_ERR_MSGS; UNVERIFIED per
    # region: add the region's word here). Any other err_msg with infcode 0 → Response.needs_review.
    success_err_msgs: tuple[str, ...] = SUCCESS_ERR_MSGS
    # err_msg words of a 2601 refusal that mean "there is nothing to reverse" (errors.REVERSAL_VOID_WORDS;
    # the platform's wording is UNVERIFIED: add the region's words here).
    reversal_void_words: tuple[str, ...] = REVERSAL_VOID_WORDS
    # err_msg words (all of them) of a 2302 refusal meaning "no such fee line" (errors.FEE_CANCEL_VOID_WORDS;
    # UNVERIFIED: the training platform's wording)
    fee_cancel_void_words: tuple[str, ...] = FEE_CANCEL_VOID_WORDS
    # Regional extra envelope fields; None = not sent at all.
    fixmedins_soft_fcty: str | None = None
    enc_type: str | None = None
    # Retry policy for read-only transactions (never applied to state-changing ones).
    read_retries: int = 2
    backoff_base: float = 0.2
    backoff_max: float = 2.0
    # 9001 sign-in details (ip empty = detect the local address used to reach base_url).
    sign_in_mac: str = ""
    sign_in_ip: str = ""
    # 9102: which field carries "plc" when downloading catalogue files (reference §3.10).
    plc_field: str = "fixmedins_code"   # fixmedins_code | filename | none
    # 验密 (client.api.password): the patient's password RSA-encrypted into cainfo, where a region asks.
    password_check: bool = False
    password_infnos: tuple[str, ...] = ("2207", "2304")
    password_public_key: str = ""        # PEM file from the regional office
    password_padding: str = "pkcs1v15"   # pkcs1v15 | oaep (UNVERIFIED per region)
    password_cross_province_exempt: bool = True
    # E-voucher platform (电子凭证中台); empty = same host as base_url.
    ec_base_url: str = ""
    ec_path: str = "/localcfc/api/hsecfc/localQrCodeQuery"
    # The keyboard-wedge QR in ec.query data.ecQrCode: only where the region takes it (Shanghai
    # SE01-style); the national path is the e-voucher SDK driving the scan box (client.devices.identify).
    ec_wedge_qr: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "state_dir", Path(self.state_dir))
        self.validate()

    def validate(self) -> None:
        problems: list[str] = []
        if not self.base_url.startswith(("http://", "https://")):
            problems.append("医保中心地址 base_url 必须以 http:// 或 https:// 开头")
        if not FIXMEDINS_CODE_RE.match(self.fixmedins_code or ""):
            problems.append(f"定点医药机构编号 fixmedins_code 必须是12位字母或数字（当前为“{self.fixmedins_code}”）")
        if not self.fixmedins_name:
            problems.append("定点医药机构名称 fixmedins_name 不能为空")
        if not ADMVS_RE.match(self.mdtrtarea_admvs or ""):
            problems.append(f"就医地医保区划 mdtrtarea_admvs 必须是6位数字（当前为“{self.mdtrtarea_admvs}”）")
        if self.opter_type not in ("1", "2", "3"):
            problems.append("经办人类别 opter_type 只能是 1、2 或 3")
        if self.gateway not in GATEWAYS:
            problems.append(f"网关类型 gateway 只能是 {'/'.join(GATEWAYS)}")
        if self.gateway == "x-tif" and not (self.paasid and self.secret):
            problems.append("x-tif 网关需要配置 paasid 和密钥")
        if self.gateway == "x-ca" and not self.secret:
            problems.append("x-ca（浙江）网关需要配置密钥")
        if self.gateway == "csb" and not (self.access_key and self.secret and self.csb_api_name):
            problems.append("CSB 网关需要配置 access_key、密钥和 csb_api_name")
        if self.url_mode not in URL_MODES:
            problems.append(f"URL 模式 url_mode 只能是 {'/'.join(URL_MODES)}")
        bad_map = [f"{k}→{v}" for k, v in self.infno_map.items()
                   if not (INFNO_RE.match(str(k)) and INFNO_RE.match(str(v)) and str(v)[:4] == str(k)[:4])]
        if bad_map:
            problems.append("交易编号映射 infno_map 中以下项不正确：" + "、".join(bad_map)
                            + "（键和值都应是交易编号，且只在末尾加字母，如 2207→2207A）")
        problems += self.password.validate()
        if self.plc_field not in ("fixmedins_code", "filename", "none"):
            problems.append("plc_field 只能是 fixmedins_code、filename 或 none")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            problems.append("超时时间必须大于0")
        if self.read_retries < 0 or self.read_retries > 5:
            problems.append("查询类交易重试次数 read_retries 必须在0到5之间")
        if self.ca_bundle and not Path(self.ca_bundle).is_file():
            problems.append(f"CA 证书文件不存在：{self.ca_bundle}")
        if problems:
            raise ApiConfigError("医保接口配置有误：" + "；".join(problems) + "。请在系统设置中修改后重试。")

    # -- derived -------------------------------------------------------------------------
    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    @property
    def verify(self) -> bool | str:
        """The value for requests' ``verify``: a CA bundle path, or True/False."""
        if self.ca_bundle:
            return self.ca_bundle
        return self.verify_tls

    @property
    def password(self) -> PasswordCheck:
        return PasswordCheck(self.password_check, tuple(self.password_infnos), self.password_public_key,
                             self.password_padding, self.password_cross_province_exempt)

    def wire_infno(self, infno: str) -> str:
        """The infno this region's platform knows for the national ``infno`` (``infno_map``)."""
        return self.infno_map.get(infno, infno)

    def url_for(self, infno: str) -> str:
        """The URL for a WIRE infno (after ``wire_infno``)."""
        base = self.base_url.rstrip("/")
        if self.url_mode == "infno":
            return f"{base}/{infno}"
        if self.url_mode == "paths":
            path = self.paths.get(infno) or DEFAULT_PATHS.get(infno)
            if path:
                return base + path
        return base + self.single_path

    @property
    def ec_url(self) -> str:
        return (self.ec_base_url or self.base_url).rstrip("/") + self.ec_path

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> ApiSettings:
        """Build from a config mapping (unknown keys are rejected with a clear message)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ApiConfigError(f"医保接口配置中有无法识别的项：{', '.join(unknown)}。请检查拼写。")
        missing = [n for n in ("base_url", "fixmedins_code", "fixmedins_name", "mdtrtarea_admvs", "state_dir")
                   if n not in data]
        if missing:
            raise ApiConfigError(f"医保接口配置缺少必填项：{', '.join(missing)}。")
        return cls(**data)
