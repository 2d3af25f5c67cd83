"""A PostgreSQL server that goes away under the store (``pg_ctl stop -m immediate``, then
start): writes fail as ``DatabaseFault`` while it is away, the store says it is unreachable,
reconnects with backoff once the server is back, listens again, and every write that was
acknowledged before the crash is still there. A write whose COMMIT answer the crash took is
in doubt and settled once the server is back. Its own private server: stopping the shared
one would break the other tests."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from data.pg_store import PgStore
from data.store import DatabaseFault, InDoubtCommit
from tests.support.postgres import PG_BIN, PgServer, _as, _service_user, private_postgres


@pytest.fixture
def server() -> Iterator[PgServer]:
    with private_postgres() as started:
        yield started


def _pg_ctl(server: PgServer, *args: str) -> None:
    argv = [str(PG_BIN / "pg_ctl"), "-D", str(server.folder / "data"), *args]
    done = subprocess.run(_as(_service_user(), argv), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr or done.stdout


def crash(server: PgServer) -> None:
    _pg_ctl(server, "-m", "immediate", "-w", "stop")


def start(server: PgServer) -> None:
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={server.port} -c unix_socket_directories=''"
        " -c fsync=off -c full_page_writes=off -c max_connections=100"
    )
    log = str(server.folder / "server.log")
    _pg_ctl(server, "-l", log, "-o", options, "-w", "-t", "60", "start")


async def _until(check: Any, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while True:
        try:
            if await check():
                return
        except DatabaseFault:
            pass
        assert time.monotonic() < end, "not within the deadline"
        await asyncio.sleep(0.1)


async def test_writes_survive_a_crash_and_the_store_reconnects(
    server: PgServer, tmp_path: Path
) -> None:
    dsn = server.dsn()
    store = await PgStore.open(dsn, key_dir=tmp_path / "keys")
    other = await PgStore.open(dsn, key_dir=tmp_path / "keys")
    acknowledged: list[str] = []
    failures = 0
    stop = asyncio.Event()

    async def writer() -> None:
        nonlocal failures
        n = 0
        while not stop.is_set():
            key = f"k{n}"
            try:
                await store.write("INSERT INTO meta (key, value) VALUES (?, ?)", (key, "v"))
            except DatabaseFault as fault:
                failures += 1
                assert "cannot be reached" in str(fault) or fault.in_doubt is not None
                # The crash took the answer of a COMMIT: settled once the server is back
                # (writing the key again would fail on the key if it did commit).
                if fault.in_doubt is None or not await _settled(fault.in_doubt):
                    await asyncio.sleep(0.05)
                    continue
            acknowledged.append(key)
            n += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(writer())

    async def grown_to(count: int) -> bool:
        if task.done():  # the writer failed: say why instead of waiting out the deadline
            task.result()
        return len(acknowledged) >= count

    try:
        await _until(lambda: grown_to(20))
        await asyncio.to_thread(crash, server)
        await _until(lambda: _true(failures > 0))
        assert not store.reachable
        before = len(acknowledged)
        with pytest.raises(DatabaseFault):
            await other.data_version()  # the listening connection is gone too
        await asyncio.to_thread(start, server)
        await _until(lambda: grown_to(before + 20))
        assert store.reachable
        stop.set()
        await task
        rows = await other.fetchall("SELECT key FROM meta WHERE key LIKE 'k%'")
        # every acknowledged write is there, and nothing else: a write that failed before
        # its COMMIT did not happen, one in doubt was settled (and counted if it committed)
        assert sorted(row["key"] for row in rows) == sorted(acknowledged)
        # the other store listens again: a write of the first moves its change signal
        seen = await other.data_version()
        await store.set_meta("after", "1")
        await _until(lambda: _moved(other, seen))
    finally:
        stop.set()
        await store.close()
        await other.close()


async def _true(value: bool) -> bool:
    return value


async def _settled(doubt: InDoubtCommit) -> bool:
    """Whether the write in doubt committed, asked until the server answers again."""
    while True:
        try:
            return await doubt.committed()
        except DatabaseFault:
            await asyncio.sleep(0.05)


async def _moved(store: PgStore, seen: int) -> bool:
    return await store.data_version() > seen
