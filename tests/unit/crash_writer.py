"""The crash test's victim: commits audit rows one per transaction and prints each id.

An id is printed (and flushed) only after its transaction committed, so every id the
parent read must survive a ``kill -9`` at any moment. Stops by itself after ``limit``
rows in case nobody kills it.

    python tests/unit/crash_writer.py DB_PATH LIMIT
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from data.audit import AuditTrail
from data.store import Store


async def write_until_killed(path: Path, limit: int) -> None:
    store = await Store.open(path)
    audit = AuditTrail(store, terminal="crash-writer")
    for n in range(limit):
        row_id = await audit.record("writer", "crash.test", f"row:{n}", detail={"n": n})
        sys.stdout.write(f"{row_id}\n")
        sys.stdout.flush()
    await store.close()


if __name__ == "__main__":
    asyncio.run(write_until_killed(Path(sys.argv[1]), int(sys.argv[2])))
