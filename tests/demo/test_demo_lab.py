"""The demo lab: every demo device answers on loopback, and the scenario's faults show.

Each test runs the lab on a copy of the demo site whose ports are all moved up by one
offset, chosen per test process among offsets whose lab ports are free (SNMP 1161 + offset,
SSH 2222 + offset, ...), so neither a demo running on this machine nor another suite or
test worker running the lab at the same time is disturbed. It talks to the lab with the
console's own SNMP client and probes, and asyncssh.
"""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest
from pyasn1.codec.ber import decoder
from pydantic import SecretStr
from pysnmp.proto.api import v2c

import demo
from checks.evaluate import ProbeFailure
from checks.probe import ProbeContext, run_probe
from checks.result import CheckState
from checks.snmp import SnmpClient
from checks.snmp_profiles import IF_DESCR, IF_NAME, IF_OPER, SYS_NAME
from data.config import load_site
from data.models import Site, SnmpCredential
from demo.lab.runner import Lab
from demo.lab.scenario import Scenario
from demo.lab.traps import LINK_DOWN
from demo.lab.world import World

DEMO_SITE = Path(demo.__file__).parent / "site.yaml"
# The demo site's ports that the checks below bind or reach (more move with them).
LAB_PORTS = [
    (socket.SOCK_DGRAM, ("127.0.10.1", 1161)),
    (socket.SOCK_STREAM, ("127.0.10.31", 2222)),
    (socket.SOCK_STREAM, ("127.0.10.3", 8443)),
    (socket.SOCK_STREAM, ("127.0.20.31", 8081)),
    (socket.SOCK_DGRAM, ("127.0.0.1", 1162)),
]


