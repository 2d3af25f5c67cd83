"""The scheduler with in-test probe runners: timing, limits, timeouts, the event stream.

The runners are fakes on purpose: this is scheduling and state logic; the probes meet
real snmpd and sshd in their own tests. Nothing here sleeps to wait for state: tests
wait on the event stream or on runner-side events, always with a deadline.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
from typing import Any

import pytest

from checks.feed import AlarmRaised, CheckStale, DeviceStateChanged, Event, ResultEvent, Transition
from checks.result import CheckState, DeviceState, ProbeResult
from checks.scheduler import STARTUP_SPREAD, Scheduler
from checks.timing import Limits, SystemClock, first_run_offset
from data.clock import ManualClock
from data.models import AssurancePeriod, Calendar, Check, Device
from tests.support.checks import (
    DEADLINE,
    FAST,
    Recorder,
    collect_until,
    device,
    make_site,
    next_event,
    on_host,
    stop_and_wait,
)

OK, UNK, CRIT = CheckState.OK, CheckState.UNKNOWN, CheckState.CRITICAL


# -- run_once and limits -------------------------------------------------------------------


async def test_run_once_runs_every_check_once_concurrently_within_the_per_host_limit() -> None:
    hosts = [f"127.0.0.{i}" for i in (1, 2, 3)]
    devices = [
        on_host(device(f"d{i}", [f"c{j}" for j in range(6)]), h) for i, h in enumerate(hosts)
    ]
    gate = asyncio.Event()
    runner = Recorder(gate=gate)
    scheduler = Scheduler(make_site(devices), runner, limits=Limits(per_host=4))
    run = asyncio.create_task(scheduler.run_once())
    await runner.until(lambda: runner.total == 12)  # 3 hosts x 4 slots, all at once
    for _ in range(20):
        await asyncio.sleep(0)  # give a 5th probe per host every chance to start
    assert runner.total == 12 and max(runner.in_flight.values()) == 4
    gate.set()
    results = await asyncio.wait_for(run, DEADLINE)
    assert len(results) == 18 and {r.result.state for r in results} == {OK}
    assert set(runner.calls.values()) == {1} and len(runner.calls) == 18
    assert runner.max_host == {h: 4 for h in hosts} and runner.max_total == 12


@pytest.mark.parametrize(
    ("limits", "expected"), [(Limits(total=5), 5), (Limits(per_protocol={"tcp": 3}), 3)]
)
async def test_overall_and_protocol_limits_hold(limits: Limits, expected: int) -> None:
    devices = [on_host(device(f"d{i}", ["c"]), f"127.0.0.{i + 1}") for i in range(20)]
    gate = asyncio.Event()
    runner = Recorder(gate=gate)
    run = asyncio.create_task(Scheduler(make_site(devices), runner, limits=limits).run_once())
    await runner.until(lambda: runner.total == expected)
    for _ in range(20):
        await asyncio.sleep(0)  # give one more probe every chance to start
    assert runner.total == expected
    gate.set()
    assert len(await asyncio.wait_for(run, DEADLINE)) == 20
    assert runner.max_total == expected


async def test_run_once_limited_to_some_devices_and_unknown_ids_refused() -> None:
    runner = Recorder()
    scheduler = Scheduler(make_site([device("a", ["x", "y"]), device("b", ["z"])]), runner)
    results = await scheduler.run_once(["b"])
    assert [(r.device_id, r.check_id) for r in results] == [("b", "z")]
    try:
        await scheduler.run_once(["nope"])
    except KeyError as e:
        assert "nope" in str(e)
    else:
        raise AssertionError("an unknown device id was accepted")


async def test_a_hanging_probe_is_cut_by_the_outer_timeout_and_others_go_on() -> None:
    async def runner(dev: Device, check: Check) -> ProbeResult:
        if dev.id == "dead":
            await asyncio.Event().wait()  # never answers, ignores its own timeout
        return ProbeResult(OK, "fine")

    dead = on_host(device("dead", [f"c{i}" for i in range(6)], timeout=0.1), "127.0.0.9")
    alive = [device(f"ok{i}", ["c"]) for i in range(5)]
    scheduler = Scheduler(make_site([dead, *alive]), runner, limits=FAST)
    with scheduler.subscribe() as sub:
        results = await asyncio.wait_for(scheduler.run_once(), DEADLINE)
        order = [e.device_id for e in sub.drain() if isinstance(e, ResultEvent)]
    by_device = {(r.device_id, r.check_id): r.result for r in results}
    assert all(by_device[(f"ok{i}", "c")].state == OK for i in range(5))
    cut = [by_device[("dead", f"c{i}")] for i in range(6)]
    assert {r.state for r in cut} == {UNK}
    assert all("no result within 0.15 s" in r.message for r in cut)
    assert order[:5] == [f"ok{i}" for i in range(5)]  # nobody waited for the dead host


async def test_a_runner_that_raises_or_returns_garbage_gives_unknown() -> None:
    async def runner(dev: Device, check: Check) -> Any:
        if check.id == "boom":
            raise RuntimeError("password=hunter2 leaked into an error")
        return None if check.id == "junk" else ProbeResult(OK, "fine")

    site = make_site([device("d", ["boom", "junk", "fine"])])
    results = {r.check_id: r.result for r in await Scheduler(site, runner).run_once()}
    assert results["boom"].state == UNK and results["boom"].message == "probe error: RuntimeError"
    assert "hunter2" not in results["boom"].message
    assert results["junk"].state == UNK and results["fine"].state == OK


# -- timing --------------------------------------------------------------------------------


def test_first_runs_are_spread_over_the_interval() -> None:
    keys = [(f"dev-{i // 4}", f"c{i % 4}") for i in range(2000)]
    offsets = [first_run_offset(d, c, 60.0) for d, c in keys]
    assert all(0 <= o < 60 for o in offsets)
    assert offsets == [first_run_offset(d, c, 60.0) for d, c in keys]  # stable
    buckets = collections.Counter(int(o) for o in offsets)
    assert len(buckets) == 60 and max(buckets.values()) <= 2 * 2000 / 60


async def test_the_scheduler_arms_first_runs_at_their_spread_offsets() -> None:
    devices = [device(f"d{i}", ["a", "b"], interval=60) for i in range(50)]
    scheduler = Scheduler(make_site(devices), Recorder())
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0)  # let run() arm its heap (no state to wait on yet)
    snap = scheduler.snapshot()
    await stop_and_wait(scheduler, task)
    spread = min(60, STARTUP_SPREAD)  # the first sweep is compressed; later runs keep 60 s
    for (d, c), check in snap.checks.items():
        if first_run_offset(d, c, spread) < 1.0:
            continue  # may have run already
        assert check.next_run is not None and check.pending
        ahead = (check.next_run - snap.at).total_seconds()
        assert abs(ahead - first_run_offset(d, c, spread)) < 1.0


async def test_soft_failures_retry_at_retry_interval_then_hard_runs_at_interval() -> None:
    runner = Recorder(CRIT)
    site = make_site([device("d", ["up"], interval=30, retry_interval=0.02, max_attempts=3)])
    scheduler = Scheduler(site, runner, limits=FAST)
    with scheduler.subscribe() as sub:
        task = asyncio.create_task(scheduler.run())
        await asyncio.sleep(0)  # let run() start its loop; its first run is up to 30 s away
        assert scheduler.recheck("d") == 1
        events = await collect_until(sub, lambda seen: isinstance(seen[-1], AlarmRaised))
        await stop_and_wait(scheduler, task)
    results = [e for e in events if isinstance(e, ResultEvent)]
    assert runner.calls[("d", "up")] == 3
    assert [(r.snapshot.hard, r.snapshot.attempt) for r in results] == [
        (False, 1),
        (False, 2),
        (True, 3),
    ]
    gaps = [(r.snapshot.next_run - r.at).total_seconds() for r in results if r.snapshot.next_run]
    assert gaps == [0.02, 0.02, 30.0]  # retries at retry_interval, then the interval
    alarm = events[-1]
    assert isinstance(alarm, AlarmRaised) and alarm.state == CRIT
    assert [e for e in events if isinstance(e, AlarmRaised)] == [alarm]  # one alarm


async def test_runs_of_one_check_never_stack() -> None:
    in_flight = max_in_flight = runs = 0
    enough = asyncio.Event()

    async def slow(dev: Device, check: Check) -> ProbeResult:
        nonlocal in_flight, max_in_flight, runs
        in_flight += 1
        max_in_flight = max(max_in_flight, in_flight)
        try:
            await asyncio.Event().wait()  # cut by the outer timeout, longer than interval
            raise AssertionError("unreachable")
        finally:
            in_flight -= 1
            runs += 1
            if runs >= 3:
                enough.set()

    site = make_site([device("d", ["up"], interval=0.01, retry_interval=0.01, timeout=0.03)])
    scheduler = Scheduler(site, slow, limits=Limits(timeout_margin=0.01))
    task = asyncio.create_task(scheduler.run())
    await asyncio.wait_for(enough.wait(), DEADLINE)
    await stop_and_wait(scheduler, task)
    assert max_in_flight == 1


# -- stale and dependencies through the loop -----------------------------------------------


async def test_a_check_starved_of_results_turns_stale_and_its_device_not_up() -> None:
    async def runner(dev: Device, check: Check) -> ProbeResult:
        if check.id == "hog":
            await asyncio.Event().wait()  # holds the only host slot for its whole timeout
        return ProbeResult(OK, "fine")

    site = make_site(
        [
            {
                **device("d", [], timeout=0.01),
                "checks": [
                    {"id": "hog", "type": "tcp", "port": 1, "interval": 0.05, "timeout": 30},
                    {"id": "victim", "type": "tcp", "port": 1, "interval": 0.05, "timeout": 0.01},
                ],
            }
        ]
    )
    scheduler = Scheduler(site, runner, limits=Limits(per_host=1, timeout_margin=0.01))
    with scheduler.subscribe() as sub:
        task = asyncio.create_task(scheduler.run())
        stale = await next_event(sub, lambda e: isinstance(e, CheckStale) and e.stale)
        snap = scheduler.snapshot()
        await stop_and_wait(scheduler, task)
    assert isinstance(stale, CheckStale) and stale.check_id == "victim"
    assert snap.checks[("d", "victim")].stale
    assert snap.devices["d"] != DeviceState.UP


async def test_a_child_behind_a_down_parent_is_unreachable_and_never_alarms() -> None:
    kw: dict[str, Any] = {"interval": 30, "retry_interval": 0.02, "max_attempts": 2}
    site = make_site([device("fw", ["up"], **kw), device("sw", ["up", "web"], ["fw"], **kw)])

    async def runner(dev: Device, check: Check) -> ProbeResult:
        failing = dev.id == "fw" or check.id == "web"
        return ProbeResult(CRIT if failing else OK, "down" if failing else "fine")

    def settled(seen: list[Event]) -> bool:
        unreachable = [
            e
            for e in seen
            if isinstance(e, DeviceStateChanged) and e.to_state == DeviceState.UNREACHABLE
        ]
        web_hard = [e for e in seen if isinstance(e, Transition) and e.check_id == "web" and e.hard]
        return bool(unreachable and web_hard)

    scheduler = Scheduler(site, runner, limits=FAST)
    with scheduler.subscribe() as sub:
        task = asyncio.create_task(scheduler.run())
        await asyncio.sleep(0)  # let run() start its loop
        assert scheduler.recheck("sw", "web") == 1  # fails first: re-checks its parent
        events = await collect_until(sub, settled)
        await stop_and_wait(scheduler, task)
    events += sub.drain()
    web = [e for e in events if isinstance(e, Transition) and e.check_id == "web" and e.hard]
    assert web[0].suppressed_reason in ("parent failing", "parent down")
    assert not [e for e in events if isinstance(e, AlarmRaised) and e.device_id == "sw"]
    assert [e.device_id for e in events if isinstance(e, AlarmRaised)] == ["fw"]
    assert scheduler.snapshot().devices == {
        "fw": DeviceState.CRITICAL,
        "sw": DeviceState.UNREACHABLE,
    }


# -- stopping and the stream ----------------------------------------------------------------


async def test_stop_cancels_in_flight_probes_promptly_and_ends_the_stream() -> None:
    started, cancelled = 0, 0
    all_started = asyncio.Event()

    async def hang(dev: Device, check: Check) -> ProbeResult:
        nonlocal started, cancelled
        started += 1
        if started == 10:
            all_started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled += 1
            raise
        raise AssertionError("unreachable")

    devices = [
        on_host(device(f"d{i}", ["c"], interval=0.01, timeout=300), f"127.0.0.{i + 1}")
        for i in range(10)
    ]
    scheduler = Scheduler(make_site(devices), hang)
    sub = scheduler.subscribe()
    task = asyncio.create_task(scheduler.run())
    await asyncio.wait_for(all_started.wait(), DEADLINE)
    await stop_and_wait(scheduler, task)
    assert cancelled == 10  # each hung probe was cancelled, not waited out
    assert [e async for e in sub if isinstance(e, ResultEvent)] == []  # ended, no results


async def test_during_an_assurance_period_runs_come_round_sooner_by_its_factor() -> None:
    runner = Recorder(CRIT)
    plain = make_site([device("d", ["up"], interval=30, retry_interval=0.02, max_attempts=3)])
    holiday = {"name": "国庆节", "start": "2026-10-01", "end": "2026-10-07", "leader": "韦主任"}
    info = plain.site.model_copy(
        update={"calendar": Calendar(assurance=[AssurancePeriod.model_validate(holiday)])}
    )
    site = plain.model_copy(update={"site": info})
    during = ManualClock(dt.datetime(2026, 10, 2, 3, 0, tzinfo=dt.UTC))
    scheduler = Scheduler(site, runner, clock=SystemClock(during), limits=FAST)
    with scheduler.subscribe() as sub:
        task = asyncio.create_task(scheduler.run())
        await asyncio.sleep(0)
        assert scheduler.recheck("d") == 1
        events = await collect_until(sub, lambda seen: isinstance(seen[-1], AlarmRaised))
        await stop_and_wait(scheduler, task)
    results = [e for e in events if isinstance(e, ResultEvent)]
    gaps = [(r.snapshot.next_run - r.at).total_seconds() for r in results if r.snapshot.next_run]
    assert gaps == [0.01, 0.01, 15.0]  # the period's default factor, 0.5
