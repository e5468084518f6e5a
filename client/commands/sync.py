"""`medsettle sync` — download the catalogues (1301/1302/1303/1305/1306/1307/1309 files, 1312/1318/1319
pages). A catalogue stream the platform refuses (e.g. 未知交易编号) is listed on stderr and in the
JSON summary (``failed``) and the others go on; the exit code is then 2.

Policy bundles are site data (``medsettle policy import``): sync fetches them with the MedSettle
extension 9901 only when ``platform.policy_bundles_9901`` is on, and a platform that does not know
9901 is reported, not a failure. In training mode sync imports the shipped demo bundles.

In hospital mode the 13xx files come from the hospital store's chain (``medsettle hospital sync``
downloads them once for the hospital; client.services.hospital_catalog) and everything else from
the central platform; ``--direct`` (or a hospital store that cannot be reached) downloads directly.

Resumable: every downloaded file/page is applied together with its version in one transaction, so
an interrupted sync continues where it stopped. Progress is a single ``\\r`` line on stderr; the
summary is printed as JSON on stdout. Exit 0 done, 2 refused / unreachable / bad configuration.
"""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    p = subparsers.add_parser("sync", parents=[common], help="同步医保目录和待遇政策包（可断点续传）",
                              description="从医保中心下载本院目录（1301/1302/1303/1305/1306/1307/1309 按版本增量，1312/1318/1319 分页）。"
                                          "某一目录被医保中心拒绝时只记录该项，其余继续。"
                                          "政策参数由信息科导入（medsettle policy import）；仅当配置 platform.policy_bundles_9901 "
                                          "时才用 9901 下载政策包（校验 MAC）。中断后再次执行会从上次提交的版本继续。")
    p.add_argument("--no-hilist", action="store_true",
                   help="不执行 1312/1318/1319 查询（目录类别、限价、先自付比例来自这三项，跳过后预结算和事前提醒会缺少这些信息）")
    p.add_argument("--no-bundles", action="store_true", help="跳过政策包步骤（培训模式导入示例政策参数 / 9901 下载）")
    p.add_argument("--region", action="append", metavar="ADMDVS", help="政策包步骤只处理这些参保地（可重复）")
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.add_argument("--direct", action="store_true", help="医院库模式下也直接从医保中心下载目录文件（不经医院库）")
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
        from client.services.hospital_catalog import hospital_source

        with open_context(settings) as ctx:
            ctx_box.append(ctx)
            try:
                src = hospital_source(ctx, direct=args.direct)
                with src as served:
                    if src.note:
                        sys.stderr.write(src.note + "\n")
                    bundles = False if args.no_bundles else (list(args.region) if args.region else True)
                    summary = SyncService(ctx, bar).run(hilist=not args.no_hilist, bundles=bundles)
                    pulled = src.pull_policies() if not args.no_bundles else None
            finally:
                bar.end()
        doc = summary.to_dict()
        if pulled is not None:
            doc["hospital_policies"] = pulled
            if pulled.get("error"):
                sys.stderr.write(f"医院库政策参数未能更新：{pulled['error']}\n")
            elif pulled["imported"]:
                sys.stderr.write(f"已从医院库导入政策参数 {len(pulled['imported'])} 个。\n")
        if served is not None:
            doc["catalogue_source"] = {"hospital": served.hospital, "central": served.central}
            for infno, why in served.central.items():
                if why != "医院库没有该目录的文件":
                    sys.stderr.write(f"目录 {infno} 直接从医保中心下载：{why}\n")
            if served.hospital:
                sys.stderr.write("目录文件经医院库下载：" + "、".join(f"{k} {v} 个文件" for k, v in served.hospital.items())
                                 + "\n")
        emit_json(doc)
        rows = sum(s.rows for s in summary.streams if s.name.startswith("catalog:"))
        indexed = summary.index.rows if summary.index else 0
        sys.stderr.write(f"同步完成：目录新增/更新 {rows} 条，本院目录共 {summary.catalog_rows} 条"
                         f"{f'（新名称 {indexed} 个已建检索索引）' if indexed else ''}；"
                         f"政策包 {len(summary.bundles)} 个（{'、'.join(f'{k}:{v}' for k, v in summary.bundles.items())}）；"
                         f"用时 {summary.seconds:.1f} 秒。\n")
        for note in summary.policy_notes:
            sys.stderr.write(f"注意：{note}\n")
        for adm, why in summary.refused.items():
            sys.stderr.write(f"政策包被拒绝（{adm}）：{why}\n")
        for infno, why in summary.failed.items():
            sys.stderr.write(f"目录 {infno} 未同步：{why}\n")
        # a bundle that failed its MAC or schema check is a security matter (exit 2), as is a catalogue
        # stream the platform refused; a platform that does not serve 9901 is not (policy parameters
        # are imported site data)
        return EXIT_REFUSED if (summary.refused or summary.failed) else EXIT_OK

    return guarded(body, lambda: ctx_box[0].store if ctx_box else None)

