"""`medsettle operator add|list|disable|enable|reset-password|role` — operator administration.

Outside training there are no seed accounts: IT creates the first system administrator once
(``operator add CODE --name … --role admin --first-admin``, allowed only while this machine's store
has no active admin; audited as ``operator_bootstrap``), and from then on every change is made by an
authenticated supervisor or admin (``--by CODE`` with their password from ``--by-password-env VAR``,
``--by-password-stdin`` or a hidden prompt). Supervisors manage cashiers; admins manage everyone and
change roles (rules: ``client.services.operators.OperatorAdmin``). New initial passwords come from
``--password-env VAR``, ``--password-stdin`` (after the ``--by`` password when both are on stdin) or a
hidden prompt asked twice; the person must change it at the first sign-in (in the window, or
``operator passwd CODE`` with the old and the new password on two stdin lines). Passwords are never
printed, logged or stored in clear.

Exit 0 done; 2 refused or invalid input (Chinese message on stderr).
"""

from __future__ import annotations

import getpass
import os
import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("operator", parents=[common], help="操作员管理（新增、停用、重置密码、角色）",
                              description="操作员管理：每项变更须由收费组长或系统管理员以本人工号和密码授权，并记入审计日志。")
    sub = p.add_subparsers(dest="operator_command", metavar="ACTION")
    sub.required = True

    def by_options(q) -> None:
        q.add_argument("--by", metavar="CODE", help="授权人（收费组长或系统管理员）工号")
        g = q.add_mutually_exclusive_group()
        g.add_argument("--by-password-env", metavar="VAR", help="存放授权人密码的环境变量名")
        g.add_argument("--by-password-stdin", action="store_true", help="从标准输入第一行读授权人密码")

    def new_password_options(q) -> None:
        g = q.add_mutually_exclusive_group()
        g.add_argument("--password-env", metavar="VAR", help="存放新初始密码的环境变量名")
        g.add_argument("--password-stdin", action="store_true", help="从标准输入读新初始密码（在授权人密码之后一行）")

    q = sub.add_parser("list", parents=[common], help="列出本机操作员")
    q.set_defaults(func=run, operator_action="list")
    q = sub.add_parser("add", parents=[common], help="新增操作员（初始密码须在首次登录时修改）")
    q.add_argument("code", metavar="CODE", help="工号（字母、数字、_、-，最长30位）")
    q.add_argument("--name", required=True, help="姓名")
    q.add_argument("--role", required=True, choices=("cashier", "supervisor", "admin"), help="角色")
    q.add_argument("--first-admin", action="store_true", help="本机尚无系统管理员时，创建第一位系统管理员（不需要 --by）")
    by_options(q)
    new_password_options(q)
    q.set_defaults(func=run, operator_action="add")
    for name, text in (("disable", "停用操作员"), ("enable", "重新启用操作员（同时解除锁定）")):
        q = sub.add_parser(name, parents=[common], help=text)
        q.add_argument("code", metavar="CODE")
        q.add_argument("--reason", default="", help="原因（记入审计日志）")
        by_options(q)
        q.set_defaults(func=run, operator_action=name)
    q = sub.add_parser("reset-password", parents=[common], help="重置密码（并解除锁定；下次登录须修改）")
    q.add_argument("code", metavar="CODE")
    by_options(q)
    new_password_options(q)
    q.set_defaults(func=run, operator_action="reset-password")
    q = sub.add_parser("passwd", parents=[common], help="修改本人密码（首次登录前须把初始密码改掉）")
    q.add_argument("code", metavar="CODE")
    q.add_argument("--password-stdin", action="store_true", help="从标准输入读两行：原密码、新密码")
    q.set_defaults(func=run, operator_action="passwd")
    q = sub.add_parser("role", parents=[common], help="修改角色（仅系统管理员）")
    q.add_argument("code", metavar="CODE")
    q.add_argument("role", choices=("cashier", "supervisor", "admin"))
    by_options(q)
    q.set_defaults(func=run, operator_action="role")


