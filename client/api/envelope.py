"""Request envelope (reference §1.1) and response envelope (§1.2)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .settings import SUCCESS_ERR_MSGS, ApiSettings
from .wire import check_no_floats

# §1.1 field order.
ENVELOPE_FIELDS = (
    "infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "recer_sys_code", "dev_no",
    "dev_safe_info", "cainfo", "signtype", "infver", "opter_type", "opter", "opter_name",
    "inf_time", "fixmedins_code", "fixmedins_name", "sign_no", "input",
)
INF_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

_INT_RE = re.compile(r"^-?\d{1,6}$")


def build_envelope(settings: ApiSettings, infno: str, msgid: str, input: dict[str, Any], *,
                   opter: str, opter_name: str, insuplc_admdvs: str = "", sign_no: str = "",
                   now: datetime | None = None, recer_sys_code: str | None = None,
                   cainfo: str = "", signtype: str = "", dev_safe_info: str = "") -> dict[str, Any]:
    """The request envelope as an ordered dict (every §1.1 field, then regional extras)."""
    if not isinstance(input, dict):
        raise TypeError("input must be a JSON object (dict)")
    check_no_floats(input)
    env: dict[str, Any] = {
        "infno": infno,
        "msgid": msgid,
        "mdtrtarea_admvs": settings.mdtrtarea_admvs,
        "insuplc_admdvs": insuplc_admdvs or "",
        "recer_sys_code": recer_sys_code if recer_sys_code is not None else settings.recer_sys_code,
        "dev_no": settings.dev_no,
        "dev_safe_info": dev_safe_info,
        "cainfo": cainfo,
        "signtype": signtype,
        "infver": settings.infver,
        "opter_type": settings.opter_type,
        "opter": opter,
        "opter_name": opter_name,
        "inf_time": (now or datetime.now()).strftime(INF_TIME_FORMAT),
        "fixmedins_code": settings.fixmedins_code,
        "fixmedins_name": settings.fixmedins_name,
        "sign_no": sign_no or "",
        "input": input,
    }
    if settings.fixmedins_soft_fcty is not None:
        env["fixmedins_soft_fcty"] = settings.fixmedins_soft_fcty
    if settings.enc_type is not None:
        env["enc_type"] = settings.enc_type
    return env


def encode_body(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class Response:
    """A parsed §1.2 response. ``output`` numbers are Decimal (never float)."""

    infcode: int
    err_msg: str
    warn_msg: str
    inf_refmsgid: str
    refmsg_time: str
    respond_time: str
    output: dict[str, Any]
    msgid: str = ""
    infno: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    success_err_msgs: tuple[str, ...] = field(default=SUCCESS_ERR_MSGS, repr=False)

    @property
    def ok(self) -> bool:
        """The platform accepted the call (infcode 0). See :attr:`needs_review` before treating it as done."""
        return self.infcode == 0

    @property
    def review_msg(self) -> str:
        """infcode 0 but a non-empty err_msg that is not one of the success words: the platform said
        something beside "success". The text, verbatim; "" when there is nothing to review."""
        if self.infcode != 0:
            return ""
        text = self.err_msg.strip()
        if not text or text.lower() in {w.lower() for w in self.success_err_msgs}:
            return ""
        return self.err_msg

    @property
    def needs_review(self) -> bool:
        return bool(self.review_msg)


class EnvelopeFormatError(ValueError):
    """Internal: the body is not a valid §1.2 envelope (turned into MalformedResponse)."""


def _str_field(doc: dict[str, Any], name: str) -> str:
    v = doc.get(name)
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, int | Decimal) and not isinstance(v, bool):
        return f"{v:f}" if isinstance(v, Decimal) else str(v)
    raise EnvelopeFormatError(f"{name} 类型错误")


def parse_infcode(v: Any) -> int:
    if isinstance(v, bool) or v is None:
        raise EnvelopeFormatError("infcode 缺失或类型错误")
    if isinstance(v, int):
        return v
    if isinstance(v, Decimal) and v == v.to_integral_value():
        return int(v)
    if isinstance(v, str):
        t = v.strip()
        if _INT_RE.match(t):
            return int(t)
    raise EnvelopeFormatError(f"infcode 无效：{v!r}")


def parse_response(body: bytes | str, *, success_err_msgs: tuple[str, ...] = SUCCESS_ERR_MSGS) -> Response:
    """Parse a response body; raises EnvelopeFormatError for anything that is not an envelope.
    Extra fields are kept in ``raw``; null scalars become ""."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise EnvelopeFormatError("不是 UTF-8 文本") from None
    else:
        text = body
    if not text.strip():
        raise EnvelopeFormatError("应答为空")
    try:
        doc = json.loads(text, parse_float=Decimal)
    except ValueError:
        raise EnvelopeFormatError("不是 JSON") from None
    if not isinstance(doc, dict):
        raise EnvelopeFormatError("应答不是 JSON 对象")
    if "infcode" not in doc:
        raise EnvelopeFormatError("缺少 infcode")
    infcode = parse_infcode(doc["infcode"])
    output = doc.get("output")
    if infcode == 0:
        if output is None or output == "":
            output = {}
        elif isinstance(output, str):
            raise EnvelopeFormatError("output 是字符串（可能为加密报文，本客户端不支持 SM4 加密）")
        elif not isinstance(output, dict):
            raise EnvelopeFormatError(f"output 类型错误（{type(output).__name__}）")
    elif not isinstance(output, dict):
        output = {}   # failures often carry null / "" here; err_msg is what matters
    return Response(
        infcode=infcode,
        err_msg=_str_field(doc, "err_msg"),
        warn_msg=_str_field(doc, "warn_msg"),
        inf_refmsgid=_str_field(doc, "inf_refmsgid"),
        refmsg_time=_str_field(doc, "refmsg_time"),
        respond_time=_str_field(doc, "respond_time"),
        output=output,
        raw=doc,
        success_err_msgs=tuple(success_err_msgs),
    )
