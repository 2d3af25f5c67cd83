"""What the subcommands share: loading the site, opening the store, logging in, failing."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

from data.accounts import AuthError, User
from data.config import LoadedSite, SiteConfigError, load_site_config
from data.desk import Desk, open_desk
from data.i18n import explain, resolve_language, set_language, t
from data.models import Site
from data.paths import default_db_path, default_site_path
from data.roles import Permission, PermissionDenied, require
from data.store import StoreError
from data.stores import db_target, is_dsn

T = TypeVar("T")


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fail(message: str) -> None:
    print(f"dutydesk: {message}", file=sys.stderr)


def site_path(args: argparse.Namespace) -> Path:
    return Path(args.site).expanduser() if getattr(args, "site", None) else default_site_path()


def db_path(args: argparse.Namespace) -> Path | str:
    """``--db``, else ``$DUTYDESK_DB``, else the default file: a path or a PostgreSQL DSN."""
    if getattr(args, "db", None):
        return db_target(args.db)
    if is_dsn(os.environ.get("DUTYDESK_DB", "")):
        return db_target(os.environ["DUTYDESK_DB"])
    return default_db_path()


def load_site_config_or_fail(args: argparse.Namespace) -> LoadedSite:
    """Load and validate site.yaml; on any error print every issue and exit 2."""
    path = site_path(args)
    try:
        loaded = load_site_config(path)
    except SiteConfigError as error:
        for issue in error.issues:
            print(str(issue), file=sys.stderr)
        raise CliError(t("cli.config.invalid", count=len(error.errors), path=path)) from None
    set_language(resolve_language(loaded.site.site.language))
    return loaded


def load_site_or_fail(args: argparse.Namespace) -> Site:
    return load_site_config_or_fail(args).site


class PasswordSource:
    """Passwords from the terminal (no echo) or, with --password-stdin, one per stdin line."""

    def __init__(self, from_stdin: bool) -> None:
        self.from_stdin = from_stdin
        self._lines: Iterator[str] | None = None
        self.last_login: str | None = None  # kept only to change one's own password

    def read(self, prompt: str) -> str:
        if not self.from_stdin:
            return getpass.getpass(prompt)
        if self._lines is None:
            self._lines = iter(sys.stdin.read().splitlines())
        try:
            return next(self._lines)
        except StopIteration:
            raise CliError(t("cli.password_stdin_short")) from None

    def new_password(self, prompt: str) -> str:
        first = self.read(prompt)
        if self.from_stdin:
            return first
        if first != self.read(t("cli.password_again")):
            raise CliError(t("cli.password_mismatch"))
        return first


def passwords(args: argparse.Namespace) -> PasswordSource:
    return PasswordSource(bool(getattr(args, "password_stdin", False)))


async def open_or_fail(site: Site, path: Path | str) -> Desk:
    try:
        return await open_desk(site, path)
    except StoreError as error:
        raise CliError(explain(error)) from None


async def login(
    desk: Desk, args: argparse.Namespace, source: PasswordSource, permission: Permission
) -> User:
    """Authenticate like the console does, then check the role; both outcomes are audited.
    A password an admin set lets its owner do one thing: change it (as the console
    requires before the session starts)."""
    name = getattr(args, "user", None)
    if not name:
        raise CliError(t("cli.needs_user"))
    try:
        source.last_login = source.read(t("cli.password_for", name=name))
        # No password age here (None): scheduled exports run under an account, and the
        # CLI has never refused an old password; the console does.
        login = await desk.accounts.login(name, source.last_login, None)
    except AuthError as error:
        raise CliError(t(f"auth.{error.code}")) from None
    user = login.user
    try:
        require(user, permission)
    except PermissionDenied:
        await desk.audit.record(user.name, "cli.command", permission.value, outcome="denied")
        raise CliError(t("cli.denied", role=t(f"role.{user.role}"))) from None
    if login.change_reason is not None and permission != Permission.CHANGE_OWN_PASSWORD:
        await desk.audit.record(
            user.name,
            "cli.command",
            permission.value,
            outcome="denied",
            detail={"reason": login.change_reason},
        )
        raise CliError(t("cli.password_set_by_admin", name=user.name))
    return user


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_factory()

    return asyncio.run(main())
