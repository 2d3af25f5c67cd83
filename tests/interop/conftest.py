"""Real peers for the interop tests: Debian's net-snmp snmpd and OpenSSH sshd on loopback.

Each peer runs with its own configuration, keys and state under a temporary folder, on a
free 127.0.0.1 port, and is stopped (terminate, wait) at the end of the session. Readiness
is polled against a deadline: snmpd must answer a GET, sshd must send its banner. Missing
binaries skip these tests with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyasn1.codec.ber import encoder
from pysnmp.proto.api import v2c

from checks.probe import ProbeContext
from tests.support.faulty_link import FaultyLink
from tests.support.postgres import PgServer

SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
START_DEADLINE = 15.0  # seconds for a peer to come up on a busy 2-core machine
V3_USER, V3_AUTH, V3_PRIV = "lab-v3", "lab-auth-key-1", "lab-priv-key-1"
# every v3 user snmpd knows: name -> (auth, priv) as site.yaml spells the protocols
V3_USERS: dict[str, tuple[str | None, str | None]] = {
    V3_USER: ("SHA", "AES"),
    "lab-sha-aes256": ("SHA", "AES256"),  # a 20-byte hash stretched to a 32-byte key
    "lab-sha512-aes192": ("SHA512", "AES192"),
    "lab-sha384-aes": ("SHA384", "AES128"),
    "lab-sha224-aes": ("SHA224", "AES"),
    "lab-md5-des": ("MD5", "DES"),
    "lab-sha256-nopriv": ("SHA256", None),
    "lab-noauth": (None, None),
}
_NET_SNMP_NAMES = {
    "SHA224": "SHA-224",
    "SHA256": "SHA-256",
    "SHA384": "SHA-384",
    "SHA512": "SHA-512",
    "AES128": "AES",
    "AES192": "AES-192",
    "AES256": "AES-256",
}


def _create_users(auth_key: str, priv_key: str) -> str:
    lines = []
    for user, (auth, priv) in V3_USERS.items():
        create = f"createUser {user}"
        if auth:
            create += f' {_NET_SNMP_NAMES.get(auth, auth)} "{auth_key}"'
        if priv:
            create += f' {_NET_SNMP_NAMES.get(priv, priv)} "{priv_key}"'
        level = "priv" if priv else "auth" if auth else "noauth"
        lines += [create, f"rouser {user} {level}"]
    return "\n".join(lines) + "\n"


SYS_NAME, SYS_SERVICES = "dutydesk-lab", 72
PASSPHRASE = "lab-key-passphrase"  # of SshPeer.passphrase_key


def need(program: str) -> str:
    """The path of ``program``; skip without it (fail under CI=true, where it must exist)."""
    found = shutil.which(program, path=SEARCH_PATH)
    if found:
        return found
    reason = f"{program} is not installed (Debian: make peers)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true does not allow skipping interop tests")
    pytest.skip(reason)


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(
    process: subprocess.Popen[bytes], log: Path, what: str, answers: Callable[[], bool]
) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{log.read_text()}")
        if answers():
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.05)  # the pause between polls ends early if it dies
    _stop(process)
    pytest.fail(f"{what} did not answer within {START_DEADLINE}s:\n{log.read_text()}")


@dataclass(frozen=True)
class SnmpAgent:
    host: str
    port: int
    community: str
    v3_auth: str
    v3_priv: str


def _snmp_answers(port: int, community: str) -> bool:
    request = v2c.GetRequestPDU()
    v2c.apiPDU.set_defaults(request)
    v2c.apiPDU.set_varbinds(request, [((1, 3, 6, 1, 2, 1, 1, 3, 0), v2c.Null(""))])
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, request)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        s.sendto(encoder.encode(message), ("127.0.0.1", port))
        try:
            return bool(s.recv(65535))
        except OSError:  # timeout, or refused while snmpd is still binding
            return False


@pytest.fixture(scope="session")
def start_snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., SnmpAgent]]:
    """Start snmpd agents: ``start_snmpd(v3_auth=..., v3_priv=...)``; all stop at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*, v3_auth: str = V3_AUTH, v3_priv: str = V3_PRIV) -> SnmpAgent:
        snmpd = need("snmpd")
        home = tmp_path_factory.mktemp("snmpd")
        port, community = free_port(socket.SOCK_DGRAM), "lab-community"
        (home / "persist").mkdir()
        conf = home / "snmpd.conf"
        conf.write_text(
            f"agentaddress udp:127.0.0.1:{port}\n"
            f"rocommunity {community} 127.0.0.1\n"
            f"{_create_users(v3_auth, v3_priv)}"
            f"sysname {SYS_NAME}\nsyslocation loopback lab\nsysservices {SYS_SERVICES}\n"
            f"[snmp] persistentDir {home / 'persist'}\n"
        )
        log = home / "snmpd.log"
        env = {**os.environ, "SNMP_PERSISTENT_DIR": str(home / "persist"), "MIBS": ""}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [snmpd, "-f", "-Lo", "-C", "-c", str(conf), "-p", str(home / "snmpd.pid")],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        started.append(process)
        _wait_ready(process, log, "snmpd", lambda: _snmp_answers(port, community))
        return SnmpAgent("127.0.0.1", port, community, v3_auth, v3_priv)

    yield start
    for process in started:
        _stop(process)


