"""`medsettle sandbox serve|fault|ledger` — the training central platform (培训平台)."""

from __future__ import annotations

import json
import sys

from training_platform.faults import MODES


def register(subparsers, common) -> None:
    p = subparsers.add_parser("sandbox", parents=[common], help="培训中心平台：启动、故障注入、查看结算台账")
    sub = p.add_subparsers(dest="sandbox_command", metavar="ACTION")
    s = sub.add_parser("serve", help="启动培训中心平台 (HTTP)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8089)
    s.add_argument("--data", dest="sandbox_data", metavar="DIR",
                   help="平台数据目录（空目录会用演示数据初始化）")
    s.add_argument("--seed", type=int, default=20200824, help="演示数据随机种子")
    s.add_argument("--catalog-page-rows", type=int, default=20000, help="目录下载每个文件的最大行数")
    s.add_argument("--verbose", action="store_true", help="打印每个请求的访问日志")
    s.add_argument("--dialect", choices=("national", "jiangsu", "zhejiang"),
                   help="按地区报文方言运行（含该地区的网关验签和交易编号）：national 国家标准+x-tif（青浦）、"
                        "jiangsu 江苏CSB（吴江）、zhejiang 浙江x-ca+2206A/2207A（嘉善）；默认不限方言、无网关")
    s.add_argument("--password-check", action="store_true",
                   help="模拟验密：2207/2304 需 cainfo 中的患者密码（RSA），公钥见 /training/password-key")
    f = sub.add_parser("fault", help="设置或清除运行中平台的故障注入")
    f.add_argument("--url", required=True, metavar="BASE_URL", help="平台地址，如 http://127.0.0.1:8089")
    f.add_argument("--mode", choices=MODES)
    f.add_argument("--infno", help="只对该交易生效（默认全部交易）")
    g = f.add_mutually_exclusive_group()
    g.add_argument("--next", type=int, metavar="N", help="只影响接下来的 N 个请求")
    g.add_argument("--prob", type=float, metavar="P", help="每个请求以概率 P 触发")
    f.add_argument("--delay-ms", type=int, default=0)
    f.add_argument("--message", help="refuse 模式返回的错误信息")
    f.add_argument("--seed", type=int, help="概率触发的随机种子")
    f.add_argument("--clear", action="store_true", help="清除故障（可配合 --infno 只清除该交易）")
    f.add_argument("--list", action="store_true", help="列出当前故障规则")
    lg = sub.add_parser("ledger", help="以 JSON 行打印平台的结算台账")
    lg.add_argument("--data", dest="sandbox_data", metavar="DIR", help="平台数据目录")
    lg.add_argument("--payments", action="store_true", help="打印培训聚合支付的交易与退款（kind = pay_trade / pay_refund）")
    p.set_defaults(func=run, _sandbox_parser=p)


def run(args) -> int:
    action = getattr(args, "sandbox_command", None)
    if action in ("serve", "ledger"):
        args.sandbox_data = getattr(args, "sandbox_data", None) or getattr(args, "data", None)
        if not args.sandbox_data:
            print("请用 --data DIR 指定培训平台数据目录", file=sys.stderr)
            return 2
    if action == "serve":
        return _serve(args)
    if action == "fault":
        return _fault(args)
    if action == "ledger":
        return _ledger(args)
    args._sandbox_parser.print_help()
    return 2


def _serve(args) -> int:
    from training_platform.server import EmbeddedPlatform

    try:
        p = EmbeddedPlatform(args.sandbox_data, args.host, args.port, seed=args.seed,
                             catalog_page_rows=args.catalog_page_rows, quiet=not args.verbose,
                             dialect=args.dialect, password_check=args.password_check).start()
    except OSError as e:
        print(f"培训平台启动失败：{e}。请检查端口 {args.port} 是否被占用、数据目录是否可写。", file=sys.stderr)
        return 1
    print(f"培训中心平台已启动：{p.url}  数据目录：{p.data_dir}  (Ctrl+C 停止)", flush=True)
    if p.dialect is not None:
        d = p.dialect
        print(f"报文方言：{d.label}；培训医院 {d.fixmedins_code}；客户端 [platform] 配置："
              f"{json.dumps(d.client_platform_settings(p.url), ensure_ascii=False)}；"
              f"培训网关密钥（仅培训平台）：{d.secret}", flush=True)
    try:
        p._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        p.stop()
    return 0


def _fault(args) -> int:
    import requests

    base = args.url.rstrip("/")
    if args.list:
        body = None
    elif args.clear:
        body = {"clear": True, "infno": args.infno}
    else:
        if not args.mode:
            print("请用 --mode 指定故障模式，或用 --clear 清除故障", file=sys.stderr)
            return 2
        body = {"mode": args.mode, "infno": args.infno, "next": args.next, "prob": args.prob,
                "delay_ms": args.delay_ms, "message": args.message, "seed": args.seed}
    try:
        if body is None:
            r = requests.get(base + "/admin/fault", timeout=10)
        else:
            r = requests.post(base + "/admin/fault", json=body, timeout=10)
    except requests.RequestException as e:
        print(f"无法连接培训平台 {base}：{e}", file=sys.stderr)
        return 1
    try:
        out = r.json()
    except ValueError:
        print(f"培训平台返回了非JSON应答(HTTP {r.status_code})", file=sys.stderr)
        return 1
    print(json.dumps(out, ensure_ascii=False))
    return 0 if r.status_code == 200 else 1


def _ledger(args) -> int:
    from training_platform.ledger import read_ledger

    try:
        rows = read_ledger(args.sandbox_data)
    except FileNotFoundError as e:
        print(str(e), file=sys.stderr)
        return 1
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    if getattr(args, "payments", False):
        from training_platform.paygate import read_ledger as read_pay_ledger

        pay = read_pay_ledger(args.sandbox_data)
        for t in pay["trades"]:
            print(json.dumps({"kind": "pay_trade", **t}, ensure_ascii=False))
        for r in pay["refunds"]:
            print(json.dumps({"kind": "pay_refund", **r}, ensure_ascii=False))
    return 0
