"""`medsettle inpatient admit|change|cancel|deposit|refund-deposit|upload|cancel-fees|midsettle|discharge|reverse|show|recover`
— inpatient stays with deposits (client.services.inpatient; docs/cashier-guide.md 住院).

``admit --certno ID [--his | --dept A04:外科 --bed 07 --doctor D1:韩立新 --diag K80.100:胆囊结石…]`` (2401);
``change STAY --bed 12 [--dept …] [--doctor …] [--diag …]`` (2403); ``cancel STAY`` (2404);
``deposit STAY --amount 2000.00 [--cash-tendered 2000] | --code PAYCODE`` (预交金, ``--receipt R.pdf``);
``refund-deposit STAY --amount A --supervisor CODE --supervisor-password-stdin`` (退预交金);
``upload STAY [--day N] [--fees FILE]`` (2301 of the HIS day's fees or a fee file);
``cancel-fees STAY [--feedetl-sn SN]`` (2302, default all unsettled);
``midsettle STAY [--pay cash:…]`` (2303 + 2304 mid_setl_flag "1", paid from the deposit first);
``discharge STAY [--endtime T] [--pay …]`` (2402, then 2303 + 2304 final: netting, the surplus refunded);
``reverse STAY SETL_ID --supervisor CODE --supervisor-password-stdin`` (2305, the deposit restored);
``show [STAY] [--table]`` (one stay as JSON, or the in-ward list); ``recover`` (lost answers, 2601/2302/gateway).

Output: JSON on stdout (``--table``: a table for ``show``), Chinese messages on stderr. Exit 0 done,
2 refused / invalid input, 3 outcome unknown (run ``medsettle inpatient recover`` / ``medsettle recover``).
"""

from __future__ import annotations

import sys


def _pair(v: str | None, what: str) -> tuple[str, str]:
    from client.services.errors import ServiceError

    if not v:
        return "", ""
    code, sep, name = v.partition(":")
    if not sep or not code.strip() or not name.strip():
        raise ServiceError("invalid_input", f"{what}“{v}”格式错误，应为 编码:名称，例如 A04:外科。")
    return code.strip(), name.strip()


