"""医保电子凭证 decoding (电子凭证中台, ``ec.query``) and the 1101 request builders (reference §6)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from .client import Operator, _describe, _never_sent
from .errors import ApiConfigError, BusinessError, MalformedResponse, TransportError
from .settings import ApiSettings
from .transactions import QueryPerson

log = logging.getLogger("client.api")


@dataclass(frozen=True)
class EVoucherIdentity:
    ecToken: str  # noqa: N815 - wire names
    idNo: str  # noqa: N815
    idType: str  # noqa: N815
    userName: str  # noqa: N815
    insuOrg: str  # noqa: N815
    gender: str = ""
    birthday: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:  # never show the ID number / name in logs or tracebacks
        return f"EVoucherIdentity(insuOrg={self.insuOrg!r}, idType={self.idType!r}, ecToken=<{len(self.ecToken)} chars>)"


class EVoucherClient:
    """POST {ec_base_url}/localcfc/api/hsecfc/localQrCodeQuery with transType "ec.query"."""

    def __init__(self, settings: ApiSettings, session: requests.Session | None = None, *,
                 device_type: str = "", sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.session = session or requests.Session()
        self.device_type = device_type
        self._sleep = sleep

    def close(self) -> None:
        self.session.close()

    def pindata(self, qr_payload: str | None, business_type: str, operator: Operator, *,
                trans_type: str = "ec.query", extra_data: dict[str, Any] | None = None,
                extra_top: dict[str, Any] | None = None) -> dict[str, Any]:
        """The SDK input. The national ``ec.query`` data carries NO QR (the certified scan box reads
        it); ``qr_payload`` is added as ``ecQrCode`` only for the Shanghai SE01 / keyboard-wedge
        variant (reference §6)."""
        data: dict[str, Any] = {
            "orgId": self.settings.fixmedins_code,
            "businessType": business_type,
            "operatorId": operator.opter,
            "operatorName": operator.opter_name,
            "officeId": operator.office_id,
            "officeName": operator.office_name,
            "deviceType": self.device_type,
        }
        if qr_payload is not None:
            data["ecQrCode"] = qr_payload
        data.update(extra_data or {})
        out: dict[str, Any] = {"data": data, "orgId": self.settings.fixmedins_code, "transType": trans_type}
        out.update(extra_top or {})
        return out

    def decode(self, qr_payload: str, business_type: str = "01301", *, operator: Operator) -> EVoucherIdentity:
        """The keyboard-wedge / SE01 variant: the raw QR content sent in ``ecQrCode``."""
        if not qr_payload or not qr_payload.strip():
            raise ApiConfigError("电子凭证二维码内容为空，请让患者重新出示医保码后再扫。")
        return self.post(self.pindata(qr_payload.strip(), business_type, operator))

    def post(self, pindata: dict[str, Any], *, need_token: bool = True) -> EVoucherIdentity:
        """POST one SDK request (any transType) to the e-voucher platform; the parsed answer."""
        trans = str(pindata.get("transType") or "ec.query")
        body = json.dumps(pindata, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        attempts = 1 + self.settings.read_retries
        for attempt in range(attempts):
            started = time.monotonic()
            try:
                r = self.session.post(self.settings.ec_url, data=body, timeout=self.settings.timeout,
                                      verify=self.settings.verify,
                                      headers={"Content-Type": "application/json;charset=UTF-8"})
            except requests.RequestException as exc:
                err = TransportError("", trans, False, _describe(exc) if _never_sent(exc) else
                                     _describe(exc) + "（电子凭证解码为查询，可重试）")
                if attempt + 1 >= attempts:
                    raise err from exc
                self._sleep(min(self.settings.backoff_max, self.settings.backoff_base * 2 ** attempt))
                continue
            log.info("%s status=%s duration_ms=%.0f", trans, r.status_code, (time.monotonic() - started) * 1000)
            try:
                doc = json.loads(r.content.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError):
                if r.status_code >= 500 and attempt + 1 < attempts:
                    self._sleep(min(self.settings.backoff_max, self.settings.backoff_base * 2 ** attempt))
                    continue
                raise MalformedResponse("", trans, False, f"电子凭证平台返回的不是 JSON（HTTP {r.status_code}）",
                                        http_status=r.status_code) from None
            return self._parse(doc, need_token=need_token)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _parse(doc: Any, *, need_token: bool = True) -> EVoucherIdentity:
        if not isinstance(doc, dict) or "code" not in doc:
            raise MalformedResponse("", "ec.query", False, "电子凭证平台应答缺少 code")
        code = doc.get("code")
        if str(code).strip() not in ("0", "0000"):
            try:
                icode = int(str(code).strip())
            except ValueError:
                icode = -1
            raise BusinessError(icode, str(doc.get("message") or ""), "", "ec.query")
        data = doc.get("data")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise MalformedResponse("", "ec.query", False, "data 不是有效的 JSON 字符串") from None
        if data is None and not need_token:
            data = {}
        if not isinstance(data, dict) or (need_token and not data.get("ecToken")):
            raise MalformedResponse("", "ec.query", False, "电子凭证平台应答缺少 ecToken")

        def g(k: str) -> str:
            v = data.get(k)
            return "" if v is None else str(v)

        return EVoucherIdentity(g("ecToken"), g("idNo"), g("idType") or "01", g("userName"), g("insuOrg"),
                                g("gender"), g("birthday"), data)


def query_person_by_ecvoucher(ident: EVoucherIdentity) -> QueryPerson:
    """1101 for an e-voucher: mdtrt_cert_type 01, mdtrt_cert_no = ecToken, plus the identity."""
    return QueryPerson(mdtrt_cert_type="01", mdtrt_cert_no=ident.ecToken, psn_cert_type=ident.idType or "01",
                       certno=ident.idNo, psn_name=ident.userName)


def query_person_by_card(card_no: str, card_sn: str, *, certno: str = "", psn_name: str = "",
                         psn_cert_type: str = "01") -> QueryPerson:
    """1101 for a social-security card: mdtrt_cert_type 03, mdtrt_cert_no = 卡号, card_sn = 卡识别码."""
    return QueryPerson(mdtrt_cert_type="03", mdtrt_cert_no=card_no, card_sn=card_sn,
                       psn_cert_type=psn_cert_type, certno=certno, psn_name=psn_name)


def query_person_by_certno(certno: str, *, psn_cert_type: str = "01", psn_name: str = "") -> QueryPerson:
    """1101 for an ID number: mdtrt_cert_type 02, mdtrt_cert_no = certno = 身份证号."""
    return QueryPerson(mdtrt_cert_type="02", mdtrt_cert_no=certno, psn_cert_type=psn_cert_type,
                       certno=certno, psn_name=psn_name)
