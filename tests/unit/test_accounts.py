"""Accounts, passwords and roles: policy, lockout, enforcement, and what gets audited."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest

from data import passwords
from data.accounts import LOCKOUT, AccountError, Accounts, AuthError, User
from data.audit import AuditTrail
from data.clock import ManualClock
from data.passwords import PasswordPolicyError, check_policy, hash_password, verify_password
from data.roles import PERMISSIONS, Permission, PermissionDenied, Role, allows
from data.store import Store
from tests.conftest import ADMIN_PASSWORD

OP_PASSWORD = "Op3rator-pw"


@pytest.fixture
async def store(any_store: Any) -> Any:
    """The book's tests run over both backends: SQLite and PostgreSQL."""
    return any_store


async def _operator(accounts: Accounts, admin: User, name: str = "op1") -> User:
    return await accounts.add(admin, name, OP_PASSWORD, Role.OPERATOR, "Duty Operator")


async def _all_audit_text(store: Store) -> str:
    rows = await store.fetchall("SELECT user, object, detail FROM audit")
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


# -- passwords


def test_hash_format_and_verify_at_full_cost() -> None:
    """The real cost (not lowered): scrypt n=2**17, r=8, p=1, 16-byte salt, 64-byte key."""
    encoded = hash_password("Corr3ct-horse")
    scheme, n, r, p, salt, key = encoded.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**17), "8", "1")
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(key)) == 64
    assert verify_password("Corr3ct-horse", encoded)
    assert not verify_password("Corr3ct-horsf", encoded)


def test_verify_uses_stored_parameters_and_rejects_garbage(fast_scrypt: None) -> None:
    a, b = hash_password("Same-pass-1"), hash_password("Same-pass-1")
    assert a != b  # salted
    assert a.split("$")[1] == str(passwords.SCRYPT_N)
    assert verify_password("Same-pass-1", a)
    for broken in ("", "scrypt$1$2$3", "bcrypt$x$y$z$a$b", a.replace("$8$", "$0$")):
        assert not verify_password("Same-pass-1", broken)


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("Ab1!", ["too_short"]),
        ("abcdefgh", ["few_classes"]),
        ("qwertyuiop", ["few_classes", "common"]),
        ("abcdefq1", ["few_classes"]),
        ("abc", ["too_short", "few_classes"]),
        ("Operator1", ["contains_name"]),
        ("My-operator1-pw", ["contains_name"]),  # contained, any case
        ("Password1", ["common"]),  # the list is compared without regard to case
        ("P@ssw0rd", ["common"]),
        ("Admin@123", ["common"]),
        ("Huawei@123", ["common"]),
        ("Good-pass\x001", ["control_chars"]),
        ("Good-pass1\n", ["control_chars"]),
        ("Tab\tpass-1", ["control_chars"]),
        ("Del\x7fpass-1", ["control_chars"]),
        ("C1\x85pass-1", ["control_chars"]),
        ("Lone\ud800pass-1", ["control_chars"]),
    ],
)
def test_policy_names_what_is_missing(password: str, problems: list[str]) -> None:
    with pytest.raises(PasswordPolicyError) as caught:
        check_policy(password, "operator1")
    assert caught.value.params["problems"] == problems
    assert caught.value.code == "weak_password"
    message = str(caught.value)
    if "too_short" in problems:
        assert f"at least 8 characters (it has {len(password)})" in message
    if "few_classes" in problems:
        assert "at least 3 kinds" in message


@pytest.mark.parametrize("password", ["abcdEFQ1", "abcq123!", "ABCQ-123", "值班台abc123"])
def test_policy_accepts_three_classes_of_eight(password: str) -> None:
    check_policy(password, "someone")


def test_a_short_user_name_may_appear_in_the_password() -> None:
    check_policy("Wally-42x", "li")  # contains "li": fine, a two-letter name is everywhere
    with pytest.raises(PasswordPolicyError) as caught:
        check_policy("x-ZHANGSAN-1", "zhangsan")
    assert caught.value.params["problems"] == ["contains_name"]


