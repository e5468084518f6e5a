"""`medsettle` command line.

No arguments (or only window options such as ``--training``) opens the cashier window.
Subcommands are headless; each lives in ``client/commands/<name>.py`` and exposes
``register(subparsers, common)`` which adds its parser and sets ``func``.
Heavy imports stay inside the command functions so that ``medsettle settle`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand modules, in the order they appear in --help. A module that does not exist yet is skipped.
COMMAND_MODULES = [
    "settle",
    "sandbox",
    "sync",
    "policy",
    "checkout",
    "inpatient",
    "refund",
    "payments",
    "shift",
    "operator",
    "ledger",
    "recover",
    "offline",
    "report",
    "audit",
    "config",
    "backup",
    "diag",
    "selftest",
    "hospital",
    "dayend",
    "mapping",
]


def common_options(*, suppress: bool = False) -> argparse.ArgumentParser:
    """Options every headless subcommand accepts (so one machine can run several windows).

    The copy handed to subcommands uses ``argparse.SUPPRESS`` defaults, so that a value given before
    the subcommand (``medsettle --data D sync``) is not overwritten by the subparser's default.
    """
    kw = {"default": argparse.SUPPRESS} if suppress else {}
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("站点配置覆盖 (overrides)")
    g.add_argument("--config", metavar="FILE", help="site configuration TOML (default: per-machine config dir)", **kw)
    g.add_argument("--platform", metavar="URL", help="central platform base URL", **kw)
    g.add_argument("--institution", metavar="CODE", help="fixmedins_code (定点医药机构编号)", **kw)
    g.add_argument("--data", metavar="DIR", help="data directory (local store, logs)", **kw)
    g.add_argument("--window", metavar="ID", help="window id for per-window configuration overrides", **kw)
    g.add_argument("--hospital", metavar="URL", help="hospital store (postgresql+psycopg://ROLE@HOST/DB; password from the keyring)", **kw)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medsettle",
        description="MedSettle 医保窗口结算. Without a subcommand the cashier window opens.",
    )
    parser.add_argument("--training", action="store_true", help="培训模式: start the embedded training platform")
    parser.add_argument("--lang", metavar="LOCALE", help="UI language (zh_CN default, en)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    for action in common_options()._actions:
        if action.dest != "help":
            parser._add_action(action)
    common = common_options(suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(f"client.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"client.commands.{name}":
                continue
            raise
        mod.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point. Process-wide hooks (rotating log, crash handler) are installed only when this runs
    as the process entry point (``argv`` None: the console script or ``python -m client``), not when
    embedded callers such as tests pass their own argv."""
    entry_point = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from client import __version__

        print(f"medsettle {__version__}")
        return 0
    if entry_point:
        _setup_operations(args)
    if args.command is None:
        try:
            from client.ui.app import run_window
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("client.ui"):
                parser.error("the cashier window is not available in this build")
            raise
        return run_window(args)
    pusher = _start_hospital_pusher(args) if args.command in HOSPITAL_WRITERS else None
    try:
        rc = int(args.func(args) or 0)
        if pusher is not None:
            _finish_hospital_pusher(pusher)
            pusher = None
        return rc
    except BrokenPipeError:
        # the reader went away (`medsettle ledger | head`): stop quietly, as Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        if pusher is not None:
            _finish_hospital_pusher(pusher)


# subcommands that write the window's books: in hospital mode their journal is pushed right after
HOSPITAL_WRITERS = {"checkout", "settle", "shift", "recover", "operator", "offline", "mapping", "policy"}


def _start_hospital_pusher(args: argparse.Namespace):
    """In hospital mode, a background pusher for the command's lifetime (client.services.hospital);
    None otherwise. Never makes a command fail."""
    try:
        from client.services import hospital
        from client.services.context import settings_from_args

        settings = settings_from_args(args)
        if not hospital.enabled(settings):
            return None
        return hospital.BackgroundPusher(settings, interval=0.5).start()
    except Exception:  # noqa: BLE001 - a bad configuration is reported by the command itself
        return None


def _finish_hospital_pusher(pusher) -> None:
    """The final push after the command's own commit; a failure is one line on stderr."""
    try:
        out = pusher.stop()
        if out is not None and out.error:
            backlog = pusher.backlog
            sys.stderr.write(f"医院库：{out.error}" + (f"（积压 {backlog} 条）" if backlog is not None else "（已暂存本地）")
                             + "\n")
    except Exception:  # noqa: BLE001
        import logging

        logging.getLogger("client.cli").warning("hospital push failed", exc_info=True)


def _setup_operations(args: argparse.Namespace) -> None:
    """Masked rotating log + crash handler for the window and every subcommand (issue #9)."""
    from pathlib import Path

    from client import crash
    from client.config import check_config, cli_overrides, default_log_dir
    from client.logging_setup import setup_logging

    log_dir, window = None, getattr(args, "window", None)
    try:
        report = check_config(getattr(args, "config", None), window=window, overrides=cli_overrides(args))
        if report.settings is not None:
            log_dir, window = report.settings.log_dir, report.settings.window_id
    except Exception:  # noqa: BLE001 - a bad site file is reported by the command itself
        pass
    if log_dir is None:
        log_dir = Path(args.data) / "logs" if getattr(args, "data", None) else default_log_dir()
    try:
        setup_logging(log_dir, window_id=window)
        crash.install(log_dir, dialog=args.command is None)
    except OSError:
        pass  # unwritable log directory: the command still runs
