"""Reading SSH command output into a check result: ``expect`` and the built-in parsers.

Parsers: ``df`` (``df -P``: worst use %), ``load`` (``/proc/loadavg`` or ``uptime``:
1-minute load), ``memory`` (``free -b`` or ``/proc/meminfo``: used % from "available"),
``systemd`` (``systemctl is-active UNIT``: the word decides the state). Without a parser,
``expect`` decides: exit status and an optional output regex; a check with thresholds
also reads the first number of the output as its value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from checks.evaluate import ProbeFailure, judge
from checks.result import CheckState, ProbeResult
from checks.ssh import SshPool, SshRun
from data.models import SshCheck, SshCredential
from data.thresholds import Threshold

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
SYSTEMD_STATES = {
    "active": CheckState.OK,
    "activating": CheckState.WARNING,
    "reloading": CheckState.WARNING,
    "deactivating": CheckState.WARNING,
    "inactive": CheckState.CRITICAL,
    "failed": CheckState.CRITICAL,
}
# built-in limits, used only when a check sets no ok/warn/crit of its own
DEFAULT_LIMITS = {
    "df": (Threshold.parse("> 85"), Threshold.parse("> 95")),
    "memory": (Threshold.parse("> 90"), Threshold.parse("> 95")),
}


@dataclass(frozen=True)
class Reading:
    """A parser's view of the output: the number, how to say it, and the details."""

    value: float
    message: str
    unit: str | None = None
    values: dict[str, object] = field(default_factory=dict)


def _garbled(what: str, text: str) -> ProbeFailure:
    return ProbeFailure(CheckState.UNKNOWN, f"cannot read {what} output: {first_line(text)!r}")


def first_line(text: str, limit: int = 200) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


def parse_df(text: str) -> Reading:
    """``df -P``: the fullest file system (Capacity column; mount points may hold spaces)."""
    mounts: dict[str, float] = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 6 and re.fullmatch(r"\d+%", fields[4]):
            mounts[" ".join(fields[5:])] = float(fields[4][:-1])
    if not mounts:
        raise _garbled("df -P", text)
    worst = max(mounts, key=lambda m: mounts[m])
    return Reading(
        mounts[worst],
        f"fullest {worst} {mounts[worst]:g}% of {len(mounts)} file systems",
        "%",
        {"mounts": mounts},
    )


def parse_load(text: str) -> Reading:
    """``/proc/loadavg`` (``0.14 0.10 0.07 1/234 567``) or ``uptime`` (``load average: ...``)."""
    found = re.search(r"load averages?:\s*(.+)$", text, re.MULTILINE)
    if found:  # uptime; some locales write decimal commas: "0,14, 0,10, 0,07"
        parts = [p.replace(",", ".") for p in re.split(r",?\s+", found[1].strip())]
    else:
        parts = text.split()[:3]
    try:
        load1, load5, load15 = (float(p) for p in parts[:3])
    except ValueError:
        raise _garbled("load average", text) from None
    return Reading(
        load1,
        f"load {load1:g} {load5:g} {load15:g}",
        None,
        {"load1": load1, "load5": load5, "load15": load15},
    )


def parse_memory(text: str) -> Reading:
    """``free -b`` or ``/proc/meminfo``: used % = (total - available) / total."""
    total = available = None
    header = next((line.split() for line in text.splitlines() if "total" in line.split()), None)
    mem = next((line.split() for line in text.splitlines() if line.startswith("Mem:")), None)
    if header and mem and len(mem) == len(header) + 1:  # free: "Mem:" leads the numbers
        row = dict(zip(header, mem[1:], strict=True))
        total = float(row["total"])
        available = float(row.get("available", float(row["total"]) - float(row["used"])))
    else:
        info = dict(re.findall(r"^(\w+):\s+(\d+)", text, re.MULTILINE))
        if "MemTotal" in info:
            total = float(info["MemTotal"])
            extra = sum(float(info.get(k, 0)) for k in ("MemFree", "Buffers", "Cached"))
            available = float(info.get("MemAvailable", extra))
    if not total or available is None:
        raise _garbled("memory", text)
    used = 100.0 * (total - available) / total
    return Reading(round(used, 1), f"memory {used:.1f}% used", "%", {"memory": round(used, 1)})


PARSERS: dict[str, Callable[[str], Reading]] = {
    "df": parse_df,
    "load": parse_load,
    "memory": parse_memory,
}


def systemd_result(text: str) -> ProbeResult:
    word = first_line(text)
    state = SYSTEMD_STATES.get(word)
    if state is None:
        return ProbeResult(CheckState.UNKNOWN, f"unexpected systemctl output {word!r}")
    return ProbeResult(state, word, values={"unit_state": word})


def _expect_result(run: SshRun, check: SshCheck) -> ProbeResult:
    want = check.expect.exit_status
    said = first_line(run.stderr) or first_line(run.stdout)
    if want is not None and run.exit_status != want:
        status = "none (cut off)" if run.exit_status is None else str(run.exit_status)
        return ProbeResult(
            CheckState.CRITICAL,
            f"exit status {status} (expected {want})" + (f": {said}" if said else ""),
            values={"exit_status": run.exit_status},
        )
    values: dict[str, object] = {"exit_status": run.exit_status}
    if check.ok is None and check.warn is None and check.crit is None:
        message = first_line(run.stdout) or f"exit status {run.exit_status}"
        return ProbeResult(CheckState.OK, message, values=values)
    number = _NUMBER.search(run.stdout)
    if number is None:
        raise ProbeFailure(CheckState.UNKNOWN, f"no number in the output: {said!r}")
    return judge(float(number[0]), check, "", values=values)


def read_output(run: SshRun, check: SshCheck) -> ProbeResult:
    """The check's result from what its command did."""
    if check.parser == "systemd":  # is-active's exit status is the state: the word says it
        result = systemd_result(run.stdout)
    elif check.parser is not None:
        if run.exit_status != 0:
            said = first_line(run.stderr) or first_line(run.stdout)
            raise ProbeFailure(
                CheckState.UNKNOWN, f"command failed (exit status {run.exit_status}): {said}"
            )
        reading = PARSERS[check.parser](run.stdout)
        warn, crit = DEFAULT_LIMITS.get(check.parser, (None, None))
        result = judge(
            reading.value,
            check,
            reading.message,
            unit=reading.unit,
            values=reading.values,
            default_warn=warn,
            default_crit=crit,
        )
    else:
        result = _expect_result(run, check)
    pattern = check.expect.stdout
    missing = pattern is not None and not re.search(pattern, run.stdout, re.MULTILINE)
    if missing and result.state != CheckState.CRITICAL:
        shown = first_line(run.stdout)
        return ProbeResult(
            CheckState.CRITICAL,
            f"output does not match /{pattern}/" + (f": {shown}" if shown else ""),
            values=result.values,
        )
    return result


async def run_ssh_check(
    pool: SshPool, host: str, port: int, cred: SshCredential, check: SshCheck
) -> ProbeResult:
    run = await pool.run(host, port, cred, check.command, timeout=check.timeout)
    return read_output(run, check)