def test_the_common_password_list_ships_in_the_package() -> None:
    common = passwords.common_passwords()
    assert len(common) > 10_000
    assert {"password", "12345678", "p@ssw0rd", "admin@123", "1qaz@wsx"} <= common
    assert all(word == word.casefold() and word.strip() == word for word in common)
    assert not any(word.startswith("#") for word in common)  # comments are not entries


# -- roles


def test_role_table() -> None:
    assert PERMISSIONS[Role.AUDITOR] == {
        Permission.CHANGE_OWN_PASSWORD,
        Permission.READ_AUDIT,
        Permission.EXPORT_AUDIT,
    }
    assert all(allows(role, Permission.CHANGE_OWN_PASSWORD) for role in Role)
    assert PERMISSIONS[Role.OPERATOR] < PERMISSIONS[Role.SUPERVISOR]
    assert PERMISSIONS[Role.SUPERVISOR] - PERMISSIONS[Role.OPERATOR] == {
        Permission.STICKY_ACK,
        Permission.VIEW_ID_NUMBERS,
        Permission.EXPORT_RECORDS,
        Permission.EDIT_ROSTER,
        Permission.MANAGE_ASSETS,
    }
    assert allows("admin", Permission.MANAGE_ACCOUNTS)
    assert allows("admin", Permission.MANAGE_ASSETS)  # inventory, kept like the site
    assert allows("admin", Permission.EDIT_ROSTER)  # staffing, like accounts
    assert allows("admin", Permission.BACKUP)
    assert not allows("admin", Permission.READ_AUDIT)
    assert not allows("operator", Permission.STICKY_ACK)
    # Every permission belongs to someone; none of them erases the audit trail.
    assert set(Permission) == set().union(*PERMISSIONS.values())


# -- bootstrap and login


async def test_bootstrap_only_once(accounts: Accounts, admin: User) -> None:
    assert admin.role == Role.ADMIN and await accounts.has_users()
    with pytest.raises(AccountError) as caught:
        await accounts.bootstrap_admin("second", ADMIN_PASSWORD)
    assert caught.value.code == "already_bootstrapped"


async def test_login_ok_and_audited(accounts: Accounts, admin: User, audit: AuditTrail) -> None:
    assert await accounts.authenticate("ADMIN", ADMIN_PASSWORD) == admin  # names ignore case
    entry = (await audit.query(action="login"))[0]
    assert (entry.user, entry.outcome, entry.terminal) == ("admin", "ok", "test:pts/0")


async def test_unknown_user_and_bad_password_look_alike(
    accounts: Accounts, admin: User, audit: AuditTrail
) -> None:
    with pytest.raises(AuthError) as unknown:
        await accounts.authenticate("Secret-typed-as-name1", ADMIN_PASSWORD)
    with pytest.raises(AuthError) as wrong:
        await accounts.authenticate("admin", "Wrong-pass-1")
    assert (unknown.value.reason, wrong.value.reason) == ("unknown_user", "bad_password")
    assert unknown.value.code == wrong.value.code == "bad_credentials"
    assert str(unknown.value) == str(wrong.value)
    failed = await audit.query(action="login")
    assert [(e.user, e.detail["reason"]) for e in failed] == [
        ("admin", "bad_password"),
        (None, "unknown_user"),  # the typed name is not kept: it may be a password
    ]