def register(subparsers, common) -> None:
    p = subparsers.add_parser("inpatient", parents=[common], help="住院：入院登记、预交金、每日费用上传、中途结算、出院结算",
                              description="住院患者：入院登记（2401）→ 预交金 → 每日费用上传（2301）→ 中途结算 → 出院（2402）"
                                          "→ 出院结算（预交金冲抵，多退少补）。")
    sub = p.add_subparsers(dest="inpatient_command", required=True)
    stay = {"metavar": "STAY", "type": int, "help": "住院记录号（show 列出）"}

    a = sub.add_parser("admit", parents=[common], help="入院登记（2401）")
    a.add_argument("--certno", required=True, metavar="ID", help="身份证号")
    a.add_argument("--his", action="store_true", help="取 HIS 的在院信息（住院号、入院时间、科室、床位、医生、诊断）")
    a.add_argument("--ipt-no", metavar="NO", help="住院号（默认取 HIS 或自动生成）")
    a.add_argument("--dept", metavar="CODE:NAME", help="入院科室，如 A04:外科")
    a.add_argument("--bed", metavar="BED", help="床位")
    a.add_argument("--doctor", metavar="CODE:NAME", help="主治医生，如 D310118000207:韩立新")
    a.add_argument("--diag", metavar="CODE:NAME", help="入院诊断，如 K80.100:胆囊结石伴慢性胆囊炎")
    a.add_argument("--begntime", metavar="TIME", help="入院时间 yyyy-MM-dd HH:mm:ss（默认 HIS 或现在）")
    a.add_argument("--med-type", default=None, metavar="CODE", help="医疗类别（默认 21 普通住院）")

    c = sub.add_parser("change", parents=[common], help="住院信息变更（2403）：床位、科室、医生、诊断")
    c.add_argument("stay", **stay)
    c.add_argument("--bed", metavar="BED")
    c.add_argument("--dept", metavar="CODE:NAME")
    c.add_argument("--doctor", metavar="CODE:NAME")
    c.add_argument("--diag", metavar="CODE:NAME")

    x = sub.add_parser("cancel", parents=[common], help="入院办理撤销（2404，仅无费用、无结算、预交金已退清时）")
    x.add_argument("stay", **stay)
    x.add_argument("--reason", default="", help="撤销原因")

    d = sub.add_parser("deposit", parents=[common], help="收预交金（现金或付款码）")
    d.add_argument("stay", **stay)
    d.add_argument("--amount", required=True, metavar="YUAN", help="预交金金额")
    how = d.add_mutually_exclusive_group()
    how.add_argument("--cash-tendered", metavar="YUAN", help="现金实收（多收找零）；不写为现金整收")
    how.add_argument("--code", metavar="PAYCODE", help="患者付款码（扫码枪扫描）")
    d.add_argument("--receipt", metavar="OUT.pdf", help="收款成功后生成预交金收据 PDF")

    r = sub.add_parser("refund-deposit", parents=[common], help="退预交金（需要组长授权）")
    r.add_argument("stay", **stay)
    r.add_argument("--amount", required=True, metavar="YUAN")
    r.add_argument("--receipt", metavar="OUT.pdf", help="退款凭证 PDF（每笔退款一份：OUT-1.pdf …）")

    u = sub.add_parser("upload", parents=[common], help="上传住院费用明细（2301）")
    u.add_argument("stay", **stay)
    u.add_argument("--day", type=int, metavar="N", help="住院第 N 天的 HIS 费用（默认到今天为止的全部未上传费用）")
    u.add_argument("--fees", metavar="FILE", help="费用文件（JSON/CSV，含 fee_ocur_time）代替 HIS")

    cf = sub.add_parser("cancel-fees", parents=[common], help="撤销住院费用明细（2302）")
    cf.add_argument("stay", **stay)
    cf.add_argument("--feedetl-sn", default="0000", metavar="SN", help="费用明细流水号（默认 0000：全部未结算明细）")

    m = sub.add_parser("midsettle", parents=[common], help="中途结算（2303 + 2304，mid_setl_flag 1）")
    m.add_argument("stay", **stay)
    dc = sub.add_parser("discharge", parents=[common], help="出院（2402）并出院结算（预交金冲抵，多退少补）")
    dc.add_argument("stay", **stay)
    dc.add_argument("--endtime", metavar="TIME", help="出院时间（默认现在）")
    dc.add_argument("--dscg-way", default="1", metavar="CODE", help="离院方式（默认 1 医嘱离院）")
    dc.add_argument("--no-settle", action="store_true", help="只办理出院（2402），暂不结算")
    for s in (m, dc):
        s.add_argument("--pay", nargs="+", action="extend", metavar="METHOD:AMOUNT",
                       help="预交金不足时收取差额：cash:… bank_card:… wechat:… 或 code:付款码")
        s.add_argument("--acct", choices=("0", "1"), default="0", help="是否使用个人账户（默认 0）")

    rv = sub.add_parser("reverse", parents=[common], help="撤销住院结算（2305，需要组长授权；冲抵的预交金退回余额）")
    rv.add_argument("stay", **stay)
    rv.add_argument("setl_id")

    sh = sub.add_parser("show", parents=[common], help="查看住院记录（不写记录号：在院患者列表）")
    sh.add_argument("stay", nargs="?", type=int, metavar="STAY")
    sh.add_argument("--all", action="store_true", help="列出全部住院记录（含已结算、已撤销）")
    sh.add_argument("--table", action="store_true", help="表格输出")

    rc = sub.add_parser("recover", parents=[common], help="恢复：入院结果未知(2601)、费用上传结果未知(2302)、预交金收退未确认")
    rc.add_argument("--grace", type=float, default=None, metavar="SECONDS", help="宽限期秒数（默认按超时设置）")

    for s in (a, c, x, d, r, u, cf, m, dc, rv, sh, rc):
        s.add_argument("--operator", metavar="CODE", default="T001", help="经办人工号（默认培训收费员 T001）")
        s.add_argument("--operator-name", metavar="NAME", default="培训收费员", help="经办人姓名")
    for s in (r, rv):
        s.add_argument("--supervisor", metavar="CODE", help="授权的收费组长工号（不能是经办人本人）")
        s.add_argument("--reason", default="", help="原因")
        pw = s.add_mutually_exclusive_group()
        pw.add_argument("--supervisor-password-env", metavar="VAR", help="存放组长密码的环境变量名（在本机核验）")
        pw.add_argument("--supervisor-password-stdin", action="store_true", help="从标准输入第一行读组长密码（在本机核验）")
    p.set_defaults(func=run)