def _secret(env: str | None, from_stdin: bool, prompt: str, what: str, *, twice: bool = False) -> str:
    from client.services.errors import ServiceError

    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif env:
        value = os.environ.get(env, "")
        if not value:
            raise ServiceError("invalid_input", f"环境变量 {env} 未设置或为空：请在其中存放{what}。")
    elif sys.stdin.isatty():
        value = getpass.getpass(prompt)
        if twice and getpass.getpass("再输入一次：") != value:
            raise ServiceError("invalid_input", f"两次输入的{what}不一致，未作任何更改。")
    else:
        raise ServiceError("invalid_input", f"请提供{what}：用 --…-env 变量名或 --…-stdin（密码不会显示）。")
    if not value:
        raise ServiceError("invalid_input", f"{what}不能为空，未作任何更改。")
    return value


def run(args) -> int:
    from client.services.clitools import EXIT_OK, emit_json, guarded

    store_box: list = []

    def body() -> int:
        from client.security.operators import AuthFailure
        from client.services.context import open_store_for, settings_from_args
        from client.services.errors import ServiceError
        from client.services.operators import OperatorAdmin, OperatorService

        settings = settings_from_args(args)
        store = open_store_for(settings)
        store_box.append(store)
        try:
            admin = OperatorAdmin(OperatorService.from_settings(store, settings))
            action = args.operator_action
            if action == "list":
                emit_json({"operators": admin.listing()})
                return EXIT_OK
            try:
                if action == "passwd":
                    old = _secret(None, args.password_stdin, f"{args.code} 的原密码（不显示）：", "原密码")
                    new = _secret(None, args.password_stdin, "新密码（不显示）：", "新密码", twice=True)
                    admin.svc.change_password(args.code, old, new)
                    emit_json({"operator": next(o for o in admin.listing() if o["code"] == args.code)})
                    sys.stderr.write(f"操作员 {args.code} 的密码已修改。\n")
                    return EXIT_OK
                if action == "add" and args.first_admin:
                    if args.role != "admin":
                        raise ServiceError("invalid_input", "--first-admin 只能用于创建系统管理员（--role admin）。")
                    if args.by:
                        raise ServiceError("invalid_input", "--first-admin 不需要 --by：它只在本机尚无系统管理员时可用。")
                    pw = _secret(args.password_env, args.password_stdin, "新系统管理员的初始密码（不显示）：", "初始密码",
                                 twice=True)
                    op = admin.bootstrap_admin(args.code, args.name, pw)
                    done = f"已创建第一位系统管理员 {op.code}（{op.name}），首次登录须修改初始密码。"
                else:
                    if not args.by:
                        raise ServiceError("invalid_input", "请用 --by 指定授权人（收费组长或系统管理员）工号。")
                    by_pw = _secret(args.by_password_env, args.by_password_stdin, f"授权人 {args.by} 的密码（不显示）：",
                                    "授权人密码")
                    actor = admin.authenticate(args.by, by_pw)
                    if action == "add":
                        pw = _secret(args.password_env, args.password_stdin, "新操作员的初始密码（不显示）：", "初始密码",
                                     twice=True)
                        op = admin.add(actor, args.code, args.name, args.role, pw)
                        done = f"已新增操作员 {op.code}（{op.name}，{args.role}），首次登录须修改初始密码。"
                    elif action in ("disable", "enable"):
                        op = admin.set_active(actor, args.code, action == "enable", reason=args.reason)
                        done = f"已{'启用' if op.active else '停用'}操作员 {op.code}（{op.name}）。"
                    elif action == "reset-password":
                        pw = _secret(args.password_env, args.password_stdin, "新的初始密码（不显示）：", "初始密码",
                                     twice=True)
                        op = admin.reset_password(actor, args.code, pw)
                        done = f"已重置操作员 {op.code} 的密码并解除锁定，下次登录须修改。"
                    else:
                        op = admin.set_role(actor, args.code, args.role)
                        done = f"已把操作员 {op.code} 的角色改为 {args.role}。"
            except AuthFailure as exc:
                raise ServiceError("authorization", str(exc), system="local") from None
            emit_json({"operator": next(o for o in admin.listing() if o["code"] == op.code)})
            sys.stderr.write(done + "\n")
            return EXIT_OK
        finally:
            store.close()

    return guarded(body, lambda: store_box[0] if store_box else None)
