"""The demo lab as one object: every simulated device answering on its loopback address.

``Lab(site_path)`` reads the site; ``await lab.start()`` writes the SSH key files the site
names, binds SNMP (every device), SSH (devices with ssh checks or actions), and the tcp/http
ports the checks name, then ticks the World once a second and runs the fault timeline.
``await lab.stop()`` cancels the tick task and closes every socket, so all ports can be
bound again at once. ``port_offset`` moves every port (and the trap destination) so tests
can run beside a demo that is already up. World time is seconds since ``start()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from pathlib import Path
from types import TracebackType

from data.config import load_site
from data.models import Site
from demo.lab.scenario import Scenario
from demo.lab.snmp_agent import SnmpAgents
from demo.lab.ssh_server import SshServers
from demo.lab.tcp_http import PortListeners, port_endpoints
from demo.lab.traps import TrapSender
from demo.lab.world import World

log = logging.getLogger(__name__)

SNMP_PORT, SSH_PORT = 1161, 2222  # used when a device's checks name no port


def _trap_community(site: Site) -> str | None:
    """The community of the first v2c credential the trap receiver accepts."""
    names = site.traps.credentials or list(site.credentials)
    for name in names:
        snmp = site.credentials[name].snmp if name in site.credentials else None
        if snmp is not None and snmp.community is not None:
            return snmp.community.get_secret_value()
    return None


def _loopback_only(site: Site) -> None:
    for device in site.devices:
        try:
            loopback = ipaddress.ip_address(device.host) in ipaddress.ip_network("127.0.0.0/8")
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(
                f"the demo lab serves only 127.0.0.0/8 addresses; device {device.id} has "
                f"host {device.host!r}"
            )


class Lab:
    def __init__(
        self,
        site_path: str | Path,
        *,
        port_offset: int = 0,
        seed: int = 2026,
        speed: float = 1.0,
        faults: bool = True,
        tick_seconds: float = 1.0,
    ) -> None:
        self.site_path = Path(site_path)
        self.site = load_site(self.site_path)
        _loopback_only(self.site)
        self.port_offset = port_offset
        self.tick_seconds = tick_seconds
        self.world = World(self.site, seed=seed, now=0.0)
        traps = self.site.traps
        self.traps = TrapSender(
            self.world, (traps.listen, self.port(traps.port)), _trap_community(self.site)
        )
        self.scenario = Scenario(self.world, speed=speed, traps=self.traps, timeline=faults)
        self.snmp_endpoints: dict[str, tuple[str, int]] = {}
        self.ssh_endpoints: dict[str, tuple[str, int]] = {}
        ssh_credentials: list[str] = []
        hosts: set[str] = set()
        for device in self.site.devices:
            if device.host in hosts:
                log.warning(
                    "lab: %s shares %s with another device: not served", device.id, device.host
                )
                continue
            hosts.add(device.host)
            snmp_ports = [c.port for c in device.checks if c.type == "snmp" and c.port]
            self.snmp_endpoints[device.id] = (
                device.host,
                self.port(snmp_ports[0] if snmp_ports else SNMP_PORT),
            )
            ssh_checks = [c for c in device.checks if c.type == "ssh"]
            if ssh_checks or device.actions:
                port = next((c.port for c in ssh_checks if c.port), SSH_PORT)
                self.ssh_endpoints[device.id] = (device.host, self.port(port))
                ssh_credentials += [c.credential for c in ssh_checks]
                ssh_credentials += [a.credential for a in device.actions]
        self.client_key, self.known_hosts = self._key_paths(ssh_credentials)
        self.snmp = SnmpAgents(self.world, self.site, self.snmp_endpoints)
        self.ssh: SshServers | None = None
        self.listeners = PortListeners(self.world, port_endpoints(self.site, self.world, self.port))
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._settling = asyncio.Lock()  # the tick task and a caller may settle at once
        self._started_at = 0.0
        self.world.subscribe(self._changed.set)

    def port(self, site_port: int) -> int:
        """Where the lab listens for a port named in the site."""
        moved = site_port + self.port_offset
        if not 0 < moved < 65536:
            raise ValueError(f"port {site_port} + offset {self.port_offset} is out of range")
        return moved

    def _key_paths(self, credential_names: list[str]) -> tuple[Path, Path]:
        """Client key and known_hosts: from the site's ssh credential, else lab/ beside it."""
        for name in credential_names:
            ssh = self.site.credentials[name].ssh if name in self.site.credentials else None
            if ssh is not None and ssh.client_keys:
                return ssh.client_keys[0], ssh.known_hosts
        lab = self.site_path.resolve().parent / "lab"
        return lab / "client_key", lab / "known_hosts"

    async def start(self) -> None:
        """Bind everything; on any failure nothing stays bound and the error is raised."""
        loop = asyncio.get_running_loop()
        self._started_at = loop.time()
        try:
            self.ssh = SshServers(self.world, self.ssh_endpoints, self.client_key, self.known_hosts)
            self.ssh.write_known_hosts()
            self.snmp.start()
            for device_id in self.ssh_endpoints:
                if not self.world.devices[device_id].dead:
                    await self.ssh.open(device_id)
            await self.listeners.reconcile(strict=True)
        except BaseException:
            await self.stop()
            raise
        self._task = asyncio.create_task(self._run(), name="demo-lab")

    async def stop(self) -> None:
        """Cancel the tick task and close every listener and session."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.snmp.stop()
        if self.ssh is not None:
            await self.ssh.stop()
        await self.listeners.stop()

    async def __aenter__(self) -> Lab:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def settle(self) -> None:
        """Make the listeners follow the World now (normally the tick task does it)."""
        async with self._settling:
            await self._settle()

    async def _settle(self) -> None:
        if self.ssh is not None:
            for device_id in self.ssh_endpoints:
                dead = self.world.devices[device_id].dead
                if dead:
                    await self.ssh.close(device_id)
                elif device_id not in self.ssh.acceptors:
                    try:
                        await self.ssh.open(device_id)
                    except OSError as e:
                        log.warning("lab: cannot listen for SSH on %s: %s", device_id, e)
        await self.listeners.reconcile()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.tick_seconds):
                    await self._changed.wait()
            self._changed.clear()
            now = loop.time() - self._started_at
            if now - self.world.now >= self.tick_seconds * 0.9:
                self.world.tick(now)
            self.scenario.advance(self.world.now)
            self._changed.clear()  # what the tick changed is handled right here
            await self.settle()

    def describe(self) -> list[str]:
        """What is listening where, one line each (for ``--lab-only``)."""
        lines = [
            f"SNMP v2c/v3 on {len(self.snmp_endpoints)} addresses "
            f"(UDP {', '.join(sorted({str(p) for _, p in self.snmp_endpoints.values()}))})",
            f"SSH (user ops) on {', '.join(f'{h}:{p}' for h, p in self.ssh_endpoints.values())}",
            f"  client key {self.client_key}, known_hosts {self.known_hosts}",
        ]
        for e in self.listeners.endpoints:
            kind = "http" if e.routes else "tcp"
            behind = f" ({e.unit})" if e.unit else ""
            lines.append(f"{kind} {e.host}:{e.port} {e.device_id}{behind}")
        host, port = self.traps.destination
        lines.append(f"traps (v2c) to {host}:{port}")
        return lines
