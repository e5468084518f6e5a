"""Decode QR codes and barcodes from images and camera frames (pyzbar / libzbar).

* :func:`decode_image_file` — a PNG/JPEG/BMP… file (e.g. a screenshot of the e-voucher).
* :func:`decode_image` — a PIL image.
* :func:`decode_frame` — a raw 8-bit grayscale frame (``width * height`` bytes), as delivered
  by a camera after conversion to Y8/GREY.

Each returns the decoded payloads as text, in the order zbar reports them, without duplicates.
Payload bytes are decoded as UTF-8, falling back to GB18030 (Chinese QR generators often use
GBK) and finally Latin-1, so no payload is lost.  Problems raise :class:`QrDecodeError` with a
Chinese message; an image without any code returns ``[]``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

__all__ = ["QrDecodeError", "decode_image_file", "decode_image", "decode_frame", "decode_payload"]


class QrDecodeError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _zbar():
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:  # libzbar missing
        raise QrDecodeError(f"二维码识别组件（zbar）不可用：{exc}。请联系信息科安装 libzbar 后重试") from exc
    return pyzbar


def decode_payload(data: bytes) -> str:
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _symbols(names: Iterable[str] | None, pyzbar: Any):
    if names is None:
        return None
    try:
        return [pyzbar.ZBarSymbol[name] for name in names]
    except KeyError as exc:
        raise QrDecodeError(f"不支持的码制：{exc.args[0]}") from None


def _texts(results) -> list[str]:
    out: list[str] = []
    for r in results:
        text = decode_payload(r.data)
        if text not in out:
            out.append(text)
    return out


def decode_image(image: Any, symbols: Iterable[str] | None = None) -> list[str]:
    """Decode every code in a PIL image.  ``symbols`` limits the code types (e.g. ``["QRCODE"]``)."""
    pyzbar = _zbar()
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - pillow is a dependency
        raise QrDecodeError("图像组件（Pillow）不可用，请联系信息科") from exc
    if not isinstance(image, Image.Image):
        raise QrDecodeError("传入的不是图像，无法识别二维码")
    gray = image.convert("L")
    return _texts(pyzbar.decode(gray, symbols=_symbols(symbols, pyzbar)))


def decode_image_file(path: str | os.PathLike[str], symbols: Iterable[str] | None = None) -> list[str]:
    """Decode every code in an image file."""
    from PIL import Image, UnidentifiedImageError

    p = os.fspath(path)
    if not os.path.exists(p):
        raise QrDecodeError(f"图片文件不存在：{p}，请确认文件路径")
    if os.path.isdir(p):
        raise QrDecodeError(f"{p} 是文件夹而不是图片，请选择图片文件")
    try:
        with Image.open(p) as img:
            img.load()
            return decode_image(img, symbols)
    except UnidentifiedImageError:
        raise QrDecodeError(f"无法识别的图片格式：{p}，请使用 PNG 或 JPEG 图片") from None
    except (OSError, ValueError, SyntaxError) as exc:  # truncated/corrupt files
        raise QrDecodeError(f"图片文件已损坏或无法读取：{p}（{exc}），请重新截图或拍照") from None


def decode_frame(width: int, height: int, gray_bytes: bytes | bytearray | memoryview,
                 symbols: Iterable[str] | None = None) -> list[str]:
    """Decode a raw 8-bit grayscale frame of ``width`` × ``height`` pixels (row-major)."""
    if not (isinstance(width, int) and isinstance(height, int)) or width <= 0 or height <= 0:
        raise QrDecodeError(f"摄像头画面尺寸无效：{width}×{height}")
    data = bytes(gray_bytes)
    if len(data) != width * height:
        raise QrDecodeError(
            f"摄像头画面数据长度 {len(data)} 与尺寸 {width}×{height} 不符（应为 {width * height} 字节的灰度图），"
            "请检查摄像头输出格式")
    pyzbar = _zbar()
    return _texts(pyzbar.decode((data, width, height), symbols=_symbols(symbols, pyzbar)))
