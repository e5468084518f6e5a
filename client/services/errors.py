"""Errors raised by the headless services. ``str(err)`` is the Chinese message for the cashier.

``code`` tells a front end (window, CLI) what happened:

* ``invalid_input``  bad fee file, unknown catalogue code, bad ID number, bad payments — nothing
                     was written, nothing was sent;
* ``refused``        the platform (or a local rule such as a suspended insurance) refused; the
                     platform's err_msg is kept verbatim in ``detail``;
* ``unknown``        a state-changing call may have been processed but its answer was lost; the
                     local row is marked 'unknown' and left for recovery (5203 by msgid);
* ``offline``        the platform could not be reached and nothing was processed;
* ``store``          the local database cannot be used (locked, corrupt …);
* ``config``         configuration problem.
"""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, code: str, message: str, *, detail: str = "", msgid: str = "", infno: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        self.msgid = msgid
        self.infno = infno

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        for k in ("detail", "msgid", "infno"):
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
