"""A hostile 'agent' on loopback: every bad answer ends as UNKNOWN or CRITICAL, never raises.

The answers are crafted per test: garbage, cut-off and oversized datagrams, late replies,
wrong value types, error statuses, and walks that go backwards, stay empty or never end.
After all of it the same client still talks to a healthy agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pysnmp.proto.api import v2c

from checks.probe import ProbeContext, run_probe
from checks.result import CheckState, ProbeResult
from checks.snmp import SnmpClient

from .lab import Answer, HostileResponder, garbage, lab_site, respond

pytestmark = pytest.mark.interop
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


@pytest.fixture
async def ctx() -> AsyncIterator[ProbeContext]:
    context = ProbeContext(snmp=SnmpClient(max_rows=50))
    yield context
    await context.close()


@pytest.fixture
async def hostile() -> AsyncIterator[Callable[..., Any]]:
    """``port = await hostile(answer, delay=0)``: a responder bound to 127.0.0.1."""
    transports: list[asyncio.BaseTransport] = []

    async def start(answer: Answer, delay: float = 0.0) -> int:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: HostileResponder(answer, delay), local_addr=("127.0.0.1", 0)
        )
        transports.append(transport)
        return int(transport.get_extra_info("sockname")[1])

    yield start
    for transport in transports:
        transport.close()


async def _probe(ctx: ProbeContext, port: int, **check: Any) -> ProbeResult:
    fields = {
        "id": "c",
        "type": "snmp",
        "credential": "v2",
        "port": port,
        "timeout": 0.3,
        "retries": 0,
        **check,
    }
    site, device = lab_site([fields], {"v2": {"snmp": {"version": "2c", "community": "x"}}})
    return await run_probe(site, device, device.checks[0], ctx)


def uptime_reply(request: bytes) -> bytes:
    return respond(request, lambda asked: [(name, v2c.TimeTicks(4200)) for name, _ in asked])


@pytest.mark.parametrize(
    "answer",
    [
        garbage(200),
        garbage(60_000),  # oversized
        lambda request: [uptime_reply(request)[:-7]],  # cut off mid-value
        lambda request: [b""],
        lambda request: [request],  # the request echoed back: a GET is not a response
    ],
    ids=["garbage", "oversized", "truncated", "empty", "echo"],
)
async def test_unreadable_answers_count_as_no_answer(
    hostile: Any, ctx: ProbeContext, answer: Answer
) -> None:
    result = await _probe(ctx, await hostile(answer), oid=SYS_UPTIME)
    assert result.state == CheckState.CRITICAL
    assert result.message.startswith("no response (timeout 0.3s")


async def test_a_late_answer_is_a_timeout_and_an_early_one_is_fine(
    hostile: Any, ctx: ProbeContext
) -> None:
    late = await _probe(ctx, await hostile(lambda r: [uptime_reply(r)], delay=0.6), oid=SYS_UPTIME)
    assert late.state == CheckState.CRITICAL
    early = await _probe(
        ctx, await hostile(lambda r: [uptime_reply(r)], delay=0.05), oid=SYS_UPTIME
    )
    assert (early.state, early.value) == (CheckState.OK, 4200)


async def test_oversized_valid_answer_with_foreign_oids(hostile: Any, ctx: ProbeContext) -> None:
    def flood(request: bytes) -> list[bytes]:
        junk = [(f"1.3.6.1.4.1.9999.{i}", v2c.OctetString("x" * 400)) for i in range(150)]
        return [respond(request, lambda asked: junk)]

    result = await _probe(ctx, await hostile(flood), oid=SYS_UPTIME)
    assert result.state in (CheckState.UNKNOWN, CheckState.CRITICAL)
    assert result.message


async def test_text_where_a_number_belongs_is_unknown(hostile: Any, ctx: ProbeContext) -> None:
    def text(request: bytes) -> list[bytes]:
        return [respond(request, lambda asked: [(n, v2c.OctetString("hot!")) for n, _ in asked])]

    result = await _probe(ctx, await hostile(text), oid=SYS_UPTIME)
    assert result.state == CheckState.UNKNOWN
    assert "is not a number: 'hot!'" in result.message


async def test_profile_with_wrong_types_is_unknown(hostile: Any, ctx: ProbeContext) -> None:
    def nulls(request: bytes) -> list[bytes]:
        return [respond(request, lambda asked: [(n, v2c.Null("")) for n, _ in asked])]

    result = await _probe(ctx, await hostile(nulls), profile="system")
    assert result.state == CheckState.UNKNOWN


async def test_an_error_status_is_unknown(hostile: Any, ctx: ProbeContext) -> None:
    def gen_err(request: bytes) -> list[bytes]:
        return [respond(request, lambda asked: asked, error_status=5, error_index=1)]  # genErr

    result = await _probe(ctx, await hostile(gen_err), oid=SYS_UPTIME)
    assert result.state == CheckState.UNKNOWN
    assert "genErr" in result.message and SYS_UPTIME in result.message


async def test_a_walk_that_goes_backwards_is_stopped(hostile: Any, ctx: ProbeContext) -> None:
    def backwards(request: bytes) -> list[bytes]:
        return [respond(request, lambda asked: [("1.3.6.1.2.1.2.2.1.1.1", v2c.Integer(1))] * 5)]

    responder = await hostile(backwards)
    result = await _probe(ctx, responder, walk="1.3.6.1.2.1.2.2.1.1")
    assert result.state == CheckState.UNKNOWN
    assert "out of order" in result.message


async def test_a_walk_that_never_ends_is_stopped(hostile: Any, ctx: ProbeContext) -> None:
    def endless(request: bytes) -> list[bytes]:
        def more(asked: list[Any]) -> list[tuple[Any, Any]]:
            last = tuple(asked[0][0])  # always deeper below the last OID: never the end
            return [((*last, i), v2c.Integer(i)) for i in range(1, 11)]

        return [respond(request, more)]

    result = await _probe(ctx, await hostile(endless), walk="1.3.6.1.4.1.9999.1")
    assert result.state == CheckState.UNKNOWN
    assert "more than 50 rows" in result.message


async def test_an_empty_walk_answer_is_unknown(hostile: Any, ctx: ProbeContext) -> None:
    responder = await hostile(lambda request: [respond(request, lambda asked: [])])
    result = await _probe(ctx, responder, walk="1.3.6.1.4.1.9999.1", aggregate="count")
    assert result.state == CheckState.UNKNOWN
    assert "Empty SNMP response" in result.message


async def test_the_client_still_works_after_hostile_answers(
    hostile: Any, ctx: ProbeContext
) -> None:
    await _probe(ctx, await hostile(garbage(500)), oid=SYS_UPTIME)
    await _probe(ctx, await hostile(lambda r: [uptime_reply(r)[:-3]]), oid=SYS_UPTIME)
    healthy = await _probe(ctx, await hostile(lambda r: [uptime_reply(r)]), oid=SYS_UPTIME)
    assert (healthy.state, healthy.value) == (CheckState.OK, 4200)
