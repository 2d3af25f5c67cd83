"""site.yaml and checklist loading: every problem reported at once, on its own line.

Broken files mark the line each problem must be reported on with a ``#!tag`` comment;
``marks()`` finds those lines, so the assertions are exact line numbers that stay right
when a test file is edited.
"""

from __future__ import annotations

import ipaddress
import re
import textwrap
from pathlib import Path

import pytest

from data.checklists import load_checklist
from data.config import (
    ConfigIssue,
    LoadedSite,
    SiteConfigError,
    load_site,
    load_site_config,
    site_template,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "site.yaml"
TEMPLATE = ROOT / "data" / "site_template.yaml"

SITE_HEAD = """\
site:
  name: 测试机房
  shifts:
    - {name: 白班, start: "08:30", end: "17:30"}
    - {name: 夜班, start: "17:30", end: "08:30"}
credentials:
  v2:
    snmp: {version: "2c", community: public}
  ops:
    ssh: {username: ops, client_keys: [keys/ops], known_hosts: keys/known_hosts}
zones:
  - {id: ext, name: 外网}
"""


def marks(text: str) -> dict[str, int]:
    """``#!tag`` comment -> its 1-based line number."""
    found = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for tag in re.findall(r"#!([\w-]+)", line):
            assert tag not in found, f"tag {tag} used twice"
            found[tag] = number
    return found


def write(folder: Path, text: str, name: str = "site.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def issues(path: Path, env: dict[str, str] | None = None) -> list[ConfigIssue]:
    with pytest.raises(SiteConfigError) as caught:
        load_site(path, env={} if env is None else env)
    return caught.value.issues


def errors_at(path: Path, env: dict[str, str] | None = None) -> dict[int, list[ConfigIssue]]:
    by_line: dict[int, list[ConfigIssue]] = {}
    for issue in issues(path, env):
        if issue.severity == "error":
            by_line.setdefault(issue.line, []).append(issue)
    return by_line


def site_with(devices: str, tail: str = "") -> str:
    return SITE_HEAD + "devices:\n" + textwrap.dedent(devices) + textwrap.dedent(tail)


# -- good files ---------------------------------------------------------------------------


def test_demo_site_loads_with_no_issue_at_all() -> None:
    loaded = load_site_config(DEMO, env={})
    site = loaded.site
    assert loaded.warnings == ()
    assert len(site.devices) >= 20
    kinds = {d.kind for d in site.devices}
    assert kinds >= {"switch", "router", "firewall", "ids", "server", "storage", "ups"}
    assert kinds >= {"aircon", "sensor", "access"}
    assert {z.name for z in site.zones} == {"政府专网", "电子政务外网"}
    assert all(
        ipaddress.ip_address(d.host) in ipaddress.ip_network("127.0.0.0/8") for d in site.devices
    )
    assert [s.name for s in site.site.shifts] == ["白班", "夜班"]
    assert len(site.site.calendar.holidays) == 33 and len(site.site.calendar.workdays) == 6
    assert site.source == DEMO
    ops = site.credentials["ops"].ssh
    assert ops is not None
    assert ops.known_hosts == DEMO.parent / "lab" / "known_hosts"  # need not exist yet
    assert ops.client_keys == [DEMO.parent / "lab" / "client_key"]
    assert [c.id for c in loaded.checklists] == ["daily-room", "monthly-system", "pre-holiday"]
    assert [p.name for p in site.site.calendar.assurance] == ["春节", "国庆节", "元旦"]
    assert loaded.checklist("daily-room").source == DEMO.parent / "checklists" / "daily-room.yaml"
    assert sum(len(d.actions) for d in site.devices) >= 4


def test_template_loads_with_no_environment_and_matches_the_packaged_text() -> None:
    loaded = load_site_config(TEMPLATE, env={})
    assert loaded.warnings == ()
    assert [d.host for d in loaded.site.devices] == ["127.0.0.1"]
    assert site_template() == TEMPLATE.read_text(encoding="utf-8")


def test_every_commented_example_in_the_template_is_valid(tmp_path: Path) -> None:
    example = re.compile(r"^(\s+)# ((?:- |[a-z0-9_-]+:\s*(?:\{|#|$)|\s+[a-z_]+: ).*)$")
    lines = []
    for line in site_template().splitlines():
        m = example.match(line)
        lines.append(m[1] + m[2] if m else line)
    text = "\n".join(lines)
    for key in ("credentials: {}", "maintenance: []", "inspections: []", "actions: []"):
        text = text.replace(key, key[: key.index(":") + 1])
    path = write(tmp_path, text)
    write(tmp_path, DAILY_MINIMAL, "checklists/daily-room.yaml")
    env = {"SNMP_AUTH": "auth-key-123", "SNMP_PRIV": "priv-key-456", "SNMP_COMMUNITY": "c0mm"}
    loaded = load_site_config(path, env=env)
    assert set(loaded.site.credentials) == {"core-v3", "legacy", "ops"}
    assert len(loaded.site.devices[0].checks) == 10
    assert len(loaded.site.devices[0].actions) == 1
    assert len(loaded.site.maintenance) == 1 and len(loaded.checklists) == 1


DAILY_MINIMAL = """\
id: daily-room
name: 日常巡检
schedule: daily
sections:
  - title: 环境
    items:
      - {id: clean, text: 卫生整洁}
"""


# -- one broken file, every problem reported on its line ----------------------------------

BROKEN = """\
site:
  name: 坏站点
  shifts:
    - {name: 白班, start: "08:30", end: 25:00}   #!bad-time
  colour: blue   #!site-unknown-key
credentials:
  v2:
    snmp: {version: "2c", community: "${MISSING_COMMUNITY}"}   #!env
  ops:
    ssh: {username: ops, client_keys: [k], known_hosts: kh}
zones:
  - {id: ext, name: 外网}
  - {id: ext, name: 重复}   #!dup-zone
devices:
  - id: sw-1
    name: 交换机
    kind: switch
    zone: nowhere   #!unknown-zone
    host: 127.0.0.1
    depends_on: [ghost]   #!unknown-parent
    checks:
      - {id: up, type: snmp, credential: nope, profile: system}   #!undefined-credential
      - {id: temp, type: snmp, credential: ops, oid: 1.3.6.1.2.1.1.3.0}   #!wrong-kind
      - {id: t2, type: snmp, credential: v2, oid: 1.3.6.1.2, warn: "> 40", crit: "> 30"} #!warn-crit
      - {id: t3, type: snmp, credential: v2, oid: 1.3.6.1.2, ok: "27..18"}   #!bad-range
      - {id: up, type: tcp, port: 22}   #!dup-check
      - {id: x, type: smtp}   #!bad-type
    actions:
      - {id: r, label: 重启, credential: ops, command: x, recheck: gone}   #!recheck
  - id: sw-2   #!missing-name
    kind: switch
    zone: ext
    host: 300.1.1.1   #!bad-host
    intervall: 5   #!device-unknown-key
  - id: sw-1   #!dup-device
    name: 重复
    kind: router
    zone: ext
    host: core-1.example
maintenance:
  - {devices: [sw-9], start: 2026-06-13 22:00, end: 2026-06-14 02:00, reason: x}   #!maint
"""

EXPECTED = {  # tag -> (key path, words of the message)
    "bad-time": ("site.shifts[0].end", "'25:00' is not a time of day"),
    "site-unknown-key": ("site.colour", "unknown key"),
    "env": ("credentials.v2.snmp.community", "environment variable MISSING_COMMUNITY is not set"),
    "dup-zone": ("zones[ext].id", "duplicate id 'ext' (first at line 12)"),
    "unknown-zone": ("devices[sw-1].zone", "unknown zone 'nowhere'"),
    "unknown-parent": ("devices[sw-1].depends_on[0]", "unknown device 'ghost'"),
    "undefined-credential": ("devices[sw-1].checks[up].credential", "undefined credential 'nope'"),
    "wrong-kind": ("devices[sw-1].checks[temp].credential", "'ops' has no snmp section"),
    "warn-crit": ("devices[sw-1].checks[t2].warn", "warn '> 40' can never show"),
    "bad-range": ("devices[sw-1].checks[t3].ok", "low end is above the high end"),
    "dup-check": ("devices[sw-1].checks[up].id", "duplicate id 'up' (first at line 22)"),
    "bad-type": ("devices[sw-1].checks[x].type", "unknown type 'smtp'"),
    "recheck": ("devices[sw-1].actions[r].recheck", "this device has no check 'gone'"),
    "missing-name": ("devices[sw-2].name", "required key is missing"),
    "bad-host": ("devices[sw-2].host", "'300.1.1.1' is not a valid IP address"),
    "device-unknown-key": ("devices[sw-2].intervall", "unknown key"),
    "dup-device": ("devices[sw-1].id", "duplicate id 'sw-1' (first at line 15)"),
    "maint": ("maintenance[0].devices[0]", "unknown device 'sw-9'"),
}


def test_a_broken_site_reports_every_error_on_its_line_and_nothing_else(tmp_path: Path) -> None:
    path = write(tmp_path, BROKEN)
    lines = marks(BROKEN)
    found = [i for i in issues(path) if i.severity == "error"]
    got = {(i.line, i.key_path) for i in found}
    want = {(lines[tag], key) for tag, (key, _) in EXPECTED.items()}
    assert got == want
    for tag, (key, words) in EXPECTED.items():
        (issue,) = [i for i in found if (i.line, i.key_path) == (lines[tag], key)]
        assert words in issue.message, tag
        assert str(issue) == f"{path}:{lines[tag]}: {key}: {issue.message}"


# -- rules one at a time -----------------------------------------------------------------


def test_dependency_cycle_is_named_at_the_first_device_in_the_file(tmp_path: Path) -> None:
    text = site_with("""\
      - {id: a, name: A, kind: switch, zone: ext, host: 127.0.0.1, depends_on: [c]}   #!a
      - {id: b, name: B, kind: switch, zone: ext, host: 127.0.0.2, depends_on: [a]}
      - {id: c, name: C, kind: switch, zone: ext, host: 127.0.0.3, depends_on: [b]}
      - {id: d, name: D, kind: switch, zone: ext, host: 127.0.0.4, depends_on: [d]}   #!self
    """)
    by_line = errors_at(write(tmp_path, text))
    lines = marks(text)
    assert [i.message for i in by_line[lines["a"]]] == ["dependency cycle: a -> c -> b -> a"]
    assert [i.message for i in by_line[lines["self"]]] == ["a device cannot depend on itself"]
    assert len(by_line) == 2


@pytest.mark.parametrize(
    ("ok", "warn", "crit", "bad_key"),
    [
        (None, "> 40", "> 30", "warn"),  # every warn value is crit already
        (None, ">= 30", "> 30", None),  # 30 itself is only warn
        (None, "== 3", "!= 4", "warn"),
        (None, "!= 0", "> 5", None),
        ("18..27", "< 18", "> 27", None),
        ("18..27", None, "<= 30", "ok"),  # inverted: every OK value is critical
        ("10..20", "10..15", "15..20", "ok"),  # together warn and crit cover all of ok
        ("10..20", "10..15", "> 15", "ok"),
        ("10..20", "10..15", "16..20", None),  # 15.5 can be OK
    ],
)
def test_contradicting_thresholds(
    tmp_path: Path, ok: str | None, warn: str | None, crit: str | None, bad_key: str | None
) -> None:
    given = ", ".join(f'{k}: "{v}"' for k, v in (("ok", ok), ("warn", warn), ("crit", crit)) if v)
    text = site_with(f"""\
      - id: s
        name: S
        kind: sensor
        zone: ext
        host: 127.0.0.1
        checks:
          - {{id: t, type: snmp, credential: v2, oid: 1.3.6.1.4.1.1.1, {given}}}   #!check
    """)
    path = write(tmp_path, text)
    if bad_key is None:
        load_site(path, env={})
        return
    (issue,) = issues(path)
    assert (issue.line, issue.key_path) == (marks(text)["check"], f"devices[s].checks[t].{bad_key}")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ('"> 30 C"', "is not a range like '18..27' or a comparison like '> 30'"),
        ("30", "a threshold is text like '> 30'"),
        ('"30..18"', "low end is above the high end"),
    ],
)
def test_malformed_thresholds(tmp_path: Path, value: str, words: str) -> None:
    text = site_with(f"""\
      - id: s
        name: S
        kind: sensor
        zone: ext
        host: 127.0.0.1
        checks:
          - id: t
            type: ping
            crit: {value}   #!crit
    """)
    (issue,) = issues(write(tmp_path, text))
    assert issue.line == marks(text)["crit"] and words in issue.message


