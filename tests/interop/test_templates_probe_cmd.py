"""``dutydesk probe`` against real recordings served by snmpsim: it names the fitting
templates, shows what each reads, and prints site.yaml lines that load as they are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from console.cli import main
from data.config import load_site
from tests.support.snmpsim import Simulator, serve

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with serve(["UPS/apc-8641", "UPS/huawei-gse200m"]) as simulator:
        yield simulator


def site_file(tmp: Path, sim: Simulator, devices: list[dict[str, Any]] | None = None) -> Path:
    doc: dict[str, Any] = {
        "site": {
            "name": "probe",
            "language": "en",
            "shifts": [
                {"name": "day", "start": "08:00", "end": "20:00"},
                {"name": "night", "start": "20:00", "end": "08:00"},
            ],
        },
        "credentials": {
            "pdu": {"snmp": {"version": "2c", "community": sim.community("UPS/apc-8641")}},
            "ups": {"snmp": {"version": "2c", "community": sim.community("UPS/huawei-gse200m")}},
            "ssh-only": {"ssh": {"username": "x", "password": "y", "known_hosts": "kh"}},
        },
        "zones": [{"id": "room", "name": "机房"}],
        "devices": devices or [],
    }
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_probe_a_new_host_prints_a_snippet_that_loads(
    tmp_path: Path, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_file(tmp_path, sim)
    args = ["probe", "--host", "127.0.0.1", "--credential", "ups", "--port", str(sim.port)]
    code = main(["--site", str(site), *args])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "sysObjectID  1.3.6.1.4.1.8072.3.2.10" in out  # a Linux id: found by its object
    lines = out.splitlines()
    fits = lines.index("Device templates that fit (best first) and what they read now:")
    assert lines[fits + 1].split()[:2] == ["huawei-ups", "OK"]
    assert "output inverter, charge 100%, runtime 468 min, load 48.1%" in lines[fits + 1]
    snippet = out.split("site.yaml snippet:\n", 1)[1]
    assert "kind: ups" in snippet and "template: huawei-ups" in snippet
    # pasted under devices: it loads, and it watches the UPS
    text = site.read_text(encoding="utf-8").replace("devices: []", "devices:\n" + snippet)
    site.write_text(text, encoding="utf-8")
    device = load_site(site).devices[0]
    assert device.kind == "ups"
    checks = {c.id: c for c in device.checks}
    assert checks["huawei-ups"].port == sim.port and "system" in checks


def test_probe_a_known_device_uses_its_credential_and_port(
    tmp_path: Path, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    pdu = {"id": "pdu-a1", "name": "A1", "kind": "pdu", "zone": "room", "host": "127.0.0.1"}
    pdu["checks"] = [
        {"id": "up", "type": "snmp", "credential": "pdu", "port": sim.port, "template": "system"}
    ]
    code = main(["--site", str(site_file(tmp_path, sim, [pdu])), "probe", "--device", "pdu-a1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "apc-rpdu         OK" in out and "load 6.6 A" in out
    assert (
        f"{{id: apc-rpdu, type: snmp, credential: pdu, port: {sim.port}, template: apc-rpdu}}"
        in out
    )


def test_probe_refuses_a_credential_without_snmp(
    tmp_path: Path, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_file(tmp_path, sim)
    code = main(["--site", str(site), "probe", "--host", "127.0.0.1", "--credential", "ssh-only"])
    assert code == 2
    assert "credential ssh-only does not exist or has no snmp section" in capsys.readouterr().err


def test_probe_says_when_nothing_answers(
    tmp_path: Path, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_file(tmp_path, sim)
    args = [
        "--site",
        str(site),
        "probe",
        "--host",
        "127.0.0.9",
        "--credential",
        "ups",
        "--port",
        "9",
    ]
    assert main(args) == 1
    assert "127.0.0.9 did not answer" in capsys.readouterr().err
