"""`medsettle refund` — 部分退费: the patient returns some lines of a same-day outpatient settlement.

``medsettle refund SETL_ID --return FEEDETL_SN[:CNT] … --supervisor CODE --supervisor-password-stdin``
(or ``--keep FEEDETL_SN[:CNT] …``: the lines / quantities the patient keeps, every other line is
returned; a line may be named by its 1-based line number instead of its feedetl_sn). ``--lines SETL_ID``
lists the lines without changing anything. ``--resume [ID]`` finishes interrupted partial refunds (the
window also does it at start). ``--receipt OUT.pdf`` writes the partial-refund receipt.

One supervised operation (client.services.partial_refund): 2208 → 2205 '0000' → 2204 of the kept lines
→ 2206 → 2207 → the difference of the patient's share back to the original channels in proportion
(payment codes through the gateway, cash from the drawer) → red letter + new e-invoice.

Prints the operation (old and new settlement) as JSON. Exit 0 done, 2 refused / invalid input (Chinese
message on stderr; nothing changed when refused before the 2208), 3 a step's outcome is unknown (kept;
``--resume`` finishes it).
"""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("refund", parents=[common], help="部分退费：退回当日门诊结算中的部分项目（需组长授权）",
                              description="撤销原结算(2208) → 撤销明细(2205) → 上传保留明细(2204) → 预结算(2206) → "
                                          "结算(2207) → 差额按原支付方式比例原路退回 → 红冲原电子票据并开具新票据。")
    p.add_argument("setl_id", nargs="?", metavar="SETL_ID", help="原结算号（当日门诊结算）")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--return", dest="returns", action="append", metavar="FEEDETL_SN[:CNT]",
                      help="要退的明细（明细流水号或行号，可带退回数量；不带数量为整行退回；可多次）")
    what.add_argument("--keep", action="append", metavar="FEEDETL_SN[:CNT]",
                      help="患者保留的明细（明细流水号或行号，可带保留数量；未列出的明细全部退回；可多次）")
    what.add_argument("--lines", action="store_true", help="只列出该结算的明细（行号、流水号、数量、金额），不做任何更改")
    what.add_argument("--resume", nargs="?", const="all", metavar="ID", help="继续完成中断的部分退费（默认全部）")
    what.add_argument("--list", action="store_true", help="列出本机的部分退费记录")
    p.add_argument("--supervisor", metavar="CODE", help="授权的收费组长工号（不能是经办人本人）")
    pw = p.add_mutually_exclusive_group()
    pw.add_argument("--supervisor-password-env", metavar="VAR", help="存放组长密码的环境变量名（在本机核验）")
    pw.add_argument("--supervisor-password-stdin", action="store_true", help="从标准输入第一行读组长密码（在本机核验）")
    p.add_argument("--reason", default="", help="退费原因（如 患者退药）")
    p.add_argument("--grace", type=float, default=None, metavar="SECONDS",
                   help="--resume：请求发出后多久才按结果未知处理（冲正/查询；默认：连接超时+读取超时+30 秒）")
    p.add_argument("--receipt", metavar="OUT.pdf", help="完成后生成部分退费凭条 PDF")
    p.add_argument("--operator", metavar="CODE", default="T001", help="经办人工号（默认培训收费员 T001）")
    p.add_argument("--operator-name", metavar="NAME", default="培训收费员", help="经办人姓名")
    p.set_defaults(func=run)


