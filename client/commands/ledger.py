"""`medsettle ledger` — the local settlements as JSON lines (setl_id, mdtrt_id, msgid, state, every
setlinfo amount under its NHSA name). Exit 0, or 2 when the store cannot be opened."""

from __future__ import annotations

import json
import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("ledger", parents=[common], help="列出本机结算记录（JSON Lines）",
                              description="按时间顺序输出本机数据库中的结算记录，每行一个 JSON 对象。")
    p.add_argument("--state", metavar="STATE", help="只列出该状态的记录（sent/unknown/confirmed/reversed/failed）")
    p.set_defaults(func=run)


def run(args) -> int:
    from client.services.clitools import EXIT_OK, guarded

    def body() -> int:
        from pathlib import Path

        from client.services.checkout import ledger
        from client.services.context import STORE_FILE, settings_from_args
        from client.services.errors import ServiceError
        from offline_cache.store import open_store

        data = Path(args.data) if args.data else Path(settings_from_args(args).data_dir)
        path = data / STORE_FILE
        if not path.exists():
            raise ServiceError("invalid_input", f"数据目录中没有本机数据库：{path}。请检查 --data 参数。")
        store = open_store(path, create=False)
        try:
            for row in ledger(store):
                if args.state and row["state"] != args.state:
                    continue
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        finally:
            store.close()
        return EXIT_OK

    return guarded(body)