def test_credential_kinds_for_checks_actions_and_traps(tmp_path: Path) -> None:
    text = site_with(
        """\
      - id: s
        name: S
        kind: server
        zone: ext
        host: srv-1.example.org
        checks:
          - {id: a, type: ssh, credential: v2, command: uptime}   #!ssh-check
          - {id: b, type: snmp, credential: ops, profile: host}   #!snmp-check
        actions:
          - {id: r, label: R, credential: v2, command: reboot}   #!action
    """,
        """\
    traps:
      listen: localhost   #!listen
      credentials: [v2, ops, nobody]   #!traps
    """,
    )
    lines = marks(text)
    got = sorted((i.line, i.key_path, i.message) for i in issues(write(tmp_path, text)))
    assert got == [
        (
            lines["ssh-check"],
            "devices[s].checks[a].credential",
            "credential 'v2' has no ssh section (the check needs one)",
        ),
        (
            lines["snmp-check"],
            "devices[s].checks[b].credential",
            "credential 'ops' has no snmp section (the check needs one)",
        ),
        (
            lines["action"],
            "devices[s].actions[r].credential",
            "credential 'v2' has no ssh section (an action needs one)",
        ),
        (lines["listen"], "traps.listen", "'localhost' is not an IP address"),
        (
            lines["traps"],
            "traps.credentials[1]",
            "credential 'ops' has no snmp section (a trap listener needs one)",
        ),
        (lines["traps"], "traps.credentials[2]", "undefined credential 'nobody'"),
    ]


