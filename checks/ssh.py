"""Commands over SSH: one pooled asyncssh connection per (host, port, whole credential).

A connection is reused by every check and action on that device (a new one per command
costs ~20x, see bench/README.md), re-opened when it has died, and gated: at most 4 channels at
once on it (sshd's MaxSessions is 10) and at most 4 handshakes at once in the pool
(sshd's MaxStartups drops bursts). Host keys are always checked against the credential's
known_hosts file; an unknown or changed key ends the attempt before any session opens.
Commands go out as an exec request exactly as site.yaml gives them, never through a
local shell. ``run`` collects the output (checks); ``stream`` also hands it over chunk by
chunk as it arrives (remote actions show it live).
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh
from pydantic import SecretStr

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


class SshFailure(ProbeFailure):
    """A failed SSH attempt (always CRITICAL for a check) and what kind of failure it was,
    for callers that explain it: ``host_key``, ``auth``, ``key`` (unusable client key),
    ``refused``, ``connect``, ``lost`` (connection lost) or ``timeout``."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(CheckState.CRITICAL, reason)
        self.kind = kind


@dataclass(frozen=True)
class SshRun:
    """What a remote command did. ``exit_status`` is None when it was cut off or killed."""

    exit_status: int | None
    stdout: str
    stderr: str
    truncated: bool = False


def _credential_key(cred: SshCredential, salt: bytes) -> tuple[object, ...]:
    """Everything that decides whom a connection is logged in as. Two credentials that
    differ in any field (a wrong passphrase too) never share a connection. The secrets
    appear only as a keyed digest: the key may be logged, and a plain hash of a short
    passphrase could be guessed back."""

    def digest(secret: SecretStr | None) -> str:
        value = secret.get_secret_value() if secret is not None else ""
        return hmac.new(salt, value.encode(), hashlib.sha256).hexdigest()

    return (
        cred.username,
        tuple(str(p) for p in cred.client_keys),
        str(cred.known_hosts),
        digest(cred.password),
        digest(cred.passphrase),
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
    """Pooled SSH connections for checks and actions. ``run`` and ``stream`` raise only
    ``SshFailure`` (a ProbeFailure)."""

    def __init__(
        self, *, max_channels: int = 4, max_handshakes: int = 4, keepalive: float = 30.0
    ) -> None:
        self.max_channels = max_channels
        self.keepalive = keepalive
        self._handshakes = asyncio.Semaphore(max_handshakes)
        self._links: dict[tuple[object, ...], _Link] = {}
        self._key_salt = secrets.token_bytes(32)  # for the secrets' digests in the link keys

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
        return await self._session(host, port, cred, command, timeout, None)

    async def stream(
        self,
        host: str,
        port: int,
        cred: SshCredential,
        command: str,
        *,
        timeout: float,
        on_output: Callable[[str], None],
    ) -> SshRun:
        """Like ``run``, and every piece of output (stdout and stderr as they come) goes
        to ``on_output`` on arrival. A connection lost after the command started is not
        retried: an action must never run twice because the network hiccuped."""
        return await self._session(host, port, cred, command, timeout, on_output)

    async def _session(
        self,
        host: str,
        port: int,
        cred: SshCredential,
        command: str,
        timeout: float,
        on_output: Callable[[str], None] | None,
    ) -> SshRun:
        key = (host, port, *_credential_key(cred, self._key_salt))
        link = self._links.setdefault(key, _Link(self.max_channels))
        phase, retried = "connect", False
        try:
            async with asyncio.timeout(timeout):
                while True:
                    phase = "connect"
                    conn, fresh = await self._connection(link, host, port, cred)
                    phase = "open"
                    try:
                        async with link.channels:
                            process = await conn.create_process(command, encoding=None)
                            phase = "command"
                            return await _execute(process, on_output)
                    except _CONNECTION_TROUBLE as e:
                        self._drop(link, conn)
                        started = phase == "command" and on_output is not None
                        if fresh or retried or started:
                            reason = getattr(e, "reason", "") or str(e) or type(e).__name__
                            raise SshFailure("lost", f"ssh connection lost: {reason}") from None
                        retried = True  # a reused connection may have died since: retry once
        except TimeoutError:
            what = "connect" if phase == "connect" else "command did not finish"
            raise SshFailure("timeout", f"ssh {what} within {timeout:g}s") from None

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
            raise SshFailure("host_key", _host_key_reason(cred, host, port)) from None
        except asyncssh.PermissionDenied:
            raise SshFailure("auth", f"authentication failed for user {cred.username}") from None
        except asyncssh.KeyEncryptionError:
            raise SshFailure("key", "client key passphrase is wrong") from None
        except (asyncssh.KeyImportError, ValueError) as e:
            raise SshFailure("key", f"unusable client key: {e}") from None
        except ConnectionRefusedError:
            raise SshFailure("refused", f"ssh port {port} refused") from None
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            raise SshFailure("connect", f"ssh cannot connect: {where}{e.strerror or e}") from None
        except asyncssh.Error as e:
            raise SshFailure("connect", f"ssh: {e.reason}") from None


async def _read_limited(
    stream: asyncssh.SSHReader[bytes],
    process: asyncssh.SSHClientProcess[bytes],
    on_output: Callable[[str], None] | None,
) -> tuple[bytes, bool]:
    """A stream to its end, keeping at most OUTPUT_LIMIT bytes (True: there was more).
    With ``on_output``, each chunk is also handed over as text as it arrives (a UTF-8
    character split between two chunks is held back until it is whole)."""
    kept = bytearray()
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    while chunk := await stream.read(65536):
        room = OUTPUT_LIMIT - len(kept)
        kept += chunk[: max(room, 0) + 1]
        if on_output is not None and room > 0 and (text := decoder.decode(chunk[:room])):
            on_output(text)
        if len(kept) > OUTPUT_LIMIT:
            process.close()  # stop the command: the other stream ends with it
            return bytes(kept[:OUTPUT_LIMIT]), True
    if on_output is not None and (rest := decoder.decode(b"", final=True)):
        on_output(rest)
    return bytes(kept), False


async def _execute(
    process: asyncssh.SSHClientProcess[bytes], on_output: Callable[[str], None] | None
) -> SshRun:
    try:
        process.stdin.write_eof()
        (out, cut_out), (err, cut_err) = await asyncio.gather(
            _read_limited(process.stdout, process, on_output),
            _read_limited(process.stderr, process, on_output),
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
