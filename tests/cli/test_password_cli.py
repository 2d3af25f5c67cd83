"""``dutydesk user passwd``: every role changes its own password, under the same policy as
the console (issue 10, items 8 and 10)."""

from __future__ import annotations

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
