"""`medsettle hospital init|migrate|status|window add|finance add|push` — hospital mode for IT.

* ``init`` / ``migrate`` — create the ``medsettle`` schema, roles, grants and RLS policies, or bring
  them to this program's revision (an administrator's connection: ``--admin-url``, password from
  ``--password-env VAR`` / ``--password-stdin`` / the secret ``hospital-admin``);
* ``window add ID`` — register a window and create its own login role (``medsettle_w_<id>``); the
  role's password comes from ``--role-password-env VAR`` or ``--role-password-stdin`` and is sent to
  the server only as a SCRAM verifier. On the window machine store the same password with
  ``medsettle config set-secret hospital-db``;
* ``finance add NAME`` — a finance login role (reads every window, writes reconciliation results);
* ``status`` — the schema revision and each window's replication state (received, last seq, backlog
  the window last reported), JSON on stdout, a table on stderr;
* ``policy-publish FILE|DIR`` — the policy parameter files for every window (checked like
  ``medsettle policy import``; each window imports what it lacks at its next sync);
* ``sync`` — the catalogue download once for the hospital (13xx files kept for the windows);
* ``push`` — this window pushes its journal now (the window and `checkout` also do it by
  themselves); exit 0 when nothing is left, 2 with the Chinese reason when the hospital store is
  away (nothing is lost: the backlog waits).

Exit codes: 0 done; 2 refused (Chinese message on stderr, ``{"error": …}`` on stdout).
"""

from __future__ import annotations

import os
import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("hospital", parents=[common], help="医院库（多窗口共用 PostgreSQL）：初始化、开通窗口、状态、补传",
                              description="医院库：信息科初始化与升级结构、开通窗口/财务账号、查看各窗口补传积压；本窗口补传。")
    sub = p.add_subparsers(dest="hospital_command", metavar="ACTION")
    sub.required = True

    def admin_opts(q):
        q.add_argument("--admin-url", metavar="URL", help="管理员连接（默认 [hospital] url），如 postgresql+psycopg://medsettle_owner@db/medsettle")
        g = q.add_mutually_exclusive_group()
        g.add_argument("--password-env", metavar="VAR", help="存放管理员密码的环境变量名")
        g.add_argument("--password-stdin", action="store_true", help="从标准输入读管理员密码（第一行）")

    for name, text in (("init", "初始化医院库（建结构、角色、行级安全）"), ("migrate", "把医院库结构升级到本程序的版本")):
        q = sub.add_parser(name, parents=[common], help=text)
        admin_opts(q)
        q.set_defaults(func=run, hospital_action=name)
    q = sub.add_parser("status", parents=[common], help="结构版本与各窗口补传状态")
    admin_opts(q)
    q.set_defaults(func=run, hospital_action="status")
    for kind, text in (("window", "开通窗口数据库账号"), ("finance", "开通财务数据库账号")):
        k = sub.add_parser(kind, parents=[common], help=text)
        ks = k.add_subparsers(dest=f"{kind}_command", metavar="ACTION")
        ks.required = True
        q = ks.add_parser("add", parents=[common], help=text)
        q.add_argument("name", metavar="ID" if kind == "window" else "NAME",
                       help="窗口编号（如 w01）" if kind == "window" else "财务账号名（小写，如 fin_zhang）")
        if kind == "window":
            q.add_argument("--label", default="", help="窗口名称（如 门诊一楼 3 号窗）")
        admin_opts(q)
        g = q.add_mutually_exclusive_group(required=True)
        g.add_argument("--role-password-env", metavar="VAR", help="存放新账号密码的环境变量名")
        g.add_argument("--role-password-stdin", action="store_true",
                       help="从标准输入读新账号密码（与 --password-stdin 同用时：第一行管理员、第二行新账号）")
        q.set_defaults(func=run, hospital_action=f"{kind}-add")
    q = sub.add_parser("push", parents=[common], help="本窗口立即补传到医院库")
    q.set_defaults(func=run, hospital_action="push")
    q = sub.add_parser("policy-publish", parents=[common], help="发布政策参数文件到医院库（各窗口同步时导入）")
    q.add_argument("paths", nargs="+", metavar="FILE|DIR", help="政策参数文件或目录（与 medsettle policy import 同格式）")
    admin_opts(q)
    q.set_defaults(func=run, hospital_action="policy-publish")
    q = sub.add_parser("sync", parents=[common], help="全院目录下载：从医保中心下载一次目录文件到医院库（信息科定时执行）")
    admin_opts(q)
    q.add_argument("--no-hilist", action="store_true", help="不执行 1312 医保目录信息查询")
    q.set_defaults(func=run, hospital_action="sync")


