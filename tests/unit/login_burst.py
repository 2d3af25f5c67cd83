"""The other process of the parallel-login test: opens the database, says ``ready``, waits
for ``go`` on stdin, then fires wrong-password logins at once and prints each outcome.

    python tests/unit/login_burst.py DB_PATH USER COUNT
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from data import passwords
from data.accounts import Accounts, AuthError
from data.audit import AuditTrail
from data.store import Store

WRONG = "Wrong-pass-1"


async def attempt(accounts: Accounts, user: str) -> str:
    try:
        await accounts.authenticate(user, WRONG)
    except AuthError as error:
        return error.reason
    return "ok"  # a wrong password let in: the parent fails the test on it


async def burst(path: Path, user: str, count: int) -> None:
    passwords.SCRYPT_N = 2**8  # as the parent's fast_scrypt; stored hashes keep their own
    store = await Store.open(path)
    try:
        accounts = Accounts(store, AuditTrail(store, terminal="test:burst"))
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # "go"
        outcomes = await asyncio.gather(*(attempt(accounts, user) for _ in range(count)))
        print(" ".join(outcomes), flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(burst(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
