"""A header figure read in a worker: a change made while a reading runs is not lost (the
reading started before the change may have counted the old state: it is read again)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from console.header_figures import HeaderFigure


async def test_a_change_during_a_reading_is_read_again_not_lost() -> None:
    count = {"open": 1}
    gate = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def read() -> str:
        seen = count["open"]  # the reading counts before the change lands
        await gate.wait()
        return f"open {seen}"

    def start(coroutine: Coroutine[Any, Any, None], _group: str) -> None:
        tasks.append(asyncio.ensure_future(coroutine))

    clock = {"now": 0.0}
    figure = HeaderFigure(
        "incidents", read, 30.0, monotonic=lambda: clock["now"], start=start, changed=lambda: None
    )
    figure.text()  # the first reading starts
    await asyncio.sleep(0)
    count["open"] = 2  # an incident opened at this console while it reads
    figure.invalidate()
    gate.set()
    await asyncio.gather(*tasks)
    assert figure.text() == "open 1"  # the reading that was running
    await asyncio.gather(*tasks)  # ... and the one the change asked for, at once
    assert figure.text() == "open 2"
