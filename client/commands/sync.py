"""`medsettle sync` — download the catalogues (1301/1302/1303/1305/1306/1307/1309 files, 1312/1318/1319
pages) and policy bundles (9901). A catalogue stream the platform refuses (e.g. 未知交易编号) is
listed on stderr and in the JSON summary (``failed``) and the others go on; the exit code is then 2.

Resumable: every downloaded file/page is applied together with its version in one transaction, so
an interrupted sync continues where it stopped. Progress is a single ``\\r`` line on stderr; the
summary is printed as JSON on stdout. Exit 0 done, 2 refused / unreachable / bad configuration.
"""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("sync", parents=[common], help="同步医保目录和待遇政策包（可断点续传）",
                              description="从医保中心下载本院目录（1301/1302/1303/1305/1306/1307/1309 按版本增量，1312/1318/1319 分页）"
                                          "和参保地待遇政策包（9901，校验 MAC）。某一目录被医保中心拒绝时只记录该项，其余继续。"
                                          "中断后再次执行会从上次提交的版本继续。")
    p.add_argument("--no-hilist", action="store_true",
                   help="不执行 1312/1318/1319 查询（目录类别、限价、先自付比例来自这三项，跳过后预结算和事前提醒会缺少这些信息）")
    p.add_argument("--no-bundles", action="store_true", help="不下载待遇政策包")
    p.add_argument("--region", action="append", metavar="ADMDVS", help="只下载这些参保地的政策包（可重复）")
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=run)


class _Bar:
    def __init__(self, quiet: bool):
        from client.services.sync import PHASE_NAMES

        self.quiet = quiet or not sys.stderr
        self.last = ""
        self.phases = PHASE_NAMES

    def __call__(self, done: int, total: int, phase: str) -> None:
        if self.quiet:
            return
        total = max(total, done, 1)
        width = 30
        fill = int(width * done / total)
        line = f"\r{self.phases.get(phase, phase)} [{'#' * fill}{'.' * (width - fill)}] {done}/{total}"
        if line != self.last:
            sys.stderr.write(line.ljust(70))
            sys.stderr.flush()
            self.last = line

    def end(self) -> None:
        if not self.quiet and self.last:
            sys.stderr.write("\n")


def run(args) -> int:
    from client.services.clitools import EXIT_OK, EXIT_REFUSED, emit_json, guarded

    ctx_box: list = []

    def body() -> int:
        from client.services.context import open_context, settings_from_args
        from client.services.sync import SyncService

        settings = settings_from_args(args)
        bar = _Bar(args.quiet)
        with open_context(settings) as ctx:
            ctx_box.append(ctx)
            try:
                bundles = False if args.no_bundles else (list(args.region) if args.region else True)
                summary = SyncService(ctx, bar).run(hilist=not args.no_hilist, bundles=bundles)
            finally:
                bar.end()
        emit_json(summary.to_dict())
        rows = sum(s.rows for s in summary.streams if s.name.startswith("catalog:"))
        indexed = summary.index.rows if summary.index else 0
        sys.stderr.write(f"同步完成：目录新增/更新 {rows} 条，本院目录共 {summary.catalog_rows} 条"
                         f"{f'（新名称 {indexed} 个已建检索索引）' if indexed else ''}；"
                         f"政策包 {len(summary.bundles)} 个（{'、'.join(f'{k}:{v}' for k, v in summary.bundles.items())}）；"
                         f"用时 {summary.seconds:.1f} 秒。\n")
        for adm, why in summary.refused.items():
            sys.stderr.write(f"政策包被拒绝（{adm}）：{why}\n")
        for infno, why in summary.failed.items():
            sys.stderr.write(f"目录 {infno} 未同步：{why}\n")
        return EXIT_REFUSED if (summary.refused or summary.failed) else EXIT_OK

    return guarded(body, lambda: ctx_box[0].store if ctx_box else None)
