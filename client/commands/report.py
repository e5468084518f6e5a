"""`medsettle report zreport|monthly|invoices` — day-end Z report, monthly cross-region report
(PDF or CSV by the --out suffix) and the day's e-invoices as XML (XSD-validated) or JSON.

Exit 0 done; 2 bad input / no store (Chinese message on stderr)."""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("report", parents=[common], help="报表：日结Z报表、异地结算月报、电子票据导出",
                              description="从本机数据库生成报表。--out 以 .pdf 结尾输出 PDF，以 .csv 结尾输出 CSV（UTF-8 BOM，可用 Excel 打开）。")
    sub = p.add_subparsers(dest="report_kind", metavar="{zreport,monthly,invoices}")
    z = sub.add_parser("zreport", parents=[common], help="收费日结报表（Z报表）")
    z.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="营业日")
    z.add_argument("--operator", metavar="OPTER", help="只统计该收费员（工号）")
    z.add_argument("--out", required=True, metavar="FILE", help="输出文件 .pdf 或 .csv")
    m = sub.add_parser("monthly", parents=[common], help="异地就医直接结算月报（按参保地）")
    m.add_argument("--month", required=True, metavar="YYYY-MM", help="月份")
    m.add_argument("--out", required=True, metavar="FILE", help="输出文件 .pdf 或 .csv")
    i = sub.add_parser("invoices", parents=[common], help="导出某日电子票据（XML 经 XSD 校验，或 JSON）")
    i.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="开票日期")
    i.add_argument("--format", choices=("xml", "json"), default="xml", help="xml（默认）或 json")
    i.add_argument("--out", required=True, metavar="DIR", help="输出目录")
    for sp in (z, m):
        sp.add_argument("--whole-hospital", action="store_true",
                        help="医院库模式：全院报表（所有窗口，财务账号 [hospital] finance_url）")
        sp.add_argument("--of-window", metavar="ID", help="医院库模式：某一窗口的报表（从医院库读取）")
        sp.add_argument("--password-env", metavar="VAR", help="存放医院库财务账号密码的环境变量名（默认取密钥库）")
    for sp in (p, z, m, i):
        sp.set_defaults(func=run)


def _settings(args):
    from client.services.context import settings_from_args
    from client.services.errors import ServiceError

    try:
        return settings_from_args(args)
    except ServiceError:
        if getattr(args, "data", None):
            return None  # reports need only the store; the header then has no institution name
        raise


def run(args) -> int:
    from client.services.clitools import EXIT_OK, EXIT_REFUSED, guarded

    kind = getattr(args, "report_kind", None)
    if not kind:
        sys.stderr.write("请指定报表类型：medsettle report zreport|monthly|invoices（--help 查看用法）。\n")
        return EXIT_REFUSED
    state: dict = {}

    def body() -> int:
        from datetime import datetime
        from pathlib import Path

        from client.services import reports
        from client.services.context import STORE_FILE
        from client.services.errors import ServiceError
        from offline_cache.store import open_store

        settings = _settings(args)
        if kind in ("zreport", "monthly") and (getattr(args, "whole_hospital", False) or getattr(args, "of_window", None)):
            return _hospital_report(args, settings, kind)
        data = Path(args.data) if args.data else Path(settings.data_dir)
        inst = ({"fixmedins_code": settings.site.fixmedins_code, "fixmedins_name": settings.site.fixmedins_name,
                 "admdvs": settings.site.admdvs} if settings is not None else {})
        path = data / STORE_FILE
        if not path.exists():
            raise ServiceError("invalid_input", f"数据目录中没有本机数据库：{path}。请检查 --data 参数。")
        out = Path(args.out)
        if kind != "invoices" and out.suffix.lower() not in (".pdf", ".csv"):
            raise ServiceError("invalid_input", f"输出文件“{out}”须以 .pdf 或 .csv 结尾。")

        def day(text: str):
            try:
                return datetime.strptime(text, "%Y-%m-%d").date()
            except ValueError:
                raise ServiceError("invalid_input", f"日期“{text}”格式不对，应为 YYYY-MM-DD，例如 2021-07-13。") from None

        store = state["store"] = open_store(path, create=False)
        try:
            from client.printing.common import write_out

            if kind == "zreport":
                from client.services.codepay import saved_statement

                on = day(args.date)
                rep = reports.zreport(store, on, operator=args.operator, institution=inst,
                                      pay_statement=saved_statement(data, on))
                if out.suffix.lower() == ".csv":
                    write_out(reports.zreport_csv(rep), out)
                else:
                    from client.printing.reports import render_zreport

                    render_zreport(rep, out)
            elif kind == "monthly":
                rep = reports.monthly(store, args.month, institution=inst)
                if out.suffix.lower() == ".csv":
                    write_out(reports.monthly_csv(rep), out)
                else:
                    from client.printing.reports import render_monthly

                    render_monthly(rep, out)
            else:
                from client.services.invoicing import export_invoices

                paths = export_invoices(store, day(args.date), args.format, out)
                sys.stdout.write(f"已导出 {len(paths)} 张电子票据到 {out}\n")
                return EXIT_OK
        finally:
            store.close()
        sys.stdout.write(f"已生成 {out}\n")
        return EXIT_OK

    return guarded(body, lambda: state.get("store"))


def _hospital_report(args, settings, kind: str) -> int:
    """``--whole-hospital`` / ``--of-window ID``: the report from the hospital store (finance role)."""
    import tempfile
    from datetime import datetime
    from pathlib import Path

    from client.printing.common import write_out
    from client.services import hospital, hospital_reports, reports
    from client.services.clitools import EXIT_OK
    from client.services.errors import ServiceError

    if settings is None or not hospital.enabled(settings) and not settings.hospital.finance_url:
        raise ServiceError("config", "全院/分窗口报表需要医院库：请配置 [hospital] finance_url 或用 --hospital 指定。")
    out = Path(args.out)
    if out.suffix.lower() not in (".pdf", ".csv"):
        raise ServiceError("invalid_input", f"输出文件“{out}”须以 .pdf 或 .csv 结尾。")
    engine = hospital.finance_engine_from_env(settings, args.password_env)
    window = None if args.whole_hospital else args.of_window
    try:
        with tempfile.TemporaryDirectory(prefix="medsettle-hospital-report-") as tmp:
            dest = Path(tmp) / "books.sqlite3"
            if kind == "zreport":
                try:
                    day = datetime.strptime(args.date, "%Y-%m-%d").date()
                except ValueError:
                    raise ServiceError("invalid_input", f"日期“{args.date}”格式不对，应为 YYYY-MM-DD。") from None
                rep = hospital_reports.zreport(engine, day, dest, settings=settings, window=window,
                                               operator=args.operator)
                if out.suffix.lower() == ".csv":
                    write_out(reports.zreport_csv(rep), out)
                else:
                    from client.printing.reports import render_zreport

                    render_zreport(rep, out)
            else:
                rep = hospital_reports.monthly(engine, args.month, dest, settings=settings, window=window)
                if out.suffix.lower() == ".csv":
                    write_out(reports.monthly_csv(rep), out)
                else:
                    from client.printing.reports import render_monthly

                    render_monthly(rep, out)
    finally:
        engine.dispose()
    sys.stdout.write(f"已生成 {out}\n")
    return EXIT_OK
