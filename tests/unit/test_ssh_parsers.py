"""Reading command output: df, load, memory, systemctl, and the ``expect`` rules."""

from __future__ import annotations

from typing import Any

import pytest

from checks.evaluate import ProbeFailure
from checks.result import CheckState
from checks.ssh import SshRun
from checks.ssh_parsers import parse_df, parse_load, parse_memory, read_output
from data.models import SshCheck

DF = """\
Filesystem     1024-blocks     Used Available Capacity Mounted on
overlay           41152736 12279652  26759600      32% /
tmpfs                65536        0     65536       0% /dev
/dev/vdb          10255636  9333628    381456      97% /var/lib/my data
"""
FREE = """\
               total        used        free      shared  buff/cache   available
Mem:      8000000000  3000000000  1000000000    10000000  4000000000  6000000000
Swap:              0           0           0
"""
MEMINFO = "MemTotal:  1000 kB\nMemFree:  100 kB\nMemAvailable:  250 kB\nBuffers: 10 kB\n"
OLD_MEMINFO = "MemTotal:  1000 kB\nMemFree:  100 kB\nBuffers:  50 kB\nCached:  50 kB\n"


def ssh_check(**fields: Any) -> SshCheck:
    return SshCheck.model_validate(
        {"id": "s", "type": "ssh", "credential": "c", "command": "x", **fields}
    )


def test_df_picks_the_fullest_file_system_even_with_spaces() -> None:
    reading = parse_df(DF)
    assert (reading.value, reading.unit) == (97, "%")
    assert reading.message == "fullest /var/lib/my data 97% of 3 file systems"


@pytest.mark.parametrize(
    ("text", "loads"),
    [
        ("0.52 0.31 0.20 2/345 6789\n", (0.52, 0.31, 0.2)),
        (" 10:01:02 up 3 days,  2 users,  load average: 1.05, 0.98, 0.50\n", (1.05, 0.98, 0.5)),
        (" 10:01  up 3 days, load averages: 2.10 1.20 1.00\n", (2.1, 1.2, 1.0)),  # BSD
        (" 10:01:02 up 3 days,  load average: 1,05, 0,98, 0,50\n", (1.05, 0.98, 0.5)),  # de_DE
    ],
)
def test_load(text: str, loads: tuple[float, float, float]) -> None:
    reading = parse_load(text)
    assert (reading.values["load1"], reading.values["load5"], reading.values["load15"]) == loads


@pytest.mark.parametrize(("text", "used"), [(FREE, 25.0), (MEMINFO, 75.0), (OLD_MEMINFO, 80.0)])
def test_memory_counts_available_as_free(text: str, used: float) -> None:
    assert parse_memory(text).value == used


@pytest.mark.parametrize("parser", [parse_df, parse_load, parse_memory])
def test_garbage_is_unknown(parser: Any) -> None:
    with pytest.raises(ProbeFailure) as failure:
        parser("bash: command not found\n")
    assert failure.value.state == CheckState.UNKNOWN
    assert "command not found" in failure.value.reason


def test_parser_applies_default_limits_and_own_thresholds() -> None:
    run = SshRun(0, DF, "")
    assert read_output(run, ssh_check(parser="df")).state == CheckState.CRITICAL  # > 95
    assert read_output(run, ssh_check(parser="df", crit="> 98")).state == CheckState.OK


def test_a_failing_parser_command_is_unknown() -> None:
    with pytest.raises(ProbeFailure) as failure:
        read_output(SshRun(127, "", "df: not found\n"), ssh_check(parser="df"))
    assert failure.value.reason == "command failed (exit status 127): df: not found"


@pytest.mark.parametrize(
    ("stdout", "status", "state"),
    [
        ("active\n", 0, CheckState.OK),
        ("reloading\n", 0, CheckState.WARNING),
        ("activating\n", 3, CheckState.WARNING),
        ("inactive\n", 3, CheckState.CRITICAL),
        ("failed\n", 3, CheckState.CRITICAL),
        ("", 4, CheckState.UNKNOWN),
    ],
)
def test_systemd_word_decides_not_the_exit_status(
    stdout: str, status: int, state: CheckState
) -> None:
    assert read_output(SshRun(status, stdout, ""), ssh_check(parser="systemd")).state == state


@pytest.mark.parametrize(
    ("run", "expect", "state", "message"),
    [
        (SshRun(0, "ok\n", ""), {}, CheckState.OK, "ok"),
        (SshRun(0, "", ""), {}, CheckState.OK, "exit status 0"),
        (SshRun(1, "", "boom\n"), {}, CheckState.CRITICAL, "exit status 1 (expected 0): boom"),
        (SshRun(2, "", ""), {"exit_status": 2}, CheckState.OK, "exit status 2"),
        (SshRun(5, "", ""), {"exit_status": None}, CheckState.OK, "exit status 5"),
        (
            SshRun(None, "x" * 10, "", True),
            {},
            CheckState.CRITICAL,
            "exit status none (cut off) (expected 0): xxxxxxxxxx",
        ),
        (
            SshRun(0, "version 2.4\n", ""),
            {"stdout": r"version 2\.\d"},
            CheckState.OK,
            "version 2.4",
        ),
        (
            SshRun(0, "version 3.0\n", ""),
            {"stdout": r"version 2\.\d"},
            CheckState.CRITICAL,
            "output does not match /version 2\\.\\d/: version 3.0",
        ),
    ],
)
def test_expect(run: SshRun, expect: dict[str, Any], state: CheckState, message: str) -> None:
    result = read_output(run, ssh_check(expect=expect))
    assert (result.state, result.message) == (state, message)


def test_thresholds_read_the_first_number_of_the_output() -> None:
    result = read_output(SshRun(0, "temp=41.5C\n", ""), ssh_check(crit="> 40", unit="°C"))
    assert (result.state, result.value, result.message) == (
        CheckState.CRITICAL,
        41.5,
        "41.5 °C (critical: > 40)",
    )
    with pytest.raises(ProbeFailure):
        read_output(SshRun(0, "n/a\n", ""), ssh_check(crit="> 40"))
