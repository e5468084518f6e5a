"""Housekeeping: the one sequence that finishes what a crash, a lost answer or an outage left open.

    1. resolve the settlements of unknown outcome (``recovery.resolve_unknown``)
    2. send the outbox (offline settlements, ``forward.drain``), in rounds while items are retried;
       then 补结算 of the offline full self-pay visits (``backsettle.drain``)
    3. e-invoices: top up the number ranges, issue the invoices / red letters settlements still owe,
       upload the queued records (``drain_einvoices``)
    4. count what is left (outbox, unknown outcomes, owed invoices, settled-but-unpaid)

The window runs it at start-up and after a catalogue sync (:func:`recover`), and when the platform
comes back (:func:`drain`, steps 2–3); ``medsettle recover`` runs :func:`recover` with its options;
``medsettle checkout`` runs :func:`drain_einvoices` after each checkout (a short timeout). Nothing
else in the client strings these steps together.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from .errors import ServiceError
from .recovery import RecoveryReport, resolve_unknown, unpaid_settlements

__all__ = ["drain", "drain_einvoices", "recover"]

log = logging.getLogger("client.services.housekeeping")


def drain_einvoices(ctx, *, timeout: float | None = None) -> dict:
    """Step 3: top up the window's number ranges while the platform answers, issue the invoices (and
    red letters) that settlements are still missing, then upload the records waiting in the outbox
    (kind ``einvoice.issue``). Never raises: what cannot be done now stays pending."""
    from .checkout import issue_missing_invoices
    from .invoicing import EInvoicePlatform, drain_invoice_uploads, ensure_ranges

    out: dict = {"numbers_added": 0, "issued": 0, "acked": 0, "failed": 0, "needs_review": 0, "messages": []}
    platform = EInvoicePlatform.from_settings(ctx.settings)
    if timeout is not None:
        platform.timeout = min(platform.timeout, timeout)
    try:
        if ctx.settings.einvoice.enabled:
            try:
                out["numbers_added"] = ensure_ranges(ctx.store, platform)
            except ServiceError as exc:
                out["messages"].append(exc.message)
            try:
                out["issued"] = issue_missing_invoices(ctx)
            except ServiceError as exc:
                out["messages"].append(exc.message)
        res = drain_invoice_uploads(ctx.store, platform)
        out.update(acked=res.acked, failed=res.failed, needs_review=res.needs_review)
        out["messages"].extend(res.messages)
        return out
    finally:
        platform.close()


def _outbox_left(ctx) -> tuple[int, int]:
    from offline_cache import outbox

    with ctx.store.read_session() as s:
        c = outbox.counts(s)
    return c["pending"] + c["sending"] + c["failed"], c["needs_review"]


def drain(ctx, *, rounds: int = 1, sleep=time.sleep) -> dict:
    """Steps 2–3: send the outbox (``rounds`` > 1: retry what is due again, with a short pause), then
    the e-invoices. Returns the drain report (``forward.DrainReport.to_dict()``) with ``einvoice``."""
    from .forward import drain as drain_outbox
    from .forward import retry_now

    rep = drain_outbox(ctx).to_dict()
    done = 1
    while done < max(1, rounds) and _outbox_left(ctx)[0]:
        sleep(min(2.0, 0.5 * done))
        retry_now(ctx)
        more = drain_outbox(ctx)
        done += 1
        for k in ("attempted", "acked", "retry_later", "needs_review"):
            rep[k] = rep.get(k, 0) + getattr(more, k)
        rep.setdefault("adjustments", []).extend(more.adjustments)
        rep["stopped"] = more.stopped
    rep["rounds"] = done
    rep["backsettle"] = _backsettle(ctx)
    rep["einvoice"] = drain_einvoices(ctx)
    return rep


_drain_all = drain


def _backsettle(ctx) -> dict:
    """补结算 of the offline full self-pay visits (``client.services.backsettle``); never raises."""
    from .backsettle import drain as backsettle_drain
    from .backsettle import sync_refunds

    try:
        sync_refunds(ctx.store)
        return backsettle_drain(ctx).to_dict()
    except Exception as exc:  # noqa: BLE001 - what cannot be done now stays queued
        log.exception("backsettle drain failed")
        return {"error": str(exc)}


def recover(ctx, *, drain: bool = True, grace_s: float | None = None, wait: bool = False,
            max_wait_s: float = 120.0, rounds: int = 1, now_fn=datetime.now, sleep=time.sleep) -> RecoveryReport:
    """The whole sequence (steps 1–4). ``drain=False`` stops after step 1 (and still counts)."""
    from .checkout import missing_invoices

    rep = resolve_unknown(ctx, grace_s=grace_s, wait=wait, max_wait_s=max_wait_s, now_fn=now_fn, sleep=sleep)
    started = rep.started or now_fn()
    if ctx.settings.payment.enabled:       # payment codes: query → reverse / refund, never pay again
        from .codepay import resolve_unknown as resolve_payments

        try:
            rep.payments = resolve_payments(ctx)
        except ServiceError as exc:        # e.g. no signing key: the settlements' recovery goes on
            log.warning("payment recovery skipped: %s", exc.message)
            rep.payments = {"paid": 0, "reversed": 0, "failed": 0, "refunded": 0, "open": 1}
    try:                                   # inpatient stays: lost 2401 / 2301, deposits, the surplus refund
        from .inpatient import recover_stays

        rep.stays = recover_stays(ctx, grace_s=grace_s)
    except ServiceError as exc:
        log.warning("inpatient recovery not finished: %s", exc.message)
    from .partial_refund import resume_all as resume_partial_refunds

    rep.partial_refunds = resume_partial_refunds(ctx, grace_s=grace_s)   # 部分退费 interrupted: finish them
    if drain:
        rep.drain = _drain_all(ctx, rounds=rounds, sleep=sleep)
    rep.unpaid = unpaid_settlements(ctx.store, since=started - timedelta(days=1))
    rep.remaining_outbox, rep.needs_review = _outbox_left(ctx)
    from .recovery import unresolved_ids

    rep.remaining_unknown = len(unresolved_ids(ctx.store))
    blue, red = missing_invoices(ctx)
    rep.invoices_owed = len(blue) + len(red)
    log.info("recovery: %s", rep.message())
    return rep
