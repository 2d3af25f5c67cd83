"""Remote actions: who may run them and their record (data.records.actions), and running
them over SSH against the real OpenSSH sshd of the interop fixtures (checks.actions). The
tests that record runs do it over both backends (``any_store``: SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from checks.actions import ActionResult, Outcome, action_port, recheck, run_action
from checks.probe import ProbeContext
from checks.result import CheckState
from checks.ssh import SshPool
from data import i18n, masking
from data.accounts import User
from data.audit import GENESIS_ACTION, AuditTrail
from data.clock import ManualClock
from data.errors import DutyDeskError
from data.i18n import explain
from data.models import Action, Device, Site
from data.records.actions.book import ActionLog
from data.records.actions.model import OUTPUT_KEEP, ActionError, ActionRun
from data.roles import PermissionDenied, Role
from data.store import Store
from tests.interop.conftest import SshPeer

OPERATOR = User(2, "zhangsan", "张三", Role.OPERATOR)
SUPERVISOR = User(3, "wangwu", "王五", Role.SUPERVISOR)
AUDITOR = User(4, "zhaoliu", "赵六", Role.AUDITOR)


def restart_site(
    peer: SshPeer | None, folder: Path, *, port: int | None = None, ssh: Any = None, **action: Any
) -> Site:
    """A site whose device web-1 runs "nginx" on the given sshd (``ssh`` changes its
    credential): the service is simulated by a file the check tests and the action makes."""
    cred = {"username": "nobody", "password": "x-not-used", "known_hosts": str(folder / "kh")}
    if peer is not None:
        cred = {
            "username": peer.user,
            "client_keys": [str(peer.client_key)],
            "known_hosts": str(peer.known_hosts),
        }
    cred.update(ssh or {})
    flag = folder / "nginx.active"
    return Site.model_validate(
        {
            "site": {"name": "lab", "shifts": [{"name": "day", "start": "08:00", "end": "20:00"}]},
            "zones": [{"id": "lab", "name": "lab"}],
            "credentials": {"ops": {"ssh": cred}},
            "devices": [
                {
                    "id": "web-1",
                    "name": "政务网站服务器",
                    "kind": "server",
                    "zone": "lab",
                    "host": "127.0.0.1",
                    "checks": [
                        {
                            "id": "nginx",
                            "type": "ssh",
                            "credential": "ops",
                            "port": port or (peer.port if peer else 22),
                            "command": f"test -f {flag}",
                            "interval": 30,
                            "max_attempts": 1,
                            "timeout": 10,
                        }
                    ],
                    "actions": [
                        {
                            "id": "restart-nginx",
                            "label": "重启 nginx",
                            "credential": "ops",
                            "command": f"echo stopping nginx; touch {flag}; echo nginx started",
                            "roles": ["operator"],
                            "recheck": "nginx",
                            "timeout": 20,
                            **action,
                        }
                    ],
                }
            ],
        }
    )


def target(site: Site) -> tuple[Device, Action]:
    device = site.devices[0]
    return device, device.actions[0]


@pytest.fixture
async def store(any_store: Any) -> Any:
    return any_store


@pytest.fixture
def log(store: Store, audit: AuditTrail, clock: ManualClock) -> ActionLog:
    return ActionLog(store, audit, clock)


async def audit_rows(audit: AuditTrail) -> list[tuple[str | None, str, str, str]]:
    """The trail oldest first, after its genesis row (which the first entry brings)."""
    rows = reversed(await audit.query())
    return [(r.user, r.action, r.object, r.outcome) for r in rows if r.action != GENESIS_ACTION]


async def record(
    log: ActionLog, clock: ManualClock, site: Site, output: str = "ok\n", outcome: str = "ok"
) -> ActionRun:
    device, action = target(site)
    return await log.record(
        OPERATOR,
        device,
        action,
        0 if outcome == "ok" else 1,
        outcome,
        output,
        clock(),
        clock() + timedelta(seconds=2),
        "OK",
        ssh_user="ops",
        port=22,
    )


# -- who may run an action ---------------------------------------------------------------


async def test_an_operator_in_the_action_roles_may_run_it(
    log: ActionLog, audit: AuditTrail, tmp_path: Path
) -> None:
    device, action = target(restart_site(None, tmp_path))
    await log.authorize(OPERATOR, device, action)
    assert await audit_rows(audit) == []  # allowed: the run itself is what gets audited


async def test_an_auditor_is_refused_and_the_refusal_audited(
    log: ActionLog, audit: AuditTrail, tmp_path: Path
) -> None:
    device, action = target(restart_site(None, tmp_path, roles=["operator", "auditor"]))
    with pytest.raises(PermissionDenied) as refused:
        await log.authorize(AUDITOR, device, action)
    assert refused.value.code == "permission_denied"
    assert await audit_rows(audit) == [("zhaoliu", "action.run", "web-1/restart-nginx", "denied")]
    assert (await audit.query())[0].detail == {"permission": "run_action"}


async def test_a_role_not_named_by_the_action_is_refused_with_a_translated_reason(
    log: ActionLog, audit: AuditTrail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(i18n, "_active", "en")
    device, action = target(restart_site(None, tmp_path))  # roles: [operator]
    with pytest.raises(PermissionDenied) as refused:
        await log.authorize(SUPERVISOR, device, action)
    assert refused.value.code == "action_not_allowed"
    assert explain(refused.value) == (
        "The supervisor role may not run “重启 nginx” (allowed: operator); the refusal is recorded."
    )
    assert await audit_rows(audit) == [("wangwu", "action.run", "web-1/restart-nginx", "denied")]
    assert (await audit.query())[0].detail["roles"] == ["operator"]


async def test_an_action_of_another_device_is_refused(
    log: ActionLog, audit: AuditTrail, tmp_path: Path
) -> None:
    device, _ = target(restart_site(None, tmp_path))
    stranger = Action(id="reboot", label="reboot", credential="ops", command="reboot")
    with pytest.raises(ActionError) as refused:
        await log.authorize(OPERATOR, device, stranger)
    assert refused.value.code == "unknown_action"
    assert [row[3] for row in await audit_rows(audit)] == ["denied"]


# -- the record of a run -----------------------------------------------------------------


async def test_a_repeat_within_60_seconds_is_found(
    log: ActionLog, clock: ManualClock, tmp_path: Path
) -> None:
    site = restart_site(None, tmp_path)
    assert await log.recent_run("web-1", "restart-nginx") is None
    first = await record(log, clock, site)
    clock.advance(timedelta(seconds=59))
    found = await log.recent_run("web-1", "restart-nginx")
    assert found is not None and found.id == first.id and found.actor == "zhangsan"
    assert await log.recent_run("web-1", "another-action") is None
    clock.advance(timedelta(seconds=2))
    assert await log.recent_run("web-1", "restart-nginx") is None


async def test_the_audit_row_holds_a_digest_never_the_output(
    log: ActionLog, audit: AuditTrail, clock: ManualClock, tmp_path: Path
) -> None:
    output = "密钥 line\n" * 20_000  # well over 64 KiB
    run = await record(log, clock, restart_site(None, tmp_path), output, outcome="failed")
    entry = (await audit.query())[0]
    assert (entry.object, entry.outcome) == ("web-1/restart-nginx", "failed")
    data = output.encode()
    assert entry.detail["output_sha256"] == hashlib.sha256(data).hexdigest()
    assert entry.detail["output_bytes"] == len(data)
    assert entry.detail["exit_status"] == 1 and entry.detail["duration_ms"] == 2000
    assert entry.detail["command"].startswith("echo stopping nginx; touch ")
    assert entry.detail["recheck"] == {"check": "nginx", "state": "OK"}
    assert "密钥 line" not in str(entry.detail)
    assert run.audit_id == entry.id and run.output_cut
    assert len(run.output.encode()) <= OUTPUT_KEEP and output.startswith(run.output)
    assert (await audit.verify()).ok
    assert [r.id for r in await log.recent("web-1")] == [run.id]
    with pytest.raises(DutyDeskError):  # an outcome outside the vocabulary
        await record(log, clock, restart_site(None, tmp_path), outcome="maybe")


async def test_a_secret_from_the_environment_stays_out_of_the_run_record(
    log: ActionLog, audit: AuditTrail, clock: ManualClock, tmp_path: Path
) -> None:
    masking.remember(["tok-5ecret-991"])  # as load_site_config does for ${ENV} values
    site = restart_site(None, tmp_path, command="curl -H 'X-Token: tok-5ecret-991' localhost")
    run = await record(log, clock, site, output="sent tok-5ecret-991\n")
    entry = (await audit.query())[0]
    assert entry.detail["command"] == "curl -H 'X-Token: ***' localhost"
    assert run.command == "curl -H 'X-Token: ***' localhost"
    assert "tok-5ecret-991" not in run.output


# -- running it: no sshd needed ----------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_closed_port_means_not_run(tmp_path: Path) -> None:
    port = closed_port()
    site = restart_site(None, tmp_path, port=port)
    device, action = target(site)
    assert action_port(device, action) == port  # the device's ssh check says where sshd is
    pool = SshPool()
    try:
        result = await run_action(site, device, action, pool, on_output=lambda _: None)
    finally:
        await pool.close()
    assert (result.outcome, result.reason) == (Outcome.REFUSED, f"ssh port {port} refused")
    assert "x-not-used" not in repr(result)


async def test_a_missing_credential_means_not_run(tmp_path: Path) -> None:
    site = restart_site(None, tmp_path, credential="nowhere")
    result = await run_action(site, *target(site), SshPool(), on_output=lambda _: None)
    assert (result.outcome, result.reason) == (Outcome.REFUSED, "no ssh credential 'nowhere'")


# -- running it on the real sshd ---------------------------------------------------------


async def run_on(site: Site) -> tuple[ActionResult, list[tuple[float, str]]]:
    seen: list[tuple[float, str]] = []
    pool = SshPool()
    try:
        result = await run_action(
            site, *target(site), pool, on_output=lambda text: seen.append((time.monotonic(), text))
        )
    finally:
        await pool.close()
    return result, seen


@pytest.mark.interop
async def test_restart_brings_the_check_back_and_is_recorded(
    sshd: SshPeer, tmp_path: Path, log: ActionLog, audit: AuditTrail, clock: ManualClock
) -> None:
    site = restart_site(sshd, tmp_path)
    device, action = target(site)
    context = ProbeContext()
    try:
        before = await recheck(site, device, "nginx", scheduler=None, context=context)
        assert before.state == CheckState.CRITICAL  # the "service" is stopped
        result, seen = await run_on(site)
        after = await recheck(site, device, "nginx", scheduler=None, context=context)
    finally:
        await context.close()
    assert (result.outcome, result.exit_status, result.reason) == (Outcome.OK, 0, "")
    assert result.output == "stopping nginx\nnginx started\n"
    assert "".join(text for _, text in seen) == result.output
    assert after.state == CheckState.OK
    run = await log.record(
        OPERATOR,
        device,
        action,
        result.exit_status,
        result.outcome,
        result.output,
        clock(),
        clock(),
        after.state.name,
        ssh_user=result.ssh_user,
        port=result.port,
        duration_ms=result.duration_ms,
    )
    detail = (await audit.query())[0].detail
    assert detail["exit_status"] == 0 and detail["port"] == sshd.port
    assert detail["output_sha256"] == hashlib.sha256(result.output.encode()).hexdigest()
    assert detail["user"] == sshd.user and detail["recheck"]["state"] == "OK"
    assert run.output == result.output


@pytest.mark.interop
async def test_output_streams_while_the_command_runs(sshd: SshPeer, tmp_path: Path) -> None:
    site = restart_site(sshd, tmp_path, command="echo first; sleep 1; echo second")
    result, seen = await run_on(site)
    assert result.outcome == Outcome.OK and len(seen) >= 2
    assert seen[0][1] == "first\n" and seen[-1][0] - seen[0][0] > 0.5  # not all at the end


@pytest.mark.interop
@pytest.mark.parametrize("which", ["known_hosts_empty", "known_hosts_changed"])
async def test_an_untrusted_host_key_is_refused_and_nothing_runs(
    sshd: SshPeer, tmp_path: Path, which: str
) -> None:
    site = restart_site(sshd, tmp_path, ssh={"known_hosts": str(getattr(sshd, which))})
    result, seen = await run_on(site)
    assert result.outcome == Outcome.HOST_KEY and seen == []
    assert result.reason.startswith(f"host key not trusted: 127.0.0.1:{sshd.port}")
    expected = "unknown host" if which == "known_hosts_empty" else "changed key"
    assert expected in result.reason
    assert not (tmp_path / "nginx.active").exists()


@pytest.mark.interop
async def test_a_refused_key_is_an_authentication_failure(sshd: SshPeer, tmp_path: Path) -> None:
    site = restart_site(sshd, tmp_path, ssh={"client_keys": [str(sshd.stranger_key)]})
    result, _ = await run_on(site)
    assert (result.outcome, result.reason) == (
        Outcome.AUTH,
        f"authentication failed for user {sshd.user}",
    )


@pytest.mark.interop
async def test_a_command_past_its_timeout_is_cut_off(sshd: SshPeer, tmp_path: Path) -> None:
    site = restart_site(sshd, tmp_path, command="echo waiting; sleep 30", timeout=1.5)
    started = time.monotonic()
    result, _ = await asyncio.wait_for(run_on(site), timeout=15)
    assert time.monotonic() - started < 10
    assert (result.outcome, result.exit_status) == (Outcome.TIMEOUT, None)
    assert result.reason == "ssh command did not finish within 1.5s"
    assert result.output == "waiting\n"  # what came before the cut is kept


@pytest.mark.interop
async def test_a_non_zero_exit_is_a_failure_with_its_output(sshd: SshPeer, tmp_path: Path) -> None:
    site = restart_site(sshd, tmp_path, command="echo 'nginx: config test failed' >&2; exit 4")
    result, _ = await run_on(site)
    assert (result.outcome, result.exit_status, result.reason) == (
        Outcome.FAILED,
        4,
        "exit status 4",
    )
    assert result.output == "nginx: config test failed\n"
