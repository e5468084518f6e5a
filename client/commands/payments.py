"""`medsettle payments list|query|refund|statement|owed-resolve` — payment-code trades of this window (docs/payments.md).

``list`` prints one JSON line per trade (``--owed``: the settlements whose share is owed);
``query OUT_TRADE_NO`` asks the gateway (an open trade takes the answer); ``refund OUT_TRADE_NO
[--amount A]`` refunds to the original channel (a supervisor authorises, like a reversal);
``statement [--date YYYYMMDD]`` downloads the gateway statement and reconciles it per channel (exit 1
when there are differences, each named with its settlement and trade no); ``owed-resolve ID --pay
cash:X`` books an owed share paid another way (a supervisor authorises).
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation


def register(subparsers, common) -> None:
    p = subparsers.add_parser("payments", parents=[common], help="付款码收款：列表 / 查询 / 原路退款",
                              description="聚合支付付款码交易：list 列表、query 向聚合支付查询、refund 原路退款。")
    sub = p.add_subparsers(dest="payments_command", required=True)
    ls = sub.add_parser("list", parents=[common], help="列出付款码交易（JSON Lines）")
    ls.add_argument("--owed", action="store_true", help="只列出欠费（自付部分未收到）的结算")
    q = sub.add_parser("query", parents=[common], help="向聚合支付查询一笔交易")
    q.add_argument("out_trade_no")
    r = sub.add_parser("refund", parents=[common], help="原路退款（需要组长授权）")
    r.add_argument("out_trade_no")
    r.add_argument("--amount", metavar="YUAN", help="退款金额（默认全部可退金额）")
    r.add_argument("--reason", default="", help="退款原因")
    r.add_argument("--supervisor", metavar="CODE", help="授权的收费组长工号（不能是经办人本人）")
    pw = r.add_mutually_exclusive_group()
    pw.add_argument("--supervisor-password-env", metavar="VAR", help="存放组长密码的环境变量名（在本机核验）")
    pw.add_argument("--supervisor-password-stdin", action="store_true", help="从标准输入第一行读组长密码")
    ow = sub.add_parser("owed-resolve", parents=[common], help="核销欠费：患者用其他方式补交，或扫新的付款码补收（需要组长授权）")
    ow.add_argument("owed_id", type=int, help="欠费记录号（payments list --owed 的 owed_id）")
    ow.add_argument("--pay", required=True, metavar="METHOD:AMOUNT[:REF]", help="补收方式，如 cash:67.75、bank_card:67.75:终端参考号，或 code:新付款码（扫码补收，扣款成功才核销）")
    ow.add_argument("--supervisor", metavar="CODE", help="授权的收费组长工号")
    ow.add_argument("--reason", default="", help="说明")
    opw = ow.add_mutually_exclusive_group()
    opw.add_argument("--supervisor-password-env", metavar="VAR", help="存放组长密码的环境变量名")
    opw.add_argument("--supervisor-password-stdin", action="store_true", help="从标准输入第一行读组长密码")
    st = sub.add_parser("statement", parents=[common], help="下载聚合支付对账单并与本机账目逐笔核对")
    st.add_argument("--date", metavar="YYYYMMDD", help="对账日期（默认今天）")
    for s in (ls, q, r, st, ow):
        s.add_argument("--operator", metavar="CODE", default="T001", help="经办人工号")
        s.add_argument("--operator-name", metavar="NAME", default="培训收费员", help="经办人姓名")
    p.set_defaults(func=run)


def run(args) -> int:
    from client.services.clitools import EXIT_OK, EXIT_REFUSED, emit_json, guarded

    ctx_box: list = []

    def body() -> int:
        from client.api import Operator
        from client.services import codepay
        from client.services.context import open_context, settings_from_args
        from client.services.errors import ServiceError

        settings = settings_from_args(args)
        with open_context(settings, operator=Operator(args.operator, args.operator_name, "A03", "内科")) as ctx:
            ctx_box.append(ctx)
            cmd = args.payments_command
            if cmd == "list":
                rows = codepay.owed_of(ctx) if args.owed else codepay.trades_of(ctx)
                for row in rows:
                    print(json.dumps(row, ensure_ascii=False))
                return EXIT_OK
            if cmd == "statement":
                from datetime import date

                doc = codepay.reconcile(ctx, args.date or date.today().strftime("%Y%m%d"))
                emit_json(doc)
                for ch, c in doc["channels"].items():
                    sys.stderr.write(f"{ch}：聚合支付 {c['gateway']['count']} 笔 {c['gateway']['amount']} 元，"
                                     f"本机 {c['books']['count']} 笔 {c['books']['amount']} 元。\n")
                for df in doc["differences"]:
                    sys.stderr.write(f"差异：{df['text']}\n")
                sys.stderr.write("对账一致。\n" if doc["reconciled"] else f"对账不一致：{len(doc['differences'])} 处差异。\n")
                return EXIT_OK if doc["reconciled"] else 1
            if cmd == "owed-resolve":
                from client.commands.checkout import _authorization
                from client.services.payments import parse_tender

                auth = _authorization(args, ctx, "reverse", f"owed:{args.owed_id}")
                by = getattr(auth, "authorized_by", None) or args.supervisor
                doc = codepay.resolve_owed(ctx, args.owed_id, parse_tender(args.pay), by=str(by))
                emit_json(doc)
                if doc.get("method") == "code" and not doc.get("collected"):
                    tr = doc["trade"]
                    left = "仍记为欠费" if doc.get("owed_again") else "结果待恢复功能确认（请勿重复扫码）"
                    sys.stderr.write(f"付款码补收未成功：{tr['channel_name']} 订单 {tr['out_trade_no']} "
                                     f"{tr['err_msg'] or tr['state']}；{doc['amount']} 元{left}。\n")
                    return EXIT_REFUSED
                sys.stderr.write(f"欠费已核销：结算记录 {doc['settlement_id']}，{doc['amount']} 元（组长 {by}）。\n")
                return EXIT_OK
            if cmd == "query":
                emit_json(codepay.query(ctx, args.out_trade_no))
                return EXIT_OK
            amount = None
            if args.amount:
                try:
                    amount = Decimal(args.amount)
                except InvalidOperation:
                    raise ServiceError("invalid_input", f"退款金额“{args.amount}”不是有效金额。") from None
            if args.supervisor or not settings.training.enabled:   # the same authorization as a reversal
                from client.commands.checkout import _authorization

                _authorization(args, ctx, "reverse", args.out_trade_no)
            doc = codepay.refund(ctx, args.out_trade_no, amount, reason=args.reason)
            emit_json(doc)
            sys.stderr.write(f"已原路退款：{doc['channel_name']}，订单 {doc['out_trade_no']}，累计退款 {doc['refunded']} 元。\n")
            return EXIT_OK

    return guarded(body, lambda: ctx_box[0].store if ctx_box else None)
