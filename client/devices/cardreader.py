"""Social-security card readers.

* :class:`CardReader` — the protocol the services use: ``read_card() -> CardData``.
* :class:`SimulatedCardReader` — training: cards are "inserted" as ReadCardBas pipe strings.
* :class:`VendorCardReader` — ctypes adapter for the vendor ``HeaSecReadInfo``-style library
  (reference §6)::

      int Init(char *pInitInfo, char *pErrMsg);                  // pInitInfo: JSON
      int ReadCardBas(char *pCardInfo, char *pBusiCardInfo);     // 0 = OK

  Output buffers are 2048 (pCardInfo, pErrMsg) and 8192 (pBusiCardInfo) bytes.  Output text is
  decoded as UTF-8 if valid, else GB18030 (a superset of GBK, which Windows vendor DLLs use).
  On a nonzero return the library's message (pCardInfo, or pBusiCardInfo if that is empty) is
  raised as :class:`CardReaderError`.

Every failure of ``read_card`` — no card, driver error, unreadable data, expired card — is a
:class:`CardReaderError` with a Chinese message; the underlying IdentityError (if any) is the
``__cause__``.
"""

from __future__ import annotations

import ctypes
import json
import os
import queue
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any, Protocol, runtime_checkable

from client.domain.identity import CardData, IdentityError, parse_card_data

__all__ = ["CardReader", "CardReaderError", "SimulatedCardReader", "VendorCardReader", "decode_output",
           "training_card_deck"]

CARD_INFO_SIZE = 2048
BUSI_INFO_SIZE = 8192
ERR_MSG_SIZE = 2048


