"""Typed errors of the central-interface client.

Every error carries a Chinese message a cashier / IT user can act on (``str(err)``) and the
technical facts (infno, msgid) needed to resolve it later. Hierarchy::

    ApiError
      ApiConfigError        settings / local state unusable (nothing was sent)
      BusinessError         the platform answered infcode != 0 (err_msg kept verbatim)
      TransportError        no usable answer; .outcome_unknown tells whether it may have been processed
        MalformedResponse   an answer came back but it is not a valid envelope
      BundleMacError        a 9901 policy bundle failed its MAC check
"""

from __future__ import annotations


class ApiError(Exception):
    """Base class of every error raised by client.api."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class ApiConfigError(ApiError):
    """Configuration or local state is unusable; nothing was sent to the platform."""


class BusinessError(ApiError):
    """The platform processed the request and refused it (infcode != 0).

    ``err_msg`` is exactly what the platform sent; the message shows it verbatim with a hint.
    """

    def __init__(self, infcode: int, err_msg: str, msgid: str, infno: str, *,
                 warn_msg: str = "", inf_refmsgid: str = ""):
        self.infcode = infcode
        self.err_msg = err_msg
        self.msgid = msgid
        self.infno = infno
        self.warn_msg = warn_msg
        self.inf_refmsgid = inf_refmsgid
        shown = err_msg if err_msg else "（中心未返回错误信息）"
        super().__init__(
            f"医保中心拒绝了交易 {infno}：{shown}"
            f"\n请按上述提示核对后再试；如不明白提示内容，请联系医保办或信息科（报文ID {msgid}）。")


# Settlement-type transactions get the strongest wording.
_SETTLEMENT_INFNOS = {"2207", "2304", "2208", "2305"}


class TransportError(ApiError):
    """No usable answer from the platform.

    ``outcome_unknown`` is True when the request may have reached the platform and been
    processed (state-changing transaction, response lost / unusable). The caller must then
    resolve the outcome by querying (e.g. 5203 by medins_setl_id = msgid), never by resending.
    """

    def __init__(self, msgid: str, infno: str, outcome_unknown: bool, cause: str, *,
                 http_status: int | None = None, message: str | None = None):
        self.msgid = msgid
        self.infno = infno
        self.outcome_unknown = outcome_unknown
        self.cause = cause
        self.http_status = http_status
        super().__init__(message or _transport_message(infno, msgid, outcome_unknown, cause))


def _transport_message(infno: str, msgid: str, outcome_unknown: bool, cause: str) -> str:
    if outcome_unknown:
        what = "结算结果未知" if infno in _SETTLEMENT_INFNOS else f"交易 {infno} 的结果未知"
        verb = "请勿重复结算" if infno in _SETTLEMENT_INFNOS else "请勿重复提交"
        return (f"{what}：请求可能已被医保中心处理，但没有收到有效应答（{cause}）。"
                f"{verb}，系统将查询确认（报文ID {msgid}）。")
    return (f"交易 {infno} 未能完成：{cause}。本次请求未被医保中心处理，可以稍后重试；"
            f"如持续失败，请检查网络和医保接口配置或联系信息科。")


class MalformedResponse(TransportError):
    """A response arrived but is not a valid §1.2 envelope (not JSON, no infcode, bad output)."""

    def __init__(self, msgid: str, infno: str, outcome_unknown: bool, cause: str, *,
                 http_status: int | None = None):
        super().__init__(msgid, infno, outcome_unknown, f"应答格式错误：{cause}",
                         http_status=http_status)


class BundleMacError(ApiError):
    """A 9901 policy bundle did not pass its HMAC-SHA256 check: it must not be used."""

    def __init__(self, ver: str = ""):
        self.ver = ver
        super().__init__(
            f"政策包{('（版本 ' + ver + '）') if ver else ''}校验失败，可能被篡改或密钥配置错误，"
            "已拒绝使用。请联系信息科核对政策包校验密钥。")
