"""`medsettle mapping import|upload|list|revoke|query` — 目录对照 (hospital codes ↔ national codes).

IT work (the ``config`` permission: 系统管理员): ``import``, ``upload`` and ``revoke`` need ``--by CODE``
with the administrator's password from ``--by-password-env VAR``, ``--by-password-stdin`` or a hidden
prompt. ``list`` and ``query`` are read-only. Rules and conventions: client.services.mapping.

Exit 0 done; 2 refused, invalid input, or (import) some rows were bad / (upload) some were refused.
"""

from __future__ import annotations

import getpass
import os
import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("mapping", parents=[common], help="目录对照（院内编码 ↔ 医保编码：导入、3301 上传、3302 撤销、查询）",
                              description="目录对照：导入 HIS 的院内项目（院内编码、名称、医保编码），用 3301 上传医保中心，"
                                          "列出未对照/被拒绝的项目，用 3302 撤销，用 1317/1316 查询医保中心的对照信息。")
    sub = p.add_subparsers(dest="mapping_command", metavar="ACTION")
    sub.required = True

    def by_options(q) -> None:
        q.add_argument("--by", metavar="CODE", required=True, help="系统管理员工号")
        g = q.add_mutually_exclusive_group()
        g.add_argument("--by-password-env", metavar="VAR", help="存放系统管理员密码的环境变量名")
        g.add_argument("--by-password-stdin", action="store_true", help="从标准输入第一行读系统管理员密码")

    q = sub.add_parser("import", parents=[common], help="导入 HIS 院内项目对照文件（CSV，或装有 openpyxl 时的 XLSX）")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--begndate", metavar="YYYY-MM-DD", help="文件未写开始日期时使用（默认今天）")
    q.add_argument("--enddate", metavar="YYYY-MM-DD", help="文件未写结束日期时使用（默认 2099-12-31）")
    by_options(q)
    q.set_defaults(func=run, mapping_action="import")
    q = sub.add_parser("upload", parents=[common], help="3301 上传待上传的对照（逐条）")
    q.add_argument("codes", nargs="*", metavar="CODE", help="只上传这些院内编码（默认全部待上传）")
    q.add_argument("--retry-refused", action="store_true", help="同时重新上传被拒绝的对照（修改后）")
    by_options(q)
    q.set_defaults(func=run, mapping_action="upload")
    q = sub.add_parser("list", parents=[common], help="列出本地对照表")
    g = q.add_mutually_exclusive_group()
    g.add_argument("--unmapped", action="store_true", help="只列未对照的（待上传、被拒绝、已撤销）")
    g.add_argument("--refused", action="store_true", help="只列被医保中心拒绝的（含原因）")
    q.set_defaults(func=run, mapping_action="list")
    q = sub.add_parser("revoke", parents=[common], help="3302 撤销一条已上传的对照")
    q.add_argument("code", metavar="CODE", help="院内编码")
    by_options(q)
    q.set_defaults(func=run, mapping_action="revoke")
    q = sub.add_parser("query", parents=[common], help="查询医保中心的对照信息（1317 医药机构目录匹配 / 1316 医疗目录与医保目录匹配）")
    q.add_argument("--infno", choices=("1317", "1316"), default="1317")
    q.add_argument("--code", metavar="CODE", help="院内编码（medins_list_codg）")
    q.add_argument("--national", metavar="CODE", help="医保编码（1317 med_list_codg / 1316 hilist_code）")
    q.add_argument("--list-type", metavar="TYPE", help="目录类别 101/102/103/201/301")
    q.add_argument("--updt-time", default="2000-01-01 00:00:00", help="更新时间起点（updt_time）")
    q.set_defaults(func=run, mapping_action="query")


def _password(args) -> str:
    from client.services.errors import ServiceError

    if args.by_password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif args.by_password_env:
        value = os.environ.get(args.by_password_env, "")
    elif sys.stdin.isatty():
        value = getpass.getpass(f"系统管理员 {args.by} 的密码（不显示）：")
    else:
        raise ServiceError("invalid_input", "请提供系统管理员密码：用 --by-password-env 变量名或 --by-password-stdin。")
    if not value:
        raise ServiceError("invalid_input", "系统管理员密码不能为空，未作任何更改。")
    return value