def _stdin_lines(n: int) -> list[str]:
    lines = []
    for _ in range(n):
        line = sys.stdin.readline()
        lines.append(line.rstrip("\r\n"))
    return lines


def _passwords(args, settings) -> tuple[str | None, str | None]:
    """(admin password, new role password) from env / stdin / the SecretStore."""
    from client.services.errors import ServiceError

    need_role = args.hospital_action.endswith("-add")
    n_stdin = int(bool(getattr(args, "password_stdin", False))) + int(bool(getattr(args, "role_password_stdin", False)))
    lines = _stdin_lines(n_stdin) if n_stdin else []
    admin_pw = None
    if getattr(args, "password_env", None):
        admin_pw = os.environ.get(args.password_env)
        if admin_pw is None:
            raise ServiceError("invalid_input", f"环境变量 {args.password_env} 未设置（应存放管理员密码）。")
    elif getattr(args, "password_stdin", False):
        admin_pw = lines.pop(0)
    else:
        from client.secrets import SecretStore

        admin_pw = SecretStore(settings.data_dir).get("hospital-admin")
    role_pw = None
    if need_role:
        if getattr(args, "role_password_env", None):
            role_pw = os.environ.get(args.role_password_env)
            if role_pw is None:
                raise ServiceError("invalid_input", f"环境变量 {args.role_password_env} 未设置（应存放新账号密码）。")
        else:
            role_pw = lines.pop(0) if lines else ""
    return admin_pw, role_pw


def _hospital_sync(args, settings, engine) -> int:
    """The central download once for the hospital: this machine's store is synced as usual and
    every 13xx file received is kept in the hospital store for the windows."""
    from client.services.clitools import EXIT_OK, emit_json
    from client.services.context import open_context
    from client.services.hospital_catalog import RecordingCentral
    from client.services.sync import SyncService
    from hospital_store import db as hdb

    hdb.check_revision(engine)
    with open_context(settings) as ctx:
        rec = RecordingCentral(ctx.central, engine, ctx.admdvs,
                               layouts=getattr(getattr(settings, "catalog", None), "layouts", None))
        ctx.central = rec
        summary = SyncService(ctx).run(hilist=not args.no_hilist, bundles=False)
    doc = summary.to_dict()
    doc["hospital_files"] = rec.recorded
    emit_json(doc)
    sys.stderr.write(f"全院目录已下载：新文件 {rec.recorded} 个存入医院库（{hdb.safe_url(engine.url.render_as_string())}）。"
                     "各窗口执行 medsettle sync 时从医院库更新。\n")
    return EXIT_OK


