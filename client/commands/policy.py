"""`medsettle policy import|list|show|export` — the site's policy parameters (待遇政策参数).

Policy bundles are site data: IT keeps one JSON file per insured place and version, written from the
parameters the regional offices publish, and imports them here (format and rules:
``client.services.policies``, docs/operations.md "Policy parameters"). ``import`` needs the
``policy_import`` permission (system administrator): ``--by CODE`` with the password from
``--by-password-env VAR``, ``--by-password-stdin`` or a hidden prompt; in training mode ``--by`` may be
left out. ``list`` / ``show`` / ``export`` only read.

Exit 0 done; 2 refused or invalid input (Chinese message on stderr, nothing changed).
"""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("policy", parents=[common], help="政策参数（导入、查看、导出）",
                              description="参保地待遇政策参数：由信息科按各地医保部门公布的参数整理成文件后导入本机，"
                                          "供本地预算、事前提醒和离线使用。导入须系统管理员授权并记入审计日志。")
    sub = p.add_subparsers(dest="policy_command", metavar="ACTION")
    sub.required = True

    q = sub.add_parser("import", parents=[common], help="导入政策参数文件或目录（全部通过校验才导入）")
    q.add_argument("paths", nargs="+", metavar="FILE|DIR", help="政策参数文件（.json），或存放这些文件的目录")
    q.add_argument("--replace", action="store_true",
                   help="确需更正时，用文件内容替换本机同一参保地同一版本的政策参数（记入审计日志）")
    q.add_argument("--by", metavar="CODE", help="授权人（系统管理员）工号；培训模式可省略")
    g = q.add_mutually_exclusive_group()
    g.add_argument("--by-password-env", metavar="VAR", help="存放授权人密码的环境变量名")
    g.add_argument("--by-password-stdin", action="store_true", help="从标准输入第一行读授权人密码")
    q.set_defaults(func=run, policy_action="import")

    q = sub.add_parser("list", parents=[common], help="列出本机的政策参数（标出当日有效的版本）")
    q.add_argument("--place", metavar="ADMDVS", help="只列出该参保地")
    q.add_argument("--on", metavar="DATE", help="按该日期判断有效版本（yyyy-MM-dd，默认今天）")
    q.set_defaults(func=run, policy_action="list")

    q = sub.add_parser("show", parents=[common], help="显示一个参保地的政策参数（默认当日有效的版本）")
    q.add_argument("place", metavar="ADMDVS")
    q.add_argument("--version", dest="bundle_version", metavar="V", help="指定版本号")
    q.add_argument("--on", metavar="DATE", help="显示该日期有效的版本（yyyy-MM-dd）")
    q.set_defaults(func=run, policy_action="show")

    q = sub.add_parser("export", parents=[common], help="把本机的政策参数导出为导入格式的文件（如复制到其他窗口）")
    q.add_argument("place", metavar="ADMDVS")
    q.add_argument("--version", dest="bundle_version", metavar="V", help="指定版本号（默认当日有效的版本）")
    q.add_argument("--out", required=True, metavar="FILE", help="输出文件")
    q.set_defaults(func=run, policy_action="export")


def _date_arg(v: str | None) -> str | None:
    from datetime import date

    from client.services.errors import ServiceError

    if not v:
        return None
    try:
        return date.fromisoformat(v).isoformat()
    except ValueError:
        raise ServiceError("invalid_input", f"日期“{v}”格式错误，应为 yyyy-MM-dd（如 2027-01-01）。", system="local") from None


def _importer(args, store, settings) -> str:
    """The operator code allowed to import (raises ServiceError('authorization') otherwise)."""
    from client.commands.operator import _secret
    from client.security import operators as sec
    from client.security.operators import AuthFailure
    from client.services import audit
    from client.services.errors import ServiceError
    from client.services.operators import OperatorService
    from client.services.policies import TRAINING_ACTOR

    if not args.by:
        if settings.training.enabled:
            return TRAINING_ACTOR
        raise ServiceError("invalid_input", "导入政策参数须由系统管理员授权：请用 --by 指定工号"
                                            "（密码用 --by-password-env 或 --by-password-stdin 提供）。", system="local")
    pw = _secret(args.by_password_env, args.by_password_stdin, f"授权人 {args.by} 的密码（不显示）：", "授权人密码")
    svc = OperatorService.from_settings(store, settings)
    actor = args.by if sec.OPERATOR_CODE_RE.match(args.by or "") else "unknown"
    try:
        op = sec.authenticate(svc.repo, args.by, pw, policy=svc.policy, hasher=svc.hasher)
        if not sec.has_permission(op.role, "policy_import"):
            raise AuthFailure("forbidden", f"{op.name}（{sec.ROLE_LABELS.get(op.role, op.role)}）无权导入政策参数，"
                                           "须由系统管理员操作")
    except AuthFailure as exc:
        audit.record(store, actor, "policy_import_refused",
                     {"files": [str(p).rsplit("/", 1)[-1] for p in args.paths], "reason": exc.code})
        raise ServiceError("authorization", f"{exc}，政策参数没有导入。", system="local") from None
    return op.code


def run(args) -> int:
    from client.services.clitools import EXIT_OK, emit_json, guarded

    store_box: list = []

    def body() -> int:
        from client.services import policies
        from client.services.context import open_store_for, settings_from_args

        settings = settings_from_args(args)
        store = open_store_for(settings)
        store_box.append(store)
        try:
            action = args.policy_action
            if action == "import":
                actor = _importer(args, store, settings)
                rep = policies.import_paths(store, args.paths, actor=actor, replace=args.replace)
                emit_json(rep.to_dict())
                for r in rep.imported:
                    sys.stderr.write(f"已导入：{policies.place_name(r['insuplc_admdvs'])} 版本 {r['ver']}"
                                     f"（{r['issuer']}，{r['valid_from']} 至 {r['valid_to'] or '长期'}）"
                                     f"{'，已替换同版本' if r['status'] == 'replaced' else ''}，"
                                     f"文件 {r['file']}，SHA-256 {r['sha256']}\n")
                for r in rep.unchanged:
                    sys.stderr.write(f"未变化：{policies.place_name(r['insuplc_admdvs'])} 版本 {r['ver']} 已是这份内容"
                                     f"（文件 {r['file']}）\n")
                return EXIT_OK
            if action == "list":
                rows = policies.list_bundles(store, args.place, on=_date_arg(args.on))
                emit_json({"bundles": rows})
                if not rows:
                    sys.stderr.write("本机还没有政策参数。请信息科导入：medsettle policy import 文件或目录\n")
                return EXIT_OK
            if action == "show":
                emit_json(policies.show_bundle(store, args.place, args.bundle_version, on=_date_arg(args.on)))
                return EXIT_OK
            out = policies.export_bundle(store, args.place, args.bundle_version, args.out)
            emit_json(out)
            sys.stderr.write(f"已导出到 {args.out}（SHA-256 {out['sha256']}）\n")
            return EXIT_OK
        finally:
            store.close()

    return guarded(body, lambda: store_box[0] if store_box else None)
