"""Printing our PDFs through Qt (QPrinter / QPrintDialog / QPrintPreviewDialog) or the OS spooler.

This is the only module of ``client.printing`` that imports PySide6 (the import-linter contract
allows it here); every Qt import stays inside this file.

How a PDF becomes paper — :func:`backend` tells which path is used on this machine:

1. ``qtpdf``   — QtPdf (``PySide6.QtPdf.QPdfDocument``, shipped in PySide6-Addons) renders every
   page to a QImage at the printer's resolution (capped at 300 dpi) and a QPainter draws it on the
   QPrinter. Used for the dialog, the preview and direct printing. Windows/macOS builds that bundle
   the full PySide6 take this path.
2. ``pdftoppm`` — no QtPdf (PySide6-Essentials only, our Linux/.deb case): poppler's ``pdftoppm``
   renders the pages to PNG in a private temp directory, then the same QPainter path prints them.
   NOT used on Windows (poppler is not shipped there).
3. ``spooler`` — neither available: direct printing only, handing the PDF file to the OS —
   ``lp -d <printer>`` (CUPS; ``lpr -P`` if lp is missing) on Linux/macOS, ``ShellExecuteW``
   verb ``printto``/``print`` on Windows (the default PDF application prints it). No preview or
   dialog is possible then: :func:`print_with_dialog` / :func:`preview_dialog` raise PrintError.

The paper size of each page follows the PDF (80 mm slip, 241×140 mm form, A4 list) with zero
margins: the renderers already lay out the printable area.

Print count and 补打: :func:`print_document` calls ``begin_print()`` (the caller passes
``lambda: client.services.invoicing.begin_print(store, settlement_id)``) which increments
``settlements.print_count`` in the store BEFORE the paper is produced, and merges the returned
``{"reprint", "print_count"}`` into ``record["flags"]`` so a second print is marked 补打（第N次）.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["PrintError", "backend", "page_images", "paint_pdf", "preview_dialog", "print_document",
           "print_pdf", "print_pdf_to_file", "print_with_dialog", "render_document", "spool_command"]

MAX_DPI = 300


class PrintError(RuntimeError):
    """Printing failed; the message is Chinese and says what to do."""


def _qtpdf():
    try:
        from PySide6.QtPdf import QPdfDocument  # noqa: F401 - probe
    except ImportError:
        return None
    from PySide6 import QtPdf

    return QtPdf


def backend() -> str:
    """``qtpdf`` | ``pdftoppm`` | ``spooler`` (see the module doc)."""
    if _qtpdf() is not None:
        return "qtpdf"
    if sys.platform != "win32" and shutil.which("pdftoppm"):
        return "pdftoppm"
    return "spooler"


def _app():
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    if app is None:
        raise PrintError("打印需要在 MedSettle 窗口中进行（没有图形界面环境）。请在窗口中打印，或导出 PDF 后打印。")
    return app


# ---------------------------------------------------------------------------------------------
# PDF → page images
# ---------------------------------------------------------------------------------------------

def page_images(pdf: bytes, dpi: int = 200) -> list:
    """Every page of ``pdf`` as a QImage at ``dpi`` (physical size kept in dotsPerMeter)."""
    dpi = max(72, min(int(dpi), MAX_DPI))
    kind = backend()
    if kind == "qtpdf":
        return _images_qtpdf(pdf, dpi)
    if kind == "pdftoppm":
        return _images_pdftoppm(pdf, dpi)
    raise PrintError("本机缺少 PDF 渲染组件（QtPdf 或 pdftoppm），不能预览或用打印对话框打印。"
                     "请使用直接打印，或联系信息科安装完整版 MedSettle。")


def _images_qtpdf(pdf: bytes, dpi: int) -> list:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
    from PySide6.QtPdf import QPdfDocument

    doc = QPdfDocument()
    buf = QBuffer()
    buf.setData(QByteArray(pdf))
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    doc.load(buf)
    if doc.status() != QPdfDocument.Status.Ready:
        raise PrintError("PDF 文件无法读取，不能打印。请重新生成票据后再打印。")
    out = []
    for i in range(doc.pageCount()):
        pts = doc.pagePointSize(i)
        img = doc.render(i, QSize(round(pts.width() * dpi / 72), round(pts.height() * dpi / 72)))
        _set_dpi(img, dpi)
        out.append(img)
    doc.close()
    return out


def _images_pdftoppm(pdf: bytes, dpi: int) -> list:
    from PySide6.QtGui import QImage

    with tempfile.TemporaryDirectory(prefix="medsettle-print-") as d:
        src = Path(d) / "doc.pdf"
        src.write_bytes(pdf)
        try:
            subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(src), str(Path(d) / "page")], check=True,
                           capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise PrintError(f"PDF 渲染失败（pdftoppm：{exc}），不能打印。请重新生成票据后再打印，仍不行请联系信息科。") from None
        files = sorted(Path(d).glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        out = []
        for f in files:
            img = QImage(str(f))
            if img.isNull():
                raise PrintError("PDF 页面图像无法读取，不能打印。请联系信息科。")
            _set_dpi(img, dpi)
            out.append(img)
    if not out:
        raise PrintError("PDF 没有可打印的页面。请重新生成票据后再打印。")
    return out


def _set_dpi(img, dpi: int) -> None:
    dpm = round(dpi / 0.0254)
    img.setDotsPerMeterX(dpm)
    img.setDotsPerMeterY(dpm)


# ---------------------------------------------------------------------------------------------
# Painting on a QPrinter
# ---------------------------------------------------------------------------------------------

def _page_size_mm(img) -> tuple[float, float]:
    return (img.width() / img.dotsPerMeterX() * 1000.0, img.height() / img.dotsPerMeterY() * 1000.0)


def _set_page(printer, img) -> None:
    from PySide6.QtCore import QMarginsF, QSizeF
    from PySide6.QtGui import QPageLayout, QPageSize

    w, h = _page_size_mm(img)
    if w > h:  # a landscape page (241 × 140 mm form): portrait paper, landscape orientation
        size = QPageSize(QSizeF(h, w), QPageSize.Unit.Millimeter, "", QPageSize.SizeMatchPolicy.ExactMatch)
        orient = QPageLayout.Orientation.Landscape
    else:
        size = QPageSize(QSizeF(w, h), QPageSize.Unit.Millimeter, "", QPageSize.SizeMatchPolicy.ExactMatch)
        orient = QPageLayout.Orientation.Portrait
    printer.setPageLayout(QPageLayout(size, orient, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter))


def paint_pdf(printer, pdf: bytes, *, images: list | None = None) -> int:
    """Draw every page of ``pdf`` on ``printer`` (one printer page per PDF page); returns the page count."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QPainter

    pages = images if images is not None else page_images(pdf, min(printer.resolution(), MAX_DPI))
    printer.setFullPage(True)
    _set_page(printer, pages[0])
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintError("打印机无法开始打印（可能未连接、缺纸或被占用）。请检查打印机后重试。")
    try:
        for i, img in enumerate(pages):
            if i:
                _set_page(printer, img)
                if not printer.newPage():
                    raise PrintError("打印机换页失败，请检查打印机后重新打印（重打会标记为补打）。")
            vp = painter.viewport()
            scale = min(vp.width() / img.width(), vp.height() / img.height())
            painter.drawImage(QRectF(0, 0, img.width() * scale, img.height() * scale), img)
    finally:
        painter.end()
    return len(pages)


