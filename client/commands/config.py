"""`medsettle config`: check the site configuration, print the example, store secrets, show paths.

    medsettle config check [--config FILE] [--window ID] [--platform URL] [--institution CODE] [--data DIR]
    medsettle config example
    medsettle config set-secret NAME [--stdin] [--data DIR]
    medsettle config paths

Exit codes of ``check``: 0 = usable (warnings may have been printed), 2 = errors (the window will
not start with this file). Other subcommands: 0 = done, 2 = refused (message printed).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK = 0
EXIT_ERRORS = 2


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("config", parents=[common], help="站点配置：检查、示例、密钥、路径",
                              description="站点配置：检查 (check)、示例 (example)、存入密钥 (set-secret)、文件位置 (paths)")
    sub = p.add_subparsers(dest="config_command", metavar="ACTION")
    nested = common   # client.cli hands out the common options with SUPPRESS defaults already
    # --window (窗口编号, [windows.<ID>]; default MEDSETTLE_WINDOW or the window-id file) comes with `common`.
    sub.add_parser("check", parents=[nested], help="检查配置并显示生效值（密钥显示为 ***）")
    sub.add_parser("example", help="输出带注释的示例配置文件")
    s = sub.add_parser("set-secret", parents=[nested], help="把密钥存入系统密钥环或加密文件")
    s.add_argument("name", help="密钥名称（与配置中的 secret_ref / mac_key_ref 一致）")
    s.add_argument("--stdin", action="store_true", help="从标准输入读取密钥（用于脚本部署）")
    sub.add_parser("paths", parents=[nested], help="显示配置、数据、日志文件的默认位置")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "config_command", None) or "check"
    if action == "example":
        return _example()
    if action == "set-secret":
        return _set_secret(args)
    if action == "paths":
        return _paths(args)
    return _check(args)


def _example() -> int:
    from client.resources import resource

    sys.stdout.write(resource("config", "site.example.toml").read_text(encoding="utf-8"))
    return EXIT_OK


def _format_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = "{x}"' for k, x in sorted(v.items())) + " }" if v else "{}"
    return str(v)


def _check(args: argparse.Namespace) -> int:
    from client.config import check_config, cli_overrides, redacted

    report = check_config(getattr(args, "config", None), window=getattr(args, "window", None),
                          overrides=cli_overrides(args))
    out = sys.stdout
    out.write(f"配置文件：{report.source or '（未找到）'}\n")
    s = report.settings
    if s is not None:
        window = f"{s.window_id}（{s.window_label}）" if s.window_id and s.window_label else (s.window_id or "（未指定，使用公共配置）")
        out.write(f"窗口：{window}\n数据目录：{s.data_dir}\n日志目录：{s.log_dir}\n")
        if s.training.enabled:
            out.write("【培训模式】\n")
        out.write("\n生效配置：\n")
        for section, values in redacted(s).items():
            out.write(f"[{section}]\n")
            for k, v in values.items():
                out.write(f"  {k} = {_format_value(v)}\n")
    errors = list(report.errors) + (_missing_secrets(s) if s is not None else [])
    if errors:
        out.write(f"\n错误（{len(errors)} 处，必须修改）：\n")
        for e in errors:
            out.write(f"  ✗ {e.path}: {e.message}\n")
    if report.warnings:
        out.write(f"\n警告（{len(report.warnings)} 处，建议处理）：\n")
        for w in report.warnings:
            out.write(f"  ! {w.path}: {w.message}\n")
    if errors:
        out.write("\n结论：配置有错误，窗口无法使用此配置启动。请按上面的提示修改后重新运行 `medsettle config check`。\n")
        return EXIT_ERRORS
    out.write("\n结论：配置可以使用。" + ("（有警告，请尽快处理）" if report.warnings else "") + "\n")
    return EXIT_OK


def _missing_secrets(settings: Any) -> list[Any]:
    """Every secret the configuration names must be in this machine's secret store (its value is
    never read out here beyond "present")."""
    from client.config import ConfigError
    from client.secrets import SecretStore, SecretStoreError

    refs = settings.secret_refs()
    if not refs:
        return []
    try:
        store = SecretStore(settings.data_dir)
        missing = [(path, name) for path, name in refs.items() if not store.get(name)]
    except SecretStoreError as exc:
        return [ConfigError("(secrets)", f"无法打开本机密钥库：{exc}")]
    return [ConfigError(path, f"密钥“{name}”尚未存入本机（{store.backend_name()}）。请运行 "
                              f"`medsettle config set-secret {name}` 录入后再检查") for path, name in missing]


def _data_dir(args: argparse.Namespace):
    from pathlib import Path

    from client.config import check_config, cli_overrides, default_data_dir

    if getattr(args, "data", None):
        return Path(args.data)
    report = check_config(getattr(args, "config", None), overrides=cli_overrides(args))
    if report.settings is not None:
        return report.settings.data_dir
    return default_data_dir()


def _set_secret(args: argparse.Namespace) -> int:
    from client.secrets import SecretStore, SecretStoreError

    if args.stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        value = getpass.getpass(f"请输入密钥 {args.name}：")
        again = getpass.getpass("请再输入一次：")
        if value != again:
            sys.stderr.write("两次输入不一致，未保存。请重新运行。\n")
            return EXIT_ERRORS
    if not value:
        sys.stderr.write("密钥为空，未保存。\n")
        return EXIT_ERRORS
    try:
        store = SecretStore(_data_dir(args))
        store.set(args.name, value)
    except SecretStoreError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_ERRORS
    sys.stdout.write(f"已保存密钥 {args.name}（存储位置：{store.backend_name()}）。"
                     f"请在配置中写 secret_ref = \"{args.name}\"（或 mac_key_ref）。\n")
    return EXIT_OK


def _paths(args: argparse.Namespace) -> int:
    from client.config import default_config_path, default_data_dir, default_log_dir

    out = sys.stdout
    try:
        from client.config import _config_candidates, _no_user_dirs

        candidates = [] if _no_user_dirs() else _config_candidates()
    except Exception:
        candidates = []
    out.write(f"当前使用的配置文件：{default_config_path() or '（未找到）'}\n")
    for c in candidates:
        out.write(f"  查找位置：{c}{'（存在）' if c.is_file() else ''}\n")
    out.write(f"默认数据目录：{default_data_dir()}\n默认日志目录：{default_log_dir()}\n")
    return EXIT_OK