async def test_five_failures_lock_for_thirty_minutes(
    accounts: Accounts, admin: User, audit: AuditTrail, clock: ManualClock
) -> None:
    await _operator(accounts, admin)
    for _ in range(4):
        with pytest.raises(AuthError) as caught:
            await accounts.authenticate("op1", "Wrong-pass-1")
        assert caught.value.reason == "bad_password"
    with pytest.raises(AuthError) as caught:
        await accounts.authenticate("op1", "Wrong-pass-1")
    assert caught.value.reason == "locked"
    assert caught.value.until == clock() + LOCKOUT
    lockouts = await audit.query(action="account.lockout")
    assert len(lockouts) == 1 and lockouts[0].object == "user:op1"

    clock.advance(LOCKOUT - timedelta(seconds=1))
    with pytest.raises(AuthError) as caught:
        await accounts.authenticate("op1", OP_PASSWORD)  # right password, still locked
    assert caught.value.reason == "locked"

    clock.advance(timedelta(seconds=1))
    assert (await accounts.authenticate("op1", OP_PASSWORD)).name == "op1"
    listed = {a.user.name: a for a in await accounts.list_users(admin)}
    assert listed["op1"].failed_count == 0 and listed["op1"].locked_until is None


async def test_success_resets_the_failure_count(accounts: Accounts, admin: User) -> None:
    await _operator(accounts, admin)
    for _ in range(2):
        for _ in range(4):
            with pytest.raises(AuthError):
                await accounts.authenticate("op1", "Wrong-pass-1")
        await accounts.authenticate("op1", OP_PASSWORD)  # never reaches five in a row


async def test_admin_unlocks_a_locked_out_account(accounts: Accounts, admin: User) -> None:
    await _operator(accounts, admin)
    for _ in range(5):
        with pytest.raises(AuthError):
            await accounts.authenticate("op1", "Wrong-pass-1")
    await accounts.unlock(admin, "op1")
    assert (await accounts.authenticate("op1", OP_PASSWORD)).name == "op1"


async def test_admin_lock_disables_until_unlocked(
    accounts: Accounts, admin: User, clock: ManualClock
) -> None:
    await _operator(accounts, admin)
    await accounts.lock(admin, "op1")
    clock.advance(timedelta(days=1))
    with pytest.raises(AuthError) as caught:
        await accounts.authenticate("op1", OP_PASSWORD)
    assert caught.value.reason == caught.value.code == "disabled"
    await accounts.unlock(admin, "op1")
    await accounts.authenticate("op1", OP_PASSWORD)


# -- management and enforcement


async def test_operator_cannot_add_users(
    accounts: Accounts, admin: User, audit: AuditTrail
) -> None:
    operator = await _operator(accounts, admin)
    with pytest.raises(PermissionDenied) as caught:
        await accounts.add(operator, "op2", OP_PASSWORD, "operator")
    assert caught.value.code == "permission_denied"
    denied = (await audit.query(action="account.add"))[0]
    assert (denied.user, denied.outcome, denied.object) == ("op1", "denied", "user:op2")
    with pytest.raises(AuthError):
        await accounts.authenticate("op2", OP_PASSWORD)


async def test_auditor_reads_audit_and_nothing_else(accounts: Accounts, admin: User) -> None:
    auditor = await accounts.add(admin, "aud", "Read-0nly-pw", Role.AUDITOR)
    for attempt in (
        accounts.list_users(auditor),
        accounts.add(auditor, "x1", OP_PASSWORD, "operator"),
        accounts.lock(auditor, "admin"),
        accounts.set_role(auditor, "aud", "admin"),
    ):
        with pytest.raises(PermissionDenied):
            await attempt
    assert [p for p in Permission if allows(auditor.role, p)] == [
        Permission.CHANGE_OWN_PASSWORD,
        Permission.READ_AUDIT,
        Permission.EXPORT_AUDIT,
    ]


