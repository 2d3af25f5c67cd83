"""Trap decoding from synthetic varbinds, device matching, the re-check helpers and the
receiver's credential set-up (no network here: tests/interop/test_traps.py sends traps)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from checks.trap_decode import (
    ALL_MESSAGE_KEYS,
    KINDS,
    MAX_VARBINDS,
    SNMP_TRAP_COMMUNITY,
    SNMP_TRAP_OID,
    SYS_UPTIME,
    TrapEvent,
    TrapKind,
    clean_text,
    decode,
    devices_at,
    make_event,
)
from checks.trap_usm import engine_id_bytes
from checks.traps import TrapReceiver, fan_out, recheck_on_trap
from data.i18n import catalog
from data.models import Site

LINK_DOWN, LINK_UP, COLD_START = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4", "1.3.6.1.6.3.1.1.5.1"
UPS_TRAPS = "1.3.6.1.2.1.33.2"


def trap(oid: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [(SYS_UPTIME, "4200"), (SNMP_TRAP_OID, oid), *extra]


def site(*hosts: str) -> Site:
    devices = [
        {"id": f"d{i}", "name": f"d{i}", "kind": "switch", "zone": "z", "host": host}
        for i, host in enumerate(hosts)
    ]
    return Site.model_validate(
        {
            "site": {"name": "t", "shifts": [{"name": "d", "start": "08:00", "end": "20:00"}]},
            "zones": [{"id": "z", "name": "Z"}],
            "devices": devices,
        }
    )


KIND_CASES = [
    (COLD_START, "coldStart"),
    ("1.3.6.1.6.3.1.1.5.2", "warmStart"),
    (LINK_DOWN, "linkDown"),
    (LINK_UP, "linkUp"),
    ("1.3.6.1.6.3.1.1.5.5", "authenticationFailure"),
    (f"{UPS_TRAPS}.1", "ups_on_battery"),
    (f"{UPS_TRAPS}.2", "ups_test_completed"),
    (f"{UPS_TRAPS}.3", "ups_alarm_added"),
    (f"{UPS_TRAPS}.4", "ups_alarm_removed"),
    (f".{COLD_START}", "coldStart"),
]


@pytest.mark.parametrize(("oid", "kind"), KIND_CASES)
def test_the_trap_oid_picks_the_kind(oid: str, kind: str) -> None:
    decoded = decode(trap(oid))
    assert decoded.kind == kind
    assert decoded.oid == oid.lstrip(".")
    assert decoded.message_key in ALL_MESSAGE_KEYS
    assert decoded.message and decoded.message != decoded.message_key


def test_an_unknown_oid_is_kept_as_other_with_its_oid() -> None:
    decoded = decode(trap("1.3.6.1.4.1.9.9.41.2.0.1", ("1.3.6.1.4.1.9.9.41.1.2.3.1.2.7", "SYS")))
    assert decoded.kind is TrapKind.OTHER
    assert decoded.oid == "1.3.6.1.4.1.9.9.41.2.0.1"
    assert decoded.message == "SNMP notification 1.3.6.1.4.1.9.9.41.2.0.1"
    assert decoded.varbinds["1.3.6.1.4.1.9.9.41.1.2.3.1.2.7"] == "SYS"


def test_a_notification_without_a_trap_oid_is_other_and_says_so() -> None:
    decoded = decode([(SYS_UPTIME, "1")])
    assert (decoded.kind, decoded.oid, decoded.message_key) == (TrapKind.OTHER, "", "trap.no_oid")


def test_link_down_names_the_interface_by_ifname_first() -> None:
    decoded = decode(
        trap(
            LINK_DOWN,
            ("1.3.6.1.2.1.2.2.1.1.7", "7"),
            ("1.3.6.1.2.1.2.2.1.2.7", "GigabitEthernet0/7"),
            ("1.3.6.1.2.1.31.1.1.1.1.7", "Gi0/7"),
            ("1.3.6.1.2.1.2.2.1.8.7", "2"),
        )
    )
    assert decoded.message == "Link down on Gi0/7"
    params = decoded.message_params
    assert (params["if_index"], params["if_descr"], params["if_oper_status"]) == (
        "7",
        "GigabitEthernet0/7",
        "2",
    )


def test_link_up_falls_back_to_ifdescr_then_to_the_instance_index() -> None:
    with_descr = decode(trap(LINK_UP, ("1.3.6.1.2.1.2.2.1.2.3", "eth2")))
    assert (with_descr.message, with_descr.message_params["if_index"]) == ("Link up on eth2", "3")
    only_status = decode(trap(LINK_UP, ("1.3.6.1.2.1.2.2.1.7.12", "1")))
    assert only_status.message == "Link up on ifIndex 12"
    assert decode(trap(LINK_UP)).message == "Link up on ?"


def test_ups_on_battery_gives_the_minutes_left_when_sent() -> None:
    with_minutes = decode(
        trap(f"{UPS_TRAPS}.1", ("1.3.6.1.2.1.33.1.2.3.0", "12"), ("1.3.6.1.2.1.33.1.2.2.0", "30"))
    )
    assert with_minutes.message == "UPS on battery, about 12 min left"
    assert with_minutes.message_params["seconds_on_battery"] == "30"
    bare = decode(trap(f"{UPS_TRAPS}.1"))
    assert (bare.message_key, bare.message) == ("trap.ups_on_battery.no_estimate", "UPS on battery")


def test_ups_test_completed_reports_the_result_by_name() -> None:
    decoded = decode(
        trap(
            f"{UPS_TRAPS}.2",
            ("1.3.6.1.2.1.33.1.7.3.0", "3"),
            ("1.3.6.1.2.1.33.1.7.4.0", "battery weak"),
        )
    )
    assert decoded.message == "UPS self-test finished: doneError"
    assert decoded.message_params["detail"] == "battery weak"


@pytest.mark.parametrize(
    ("number", "name"), [("3", "upsAlarmLowBattery"), ("24", "upsAlarmTestInProgress")]
)
def test_ups_alarms_name_the_well_known_alarm(number: str, name: str) -> None:
    descr = ("1.3.6.1.2.1.33.1.6.2.1.2.5", f"1.3.6.1.2.1.33.1.6.3.{number}")
    added = decode(trap(f"{UPS_TRAPS}.3", ("1.3.6.1.2.1.33.1.6.2.1.1.5", "5"), descr))
    assert added.message == f"UPS alarm raised: {name}"
    assert added.message_params["alarm_id"] == "5"
    removed = decode(trap(f"{UPS_TRAPS}.4", descr))
    assert removed.message == f"UPS alarm cleared: {name}"


def test_a_vendor_alarm_oid_is_shown_as_is() -> None:
    decoded = decode(trap(f"{UPS_TRAPS}.3", ("1.3.6.1.2.1.33.1.6.2.1.2.9", "1.3.6.1.4.1.534.1")))
    assert decoded.message == "UPS alarm raised: 1.3.6.1.4.1.534.1"


def test_the_trap_community_never_survives_decoding() -> None:
    decoded = decode(trap(COLD_START, (SNMP_TRAP_COMMUNITY, "s3cret-community")))
    assert SNMP_TRAP_COMMUNITY not in decoded.varbinds
    assert "s3cret-community" not in repr(decoded)


def test_hostile_text_is_made_safe_for_a_terminal() -> None:
    decoded = decode(
        trap(
            LINK_DOWN,
            ("1.3.6.1.2.1.31.1.1.1.1.1", "\x1b[2J\x1b]0;pwned\x07Gi1\n"),
            ("1.3.6.1.2.1.2.2.1.2.1", "x" * 5000),
        )
    )
    assert decoded.message_params["port"] == "?[2J?]0;pwned?Gi1?"
    assert len(decoded.varbinds["1.3.6.1.2.1.2.2.1.2.1"]) == 256
    assert clean_text("a\u202eb") == "a?b"  # a bidi override could disguise text
    many = decode(trap(COLD_START, *((f"1.3.6.1.4.1.1.{i}", "v") for i in range(500))))
    assert len(many.varbinds) == MAX_VARBINDS


def test_every_message_key_is_in_both_catalogs_with_the_same_placeholders() -> None:
    assert set(KINDS.values()) | {TrapKind.OTHER} == set(TrapKind)
    field = re.compile(r"{(\w+)}")
    for key in ALL_MESSAGE_KEYS:
        english, chinese = catalog("en")[key], catalog("zh_CN")[key]
        assert set(field.findall(chinese)) == set(field.findall(english)), key


def test_devices_are_matched_by_address_in_site_order() -> None:
    s = site("10.0.0.1", "127.0.0.1", "127.0.0.1", "core.example")
    assert devices_at(s, "127.0.0.1") == ("d1", "d2")
    assert devices_at(s, "10.0.0.2") == ()
    assert devices_at(s, "core.example") == ("d3",)  # a name only matches itself, no DNS
    assert devices_at(site("::1"), "0:0:0:0:0:0:0:1") == ("d0",)


def make(s: Site, source: str) -> TrapEvent:
    at = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return make_event(
        decode(trap(COLD_START)),
        site=s,
        at=at,
        source=(source, 50000),
        version="2c",
        credential="legacy",
    )


def test_an_event_is_in_utc_and_names_its_device_or_none() -> None:
    event = make(site("127.0.0.1"), "127.0.0.1")
    assert event.at == dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.UTC)
    assert event.at.utcoffset() == dt.timedelta(0)
    assert (event.device_id, event.device_ids, event.source_port) == ("d0", ("d0",), 50000)
    stranger = make(site("127.0.0.1"), "127.0.0.9")
    assert (stranger.device_id, stranger.device_ids) == (None, ())


class RecordingScheduler:
    """Stands in for Scheduler.recheck only: what was asked, and one unknown device."""

    def __init__(self, unknown: str = "") -> None:
        self.asked: list[str] = []
        self.unknown = unknown

    def recheck(self, device_id: str, check_id: str | None = None) -> int:
        if device_id == self.unknown:
            raise KeyError(device_id)
        self.asked.append(device_id)
        return 1


def test_recheck_on_trap_rechecks_every_device_at_the_address() -> None:
    scheduler = RecordingScheduler()
    recheck_on_trap(scheduler)(make(site("127.0.0.1", "127.0.0.1"), "127.0.0.1"))
    assert scheduler.asked == ["d0", "d1"]
    recheck_on_trap(scheduler)(make(site("127.0.0.2"), "127.0.0.1"))  # unknown sender
    assert scheduler.asked == ["d0", "d1"]


def test_fan_out_calls_every_handler_even_after_one_fails() -> None:
    scheduler, seen = RecordingScheduler(), list[TrapEvent]()

    def broken(event: Any) -> None:
        raise RuntimeError("handler bug")

    event = make(site("127.0.0.1"), "127.0.0.1")
    fan_out(broken, recheck_on_trap(scheduler), seen.append)(event)
    assert scheduler.asked == ["d0"]
    assert seen == [event]


def test_a_device_the_scheduler_does_not_run_is_skipped_not_raised() -> None:
    scheduler = RecordingScheduler(unknown="d0")
    recheck_on_trap(scheduler)(make(site("127.0.0.1", "127.0.0.1"), "127.0.0.1"))
    assert scheduler.asked == ["d1"]


def v3(key: str, user: str = "mon") -> dict[str, Any]:
    return {"snmp": {"version": "3", "user": user, "auth_protocol": "SHA", "auth_key": key}}


def receiver_for(credentials: dict[str, Any], names: list[str]) -> TrapReceiver:
    return TrapReceiver(
        Site.model_validate(
            {
                "site": {"name": "t", "shifts": [{"name": "d", "start": "08:00", "end": "20:00"}]},
                "zones": [{"id": "z", "name": "Z"}],
                "credentials": credentials,
                "traps": {"credentials": names},
            }
        ),
        lambda event: None,
    )


def test_one_v3_user_name_with_two_key_sets_is_reported_without_the_keys() -> None:
    creds = {"a": v3("first-key-1"), "b": v3("other-key-2"), "c": v3("first-key-1")}
    warnings = receiver_for(creds, ["a", "b", "c"]).warnings
    assert len(warnings) == 1 and "'a'" in warnings[0] and "'b'" in warnings[0]
    assert "first-key-1" not in warnings[0] and "other-key-2" not in warnings[0]
    assert receiver_for(creds, ["a", "c"]).warnings == []  # same keys: no clash


def test_a_trap_credential_must_be_an_snmp_one() -> None:
    ssh = {"ssh": {"username": "ops", "password": "pw-123456", "known_hosts": "/dev/null"}}
    with pytest.raises(ValueError, match="'ops-ssh' is not an SNMP credential"):
        receiver_for({"ops-ssh": ssh}, ["ops-ssh"])
    with pytest.raises(ValueError, match="'missing'"):
        receiver_for({}, ["missing"])


def test_engine_ids_are_taken_as_bytes_or_hex_text() -> None:
    assert engine_id_bytes("0x8000000001020304") == bytes.fromhex("8000000001020304")
    assert engine_id_bytes("80:00:00:00:01") == bytes.fromhex("8000000001")
    assert engine_id_bytes(b"\x80\x00") == b"\x80\x00"
