"""``dutydesk check --once --json`` against the real snmpd and sshd, with dead and hostile
targets in the same site: right values and states, and the command still ends."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from console.cli import main

from .conftest import V3_USER, SnmpAgent, SshPeer, free_port

pytestmark = pytest.mark.interop


def site_file(tmp: Path, snmpd: SnmpAgent, sshd: SshPeer, closed_port: int) -> Path:
    snmp = {"type": "snmp", "port": snmpd.port, "timeout": 1, "retries": 1}
    ssh = {"type": "ssh", "credential": "ops", "port": sshd.port, "timeout": 5}
    doc: dict[str, Any] = {
        "site": {
            "name": "interop",
            "timezone": "Asia/Shanghai",
            "language": "en",
            "shifts": [
                {"name": "day", "start": "08:00", "end": "20:00"},
                {"name": "night", "start": "20:00", "end": "08:00"},
            ],
        },
        "credentials": {
            "v2c": {"snmp": {"version": "2c", "community": snmpd.community}},
            "v3": {
                "snmp": {
                    "version": "3",
                    "user": V3_USER,
                    "auth_protocol": "SHA",
                    "auth_key": snmpd.v3_auth,
                    "priv_protocol": "AES",
                    "priv_key": snmpd.v3_priv,
                }
            },
            "wrong": {"snmp": {"version": "2c", "community": "not-the-community"}},
            "ops": {
                "ssh": {
                    "username": sshd.user,
                    "client_keys": [str(sshd.client_key)],
                    "known_hosts": str(sshd.known_hosts),
                }
            },
        },
        "zones": [{"id": "lab", "name": "lab"}],
        "devices": [
            {
                "id": "agent",
                "name": "snmpd",
                "kind": "server",
                "zone": "lab",
                "host": "127.0.0.1",
                "checks": [
                    {**snmp, "id": "up", "credential": "v2c", "profile": "system"},
                    {**snmp, "id": "ports", "credential": "v3", "profile": "interfaces"},
                    {**snmp, "id": "host", "credential": "v3", "profile": "host"},
                    {
                        **snmp,
                        "id": "services",
                        "credential": "v2c",
                        "oid": "1.3.6.1.2.1.1.7.0",
                        "ok": "0..127",
                    },
                    {**snmp, "id": "wrong", "credential": "wrong", "profile": "system"},
                ],
            },
            {
                "id": "shell",
                "name": "sshd",
                "kind": "server",
                "zone": "lab",
                "host": "127.0.0.1",
                "checks": [
                    {**ssh, "id": "nginx", "command": "echo active", "parser": "systemd"},
                    {**ssh, "id": "fails", "command": "false"},
                    {"id": "port", "type": "tcp", "port": sshd.port},
                    {"id": "closed", "type": "tcp", "port": closed_port, "timeout": 1},
                ],
            },
            {
                "id": "dead",
                "name": "nobody home",
                "kind": "switch",
                "zone": "lab",
                "host": "127.0.0.9",
                "checks": [{**snmp, "id": "up", "credential": "v2c", "profile": "system"}],
            },
        ],
    }
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_check_once_json_against_real_peers(
    tmp_path: Path, snmpd: SnmpAgent, sshd: SshPeer, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_file(tmp_path, snmpd, sshd, free_port(socket.SOCK_STREAM))
    code = main(["check", "--once", "--json", "--site", str(site)])
    out = capsys.readouterr().out
    rows = {(r["device"], r["check"]): r for r in map(json.loads, out.splitlines())}
    state = {key: row["state"] for key, row in rows.items()}
    assert code == 1  # some checks are not OK
    assert len(rows) == 10
    for ok in [
        ("agent", "up"),
        ("agent", "ports"),
        ("agent", "services"),
        ("shell", "nginx"),
        ("shell", "port"),
    ]:
        assert state[ok] == "OK", rows[ok]
    assert state[("agent", "host")] in {"OK", "WARNING", "CRITICAL"}
    assert rows[("agent", "host")]["unit"] == "%"
    assert rows[("agent", "services")]["value"] == 72.0  # snmpd.conf's sysservices
    assert state[("shell", "fails")] == "CRITICAL"
    assert state[("shell", "closed")] == "CRITICAL"
    for dead in [("dead", "up"), ("agent", "wrong")]:
        assert state[dead] == "CRITICAL" and "no response" in rows[dead]["message"]
        # timeout 1 s x (1 retry + 1): the probe gives up on time
        assert rows[dead]["duration_ms"] < 2 * 1000 + 1500
    assert snmpd.community not in out and snmpd.v3_auth not in out


def test_check_once_for_one_device_and_unknown_ids(
    tmp_path: Path, snmpd: SnmpAgent, sshd: SshPeer, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_file(tmp_path, snmpd, sshd, free_port(socket.SOCK_STREAM))
    code = main(["check", "--once", "--device", "agent", "--site", str(site), "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["device"] for r in rows} == {"agent"} and code == 1  # 'wrong' fails
    assert main(["check", "--once", "--device", "nope", "--site", str(site)]) == 2
