"""Commands over SSH: one pooled asyncssh connection per (host, port, credential).

A connection is reused by every check and action on that device (a new one per command
costs ~20x, see FACTS.md), re-opened when it has died, and gated: at most 4 channels at
once on it (sshd's MaxSessions is 10) and at most 4 handshakes at once in the pool
(sshd's MaxStartups drops bursts). Host keys are always checked against the credential's
known_hosts file; an unknown or changed key ends the attempt before any session opens.
Commands go out as an exec request exactly as site.yaml gives them.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from checks.evaluate import ProbeFailure
from checks.result import CheckState
from data.models import SshCredential

OUTPUT_LIMIT = 256 * 1024  # bytes kept per stream; a runaway command is cut off here
_CONNECTION_TROUBLE = (
    asyncssh.ChannelOpenError,
    asyncssh.ConnectionLost,
    asyncssh.DisconnectError,
    BrokenPipeError,
    ConnectionResetError,
)


@dataclass(frozen=True)
class SshRun:
    """What a remote command did. ``exit_status`` is None when it was cut off or killed."""

    exit_status: int | None
    stdout: str
    stderr: str
    truncated: bool = False


def _credential_key(cred: SshCredential) -> tuple[object, ...]:
    # the password is part of who we are, but only as a digest: the key may be logged
    secret = cred.password.get_secret_value() if cred.password else ""
    return (
        cred.username,
        tuple(str(p) for p in cred.client_keys),
        str(cred.known_hosts),
        hashlib.sha256(secret.encode()).hexdigest(),
    )


def _host_key_reason(cred: SshCredential, host: str, port: int) -> str:
    path = cred.known_hosts.expanduser()
    try:
        known = asyncssh.read_known_hosts(str(path)).match(host, host, port)[0]
    except (OSError, ValueError):
        known = []
    if known:
        return (
            f"host key not trusted: {host}:{port} offered a key that differs from {path}"
            " (changed key: the host was reinstalled or someone is impersonating it)"
        )
    return f"host key not trusted: {host}:{port} is not in {path} (unknown host)"


class _Link:
    """One device connection and the gate on its channels."""

    def __init__(self, max_channels: int) -> None:
        self.conn: asyncssh.SSHClientConnection | None = None
        self.opening = asyncio.Lock()  # one handshake per link, the others wait for it
        self.channels = asyncio.Semaphore(max_channels)


class SshPool:
    """Pooled SSH connections for checks and actions. ``run`` raises only ProbeFailure."""

    def __init__(
        self, *, max_channels: int = 4, max_handshakes: int = 4, keepalive: float = 30.0
    ) -> None:
        self.max_channels = max_channels
        self.keepalive = keepalive
        self._handshakes = asyncio.Semaphore(max_handshakes)
        self._links: dict[tuple[object, ...], _Link] = {}

    @property
    def open_connections(self) -> int:
        return sum(1 for k in self._links.values() if k.conn and not k.conn.is_closed())

    async def close(self) -> None:
        links, self._links = list(self._links.values()), {}
        for link in links:
            if link.conn is not None:
                link.conn.close()
                await link.conn.wait_closed()

    async def run(
        self, host: str, port: int, cred: SshCredential, command: str, *, timeout: float
    ) -> SshRun:
        """Run ``command`` on host:port; ``timeout`` bounds connecting and running together."""
        key = (host, port, *_credential_key(cred))
        link = self._links.setdefault(key, _Link(self.max_channels))
        phase, retried = "connect", False
        try:
            async with asyncio.timeout(timeout):
                while True:
                    phase = "connect"
                    conn, fresh = await self._connection(link, host, port, cred)
                    phase = "command"
                    try:
                        async with link.channels:
                            return await _execute(conn, command)
                    except _CONNECTION_TROUBLE as e:
                        self._drop(link, conn)
                        if fresh or retried:
                            reason = getattr(e, "reason", "") or str(e) or type(e).__name__
                            raise ProbeFailure(
                                CheckState.CRITICAL, f"ssh connection lost: {reason}"
                            ) from None
                        retried = True  # a reused connection may have died since: retry once
        except TimeoutError:
            what = "connect" if phase == "connect" else "command did not finish"
            raise ProbeFailure(CheckState.CRITICAL, f"ssh {what} within {timeout:g}s") from None

    def _drop(self, link: _Link, conn: asyncssh.SSHClientConnection) -> None:
        conn.close()
        if link.conn is conn:
            link.conn = None

    async def _connection(
        self, link: _Link, host: str, port: int, cred: SshCredential
    ) -> tuple[asyncssh.SSHClientConnection, bool]:
        async with link.opening:
            if link.conn is not None and not link.conn.is_closed():
                return link.conn, False
            async with self._handshakes:
                link.conn = await self._connect(host, port, cred)
            return link.conn, True

    async def _connect(
        self, host: str, port: int, cred: SshCredential
    ) -> asyncssh.SSHClientConnection:
        keys = [str(Path(p).expanduser()) for p in cred.client_keys]
        try:
            return await asyncssh.connect(
                host,
                port,
                username=cred.username,
                password=cred.password.get_secret_value() if cred.password else None,
                client_keys=keys or None,  # None: no public-key auth (not ~/.ssh defaults)
                passphrase=cred.passphrase.get_secret_value() if cred.passphrase else None,
                known_hosts=str(cred.known_hosts.expanduser()),  # never None: always verify
                config=None,  # ~/.ssh/config of whoever runs the console must not matter
                agent_path=None,
                keepalive_interval=self.keepalive,
                keepalive_count_max=3,
            )
        except asyncssh.HostKeyNotVerifiable:
            raise ProbeFailure(CheckState.CRITICAL, _host_key_reason(cred, host, port)) from None
        except asyncssh.PermissionDenied:
            raise ProbeFailure(
                CheckState.CRITICAL, f"authentication failed for user {cred.username}"
            ) from None
        except asyncssh.KeyEncryptionError:
            raise ProbeFailure(CheckState.CRITICAL, "client key passphrase is wrong") from None
        except (asyncssh.KeyImportError, ValueError) as e:
            raise ProbeFailure(CheckState.CRITICAL, f"unusable client key: {e}") from None
        except ConnectionRefusedError:
            raise ProbeFailure(CheckState.CRITICAL, f"ssh port {port} refused") from None
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            raise ProbeFailure(
                CheckState.CRITICAL, f"ssh cannot connect: {where}{e.strerror or e}"
            ) from None
        except asyncssh.Error as e:
            raise ProbeFailure(CheckState.CRITICAL, f"ssh: {e.reason}") from None


async def _read_limited(
    stream: asyncssh.SSHReader[bytes], process: asyncssh.SSHClientProcess[bytes]
) -> tuple[bytes, bool]:
    """A stream to its end, keeping at most OUTPUT_LIMIT bytes (True: there was more)."""
    kept = bytearray()
    while chunk := await stream.read(65536):
        kept += chunk
        if len(kept) > OUTPUT_LIMIT:
            process.close()  # stop the command: the other stream ends with it
            return bytes(kept[:OUTPUT_LIMIT]), True
    return bytes(kept), False


async def _execute(conn: asyncssh.SSHClientConnection, command: str) -> SshRun:
    process = await conn.create_process(command, encoding=None)
    try:
        process.stdin.write_eof()
        (out, cut_out), (err, cut_err) = await asyncio.gather(
            _read_limited(process.stdout, process), _read_limited(process.stderr, process)
        )
        truncated = cut_out or cut_err
        if not truncated:
            await process.wait()
        return SshRun(
            exit_status=None if truncated else process.exit_status,
            stdout=out.decode("utf-8", "replace"),
            stderr=err.decode("utf-8", "replace"),
            truncated=truncated,
        )
    finally:
        process.close()  # also on timeout: the channel must not outlive the check
