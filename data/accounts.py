"""Operator accounts: login, lockout, password age, and account management by an admin.

A login attempt is decided in one write transaction (``BEGIN IMMEDIATE``) that re-reads the
account: the lock, the failure count and the audit row of concurrent attempts, from this
process or another, are applied one at a time, so none gets past a lockout. An unknown name
costs the same single scrypt run as a known one. ``login`` also says when the password is
older than the site's maximum age, or was set by an admin (adding the account or resetting
its password: someone else knows it, MLPS level 3); the console then requires a new one.

Every login (succeeded or failed, with the reason), lockout and account change, including
refused and failed attempts, writes an audit row; passwords never appear in one. A login
under an unknown name records no name at all: people type their password into the name
field by mistake, and the audit trail must not keep it.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from data.audit import AuditTrail
from data.clock import Clock, from_db, to_db, utc_now
from data.errors import DutyDeskError
from data.passwords import (
    check_policy,
    dummy_hash,
    hash_password_async,
    verify_password_async,
)
from data.roles import Permission, PermissionDenied, Role, require
from data.store import Store

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=30)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_USER_COLUMNS = (
    "id, name, full_name, role, pw_hash, failed_count, locked_until, disabled,"
    " created_at, password_changed_at, must_change_password"
)
# Why a login must change its password before the session starts.
ChangeReason = Literal["expired", "set_by_admin"]


@dataclass(frozen=True)
class User:
    id: int
    name: str
    full_name: str
    role: Role


@dataclass(frozen=True)
class Login:
    """A successful login. ``change_reason`` when the session starts only after a change:
    "set_by_admin" (an admin added the account or reset its password and has not seen the
    owner change it since) or "expired" (older than the site's ``password_max_age_days``)."""

    user: User
    change_reason: ChangeReason | None = None

    @property
    def must_change_password(self) -> bool:
        return self.change_reason is not None


@dataclass(frozen=True)
class Account:
    """What an admin sees of an account in ``list_users``."""

    user: User
    failed_count: int
    locked_until: datetime | None
    disabled: bool
    created_at: datetime
    password_changed_at: datetime
    must_change_password: bool  # set by an admin, not yet changed by its owner


class AccountError(DutyDeskError):
    """Codes: user_exists, no_such_user, last_admin, already_bootstrapped, bad_user_name,
    bad_role, old_password_required, bad_old_password, password_unchanged."""

    code = "account_error"


class AuthError(AccountError):
    """A refused login. ``reason`` is unknown_user, bad_password, locked (``until`` set) or
    disabled. ``code`` is ``bad_credentials`` for the first two so that a UI mapping codes
    to messages cannot tell an operator which names exist."""

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        when = f"{until:%Y-%m-%d %H:%M} UTC" if until else "later"
        messages = {
            "locked": f"This account is locked after repeated failed logins until {when},"
            " or until an admin unlocks it.",
            "disabled": "This account is locked by an admin.",
        }
        super().__init__(
            messages.get(reason, "Wrong user name or password."),
            code=reason if reason in messages else "bad_credentials",
            reason=reason,
            until=until,
        )
        self.reason = reason
        self.until = until


class Accounts:
    def __init__(self, store: Store, audit: AuditTrail, clock: Clock = utc_now) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    async def has_users(self) -> bool:
        return await self._store.fetchone("SELECT 1 FROM users LIMIT 1") is not None

    async def bootstrap_admin(self, name: str, password: str, full_name: str = "") -> User:
        """Create the first admin; refused once any account exists."""
        _check_name(name)
        check_policy(password, name)
        if await self.has_users():
            raise _already_bootstrapped()
        pw_hash = await hash_password_async(password)
        async with self._store.transaction():
            if await self.has_users():  # re-checked under the write lock
                raise _already_bootstrapped()
            user = await self._insert(name, full_name, Role.ADMIN, pw_hash)
            await self._audit.record(
                name, "account.bootstrap", _obj(name), detail={"role": "admin"}
            )
        return user

    async def add(
        self,
        actor: User,
        name: str,
        password: str,
        role: Role | str,
        full_name: str = "",
        *,
        must_change: bool = True,
    ) -> User:
        """The admin chose the password, so its owner must change it at the first login;
        ``must_change=False`` only for accounts whose password is meant to be known (the
        demo's documented ones, test accounts that log in)."""
        obj = _obj(name)
        await self._require_manager(actor, "account.add", obj)
        async with self._failures_audited(actor, "account.add", obj):
            _check_name(name)
            new_role = _parse_role(role)
            check_policy(password, name)
            pw_hash = await hash_password_async(password)
            async with self._store.transaction():
                user = await self._insert(name, full_name, new_role, pw_hash, must_change)
                await self._audit.record(
                    actor.name,
                    "account.add",
                    obj,
                    detail={"role": new_role, "must_change": must_change},
                )
        return user

    async def authenticate(self, name: str, password: str, action: str = "login") -> User:
        """The user, or ``AuthError``. Locked and disabled accounts refuse even the right
        password; 5 failures in a row lock the account for 30 minutes. ``action`` names the
        audit rows: "login", or e.g. "screen.unlock", "handover.countersign"."""
        user, _ = await self._authenticate(name, password, action)
        return user

    async def login(
        self,
        name: str,
        password: str,
        max_password_age: timedelta | None,
        action: str = "login",
    ) -> Login:
        """``authenticate`` for starting (or resuming) a session: also says whether the
        password must be changed before going on: set by an admin, or older than
        ``max_password_age`` (None: its age is not checked). Either is audited."""
        user, row = await self._authenticate(name, password, action)
        if row["must_change_password"]:
            await self._audit.record(
                user.name,
                "account.password_change_required",
                _obj(user.name),
                "required",
                detail={"reason": "set_by_admin"},
            )
            return Login(user, "set_by_admin")
        age = self._clock() - from_db(row["password_changed_at"])
        if max_password_age is None or age <= max_password_age:
            return Login(user)
        await self._audit.record(
            user.name,
            "account.password_expired",
            _obj(user.name),
            "required",
            detail={"age_days": age.days, "max_days": max_password_age.days},
        )
        return Login(user, "expired")

    async def _authenticate(self, name: str, password: str, action: str) -> tuple[User, Any]:
        """The user and their account's row as the login was decided, or ``AuthError``."""
        row = await self._row(name)
        if row is None:
            # One scrypt run against a hash nobody matches: the same work as a real check.
            await verify_password_async(password, dummy_hash())
            await self._audit.record(
                None, action, "user:?", "failed", detail={"reason": "unknown_user"}
            )
            raise AuthError("unknown_user")
        # scrypt runs outside the write lock (it takes ~0.5 s on purpose); the verdict is
        # then applied in one write transaction that re-reads the account, so attempts that
        # race each other (here or through another connection) are decided one at a time
        # against the latest lock and failure count.
        matches = await verify_password_async(password, row["pw_hash"])
        async with self._store.transaction():
            current = await self._existing(row["name"])
            if current["pw_hash"] != row["pw_hash"]:  # changed meanwhile: judge the new one
                matches = await verify_password_async(password, current["pw_hash"])
            refusal = await self._decide(current, matches, action)
        if refusal is not None:
            raise refusal  # after the commit: the audit rows of a refusal must stay
        return _user(current), current

    async def _decide(self, row: Any, matches: bool, action: str) -> AuthError | None:
        """Within the caller's write transaction: audit the attempt, count a failure or
        clear the count; the refusal to raise, or None for a login."""
        user, obj, now = _user(row), _obj(row["name"]), self._clock()
        until = from_db(row["locked_until"]) if row["locked_until"] else None
        if row["disabled"] or (until is not None and until > now):
            reason = "disabled" if row["disabled"] else "locked"
            await self._audit.record(user.name, action, obj, "failed", detail={"reason": reason})
            return AuthError(reason, until if reason == "locked" else None)
        if not matches:
            return await self._count_failure(user, now, action)
        if row["failed_count"] or until is not None:
            await self._store.write(
                "UPDATE users SET failed_count = 0, locked_until = NULL WHERE id = ?", (user.id,)
            )
        await self._audit.record(user.name, action, obj)
        return None

    async def _count_failure(self, user: User, now: datetime, action: str) -> AuthError:
        obj = _obj(user.name)
        async with self._store.transaction() as db:
            rows = await db.execute_fetchall(
                "UPDATE users SET failed_count = failed_count + 1 WHERE id = ?"
                " RETURNING failed_count",
                (user.id,),
            )
            failures = int(next(iter(rows))[0])
            await self._audit.record(
                user.name,
                action,
                obj,
                "failed",
                detail={"reason": "bad_password", "failures": failures},
            )
            if failures < MAX_FAILURES:
                return AuthError("bad_password")
            until = now + LOCKOUT
            await db.execute(
                "UPDATE users SET failed_count = 0, locked_until = ? WHERE id = ?",
                (to_db(until), user.id),
            )
            await self._audit.record(
                user.name,
                "account.lockout",
                obj,
                "locked",
                detail={"until": until, "failures": failures},
            )
        return AuthError("locked", until)

    async def change_password(
        self, actor: User, name: str, new: str, old: str | None = None
    ) -> None:
        """Your own password needs the old one; an admin may reset anyone else's, which its
        owner must then change at the next login (the admin knows it)."""
        obj = _obj(name)
        target = await self._row(name)
        own = target is not None and target["id"] == actor.id
        if not own:
            await self._require_manager(actor, "account.password", obj)
        async with self._failures_audited(actor, "account.password", obj):
            if target is None:
                raise _no_such_user(name)
            if own:
                if old is None:
                    raise AccountError(
                        "Enter your current password to change it.", code="old_password_required"
                    )
                if not await verify_password_async(old, target["pw_hash"]):
                    raise AccountError("The current password is wrong.", code="bad_old_password")
                if unicodedata.normalize("NFC", new) == unicodedata.normalize("NFC", old):
                    raise AccountError(
                        "The new password must differ from the current one.",
                        code="password_unchanged",
                    )
            check_policy(new, target["name"])
            pw_hash = await hash_password_async(new)
            async with self._store.transaction() as db:
                await db.execute(
                    "UPDATE users SET pw_hash = ?, password_changed_at = ?,"
                    " must_change_password = ? WHERE id = ?",
                    (pw_hash, to_db(self._clock()), int(not own), target["id"]),
                )
                by = "self" if own else "admin"
                await self._audit.record(actor.name, "account.password", obj, detail={"by": by})

    async def lock(self, actor: User, name: str) -> None:
        """Disable an account until an admin unlocks it."""
        await self._update(actor, name, "account.lock", "disabled = 1", keep_an_admin=True)

    async def unlock(self, actor: User, name: str) -> None:
        """Lift an admin lock and a failed-login lockout."""
        await self._update(
            actor, name, "account.unlock", "disabled = 0, failed_count = 0, locked_until = NULL"
        )

    async def set_role(self, actor: User, name: str, role: Role | str) -> None:
        obj = _obj(name)
        await self._require_manager(actor, "account.role", obj)
        async with self._failures_audited(actor, "account.role", obj):
            new_role = _parse_role(role)
            async with self._store.transaction() as db:
                target = await self._existing(name)
                if new_role != Role.ADMIN:
                    await self._keep_an_admin(target)
                await db.execute("UPDATE users SET role = ? WHERE id = ?", (new_role, target["id"]))
                await self._audit.record(
                    actor.name, "account.role", obj, detail={"from": target["role"], "to": new_role}
                )

    async def list_users(self, actor: User) -> list[Account]:
        await self._require_manager(actor, "account.list", "users")
        rows = await self._store.fetchall(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")
        return [
            Account(
                user=_user(row),
                failed_count=int(row["failed_count"]),
                locked_until=from_db(row["locked_until"]) if row["locked_until"] else None,
                disabled=bool(row["disabled"]),
                created_at=from_db(row["created_at"]),
                password_changed_at=from_db(row["password_changed_at"]),
                must_change_password=bool(row["must_change_password"]),
            )
            for row in rows
        ]

    async def find(self, name: str) -> User | None:
        """The account ``name`` as stored now (e.g. who just signed a handover, or who holds
        the watch, for their full name); None when there is no such account."""
        row = await self._row(name)
        return _user(row) if row is not None else None

    async def active_staff(self) -> list[User]:
        """Every enabled operator and supervisor, by name: who may escort a visitor."""
        rows = await self._store.fetchall(
            f"SELECT {_USER_COLUMNS} FROM users WHERE role IN (?, ?) AND NOT disabled"
            " ORDER BY name",
            (Role.OPERATOR, Role.SUPERVISOR),
        )
        return [_user(row) for row in rows]

    # -- helpers

    async def _update(
        self, actor: User, name: str, action: str, assignments: str, keep_an_admin: bool = False
    ) -> None:
        obj = _obj(name)
        await self._require_manager(actor, action, obj)
        async with self._failures_audited(actor, action, obj), self._store.transaction() as db:
            target = await self._existing(name)
            if keep_an_admin:
                await self._keep_an_admin(target)
            await db.execute(f"UPDATE users SET {assignments} WHERE id = ?", (target["id"],))
            await self._audit.record(actor.name, action, obj)

    async def _require_manager(self, actor: User, action: str, obj: str) -> None:
        """Check MANAGE_ACCOUNTS against the actor's role as stored now (a session may
        outlive a demotion or a lock); a refusal is audited."""
        row = await self._store.fetchone(
            "SELECT role, disabled FROM users WHERE id = ? AND name = ?", (actor.id, actor.name)
        )
        try:
            if row is None or row["disabled"]:
                raise PermissionDenied(f"{actor.name} is no longer an active account")
            require(
                User(actor.id, actor.name, actor.full_name, Role(row["role"])),
                Permission.MANAGE_ACCOUNTS,
            )
        except PermissionDenied:
            await self._audit.record(
                actor.name, action, obj, "denied", detail={"permission": "manage_accounts"}
            )
            raise

    @contextlib.asynccontextmanager
    async def _failures_audited(self, actor: User, action: str, obj: str) -> AsyncIterator[None]:
        try:
            yield
        except DutyDeskError as error:
            # Written after the change's transaction rolled back, so it stays.
            await self._audit.record(
                actor.name, action, obj, "failed", detail={"error": error.code}
            )
            raise

    async def _row(self, name: str) -> Any:
        if "\x00" in name:  # no stored name holds a NUL (PostgreSQL refuses one in a query)
            return None
        return await self._store.fetchone(
            f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,)
        )

    async def _existing(self, name: str) -> Any:
        row = await self._row(name)
        if row is None:
            raise _no_such_user(name)
        return row

    async def _keep_an_admin(self, target: Any) -> None:
        if target["role"] != Role.ADMIN or target["disabled"]:
            return
        others = await self._store.fetchone(
            "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?",
            (target["id"],),
        )
        if others is not None and int(others[0]) == 0:
            raise AccountError(
                f"{target['name']} is the last active admin: make another admin first.",
                code="last_admin",
            )

    async def _insert(
        self, name: str, full_name: str, role: Role, pw_hash: str, must_change: bool = False
    ) -> User:
        now = to_db(self._clock())
        try:
            rows = await self._store.write(
                "INSERT INTO users (name, full_name, role, pw_hash, created_at,"
                " password_changed_at, must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (name, full_name, role, pw_hash, now, now, int(must_change)),
            )
        except sqlite3.IntegrityError as exc:
            raise AccountError(f"The user {name} already exists.", code="user_exists") from exc
        return User(int(rows[0][0]), name, full_name, role)


def _obj(name: str) -> str:
    # A refused name is audited too; a NUL in it is written as text (PostgreSQL's text
    # holds no NUL, and no valid name has one).
    return "user:" + name.replace("\x00", "\\x00")


def _user(row: Any) -> User:
    return User(int(row["id"]), str(row["name"]), str(row["full_name"]), Role(row["role"]))


def _check_name(name: str) -> None:
    # fullmatch, not match: "$" lets a trailing newline through, and names take no control
    # characters at all.
    if not NAME_PATTERN.fullmatch(name):
        raise AccountError(
            "A user name is 1-32 letters, digits, '.', '_' or '-', starting with a letter or"
            " digit.",
            code="bad_user_name",
        )


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountError(f"Unknown role {role!r}: one of {choices}.", code="bad_role") from None


def _no_such_user(name: str) -> AccountError:
    return AccountError(f"There is no user {name}.", code="no_such_user")


def _already_bootstrapped() -> AccountError:
    return AccountError(
        "Accounts already exist: an admin adds new ones.", code="already_bootstrapped"
    )