def test_two_v3_credentials_may_share_a_user_name(tmp_path: Path) -> None:
    text = SITE_HEAD.replace(
        "credentials:\n",
        "credentials:\n"
        "  a: {snmp: {version: 3, user: mon, auth_protocol: SHA, auth_key: aaaaaaaa}}\n"
        "  b: {snmp: {version: 3, user: mon, auth_protocol: MD5, auth_key: bbbbbbbb}}\n",
    )
    site = load_site(write(tmp_path, text), env={})
    assert [c.snmp.user for c in site.credentials.values() if c.snmp] == ["mon", "mon", None]


def test_anchors_and_merge_keys_share_settings(tmp_path: Path) -> None:
    text = site_with("""\
      - id: a
        name: A
        kind: switch
        zone: ext
        host: 127.0.0.1
        checks:
          - &snmp {id: up, type: snmp, credential: v2, port: 1161, profile: system}
          - {<<: *snmp, id: ports, profile: interfaces}
    """)
    checks = load_site(write(tmp_path, text), env={}).devices[0].checks
    assert [(c.id, c.port, c.type) for c in checks] == [
        ("up", 1161, "snmp"),
        ("ports", 1161, "snmp"),
    ]


def test_duplicate_yaml_keys_are_errors_at_the_second_key(tmp_path: Path) -> None:
    text = SITE_HEAD + "  # nothing\nzones:   #!again\n  - {id: z, name: Z}\n"
    (issue,) = issues(write(tmp_path, text))
    assert (issue.line, issue.key_path) == (marks(text)["again"], "zones")
    assert issue.message == "duplicate key (first at line 11)"


