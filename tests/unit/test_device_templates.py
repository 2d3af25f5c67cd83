"""Device templates as files: the shipped ones, a site's own ``templates/`` folder beside
site.yaml, and their problems reported ``file:line: key.path: message`` like site.yaml's.

Broken files mark the line each problem must be reported on with a ``#!tag`` comment.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from data.config import SiteConfigError, load_site
from data.device_templates import shipped_templates

SITE = """\
site:
  name: lab
  shifts: [{name: day, start: "08:00", end: "20:00"}, {name: night, start: "20:00", end: "08:00"}]
credentials:
  v2: {snmp: {version: "2c", community: public}}
zones: [{id: z, name: Z}]
devices:
  - id: pdu-a1
    name: A1 PDU
    kind: pdu
    zone: z
    host: 127.0.0.1
    checks:
      - {id: load, type: snmp, credential: v2, template: CHOICE}   #!template
"""
GOOD = """\
description: our own rack PDU
kind: pdu
match: {sys_object_id: ["1.3.6.1.4.1.99999"]}
value: load
warn: "> 12"
readings:
  load: {column: "1.3.6.1.4.1.99999.1.2", scale: 0.1, unit: A}
"""
BAD = """\
description: our own rack PDU
value: load
readings:
  load:
    column: "1.3.6.1.4.1.99999.1.2"
    scale: lots   #!scale
  state:
    oid: "1.3.6.1.4.1.99999.1.3.1"
    states:
      1: {name: normal, state: FINE}   #!state
"""


KNOWN = ", ".join(sorted(shipped_templates()))


def marks(text: str) -> dict[str, int]:
    return {
        tag: number
        for number, line in enumerate(text.splitlines(), start=1)
        for tag in re.findall(r"#!([\w-]+)", line)
    }


def site(tmp_path: Path, choice: str, templates: dict[str, str] | None = None) -> Path:
    for name, text in (templates or {}).items():
        (tmp_path / "templates").mkdir(exist_ok=True)
        (tmp_path / "templates" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    path = tmp_path / "site.yaml"
    path.write_text(SITE.replace("CHOICE", choice), encoding="utf-8")
    return path


def test_every_shipped_template_loads() -> None:
    shipped = shipped_templates()
    expected = {"system", "interfaces", "host", "ups", "apc-ups", "apc-rpdu", "eaton-xups"}
    expected |= {"huawei-ups", "liebert-aircon", "geist-env", "apc-env"}
    assert expected <= set(shipped)
    assert shipped["apc-rpdu"].kind == "pdu"


def test_a_site_template_beside_site_yaml_is_used(tmp_path: Path) -> None:
    loaded = load_site(site(tmp_path, "our-pdu", {"our-pdu.yaml": GOOD}))
    assert loaded.devices[0].kind == "pdu"
    template = loaded.templates["our-pdu"]
    assert template.readings["load"].scale == 0.1 and "apc-rpdu" in loaded.templates


def test_a_site_template_takes_a_shipped_ones_place(tmp_path: Path) -> None:
    loaded = load_site(site(tmp_path, "apc-rpdu", {"apc-rpdu.yaml": GOOD}))
    assert loaded.templates["apc-rpdu"].description == "our own rack PDU"
    assert shipped_templates()["apc-rpdu"].description != "our own rack PDU"


def problems(path: Path) -> list[str]:
    """The load's issues as printed, with the test's folder left out of the paths."""
    with pytest.raises(SiteConfigError) as caught:
        load_site(path)
    return [str(i).replace(f"{path.parent}/", "") for i in caught.value.issues]


def test_a_bad_template_is_reported_at_its_lines(tmp_path: Path) -> None:
    lines, site_line = marks(BAD), marks(SITE)["template"]
    assert problems(site(tmp_path, "our-pdu", {"our-pdu.yaml": BAD})) == [
        # the template is unusable, so the check naming it is refused too, at its line
        f"site.yaml:{site_line}: devices[pdu-a1].checks[load].template: unknown template"
        f" 'our-pdu'; known: {KNOWN}",
        f"templates/our-pdu.yaml:{lines['scale']}: readings.load.scale: Input should be a valid"
        " number, unable to parse string as a number",
        f"templates/our-pdu.yaml:{lines['state']}: readings.state.states.1.state: Input should"
        " be 'OK', 'WARNING', 'CRITICAL' or 'UNKNOWN'",
    ]


def test_an_unknown_template_name_is_refused_at_its_line(tmp_path: Path) -> None:
    assert problems(site(tmp_path, "apc-pdu")) == [
        f"site.yaml:{marks(SITE)['template']}: devices[pdu-a1].checks[load].template:"
        f" unknown template 'apc-pdu'; known: {KNOWN}"
    ]


def test_profile_spelling_names_any_template(tmp_path: Path) -> None:
    path = site(tmp_path, "x")
    path.write_text(path.read_text().replace("template: x", "profile: apc-rpdu"), encoding="utf-8")
    check = load_site(path).devices[0].checks[0]
    assert check.type == "snmp" and check.template_name == "apc-rpdu"
