"""Parallel logins against the lockout (issue 10, item 3).

Nine wrong passwords and the right one fired at once must not get the right one in after
the account locked: deciding a login (read the lock, count the failure or clear it, write
the audit row) is one write transaction per attempt, so it holds across connections too.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from data.accounts import MAX_FAILURES, Accounts, AuthError, User
from data.audit import AuditTrail
from data.clock import ManualClock
from data.roles import Role
from data.store import Store

ROOT = Path(__file__).resolve().parents[2]
BURST = Path(__file__).with_name("login_burst.py")  # beside this test
OP_PASSWORD = "Op3rator-pw"
WRONG = "Wrong-pass-1"
ROUNDS = 4  # each round is a fresh burst; the old race showed in most of them


async def _attempt(accounts: Accounts, password: str) -> User | AuthError:
    try:
        return await accounts.authenticate("op1", password)
    except AuthError as error:
        return error


async def _login_rows(store: Store, after_id: int) -> list[tuple[str, str]]:
    rows = await store.fetchall(
        "SELECT action, outcome FROM audit WHERE id > ? AND object = 'user:op1'"
        " AND action IN ('login', 'account.lockout') ORDER BY id",
        (after_id,),
    )
    return [(str(row["action"]), str(row["outcome"])) for row in rows]


def _assert_no_login_after_lockout(rows: list[tuple[str, str]], right: User | AuthError) -> None:
    lockouts = [i for i, row in enumerate(rows) if row[0] == "account.lockout"]
    assert len(lockouts) == 1, rows  # 9 wrong ones always reach five in a row
    after = rows[lockouts[0] + 1 :]
    assert ("login", "ok") not in after, rows
    assert all(outcome == "failed" for _, outcome in after), rows
    if isinstance(right, AuthError):
        assert right.reason == "locked", right.reason
    else:
        assert rows.index(("login", "ok")) < lockouts[0], rows


async def _burst(
    first: Accounts, second: Accounts, store: Store, admin: User
) -> tuple[list[tuple[str, str]], User | AuthError]:
    """Five wrong on the first connection, four wrong and the right one on the second."""
    await first.unlock(admin, "op1")
    top = await store.fetchone("SELECT max(id) FROM audit")
    assert top is not None
    attempts = [_attempt(first, WRONG) for _ in range(5)]
    attempts += [_attempt(second, WRONG) for _ in range(4)]
    attempts.append(_attempt(second, OP_PASSWORD))  # last in: it reads before the lockout
    results = await asyncio.gather(*attempts)
    return await _login_rows(store, int(top[0])), results[-1]


async def test_parallel_logins_never_get_in_after_the_lockout(
    accounts: Accounts, admin: User, store: Store
) -> None:
    await accounts.add(admin, "op1", OP_PASSWORD, Role.OPERATOR)
    for _ in range(ROUNDS):
        rows, right = await _burst(accounts, accounts, store, admin)
        _assert_no_login_after_lockout(rows, right)
        failures = [row for row in rows if row == ("login", "failed")]
        assert len(failures) == 10 - isinstance(right, User)  # every attempt is audited


async def test_two_connections_to_one_file_share_the_lockout(
    accounts: Accounts, admin: User, store: Store, db_path: Path, clock: ManualClock
) -> None:
    """A second connection (as the CLI beside the console has) takes part in the same count:
    the write lock of SQLite, not the asyncio lock of one Store, serialises them."""
    await accounts.add(admin, "op1", OP_PASSWORD, Role.OPERATOR)
    other_store = await Store.open(db_path)
    try:
        other = Accounts(other_store, AuditTrail(other_store, "test:pts/1", clock), clock)
        for _ in range(ROUNDS):
            rows, right = await _burst(accounts, other, store, admin)
            _assert_no_login_after_lockout(rows, right)
    finally:
        await other_store.close()


async def test_a_locked_account_refuses_the_right_password_mid_burst(
    accounts: Accounts, admin: User, store: Store
) -> None:
    """After MAX_FAILURES wrong ones are decided, the right one is refused as locked."""
    await accounts.add(admin, "op1", OP_PASSWORD, Role.OPERATOR)
    wrong = await asyncio.gather(*(_attempt(accounts, WRONG) for _ in range(MAX_FAILURES)))
    assert [getattr(r, "reason", None) for r in wrong].count("locked") == 1
    right = await _attempt(accounts, OP_PASSWORD)
    assert isinstance(right, AuthError) and right.reason == "locked"
    with pytest.raises(AuthError):
        await accounts.authenticate("op1", OP_PASSWORD)


async def test_two_processes_share_the_lockout(
    accounts: Accounts, admin: User, store: Store, db_path: Path
) -> None:
    """Another process (the CLI beside the console) fires five wrong passwords while this
    one fires four wrong and the right one; both start on the same signal."""
    await accounts.add(admin, "op1", OP_PASSWORD, Role.OPERATOR)
    for _ in range(ROUNDS):
        await accounts.unlock(admin, "op1")
        top = await store.fetchone("SELECT max(id) FROM audit")
        assert top is not None
        other = await asyncio.create_subprocess_exec(
            sys.executable,
            str(BURST),
            str(db_path),
            "op1",
            "5",
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert other.stdin is not None and other.stdout is not None
        try:
            ready = await asyncio.wait_for(other.stdout.readline(), timeout=30)
            assert ready == b"ready\n", ready
            other.stdin.write(b"go\n")
            await other.stdin.drain()
            local = [_attempt(accounts, WRONG) for _ in range(4)]
            local.append(_attempt(accounts, OP_PASSWORD))
            results = await asyncio.gather(*local)
            outcomes = (await asyncio.wait_for(other.stdout.readline(), timeout=30)).split()
        finally:  # closes its stdin: a burst never started still ends by itself
            _, errors = await asyncio.wait_for(other.communicate(), timeout=30)
        assert len(outcomes) == 5 and b"ok" not in outcomes, errors.decode()
        rows = await _login_rows(store, int(top[0]))
        _assert_no_login_after_lockout(rows, results[-1])