def print_pdf_to_file(pdf: bytes, path: str | os.PathLike, *, dpi: int = 150) -> int:
    """Print through a QPrinter in PdfFormat (打印到文件; also what the tests use). Returns pages."""
    from PySide6.QtPrintSupport import QPrinter

    _app()
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(os.fspath(path))
    printer.setResolution(dpi)
    return paint_pdf(printer, pdf, images=page_images(pdf, dpi))


# ---------------------------------------------------------------------------------------------
# Direct printing, dialog, preview
# ---------------------------------------------------------------------------------------------

def spool_command(path: str | os.PathLike, printer_name: str = "", *, copies: int = 1) -> list[str]:
    """The OS command that prints ``path`` on Linux/macOS (CUPS ``lp``, else BSD ``lpr``)."""
    p = os.fspath(path)
    if shutil.which("lp"):
        return ["lp"] + (["-d", printer_name] if printer_name else []) + ["-n", str(copies), "--", p]
    if shutil.which("lpr"):
        return ["lpr"] + (["-P", printer_name] if printer_name else []) + [f"-#{copies}", p]
    raise PrintError("本机没有可用的打印服务（找不到 lp/lpr）。请安装打印机驱动（CUPS）或联系信息科。")


def _spool(pdf: bytes, printer_name: str, copies: int) -> str:
    fd, tmp = tempfile.mkstemp(prefix="medsettle-print-", suffix=".pdf")
    with os.fdopen(fd, "wb") as f:
        f.write(pdf)
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        verb, params = ("printto", f'"{printer_name}"') if printer_name else ("print", None)
        for _ in range(max(1, copies)):
            rc = ctypes.windll.shell32.ShellExecuteW(None, verb, tmp, params, None, 0)
            if rc <= 32:
                raise PrintError(f"Windows 无法打印该 PDF（错误 {rc}）：请确认已安装 PDF 阅读器并设为默认程序，"
                                 "或联系信息科。")
        return "spooler"  # the file is left for the PDF application; it is removed at the next start
    try:
        r = subprocess.run(spool_command(tmp, printer_name, copies=copies), capture_output=True, text=True,
                           timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise PrintError(f"打印服务无响应（{exc}）。请检查打印机后重试。") from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    if r.returncode != 0:
        raise PrintError(f"打印机“{printer_name or '默认打印机'}”拒绝打印：{(r.stderr or r.stdout).strip()[:200]}。"
                         "请检查打印机名称（设置 printers）和打印机状态后重试。")
    return "spooler"


def print_pdf(pdf: bytes, printer_name: str = "", *, copies: int = 1) -> str:
    """Print directly (no dialog) on ``printer_name`` ("" = system default). Returns the path used:
    ``qt`` (QPrinter with rendered pages) or ``spooler``."""
    if backend() == "spooler":
        return _spool(pdf, printer_name, copies)
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

    _app()
    names = [p.printerName() for p in QPrinterInfo.availablePrinters()]
    if printer_name and printer_name not in names:
        if not names:  # Qt sees no printers (no CUPS backend in this build): use the spooler
            return _spool(pdf, printer_name, copies)
        raise PrintError(f"找不到打印机“{printer_name}”。本机打印机：{'、'.join(names)}。请在设置（printers）中改正打印机名称。")
    if not names:
        return _spool(pdf, printer_name, copies)
    printer = QPrinter(QPrinterInfo.printerInfo(printer_name) if printer_name else QPrinterInfo.defaultPrinter(),
                       QPrinter.PrinterMode.HighResolution)
    printer.setCopyCount(max(1, copies))
    paint_pdf(printer, pdf)
    return "qt"


def print_with_dialog(pdf: bytes, parent=None, printer_name: str = "") -> bool:
    """QPrintDialog, then print; False when the cashier cancels."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo

    _app()
    images = page_images(pdf, MAX_DPI)
    printer = QPrinter(QPrinterInfo.printerInfo(printer_name), QPrinter.PrinterMode.HighResolution) \
        if printer_name else QPrinter(QPrinter.PrinterMode.HighResolution)
    dlg = QPrintDialog(printer, parent)
    dlg.setWindowTitle("打印")
    if dlg.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    paint_pdf(printer, pdf, images=images)
    return True


def preview_dialog(pdf: bytes, parent=None, printer_name: str = ""):
    """A QPrintPreviewDialog showing the pages (call ``.exec()``; printing from it uses the same path)."""
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo, QPrintPreviewDialog

    _app()
    images = page_images(pdf, 150)
    printer = QPrinter(QPrinterInfo.printerInfo(printer_name), QPrinter.PrinterMode.HighResolution) \
        if printer_name else QPrinter(QPrinter.PrinterMode.HighResolution)
    dlg = QPrintPreviewDialog(printer, parent)
    dlg.setWindowTitle("打印预览")
    dlg.paintRequested.connect(lambda p: paint_pdf(p, pdf, images=images))
    return dlg


# ---------------------------------------------------------------------------------------------
# Settlement documents with the print count
# ---------------------------------------------------------------------------------------------

DOCUMENTS = {"slip": "receipt_printer", "form": "form_printer", "detail": "form_printer"}


def render_document(record: dict, kind: str) -> bytes:
    if kind == "slip":
        from client.printing.documents import render_slip

        return render_slip(record)
    if kind == "form":
        from client.printing.documents import render_form

        return render_form(record)
    if kind == "detail":
        from client.printing.detail_list import render_detail_list

        return render_detail_list(record)
    raise PrintError(f"未知的单据类型“{kind}”（可用：slip 凭条、form 结算单、detail 费用明细）。")


def print_document(record: dict, kind: str, begin_print: Callable[[], dict], *, printers=None,
                   mode: str = "direct", parent=None, to_file: str | os.PathLike | None = None) -> dict:
    """Count the print (``begin_print()`` → flags), render ``kind`` with 补打 marks for reprints and
    print it: ``mode`` = ``direct`` (configured printer: ``printers.receipt_printer`` for the slip,
    ``printers.form_printer`` otherwise), ``dialog``, or ``file`` (``to_file``, PdfFormat QPrinter).
    Returns ``{"flags": ..., "pages": n | None, "via": ...}``."""
    if kind not in DOCUMENTS:
        raise PrintError(f"未知的单据类型“{kind}”（可用：slip 凭条、form 结算单、detail 费用明细）。")
    if mode not in ("direct", "dialog", "file"):
        raise PrintError(f"未知的打印方式“{mode}”（可用：direct 直接打印、dialog 打印对话框、file 打印到文件）。")
    if mode == "file" and to_file is None:
        raise PrintError("打印到文件需要指定文件名。")
    printer_name = getattr(printers, DOCUMENTS[kind], "") if printers is not None else ""
    printer = None
    if mode == "dialog":  # ask first: a cancelled dialog prints nothing and counts nothing
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo

        _app()
        if backend() == "spooler":
            page_images(b"", 72)  # raises the Chinese "no renderer" PrintError
        printer = QPrinter(QPrinterInfo.printerInfo(printer_name), QPrinter.PrinterMode.HighResolution) \
            if printer_name else QPrinter(QPrinter.PrinterMode.HighResolution)
        dlg = QPrintDialog(printer, parent)
        dlg.setWindowTitle("打印")
        if dlg.exec() != QPrintDialog.DialogCode.Accepted:
            return {"flags": dict(record.get("flags") or {}), "pages": None, "via": "cancelled"}
    flags = dict(record.get("flags") or {})
    flags.update(begin_print())  # committed before the paper comes out: every sheet is counted
    pdf = render_document(dict(record, flags=flags), kind)
    if mode == "file":
        return {"flags": flags, "pages": print_pdf_to_file(pdf, to_file), "via": "qt-pdf"}
    if printer is not None:
        return {"flags": flags, "pages": paint_pdf(printer, pdf), "via": "dialog"}
    return {"flags": flags, "pages": None, "via": print_pdf(pdf, printer_name)}
