"""A network that goes silent under an attached console (no reset, no error: a firewall that
forgot the connection). The listening connection only ever receives, so without asking it
to answer now and then it would wait forever for notifications that cannot come, and the
console would show a frozen room as a quiet one. The store probes it, drops it when it does
not answer, listens again on a new connection and moves its change signal (what was sent
meanwhile is lost, so the console reads everything again)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from data.pg_store import PgStore
from data.store import DatabaseFault
from tests.support.faulty_link import FaultyLink

DEADLINE = 15.0


async def test_a_listener_on_a_silent_network_is_replaced_and_the_change_seen(
    link: FaultyLink, pg_dsn: str, tmp_path: Path
) -> None:
    dbname = pg_dsn.rsplit("/", 1)[1]
    console = await PgStore.open(link.dsn(dbname), key_dir=tmp_path / "keys")
    watch = await PgStore.open(pg_dsn, key_dir=tmp_path / "keys")  # straight to the server
    console.listener_probe_every = 0.2
    console.listener_probe_timeout = 0.5
    try:
        seen = await console.data_version()
        link.freeze()
        await watch.set_meta("news", "1")  # its NOTIFY is lost on the silent link
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                if await console.data_version() > seen:
                    break
            except DatabaseFault:  # while the new connection is being made
                pass
            assert time.monotonic() < deadline, "the console never noticed the silent link"
            await asyncio.sleep(0.05)
        # and it listens again: the next commit is announced on the new connection
        seen = await console.data_version()
        await watch.set_meta("more", "1")
        assert await console.wait_changed(DEADLINE)
        assert await console.data_version() > seen
    finally:
        await watch.close()
        await console.close()  # its other connection is frozen too: closed all the same
