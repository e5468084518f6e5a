"""`medsettle dayend reconcile --date D [--hospital URL]` — day-end reconciliation (日结对账).

In hospital mode (``[hospital] url`` or ``--hospital``; on a finance machine the URL names a finance
role) the day is reconciled for the whole institution over every window's replicated books
(client.services.hospital_dayend): 3201 per insutype × clr_type × setl_optins, 3202 per
setl_optins, a mismatch report naming window, operator and settlement, one-sided entries, open
items (backlogs, unknown outcomes) and the local / in-province / cross-province split; the result
is stored in the hospital store. Without a hospital store, this window's own books are reconciled.

Exit 0 only on a clean reconciliation; 1 when it ran and did not balance (the mismatch report on
stderr, the result JSON on stdout); 2 refused / unreachable (Chinese message).
"""

from __future__ import annotations

import sys
from decimal import Decimal


def register(subparsers, common) -> None:
    p = subparsers.add_parser("dayend", parents=[common], help="日结对账（3201/3202；医院库模式下全院对账）",
                              description="日结对账：与医保中心对总账（3201）和明细账（3202）。医院库模式下对全院所有窗口。")
    sub = p.add_subparsers(dest="dayend_command", metavar="ACTION")
    sub.required = True
    q = sub.add_parser("reconcile", parents=[common], help="对账")
    q.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="对账日期")
    q.add_argument("--password-env", metavar="VAR", help="存放医院库账号密码的环境变量名（默认取密钥库 hospital-db）")
    q.add_argument("--no-record", action="store_true", help="只对账，不把结果写入医院库")
    q.set_defaults(func=run)
    q = sub.add_parser("summary", parents=[common], help="全院当日汇总（按窗口、收款方式）、未结事项、对账结果")
    q.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="日期")
    q.add_argument("--password-env", metavar="VAR", help="存放医院库账号密码的环境变量名（默认取密钥库）")
    q.set_defaults(func=run_summary)


def _day(text: str):
    from datetime import date

    from client.services.errors import ServiceError

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ServiceError("invalid_input", f"日期“{text}”应为 YYYY-MM-DD，例如 2026-12-04。") from None


def run_summary(args) -> int:
    from client.services.clitools import EXIT_OK, emit_json, guarded

    def body() -> int:

        from client.domain.codes import PAYMENT_METHOD_NAMES
        from client.services import hospital, hospital_dayend
        from client.services.context import settings_from_args

        day = _day(args.date)
        settings = settings_from_args(args)
        engine = hospital.finance_engine_from_env(settings, args.password_env)
        try:
            doc = hospital_dayend.summary(engine, day)
        finally:
            engine.dispose()
        emit_json(doc)
        sys.stderr.write(f"{args.date} 全院收款汇总：\n")
        for w, methods in sorted(doc["payments_by_window"].items()):
            parts = "，".join(f"{PAYMENT_METHOD_NAMES.get(m, m)} {v['amount']} 元（{v['count']} 笔）" for m, v in methods.items())
            sys.stderr.write(f"  窗口 {w}：{parts}\n")
        total = "，".join(f"{PAYMENT_METHOD_NAMES.get(m, m)} {v} 元" for m, v in doc["payments_total"].items())
        sys.stderr.write(f"  合计：{total or '无'}\n")
        rec = doc["reconciliation"]
        sys.stderr.write("  对账：" + ("未对账" if rec is None else ("平" if rec["clean"] else "不平")
                                      + f"（{rec['run_at'][:19]}，{rec['run_by']}）") + "\n")
        oi = doc["open_items"]
        backlog = sum(b["backlog"] or 0 for b in oi["backlogs"])
        sys.stderr.write(f"  未结事项：结果未知 {len(oi['unknown_outcomes'])} 笔，未补传 {backlog} 条，"
                         f"票据待处理 {len(oi['owed_invoices'])} 张，待收款 {len(oi.get('owed_shares', []))} 笔，"
                         f"部分退费未完成 {len(oi.get('partial_refunds_open', []))} 笔\n")
        held = oi.get("deposits_held", [])
        if held:
            total_held = sum((Decimal(h["balance"]) for h in held), Decimal("0.00"))
            sys.stderr.write(f"  在院预交金：{len(held)} 人，余额合计 {total_held:.2f} 元\n")
        return EXIT_OK

    return guarded(body)


def run(args) -> int:
    from client.services.clitools import EXIT_OK, emit_json, guarded

    def body() -> int:

        from client.services import hospital, hospital_dayend
        from client.services.context import open_context, settings_from_args
        from client.services.dayend import reconcile_day

        day = _day(args.date)
        settings = settings_from_args(args)
        with open_context(settings) as ctx:
            if hospital.enabled(settings):
                engine = hospital.finance_engine_from_env(settings, args.password_env)
                try:
                    result = hospital_dayend.reconcile(ctx, engine, day, record=not args.no_record)
                finally:
                    engine.dispose()
                lines = hospital_dayend.mismatch_lines(result)
            else:
                result = reconcile_day(ctx, day)
                lines = [f"3202 不符：本地结算 {m.get('settlement_id')}（结算ID {m.get('setl_id')}）：{m.get('memo')}"
                         for x in result["details"] for m in x["mismatches"]]
                lines += [f"3201 不平：{t['setl_optins']} {t['stmt_rslt_dscr']}" for t in result["totals"] if not t["balanced"]]
        emit_json(result)
        scope = "全院" if result.get("level") == "institution" else "本窗口"
        if result["clean"] and not any(ln.startswith(("未补传", "结果未知", "待收款", "部分退费未完成")) for ln in lines):
            sys.stderr.write(f"{args.date} {scope}对账平：{result['records']} 笔记录，总账与明细账全部相符。\n")
            return EXIT_OK
        sys.stderr.write(f"{args.date} {scope}对账{'平，但有未结事项' if result['clean'] else '不平'}：\n")
        for ln in lines:
            sys.stderr.write("  " + ln + "\n")
        return 1

    return guarded(body)
