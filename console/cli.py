"""The command line: ``dutydesk [--site PATH] [--db PATH] [COMMAND ...]``.

Global options work before or after the subcommand. Exit codes: 0 ok, 1 a check or
verification found a problem, 2 bad input or configuration (README "First run").
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from console.commands import common
from data.errors import DutyDeskError
from data.i18n import explain, resolve_language, set_language, t
from data.paths import PROCESS_UMASK
from data.store import database_fault
from data.stores import mask_dsn

Handler = Callable[[argparse.Namespace], int]


def _global_options(parser: argparse.ArgumentParser, *, root: bool) -> None:
    # Subparsers get SUPPRESS defaults so an option given before the subcommand survives.
    default = None if root else argparse.SUPPRESS
    parser.add_argument("--site", metavar="PATH", default=default, help=t("cli.opt.site"))
    parser.add_argument("--db", metavar="PATH|DSN", default=default, help=t("cli.opt.db"))
    parser.add_argument("--user", metavar="NAME", default=default, help=t("cli.opt.user"))
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        default=False if root else argparse.SUPPRESS,
        help=t("cli.opt.password_stdin"),
    )


def build_parser() -> argparse.ArgumentParser:
    from console.commands import (
        accounts_cmd,
        assets_cmd,
        audit_cmd,
        backup_cmd,
        check_cmd,
        config_cmd,
        console_cmd,
        export_cmd,
        migrate_cmd,
        probe_cmd,
        serve_cmd,
    )

    parser = argparse.ArgumentParser(prog="dutydesk", description=t("cli.description"))
    _global_options(parser, root=True)
    parser.set_defaults(handler=console_cmd.run_console)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Handler, help_key: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=t(help_key), description=t(help_key))
        _global_options(p, root=False)
        p.set_defaults(handler=handler)
        return p

    demo = command("demo", console_cmd.run_demo, "cli.demo")
    demo.add_argument("--lab-only", action="store_true", help=t("cli.demo.lab_only"))

    init = command("init", config_cmd.run_init, "cli.init")
    init.add_argument("--admin", metavar="NAME", default="admin", help=t("cli.init.admin"))
    init.add_argument("--full-name", default="", help=t("cli.user.full_name"))

    config = command("config", _usage(parser, "config"), "cli.config")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION")
    check = config_sub.add_parser("check", help=t("cli.config.check"))
    _global_options(check, root=False)
    check.set_defaults(handler=config_cmd.run_config_check)

    check_cmd.add_parser(sub, _global_options)
    probe_cmd.add_parser(sub, _global_options)
    accounts_cmd.add_parser(sub, _global_options)
    audit_cmd.add_parser(sub, _global_options)
    backup_cmd.add_parsers(sub, _global_options)
    export_cmd.add_parsers(sub, _global_options)
    serve_cmd.add_parsers(sub, _global_options)
    assets_cmd.add_parser(sub, _global_options)
    migrate_cmd.add_parser(sub, _global_options)
    return parser


def _usage(parser: argparse.ArgumentParser, name: str) -> Handler:
    def show(_: argparse.Namespace) -> int:
        common.fail(t("cli.needs_action", command=name))
        return 2

    return show


def main(argv: Sequence[str] | None = None) -> int:
    set_language(resolve_language(None))
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        handler: Handler = args.handler
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except common.CliError as error:
        common.fail(str(error))
        return error.exit_code
    except DutyDeskError as error:
        common.fail(explain(error))
        return 2
    except sqlite3.Error as error:  # the database failed where no Store named it: one line
        target = common.db_path(args)
        path = Path(target) if isinstance(target, Path) else None
        fault = database_fault(path, error) if path is not None else None
        path_text = path if path is not None else mask_dsn(str(target))
        common.fail(explain(fault) if fault is not None else f"{path_text}: {error}")
        return 2
    except OSError as error:  # e.g. an export to a full disk or a folder not ours
        where = f"{error.filename}: " if error.filename else ""
        common.fail(f"{where}{error.strerror or error}")
        return 2


def entry() -> None:
    os.umask(PROCESS_UMASK)  # whatever this process or a library creates is the user's only
    sys.exit(main())
