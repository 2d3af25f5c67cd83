"""SSH checks against OpenSSH sshd on loopback: expect, parsers, host keys, pooling."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from checks.evaluate import ProbeFailure
from checks.probe import ProbeContext, run_probe
from checks.result import CheckState, ProbeResult
from checks.ssh import SshFailure, SshPool
from data.models import SshCredential

from .conftest import PASSPHRASE, SshPeer
from .lab import lab_site

pytestmark = pytest.mark.interop


def credential(
    peer: SshPeer, key: Path | None = None, known: Path | None = None, passphrase: str | None = None
) -> dict[str, Any]:
    ssh = {
        "username": peer.user,
        "client_keys": [str(key or peer.client_key)],
        "known_hosts": str(known or peer.known_hosts),
    }
    return {"ssh": ssh if passphrase is None else {**ssh, "passphrase": passphrase}}


async def _probe(
    peer: SshPeer, ctx: ProbeContext, command: str, cred: dict[str, Any] | None = None, **check: Any
) -> ProbeResult:
    fields = {
        "id": "c",
        "type": "ssh",
        "credential": "ops",
        "port": peer.port,
        "command": command,
        "timeout": 10,
        **check,
    }
    site, device = lab_site([fields], {"ops": cred or credential(peer)})
    return await run_probe(site, device, device.checks[0], ctx)


async def test_expect_passes(sshd: SshPeer, ctx: ProbeContext) -> None:
    result = await _probe(sshd, ctx, "echo hello duty desk", expect={"stdout": "hel+o"})
    assert result.state == CheckState.OK, result.message
    assert result.message == "hello duty desk"


async def test_the_login_environment_is_quiet(sshd: SshPeer, ctx: ProbeContext) -> None:
    pool = ctx.ssh
    cred = SshCredential.model_validate(credential(sshd)["ssh"])
    run = await pool.run(sshd.host, sshd.port, cred, "echo ok", timeout=10)
    assert (run.exit_status, run.stdout, run.stderr) == (0, "ok\n", "")
    # this machine's ~/.bashrc exports PYENV_ROOT (and runs slow pyenv init): not sourced
    run = await pool.run(sshd.host, sshd.port, cred, 'echo "${PYENV_ROOT:-unset}"', timeout=10)
    assert run.stdout == "unset\n"


async def test_expect_exit_status_fails(sshd: SshPeer, ctx: ProbeContext) -> None:
    result = await _probe(sshd, ctx, "echo broken >&2; exit 3")
    assert result.state == CheckState.CRITICAL
    assert result.message == "exit status 3 (expected 0): broken"


async def test_expect_output_fails(sshd: SshPeer, ctx: ProbeContext) -> None:
    result = await _probe(sshd, ctx, "echo degraded", expect={"stdout": "^healthy$"})
    assert result.state == CheckState.CRITICAL
    assert result.message == "output does not match /^healthy$/: degraded"


@pytest.mark.parametrize(
    ("command", "state"),
    [
        ("echo active", CheckState.OK),
        ("echo activating; exit 3", CheckState.WARNING),
        ("echo failed; exit 3", CheckState.CRITICAL),
        ("echo inactive; exit 3", CheckState.CRITICAL),
        ("echo what-is-this", CheckState.UNKNOWN),
    ],
)
async def test_systemd_parser(
    sshd: SshPeer, ctx: ProbeContext, command: str, state: CheckState
) -> None:
    result = await _probe(sshd, ctx, command, parser="systemd")
    assert result.state == state, result.message


@pytest.mark.parametrize(
    ("command", "parser", "unit"),
    [
        ("df -P", "df", "%"),
        ("cat /proc/loadavg", "load", None),
        ("uptime", "load", None),
        ("cat /proc/meminfo", "memory", "%"),
        ("free -b", "memory", "%"),
    ],
)
async def test_parsers_read_real_output(
    sshd: SshPeer, ctx: ProbeContext, command: str, parser: str, unit: str | None
) -> None:
    result = await _probe(sshd, ctx, command, parser=parser)
    assert result.state != CheckState.UNKNOWN, result.message
    assert result.value is not None and result.value >= 0 and result.unit == unit


async def test_changed_host_key_is_refused(sshd: SshPeer, ctx: ProbeContext) -> None:
    cred = credential(sshd, known=sshd.known_hosts_changed)
    result = await _probe(sshd, ctx, "echo should-not-run", cred)
    assert result.state == CheckState.CRITICAL
    assert result.message.startswith("host key not trusted") and "changed key" in result.message
    assert ctx.ssh.open_connections == 0


async def test_unknown_host_is_refused(sshd: SshPeer, ctx: ProbeContext) -> None:
    result = await _probe(sshd, ctx, "true", credential(sshd, known=sshd.known_hosts_empty))
    assert result.state == CheckState.CRITICAL
    assert result.message.startswith("host key not trusted") and "unknown host" in result.message
    assert ctx.ssh.open_connections == 0


async def test_missing_known_hosts_file_is_refused(
    sshd: SshPeer, ctx: ProbeContext, tmp_path: Path
) -> None:
    result = await _probe(sshd, ctx, "true", credential(sshd, known=tmp_path / "absent"))
    assert result.state == CheckState.CRITICAL
    assert ctx.ssh.open_connections == 0


async def test_wrong_key_is_an_authentication_failure(sshd: SshPeer, ctx: ProbeContext) -> None:
    result = await _probe(sshd, ctx, "true", credential(sshd, key=sshd.stranger_key))
    assert result.state == CheckState.CRITICAL
    assert result.message == f"authentication failed for user {sshd.user}"


async def test_closed_port_is_critical(sshd: SshPeer, ctx: ProbeContext) -> None:
    from .conftest import free_port

    port = free_port(__import__("socket").SOCK_STREAM)
    site, device = lab_site(
        [{"id": "c", "type": "ssh", "credential": "ops", "port": port, "command": "true"}],
        {"ops": credential(sshd)},
    )
    result = await run_probe(site, device, device.checks[0], ctx)
    assert result.state == CheckState.CRITICAL and "refused" in result.message


async def test_one_connection_serves_many_concurrent_commands(sshd: SshPeer) -> None:
    pool = SshPool()
    cred = SshCredential.model_validate(credential(sshd)["ssh"])
    try:
        runs = await asyncio.gather(
            *(pool.run(sshd.host, sshd.port, cred, f"echo {i}", timeout=20) for i in range(24))
        )
        assert [r.stdout for r in runs] == [f"{i}\n" for i in range(24)]
        assert pool.open_connections == 1  # 24 commands, 4 channels at a time, one handshake
    finally:
        await pool.close()


async def test_a_dead_connection_is_reopened(sshd: SshPeer) -> None:
    pool = SshPool()
    cred = SshCredential.model_validate(credential(sshd)["ssh"])
    try:
        await pool.run(sshd.host, sshd.port, cred, "true", timeout=10)
        for link in pool._links.values():  # the server side going away looks like this
            assert link.conn is not None
            link.conn.abort()
        run = await pool.run(sshd.host, sshd.port, cred, "echo back", timeout=10)
        assert run.stdout == "back\n" and pool.open_connections == 1
    finally:
        await pool.close()


async def test_command_timeout_is_critical_and_the_pool_survives(sshd: SshPeer) -> None:
    pool = SshPool()
    cred = SshCredential.model_validate(credential(sshd)["ssh"])
    try:
        await pool.run(sshd.host, sshd.port, cred, "true", timeout=10)  # connected first
        with pytest.raises(ProbeFailure) as failure:
            await pool.run(sshd.host, sshd.port, cred, "sleep 30", timeout=0.5)
        assert failure.value.state == CheckState.CRITICAL
        assert failure.value.reason == "ssh command did not finish within 0.5s"
        run = await pool.run(sshd.host, sshd.port, cred, "echo still-here", timeout=10)
        assert run.stdout == "still-here\n"
    finally:
        await pool.close()


async def test_runaway_output_is_cut_off(sshd: SshPeer) -> None:
    pool = SshPool()
    cred = SshCredential.model_validate(credential(sshd)["ssh"])
    try:
        run = await pool.run(sshd.host, sshd.port, cred, "yes dutydesk", timeout=20)
        assert run.truncated and run.exit_status is None
        assert len(run.stdout) == 256 * 1024
        again = await pool.run(sshd.host, sshd.port, cred, "echo fine", timeout=10)
        assert again.stdout == "fine\n" and pool.open_connections == 1
    finally:
        await pool.close()


async def test_a_key_with_a_passphrase_works(sshd: SshPeer, ctx: ProbeContext) -> None:
    cred = credential(sshd, key=sshd.passphrase_key, passphrase=PASSPHRASE)
    result = await _probe(sshd, ctx, "echo unlocked", cred)
    assert result.state == CheckState.OK, result.message
    assert result.message == "unlocked"


async def test_a_key_without_its_passphrase_is_a_key_failure(
    sshd: SshPeer, ctx: ProbeContext
) -> None:
    result = await _probe(sshd, ctx, "true", credential(sshd, key=sshd.passphrase_key))
    assert result.state == CheckState.CRITICAL
    assert result.message.startswith("unusable client key: Passphrase must be specified")
    assert ctx.ssh.open_connections == 0


async def test_a_wrong_passphrase_never_rides_on_another_credentials_connection(
    sshd: SshPeer,
) -> None:
    pool = SshPool()
    right = SshCredential.model_validate(
        credential(sshd, key=sshd.passphrase_key, passphrase=PASSPHRASE)["ssh"]
    )
    wrong = SshCredential.model_validate(
        credential(sshd, key=sshd.passphrase_key, passphrase="not-the-passphrase")["ssh"]
    )
    try:
        run = await pool.run(sshd.host, sshd.port, right, "echo mine", timeout=10)
        assert run.stdout == "mine\n" and pool.open_connections == 1
        with pytest.raises(SshFailure) as failure:
            await pool.run(sshd.host, sshd.port, wrong, "echo stolen", timeout=10)
        assert failure.value.state == CheckState.CRITICAL
        assert failure.value.kind == "key"
        assert failure.value.reason == "client key passphrase is wrong"
        assert pool.open_connections == 1  # the right credential's connection is still there
    finally:
        await pool.close()


async def test_the_pool_keeps_no_secret_in_plain(sshd: SshPeer) -> None:
    pool = SshPool()
    ssh = credential(sshd, key=sshd.passphrase_key, passphrase=PASSPHRASE)["ssh"]
    cred = SshCredential.model_validate({**ssh, "password": "pool-password"})
    try:
        await pool.run(sshd.host, sshd.port, cred, "true", timeout=10)
        keys = repr(list(pool._links))
        assert PASSPHRASE not in keys and "pool-password" not in keys
    finally:
        await pool.close()
