"""Receipts of committed settlements (结算凭条 slip, 结算单 form) — one way, for the window and the CLI.

Durable before paper: a receipt is produced only for a settlement already committed locally, and
the print is counted (``invoicing.begin_print``, committed) before the paper comes out, so the
second and later prints carry 补打（第N次）. Every print is kept as a PDF in the receipts folder
(the reprint source and the proof of what was printed) and audited.

Qt-free: printing on a configured receipt printer is a callable the caller injects
(``send_to_printer(pdf_bytes, printer_name) -> via``; the window passes ``qtprint.print_pdf``).
Without one, or without a configured printer, the PDF file is the receipt and its path is shown.

Records:
* the **slip** of an online settlement renders from :func:`client.services.checkout.settlement_record`
  (masked ID number, payments with change, warnings, state — a reversed one prints 作废) plus the
  institution and print flags;
* the slip of an **offline** (provisional or self-pay) settlement and every **form** render from
  :func:`client.services.invoicing.document_record` (docs/documents.md: lines with their 2204
  split, invoice_split) — a provisional one with its stored provisional result until the
  platform's result is in, marked 离线结算.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline_cache import settlements as lifecycle

from .errors import ServiceError
from .invoicing import institution_of
from .offline import SELF_PAY_INFNO

log = logging.getLogger("client.services.receipts")

KINDS = ("slip", "form")
SendToPrinter = Callable[[bytes, str], str]


@dataclass
class Receipts:
    ctx: Any                                   # ServiceContext (store, settings, operator)
    receipts_dir: Path | None = None
    send_to_printer: SendToPrinter | None = None

    @property
    def settings(self) -> Any:
        return self.ctx.settings

    @property
    def training(self) -> bool:
        return bool(self.settings.training.enabled)

    # ------------------------------------------------------------------------------ records
    def decorate(self, record: dict) -> dict:
        """An online settlement record made printable: institution, window, print flags (an original
        until :meth:`print` counts it), sex."""
        rec = dict(record)
        rec["institution"] = institution_of(self.settings)
        rec["window"] = rec.get("window") or self.settings.window_id or "01"
        rec["flags"] = {"training": self.training, "offline": False, "reprint": False, "print_count": 0}
        person = dict(rec.get("person") or {})
        person.setdefault("gend", (rec.get("setlinfo") or {}).get("gend"))
        rec["person"] = person
        rec.setdefault("einvoice", None)
        return rec

    def _offline_record(self, srec: lifecycle.SettlementRecord) -> dict:
        """The receipt record of an offline settlement (provisional or full self-pay)."""
        from .invoicing import document_record

        settlement_id = srec.id
        override = None if srec.setlinfo else (srec.meta.get("setlinfo") or {})   # provisional result
        rec = document_record(self.ctx.store, settlement_id, self.settings, setlinfo=override)
        self_pay = srec.infno == SELF_PAY_INFNO
        rec.update(msgid=srec.msgid, settlement_id=settlement_id, state=srec.state, infno=srec.infno,
                   self_pay=self_pay)
        info = dict(rec.get("setlinfo") or {})
        info.setdefault("balc", "0.00")
        rec["setlinfo"] = info
        rec["flags"] = dict(rec.get("flags") or {}, offline=srec.offline, training=self.training, self_pay=self_pay)
        rec["window"] = rec.get("window") or self.settings.window_id or "01"
        return rec

    def record(self, settlement_id: int, kind: str = "slip") -> dict:
        """What the receipt of *kind* renders from (see the module docstring)."""
        from .checkout import settlement_record
        from .invoicing import document_record

        if kind not in KINDS:
            raise ServiceError("invalid_input", f"未知的票据类型“{kind}”（可用：slip 凭条、form 结算单）。")
        with self.ctx.store.read_connection() as conn:
            srec = lifecycle.load(conn, settlement_id)
        if srec is None:
            raise ServiceError("invalid_input", f"本机没有编号为 {settlement_id} 的结算记录，请核对后重试。")
        if srec.offline or srec.infno == SELF_PAY_INFNO:
            return self._offline_record(srec)
        if kind == "form":
            doc = document_record(self.ctx.store, settlement_id, self.settings)
            doc["einvoice"] = settlement_record(self.ctx, settlement_id).get("einvoice")
            return doc
        return self.decorate(settlement_record(self.ctx, settlement_id))

    # ------------------------------------------------------------------------------ printing
    def path_for(self, rec: dict, count: int, kind: str = "slip") -> Path:
        out_dir = self.receipts_dir or (Path(self.settings.data_dir) / "receipts")
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = (f"-reprint{count}" if count else "") + ("-form" if kind == "form" else "")
        return out_dir / f"{rec.get('setl_id') or rec['msgid']}{suffix}.pdf"

    def print(self, settlement_id: int, *, kind: str = "slip", reprint: bool = False,
              out: str | Path | None = None) -> dict:
        """Count the print, render, send to the configured printer (if any) and keep the PDF.

        Returns the record with ``flags`` (reprint, print_count), ``_receipt_path`` and ``_printed_via``.
        ``reprint=True`` marks the paper a copy even when it was never printed before."""
        from client.printing.common import write_out
        from client.printing.documents import render_form, render_slip

        from .invoicing import begin_print

        rec = self.record(settlement_id, kind)
        flags = dict(rec.get("flags") or {})
        counted = begin_print(self.ctx.store, settlement_id)      # committed before the paper
        if reprint and not counted["reprint"]:
            counted = {"reprint": True, "print_count": max(1, counted["print_count"])}
        flags.update(counted)
        rec["flags"] = flags
        pdf = (render_slip if kind == "slip" else render_form)(rec)
        printers = self.settings.printers
        printer = ((printers.receipt_printer if kind == "slip" else printers.form_printer) or "").strip()
        via = "file"
        if printer and self.send_to_printer is not None:
            via = self.send_to_printer(pdf, printer)
        path = Path(out) if out is not None else self.path_for(rec, int(flags.get("print_count") or 0)
                                                                if flags.get("reprint") else 0, kind)
        write_out(pdf, path)
        audit(self.ctx, "receipt.print", {"settlement_id": settlement_id, "kind": kind, "reprint": bool(flags.get("reprint")),
                                  "print_count": int(flags.get("print_count") or 0), "path": str(path), "via": via,
                                  "printer": printer})
        rec["_receipt_path"] = str(path)
        rec["_printed_via"] = via
        return rec

    def partial_refund(self, op_id: int, *, out: str | Path | None = None) -> str:
        """The 部分退费凭条 of a finished partial refund (client.services.partial_refund): rendered after the
        operation is committed, sent to the receipt printer if one is configured, kept as
        ``receipts/partial-refund-<id>.pdf`` and audited. Returns the file path."""
        from . import partial_refund as pr

        pdf = pr.render_receipt(self.ctx, op_id, None)
        printer = (self.settings.printers.receipt_printer or "").strip()
        via = "file"
        if printer and self.send_to_printer is not None:
            via = self.send_to_printer(pdf, printer)
        from client.printing.common import write_out

        path = Path(out) if out is not None else (self.receipts_dir or (Path(self.settings.data_dir) / "receipts")) / \
            f"partial-refund-{op_id}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_out(pdf, path)
        audit(self.ctx, "receipt.print", {"partial_refund_id": op_id, "kind": "partial_refund", "path": str(path),
                                          "via": via, "printer": printer})
        return str(path)

    def after_settlement(self, record: dict, *, what: str = "结算已完成") -> dict:
        """The receipt right after a committed settlement. A print failure never undoes the
        settlement: the record comes back with a warning telling the cashier to reprint (F12)."""
        try:
            return self.print(record["settlement_id"])
        except Exception as exc:  # noqa: BLE001 - settled is settled; report the print problem
            log.exception("receipt printing failed")
            rec = self.decorate(record) if record.get("setlinfo") is not None else dict(record)
            rec["warnings"] = list(rec.get("warnings") or []) + [
                f"{what}，但票据打印失败：{exc}。请用补打（F12）重新打印。"]
            return rec


def audit(ctx: Any, action: str, detail: dict | None = None, *, actor: str | None = None) -> None:
    """One line in the audit trail; a failure is logged, never raised (the counter goes on)."""
    from offline_cache.audit import append

    try:
        with ctx.store.session() as s:
            append(s, actor=actor or ctx.operator.opter, action=action, detail=detail or {})
    except Exception:  # noqa: BLE001 - the audit trail must not stop the counter; logged
        log.exception("audit append failed (%s)", action)