def test_times_of_day(tmp_path: Path) -> None:
    text = SITE_HEAD.replace('start: "17:30"', "start: 17:30").replace(  # YAML 1.1: base 60
        'end: "17:30"', 'end: "5:30"'
    )
    with pytest.raises(SiteConfigError) as caught:
        load_site(write(tmp_path, text), env={})
    (issue,) = caught.value.errors
    assert (issue.line, issue.key_path) == (4, "site.shifts[0].end")
    assert issue.message == "'5:30' is not a time of day as HH:MM (00:00 to 23:59)"
    site = load_site(write(tmp_path, SITE_HEAD.replace('start: "17:30"', "start: 17:30")), env={})
    assert str(site.site.shifts[1].start) == "17:30:00"


def test_shift_table_gaps_and_overlaps_are_warnings_not_errors(tmp_path: Path) -> None:
    text = SITE_HEAD.replace('end: "17:30"', 'end: "18:00"').replace('end: "08:30"', 'end: "07:00"')
    loaded = load_site_config(write(tmp_path, text), env={})
    assert [(w.line, w.key_path, w.message) for w in loaded.warnings] == [
        (3, "site.shifts", "no shift covers 07:00-08:30"),
        (3, "site.shifts", "shifts 白班, 夜班 overlap 17:30-18:00"),
    ]
    assert str(loaded.warnings[0]).endswith(":3: site.shifts: warning: no shift covers 07:00-08:30")


