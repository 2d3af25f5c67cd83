"""``dutydesk user add|passwd|lock|unlock|list|role``: accounts, checked and audited in data/."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from rich.cells import cell_len

from console.commands import common
from data.accounts import AccountError, User
from data.desk import Desk
from data.i18n import explain, t
from data.roles import ROLES, Permission

Action = Callable[[Desk, User, argparse.Namespace, common.PasswordSource], Awaitable[None]]


def add_parser(sub: Any, global_options: Callable[..., None]) -> None:
    user = sub.add_parser("user", help=t("cli.user"), description=t("cli.user"))
    global_options(user, root=False)
    actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    def action(name: str, fn: Action, help_key: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = actions.add_parser(name, help=t(help_key))
        global_options(p, root=False)
        p.set_defaults(handler=lambda args: _run(args, fn))
        return p

    add = action("add", _add, "cli.user.add")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--full-name", default="", help=t("cli.user.full_name"))
    action("passwd", _passwd, "cli.user.passwd").add_argument("name")
    action("lock", _lock, "cli.user.lock").add_argument("name")
    action("unlock", _unlock, "cli.user.unlock").add_argument("name")
    action("list", _list, "cli.user.list")
    role = action("role", _role, "cli.user.role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)


def _run(args: argparse.Namespace, fn: Action) -> int:
    site = common.load_site_or_fail(args)
    source = common.passwords(args)
    # Changing your own password is open to every role; the rest needs account management.
    own = args.user_command == "passwd" and _same_name(args.name, getattr(args, "user", None))
    permission = Permission.CHANGE_OWN_PASSWORD if own else Permission.MANAGE_ACCOUNTS

    async def go() -> None:
        desk = await common.open_or_fail(site, common.db_path(args))
        try:
            actor = await common.login(desk, args, source, permission)
            await fn(desk, actor, args, source)
        except AccountError as error:
            raise common.CliError(explain(error)) from None
        finally:
            await desk.close()

    common.run(go)
    return 0


def _same_name(a: str, b: str | None) -> bool:
    """User names are matched without regard to case, as at login."""
    return b is not None and a.casefold() == b.casefold()


async def _add(desk: Desk, actor: User, a: argparse.Namespace, p: common.PasswordSource) -> None:
    password = p.new_password(t("cli.new_password", name=a.name))
    await desk.accounts.add(actor, a.name, password, a.role, a.full_name)
    print(t("user.added", name=a.name, role=a.role))


async def _passwd(desk: Desk, actor: User, a: argparse.Namespace, p: common.PasswordSource) -> None:
    password = p.new_password(t("cli.new_password", name=a.name))
    # Your own password needs the current one: the one you just logged in with.
    old = p.last_login if _same_name(actor.name, a.name) else None
    await desk.accounts.change_password(actor, a.name, password, old=old)
    print(t("user.password_changed", name=a.name))


async def _lock(desk: Desk, actor: User, a: argparse.Namespace, _: common.PasswordSource) -> None:
    await desk.accounts.lock(actor, a.name)
    print(t("user.locked", name=a.name))


async def _unlock(desk: Desk, actor: User, a: argparse.Namespace, _: common.PasswordSource) -> None:
    await desk.accounts.unlock(actor, a.name)
    print(t("user.unlocked", name=a.name))


async def _role(desk: Desk, actor: User, a: argparse.Namespace, _: common.PasswordSource) -> None:
    await desk.accounts.set_role(actor, a.name, a.role)
    print(t("user.role_set", name=a.name, role=a.role))


async def _list(desk: Desk, actor: User, a: argparse.Namespace, _: common.PasswordSource) -> None:
    rows = await desk.accounts.list_users(actor)
    print(f"{'NAME':<16} {'ROLE':<11} {'STATE':<22} FULL NAME")
    for account in rows:
        if account.disabled:
            state = t("user.state.disabled")
        elif account.locked_until is not None:
            state = t("user.state.locked_until", time=f"{account.locked_until:%H:%M}")
        elif account.must_change_password:
            state = t("user.state.must_change_password")
        else:
            state = t("user.state.active")
        user = account.user
        print(f"{user.name:<16} {user.role:<11} {_pad(state, 22)} {user.full_name}")


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal cells (a Chinese character takes two)."""
    return text + " " * max(0, width - cell_len(text))
