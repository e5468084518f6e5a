"""Shared helpers of the document renderers: labels, amounts, masking, QR, deterministic output."""

from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Group, Rect
from reportlab.lib import colors
from reportlab.pdfgen import canvas as rl_canvas

from client.domain import codes, regions
from client.domain.invoice import (
    FEE_CATEGORIES,
    OTHER_FUND_FIELDS,
    PAYMENT_LABELS,
    is_inpatient,
    is_red_letter,
    mask_id,
    settlement_payload,
    verification_payload,
)
from client.domain.money import ZERO, fmt_display, to_amount
from client.fsutil import write_private_file
from client.printing.fonts import register

__all__ = [
    "DocumentError", "Out", "amount", "draw_qr", "fee_categories", "label", "money", "new_canvas",
    "payments_label", "qr_payload", "region_name", "write_out", "mask_id", "is_inpatient",
    "is_red_letter", "other_pay", "record_marks",
]

Out = str | os.PathLike | BinaryIO | None

class DocumentError(ValueError):
    """A document cannot be produced from this record; the message is Chinese and says what to do."""


def label(dict_name: str, code: object) -> str:
    """Chinese label of an NHSA code (short form for gend), the code itself if unknown."""
    code_s = "" if code is None else str(code)
    try:
        text = codes.label(dict_name, code_s, None)
    except ValueError:
        text = None
    if dict_name == "gend" and text:
        text = {"未知的性别": "未知", "未说明性别": "未说明"}.get(text, text)
    return text or code_s


def region_name(admdvs: object) -> str:
    return regions.region_name("" if admdvs is None else str(admdvs))


def amount(value: object, field: str) -> Decimal:
    """Parse a record amount (decimal string) or raise DocumentError naming the field."""
    try:
        return to_amount(value, field)
    except ValueError as exc:
        raise DocumentError(str(exc)) from None


def money(d: Decimal) -> str:
    """Paper format: ``1,230.05`` (always two decimals, never float)."""
    return fmt_display(d)


def other_pay(setl: dict) -> Decimal:
    return sum((amount(setl.get(f, "0.00"), f"setlinfo.{f}") for f in OTHER_FUND_FIELDS), ZERO)


def fee_categories(lines: list) -> list[tuple[str, str, Decimal]]:
    """``[(med_chrgitm_type, label, amount)]`` aggregated over the lines, by code."""
    agg: dict[str, Decimal] = {}
    for i, ln in enumerate(lines):
        code = str(ln.get("med_chrgitm_type") or "14")
        if code not in FEE_CATEGORIES:
            code = "14"
        agg[code] = agg.get(code, ZERO) + amount(ln.get("det_item_fee_sumamt"), f"lines[{i}].det_item_fee_sumamt")
    return [(c, FEE_CATEGORIES[c], agg[c]) for c in sorted(agg)]


def payments_label(method: str) -> str:
    return PAYMENT_LABELS.get(method, "其他")


def qr_payload(record: dict) -> str:
    """The QR content: the invoice verification payload when an invoice is attached, else the
    settlement payload (see docs/documents.md)."""
    inv = record.get("einvoice")
    if inv:
        return verification_payload(inv, record["institution"]["fixmedins_code"])
    return settlement_payload(record)


def record_marks(record: dict) -> list[str]:
    """Red marks printed on every document of the record."""
    flags = record.get("flags") or {}
    marks = []
    if is_red_letter(record.get("einvoice")):
        marks.append("红字冲红")
    if flags.get("training"):
        marks.append("培训模式")
    if flags.get("self_pay") and (record.get("setlinfo") or {}).get("backsettle"):
        marks.append("全自费收据（待医保补结算）")
    elif flags.get("self_pay"):
        marks.append("全自费（非医保结算）")
    elif flags.get("offline"):
        marks.append("离线结算")
    if flags.get("reprint"):
        marks.append(f"补打（第{int(flags.get('print_count') or 1)}次）")
    if flags.get("void") or record.get("state") == "reversed":
        marks.append("作废（该结算已撤销）")
    return marks


OFFLINE_NOTE = "离线结算：医保中心恢复后补传，金额以医保中心结算为准，如有差额将退补。"


BACKSETTLE_NOTE = codes.BACKSETTLE_NOTE


def record_notes(record: dict) -> list[str]:
    """Sentences the patient must read on the document: what an offline or a self-pay settlement means."""
    flags = record.get("flags") or {}
    info = record.get("setlinfo") or {}
    if flags.get("self_pay") and info.get("backsettle"):
        return [BACKSETTLE_NOTE]
    if flags.get("self_pay"):
        why = info.get("reason") or ""
        return [f"全自费{'（' + why + '）' if why else ''}：未经医保结算，可凭本票据到参保地医保经办机构申请报销。"]
    if flags.get("offline"):
        return [OFFLINE_NOTE]
    return []


def new_canvas(buf: io.BytesIO, pagesize: tuple[float, float], title: str) -> rl_canvas.Canvas:
    """A canvas with deterministic output (invariant=1: fixed dates and document id)."""
    FONT_NAME = register()
    c = rl_canvas.Canvas(buf, pagesize=pagesize, invariant=1, pageCompression=1,
                         initialFontName=FONT_NAME, initialFontSize=9)
    c.setTitle(title)
    c.setAuthor("MedSettle")
    c.setCreator("MedSettle")
    c.setProducer("MedSettle (ReportLab)")
    c.setSubject(title)
    return c


def draw_qr(c: rl_canvas.Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw a QR code (error correction M, 2-module quiet zone) with its lower-left corner at (x, y).

    The modules come from ReportLab's ``QrCodeWidget``; they are drawn as one filled path on the
    canvas (not through renderPDF, whose default graphics state would add a non-embedded font).
    """
    w = QrCodeWidget(payload, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = w.getBounds()
    sx, sy = size / (x1 - x0), size / (y1 - y0)
    path = c.beginPath()
    stack = [w.draw()]
    while stack:
        node = stack.pop()
        if isinstance(node, Group):
            stack.extend(node.contents)
        elif isinstance(node, Rect) and node.fillColor is not None and node.fillColor != colors.white:
            path.rect(x + (node.x - x0) * sx, y + (node.y - y0) * sy, node.width * sx, node.height * sy)
    c.saveState()
    c.setFillColor(colors.black)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def write_out(data: bytes, out: Out) -> bytes:
    """Write the PDF to *out* (path: atomically, via a temp file and rename; file object: as is)."""
    if out is None:
        return data
    if hasattr(out, "write"):
        out.write(data)  # type: ignore[union-attr]
        return data
    # atomic, fsynced and owner-only: receipts carry patients' names
    write_private_file(Path(os.fspath(out)), data)  # type: ignore[arg-type]
    return data