def run(args) -> int:
    from client.services.clitools import EXIT_OK, EXIT_REFUSED, emit_json, guarded

    def body() -> int:
        from client.services import hospital
        from client.services.context import open_store_for, settings_from_args
        from client.services.errors import ServiceError
        from hospital_store import admin
        from hospital_store import db as hdb

        settings = settings_from_args(args)
        action = args.hospital_action
        if action == "push":
            store = open_store_for(settings)
            try:
                out = hospital.push_now(settings, store)
                status = hospital.replication_status(store)
            finally:
                store.close()
            doc = {**out.to_dict(), "backlog": status["backlog"], "pushed_seq": status["pushed_seq"]}
            emit_json(doc)
            if out.error:
                sys.stderr.write(f"未能补传到医院库：{out.error}（积压 {status['backlog']} 条，本地已保存，稍后自动补传）\n")
                return EXIT_REFUSED
            sys.stderr.write(f"已补传到医院库：本次 {doc.get('pushed', 0)} 条，积压 {status['backlog']} 条。\n")
            return EXIT_OK
        url = getattr(args, "admin_url", None) or settings.hospital.url
        if not url:
            raise ServiceError("config", "请用 --admin-url 指定医院库管理员连接，或在站点配置 [hospital] url 中填写。")
        admin_pw, role_pw = _passwords(args, settings)
        try:
            engine = hdb.connect(url, password=admin_pw, check=False)
        except hdb.HospitalError as exc:
            raise ServiceError("hospital", exc.message) from None
        try:
            if action in ("init", "migrate"):
                if action == "migrate" and hdb.current_revision(engine) is None:
                    raise ServiceError("hospital", "医院库尚未初始化：请先执行 `medsettle hospital init`。")
                before, after = admin.migrate(engine)
                emit_json({"before": before, "revision": after})
                sys.stderr.write(("医院库已是最新结构" if before == after else f"医院库结构已升级：{before or '（空）'} → {after}")
                                 + f"（{hdb.safe_url(url)}）。\n")
                return EXIT_OK
            if action == "sync":
                return _hospital_sync(args, settings, engine)
            if action == "policy-publish":
                from client.services.hospital_policies import publish

                hdb.check_revision(engine, url)
                doc = publish(engine, args.paths)
                emit_json(doc)
                sys.stderr.write(f"已发布政策参数 {len(doc['published'])} 个（未变化 {len(doc['unchanged'])} 个）；"
                                 "各窗口下次同步时导入。\n")
                return EXIT_OK
            if action == "status":
                from client.services.context import window_slot

                doc = admin.status(engine)
                # msgids are partitioned by the window's slot: two windows on one slot could make the
                # same msgid in the same second, which the platform refuses as a duplicate
                slots: dict[int, list[str]] = {}
                for w in doc["windows"]:
                    w["msgid_slot"] = window_slot(type("S", (), {"window_id": w["window_id"]})())
                    slots.setdefault(w["msgid_slot"], []).append(w["window_id"])
                doc["slot_clashes"] = {str(k): v for k, v in slots.items() if len(v) > 1}
                emit_json(doc)
                for k, v in doc["slot_clashes"].items():
                    sys.stderr.write(f"注意：窗口 {'、'.join(v)} 的报文ID槽位相同（{k}），请改用编号不同的窗口号（如 w01、w02）。\n")
                sys.stderr.write(f"医院库结构版本 {doc['revision'] or '（未初始化）'}（本程序 {doc['head']}）\n")
                for w in doc["windows"]:
                    backlog = "未报告" if w["backlog"] is None else f"{w['backlog']} 条"
                    sys.stderr.write(f"  窗口 {w['window_id']:<8} 已收 {w['received']:>6} 条  最后 {w['last_received_at'] or '—'}"
                                     f"  积压 {backlog}\n")
                return EXIT_OK
            hdb.check_revision(engine, url)
            if action == "window-add":
                role = admin.add_window(engine, args.name, role_pw or "", label=args.label)
                emit_json({"window_id": args.name, "db_role": role})
                sys.stderr.write(f"已开通窗口 {args.name} 的数据库账号 {role}。请在该窗口机器上执行 "
                                 "`medsettle config set-secret hospital-db` 存入同一密码。\n")
                return EXIT_OK
            if action == "finance-add":
                user = admin.add_finance(engine, args.name, role_pw or "")
                emit_json({"db_role": user})
                sys.stderr.write(f"已开通财务数据库账号 {user}。\n")
                return EXIT_OK
        except hdb.HospitalError as exc:
            raise ServiceError("hospital", exc.message) from None
        finally:
            engine.dispose()
        raise ServiceError("invalid_input", f"未知操作 {action}")  # pragma: no cover

    return guarded(body)