def test_calendar_keymap_host_and_tcp_port_rules(tmp_path: Path) -> None:
    text = (
        SITE_HEAD.replace(
            "  shifts:",
            "  calendar: {holidays: [2026-10-01], workdays: [2026-10-01]}   #!calendar\n"
            "  keymap: {ack: A, mute: A}   #!keymap\n"
            "  shifts:",
        )
        + "devices:\n  - {id: d, name: D, kind: ups, zone: ext, host: bad_host!,   #!host\n"
        + "     checks: [{id: t, type: tcp}]}   #!tcp\n"
    )
    lines = marks(text)
    assert sorted((i.line, i.key_path, i.message) for i in issues(write(tmp_path, text))) == [
        (lines["calendar"], "site.calendar.workdays[0]", "2026-10-01 is also listed as a holiday"),
        (lines["keymap"], "site.keymap.mute", "key 'A' is already bound to 'ack'"),
        (lines["host"], "devices[d].host", "'bad_host!' is not an IP address or a host name"),
        (lines["tcp"], "devices[d].checks[t]", "a tcp check needs a port"),
    ]


# -- environment, paths and secrets ------------------------------------------------------


def test_environment_substitution_and_its_escape(tmp_path: Path) -> None:
    text = site_with("""\
      - id: s
        name: "${ROOM} $${NOT_A_VAR}"
        kind: server
        zone: ext
        host: 127.0.0.1
        checks: [{id: c, type: ssh, credential: ops, command: "echo $${HOME}"}]
    """)
    site = load_site(write(tmp_path, text), env={"ROOM": "主机房"})
    assert site.devices[0].name == "主机房 ${NOT_A_VAR}"
    assert site.devices[0].checks[0].command == "echo ${HOME}"  # type: ignore[union-attr]


def test_unset_and_malformed_variables_are_named_at_their_line(tmp_path: Path) -> None:
    text = SITE_HEAD.replace(
        "community: public}",
        'community: "${SNMP_COMMUNITY}"}   #!unset',
    ).replace("username: ops,", 'username: "${bad-name}",   #!malformed\n          ')
    lines = marks(text)
    got = sorted((i.line, i.message) for i in issues(write(tmp_path, text)))
    assert got == [
        (lines["unset"], "environment variable SNMP_COMMUNITY is not set"),
        (lines["malformed"], "malformed ${bad-name}: use ${NAME}, or $${ for $"),
    ]


SECRET_ENV = "Env-S3cret-Auth-Key"
SECRET_LITERAL = "Literal-S3cret-Community"


def test_secrets_never_appear_in_errors(tmp_path: Path) -> None:
    text = site_with(
        """\
      - {id: s, name: S, kind: switch, zone: "${SNMP_AUTH}", host: 127.0.0.1}
    """
    ).replace(
        "community: public}",
        f"community: {SECRET_LITERAL}, user: x}}\n"
        '  v3: {snmp: {version: "3", user: u, auth_protocol: SHA, auth_key: "${SNMP_AUTH}",'
        f" priv_key: {SECRET_LITERAL}}}}}",
    )
    with pytest.raises(SiteConfigError) as caught:
        load_site(write(tmp_path, text), env={"SNMP_AUTH": SECRET_ENV})
    shown = str(caught.value) + repr(caught.value.issues)
    assert "unknown zone '***'" in shown  # the substituted value is masked out
    assert "takes no user" in shown and "go together" in shown
    assert SECRET_ENV not in shown and SECRET_LITERAL not in shown


