"""The event feed: several subscribers, bounded queues that drop only superseded results."""

from __future__ import annotations

import asyncio
import datetime as dt

from checks.feed import Event, Feed, ResultEvent, Transition
from checks.result import CheckState, ProbeResult
from checks.scheduler import Scheduler
from checks.state import CheckTracker
from data.models import TcpCheck
from tests.support.checks import DEADLINE, Recorder, device, make_site

OK, CRIT = CheckState.OK, CheckState.CRITICAL
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
CHECK = TcpCheck(id="c", type="tcp", port=1)


def result_event(i: int) -> ResultEvent:
    snapshot = CheckTracker(CHECK, stale_after=120.0, since=0.0).snapshot("d", None)
    return ResultEvent("d", "c", ProbeResult(OK, str(i)), snapshot, T0)


def transition(i: int) -> Transition:
    return Transition("d", "c", OK, CRIT, True, T0, str(i), None, None)


async def test_a_slow_subscriber_loses_old_results_but_never_transitions() -> None:
    feed = Feed(capacity=3)
    slow, other = feed.subscribe(), feed.subscribe(capacity=100)
    sent: list[Event] = [result_event(0), transition(1), result_event(2), result_event(3)]
    sent += [transition(4), result_event(5), transition(6), transition(7)]
    for event in sent:
        feed.publish(event)
    kept = slow.drain()
    assert [e for e in kept if isinstance(e, Transition)] == [transition(i) for i in (1, 4, 6, 7)]
    assert [e for e in kept if isinstance(e, ResultEvent)] == []  # superseded, dropped
    assert slow.dropped == 4
    assert other.drain() == sent  # another consumer is unaffected
    feed.publish(result_event(8))
    assert await asyncio.wait_for(anext(slow), DEADLINE) == result_event(8)
    feed.close()
    assert [e async for e in slow] == []


async def test_probing_goes_on_while_a_subscriber_reads_nothing() -> None:
    devices = [device(f"d{i}", ["a", "b"]) for i in range(50)]
    scheduler = Scheduler(make_site(devices), Recorder())
    stuck = scheduler.subscribe(capacity=5)
    results = await asyncio.wait_for(scheduler.run_once(), DEADLINE)
    assert len(results) == 100
    queued = stuck.drain()
    assert sum(isinstance(e, ResultEvent) for e in queued) <= 5
    assert stuck.dropped >= 95
