"""kill -9 in the middle of writing loses nothing that was reported committed."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from data.audit import AuditTrail
from data.store import Store

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("crash_writer.py")  # beside this test
WANTED = 200
DEADLINE_S = 60.0  # generous for a loaded 2-core machine; normally well under a second


async def _read_ids(stream: asyncio.StreamReader, wanted: int, deadline: float) -> list[int]:
    loop = asyncio.get_running_loop()
    ids: list[int] = []
    while len(ids) < wanted:
        line = await asyncio.wait_for(stream.readline(), deadline - loop.time())
        if not line:
            break  # the writer died on its own: the caller reports its stderr
        ids.append(int(line))
    return ids


async def test_reported_commits_survive_kill_9(tmp_path: Path) -> None:
    db_path = tmp_path / "crash.db"
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WRITER),
        str(db_path),
        "100000",
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert writer.stdout is not None and writer.stderr is not None
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    try:
        reported = await _read_ids(writer.stdout, WANTED, deadline)
    finally:
        if writer.returncode is None:
            writer.kill()  # SIGKILL: no cleanup, no checkpoint, maybe mid-transaction
    # Ids printed before the kill landed were committed too: drain the pipe to its end.
    rest, errors = await writer.communicate()
    reported += [int(line) for line in rest.split()]
    assert len(reported) >= WANTED, errors.decode(errors="replace")
    assert writer.returncode == -9

    with sqlite3.connect(db_path) as db:  # a plain reader first: recovery from the WAL
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        present = {row[0] for row in db.execute("SELECT id FROM audit")}
    assert set(reported) <= present
    assert reported == list(range(2, len(reported) + 2))  # row 1: the genesis row

    async with await Store.open(db_path) as store:
        verdict = await AuditTrail(store, "t").verify()
    assert verdict.ok, verdict.reason