def test_secrets_never_appear_in_a_loaded_site(tmp_path: Path) -> None:
    text = SITE_HEAD.replace("community: public}", f"community: {SECRET_LITERAL}}}").replace(
        "known_hosts: keys/known_hosts}",
        'known_hosts: keys/known_hosts, password: "${SSH_PASSWORD}"}',
    )
    site = load_site(write(tmp_path, text), env={"SSH_PASSWORD": SECRET_ENV})
    for shown in (repr(site), str(site), site.model_dump_json(), repr(site.model_dump())):
        assert SECRET_ENV not in shown and SECRET_LITERAL not in shown
    ssh = site.credentials["ops"].ssh
    assert ssh is not None and ssh.password is not None
    assert ssh.password.get_secret_value() == SECRET_ENV


def test_paths_resolve_against_the_site_folder_with_home_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    text = SITE_HEAD.replace("[keys/ops]", "[keys/ops, ~/.ssh/id_ed25519, /etc/ops_key]")
    text += "devices:\n  - id: w\n    name: W\n    kind: service\n    zone: ext\n"
    text += "    host: 127.0.0.1\n    checks: [{id: h, type: https, ca_file: ca.pem}]\n"
    site = load_site(write(tmp_path, text, "conf/site.yaml"), env={})
    ssh = site.credentials["ops"].ssh
    assert ssh is not None
    folder = tmp_path / "conf"
    assert ssh.client_keys == [
        folder / "keys/ops",
        tmp_path / "home/.ssh/id_ed25519",
        Path("/etc/ops_key"),
    ]
    assert ssh.known_hosts == folder / "keys/known_hosts"
    assert site.devices[0].checks[0].ca_file == folder / "ca.pem"  # type: ignore[union-attr]
    assert site.source == folder / "site.yaml"


# -- unreadable files --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("site:\n  name: x\n  shifts: [\n", 4, "YAML syntax error"),
        ("site:\n  name: x\n bad: 1\n", 3, "YAML syntax error"),
        ("site:\n  name: a: b\n", 2, "mapping values are not allowed"),
        ("", 1, "the file is empty"),
        ("# only a comment\n", 1, "the file is empty"),
        ("- a\n- b\n", 1, "the top level must be a mapping"),
        ("zones: !!python/object:os.system x\n", 1, "cannot read this value"),
    ],
)
def test_unreadable_yaml(tmp_path: Path, text: str, line: int, words: str) -> None:
    found = issues(write(tmp_path, text))
    assert any(i.line == line and words in i.message for i in found), found


def test_a_missing_file(tmp_path: Path) -> None:
    (issue,) = issues(tmp_path / "nope.yaml")
    assert str(issue) == f"{tmp_path / 'nope.yaml'}: file not found"


def test_yaml_syntax_errors_never_echo_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"credentials:\n  v2: {{snmp: {{community: {SECRET_LITERAL}\n")
    with pytest.raises(SiteConfigError) as caught:
        load_site(path)
    assert "YAML syntax error" in str(caught.value)
    assert SECRET_LITERAL not in str(caught.value)


# -- checklists --------------------------------------------------------------------------

CHECKLIST = """\
id: daily
name: 日常巡检
schedule: hourly   #!schedule
sections:
  - title: 环境
    items:
      - {id: temp, text: 温度, kind: reading, unit: "°C", range: "18..27",
         source: {device: s, check: temp}}
      - {id: rh, text: 湿度, kind: reading, source: {device: ghost, check: x}}   #!ghost
      - {id: door, text: 门禁, source: {device: s, check: nope}}   #!nope
  - title: 消防
    items:
      - {id: temp, text: 重复, kind: text}   #!dup-item
      - {id: panel, text: 面板, kind: choice, choices: [正常]}   #!one-choice
      - {id: note, text: 备注, kind: text, range: "..5"}   #!text-range
"""