def _date(v: str | None, what: str):
    from datetime import date

    from client.services.errors import ServiceError

    if not v:
        return None
    try:
        return date.fromisoformat(v)
    except ValueError:
        raise ServiceError("invalid_input", f"{what}“{v}”不是日期（应为 2026-01-01）。") from None


def run(args) -> int:
    from client.services.clitools import EXIT_OK, EXIT_REFUSED, emit_json, guarded

    box: list = []

    def body() -> int:
        from client.api import Operator as ApiOperator
        from client.security.operators import AuthFailure
        from client.security.operators import authenticate as sec_authenticate
        from client.services import mapping
        from client.services.context import open_context, open_store_for, settings_from_args
        from client.services.errors import ServiceError
        from client.services.operators import OperatorService

        settings = settings_from_args(args)
        action = args.mapping_action
        if action == "list":
            store = open_store_for(settings)
            box.append(store)
            try:
                which = "unmapped" if args.unmapped else "refused" if args.refused else "all"
                rows = mapping.list_mappings(store, which)
            finally:
                store.close()
            emit_json({"mappings": [m.to_dict() for m in rows], "count": len(rows)})
            for m in rows if which != "all" else []:
                sys.stderr.write(f"{m.fixmedins_hilist_id}\t{m.fixmedins_hilist_name}\t{m.med_list_codg}\t"
                                 f"{mapping.STATE_LABELS[m.state]}{'：' + m.err_msg if m.err_msg else ''}\n")
            return EXIT_OK
        actor = None
        operator = None
        if action != "query":
            store = open_store_for(settings)
            try:
                svc = OperatorService.from_settings(store, settings)
                pw = _password(args)
                try:
                    actor = sec_authenticate(svc.repo, args.by, pw, policy=svc.policy, hasher=svc.hasher,
                                             now=mapping._now())
                except AuthFailure as exc:
                    raise ServiceError("authorization", str(exc), system="local") from None
                mapping.require_it(actor)
            finally:
                store.close()
            operator = ApiOperator(actor.code, actor.name)
        if action == "import":
            store = open_store_for(settings)
            box.append(store)
            try:
                from types import SimpleNamespace

                ctx = SimpleNamespace(store=store, admdvs=settings.site.admdvs)
                kw = {"begndate": _date(args.begndate, "开始日期")}
                if args.enddate:
                    kw["enddate"] = _date(args.enddate, "结束日期")
                rep = mapping.import_file(ctx, args.file, actor=actor, **kw)
            finally:
                store.close()
            emit_json(rep.to_dict())
            for n, why in rep.errors:
                sys.stderr.write(f"第{n}行：{why}\n")
            sys.stderr.write(f"导入完成：新增 {rep.added} 条，更新 {rep.changed} 条，未变 {rep.unchanged} 条，"
                             f"有问题 {len(rep.errors)} 行（未导入）。\n")
            return EXIT_REFUSED if rep.errors else EXIT_OK
        with open_context(settings, operator=operator) as ctx:
            box.append(ctx)
            if action == "upload":
                rep = mapping.upload(ctx, actor=actor, codes=list(args.codes) or None, retry_refused=args.retry_refused)
                emit_json(rep.to_dict())
                for code, why in rep.refused.items():
                    sys.stderr.write(f"被拒绝 {code}：{why}\n")
                if rep.stopped:
                    sys.stderr.write(rep.stopped + "\n")
                sys.stderr.write(f"3301 上传：发送 {rep.sent} 条，接受 {len(rep.accepted)} 条，拒绝 {len(rep.refused)} 条。\n")
                return EXIT_REFUSED if (rep.refused or rep.stopped) else EXIT_OK
            if action == "revoke":
                m = mapping.revoke(ctx, args.code, actor=actor)
                emit_json({"mapping": m.to_dict()})
                sys.stderr.write(f"已撤销“{m.fixmedins_hilist_name}”（{m.fixmedins_hilist_id}）的对照。\n")
                return EXIT_OK
            rows = mapping.query(ctx, infno=args.infno, code=args.code, national=args.national,
                                 list_type=args.list_type, updt_time=args.updt_time)
            emit_json({"infno": args.infno, "rows": rows, "count": len(rows)})
            return EXIT_OK

    return guarded(body, lambda: getattr(box[0], "store", box[0]) if box else None)
