"""What a received SNMP notification means: pure functions from varbinds to a ``TrapEvent``.

The receiver (``checks.traps``) hands over the varbinds as (dotted OID, text) pairs; here
``snmpTrapOID.0`` picks the kind (linkDown/linkUp, coldStart/warmStart,
authenticationFailure, the four UPS-MIB traps, else ``other`` with its OID) and the known
varbinds become named parameters for a short operator message. The message comes in
English (``message``) and as a catalog key with parameters (``message_key``,
``message_params``) for ``data.i18n.t``.

What a sender puts in a trap is untrusted text shown on an operator's terminal: control
and formatting characters are replaced, values are cut to a bounded length and only so
many varbinds are kept. ``snmpTrapCommunity.0`` (pysnmp adds it when it turns a v1 trap
into a v2 one) holds the community string and is never kept.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from data.i18n import catalog
from data.models import Site

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"  # a secret: dropped from every event
MAX_VARBINDS = 64
MAX_VALUE_CHARS = 256

IF_INDEX, IF_DESCR = "1.3.6.1.2.1.2.2.1.1.", "1.3.6.1.2.1.2.2.1.2."
IF_ADMIN, IF_OPER = "1.3.6.1.2.1.2.2.1.7.", "1.3.6.1.2.1.2.2.1.8."
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1."
UPS_SECONDS_ON_BATTERY = "1.3.6.1.2.1.33.1.2.2.0"
UPS_MINUTES_REMAINING = "1.3.6.1.2.1.33.1.2.3.0"
UPS_TEST_SUMMARY = "1.3.6.1.2.1.33.1.7.3.0"
UPS_TEST_DETAIL = "1.3.6.1.2.1.33.1.7.4.0"
UPS_ALARM_DESCR = "1.3.6.1.2.1.33.1.6.2.1.2."  # .alarmId; the value is a well-known alarm OID
UPS_WELL_KNOWN_ALARMS = "1.3.6.1.2.1.33.1.6.3."


class TrapKind(StrEnum):
    LINK_DOWN = "linkDown"
    LINK_UP = "linkUp"
    COLD_START = "coldStart"
    WARM_START = "warmStart"
    AUTHENTICATION_FAILURE = "authenticationFailure"
    UPS_ON_BATTERY = "ups_on_battery"
    UPS_TEST_COMPLETED = "ups_test_completed"
    UPS_ALARM_ADDED = "ups_alarm_added"
    UPS_ALARM_REMOVED = "ups_alarm_removed"
    OTHER = "other"


KINDS = {
    "1.3.6.1.6.3.1.1.5.1": TrapKind.COLD_START,
    "1.3.6.1.6.3.1.1.5.2": TrapKind.WARM_START,
    "1.3.6.1.6.3.1.1.5.3": TrapKind.LINK_DOWN,
    "1.3.6.1.6.3.1.1.5.4": TrapKind.LINK_UP,
    "1.3.6.1.6.3.1.1.5.5": TrapKind.AUTHENTICATION_FAILURE,
    "1.3.6.1.2.1.33.2.1": TrapKind.UPS_ON_BATTERY,
    "1.3.6.1.2.1.33.2.2": TrapKind.UPS_TEST_COMPLETED,
    "1.3.6.1.2.1.33.2.3": TrapKind.UPS_ALARM_ADDED,
    "1.3.6.1.2.1.33.2.4": TrapKind.UPS_ALARM_REMOVED,
}
MESSAGE_KEYS = {
    TrapKind.LINK_DOWN: "trap.link_down",
    TrapKind.LINK_UP: "trap.link_up",
    TrapKind.COLD_START: "trap.cold_start",
    TrapKind.WARM_START: "trap.warm_start",
    TrapKind.AUTHENTICATION_FAILURE: "trap.authentication_failure",
    TrapKind.UPS_ON_BATTERY: "trap.ups_on_battery",
    TrapKind.UPS_TEST_COMPLETED: "trap.ups_test_completed",
    TrapKind.UPS_ALARM_ADDED: "trap.ups_alarm_added",
    TrapKind.UPS_ALARM_REMOVED: "trap.ups_alarm_removed",
    TrapKind.OTHER: "trap.other",
}
NO_ESTIMATE_KEY, NO_OID_KEY = "trap.ups_on_battery.no_estimate", "trap.no_oid"
ALL_MESSAGE_KEYS = (*MESSAGE_KEYS.values(), NO_ESTIMATE_KEY, NO_OID_KEY)
UPS_TEST_RESULTS = {
    "1": "donePass",
    "2": "doneWarning",
    "3": "doneError",
    "4": "aborted",
    "5": "inProgress",
    "6": "noTestsInitiated",
}
# upsWellKnownAlarms .1 to .24 (RFC 1628), in order
UPS_ALARMS = (
    "BatteryBad",
    "OnBattery",
    "LowBattery",
    "DepletedBattery",
    "TempBad",
    "InputBad",
    "OutputBad",
    "OutputOverload",
    "OnBypass",
    "BypassBad",
    "OutputOffAsRequested",
    "UpsOffAsRequested",
    "ChargerFailed",
    "UpsOutputOff",
    "UpsSystemOff",
    "FanFailure",
    "FuseFailure",
    "GeneralFault",
    "DiagnosticTestFailed",
    "CommunicationsLost",
    "AwaitingPower",
    "ShutdownPending",
    "ShutdownImminent",
    "TestInProgress",
)


@dataclass(frozen=True)
class Decoded:
    kind: TrapKind
    oid: str  # the snmpTrapOID.0 value; "" when the notification carried none
    message_key: str
    message_params: dict[str, str]
    varbinds: dict[str, str]

    @property
    def message(self) -> str:
        return english(self.message_key, self.message_params)


@dataclass(frozen=True)
class TrapEvent:
    """One accepted notification. ``credential`` is the site.yaml credential's NAME, never
    a community or key; ``user`` is the v3 user name (None for v1/v2c)."""

    at: dt.datetime  # UTC, when it was received
    source_ip: str
    source_port: int
    device_id: str | None  # the first device whose host is the source address
    kind: TrapKind
    oid: str
    message: str  # English; the console shows t(message_key, **message_params)
    message_key: str
    message_params: dict[str, str]
    varbinds: dict[str, str]
    version: str  # "1", "2c" or "3"
    credential: str
    user: str | None = None
    device_ids: tuple[str, ...] = field(default=())  # every device at that address


def english(key: str, params: dict[str, str]) -> str:
    return catalog("en").get(key, key).format_map(_Lenient(params))


class _Lenient(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def clean_text(value: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Safe to show on a terminal: no escape sequences, bidi overrides or newlines."""
    kept = "".join("?" if unicodedata.category(c).startswith("C") else c for c in value)
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"