def _table(rows: list[dict], cols: list[tuple[str, str]]) -> str:
    import unicodedata

    def w(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

    widths = [max([w(h)] + [w(str(r.get(k) if r.get(k) is not None else "")) for r in rows]) for k, h in cols]
    out = ["  ".join(h + " " * (n - w(h)) for (_k, h), n in zip(cols, widths, strict=True))]
    for r in rows:
        vals = [str(r.get(k) if r.get(k) is not None else "") for k, _h in cols]
        out.append("  ".join(v + " " * (n - w(v)) for v, n in zip(vals, widths, strict=True)))
    return "\n".join(out)


def run(args) -> int:
    from client.services.clitools import EXIT_OK, emit_json, guarded

    ctx_box: list = []

    def body() -> int:
        from decimal import Decimal

        from client.api import Operator
        from client.commands.checkout import _authorization, _operator
        from client.services.context import open_context, settings_from_args
        from client.services.errors import ServiceError
        from client.services.fees import HttpHisAdapter, load_fee_file
        from client.services.inpatient import StayService, find_stays, recover_stays, stay_record
        from client.services.payments import parse_tender

        settings = settings_from_args(args)
        cmd = args.inpatient_command
        with open_context(settings, operator=Operator(args.operator, args.operator_name, "A03", "内科")) as ctx:
            ctx_box.append(ctx)
            ctx.operator = _operator(args, settings, ctx.store)
            svc = StayService(ctx, his=HttpHisAdapter(settings.platform.url, ctx.fixmedins_code))
            err = sys.stderr.write
            if cmd == "admit":
                from client.services.identify import IdentifyService

                person = IdentifyService(ctx).by_certno(args.certno)
                dept, doctor, diag = _pair(args.dept, "科室"), _pair(args.doctor, "医生"), _pair(args.diag, "诊断")
                kw = {"dept_code": dept[0] or None, "dept_name": dept[1] or None, "bed": args.bed,
                      "dr_code": doctor[0] or None, "dr_name": doctor[1] or None, "diag_code": diag[0] or None,
                      "diag_name": diag[1] or None, "begntime": args.begntime, "ipt_no": args.ipt_no,
                      "med_type": args.med_type}
                if args.his:
                    rec = svc.admit_from_his(person, **kw)
                else:
                    kw["med_type"] = kw["med_type"] or "21"
                    rec = svc.admit(person, **kw)
                emit_json(rec)
                err(f"入院登记成功：住院记录 {rec['stay_id']}，住院号 {rec['ipt_no']}，就诊ID {rec['mdtrt_id']}。\n")
                return EXIT_OK
            if cmd == "change":
                kw = {}
                for flag, names in (("dept", ("dept_code", "dept_name")), ("doctor", ("dr_code", "dr_name")),
                                    ("diag", ("diag_code", "diag_name"))):
                    v = getattr(args, flag)
                    if v:
                        kw.update(dict(zip(names, _pair(v, {"dept": "科室", "doctor": "医生", "diag": "诊断"}[flag]),
                                           strict=True)))
                if args.bed:
                    kw["bed"] = args.bed
                rec = svc.change(args.stay, **kw)
                emit_json(rec)
                err(f"住院信息已变更（2403）：住院号 {rec['ipt_no']}，床位 {rec['bed']}，科室 {rec['dept_name']}。\n")
                return EXIT_OK
            if cmd == "cancel":
                rec = svc.cancel(args.stay, reason=args.reason)
                emit_json(rec)
                err(f"已撤销入院（2404）：住院号 {rec['ipt_no']}。\n")
                return EXIT_OK
            if cmd == "deposit":
                if args.code:
                    row = svc.take_deposit(args.stay, args.amount, method="code", code=args.code)
                else:
                    row = svc.take_deposit(args.stay, args.amount, tendered=args.cash_tendered)
                if args.receipt:
                    svc.deposit_receipt(row["deposit_id"], out=args.receipt)
                emit_json(row)
                err(f"已收预交金 {row['amount']} 元（{row['method_name']}），收据号 {row['receipt_no']}，"
                    f"预交金余额 {row['balance']} 元。" + (f"找零 {row['change']} 元。" if row.get("change") else "") + "\n")
                return EXIT_OK
            if cmd == "refund-deposit":
                rec = stay_record(ctx, args.stay)
                auth = _authorization(args, ctx, "reverse", f"deposit:{rec['ipt_no']}")
                out = svc.refund_deposit(args.stay, args.amount, auth, reason=args.reason)
                _receipts(svc, out["refunds"], args.receipt)
                emit_json(out)
                for r in out["refunds"]:
                    err(f"退预交金 {r['amount']} 元（{r['method_name']}）：{'已退' if r['state'] == 'done' else r['state']}。\n")
                err(f"预交金余额 {out['balance']} 元。\n")
                return EXIT_OK
            if cmd == "upload":
                lines = list(load_fee_file(args.fees)) if args.fees else None
                out = svc.upload(args.stay, day=args.day, lines=lines)
                emit_json(out)
                err(f"已上传费用明细 {out['uploaded']} 条，{out['amount']} 元" +
                    (f"（{out['skipped']} 条已上传过，跳过）" if out["skipped"] else "") + "。\n")
                return EXIT_OK
            if cmd == "cancel-fees":
                out = svc.cancel_fees(args.stay, args.feedetl_sn)
                emit_json(out)
                err(f"已撤销费用明细 {out['cancelled']} 条，{out['amount']} 元（2302）。\n")
                return EXIT_OK
            if cmd in ("midsettle", "discharge"):
                if cmd == "discharge":
                    rec = svc.discharge(args.stay, endtime=args.endtime, dscg_way=args.dscg_way)
                    err(f"已办理出院（2402）：住院号 {rec['ipt_no']}，出院时间 {rec['endtime']}。\n")
                    if args.no_settle:
                        emit_json(rec)
                        return EXIT_OK
                elif stay_record(ctx, args.stay)["state"] != "admitted":
                    raise ServiceError("invalid_input", "中途结算只用于在院患者；已出院的请用 discharge 出院结算。")
                trial = svc.presettle(args.stay, acct_used_flag=args.acct)
                err(f"{'出院' if trial['final'] else '中途'}预结算：医疗费 {trial['medfee_sumamt']} 元，个人自付 "
                    f"{trial['psn_cash_pay']} 元，预交金冲抵 {trial['deposit_applied']} 元，还应收 {trial['to_collect']} 元"
                    + (f"，结算后退还预交金 {trial['surplus']} 元" if trial["final"] else "") + "。\n")
                tenders = [parse_tender(s) for s in (args.pay or [])]
                if Decimal(trial["to_collect"]) > 0 and not tenders:
                    raise ServiceError("invalid_input", f"预交金不足，还应收 {trial['to_collect']} 元：请用 --pay 收取"
                                                        f"（如 --pay cash:{trial['to_collect']}），本次未结算。")
                out = svc.settle(args.stay, tenders)
                emit_json(out)
                s = out["settlement"]
                err(f"{'出院' if trial['final'] else '中途'}结算成功：结算号 {s['setl_id']}，预交金冲抵 {out['deposit_applied']} 元，"
                    f"另收 {out['collected']} 元，预交金余额 {out['stay']['books']['balance']} 元。\n")
                for r in out["refunds"]:
                    err(f"退还预交金 {r['amount']} 元（{r['method_name']}）：{'已退' if r['state'] == 'done' else r['state']}。\n")
                for w in out["warnings"]:
                    err(f"注意：{w}\n")
                return EXIT_OK
            if cmd == "reverse":
                auth = _authorization(args, ctx, "reverse", args.setl_id)
                out = svc.reverse(args.stay, args.setl_id, auth, reason=args.reason)
                emit_json(out)
                err(f"已撤销住院结算 {args.setl_id}（2305），预交金余额 {out['stay']['books']['balance']} 元。\n")
                return EXIT_OK
            if cmd == "show":
                if args.stay is None:
                    rows = find_stays(ctx, active_only=not args.all)
                    if args.table:
                        print(_table(rows, [("stay_id", "记录号"), ("ipt_no", "住院号"), ("psn_name", "姓名"),
                                            ("certno", "证件号"), ("state_name", "状态"), ("dept_name", "科室"),
                                            ("bed", "床位"), ("begntime", "入院时间"), ("balance", "预交金余额")]))
                    else:
                        emit_json(rows)
                    return EXIT_OK
                rec = stay_record(ctx, args.stay)
                if args.table:
                    print(f"住院记录 {rec['stay_id']}  住院号 {rec['ipt_no']}  {rec['person']['psn_name']} "
                          f"{rec['person']['certno']}  {rec['state_name']}  {rec['dept_name']} {rec['bed']}床")
                    print(_table(rec["deposits"], [("created_at", "时间"), ("kind_name", "项目"), ("method_name", "方式"),
                                                   ("amount", "金额"), ("state", "状态"), ("receipt_no", "收据号"),
                                                   ("balance", "余额")]))
                    b = rec["books"]
                    print(f"交 {b['taken']} − 退 {b['refunded']} − 冲抵 {b['applied_net']} = 余额 {b['balance']}")
                else:
                    emit_json(rec)
                return EXIT_OK
            out = recover_stays(ctx, grace_s=args.grace)
            emit_json(out)
            err(f"住院恢复完成：冲正入院 {out['admissions_reversed']} 笔，清理未确认费用 {out['fee_lines_cleared']} 条，"
                f"预交金确认 {out['deposits_done']} 笔、未收 {out['deposits_failed']} 笔、仍待确认 {out['deposits_open']} 笔。\n")
            return EXIT_OK

    return guarded(body, lambda: ctx_box[0].store if ctx_box else None)


def _receipts(svc, rows: list[dict], out: str | None) -> None:
    if not out:
        return
    from pathlib import Path

    done = [r for r in rows if r["state"] == "done"]
    for i, r in enumerate(done, 1):
        p = Path(out) if len(done) == 1 else Path(out).with_name(f"{Path(out).stem}-{i}{Path(out).suffix}")
        svc.deposit_receipt(r["deposit_id"], out=p)
