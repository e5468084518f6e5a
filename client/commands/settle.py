"""`medsettle settle CASE.json` — settle one ``settlement-case/1`` document and print the result.

``-`` reads the case from stdin. ``--explain`` prints the engine's trace as numbered Chinese text
for a person (auditor, IT staff) instead of JSON. Refused or malformed cases exit 2 with
``{"error": {"code", "message", "field"}}`` on stdout and the message on stderr — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_OK = 0
EXIT_REFUSED = 2


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "settle",
        parents=[common],
        help="结算一个结算案例文件 (settlement-case/1) 并输出结果",
        description=(
            "按“就医地目录、参保地政策”结算一个 settlement-case/1 结算案例，输出 JSON 结果。"
            "用于窗口预结算核对、离线结算复核和审计回放。"
        ),
    )
    p.add_argument("case", metavar="CASE.json", help="结算案例文件路径；- 表示从标准输入读取")
    p.add_argument("--explain", action="store_true", help="以编号的中文说明逐步解释计算过程（供审计/信息科）")
    p.set_defaults(func=run)


def _read(path: str) -> bytes:
    from client.domain.engine import CaseError

    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise CaseError("invalid_case", f"找不到结算案例文件：{path}。请检查文件路径后重试。") from None
    except IsADirectoryError:
        raise CaseError(
            "invalid_case", f"{path} 是一个文件夹，不是结算案例文件。请指定 .json 文件。"
        ) from None
    except PermissionError:
        raise CaseError("invalid_case", f"没有权限读取结算案例文件：{path}。请检查文件权限。") from None
    except OSError as exc:
        raise CaseError("invalid_case", f"无法读取结算案例文件 {path}（{exc.strerror}）。") from None


def _pad(text: str, width: int) -> str:
    """Left-align to a display width (CJK characters take two columns in a terminal)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def explain_text(result: dict) -> str:
    """Human-readable replay: numbered trace steps, then the key amounts."""
    from decimal import Decimal

    from client.domain.engine import CATEGORY_NAMES
    from client.domain.money import fmt_display, rmb_upper

    s = result["setlinfo"]
    out = [
        f"结算回放 — 政策 {result['policy_id']}，就医类别 {CATEGORY_NAMES.get(result['category'], result['category'])}",
        "",
    ]
    n = 0
    for step in result["trace"]:
        if step.startswith("  "):
            out.append("      " + step.strip())
        else:
            n += 1
            out.append(f"{n:>3}. {step}")
    out.append("")
    rows = [
        ("医疗费总额", "medfee_sumamt"),
        ("全自费金额", "fulamt_ownpay_amt"),
        ("超限价自费", "overlmt_selfpay"),
        ("先行自付金额", "preselfpay_amt"),
        ("符合范围金额", "inscp_scp_amt"),
        ("实际支付起付线", "act_pay_dedc"),
        ("基本统筹基金支付", "hifp_pay"),
        ("公务员医疗补助", "cvlserv_pay"),
        ("补充医疗保险", "hifes_pay"),
        ("大病保险", "hifmi_pay"),
        ("大额医疗费用补助", "hifob_pay"),
        ("医疗救助", "maf_pay"),
        ("其他基金", "oth_pay"),
        ("基金支付总额", "fund_pay_sumamt"),
        ("个人负担总额", "psn_part_amt"),
        ("个人账户支付", "acct_pay"),
        ("个人现金支付", "psn_cash_pay"),
        ("个人账户余额", "balc"),
    ]
    out.append("主要金额（元）：")
    for label, key in rows:
        out.append(f"  {_pad(label, 18)}{fmt_display(Decimal(s[key])):>16}   {key}")
    out.append(f"  {_pad('统筹支付比例', 18)}{s['pool_prop_selfpay']:>16}   pool_prop_selfpay")
    out.append(
        f"  个人自费 {result['invoice']['self_cost']}，个人自付 {result['invoice']['self_pay']}（电子票据）"
    )
    out.append(f"  现金支付大写：{rmb_upper(Decimal(s['psn_cash_pay']))}")
    for row in result["setldetail"]:
        out.append(
            f"  基金 {row['fund_pay_type']}：计算基数 {row['inscp_scp_amt']}，支付 {row['fund_payamt']}"
        )
    return "\n".join(out) + "\n"


def _emit(stream, text: str) -> None:
    """Write UTF-8 regardless of the console code page (JSON output is UTF-8 by contract)."""
    buf = getattr(stream, "buffer", None)
    stream.flush()
    if buf is not None:
        buf.write(text.encode("utf-8"))
        buf.flush()
    else:  # a replaced stream (tests, embedding)
        stream.write(text)
        stream.flush()


def run(args: argparse.Namespace) -> int:
    from client.domain.engine import CaseError, settle_text

    try:
        result = settle_text(_read(args.case))
    except CaseError as exc:
        _emit(sys.stdout, json.dumps({"error": exc.to_dict()}, ensure_ascii=False) + "\n")
        _emit(sys.stderr, exc.message + "\n")
        return EXIT_REFUSED
    if args.explain:
        _emit(sys.stdout, explain_text(result))
    else:
        _emit(sys.stdout, json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return EXIT_OK
