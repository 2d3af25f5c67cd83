"""Many SNMP "devices" on loopback, served by a few net-snmp snmpd processes.

Device ``i`` is ``127.77.<i // 250>.<i % 250 + 1>`` on one shared UDP port; each snmpd
process listens on up to ``per_process`` of those addresses (snmpd's own CPU per GET is
small, so a few processes are plenty and the machine stays free for the client). Every
process knows the same v2c community and the same v3 authPriv (SHA/AES) user.

The setup follows tests/interop/conftest.py: a private configuration and persistent
directory under a temporary folder, ``-f -Lo -C``, readiness polled against a deadline,
terminate-then-wait at the end. The listening addresses go on the command line: snmpd
keeps all ``agentaddress`` lines in one string of ~2,500 characters and silently ignores
the addresses past it (116 of 500 were bound), while its command line takes 1,100 fine.
Run it on its own to poke at it by hand:

    .venv/bin/python bench/snmpd_farm.py 500      # prints the addresses, Ctrl-C stops
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pyasn1.codec.ber import encoder
from pysnmp.proto.api import v2c

SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
START_DEADLINE = 30.0  # seconds for every snmpd to answer on a busy 2-core machine


@dataclass(frozen=True)
class FarmCredentials:
    community: str = "bench-community"
    user: str = "bench-v3"
    auth_key: str = "bench-auth-key-1"  # SHA
    priv_key: str = "bench-priv-key-1"  # AES (CFB-128)


def device_address(index: int) -> str:
    if not 0 <= index < 250 * 256:
        raise ValueError(f"device index {index} is outside 127.77.0.0/16")
    return f"127.77.{index // 250}.{index % 250 + 1}"


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((device_address(0), 0))
        return int(s.getsockname()[1])


def _answers(host: str, port: int, community: str) -> bool:
    """Whether a v2c GET of sysUpTime.0 to host:port gets any answer within 0.2 s."""
    request = v2c.GetRequestPDU()
    v2c.apiPDU.set_defaults(request)
    v2c.apiPDU.set_varbinds(request, [((1, 3, 6, 1, 2, 1, 1, 3, 0), v2c.Null(""))])
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, request)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        s.sendto(encoder.encode(message), (host, port))
        try:
            return bool(s.recv(65535))
        except OSError:  # timeout, or refused while snmpd is still binding
            return False


class SnmpdFarm:
    """``count`` devices behind ``ceil(count / per_process)`` snmpd processes (at least 2
    when there are 2 devices or more, so both cores can serve). Use as a context manager."""

    def __init__(
        self,
        count: int,
        *,
        per_process: int = 500,
        credentials: FarmCredentials | None = None,
    ) -> None:
        self.count = count
        self.credentials = credentials or FarmCredentials()
        wanted = max(-(-count // per_process), min(2, count))
        size = -(-count // wanted) if count else 0
        self._chunks = [list(range(i, min(i + size, count))) for i in range(0, count, size or 1)]
        self.port = 0
        self.hosts = [device_address(i) for i in range(count)]
        self._home: Path | None = None
        self._processes: list[subprocess.Popen[bytes]] = []

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) spent so far by all snmpd processes."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def __enter__(self) -> SnmpdFarm:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        snmpd = shutil.which("snmpd", path=SEARCH_PATH)
        if snmpd is None:
            raise RuntimeError("snmpd is not installed (Debian: apt-get install snmpd)")
        self._home = Path(tempfile.mkdtemp(prefix="dutydesk-snmpd-farm-"))
        self.port = _free_udp_port()
        for number, chunk in enumerate(self._chunks):
            self._processes.append(self._start_one(snmpd, number, chunk))
        deadline = time.monotonic() + START_DEADLINE
        for process, chunk in zip(self._processes, self._chunks, strict=True):
            for index in (chunk[0], chunk[-1]):  # addresses are bound in order
                self._wait_ready(process, device_address(index), deadline)

    def _start_one(self, snmpd: str, number: int, chunk: list[int]) -> subprocess.Popen[bytes]:
        assert self._home is not None
        home = self._home / f"snmpd-{number}"
        (home / "persist").mkdir(parents=True)
        listen = ",".join(f"udp:{device_address(i)}:{self.port}" for i in chunk)
        c = self.credentials
        lines = [
            f"rocommunity {c.community} 127.0.0.0/8",
            f'createUser {c.user} SHA "{c.auth_key}" AES "{c.priv_key}"',
            f"rouser {c.user} priv",
            f"sysname bench-farm-{number}",
            "syslocation loopback bench",
            "dontLogTCPWrappersConnects yes",  # else a log line per request
            f"[snmp] persistentDir {home / 'persist'}",
        ]
        conf = home / "snmpd.conf"
        conf.write_text("\n".join(lines) + "\n")
        env = {**os.environ, "SNMP_PERSISTENT_DIR": str(home / "persist"), "MIBS": ""}
        # -I -smux: every process would otherwise try to bind the one SMUX port, 199
        argv = [snmpd, "-f", "-Lo", "-C", "-I", "-smux", "-c", str(conf)]
        argv += ["-p", str(home / "snmpd.pid"), listen]
        with (home / "snmpd.log").open("wb") as out:
            return subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )

    def _wait_ready(self, process: subprocess.Popen[bytes], host: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"snmpd exited with {process.returncode}: {self._log(process)}")
            if _answers(host, self.port, self.credentials.community):
                return
            time.sleep(0.05)
        raise RuntimeError(f"snmpd on {host}:{self.port} did not answer: {self._log(process)}")

    def _log(self, process: subprocess.Popen[bytes]) -> str:
        number = self._processes.index(process)
        assert self._home is not None
        return (self._home / f"snmpd-{number}" / "snmpd.log").read_text()[-2000:]

    def stop(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the snmpd processes too
    with SnmpdFarm(count) as farm:
        c = farm.credentials
        print(f"{count} devices on port {farm.port}: {farm.hosts[0]} .. {farm.hosts[-1]}")
        print(f"snmpd pids {farm.pids}; v2c community {c.community!r}; v3 user {c.user!r}")
        print(f"try: snmpget -v2c -c {c.community} {farm.hosts[-1]}:{farm.port} 1.3.6.1.2.1.1.5.0")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
