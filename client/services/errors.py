"""Errors raised by the headless services. ``str(err)`` is the Chinese message for the cashier.

``code`` tells a front end (window, CLI) what happened:

* ``invalid_input``  bad fee file, unknown catalogue code, bad ID number, bad payments — nothing
                     was written, nothing was sent;
* ``refused``        the platform (or a local rule such as a suspended insurance) refused; the
                     platform's err_msg is kept verbatim in ``detail``;
* ``unknown``        a state-changing call may have been processed but its answer was lost; the
                     local row is marked 'unknown' and left for recovery (2601 冲正 of that msgid);
* ``offline``        the platform could not be reached and nothing was processed;
* ``store``          the local database cannot be used (locked, corrupt …);
* ``config``         configuration problem;
* ``shift``          no open shift of this operator at this window: nothing is settled, reversed or
                     refunded until one is opened.

``system`` names the system the error is about, so a front end can say which one failed and give
a hint that fits it: ``insurance`` (医保中心, the default), ``his`` (HIS), ``einvoice`` (电子票据平台),
``store`` (本机数据库), ``device`` (读卡器/扫码设备), ``local`` (this window's own rules).
"""

from __future__ import annotations

SYSTEMS = ("insurance", "his", "einvoice", "store", "device", "local")
SYSTEM_OF_CODE = {"store": "store", "config": "local", "shift": "local", "invalid_input": "local"}


class ServiceError(Exception):
    def __init__(self, code: str, message: str, *, detail: str = "", msgid: str = "", infno: str = "",
                 system: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        self.msgid = msgid
        self.infno = infno
        self.system = system or SYSTEM_OF_CODE.get(code, "insurance")

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        for k in ("detail", "msgid", "infno", "system"):
            v = getattr(self, k)
            if v:
                out[k] = v
        return out


def translate_store_errors(method):
    """Method decorator: a sqlite3/SQLAlchemy error of ``self.ctx.store`` becomes ServiceError('store')
    with the store's Chinese message (locked, corrupt, disk full …)."""
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except ServiceError:
            raise
        except Exception as exc:
            store = getattr(getattr(self, "ctx", None), "store", None)
            err = store.translate(exc) if store is not None and hasattr(store, "translate") else None
            if err is None:
                raise
            raise ServiceError("store", err.message, detail=err.detail or "") from None

    return wrapper


def send_central(ctx, request, msgid: str | None, *, on_refused=None, on_unknown=None, on_not_sent=None,
                 unknown_text=None, offline_text=None, **call_kw):
    """One state-changing call to the central platform with the services' error mapping: a refusal →
    ServiceError ``refused`` (the platform's words), an answer lost after sending → ``unknown`` (never
    repeat: recovery decides), not sent → ``offline``. The ``on_*`` callbacks record the outcome in the
    caller's store first; ``unknown_text`` / ``offline_text`` (infno, exc) → the cashier's message
    (default: the transport's own words). ``msgid`` None lets the client allocate one."""
    from client.api import BusinessError, TransportError

    infno = request.INFNO
    try:
        return ctx.call(request, msgid=msgid, **call_kw) if msgid else ctx.call(request, **call_kw)
    except BusinessError as exc:
        if on_refused:
            on_refused(exc)
        raise ServiceError("refused", f"医保中心拒绝了交易 {infno}：{exc.err_msg}", detail=exc.err_msg, msgid=msgid,
                           infno=infno) from None
    except TransportError as exc:
        if exc.outcome_unknown:
            if on_unknown:
                on_unknown(exc)
            raise ServiceError("unknown", unknown_text(infno, exc) if unknown_text else str(exc), msgid=msgid,
                               infno=infno) from None
        if on_not_sent:
            on_not_sent(exc)
        raise ServiceError("offline", offline_text(infno, exc) if offline_text else str(exc), msgid=msgid,
                           infno=infno) from None
