"""`medsettle audit`: verify, list and export the hash-chained audit log of this window.

    medsettle audit verify [--data DIR] [--expect-head SEQ:HASH]
    medsettle audit list   [--data DIR] [--since "YYYY-MM-DD[ HH:MM[:SS]]"] [--action ACTION] [--actor CODE] [--limit N]
    medsettle audit export --out FILE [--data DIR] [--operator CODE]
    medsettle audit head   [--data DIR]

Exit codes: 0 = done / chain intact; 1 = the chain is broken (the FIRST broken link is named:
seq, time, action, reason); 2 = could not run (no database, bad arguments; message printed).
Details are stored masked (client.services.audit) and are masked again for display.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_ERROR = 2


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("audit", parents=[common], help="审计日志：校验、查询、导出",
                              description="审计日志：校验哈希链 (verify)、查询 (list)、导出 (export)、显示链头 (head)")
    sub = p.add_subparsers(dest="audit_command", metavar="ACTION")
    nested = common   # client.cli hands out the common options with SUPPRESS defaults already
    v = sub.add_parser("verify", parents=[nested], help="校验审计日志哈希链是否完整")
    v.add_argument("--expect-head", metavar="SEQ:HASH", help="外部保存的链头（日结单上打印的），用于发现截断或整链重写")
    ls = sub.add_parser("list", parents=[nested], help="列出审计记录（个人信息已脱敏）")
    ls.add_argument("--since", metavar="TIME", help="起始时间，如 2026-11-22 或 \"2026-11-22 08:00\"")
    ls.add_argument("--action", metavar="ACTION", help="只列出该类型，如 settle、reverse、authorize")
    ls.add_argument("--actor", metavar="CODE", help="只列出该操作员")
    ls.add_argument("--limit", type=int, default=0, metavar="N", help="最多列出 N 条（最新的）")
    ex = sub.add_parser("export", parents=[nested], help="导出审计日志（JSON Lines，含哈希，可离线校验）")
    ex.add_argument("--out", required=True, metavar="FILE", help="导出文件（.jsonl 或 .csv）")
    ex.add_argument("--operator", metavar="CODE", help="执行导出的操作员工号（记入审计日志）")
    sub.add_parser("head", parents=[nested], help="显示链头（序号:哈希），请抄录在日结单上")
    p.set_defaults(func=run)


def _data_dir(args: argparse.Namespace):
    from pathlib import Path

    from client.config import check_config, cli_overrides, default_data_dir

    if getattr(args, "data", None):
        return Path(args.data)
    if getattr(args, "config", None):
        report = check_config(args.config, overrides=cli_overrides(args))
        if report.settings is not None:
            return report.settings.data_dir
    return default_data_dir()


def _open(args: argparse.Namespace):
    from client.services.context import STORE_FILE
    from offline_cache.store import open_store

    return open_store(_data_dir(args) / STORE_FILE, create=False)


def run(args: argparse.Namespace) -> int:
    from offline_cache.errors import StoreError

    action = getattr(args, "audit_command", None) or "verify"
    try:
        store = _open(args)
    except StoreError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_ERROR
    try:
        if action == "list":
            return _list(store, args)
        if action == "export":
            return _export(store, args)
        if action == "head":
            return _head(store)
        return _verify(store, args)
    except StoreError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_ERROR
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------

def _label(action: str) -> str:
    from client.services.audit import ACTION_LABELS

    label = ACTION_LABELS.get(action)
    return f"{action}（{label}）" if label else action


def _row(store, seq: int):
    with store.read_connection() as conn:
        return conn.exec_driver_sql("SELECT seq, time, actor, action FROM audit_events WHERE seq = ?", (seq,)).first()


def _verify(store, args: argparse.Namespace) -> int:
    from offline_cache.audit import head, verify_chain

    expected = None
    if getattr(args, "expect_head", None):
        seq_s, _, h = args.expect_head.partition(":")
        if not seq_s.strip().isdigit() or len(h.strip()) != 64:
            sys.stderr.write("--expect-head 格式应为 序号:64位哈希，例如 128:3fa4…（见日结单）。\n")
            return EXIT_ERROR
        expected = (int(seq_s), h.strip().lower())
    res = verify_chain(store, expected_head=expected)
    with store.read_session() as s:
        top = head(s)
    if res.ok:
        n = top[0] if top else 0
        sys.stdout.write(f"审计日志完整：共 {n} 条记录，哈希链校验通过。\n")
        if top:
            sys.stdout.write(f"链头：{top[0]}:{top[1]}\n")
        return EXIT_OK
    seq = res.first_broken_seq
    row = _row(store, seq) if seq is not None else None
    if row is not None:
        where = f"第 {row[0]} 条（时间 {row[1]}，操作员 {row[2]}，操作 {_label(row[3])}）"
    else:
        where = f"第 {seq} 条（该序号的记录已不存在）"
    sys.stdout.write(f"审计日志校验失败：第一处断链在{where}。\n原因：{res.reason}\n"
                     "请立即停止修改本机数据，保留数据库文件（不要删除或覆盖），并联系信息科核查；"
                     "可用 `medsettle audit export` 导出现有记录作为证据。\n")
    return EXIT_BROKEN


def _parse_since(text: str):
    from datetime import datetime

    t = text.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(t, fmt).astimezone()
        except ValueError:
            continue
    return None


def _events(store):
    import json

    with store.read_connection() as conn:
        rows = conn.exec_driver_sql("SELECT seq, time, actor, action, detail_json, prev_hash, hash "
                                    "FROM audit_events ORDER BY seq").fetchall()
    for seq, time, actor, action, detail_json, prev_hash, h in rows:
        try:
            detail = json.loads(detail_json)
        except ValueError:
            detail = {"_unreadable": detail_json}
        yield {"seq": seq, "time": time, "actor": actor, "action": action, "detail": detail,
               "prev_hash": prev_hash, "hash": h}


def _time_of(ev: dict):
    from datetime import datetime

    try:
        t = datetime.fromisoformat(ev["time"])
    except (TypeError, ValueError):
        return None
    return t if t.tzinfo else t.astimezone()


def _list(store, args: argparse.Namespace) -> int:
    import json

    from client.services.audit import mask_detail

    since = None
    if getattr(args, "since", None):
        since = _parse_since(args.since)
        if since is None:
            sys.stderr.write("--since 格式应为 2026-11-22 或 \"2026-11-22 08:00\"。\n")
            return EXIT_ERROR
    out = []
    for ev in _events(store):
        if getattr(args, "action", None) and ev["action"] != args.action:
            continue
        if getattr(args, "actor", None) and ev["actor"] != args.actor:
            continue
        if since is not None:
            t = _time_of(ev)
            if t is None or t < since:
                continue
        out.append(ev)
    if getattr(args, "limit", 0) and args.limit > 0:
        out = out[-args.limit:]
    w = sys.stdout.write
    for ev in out:
        detail = json.dumps(mask_detail(ev["detail"]), ensure_ascii=False, sort_keys=True)
        w(f"{ev['seq']:>6}  {ev['time'][:19].replace('T', ' ')}  {ev['actor']:<8}  {_label(ev['action'])}  {detail}\n")
    w(f"共 {len(out)} 条。\n")
    return EXIT_OK


def _export(store, args: argparse.Namespace) -> int:
    import csv
    import getpass
    import io
    import json
    from pathlib import Path

    from client.fsutil import write_private_file
    from client.services.audit import mask_detail, record_export

    path = Path(args.out)
    events = list(_events(store))
    for ev in events:   # stored masked already; mask again for a file that leaves the machine
        ev["detail_masked"] = mask_detail(ev["detail"])
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        wr = csv.writer(buf)
        wr.writerow(["seq", "time", "actor", "action", "detail", "prev_hash", "hash"])
        for ev in events:
            wr.writerow([ev["seq"], ev["time"], ev["actor"], ev["action"],
                         json.dumps(ev["detail_masked"], ensure_ascii=False, sort_keys=True), ev["prev_hash"], ev["hash"]])
        text = buf.getvalue()
    else:
        # ``detail`` is the stored (hashed) text so the export can be verified offline.
        text = "".join(json.dumps({k: ev[k] for k in ("seq", "time", "actor", "action", "detail", "prev_hash", "hash")},
                                  ensure_ascii=False, sort_keys=True) + "\n" for ev in events)
    try:
        write_private_file(path, text)
    except OSError as exc:
        sys.stderr.write(f"无法写入导出文件 {path}：{exc.strerror or exc}。请检查目录是否存在、是否有写权限。\n")
        return EXIT_ERROR
    actor = getattr(args, "operator", None) or f"os:{getpass.getuser()}"
    record_export(store, actor, what="audit_events", path=str(path), rows=len(events))
    sys.stdout.write(f"已导出 {len(events)} 条审计记录到 {path}（本次导出已记入审计日志）。\n")
    return EXIT_OK


def _head(store) -> int:
    from offline_cache.audit import head

    with store.read_session() as s:
        top = head(s)
    if top is None:
        sys.stdout.write("审计日志为空。\n")
    else:
        sys.stdout.write(f"{top[0]}:{top[1]}\n")
    return EXIT_OK
