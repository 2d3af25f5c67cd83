"""``dutydesk check --once [--json] [--device ID]`` and ``dutydesk check --watch``.

No login: it reads no records. Exit 0 when every check is OK, 1 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable
from typing import Any

from checks.feed import AlarmCleared, AlarmRaised, ResultEvent, Transition
from checks.result import CheckState
from checks.trap_decode import TrapEvent
from console.commands import common
from console.runtime import CheckRuntime, RuntimeEvent
from data.i18n import t
from data.site_history import record_site_change_at


def add_parser(sub: Any, global_options: Callable[..., None]) -> None:
    p = sub.add_parser("check", help=t("cli.check"), description=t("cli.check"))
    global_options(p, root=False)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help=t("cli.check.once"))
    mode.add_argument("--watch", action="store_true", help=t("cli.check.watch"))
    p.add_argument("--json", action="store_true", help=t("cli.json"))
    p.add_argument("--device", action="append", metavar="ID", help=t("cli.check.device"))
    p.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    known = {d.id for d in site.devices}
    unknown = sorted(set(args.device or ()) - known)
    if unknown:
        raise common.CliError(t("cli.check.unknown_device", ids=", ".join(unknown)))
    common.run(lambda: record_site_change_at(common.db_path(args), site.source))
    if args.watch:
        return common.run(lambda: _watch(CheckRuntime(site), args))
    return common.run(lambda: _once(CheckRuntime(site, traps=False), args))


async def _once(runtime: CheckRuntime, args: argparse.Namespace) -> int:
    async with runtime:
        events = await runtime.run_once(args.device)
    events.sort(key=lambda e: (e.device_id, e.check_id))
    if args.json:
        for event in events:
            print(json.dumps(_record(event), ensure_ascii=False))
    else:
        _print_table(events)
    dropped = runtime.context.snmp.dropped
    if dropped.total:  # spoofed, foreign or garbage replies (checks.snmp_gate)
        line = t("cli.check.dropped", n=dropped.total, sources=dropped.summary())
        print(line, file=sys.stderr if args.json else sys.stdout)  # JSON lines stay records
    return 0 if all(e.result.state is CheckState.OK for e in events) else 1


def _record(event: ResultEvent) -> dict[str, object]:
    r = event.result
    return {
        "device": event.device_id,
        "check": event.check_id,
        "state": r.state.name,
        "value": r.value,
        "unit": r.unit,
        "message": r.message,
        "duration_ms": round(r.duration_ms, 1),
    }


def _print_table(events: list[ResultEvent]) -> None:
    print(f"{'DEVICE':<18} {'CHECK':<14} {'STATE':<9} {'VALUE':>10} {'MS':>7}  MESSAGE")
    for e in events:
        r = e.result
        value = "" if r.value is None else f"{r.value:g}{r.unit or ''}"
        print(
            f"{e.device_id:<18} {e.check_id:<14} {r.state.name:<9} {value:>10} "
            f"{r.duration_ms:>7.0f}  {r.message}"
        )
    states = [e.result.state for e in events]
    print(
        t(
            "cli.check.summary",
            total=len(states),
            ok=sum(s is CheckState.OK for s in states),
            problems=sum(s is not CheckState.OK for s in states),
        )
    )


async def _watch(runtime: CheckRuntime, args: argparse.Namespace) -> int:
    """Run the scheduler headless and print each transition and alarm until Ctrl-C."""
    wanted = set(args.device or ())
    stopped = asyncio.Event()

    async def show(event: RuntimeEvent) -> None:
        if wanted and getattr(event, "device_id", None) not in wanted:
            return
        line = _describe(event)
        if line is not None:
            print(json.dumps(line, ensure_ascii=False) if args.json else line["text"], flush=True)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    runtime.listen(show)
    async with runtime:
        await runtime.start()
        with contextlib.suppress(asyncio.CancelledError):
            await stopped.wait()
    return 0


def _describe(event: RuntimeEvent) -> dict[str, str] | None:
    at = getattr(event, "at", None)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else ""
    if isinstance(event, Transition):
        kind = "hard" if event.hard else "soft"
        text = (
            f"{stamp} {event.device_id}/{event.check_id} {event.from_state.name} -> "
            f"{event.to_state.name} ({kind}) {event.message}"
        )
        if event.suppressed_reason:
            text += f" [{event.suppressed_reason}]"
        return {"at": stamp, "event": "transition", "text": text}
    if isinstance(event, AlarmRaised):
        return {
            "at": stamp,
            "event": "alarm",
            "text": f"{stamp} ALARM {event.device_id}/{event.check_id} {event.state.name} "
            f"{event.message}",
        }
    if isinstance(event, TrapEvent):
        return {
            "at": stamp,
            "event": "trap",
            "text": f"{stamp} TRAP {event.device_id or event.source_ip} {event.kind} "
            f"{event.message}",
        }
    if isinstance(event, AlarmCleared):
        return {
            "at": stamp,
            "event": "cleared",
            "text": f"{stamp} CLEARED {event.device_id}/{event.check_id}",
        }
    return None
