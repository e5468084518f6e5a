"""Shared plumbing of the `medsettle sync|checkout|ledger` commands: error reporting and exit codes.

Exit codes: 0 done; 2 refused / invalid input / offline / unusable store or configuration (Chinese
message on stderr, ``{"error": {...}}`` on stdout); 3 outcome unknown (left for recovery).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from .errors import ServiceError

EXIT_OK = 0
EXIT_REFUSED = 2
EXIT_UNKNOWN = 3

log = logging.getLogger("client.services.cli")


def emit_json(doc: Any, *, indent: int | None = 2) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=indent) + "\n")
    sys.stdout.flush()


def fail(err: ServiceError) -> int:
    code = EXIT_UNKNOWN if err.code == "unknown" else EXIT_REFUSED
    doc: dict = {"error": err.to_dict()}
    if err.code == "unknown":
        doc["state"] = "unknown"
    emit_json(doc)
    sys.stderr.write(("错误：" if code == EXIT_REFUSED else "注意：") + err.message + "\n")
    if code == EXIT_UNKNOWN:
        sys.stderr.write("本次结算已记录为“结果未知”，请勿重复结算；执行 medsettle recover：超过宽限期后将向医保中心冲正(2601)该笔结算，"
                         "标记为未结算后再为患者重新结算。\n")
    return code


def guarded(fn: Callable[[], int], store_ref: Callable[[], Any] | None = None) -> int:
    """Run ``fn``; turn every failure into a Chinese message and an exit code (never a traceback)."""
    from offline_cache.errors import StoreError

    try:
        return fn()
    except ServiceError as err:
        return fail(err)
    except StoreError as err:
        return fail(ServiceError("store", err.message, detail=err.detail or ""))
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence of a CLI
        from pathlib import Path

        from offline_cache.store import translate_error

        store = store_ref() if store_ref else None
        translated = store.translate(exc) if store is not None else translate_error(exc, Path("本机数据库"), None)
        if translated is not None:
            return fail(ServiceError("store", translated.message, detail=translated.detail or ""))
        log.exception("unexpected error in a medsettle command")
        return fail(ServiceError("internal", f"程序内部错误（{exc.__class__.__name__}），本次操作未完成。"
                                             "请把日志发给信息科。"))