def test_checklist_errors_are_reported_in_the_checklist_file(tmp_path: Path) -> None:
    text = site_with(
        """\
      - id: s
        name: S
        kind: sensor
        zone: ext
        host: 127.0.0.1
        checks: [{id: temp, type: snmp, credential: v2, oid: 1.3.6.1.4.1.1.1}]
    """,
        "inspections: [checklists/daily.yaml, checklists/gone.yaml]   #!inspections\n",
    )
    site_path = write(tmp_path, text)
    checklist_path = write(tmp_path, CHECKLIST, "checklists/daily.yaml")
    lines = marks(CHECKLIST)
    got = sorted((i.file, i.line, i.key_path) for i in issues(site_path))
    checklist_file = str(checklist_path)
    assert got == sorted(
        [
            (checklist_file, lines["schedule"], "schedule"),
            (checklist_file, lines["ghost"], "sections[0].items[rh].source.device"),
            (checklist_file, lines["nope"], "sections[0].items[door].source.check"),
            (checklist_file, lines["dup-item"], "sections[1].items[temp].id"),
            (checklist_file, lines["one-choice"], "sections[1].items[panel]"),
            (checklist_file, lines["text-range"], "sections[1].items[note]"),
            (str(site_path), marks(text)["inspections"], "inspections[1]"),
        ]
    )
    missing = [i for i in issues(site_path) if i.key_path == "inspections[1]"]
    assert missing[0].message == f"checklist {tmp_path / 'checklists/gone.yaml'}: file not found"


def test_load_checklist_alone_and_two_templates_with_one_id(tmp_path: Path) -> None:
    good = write(tmp_path, DAILY_MINIMAL, "a.yaml")
    checklist = load_checklist(good)
    assert checklist.source == good and [i.id for i in checklist.items()] == ["clean"]
    assert checklist.item("clean").required and checklist.item("clean").kind == "passfail"
    write(tmp_path, DAILY_MINIMAL, "b.yaml")
    text = SITE_HEAD + "devices: []\ninspections: [a.yaml, b.yaml]\n"
    (issue,) = issues(write(tmp_path, text))
    assert (issue.file, issue.line, issue.key_path) == (str(tmp_path / "b.yaml"), 1, "id")
    assert issue.message == f"checklist id 'daily-room' is also used by {tmp_path / 'a.yaml'}"
    with pytest.raises(SiteConfigError) as caught:
        load_checklist(write(tmp_path, "id: x\nname: y\nschedule: daily\nsections: []\n", "c.yaml"))
    assert [(i.line, i.key_path) for i in caught.value.issues] == [(4, "sections")]


def test_loaded_site_is_a_plain_result() -> None:
    loaded = load_site_config(DEMO, env={})
    assert isinstance(loaded, LoadedSite)
    with pytest.raises(KeyError):
        loaded.checklist("nope")


def test_an_action_no_role_may_run_is_an_error(tmp_path: Path) -> None:
    text = site_with("""\
      - id: s
        name: S
        kind: server
        zone: ext
        host: 127.0.0.1
        actions:
          - {id: a, label: A, credential: ops, command: x, roles: [auditor]}   #!auditor
          - {id: b, label: B, credential: ops, command: x, roles: [admin, auditor]}   #!admin
          - {id: c, label: C, credential: ops, command: x, roles: []}   #!none
          - {id: d, label: D, credential: ops, command: x, roles: [root]}   #!unknown
          - {id: e, label: E, credential: ops, command: x, roles: [auditor, supervisor]}
    """)
    lines = marks(text)
    nobody = "no role listed may run actions (those that may: operator, supervisor)"
    got = sorted((i.line, i.key_path, i.message) for i in issues(write(tmp_path, text)))
    assert got == [
        (lines["auditor"], "devices[s].actions[a].roles", nobody),
        (lines["admin"], "devices[s].actions[b].roles", nobody),
        (lines["none"], "devices[s].actions[c].roles", nobody),
        (
            lines["unknown"],
            "devices[s].actions[d].roles[0]",
            "Input should be 'operator', 'supervisor', 'admin' or 'auditor'",
        ),
    ]