def _suffix(oid: str, prefix: str) -> str | None:
    return oid[len(prefix) :] if oid.startswith(prefix) and len(oid) > len(prefix) else None


def _interface_params(varbinds: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for oid, value in varbinds.items():
        for prefix, name in (
            (IF_INDEX, "if_index"),
            (IF_DESCR, "if_descr"),
            (IF_NAME, "if_name"),
            (IF_ADMIN, "if_admin_status"),
            (IF_OPER, "if_oper_status"),
        ):
            index = _suffix(oid, prefix)
            if index is None:
                continue
            found[name] = value
            if name != "if_index":
                found.setdefault("if_index", index)  # the instance is the ifIndex
    index = found.get("if_index")
    fallback = f"ifIndex {index}" if index else "?"
    found["port"] = found.get("if_name") or found.get("if_descr") or fallback
    return found


def _alarm_name(descr: str) -> str:
    """upsAlarmDescr names a well-known alarm by OID; a vendor's own OID is shown as is."""
    number = _suffix(descr, UPS_WELL_KNOWN_ALARMS) or ""
    if number.isdigit() and 1 <= int(number) <= len(UPS_ALARMS):
        return f"upsAlarm{UPS_ALARMS[int(number) - 1]}"
    return descr


def _ups_params(kind: TrapKind, varbinds: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    if UPS_MINUTES_REMAINING in varbinds:
        found["minutes"] = varbinds[UPS_MINUTES_REMAINING]
    if UPS_SECONDS_ON_BATTERY in varbinds:
        found["seconds_on_battery"] = varbinds[UPS_SECONDS_ON_BATTERY]
    if kind is TrapKind.UPS_TEST_COMPLETED:
        summary = varbinds.get(UPS_TEST_SUMMARY, "")
        found["result"] = UPS_TEST_RESULTS.get(summary, summary or "?")
        if varbinds.get(UPS_TEST_DETAIL):
            found["detail"] = varbinds[UPS_TEST_DETAIL]
    for oid, value in varbinds.items():
        alarm_id = _suffix(oid, UPS_ALARM_DESCR)
        if alarm_id is None:
            continue
        found["alarm"], found["alarm_id"] = _alarm_name(value), alarm_id
    if kind in (TrapKind.UPS_ALARM_ADDED, TrapKind.UPS_ALARM_REMOVED):
        found.setdefault("alarm", "?")
    return found


def decode(varbinds: Sequence[tuple[str, str]]) -> Decoded:
    """Kind, message and cleaned varbinds of one notification (never raises on content)."""
    kept: dict[str, str] = {}
    for oid, value in varbinds:
        oid = oid.strip().lstrip(".")
        if oid != SNMP_TRAP_COMMUNITY and len(kept) < MAX_VARBINDS:
            kept[clean_text(oid, 128)] = clean_text(value)
    trap_oid = kept.get(SNMP_TRAP_OID, "").lstrip(".")
    kind = KINDS.get(trap_oid, TrapKind.OTHER)
    params: dict[str, str] = {}
    key = MESSAGE_KEYS[kind]
    if kind in (TrapKind.LINK_DOWN, TrapKind.LINK_UP):
        params = _interface_params(kept)
    elif kind.value.startswith("ups_"):
        params = _ups_params(kind, kept)
        if kind is TrapKind.UPS_ON_BATTERY and not params.get("minutes"):
            key = NO_ESTIMATE_KEY
    elif kind is TrapKind.OTHER:
        params = {"oid": trap_oid}
        key = MESSAGE_KEYS[kind] if trap_oid else NO_OID_KEY
    return Decoded(kind, trap_oid, key, params, kept)


def _same_address(host: str, address: str) -> bool:
    try:
        return ipaddress.ip_address(host) == ipaddress.ip_address(address)
    except ValueError:  # a host name: only an exact match counts (no DNS lookups here)
        return host == address


def devices_at(site: Site, address: str) -> tuple[str, ...]:
    """Ids of the devices whose ``host`` is this address, in site.yaml order."""
    return tuple(d.id for d in site.devices if _same_address(d.host, address))


def make_event(
    decoded: Decoded,
    *,
    site: Site,
    at: dt.datetime,
    source: tuple[str, int],
    version: str,
    credential: str,
    user: str | None = None,
) -> TrapEvent:
    found = devices_at(site, source[0])
    return TrapEvent(
        at=at.astimezone(dt.UTC),
        source_ip=source[0],
        source_port=source[1],
        device_id=found[0] if found else None,
        kind=decoded.kind,
        oid=decoded.oid,
        message=decoded.message,
        message_key=decoded.message_key,
        message_params=decoded.message_params,
        varbinds=decoded.varbinds,
        version=version,
        credential=credential,
        user=user,
        device_ids=found,
    )
