"""The one font every document uses: WenQuanYi Micro Hei (TrueType outlines, Apache-2.0).

ReportLab embeds TrueType fonts as *subsets* (only the glyphs a document uses), so every PDF we
write carries its own font and prints identically on any machine. We never use the CID fonts
(``STSong-Light`` relies on the reader having the font) nor the 14 standard fonts (Helvetica is not
embedded): ``pdffonts`` on any of our PDFs lists only embedded fonts. Digits are drawn with the
same font.

``register()`` is idempotent and thread-safe; it returns the registered font name.
"""

from __future__ import annotations

import threading

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from client.resources import resource

__all__ = ["FONT", "FONT_FILE", "register", "string_width"]

FONT = "WQYMicroHei"
FONT_FILE = ("fonts", "wqy-microhei.ttc")
_SUBFONT_INDEX = 0  # 0 = WenQuanYi Micro Hei, 1 = WenQuanYi Micro Hei Mono

_lock = threading.Lock()


def register() -> str:
    """Register the CJK TrueType font with ReportLab (once per process) and return its name."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    with _lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            path = resource(*FONT_FILE)
            if not path.is_file():
                raise FileNotFoundError(
                    f"找不到打印字体文件 {path}。请重新安装 MedSettle 或联系信息科恢复 resources/fonts 目录。"
                )
            pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=_SUBFONT_INDEX))
    return FONT


def string_width(text: str, size: float) -> float:
    """Width in points of *text* in the document font at *size*."""
    return pdfmetrics.stringWidth(text, register(), size)