class CardReaderError(Exception):
    """A card could not be read; ``message`` is Chinese, ``code`` the library's return code."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code


@runtime_checkable
class CardReader(Protocol):
    def read_card(self) -> CardData: ...


def decode_output(buf: bytes) -> str:
    """Text up to the first NUL; UTF-8 if valid, else GB18030, else replacement characters."""
    raw = buf.split(b"\x00", 1)[0]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def _parse(text: str, busi: str = "", today: date | None = None) -> CardData:
    try:
        card = parse_card_data(text, today=today)
    except IdentityError as exc:
        raise CardReaderError(exc.message) from exc
    return replace(card, busi_info=busi) if busi else card


class SimulatedCardReader:
    """Training card reader: ``insert(pipe_string)``; ``read_card()`` takes the next card.

    ``cards`` may be a list of strings (read in order) or a ``queue.Queue`` fed by another
    thread (e.g. the training console).  No card → ``CardReaderError``.
    """

    def __init__(self, cards: Iterable[str] | queue.Queue | None = None, today: date | None = None):
        if isinstance(cards, queue.Queue):
            self._queue = cards
        else:
            self._queue = queue.Queue()
            for c in cards or ():
                self._queue.put(c)
        self._today = today

    def insert(self, card: str) -> None:
        self._queue.put(card)

    def read_card(self) -> CardData:
        try:
            text = self._queue.get_nowait()
        except queue.Empty:
            raise CardReaderError("未检测到社保卡，请将卡片芯片朝上插入读卡器后重试") from None
        if not isinstance(text, str):
            raise CardReaderError("模拟读卡器中的卡片数据不是文本，请重新插卡")
        return _parse(text, today=self._today)


class VendorCardReader:
    """ctypes adapter for a HeaSecReadInfo-style vendor library.

    ``init_info`` is sent to ``Init`` as JSON (e.g. ``{"IP": ..., "PORT": ..., "TIMEOUT": ...,
    "LOG_PATH": ..., "SFZ_DRIVER_TYPE": ...}``; Jiangsu adds EC_URL, ACCESS_KEY … — reference §6),
    encoded with ``input_encoding`` (GBK by default, as Windows vendor DLLs expect).  ``Init`` is
    called once, lazily, before the first read.  ``stdcall=True`` loads the library with
    ``WinDLL`` (Windows only).  Calls are serialised with a lock: vendor libraries are rarely
    thread-safe.
    """

    def __init__(self, lib_path: str | os.PathLike[str], init_info: Mapping[str, Any],
                 input_encoding: str = "gbk", stdcall: bool = False, today: date | None = None):
        self.lib_path = os.fspath(lib_path)
        self.init_info = dict(init_info)
        self.input_encoding = input_encoding
        self.stdcall = stdcall
        self._today = today
        self._lib: Any = None
        self._ready = False
        self._lock = threading.Lock()

    # -- library -----------------------------------------------------------------------------

    def _load(self) -> Any:
        if self._lib is not None:
            return self._lib
        if not os.path.exists(self.lib_path):
            raise CardReaderError(f"读卡器动态库不存在：{self.lib_path}，请确认读卡器驱动已安装并检查配置中的库路径")
        try:
            if self.stdcall and sys.platform == "win32":
                lib = ctypes.WinDLL(self.lib_path)  # type: ignore[attr-defined]
            else:
                lib = ctypes.CDLL(self.lib_path)
        except OSError as exc:
            raise CardReaderError(
                f"无法加载读卡器动态库 {self.lib_path}（{exc}），请检查驱动是否完整、位数（32/64位）是否匹配") from None
        try:
            lib.Init.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
            lib.Init.restype = ctypes.c_int
            lib.ReadCardBas.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
            lib.ReadCardBas.restype = ctypes.c_int
        except AttributeError as exc:
            raise CardReaderError(
                f"读卡器动态库 {self.lib_path} 缺少接口函数（{exc}），请确认使用的是医保读卡动态库") from None
        self._lib = lib
        return lib

    def _init(self) -> None:
        lib = self._load()
        try:
            payload = json.dumps(self.init_info, ensure_ascii=False).encode(self.input_encoding)
        except (TypeError, ValueError) as exc:
            raise CardReaderError(f"读卡器初始化参数无效（{exc}），请检查读卡器配置") from None
        err = ctypes.create_string_buffer(ERR_MSG_SIZE)
        rc = lib.Init(payload, err)
        if rc != 0:
            msg = decode_output(err.raw) or "未返回错误信息"
            raise CardReaderError(f"读卡器初始化失败（返回码 {rc}）：{msg}。请检查读卡器连接和配置后重试", rc)
        self._ready = True

    # -- CardReader ------------------------------------------------------------------------

    def read_raw(self) -> tuple[str, str]:
        """``(pCardInfo, pBusiCardInfo)`` as text; ``CardReaderError`` on a nonzero return."""
        with self._lock:
            if not self._ready:
                self._init()
            card = ctypes.create_string_buffer(CARD_INFO_SIZE)
            busi = ctypes.create_string_buffer(BUSI_INFO_SIZE)
            rc = self._lib.ReadCardBas(card, busi)
            card_text, busi_text = decode_output(card.raw), decode_output(busi.raw)
        if rc != 0:
            msg = card_text.strip() or busi_text.strip() or "未返回错误信息"
            raise CardReaderError(f"读卡失败（返回码 {rc}）：{msg}。请确认卡片已插好后重试", rc)
        return card_text, busi_text

    def read_card(self) -> CardData:
        card_text, busi_text = self.read_raw()
        return _parse(card_text, busi_text, today=self._today)


def training_card_deck(platform_url: str, timeout: float = 5.0) -> list[dict]:
    """The training platform's card deck (``GET /training/cards``): the cards handed out with the
    training devices, each ``{psn_name, certno_masked, insuplc_admdvs, card_data}``. Training only —
    a real hospital has physical cards. Raises :class:`CardReaderError` when the deck cannot be had."""
    import requests

    try:
        r = requests.get(platform_url.rstrip("/") + "/training/cards", timeout=timeout)
        r.raise_for_status()
        doc = r.json()
    except (requests.RequestException, ValueError) as exc:
        raise CardReaderError(f"无法从培训平台取得培训卡：{type(exc).__name__}") from exc
    if not isinstance(doc, dict) or doc.get("code") != 0 or not isinstance(doc.get("data"), list):
        raise CardReaderError("培训平台返回的培训卡列表格式不对")
    return [c for c in doc["data"] if isinstance(c, dict) and c.get("card_data")]
