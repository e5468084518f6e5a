"""Identify the patient through a device (reference §6; docs/central-interface.md "Identification devices").

One interface, :class:`PatientIdentifier`: ``identify(method) -> IdentifyResult``. The result carries the
method that identified the patient, the decoded person fields and the certificate for 1101:

==========  ===================  ==========================  =========
method      mdtrt_cert_type      mdtrt_cert_no               card_sn
==========  ===================  ==========================  =========
ecvoucher   01                   ecToken                     —
face        01                   ecToken                     —
card        03                   卡号                        卡识别码
certno      02                   身份证号                    —
wedge       01 (after ec.query)  ecToken (decoded later)     —
==========  ===================  ==========================  =========

Implementations:

* :class:`NationEcSdk` — the NHSA e-voucher SDK (``NationECCode.dll``,
  ``NationEcTrans(strUrl, pindata, poutdata)``) via ctypes on Windows. The national ``ec.query`` input
  carries NO QR: the SDK drives the certified scan box, which reads the 28-digit code itself and the
  SDK returns the decoded person and ecToken. Also ``localEcTokenCheck`` (token check) and
  ``cn.nhsa.ec.auth`` with ``gainWay`` "FACE" (刷脸授权). On other systems: a clear Chinese message.
* :class:`CardIdentifier` — wraps a :class:`client.devices.cardreader.CardReader`.
* :class:`WedgeScanIdentifier` — a keyboard-wedge scanner's text, only where the region allows the raw
  QR (Shanghai SE01-style ``ecQrCode``); the QR is decoded by ``ec.query`` with ``ecQrCode``.
* :class:`TrainingScanBox` — TRAINING: the same SDK requests, sent over HTTP to the training
  platform's e-voucher endpoint, with the training person "in front of the scan box" named in the
  training-only top-level field ``trainingScanBox`` (our convention). Faults busy / timeout /
  cancelled can be armed (one shot each) by a test or the training menu.

Every failure is :class:`IdentifyDeviceError` with a Chinese ``message`` and a ``kind``; nothing is
sent to the national platform and nothing is written before a device has answered.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["METHODS", "METHOD_LABELS", "CardIdentifier", "IdentifyDeviceError", "IdentifyResult", "NationEcSdk",
           "PatientIdentifier", "TrainingScanBox", "TypedCertno", "WedgeScanIdentifier", "certno_result", "is_ec_code",
           "result_from_ec_answer"]

METHODS = ("ecvoucher", "face", "card", "certno", "wedge")
METHOD_LABELS = {"ecvoucher": "医保电子凭证", "face": "刷脸", "card": "社保卡", "certno": "身份证号",
                 "wedge": "扫码枪"}
EC_CODE_RE = re.compile(r"[0-9]{28}")
FACE_GAIN_WAY = "FACE"
TRANS_QUERY = "ec.query"
TRANS_FACE = "cn.nhsa.ec.auth"
TRANS_TOKEN_CHECK = "localEcTokenCheck"   # UNVERIFIED transType name (docs/central-interface.md conventions)
SDK_OUT_SIZE = 8192

FAULT_MESSAGES = {
    "busy": "扫码盒正忙（上一位患者的识别尚未结束），请稍候几秒再按识别。本次未发送任何医保交易。",
    "timeout": "扫码盒等待超时：未读到医保码或人脸，请患者重新出示医保电子凭证（或正对摄像头）后再按识别。"
               "本次未发送任何医保交易。",
    "cancelled": "患者在扫码盒上取消了本次识别。如需继续，请重新按识别；本次未发送任何医保交易。",
}
FAULTS = tuple(FAULT_MESSAGES)


class IdentifyDeviceError(Exception):
    """The device could not identify the patient. ``kind``: busy | timeout | cancelled | unavailable |
    refused | invalid | offline."""

    def __init__(self, message: str, kind: str = "refused"):
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class IdentifyResult:
    method: str
    mdtrt_cert_type: str
    mdtrt_cert_no: str = ""
    card_sn: str = ""
    psn_name: str = ""
    certno: str = ""
    psn_cert_type: str = "01"
    insu_org: str = ""
    ec_qr_code: str = ""       # the raw code where the device returns it (or the wedge's text)
    auth_no: str = ""          # face authorisation number
    card_data: str = ""        # the card reader's raw pipe string (card)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)

    def __repr__(self) -> str:  # never the ID number, name or token in logs
        return (f"IdentifyResult(method={self.method!r}, mdtrt_cert_type={self.mdtrt_cert_type!r}, "
                f"insu_org={self.insu_org!r}, cert_no=<{len(self.mdtrt_cert_no)} chars>)")


@runtime_checkable
class PatientIdentifier(Protocol):
    """Identify the patient in front of the window by ``method`` (one of :data:`METHODS`)."""

    methods: tuple[str, ...]

    def identify(self, method: str) -> IdentifyResult: ...


def is_ec_code(text: str) -> bool:
    """A 28-digit e-voucher code (e.g. 4243754826492874240001130000, reference §6)."""
    return bool(EC_CODE_RE.fullmatch((text or "").strip()))


def result_from_ec_answer(method: str, data: dict[str, Any]) -> IdentifyResult:
    """The decoded person of an ``ec.query`` / ``cn.nhsa.ec.auth`` answer → 01 + ecToken."""
    def g(k: str) -> str:
        v = data.get(k)
        return "" if v is None else str(v)

    if not g("ecToken"):
        raise IdentifyDeviceError("电子凭证应答中没有令牌（ecToken），无法查询参保信息，请重新识别。", "invalid")
    return IdentifyResult(method=method, mdtrt_cert_type="01", mdtrt_cert_no=g("ecToken"), psn_name=g("userName"),
                          certno=g("idNo"), psn_cert_type=g("idType") or "01", insu_org=g("insuOrg"),
                          ec_qr_code=g("ecQrCode"), auth_no=g("authNo"), raw=dict(data))


def certno_result(certno: str) -> IdentifyResult:
    """An ID number typed at the window → 02 + certno (validated)."""
    from client.domain.identity import IdentityError, parse_resident_id

    try:
        rid = parse_resident_id(certno)
    except IdentityError as exc:
        raise IdentifyDeviceError(exc.message, "invalid") from None
    return IdentifyResult(method="certno", mdtrt_cert_type="02", mdtrt_cert_no=rid.certno, certno=rid.certno)


def _check_method(dev: Any, method: str) -> None:
    if method not in dev.methods:
        names = "、".join(METHOD_LABELS[m] for m in dev.methods)
        raise IdentifyDeviceError(f"该设备不支持“{METHOD_LABELS.get(method, method)}”识别（支持：{names}）。", "invalid")


def _sdk_answer(doc: Any, trans: str) -> dict[str, Any]:
    """``{"code":0,"data":{...}|"<json>","message":...}`` → data; refusals → IdentifyDeviceError."""
    if not isinstance(doc, dict) or "code" not in doc:
        raise IdentifyDeviceError(f"电子凭证 SDK 的应答格式不对（{trans}），请重试或改用社保卡/身份证号。", "invalid")
    if str(doc.get("code")).strip() not in ("0", "0000"):
        msg = str(doc.get("message") or "未说明原因")
        raise IdentifyDeviceError(f"电子凭证识别失败：{msg}", "refused")
    data = doc.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data) if data.strip() else {}
        except ValueError:
            raise IdentifyDeviceError("电子凭证 SDK 应答中的 data 不是有效的 JSON。", "invalid") from None
    return data if isinstance(data, dict) else {}


# ------------------------------------------------------------------------------------------ SDK
class NationEcSdk:
    """ctypes binding of ``NationECCode.dll``: ``char* NationEcTrans(char* strUrl, char* pindata,
    char* poutdata)`` — returns "0000" on success, the answer JSON in ``poutdata`` (reference §6).

    ``pindata`` is built as the national SDK input (``client.api.evoucher.EVoucherClient.pindata``
    shape, no QR). Windows only; strings in ``encoding`` (GBK by default, as the vendor DLLs expect)."""

    methods = ("ecvoucher", "face")

    def __init__(self, lib_path: str | os.PathLike[str], url: str, *, org_id: str,
                 operator: Any, business_type: str = "01301", device_type: str = "",
                 encoding: str = "gbk", stdcall: bool = True, platform: str = sys.platform):
        self.lib_path = os.fspath(lib_path)
        self.url = url
        self.org_id = org_id
        self.operator = operator
        self.business_type = business_type
        self.device_type = device_type
        self.encoding = encoding
        self.stdcall = stdcall          # WinDLL (stdcall) on Windows; False = cdecl
        self.platform = platform        # the SDK exists for Windows only
        self._lib: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._lib is not None:
            return self._lib
        if self.platform != "win32":
            raise IdentifyDeviceError(
                "国家医保电子凭证 SDK（NationECCode.dll）只能在 Windows 收费电脑上使用，本机无法调用扫码盒。"
                "请改用社保卡或身份证号识别；培训时请使用培训扫码盒。", "unavailable")
        if not os.path.exists(self.lib_path):
            raise IdentifyDeviceError(f"电子凭证 SDK 动态库不存在：{self.lib_path}，请安装国家医保电子凭证 SDK 并检查配置中的库路径。",
                                      "unavailable")
        try:
            if self.stdcall and sys.platform == "win32":
                lib = ctypes.WinDLL(self.lib_path)  # type: ignore[attr-defined]
            else:
                lib = ctypes.CDLL(self.lib_path)
            fn = lib.NationEcTrans
        except (OSError, AttributeError) as exc:
            raise IdentifyDeviceError(f"无法加载电子凭证 SDK {self.lib_path}（{exc}），请检查 SDK 是否完整、位数是否匹配。",
                                      "unavailable") from None
        fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
        fn.restype = ctypes.c_char_p
        self._lib = lib
        return lib

    def pindata(self, trans_type: str, extra_data: dict[str, Any] | None = None) -> dict[str, Any]:
        op = self.operator
        data = {"orgId": self.org_id, "businessType": self.business_type, "operatorId": op.opter,
                "operatorName": op.opter_name, "officeId": op.office_id, "officeName": op.office_name,
                "deviceType": self.device_type}
        data.update(extra_data or {})
        return {"data": data, "orgId": self.org_id, "transType": trans_type}

    def trans(self, pindata: dict[str, Any]) -> dict[str, Any]:
        lib = self._load()
        out = ctypes.create_string_buffer(SDK_OUT_SIZE)
        with self._lock:
            rc = lib.NationEcTrans(self.url.encode(self.encoding),
                                   json.dumps(pindata, ensure_ascii=False).encode(self.encoding), out)
        raw = out.raw.split(b"\x00", 1)[0]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="replace")
        rc_text = (rc or b"").decode("ascii", errors="replace") if isinstance(rc, bytes) else str(rc or "")
        try:
            doc = json.loads(text)
        except ValueError:
            raise IdentifyDeviceError(f"电子凭证 SDK 返回 {rc_text or '空'}，应答不是 JSON：{text[:80]}", "invalid") from None
        return _sdk_answer(doc, str(pindata.get("transType")))

    def identify(self, method: str) -> IdentifyResult:
        _check_method(self, method)
        if method == "face":
            data = self.trans(self.pindata(TRANS_FACE, {"gainWay": FACE_GAIN_WAY}))
        else:
            data = self.trans(self.pindata(TRANS_QUERY))
        return result_from_ec_answer(method, data)

    def check_token(self, ec_token: str) -> dict[str, Any]:
        return self.trans(self.pindata(TRANS_TOKEN_CHECK, {"ecToken": ec_token}))


class TypedCertno:
    """The ID number typed (or read from the ID card) at the window → 02 + certno."""

    methods = ("certno",)

    def __init__(self, certno: str):
        self.certno = certno

    def identify(self, method: str = "certno") -> IdentifyResult:
        _check_method(self, method)
        return certno_result(self.certno)


# ------------------------------------------------------------------------------------------ card
class CardIdentifier:
    """A social-security card reader (``CardReader``: Vendor/Simulated) → 03 + 卡号 + 卡识别码."""

    methods = ("card",)

    def __init__(self, reader: Any):
        self.reader = reader

    def identify(self, method: str = "card") -> IdentifyResult:
        from .cardreader import CardReaderError

        _check_method(self, method)
        try:
            card = self.reader.read_card()
        except CardReaderError as exc:
            raise IdentifyDeviceError(exc.message, "refused") from None
        return IdentifyResult(method="card", mdtrt_cert_type="03", mdtrt_cert_no=card.card_no, card_sn=card.card_sn,
                              psn_name=card.psn_name, certno=card.certno, card_data=card.raw)


# ------------------------------------------------------------------------------------------ wedge
class WedgeScanIdentifier:
    """A keyboard-wedge scanner's text. Only where the region takes the raw QR in ``ecQrCode``
    (Shanghai SE01-style, ``allowed``); elsewhere a clear message pointing to the scan box."""

    methods = ("wedge",)

    def __init__(self, allowed: bool):
        self.allowed = allowed
        self._text = ""

    def feed(self, text: str) -> None:
        self._text = (text or "").strip()

    def identify(self, method: str = "wedge") -> IdentifyResult:
        _check_method(self, method)
        if not self.allowed:
            raise IdentifyDeviceError("本地区不接受扫码枪读取的医保码内容（国家接口由电子凭证 SDK 驱动扫码盒读码），"
                                      "请让患者在扫码盒上出示医保电子凭证。", "unavailable")
        text, self._text = self._text, ""
        if not text:
            raise IdentifyDeviceError("扫码枪没有读到内容，请让患者重新出示医保码后再扫。", "timeout")
        return IdentifyResult(method="wedge", mdtrt_cert_type="01", ec_qr_code=text)


# ------------------------------------------------------------------------------------------ training
class TrainingScanBox:
    """TRAINING scan box: the SDK requests (ec.query without QR, cn.nhsa.ec.auth FACE, token check)
    sent by ``client.api.evoucher.EVoucherClient`` to the training platform, with the training-only
    top-level field ``trainingScanBox`` = ``{"ecQrCode": <28 digits>}`` or ``{"certno": ...}`` naming
    who stands in front of the box (docs/central-interface.md conventions). Faults: :meth:`arm`."""

    methods = ("ecvoucher", "face")

    def __init__(self, evoucher: Any, operator: Any, *, business_type: str = "01301",
                 on_fault: Callable[[str], None] | None = None):
        self.evoucher = evoucher
        self.operator = operator
        self.business_type = business_type
        self._present: dict[str, str] = {}
        self._faults: list[str] = []
        self._busy = threading.Lock()
        self._on_fault = on_fault

    # -- the training side: who is in front of the box, which fault comes next
    def present(self, *, ec_code: str = "", certno: str = "") -> None:
        """The training person stands in front of the box: their 28-digit code (e-voucher) or
        ID number (face check; an e-voucher by ID number when no code is given)."""
        if ec_code and not is_ec_code(ec_code):
            raise IdentifyDeviceError("培训电子凭证码应为28位数字。", "invalid")
        self._present = {k: v for k, v in (("ecQrCode", ec_code.strip()), ("certno", certno.strip())) if v}

    @property
    def has_person(self) -> bool:
        return bool(self._present)

    def arm(self, fault: str) -> None:
        if fault not in FAULT_MESSAGES:
            raise ValueError(f"unknown training scan-box fault {fault!r}; one of {FAULTS}")
        self._faults.append(fault)

    def disarm(self) -> None:
        self._faults.clear()

    # -- PatientIdentifier
    def identify(self, method: str = "ecvoucher") -> IdentifyResult:
        """Errors of the e-voucher platform itself (refusal, no connection) are the e-voucher
        client's (``client.api`` BusinessError / TransportError); the caller translates them."""
        _check_method(self, method)
        if not self._busy.acquire(blocking=False):
            raise IdentifyDeviceError(FAULT_MESSAGES["busy"], "busy")
        try:
            if self._faults:
                fault = self._faults.pop(0)
                if self._on_fault:
                    self._on_fault(fault)
                raise IdentifyDeviceError(FAULT_MESSAGES[fault], fault)
            if not self._present:
                raise IdentifyDeviceError(FAULT_MESSAGES["timeout"], "timeout")
            trans, extra = (TRANS_FACE, {"gainWay": FACE_GAIN_WAY}) if method == "face" else (TRANS_QUERY, None)
            pin = self.evoucher.pindata(None, self.business_type, self.operator, trans_type=trans, extra_data=extra,
                                        extra_top={"trainingScanBox": dict(self._present)})
            ident = self.evoucher.post(pin)
            self._present = {}
            return result_from_ec_answer(method, dict(ident.raw))
        finally:
            self._busy.release()

    def check_token(self, ec_token: str) -> dict[str, Any]:
        """``localEcTokenCheck``; a refusal is the e-voucher client's BusinessError."""
        pin = self.evoucher.pindata(None, self.business_type, self.operator, trans_type=TRANS_TOKEN_CHECK,
                                    extra_data={"ecToken": ec_token})
        return dict(self.evoucher.post(pin, need_token=False).raw)
