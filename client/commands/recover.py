"""`medsettle recover` — resolve unknown settlements the real way (2601 冲正), then drain the outbox.

Runs the same recovery as the window on start-up (``client.services.housekeeping.recover``):
stuck outbox items (``sending``) go back to ``pending``; every 2207/2304 whose outcome is unknown
and older than the grace period is reversed by 2601 (fresh msgid) and marked 未结算 (the cashier
settles again), a 2601 refused for another reason is listed under ``reviews`` for a supervisor; a
lost 2208/2305 is decided by 5203 (refd_setl_flag); then the outbox is drained (offline
settlements forwarded with a fresh msgid per attempt; differences → 退补 records). The summary
has ``reversals`` (2601 sent / accepted / nothing / refused / no_answer).

Prints a summary JSON. Exit 0 when nothing is left pending or unknown, 3 when something remains
(platform unreachable, young requests, items refused and waiting for a person), 2 on errors.
"""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("recover", parents=[common], help="崩溃/断网后恢复：冲正(2601)结果未知的结算，补传离线结算",
                              description="冲正(2601)结果未知的结算、查询(5203)结果未知的撤销，补传离线结算（发送队列），输出汇总 JSON。"
                                          "全部处理完退出码 0，仍有待处理退出码 3。")
    p.add_argument("--no-drain", action="store_true", help="只确认结果未知的结算，不补传发送队列")
    p.add_argument("--grace", type=float, default=None, metavar="SECONDS",
                   help="请求发出后多久才冲正结果未知的结算（默认：连接超时+读取超时+30 秒）")
    p.add_argument("--wait", action="store_true", help="对发出不久的请求等待宽限期结束后再确认")
    p.add_argument("--max-wait", type=float, default=120.0, metavar="SECONDS", help="--wait 最长等待时间（默认 120 秒）")
    p.add_argument("--rounds", type=int, default=3, metavar="N", help="补传失败时最多重试轮数（默认 3）")
    p.add_argument("--operator", metavar="CODE", default="T001", help="经办人工号（默认培训收费员 T001）")
    p.add_argument("--operator-name", metavar="NAME", default="培训收费员", help="经办人姓名")
    p.set_defaults(func=run)


def run(args) -> int:
    from client.services.clitools import EXIT_OK, EXIT_UNKNOWN, emit_json, guarded

    ctx_box: list = []

    def body() -> int:
        from client.api import Operator
        from client.services.context import open_context, settings_from_args
        from client.services.forward import retry_now
        from client.services.housekeeping import recover

        settings = settings_from_args(args)
        op = Operator(args.operator, args.operator_name, "A03", "内科")
        with open_context(settings, operator=op) as ctx:
            ctx_box.append(ctx)
            retry_now(ctx)
            rep = recover(ctx, drain=not args.no_drain, grace_s=args.grace, wait=args.wait,
                          max_wait_s=args.max_wait, rounds=args.rounds)
            rounds = (rep.drain or {}).get("rounds", 1)
            doc = rep.to_dict()
            doc["rounds"] = rounds
            emit_json(doc)
            sys.stderr.write(rep.message() + "\n")
            bs = (rep.drain or {}).get("backsettle") or {}
            if bs.get("attempted"):
                sys.stderr.write(f"补结算：{bs.get('settled', 0)} 笔完成，{bs.get('refused', 0)} 笔被拒绝，"
                                 f"{len(bs.get('awaiting_recovery') or [])} 笔结果待确认（medsettle offline list）。\n")
            return EXIT_OK if rep.clean else EXIT_UNKNOWN

    return guarded(body, lambda: ctx_box[0].store if ctx_box else None)
