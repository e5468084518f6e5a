"""QR decoding with pyzbar from real generated QR images (reportlab's QR encoder + PIL)."""

import pytest
from PIL import Image, ImageDraw
from reportlab.graphics.barcode import qrencoder

from client.devices.qr import QrDecodeError, decode_frame, decode_image, decode_image_file, decode_payload

EC_CODE = "4243754826492874240001130000"  # 28 digits, reference §6


def qr_image(text, scale=6, border=4):
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(text)
    qr.make()
    n = qr.getModuleCount()
    size = (n + 2 * border) * scale
    img = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(img)
    for r in range(n):
        for c in range(n):
            if qr.isDark(r, c):
                x, y = (c + border) * scale, (r + border) * scale
                draw.rectangle([x, y, x + scale - 1, y + scale - 1], fill=0)
    return img


def test_decode_png_file(tmp_path):
    path = tmp_path / "voucher.png"
    qr_image(EC_CODE).save(path)
    assert decode_image_file(path) == [EC_CODE]
    assert decode_image_file(str(path), symbols=["QRCODE"]) == [EC_CODE]


def test_decode_jpeg_rgb_image(tmp_path):
    path = tmp_path / "photo.jpg"
    qr_image("330421198503150016").convert("RGB").save(path, quality=90)
    assert decode_image_file(path) == ["330421198503150016"]


def test_decode_pil_image_with_two_codes():
    a, b = qr_image("X00000019"), qr_image(EC_CODE)
    canvas = Image.new("L", (a.width + b.width + 40, max(a.height, b.height)), 255)
    canvas.paste(a, (0, 0))
    canvas.paste(b, (a.width + 40, 0))
    assert sorted(decode_image(canvas)) == sorted(["X00000019", EC_CODE])


def test_decode_raw_grayscale_frame():
    img = qr_image(EC_CODE, scale=4)
    frame = Image.new("L", (320, 240), 200)  # camera frame with the code off-centre
    frame.paste(img, (40, 20))
    assert decode_frame(320, 240, frame.tobytes()) == [EC_CODE]


def test_blank_image_has_no_codes():
    assert decode_image(Image.new("L", (100, 100), 255)) == []


def test_frame_size_mismatch_is_clear():
    with pytest.raises(QrDecodeError, match="数据长度"):
        decode_frame(10, 10, b"\x00" * 99)
    with pytest.raises(QrDecodeError, match="尺寸无效"):
        decode_frame(0, 10, b"")


def test_unreadable_files(tmp_path):
    with pytest.raises(QrDecodeError, match="不存在"):
        decode_image_file(tmp_path / "missing.png")
    with pytest.raises(QrDecodeError, match="文件夹"):
        decode_image_file(tmp_path)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"this is not an image")
    with pytest.raises(QrDecodeError, match="无法识别的图片格式"):
        decode_image_file(junk)
    good = tmp_path / "cut.png"
    qr_image(EC_CODE).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(QrDecodeError, match="损坏"):
        decode_image_file(truncated)


def test_not_an_image_and_bad_symbol():
    with pytest.raises(QrDecodeError):
        decode_image("not an image")
    with pytest.raises(QrDecodeError, match="不支持的码制"):
        decode_image(qr_image("x"), symbols=["NOPE"])


def test_payload_encodings():
    assert decode_payload("沈明".encode()) == "沈明"
    assert decode_payload("沈明".encode("gbk")) == "沈明"
    assert decode_payload(b"\xff\xfe\xfd") == "\xff\xfe\xfd"
