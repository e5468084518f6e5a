"""`medsettle shift open|close|status` — the cashier's shift (班次) at this window, headless.

No settlement, reversal or refund happens without an open shift of the operator at this window —
in the window and in `medsettle checkout` alike (``client.services.shifts.require_shift``).

* ``shift open --operator CODE --float 200.00`` opens a shift with its opening cash float (备用金);
* ``shift status --operator CODE`` prints the open shift (expected amounts per payment method) as
  JSON, or ``{"shift": null}``; exit 0 either way;
* ``shift close --operator CODE --counted cash:1234.50 [--counted wechat:…]`` closes it. Any
  over/short (长短款) needs ``--confirm-difference --difference-reason TEXT``; open items (unsent
  offline settlements, unknown outcomes) need a supervisor's force (``--supervisor CODE`` with the
  password from ``--supervisor-password-env VAR`` or ``--supervisor-password-stdin``, and
  ``--reason``).

Exit 0 done; 2 refused or invalid input (Chinese message on stderr).
"""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("shift", parents=[common], help="开班 / 交班 / 查看班次",
                              description="收费员班次：开班（备用金）、查看、交班（清点、长短款、强制交班）。")
    sub = p.add_subparsers(dest="shift_command", metavar="ACTION")
    sub.required = True
    for name, text in (("open", "开班"), ("status", "查看当前班次"), ("close", "交班")):
        q = sub.add_parser(name, parents=[common], help=text)
        q.add_argument("--operator", metavar="CODE", default="T001", help="收费员工号（默认培训收费员 T001）")
        q.add_argument("--operator-name", metavar="NAME", default="培训收费员", help="收费员姓名")
        if name == "open":
            q.add_argument("--float", dest="float_amt", metavar="AMOUNT", default="0.00", help="开班备用金（元），如 200.00")
        if name == "close":
            q.add_argument("--counted", nargs="+", action="extend", metavar="METHOD:AMOUNT", default=[],
                           help="清点金额：cash:1234.50 wechat:… （每种收款方式一个）")
            q.add_argument("--confirm-difference", action="store_true", help="确认长短款（清点与应有金额不一致）")
            q.add_argument("--difference-reason", default="", help="长短款原因（有长短款时必填）")
            q.add_argument("--supervisor", metavar="CODE", help="有未处理业务时强制交班的收费组长工号")
            pw = q.add_mutually_exclusive_group()
            pw.add_argument("--supervisor-password-env", metavar="VAR", help="存放组长密码的环境变量名")
            pw.add_argument("--supervisor-password-stdin", action="store_true", help="从标准输入读组长密码")
            q.add_argument("--reason", default="", help="强制交班原因")
        q.set_defaults(func=run, shift_action=name)


def _counted(specs: list[str]) -> dict:
    from client.domain.money import parse_typed_amount
    from client.services.dayend import METHOD_NAMES
    from client.services.errors import ServiceError
    from client.services.payments import ALIASES

    out = {}
    for spec in specs:
        method, _, amount = str(spec).partition(":")
        m = ALIASES.get(method.strip().lower()) or ALIASES.get(method.strip())
        if m is None or m not in METHOD_NAMES:
            raise ServiceError("invalid_input", f"清点金额“{spec}”的收款方式不正确，应为 cash、bank_card、wechat、alipay 或 ecny。")
        try:
            value = parse_typed_amount(amount, "清点金额")
        except ValueError as exc:
            raise ServiceError("invalid_input", str(exc)) from None
        if value is None:
            raise ServiceError("invalid_input", f"清点金额“{spec}”缺少金额，应为 方式:金额，例如 cash:1234.50。")
        out[m] = value
    return out


def run(args) -> int:
    from client.services.clitools import EXIT_OK, emit_json, guarded

    store_box: list = []

    def body() -> int:
        from client.domain.money import parse_typed_amount
        from client.services import dayend
        from client.services.context import open_store_for, settings_from_args
        from client.services.errors import ServiceError
        from client.services.operators import StoreOperatorRepository, seed_training_operators

        settings = settings_from_args(args)
        store = open_store_for(settings)
        store_box.append(store)
        try:
            if settings.training.enabled:
                seed_training_operators(store, settings)
            elif StoreOperatorRepository(store).get_operator(args.operator) is None:
                raise ServiceError("config", f"工号 {args.operator} 不是本机的有效操作员。")
            opter = args.operator
            if args.shift_action == "open":
                try:
                    amount = parse_typed_amount(args.float_amt, "备用金")
                except ValueError as exc:
                    raise ServiceError("invalid_input", str(exc)) from None
                sid = dayend.open_shift(store, opter, amount if amount is not None else dayend.ZERO)
                emit_json(dayend.shift_summary(store, sid))
                sys.stderr.write(f"已开班：班次 {sid}，收费员 {opter}，备用金 {amount or dayend.ZERO} 元。\n")
                return EXIT_OK
            sid = dayend.current_shift(store, opter)
            if args.shift_action == "status":
                emit_json({"shift": None if sid is None else dayend.shift_summary(store, sid),
                           "open_items": dayend.blockers(store)})
                if sid is None:
                    sys.stderr.write(f"收费员 {opter} 在本窗口没有开班。\n")
                return EXIT_OK
            if sid is None:
                raise ServiceError("shift", f"收费员 {opter} 在本窗口没有开班，无需交班。")
            force_by = None
            if args.supervisor:
                from client.api import Operator
                from client.commands.checkout import _authorization

                ctx_like = type("Ctx", (), {"store": store, "settings": settings,
                                            "operator": Operator(opter, args.operator_name, "A03", "内科")})()
                auth = _authorization(args, ctx_like, "force_shift_close", f"shift:{sid}")
                force_by = auth.authorized_by
            out = dayend.close_shift(store, sid, _counted(args.counted), force_by=force_by, reason=args.reason,
                                     confirm_difference=args.confirm_difference,
                                     difference_reason=args.difference_reason)
            emit_json(out)
            sys.stderr.write(f"已交班：班次 {sid}。\n")
            return EXIT_OK
        finally:
            store.close()

    return guarded(body, lambda: store_box[0] if store_box else None)
