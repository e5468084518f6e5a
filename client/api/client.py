"""CentralClient: one requests.Session, envelope + gateway headers, typed errors, retry policy.

Retry rule: read-only transactions (infnos.READ_ONLY) are retried on transport failures with
bounded exponential backoff, each attempt with a fresh msgid unless the caller passed one (a
gateway's HTTP ``Retry-After`` lengthens the pause, never beyond ``backoff_max``).
State-changing transactions are sent exactly once; when their answer is lost, the error says
so (``TransportError.outcome_unknown``) and the caller resolves it by querying.

Sign-in rule: a refusal that asks for a new sign-in (``BusinessError.needs_sign_in``) gets at most
ONE 9001 and one repeat per call; a second refusal is raised. The refusal means the platform did
not process the request, so a caller's msgid is reused for the repeat.

Outcome rule for a state-changing call that got no usable envelope:

* connection refused / DNS failure / connect timeout / TLS handshake failure → the request never
  left this machine → ``outcome_unknown=False`` (safe to send again later);
* HTTP 4xx without an envelope (gateway rejected signature, path, authorisation) → not processed
  → ``outcome_unknown=False``;
* read timeout, connection reset after sending, HTTP 5xx without an envelope (a 502/504 from a
  gateway may come after the platform processed it), a 2xx body that is not a valid envelope
  → ``outcome_unknown=True``.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from .envelope import EnvelopeFormatError, Response, build_envelope, encode_body, parse_response
from .errors import ApiConfigError, BusinessError, MalformedResponse, TransportError, retry_after_header
from .infnos import is_read_only
from .logmask import mask_for_log
from .msgid import MsgIdGenerator, parse_msgid
from .settings import ApiSettings
from .signin import SignInCache
from .signing import Signer, make_signer

log = logging.getLogger("client.api")


@dataclass(frozen=True)
class Operator:
    """The person (or terminal) on whose behalf a transaction is sent (envelope opter/opter_name)."""

    opter: str
    opter_name: str
    office_id: str = ""       # used by the e-voucher platform (科室)
    office_name: str = ""


class _NoAnswer(Exception):
    def __init__(self, never_sent: bool, cause: str, status: int | None = None):
        super().__init__(cause)
        self.never_sent = never_sent
        self.cause = cause
        self.status = status


def _never_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, ConnectTimeoutError)   # includes NewConnectionError (refused, DNS)
    return False


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "连接医保中心超时"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS 证书校验或握手失败"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "等待医保中心应答超时"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "无法连接医保中心" if _never_sent(exc) else "连接在应答前中断"
    return "网络错误"


class CentralClient:
    """Client of the national interface for one institution (see docs/central-interface.md)."""

    def __init__(self, settings: ApiSettings, session: requests.Session | None = None, *,
                 signer: Signer | None = None, msgids: MsgIdGenerator | None = None,
                 signins: SignInCache | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], datetime] = datetime.now):
        self.settings = settings
        self.session = session or requests.Session()
        self.signer = signer or make_signer(settings)
        self.msgids = msgids or MsgIdGenerator(settings.state_dir / "msgid.json", settings.fixmedins_code)
        self.signins = signins or SignInCache(settings.state_dir / "signin.json")
        self._sleep = sleep
        self._clock = clock

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wire_infno(self, infno: str) -> str:
        """The infno sent for the national ``infno`` in this region (e.g. 2601's ``oinfno``)."""
        return self.settings.wire_infno(infno)

    def new_msgid(self) -> str:
        """A fresh msgid; store it durably *before* passing it to a state-changing call."""
        return self.msgids.next()

    # -- sign-in ---------------------------------------------------------------------------
    def sign_in(self, operator: Operator) -> str:
        """9001 now (regardless of cache); caches and returns sign_no."""
        from .transactions import SignIn

        req = SignIn(opter_no=operator.opter, mac=self.settings.sign_in_mac or _local_mac(),
                     ip=self.settings.sign_in_ip or _local_ip(self.settings.base_url))
        out = self.send(req, operator=operator)
        if not out.sign_no:
            raise MalformedResponse("", "9001", False, "签到应答缺少 sign_no")
        self.signins.put(operator.opter, out.sign_no, out.sign_time)
        return out.sign_no

    def ensure_signed_in(self, operator: Operator) -> str:
        return self.signins.get(operator.opter) or self.sign_in(operator)

    def sign_out(self, operator: Operator) -> None:
        """9002 with the cached sign_no (nothing to do if not signed in today); clears the cache."""
        from .transactions import SignOut

        sign_no = self.signins.get(operator.opter)
        if not sign_no:
            return
        try:
            self.send(SignOut(sign_no=sign_no, opter_no=operator.opter), operator=operator)
        finally:
            self.signins.clear(operator.opter)

    # -- calls -----------------------------------------------------------------------------
    def send(self, request: Any, *, operator: Operator, msgid: str | None = None,
             insuplc_admdvs: str | None = None, cainfo: str = "") -> Any:
        """Send a typed request (client.api.transactions) and return its typed response. ``cainfo``:
        the 验密 ciphertext (client.api.password), never logged."""
        adm = insuplc_admdvs if insuplc_admdvs is not None else getattr(request, "insuplc_admdvs", "")
        resp = self.call(request.INFNO, request.to_input(), operator=operator, msgid=msgid,
                         insuplc_admdvs=adm or "", cainfo=cainfo)
        return request.RESPONSE.from_response(resp)

    def call(self, infno: str, input: dict[str, Any], *, operator: Operator, msgid: str | None = None,
             insuplc_admdvs: str = "", recer_sys_code: str | None = None, cainfo: str = "",
             signtype: str = "") -> Response:
        """Send one transaction; returns the parsed Response (infcode 0) or raises ApiError."""
        result = self._exchange(infno, input, operator=operator, msgid=msgid,
                                insuplc_admdvs=insuplc_admdvs, recer_sys_code=recer_sys_code,
                                cainfo=cainfo, signtype=signtype, binary_ok=False)
        assert isinstance(result, Response)
        return result

    def call_binary(self, infno: str, input: dict[str, Any], *, operator: Operator,
                    msgid: str | None = None) -> bytes:
        """For 9102: the raw file bytes (a JSON envelope instead means an error, raised typed)."""
        result = self._exchange(infno, input, operator=operator, msgid=msgid, insuplc_admdvs="",
                                recer_sys_code=None, cainfo="", signtype="", binary_ok=True)
        if isinstance(result, Response):
            raise MalformedResponse(result.msgid, infno, False, "应返回文件，但收到了普通应答")
        return result

    def download_file(self, file_qury_no: str, filename: str, *, operator: Operator,
                      catalogue: bool = False) -> bytes:
        """9102: the file's bytes. ``catalogue=True`` for files produced by 1301–1319: "plc" goes
        into the field named by ``settings.plc_field`` (reference §3.10)."""
        from .transactions import FileDownload

        code = self.settings.fixmedins_code
        fname = filename
        if catalogue and self.settings.plc_field == "fixmedins_code":
            code = "plc"
        elif catalogue and self.settings.plc_field == "filename":
            fname = "plc"
        req = FileDownload(file_qury_no=file_qury_no, filename=fname, fixmedins_code=code)
        return self.call_binary("9102", req.to_input(), operator=operator)

    def download_catalogue(self, infno: str, ver: str, *, operator: Operator,
                           text: bool = False) -> tuple[Any, Any]:
        """1301-style download: (CatalogFileInfo, rows). Rows are [] when nothing new (data_cnt 0).
        ``text=True``: the file's text instead of its rows ("" when nothing new; split it with
        ``transactions.split_tsv``) — the sync splits on its writer thread."""
        from .transactions import CatalogDownload, split_tsv, tsv_text_from_zip

        info = self.send(CatalogDownload(ver=ver, infno=infno), operator=operator)
        if not info.file_qury_no or info.data_cnt == 0:
            return info, "" if text else []
        data = self.download_file(info.file_qury_no, info.filename, operator=operator, catalogue=True)
        try:
            body = tsv_text_from_zip(data)
        except ValueError as exc:
            raise MalformedResponse("", "9102", False, str(exc)) from None
        return info, body if text else split_tsv(body)

    # -- internals -------------------------------------------------------------------------
    def _check_msgid(self, msgid: str) -> None:
        try:
            p = parse_msgid(msgid)
        except ValueError as exc:
            raise ApiConfigError(str(exc)) from None
        if p.fixmedins_code != self.settings.fixmedins_code:
            raise ApiConfigError(f"报文ID {msgid} 不属于本机构（{self.settings.fixmedins_code}）")

    def _exchange(self, infno: str, input: dict[str, Any], *, operator: Operator, msgid: str | None,
                  **kw: Any) -> Response | bytes:
        """One call: the transaction (with its transport retries) and, when the platform asks for
        a new sign-in, one 9001 and one repeat. A second such refusal is raised, not repeated."""
        try:
            return self._exchange_signed(infno, input, operator=operator, msgid=msgid, **kw)
        except BusinessError as exc:
            if not exc.needs_sign_in:
                raise
            log.info("infno=%s msgid=%s refused for its sign_no (%s): one 9001, then one repeat",
                     infno, exc.msgid, mask_for_log(exc.err_msg))
        self.signins.clear(operator.opter)
        self.sign_in(operator)
        return self._exchange_signed(infno, input, operator=operator, msgid=msgid, **kw)

    def _exchange_signed(self, infno: str, input: dict[str, Any], *, operator: Operator, msgid: str | None,
                         insuplc_admdvs: str, recer_sys_code: str | None, cainfo: str, signtype: str,
                         binary_ok: bool) -> Response | bytes:
        if not operator.opter or not operator.opter_name:
            raise ApiConfigError("经办人编号和姓名不能为空，请重新登录后再试。")
        sign_no = "" if infno == "9001" else self.ensure_signed_in(operator)
        if msgid is not None:
            self._check_msgid(msgid)
        read_only = is_read_only(infno)
        infno = self.settings.wire_infno(infno)      # the region's variant (e.g. 2207 → 2207A)
        attempts = 1 + (self.settings.read_retries if read_only else 0)
        url = self.settings.url_for(infno)
        last_error: TransportError | None = None
        for attempt in range(attempts):
            this_msgid = msgid if (msgid is not None) else self.new_msgid()
            env = build_envelope(self.settings, infno, this_msgid, input, opter=operator.opter,
                                 opter_name=operator.opter_name, insuplc_admdvs=insuplc_admdvs,
                                 sign_no=sign_no, now=self._clock(), recer_sys_code=recer_sys_code,
                                 cainfo=cainfo, signtype=signtype)
            try:
                return self._attempt(url, infno, this_msgid, env, read_only, binary_ok, attempt)
            except TransportError as exc:
                last_error = exc
                if not read_only or attempt + 1 >= attempts:
                    raise
                if exc.http_status is not None and 400 <= exc.http_status < 500:
                    raise   # configuration / authorisation problem: a retry will not help
                delay = min(self.settings.backoff_max,
                            max(self.settings.backoff_base * (2 ** attempt), exc.retry_after or 0.0))
                log.warning("retrying read-only infno=%s after %s (attempt %d/%d, sleep %.2fs)",
                            infno, exc.cause, attempt + 1, attempts, delay)
                self._sleep(delay)
        assert last_error is not None  # pragma: no cover - loop always returns or raises
        raise last_error

    def _attempt(self, url: str, infno: str, msgid: str, env: dict[str, Any], read_only: bool,
                 binary_ok: bool, attempt: int) -> Response | bytes:
        body = encode_body(env)
        headers = {"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json",
                   **self.signer.headers(infno, body)}
        started = time.monotonic()
        status: int | None = None
        try:
            try:
                r = self.session.post(url, data=body, headers=headers, timeout=self.settings.timeout,
                                      verify=self.settings.verify)
                status = r.status_code
                content = r.content
                retry_after = retry_after_header(r.headers.get("Retry-After"))
            except requests.RequestException as exc:
                raise _NoAnswer(_never_sent(exc), _describe(exc)) from exc
        except _NoAnswer as na:
            ms = (time.monotonic() - started) * 1000
            log.warning("infno=%s msgid=%s attempt=%d no answer (%s) duration_ms=%.0f",
                        infno, msgid, attempt + 1, na.cause, ms)
            raise TransportError(msgid, infno, (not read_only) and not na.never_sent, na.cause) from na
        ms = (time.monotonic() - started) * 1000
        if binary_ok and content[:2] == b"PK":
            log.info("infno=%s msgid=%s status=%s file_bytes=%d duration_ms=%.0f",
                     infno, msgid, status, len(content), ms)
            return content
        try:
            resp = parse_response(content, success_err_msgs=self.settings.success_err_msgs)
        except EnvelopeFormatError as exc:
            log.warning("infno=%s msgid=%s status=%s invalid envelope (%s) duration_ms=%.0f",
                        infno, msgid, status, exc, ms)
            if status >= 500:
                raise TransportError(msgid, infno, not read_only, f"医保中心或网关返回 HTTP {status}",
                                     http_status=status, retry_after=retry_after) from None
            if status >= 400:
                said = _gateway_words(r)
                raise TransportError(
                    msgid, infno, False,
                    f"网关拒绝了请求（HTTP {status}{'：' + said if said else ''}），请检查接口地址、网关账号和密钥配置",
                    http_status=status, retry_after=retry_after) from None
            raise MalformedResponse(msgid, infno, not read_only, str(exc), http_status=status,
                                    retry_after=retry_after) from None
        resp.msgid, resp.infno = msgid, infno
        log.info("infno=%s msgid=%s status=%s infcode=%s duration_ms=%.0f%s", infno, msgid, status,
                 resp.infcode, ms, f" err_msg={mask_for_log(resp.err_msg)}" if resp.infcode != 0 else "")
        if resp.needs_review:
            log.warning("infno=%s msgid=%s infcode=0 with err_msg (needs review): %s", infno, msgid,
                        mask_for_log(resp.review_msg))
        if resp.infcode != 0:
            raise BusinessError(resp.infcode, resp.err_msg, msgid, infno, warn_msg=resp.warn_msg,
                                inf_refmsgid=resp.inf_refmsgid, retry_after=retry_after)
        return resp


def _gateway_words(r: requests.Response) -> str:
    """What a refusing gateway said: Alibaba-style ``X-Ca-Error-Message``, else a JSON ``message``."""
    said = r.headers.get("X-Ca-Error-Message") or ""
    if not said:
        try:
            doc = r.json()
            said = str(doc.get("message") or doc.get("msg") or "") if isinstance(doc, dict) else ""
        except ValueError:
            said = ""
    return said.strip()[:200]


def _local_ip(base_url: str) -> str:
    """The local address used to reach the platform (UDP connect sends no packet)."""
    host = urlparse(base_url).hostname or "127.0.0.1"
    port = urlparse(base_url).port or 80
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((host, port))
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def _local_mac() -> str:
    node = uuid.getnode()
    return "-".join(f"{(node >> shift) & 0xFF:02X}" for shift in range(40, -8, -8))
