"""Remote actions (docs/architecture.md; README "Security"): run one allow-listed command over SSH.

The command text comes only from site.yaml (``action.command`` of one of the device's
actions): it is never typed at the console and goes out as an SSH exec request, never
through a local shell. The host key is verified by the pool against the credential's
known_hosts. The run is bounded by ``action.timeout`` (connecting included) and its output
goes to ``on_output`` piece by piece as it arrives. Nothing here raises for a failed run:
every failure comes back as an ``ActionResult`` whose ``outcome`` says what kind it was
and whose ``reason`` explains it. Who may run it, and the audit, live in data.records.actions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from checks.feed import ResultEvent
from checks.probe import ProbeContext, hard_limit, run_probe, scrub
from checks.result import CheckState
from checks.scheduler import Scheduler
from checks.ssh import SshFailure, SshPool
from data.models import DEFAULT_PORTS, Action, Device, Site, SshCheck

RECHECK_MARGIN = 10.0  # seconds beyond the probe's own limit to wait for a slot


class Outcome(StrEnum):
    OK = "ok"  # exit status 0
    FAILED = "failed"  # ran, but exited non-zero, was cut off or the connection dropped
    REFUSED = "refused"  # never ran: no credential, port closed, cannot connect
    TIMEOUT = "timeout"  # did not connect or finish within action.timeout
    HOST_KEY = "host_key"  # the host key is unknown or changed
    AUTH = "auth"  # the server refused our credential, or the client key is unusable


_FAILURE_OUTCOME = {
    "host_key": Outcome.HOST_KEY,
    "auth": Outcome.AUTH,
    "key": Outcome.AUTH,
    "timeout": Outcome.TIMEOUT,
    "lost": Outcome.FAILED,
}


@dataclass(frozen=True)
class ActionResult:
    exit_status: int | None
    output: str  # stdout and stderr interleaved as they arrived
    outcome: Outcome
    reason: str  # plain English; empty when all went well
    duration_ms: float
    port: int = 22
    ssh_user: str = ""


def action_port(device: Device, action: Action) -> int:
    """Where the action connects: the port of the device's SSH check with the same
    credential (the recheck check first), else SSH's default. An action has no port of
    its own in site.yaml; the device's checks already say where its sshd listens."""
    ssh_checks = [c for c in device.checks if isinstance(c, SshCheck)]
    ssh_checks.sort(key=lambda c: c.id != action.recheck)
    for check in ssh_checks:
        if check.credential == action.credential and check.port is not None:
            return check.port
    return DEFAULT_PORTS["ssh"]


async def run_action(
    site: Site,
    device: Device,
    action: Action,
    pool: SshPool,
    *,
    on_output: Callable[[str], None],
) -> ActionResult:
    """Run ``action`` on ``device`` once; output streams to ``on_output``."""
    start = time.perf_counter()
    port = action_port(device, action)
    credential = site.credentials.get(action.credential)
    ssh = credential.ssh if credential is not None else None
    user = ssh.username if ssh is not None else ""
    secrets = [s.get_secret_value() for s in (ssh.password, ssh.passphrase) if s] if ssh else []
    chunks: list[str] = []

    def result(outcome: Outcome, reason: str, exit_status: int | None = None) -> ActionResult:
        elapsed = (time.perf_counter() - start) * 1000
        output = scrub("".join(chunks), secrets)
        return ActionResult(
            exit_status, output, outcome, scrub(reason, secrets), elapsed, port, user
        )

    def take(text: str) -> None:
        chunks.append(text)
        on_output(scrub(text, secrets))  # a secret split across two chunks is caught at the end

    if action not in device.actions:
        return result(Outcome.REFUSED, f"{action.id} is not an action of {device.id}")
    if ssh is None:
        return result(Outcome.REFUSED, f"no ssh credential {action.credential!r}")
    try:
        run = await pool.stream(
            device.host, port, ssh, action.command, timeout=action.timeout, on_output=take
        )
    except SshFailure as failure:
        return result(_FAILURE_OUTCOME.get(failure.kind, Outcome.REFUSED), failure.reason)
    if run.truncated:
        return result(Outcome.FAILED, "too much output: the command was stopped")
    if run.exit_status is None or run.exit_status < 0:
        return result(Outcome.FAILED, "the command ended without an exit status (a signal?)")
    if run.exit_status != 0:
        return result(Outcome.FAILED, f"exit status {run.exit_status}", run.exit_status)
    return result(Outcome.OK, "", 0)


@dataclass(frozen=True)
class RecheckResult:
    check_id: str
    state: CheckState
    message: str


async def recheck(
    site: Site,
    device: Device,
    check_id: str,
    *,
    scheduler: Scheduler | None,
    context: ProbeContext,
) -> RecheckResult:
    """Run the check at once and return its result.

    With a running scheduler the check runs there, so its state machine, alarms and the
    wall follow the result; we wait (bounded) for the first result of a probe that
    started after we asked - one already in flight saw the state before the action.
    Without one (or if it does not answer in time) the probe runs here directly.
    """
    check = device.check(check_id)
    limit = hard_limit(check) + RECHECK_MARGIN
    if scheduler is not None:
        with scheduler.subscribe() as feed:
            asked = dt.datetime.now(dt.UTC)  # the scheduler stamps results in real time
            if scheduler.recheck(device.id, check.id):
                try:
                    async with asyncio.timeout(limit):
                        async for event in feed:
                            if (fresh := _fresh(event, device.id, check.id, asked)) is not None:
                                snap = fresh.snapshot
                                return RecheckResult(check.id, snap.state, snap.message)
                except TimeoutError:
                    pass
    result = await run_probe(site, device, check, context)
    return RecheckResult(check.id, result.state, result.message)


def _fresh(event: object, device_id: str, check_id: str, asked: dt.datetime) -> ResultEvent | None:
    """``event`` if it is a result of this check whose probe began after ``asked``."""
    if not isinstance(event, ResultEvent):
        return None
    if event.device_id != device_id or event.check_id != check_id:
        return None
    began = event.at - dt.timedelta(milliseconds=event.result.duration_ms)
    return event if began >= asked else None
