"""`medsettle offline list|backsettle|refund|decline|requeue` — offline full self-pay and its 补结算.

During an outage the default offline mode takes the whole amount from the patient (全自费) and
queues the visit for 补结算 (docs/offline-and-recovery.md §2, §4a). When the platform is back:

* ``offline list [--state S]`` prints every queued / settled / refused visit (JSON) with its state,
  the refund owed and the method it goes back to;
* ``offline backsettle`` settles the queued visits with the platform (1101 → 2201 → 2203/2204 →
  2206/2207, a fresh msgid for each request) and records the refunds; a settlement whose answer is
  lost is left for ``medsettle recover`` (exit 3), never sent again;
* ``offline refund ID [--cash]`` records that the cash refund of visit ID was handed over at the
  counter (needs an open shift); a refund owed to WeChat / Alipay / a bank card goes back through
  its payment channel and stays owed, unless the patient agrees to take cash (``--cash``);
* ``offline decline ID --reason TEXT`` — the patient does not want 补结算: stays full self-pay;
* ``offline requeue ID`` — a refused / declined visit is tried again (the cause was corrected).

Exit 0 done; 2 refused or invalid input (Chinese message on stderr); 3 something is left for
recovery or the platform did not answer.
"""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("offline", parents=[common], help="离线全自费与医保补结算：查看、补结算、退款",
                              description="离线期间全自费收费的就诊：查看待补结算、医保中心恢复后补结算、登记退款、"
                                          "患者放弃、重新补结算。")
    sub = p.add_subparsers(dest="offline_command", metavar="ACTION")
    sub.required = True
    for name, text in (("list", "查看离线全自费与补结算"), ("backsettle", "医保中心恢复后补结算"),
                       ("refund", "登记已退还患者医保支付部分"), ("decline", "患者放弃补结算（保持全自费）"),
                       ("requeue", "重新补结算（被拒绝或放弃的）")):
        q = sub.add_parser(name, parents=[common], help=text)
        q.add_argument("--operator", metavar="CODE", default="T001", help="经办人工号（默认培训收费员 T001）")
        q.add_argument("--operator-name", metavar="NAME", default="培训收费员", help="经办人姓名")
        if name == "list":
            q.add_argument("--state", metavar="STATE", default=None,
                           help="只列出该状态：queued、refund_owed、done、refused、declined …")
        if name in ("refund", "decline", "requeue"):
            q.add_argument("id", type=int, metavar="ID", help="补结算编号（offline list 的 backsettlement_id）")
        if name == "refund":
            q.add_argument("--cash", action="store_true",
                           help="原为微信/支付宝/银行卡支付、患者同意改在窗口领取现金退款")
        if name == "decline":
            q.add_argument("--reason", required=True, help="患者放弃补结算的原因")
        if name == "backsettle":
            q.add_argument("--max", type=int, default=None, metavar="N", help="最多处理 N 笔")
        q.set_defaults(func=run, offline_action=name)


def run(args) -> int:
    from client.services.clitools import EXIT_OK, EXIT_UNKNOWN, emit_json, guarded

    ctx_box: list = []

    def body() -> int:
        from client.api import Operator
        from client.services import backsettle
        from client.services.context import open_context, settings_from_args

        settings = settings_from_args(args)
        op = Operator(args.operator, args.operator_name, "A03", "内科")
        with open_context(settings, operator=op) as ctx:
            ctx_box.append(ctx)
            action = args.offline_action
            if action == "list":
                backsettle.sync_refunds(ctx.store)
                states = (args.state,) if args.state else None
                emit_json({"summary": backsettle.summary(ctx.store), "visits": backsettle.listing(ctx.store, states=states)})
                return EXIT_OK
            if action == "backsettle":
                backsettle.sync_refunds(ctx.store)
                rep = backsettle.drain(ctx, max_items=args.max)
                emit_json(dict(rep.to_dict(), summary=backsettle.summary(ctx.store)))
                sys.stderr.write(rep.message() + "\n")
                return EXIT_UNKNOWN if (rep.awaiting_recovery or rep.stopped) else EXIT_OK
            if action == "refund":
                emit_json(backsettle.refund_paid(ctx, args.id, in_cash=args.cash))
                return EXIT_OK
            if action == "decline":
                backsettle.decline(ctx, args.id, args.reason)
            else:
                backsettle.requeue(ctx, args.id)
            emit_json([r for r in backsettle.listing(ctx.store) if r["backsettlement_id"] == args.id])
            return EXIT_OK

    return guarded(body, lambda: ctx_box[0].store if ctx_box else None)