async def test_a_demoted_session_loses_its_rights(accounts: Accounts, admin: User) -> None:
    second = await accounts.add(admin, "admin2", "Adm1n-two", Role.ADMIN)
    await accounts.set_role(admin, "admin2", Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        await accounts.add(second, "sneaky", OP_PASSWORD, Role.ADMIN)  # stale User object


async def test_last_admin_is_protected(accounts: Accounts, admin: User) -> None:
    for change in (
        accounts.set_role(admin, "admin", Role.OPERATOR),
        accounts.lock(admin, "admin"),
    ):
        with pytest.raises(AccountError) as caught:
            await change
        assert caught.value.code == "last_admin"
    await accounts.add(admin, "admin2", "Adm1n-two", Role.ADMIN)
    await accounts.set_role(admin, "admin", Role.SUPERVISOR)  # now allowed
    admin2 = await accounts.authenticate("admin2", "Adm1n-two")
    roles = {a.user.name: a.user.role for a in await accounts.list_users(admin2)}
    assert roles == {"admin": Role.SUPERVISOR, "admin2": Role.ADMIN}


async def test_add_checks_name_role_policy_and_duplicates(
    accounts: Accounts, admin: User, audit: AuditTrail
) -> None:
    cases = [
        ("bad name", OP_PASSWORD, "operator", "bad_user_name"),
        ("op1", OP_PASSWORD, "janitor", "bad_role"),
        ("op1", "short", "operator", "weak_password"),
        ("ADMIN", OP_PASSWORD, "operator", "user_exists"),
    ]
    for name, password, role, code in cases:
        with pytest.raises((AccountError, PasswordPolicyError)) as caught:
            await accounts.add(admin, name, password, role)
        assert caught.value.code == code
    failed = [e.detail["error"] for e in await audit.query(action="account.add")]
    assert failed == ["user_exists", "weak_password", "bad_role", "bad_user_name"]
    assert len(await accounts.list_users(admin)) == 1


async def test_change_own_password_needs_the_old_one(accounts: Accounts, admin: User) -> None:
    operator = await _operator(accounts, admin)
    with pytest.raises(AccountError) as caught:
        await accounts.change_password(operator, "op1", "New-pass-1")
    assert caught.value.code == "old_password_required"
    with pytest.raises(AccountError) as caught:
        await accounts.change_password(operator, "op1", "New-pass-1", old="Wrong-pass-1")
    assert caught.value.code == "bad_old_password"
    with pytest.raises(PasswordPolicyError):
        await accounts.change_password(operator, "op1", "OP1", old=OP_PASSWORD)
    await accounts.change_password(operator, "op1", "New-pass-1", old=OP_PASSWORD)
    await accounts.authenticate("op1", "New-pass-1")
    with pytest.raises(AuthError):
        await accounts.authenticate("op1", OP_PASSWORD)


async def test_admin_resets_others_but_operators_cannot(accounts: Accounts, admin: User) -> None:
    operator = await _operator(accounts, admin)
    await _operator(accounts, admin, "op2")
    with pytest.raises(PermissionDenied):
        await accounts.change_password(operator, "op2", "Taken-over-1")
    await accounts.change_password(admin, "op2", "Reset-by-admin-1")
    assert (await accounts.authenticate("op2", "Reset-by-admin-1")).name == "op2"
    with pytest.raises(AccountError) as caught:
        await accounts.change_password(admin, "ghost", "Reset-by-admin-1")
    assert caught.value.code == "no_such_user"


async def test_no_password_ever_reaches_the_audit_trail(
    accounts: Accounts, admin: User, store: Store, audit: AuditTrail
) -> None:
    secrets = [ADMIN_PASSWORD, OP_PASSWORD, "Wrong-pass-1", "New-pass-1", "Typed-as-name-1"]
    operator = await _operator(accounts, admin)
    for name, password in (("op1", "Wrong-pass-1"), ("Typed-as-name-1", "x")):
        with pytest.raises(AuthError):
            await accounts.authenticate(name, password)
    await accounts.change_password(operator, "op1", "New-pass-1", old=OP_PASSWORD)
    await accounts.authenticate("op1", "New-pass-1")
    text = await _all_audit_text(store)
    assert "login" in {e.action for e in await audit.query()}
    for secret in secrets:
        assert secret not in text
    assert (await audit.verify()).ok


# -- MLPS hardening (issue 10)


@pytest.mark.parametrize("name", ["op1\n", "op\x001", "op1\r", "\top1", "op1\x7f"])
async def test_user_names_refuse_control_characters(
    accounts: Accounts, admin: User, name: str
) -> None:
    with pytest.raises(AccountError) as caught:
        await accounts.add(admin, name, OP_PASSWORD, Role.OPERATOR)
    assert caught.value.code == "bad_user_name"


async def test_a_nul_in_a_name_is_refused_audited_and_nobody_at_login(
    accounts: Accounts, admin: User, audit: AuditTrail
) -> None:
    """PostgreSQL's text holds no NUL: the refusal is audited with the NUL written as text,
    and a login by such a name is an unknown user, as on SQLite."""
    with pytest.raises(AccountError):
        await accounts.add(admin, "op\x001", OP_PASSWORD, Role.OPERATOR)
    (failed,) = await audit.query(action="account.add")
    assert (failed.object, failed.outcome) == ("user:op\\x001", "failed")
    with pytest.raises(AuthError) as refused:
        await accounts.authenticate("admin\x00", ADMIN_PASSWORD)
    assert refused.value.reason == "unknown_user"


async def test_unknown_names_cost_the_same_scrypt_work_as_known_ones(
    accounts: Accounts, admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Count scrypt runs, not time: one per attempt whether the name exists or not. A cost
    no other test uses, so nothing made at it can be cached from an earlier test."""
    monkeypatch.setattr(passwords, "SCRYPT_N", 2**9)
    calls: list[int] = []
    real = passwords._scrypt

    def counting(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
        calls.append(n)
        return real(password, salt, n, r, p, dklen)

    monkeypatch.setattr(passwords, "_scrypt", counting)
    await accounts.change_password(admin, "admin", "Adm1n-pass-2", old=ADMIN_PASSWORD)
    costs: dict[str, list[int]] = {}
    for label, name, password in (
        ("unknown", "nobody", "Wrong-pass-1"),
        ("wrong", "admin", "Wrong-pass-1"),
        ("unknown again", "nobody2", "Wrong-pass-1"),
    ):
        calls.clear()
        with pytest.raises(AuthError):
            await accounts.authenticate(name, password)
        costs[label] = list(calls)
    calls.clear()
    await accounts.authenticate("admin", "Adm1n-pass-2")
    costs["right"] = list(calls)
    assert costs == {label: [2**9] for label in ("unknown", "wrong", "unknown again", "right")}


async def test_login_says_when_the_password_is_too_old(
    accounts: Accounts, admin: User, clock: ManualClock, audit: AuditTrail
) -> None:
    max_age = timedelta(days=90)
    assert not (await accounts.login("admin", ADMIN_PASSWORD, max_age)).must_change_password
    clock.advance(max_age)
    assert not (await accounts.login("admin", ADMIN_PASSWORD, max_age)).must_change_password
    clock.advance(timedelta(seconds=1))
    login = await accounts.login("admin", ADMIN_PASSWORD, max_age)
    assert login.must_change_password and login.user == admin
    expired = await audit.query(action="account.password_expired")
    assert [(e.user, e.outcome, e.detail) for e in expired] == [
        ("admin", "required", {"age_days": 90, "max_days": 90})
    ]
    with pytest.raises(AccountError) as caught:  # the same one again does not renew it
        await accounts.change_password(admin, "admin", ADMIN_PASSWORD, old=ADMIN_PASSWORD)
    assert caught.value.code == "password_unchanged"
    await accounts.change_password(admin, "admin", "Fresh-pass-26", old=ADMIN_PASSWORD)
    assert not (await accounts.login("admin", "Fresh-pass-26", max_age)).must_change_password
    with pytest.raises(AuthError):  # an old password is refused as before, not "expired"
        await accounts.login("admin", ADMIN_PASSWORD, max_age)


async def test_auditor_changes_their_own_password(accounts: Accounts, admin: User) -> None:
    auditor = await accounts.add(admin, "aud", "Read-0nly-pw", Role.AUDITOR)
    await accounts.change_password(auditor, "aud", "Read-0nly-pw2", old="Read-0nly-pw")
    assert (await accounts.authenticate("aud", "Read-0nly-pw2")).role == Role.AUDITOR
    with pytest.raises(PermissionDenied):  # but nobody else's
        await accounts.change_password(auditor, "admin", "Taken-over-1")


# -- a password someone else set must be changed by its owner (MLPS level 3)

MAX_AGE = timedelta(days=90)


async def test_an_account_an_admin_adds_must_change_its_password_at_first_login(
    accounts: Accounts, admin: User, audit: AuditTrail
) -> None:
    await _operator(accounts, admin)
    login = await accounts.login("op1", OP_PASSWORD, MAX_AGE)
    assert login.must_change_password and login.change_reason == "set_by_admin"
    required = await audit.query(action="account.password_change_required")
    assert [(e.user, e.object, e.outcome, e.detail) for e in required] == [
        ("op1", "user:op1", "required", {"reason": "set_by_admin"})
    ]
    assert not await audit.query(action="account.password_expired")  # not the same thing
    (added,) = await audit.query(action="account.add")
    assert added.detail == {"role": "operator", "must_change": True}
    listed = {a.user.name: a for a in await accounts.list_users(admin)}
    assert listed["op1"].must_change_password and not listed["admin"].must_change_password


async def test_an_admin_reset_must_be_changed_and_an_own_change_clears_it(
    accounts: Accounts, admin: User
) -> None:
    operator = await accounts.add(admin, "op1", OP_PASSWORD, Role.OPERATOR, must_change=False)
    assert not (await accounts.login("op1", OP_PASSWORD, MAX_AGE)).must_change_password

    await accounts.change_password(admin, "op1", "Reset-by-admin-1")
    login = await accounts.login("op1", "Reset-by-admin-1", MAX_AGE)
    assert login.must_change_password and login.change_reason == "set_by_admin"
    assert (await accounts.login("op1", "Reset-by-admin-1", MAX_AGE)).must_change_password

    await accounts.change_password(operator, "op1", "Own-choice-26", old="Reset-by-admin-1")
    assert not (await accounts.login("op1", "Own-choice-26", MAX_AGE)).must_change_password
    listed = {a.user.name: a for a in await accounts.list_users(admin)}
    assert not listed["op1"].must_change_password


async def test_a_refused_own_change_keeps_the_admin_set_password_to_be_changed(
    accounts: Accounts, admin: User
) -> None:
    operator = await _operator(accounts, admin)
    with pytest.raises(AccountError):
        await accounts.change_password(operator, "op1", OP_PASSWORD, old=OP_PASSWORD)
    assert (await accounts.login("op1", OP_PASSWORD, MAX_AGE)).must_change_password


async def test_the_first_admin_and_accounts_added_without_the_change_log_straight_in(
    accounts: Accounts, admin: User, audit: AuditTrail
) -> None:
    """bootstrap_admin: the admin chose their own password; must_change=False: accounts
    with a documented password (the demo's) or made by a test that then logs in."""
    await accounts.add(admin, "demo1", OP_PASSWORD, Role.OPERATOR, must_change=False)
    for name, password in (("admin", ADMIN_PASSWORD), ("demo1", OP_PASSWORD)):
        login = await accounts.login(name, password, MAX_AGE)
        assert not login.must_change_password and login.change_reason is None
    assert not await audit.query(action="account.password_change_required")


async def test_an_expired_password_says_why_it_must_change(
    accounts: Accounts, admin: User, clock: ManualClock
) -> None:
    clock.advance(MAX_AGE + timedelta(seconds=1))
    login = await accounts.login("admin", ADMIN_PASSWORD, MAX_AGE)
    assert login.must_change_password and login.change_reason == "expired"
