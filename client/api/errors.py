"""Typed errors of the central-interface client.

Every error carries a Chinese message a cashier / IT user can act on (``str(err)``) and the
technical facts (infno, msgid) needed to resolve it later. Hierarchy::

    ApiError
      ApiConfigError        settings / local state unusable (nothing was sent)
      BusinessError         the platform answered infcode != 0 (err_msg kept verbatim);
                            .needs_sign_in: the refusal asks for a new 9001 (see asks_for_sign_in)
                            .unknown_infno: the platform does not know the infno (see says_unknown_infno)
      TransportError        no usable answer; .outcome_unknown tells whether it may have been processed
        MalformedResponse   an answer came back but it is not a valid envelope
      BundleMacError        a 9901 policy bundle failed its MAC check

``retry_after`` (BusinessError, TransportError): seconds the platform asked us to wait, or None.
The national interface documents no such field in its envelope (reference §1.2: infcode, err_msg,
output, warn_msg, …) and no header of its own, so it comes only from HTTP's standard
``Retry-After`` header when a gateway sends one (``retry_after_header``); it is never read out of
message text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# The word in an err_msg that asks for a new 9001 (see asks_for_sign_in).
SIGN_IN_WORD = "签到"
# Sign-in itself and sign-out: a new 9001 cannot cure their refusal.
_SIGN_IN_INFNOS = frozenset({"9001", "9002"})


def asks_for_sign_in(infno: str, err_msg: str) -> bool:
    """True when a refusal of ``infno`` means "this sign_no is not (or no longer) valid: sign in
    (9001) again".

    This is a rule on message TEXT, kept here and nowhere else, because the interface gives
    nothing better: infcode is only 0 = success / -1 = failure (reference §1.2; other values are
    an open item, §8), and no err_msg code for an expired sign-in is documented. The rule: an
    err_msg mentioning 签到 (e.g. the training platform's "经办人未签到或签到已失效，请先签到(9001)")
    on a national-interface transaction that carries a sign_no — not 9001/9002 themselves, and not
    other platforms' calls such as the e-voucher ``ec.query``. Replace it with the code once a
    province documents one.
    """
    return (len(infno) >= 4 and infno[:4].isdigit() and infno not in _SIGN_IN_INFNOS
            and SIGN_IN_WORD in (err_msg or ""))


# err_msg words of a platform that does not know the infno: the recorded real refusal
# (real-messages/error-unknown-infno-zjharness.json: "FSI-FSI-交易报文不正确：未知交易编号！,异常流水号:…")
# and the training platform's own default wording ("…不存在或培训平台不支持该交易").
UNKNOWN_INFNO_WORDS = ("未知交易编号", "未知的交易编号", "不支持该交易")


def says_unknown_infno(err_msg: str) -> bool:
    """True when a refusal means "this platform does not know the transaction" (e.g. the MedSettle
    extension 9901 sent to a real platform). A rule on message TEXT like :func:`asks_for_sign_in`,
    for the same reason: no error code for it is documented (reference §8)."""
    return any(w in (err_msg or "") for w in UNKNOWN_INFNO_WORDS)


# Words of a 2601 冲正 refusal meaning "there is nothing to reverse": the original transaction was
# never committed, or its settlement is already cancelled (the recorded Zhejiang refusal
# real-messages/2601-output-zjharness.json: "…退费结算标志不为未退费，不能办理冲正交易…"). Only the
# second is a recorded real text; "no such original" wording is UNVERIFIED (the training platform
# answers "原交易[<omsgid>]不存在，无需冲正"). Configurable: [platform] reversal_void_words.
REVERSAL_VOID_WORDS = ("无需冲正", "退费结算标志不为未退费", "原交易不存在", "未找到原交易")


def reversal_finds_nothing(err_msg: str, words: tuple[str, ...] | None = None) -> bool:
    """True when a refused 2601 means "nothing to reverse" (so the original is NOT in force on the
    platform and the patient may be settled again); False for any other refusal (a supervisor must
    look at it — never guess)."""
    text = err_msg or ""
    return any(w and w in text for w in (REVERSAL_VOID_WORDS if words is None else words))


FEE_CANCEL_VOID_WORDS = ("明细流水号", "不存在")


def fee_cancel_finds_nothing(err_msg: str, words: tuple[str, ...] | None = None) -> bool:
    """True when a refused 2302 (住院费用明细撤销) of one feedetl_sn means "no such line" — the 2301 that
    should have carried it never arrived — so the line may be uploaded again. ALL the words must be in
    the text (default: the line's serial number named and 不存在); any other refusal: not decided here."""
    text = err_msg or ""
    ws = [w for w in (FEE_CANCEL_VOID_WORDS if words is None else words) if w]
    return bool(ws) and all(w in text for w in ws)


def retry_after_header(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from an HTTP ``Retry-After`` header (RFC 9110 §10.2.3: delay-seconds or an
    HTTP-date); None when absent or unreadable. A date in the past gives 0."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


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
    ``needs_sign_in``: the refusal asks for a new 9001 (``asks_for_sign_in``); ``CentralClient``
    then signs in and repeats the call once.
    """

    def __init__(self, infcode: int, err_msg: str, msgid: str, infno: str, *,
                 warn_msg: str = "", inf_refmsgid: str = "", retry_after: float | None = None):
        self.infcode = infcode
        self.err_msg = err_msg
        self.msgid = msgid
        self.infno = infno
        self.warn_msg = warn_msg
        self.inf_refmsgid = inf_refmsgid
        self.needs_sign_in = asks_for_sign_in(infno, err_msg)
        self.unknown_infno = says_unknown_infno(err_msg)
        self.retry_after = retry_after
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
    resolve the outcome the real way — 2601 冲正 of that msgid for a reversible transaction
    (client.services.recovery), 5203 where the setl_id is known — never by resending.
    """

    def __init__(self, msgid: str, infno: str, outcome_unknown: bool, cause: str, *,
                 http_status: int | None = None, message: str | None = None,
                 retry_after: float | None = None):
        self.msgid = msgid
        self.infno = infno
        self.outcome_unknown = outcome_unknown
        self.cause = cause
        self.http_status = http_status
        self.retry_after = retry_after
        super().__init__(message or _transport_message(infno, msgid, outcome_unknown, cause))


def _transport_message(infno: str, msgid: str, outcome_unknown: bool, cause: str) -> str:
    if outcome_unknown:
        what = "结算结果未知" if infno[:4] in _SETTLEMENT_INFNOS else f"交易 {infno} 的结果未知"
        verb = "请勿重复结算" if infno[:4] in _SETTLEMENT_INFNOS else "请勿重复提交"
        then = {"2207": "系统恢复时将冲正(2601)该笔结算，完成后提示重新结算",
                "2304": "系统恢复时将冲正(2601)该笔结算，完成后提示重新结算",
                "2208": "系统恢复时将查询(5203)撤销是否生效", "2305": "系统恢复时将查询(5203)撤销是否生效"}.get(
                    infno[:4], "请联系信息科核对")
        return (f"{what}：请求可能已被医保中心处理，但没有收到有效应答（{cause}）。"
                f"{verb}，{then}（报文ID {msgid}）。")
    return (f"交易 {infno} 未能完成：{cause}。本次请求未被医保中心处理，可以稍后重试；"
            f"如持续失败，请检查网络和医保接口配置或联系信息科。")


class MalformedResponse(TransportError):
    """A response arrived but is not a valid §1.2 envelope (not JSON, no infcode, bad output)."""

    def __init__(self, msgid: str, infno: str, outcome_unknown: bool, cause: str, *,
                 http_status: int | None = None, retry_after: float | None = None):
        super().__init__(msgid, infno, outcome_unknown, f"应答格式错误：{cause}",
                         http_status=http_status, retry_after=retry_after)


class BundleMacError(ApiError):
    """A 9901 policy bundle did not pass its HMAC-SHA256 check: it must not be used."""

    def __init__(self, ver: str = ""):
        self.ver = ver
        super().__init__(
            f"政策包{('（版本 ' + ver + '）') if ver else ''}校验失败，可能被篡改或密钥配置错误，"
            "已拒绝使用。请联系信息科核对政策包校验密钥。")
