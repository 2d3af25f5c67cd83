"""The lab's SSH servers: exec requests only, answered from a command table (commands.py).

One asyncssh listener per server device address. Only the user ``ops`` with the lab's
client key gets in (no passwords, no shell, no port forwarding, no SFTP). The key files
the site names are written here: the client key pair (private key mode 0600) and a
known_hosts file with one line per ``[address]:port``. Keys are kept across lab starts
when they already exist, so a console that is still running keeps trusting the lab.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import asyncssh

from demo.lab.commands import USERNAME, run_command
from demo.lab.world import World

HOST_KEY_NAME = "ssh_host_ed25519_key"  # kept beside known_hosts


def _load_or_make(path: Path) -> asyncssh.SSHKey:
    """The private key at ``path``; a new ed25519 key (written there) if it is missing."""
    if path.exists():
        try:
            return asyncssh.read_private_key(str(path))
        except (asyncssh.KeyImportError, OSError, ValueError):
            pass  # unreadable: replace it
    key = asyncssh.generate_private_key("ssh-ed25519", comment="dutydesk-demo-lab")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
    path.with_name(path.name + ".pub").write_bytes(key.export_public_key())
    return key


def known_hosts_line(host: str, port: int, key: asyncssh.SSHKey) -> str:
    where = host if port == 22 else f"[{host}]:{port}"
    kind, blob = key.export_public_key().decode().split()[:2]
    return f"{where} {kind} {blob}"


class _Server(asyncssh.SSHServer):
    def __init__(self, owner: SshServers, device_id: str) -> None:
        self.owner = owner
        self.device_id = device_id
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.owner.connections.setdefault(self.device_id, set()).add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.owner.connections.get(self.device_id, set()).discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        return True  # authentication is always required

    def password_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == USERNAME and key.public_data == self.owner.client_key.public_data


class SshServers:
    """SSH on each device in ``endpoints`` (device id -> (address, port))."""

    def __init__(
        self,
        world: World,
        endpoints: dict[str, tuple[str, int]],
        client_key: Path,
        known_hosts: Path,
    ) -> None:
        self.world = world
        self.endpoints = endpoints
        self.client_key_path = client_key
        self.known_hosts_path = known_hosts
        self.host_key = _load_or_make(known_hosts.with_name(HOST_KEY_NAME))
        self.client_key = _load_or_make(client_key)
        self.acceptors: dict[str, asyncssh.SSHAcceptor] = {}
        self.connections: dict[str, set[asyncssh.SSHServerConnection]] = {}

    def write_known_hosts(self) -> None:
        lines = [known_hosts_line(h, p, self.host_key) for h, p in self.endpoints.values()]
        self.known_hosts_path.parent.mkdir(parents=True, exist_ok=True)
        self.known_hosts_path.write_text("\n".join(lines) + "\n", encoding="ascii")

    def _process(self, device_id: str) -> Callable[[asyncssh.SSHServerProcess[str]], None]:
        def handle(process: asyncssh.SSHServerProcess[str]) -> None:
            if process.command is None:
                process.stderr.write("this demo host takes exec requests only\n")
                process.exit(1)
                return
            reply = run_command(self.world, device_id, process.command)
            process.stdout.write(reply.stdout)
            process.stderr.write(reply.stderr)
            process.exit(reply.exit_status)

        return handle

    async def open(self, device_id: str) -> None:
        """Listen on the device's address (raises OSError when the port is taken)."""
        if device_id in self.acceptors:
            return
        host, port = self.endpoints[device_id]
        self.acceptors[device_id] = await asyncssh.listen(
            host,
            port,
            server_host_keys=[self.host_key],
            server_factory=lambda: _Server(self, device_id),
            process_factory=self._process(device_id),
            encoding="utf-8",
            allow_pty=False,
            x11_forwarding=False,
            agent_forwarding=False,
            allow_scp=False,
            login_timeout=30,
        )

    async def close(self, device_id: str) -> None:
        """Stop listening and cut every open session: the host is gone."""
        acceptor = self.acceptors.pop(device_id, None)
        if acceptor is not None:
            acceptor.close()
            await acceptor.wait_closed()
        for conn in list(self.connections.pop(device_id, set())):
            conn.abort()
            await conn.wait_closed()

    async def stop(self) -> None:
        for device_id in list(self.acceptors) + list(self.connections):
            await self.close(device_id)