@pytest.fixture(scope="session")
def snmpd(start_snmpd: Callable[..., SnmpAgent]) -> SnmpAgent:
    return start_snmpd()


@dataclass(frozen=True)
class SshPeer:
    host: str
    port: int
    user: str
    client_key: Path
    stranger_key: Path  # a key sshd does not accept
    passphrase_key: Path  # accepted; encrypted with PASSPHRASE (OpenSSH format: bcrypt KDF)
    known_hosts: Path
    known_hosts_changed: Path  # holds another key for this host:port
    known_hosts_empty: Path  # does not know this host at all


def _keygen(path: Path, passphrase: str = "") -> Path:
    keygen = need("ssh-keygen")
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)], check=True)
    return path


def _banner(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            return s.recv(64).startswith(b"SSH-2.0-")
    except OSError:
        return False


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshPeer]:
    binary = need("sshd")  # an absolute path: sshd re-executes itself
    home = tmp_path_factory.mktemp("sshd")
    host_key, other_key = _keygen(home / "host_key"), _keygen(home / "other_host_key")
    client_key, stranger = _keygen(home / "client_key"), _keygen(home / "stranger_key")
    locked_key = _keygen(home / "passphrase_key", PASSPHRASE)
    (home / "authorized_keys").write_text(
        "".join(Path(f"{key}.pub").read_text() for key in (client_key, locked_key))
    )
    port = free_port(socket.SOCK_STREAM)

    def known(name: str, key: Path | None) -> Path:
        """A known_hosts file that trusts ``key`` for this host and port (None: nothing)."""
        kind_and_key = " ".join(Path(f"{key}.pub").read_text().split()[:2]) if key else ""
        (home / name).write_text(f"[127.0.0.1]:{port} {kind_and_key}\n" if key else "")
        return home / name

    if os.geteuid() == 0:  # root's sshd insists on its privilege separation directory
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    conf = home / "sshd_config"
    conf.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"PidFile {home / 'sshd.pid'}\nAuthorizedKeysFile {home / 'authorized_keys'}\n"
        "StrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PrintMotd no\nPrintLastLog no\nPermitUserRC no\nMaxSessions 10\nLogLevel ERROR\n"
        # bash sources ~/.bashrc for ssh commands unless it thinks it is nested: a quiet
        # environment that does not depend on the account's dotfiles
        "SetEnv SHLVL=1 LC_ALL=C\n"
    )
    log = home / "sshd.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "-D", "-e", "-f", str(conf)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_ready(process, log, "sshd", lambda: _banner(port))
        yield SshPeer(
            host="127.0.0.1",
            port=port,
            user=getpass.getuser(),
            client_key=client_key,
            stranger_key=stranger,
            passphrase_key=locked_key,
            known_hosts=known("known_hosts", host_key),
            known_hosts_changed=known("known_hosts_changed", other_key),
            known_hosts_empty=known("known_hosts_empty", None),
        )
    finally:
        _stop(process)


@pytest.fixture
async def ctx() -> AsyncIterator[ProbeContext]:
    """A probe context for one test, closed after it (a test may define its own, e.g. with
    a smaller SNMP row limit)."""
    context = ProbeContext()
    yield context
    await context.close()


@pytest.fixture
async def link(postgres_server: PgServer) -> AsyncIterator[FaultyLink]:
    """A loopback link to the private PostgreSQL that fails on demand (``FaultyLink``)."""
    proxy = FaultyLink(postgres_server.host, postgres_server.port)
    await proxy.start()
    yield proxy
    await proxy.close()