def keep_to_returns(lines: list[dict], keep: list[str]) -> list[str]:
    """``--keep`` specs → ``--return`` specs: every line not kept in full gives back the rest."""
    from decimal import Decimal

    from client.services.errors import ServiceError
    from client.services.partial_refund import Choice

    kept = Choice.parse(keep).returns
    by = {}
    for key, cnt in kept.items():
        ln = next((x for x in lines if x["feedetl_sn"] == key), None)
        if ln is None and key.isdigit() and 1 <= int(key) <= len(lines):
            ln = lines[int(key) - 1]
        if ln is None:
            raise ServiceError("invalid_input", f"该结算没有明细“{key}”（可用行号 1–{len(lines)} 或明细流水号）。")
        have = Decimal(ln["cnt"])
        c = have if cnt is None else cnt
        if c < 0 or c > have:
            raise ServiceError("invalid_input", f"“{ln['name']}”的保留数量 {c} 无效（结算数量 {ln['cnt']}）。")
        by[ln["feedetl_sn"]] = c
    out = []
    for ln in lines:
        back = Decimal(ln["cnt"]) - by.get(ln["feedetl_sn"], Decimal("0"))
        if back > 0:
            out.append(f"{ln['feedetl_sn']}:{format(back.normalize(), 'f')}")
    if not out:
        raise ServiceError("invalid_input", "保留了全部项目，没有要退的项目。")
    return out


def run(args) -> int:
    from client.services.clitools import EXIT_OK, EXIT_UNKNOWN, emit_json, guarded

    ctx_box: list = []

    def body() -> int:
        from client.api import Operator
        from client.commands.checkout import _authorization, _invoice_housekeeping, _operator
        from client.services import partial_refund as pr
        from client.services.context import open_context, settings_from_args
        from client.services.errors import ServiceError
        from client.services.receipts import Receipts

        settings = settings_from_args(args)
        with open_context(settings, operator=Operator(args.operator, args.operator_name, "A03", "内科")) as ctx:
            ctx_box.append(ctx)
            ctx.operator = _operator(args, settings, ctx.store)
            if args.list:
                for op in pr.list_ops(ctx):
                    emit_json(op, indent=None)
                return EXIT_OK
            if args.resume:
                if args.resume != "all" and not args.resume.isdigit():
                    raise ServiceError("invalid_input", f"部分退费编号“{args.resume}”无效（medsettle refund --list 可查看）。")
                done = pr.resume(ctx, None if args.resume == "all" else int(args.resume), grace_s=args.grace)
                emit_json(done)
                for d in done:
                    sys.stderr.write(d["message"] + "\n")
                if args.receipt and len(done) == 1 and done[0]["ok"]:
                    Receipts(ctx).partial_refund(done[0]["id"], out=args.receipt)
                    sys.stderr.write(f"部分退费凭条已生成：{args.receipt}\n")
                if not done:
                    sys.stderr.write("没有需要继续的部分退费。\n")
                return EXIT_OK if all(d["ok"] for d in done) else EXIT_UNKNOWN
            if not args.setl_id:
                raise ServiceError("invalid_input", "请指定原结算号：medsettle refund SETL_ID --return 明细[:数量] …")
            info = pr.settlement_lines(ctx, args.setl_id)
            if args.lines:
                emit_json(info)
                return EXIT_OK
            specs = args.returns or (keep_to_returns(info["lines"], args.keep) if args.keep else [])
            if not specs:
                raise ServiceError("invalid_input", "请用 --return 指定要退的项目，或用 --keep 指定保留的项目。")
            choice = pr.Choice.parse(specs)
            auth = _authorization(args, ctx, "reverse", args.setl_id)
            out = pr.start(ctx, args.setl_id, choice, auth, reason=args.reason, window=settings.window_id or "")
            _invoice_housekeeping(ctx)
            out = pr.result(ctx, out["id"])
            if args.receipt:
                try:
                    Receipts(ctx).partial_refund(out["id"], out=args.receipt)
                    sys.stderr.write(f"部分退费凭条已生成：{args.receipt}\n")
                except Exception as exc:  # noqa: BLE001 - the refund is done; the receipt can be made again
                    sys.stderr.write(f"提示：部分退费已完成，但凭条生成失败（{exc}）。\n")
            emit_json(out)
            sys.stderr.write(f"部分退费完成：原结算 {out['old_setl_id']} 已撤销，新结算 {out['new_setl_id']}；"
                             f"个人现金支付 {out['old_psn_cash_pay']} → {out['new_psn_cash_pay']} 元，"
                             f"应退 {out['refund_amount']} 元。\n")
            for line in pr.refund_lines(out):
                sys.stderr.write(line + "\n")
            return EXIT_OK

    return guarded(body, lambda: ctx_box[0].store if ctx_box else None)