def can_bind(kind: int, address: tuple[str, int]) -> bool:
    """Whether a server could take the address now (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError:
            return False
        return True


def free_shift() -> int:
    """An offset whose lab ports are free now, below the ephemeral range (32768): two
    suites at once (or two workers) each draw their own."""
    chooser = random.SystemRandom()
    for _ in range(500):
        shift = chooser.randrange(10_000, 24_000)
        if all(can_bind(kind, (host, port + shift)) for kind, (host, port) in LAB_PORTS):
            return shift
    raise RuntimeError("no free port offset for the demo lab")


SHIFT = free_shift()
SNMP, SSH = 1161 + SHIFT, 2222 + SHIFT


@pytest.fixture
def site_path(tmp_path: Path) -> Path:
    """The demo site, and beside it ``probe-site.yaml``: the same with every port moved."""
    text = DEMO_SITE.read_text("utf-8")
    target = tmp_path / "site" / "site.yaml"
    target.parent.mkdir()
    target.write_text(text, encoding="utf-8")
    moved = re.sub(r"\bport: (\d+)", lambda m: f"port: {int(m[1]) + SHIFT}", text)
    target.with_name("probe-site.yaml").write_text(moved, encoding="utf-8")
    for folder in ("checklists", "plans"):  # the files site.yaml names beside it
        shutil.copytree(DEMO_SITE.parent / folder, target.parent / folder)
    return target


@pytest.fixture
async def lab(site_path: Path) -> AsyncIterator[Lab]:
    async with Lab(site_path, port_offset=SHIFT, faults=False) as running:
        yield running


@pytest.fixture
def probe_site(site_path: Path) -> Site:
    """The site as the console would see a lab on moved ports."""
    return load_site(site_path.with_name("probe-site.yaml"))


@pytest.fixture
async def snmp() -> AsyncIterator[SnmpClient]:
    client = SnmpClient()
    yield client
    client.close()


def cred(lab: Lab, name: str) -> SnmpCredential:
    snmp = lab.site.credentials[name].snmp
    assert snmp is not None
    return snmp


async def ssh_run(lab: Lab, host: str, command: str) -> asyncssh.SSHCompletedProcess:
    async with asyncssh.connect(
        host,
        SSH,
        username="ops",
        client_keys=[str(lab.client_key)],
        known_hosts=str(lab.known_hosts),
        connect_timeout=5,
    ) as conn:
        return await conn.run(command, timeout=5)


PORTS = [
    (socket.SOCK_DGRAM, ("127.0.10.1", SNMP)),
    (socket.SOCK_STREAM, ("127.0.10.31", SSH)),
    (socket.SOCK_STREAM, ("127.0.10.3", 8443 + SHIFT)),
    (socket.SOCK_STREAM, ("127.0.20.31", 8081 + SHIFT)),
]


async def test_start_binds_and_stop_releases_every_port(site_path: Path) -> None:
    lab = Lab(site_path, port_offset=SHIFT, faults=False)
    await lab.start()
    assert not any(can_bind(kind, address) for kind, address in PORTS)
    assert (site_path.parent / "lab" / "client_key").stat().st_mode & 0o077 == 0
    hosts = (site_path.parent / "lab" / "known_hosts").read_text().splitlines()
    assert f"[127.0.10.31]:{SSH}" in [line.split()[0] for line in hosts]
    # a second lab on the same ports fails to start and leaves nothing bound behind
    with pytest.raises(OSError):
        await Lab(site_path, port_offset=SHIFT, faults=False).start()
    await lab.stop()
    assert all(can_bind(kind, address) for kind, address in PORTS)


async def test_snmp_v2c_and_v3_authpriv_get(lab: Lab, snmp: SnmpClient) -> None:
    v2, v3 = cred(lab, "legacy-v2c"), cred(lab, "core-v3")
    got = await snmp.get("127.0.10.21", SNMP, v2, [SYS_NAME], timeout=2, retries=1)
    assert got == {SYS_NAME: "acc-sw-ext-a"}
    got = await snmp.get("127.0.10.1", SNMP, v3, [SYS_NAME], timeout=2, retries=1)
    assert got == {SYS_NAME: "rt-ext-1"}
    wrong = v3.model_copy(update={"auth_key": SecretStr("not-the-lab-key")})
    with pytest.raises(ProbeFailure, match="authentication failed"):
        # the agent's report comes at once; the room to wait is for a loaded machine (1 s
        # was not: two suites and a demo beside it made it "no response")
        await snmp.get("127.0.10.2", SNMP, wrong, [SYS_NAME], timeout=5, retries=0)


async def test_getbulk_walk_of_the_interface_table(lab: Lab, snmp: SnmpClient) -> None:
    table = await snmp.walk(
        "127.0.10.21",
        SNMP,
        cred(lab, "legacy-v2c"),
        [IF_DESCR, IF_NAME, IF_OPER],
        timeout=2,
        retries=1,
    )
    assert len(table[IF_OPER]) == 28
    assert table[IF_NAME]["7"] == "GE1/0/7"
    assert table[IF_DESCR]["7"] == "GigabitEthernet1/0/7"
    assert set(table[IF_OPER].values()) == {1, 2}  # the unused ports are down


async def test_every_site_check_is_ok_at_start(lab: Lab, probe_site: Site) -> None:
    ctx = ProbeContext()
    try:
        checks = [(d, c) for d in probe_site.devices for c in d.checks if c.type != "ping"]
        results = await asyncio.gather(*(run_probe(probe_site, d, c, ctx) for d, c in checks))
    finally:
        await ctx.close()
    bad = [(d.id, c.id, r.message) for (d, c), r in zip(checks, results, strict=True) if r.state]
    assert bad == []
    assert len(checks) > 40


async def test_service_stops_and_the_restart_command_brings_it_back(
    lab: Lab, probe_site: Site
) -> None:
    active = await ssh_run(lab, "127.0.20.31", "systemctl is-active nginx")
    assert (active.exit_status, active.stdout) == (0, "active\n")
    assert lab.scenario.step("service_stops") == "srv-oa-1 service nginx stopped"
    stopped = await ssh_run(lab, "127.0.20.31", "systemctl is-active nginx")
    assert (stopped.exit_status, stopped.stdout) == (3, "inactive\n")
    await lab.settle()  # nginx fronts the OA web site: it is refused now
    oa = probe_site.device("srv-oa-1")
    ctx = ProbeContext()
    try:
        refused = await run_probe(probe_site, oa, oa.check("web"), ctx)
        assert refused.state == CheckState.CRITICAL
        restart = await ssh_run(lab, "127.0.20.31", "sudo systemctl restart nginx")
        assert restart.exit_status == 0
        again = await ssh_run(lab, "127.0.20.31", "systemctl is-active nginx")
        assert (again.exit_status, again.stdout) == (0, "active\n")
        await lab.settle()
        assert (await run_probe(probe_site, oa, oa.check("web"), ctx)).state == CheckState.OK
    finally:
        await ctx.close()


async def test_ssh_answers_only_its_command_table_and_only_the_lab_key(lab: Lab) -> None:
    unknown = await ssh_run(lab, "127.0.10.33", "rm -rf /")
    assert unknown.exit_status == 127
    assert "command not found" in str(unknown.stderr)
    df = await ssh_run(lab, "127.0.10.33", "df -P /")
    assert df.exit_status == 0 and str(df.stdout).splitlines()[1].endswith("% /")
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect(
            "127.0.10.33",
            SSH,
            username="ops",
            client_keys=[stranger],
            known_hosts=str(lab.known_hosts),
            connect_timeout=5,
        )


async def test_a_dead_device_times_out_and_comes_back_rebooted(lab: Lab, snmp: SnmpClient) -> None:
    v2 = cred(lab, "legacy-v2c")
    assert lab.scenario.step("device_dies") == "ids-ext-1 stopped answering"
    with pytest.raises(ProbeFailure, match="no response") as failure:
        await snmp.get("127.0.10.3", SNMP, v2, [SYS_NAME], timeout=0.5, retries=0)
    assert failure.value.state == CheckState.CRITICAL
    await lab.settle()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.10.3", 8443 + SHIFT)
    lab.scenario.step("device_revives")
    got = await snmp.get("127.0.10.3", SNMP, v2, [SYS_NAME], timeout=2, retries=1)
    assert got == {SYS_NAME: "ids-ext-1"}


async def test_a_port_going_down_sends_linkdown_from_the_switch(lab: Lab) -> None:
    loop = asyncio.get_running_loop()
    received: asyncio.Future[tuple[bytes, tuple[str, int]]] = loop.create_future()

    class Receiver(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            if not received.done():
                received.set_result((data, addr))

    destination = lab.traps.destination
    transport, _ = await loop.create_datagram_endpoint(Receiver, local_addr=destination)
    try:
        lab.scenario.step("port_down")
        data, source = await asyncio.wait_for(received, timeout=5)
    finally:
        transport.close()
    assert source[0] == "127.0.10.21"
    message, _ = decoder.decode(data, asn1Spec=v2c.Message())
    assert str(v2c.apiMessage.get_community(message)) == "dutydesk-demo"
    var_binds = v2c.apiTrapPDU.get_varbinds(v2c.apiMessage.get_pdu(message))
    assert tuple(var_binds[1][1]) == LINK_DOWN


def test_the_timeline_shows_every_fault_within_five_minutes() -> None:
    site = load_site(DEMO_SITE)
    world = World(site, seed=7)
    scenario = Scenario(world)
    hottest, temps = 0.0, []
    for second in range(1, 601):
        world.tick(float(second))
        scenario.advance(world.now)
        temps.append(world.temperature("th-b") or 0.0)
        hottest = max(hottest, temps[-1])
    faults = ["port_down", "service_stops", "ups_on_battery", "row_heats", "device_dies"]
    early = [name for when, name, _ in scenario.history if when <= 300 and name in faults]
    assert early == faults
    assert {"port_up", "power_restored", "device_revives", "row_cools"} <= {
        name for _, name, _ in scenario.history
    }
    assert hottest > 27.0 and temps[-1] < 26.0  # row B heated past 27 °C, then cooled
    assert all(20.0 <= t <= 25.5 for t in temps[:200])  # normal inlet air before the fault
    assert world.service_state("srv-oa-1", "nginx") == "inactive"  # until someone restarts it


def test_the_world_is_deterministic_for_a_seed() -> None:
    site = load_site(DEMO_SITE)
    worlds = [World(site, seed=11), World(site, seed=11), World(site, seed=12)]
    for world in worlds:
        for second in (1.0, 5.0, 60.0, 61.0):
            world.tick(second)
    readings = [(w.temperature("th-a"), w.devices["srv-app-1"].cpus[0].value) for w in worlds]
    assert readings[0] == readings[1] != readings[2]
