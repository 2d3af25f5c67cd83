"""``dutydesk user passwd``: every role changes its own password, under the same policy as
the console (issue 10, items 8 and 10)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.support.cli import ADMIN_PW, Cli, add_user


def _passwd_own(cli: Cli, name: str, old: str, new: str) -> tuple[int, str, str]:
    return cli("user", "passwd", name, "--user", name, "--password-stdin", stdin=f"{old}\n{new}\n")


@pytest.mark.parametrize("role", ["auditor", "operator", "supervisor", "admin"])
def test_every_role_changes_its_own_password(initialised: Cli, role: str) -> None:
    add_user(initialised, "someone", role, "Start#2026x")
    code, out, err = _passwd_own(initialised, "someone", "Start#2026x", "Next#2026yz")
    assert code == 0, err
    assert "someone" in out
    code, _, err = initialised(
        "user",
        "passwd",
        "someone",
        "--user",
        "SOMEONE",
        "--password-stdin",
        stdin="Next#2026yz\nThird#2026q\n",
    )
    assert code == 0, err  # the name as typed at login, in any case


def test_only_an_admin_changes_someone_elses(initialised: Cli) -> None:
    add_user(initialised, "shenji", "auditor", "Audit#2026")
    add_user(initialised, "zhang", "operator", "Oper#2026x")
    code, _, err = initialised(
        "user",
        "passwd",
        "zhang",
        "--user",
        "shenji",
        "--password-stdin",
        stdin="Audit#2026\nTaken#2026x\n",
    )
    assert code == 2 and "may not" in err


@pytest.mark.parametrize(
    ("new", "says"),
    [
        ("xZHANG#2026", "not to contain the user name"),
        ("Admin@123", "not to be a commonly used password"),
        ("P@ssw0rd", "not to be a commonly used password"),
        ("Good\x00pass#26", "no control characters"),
    ],
)
def test_passwd_applies_the_policy(initialised: Cli, new: str, says: str) -> None:
    add_user(initialised, "zhang", "operator", "Oper#2026x")
    code, _, err = _passwd_own(initialised, "zhang", "Oper#2026x", new)
    assert code == 2 and says in err, err
    code, _, err = _passwd_own(initialised, "zhang", "Oper#2026x", "Still#2026ok")
    assert code == 0, err  # the refused one changed nothing


def test_add_refuses_a_name_with_a_control_character(initialised: Cli) -> None:
    code, _, err = initialised(
        "user",
        "add",
        "zhang\x1b",
        "--role",
        "operator",
        "--user",
        "admin",
        "--password-stdin",
        stdin=f"{ADMIN_PW}\nOper#2026x\n",
    )
    assert code == 2 and "User names are" in err


def _audit_tail(cli: Cli, rows: int) -> list[tuple[str, str, str, dict[str, object]]]:
    with sqlite3.connect(cli.db) as db:
        found = db.execute(
            "SELECT user, action, outcome, detail FROM audit ORDER BY id DESC LIMIT ?", (rows,)
        ).fetchall()
    return [(user, action, outcome, json.loads(detail)) for user, action, outcome, detail in found]


def _list_as(cli: Cli, name: str, password: str) -> tuple[int, str, str]:
    return cli("user", "list", "--user", name, "--password-stdin", stdin=password + "\n")


def test_an_account_the_admin_adds_changes_its_password_before_any_other_command(
    initialised: Cli,
) -> None:
    code, _, err = initialised(
        *("user", "add", "admin2", "--role", "admin", "--user", "admin", "--password-stdin"),
        stdin=f"{ADMIN_PW}\nTemp#2026set\n",
    )
    assert code == 0, err
    code, out, _ = _list_as(initialised, "admin", ADMIN_PW)
    [listed] = [line for line in out.splitlines() if line.startswith("admin2 ")]
    assert "must change password" in listed

    code, _, err = _list_as(initialised, "admin2", "Temp#2026set")
    assert code == 2
    assert "an administrator set the password of admin2" in err
    assert "dutydesk user passwd admin2 --user admin2" in err
    assert _audit_tail(initialised, 3) == [
        ("admin2", "cli.command", "denied", {"reason": "set_by_admin"}),
        ("admin2", "account.password_change_required", "required", {"reason": "set_by_admin"}),
        ("admin2", "login", "ok", {}),
    ]

    code, _, err = _passwd_own(initialised, "admin2", "Temp#2026set", "Own#2026pick")
    assert code == 0, err
    code, out, err = _list_as(initialised, "admin2", "Own#2026pick")
    assert code == 0, err
    [listed] = [line for line in out.splitlines() if line.startswith("admin2 ")]
    assert "must change password" not in listed and "active" in listed


def test_a_password_the_admin_resets_is_changed_by_its_owner_first(initialised: Cli) -> None:
    add_user(initialised, "admin2", "admin", "Own#2026pick")
    assert _list_as(initialised, "admin2", "Own#2026pick")[0] == 0  # the helper's user is ready
    code, _, err = initialised(
        *("user", "passwd", "admin2", "--user", "admin", "--password-stdin"),
        stdin=f"{ADMIN_PW}\nReset#2026x\n",
    )
    assert code == 0, err
    code, _, err = _list_as(initialised, "admin2", "Reset#2026x")
    assert code == 2 and "an administrator set the password of admin2" in err
    assert _passwd_own(initialised, "admin2", "Reset#2026x", "Mine#2026again")[0] == 0
    assert _list_as(initialised, "admin2", "Mine#2026again")[0] == 0
