"""Pydantic models of site.yaml: the validated ``Site`` every layer works from.

These models check each value on its own; the rules that need the whole file (unknown
zones, duplicate ids, dependency cycles, undefined credentials) live in
``data.site_rules`` so that every one of them can be reported with its line at once.
Secrets are ``SecretStr``: their repr, str and any dump show ``**********``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

from data.device_templates import DeviceTemplate, shipped_templates
from data.thresholds import Threshold

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Ident = Annotated[str, Field(pattern=ID_PATTERN)]
Role = Literal["operator", "supervisor", "admin", "auditor"]
DeviceKind = Literal[
    "switch",
    "router",
    "firewall",
    "ids",
    "server",
    "storage",
    "ups",
    "pdu",
    "aircon",
    "sensor",
    "service",
    "access",
]
Seconds = Annotated[float, Field(gt=0, le=86400)]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_OID = re.compile(r"^\.?[0-2](\.\d+)+$")


class Strict(BaseModel):
    """Base: unknown keys are errors, models are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _clock(value: object) -> dt.time:
    # YAML 1.1 reads an unquoted 08:30 as the sexagesimal int 510: accept it back.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)
    if isinstance(value, str) and _HHMM.match(value):
        return dt.time.fromisoformat(value)
    raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)")


class Shift(Strict):
    name: str = Field(min_length=1)
    start: dt.time
    end: dt.time

    _parse = field_validator("start", "end", mode="before")(lambda v: _clock(v))

    @model_validator(mode="after")
    def _not_empty(self) -> Shift:
        if self.start == self.end:
            raise ValueError("a shift's start and end must differ")
        return self


class AssurancePeriod(Strict):
    """A national holiday or major event under assurance (重大节假日保障): every shift of
    its days needs ``min_on_duty`` people on the roster, ``leader`` is on call, and check
    intervals are multiplied by ``interval_factor``; an inspection checklist with
    ``schedule: pre_assurance`` is due the day before ``start``. ``start`` and ``end`` are
    both included."""

    name: str = Field(min_length=1)
    kind: Literal["holiday", "event"] = "holiday"
    start: dt.date
    end: dt.date
    leader: str = Field(min_length=1)
    leader_phone: str = ""
    min_on_duty: int = Field(default=2, ge=2, le=10)
    interval_factor: float = Field(default=0.5, gt=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> AssurancePeriod:
        if self.end < self.start:
            raise ValueError("an assurance period must not end before it starts")
        return self

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class Calendar(Strict):
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []  # adjusted working days (调休) that fall on a weekend
    assurance: list[AssurancePeriod] = []

    @model_validator(mode="after")
    def _periods_apart(self) -> Calendar:
        ordered = sorted(self.assurance, key=lambda period: period.start)
        for earlier, later in itertools.pairwise(ordered):
            if later.start <= earlier.end:
                raise ValueError(
                    f"assurance periods {earlier.name!r} and {later.name!r} overlap"
                    f" ({later.start} is within {earlier.start}..{earlier.end})"
                )
        return self


class ResponseHours(Strict):
    workday: float = Field(default=1.0, gt=0, le=720)
    non_workday: float = Field(default=3.0, gt=0, le=720)


class SiteInfo(Strict):
    name: str = Field(min_length=1)
    timezone: str = "Asia/Shanghai"
    language: Literal["zh_CN", "en"] | None = None
    shifts: list[Shift] = Field(min_length=1)
    calendar: Calendar = Calendar()
    response_hours: ResponseHours = ResponseHours()
    idle_lock_minutes: int = Field(default=10, ge=1, le=240)
    # MLPS level 3: a password older than this must be changed at the next console login.
    password_max_age_days: int = Field(default=90, ge=1, le=3650)
    problem_age_days: int = Field(default=7, ge=1, le=365)
    keymap: dict[str, str] = {}  # binding id -> key, e.g. {ack: "A"}
    pdf_font: Path | None = None  # a TrueType CJK font for PDF exports (else found or built-in)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name)") from None
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class SnmpCredential(Strict):
    version: Literal["1", "2c", "3"]
    community: SecretStr | None = None
    user: str | None = None
    auth_protocol: Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"] | None = None
    auth_key: SecretStr | None = None
    priv_protocol: Literal["DES", "AES", "AES128", "AES192", "AES256"] | None = None
    priv_key: SecretStr | None = None
    context: str = ""

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) else v  # `version: 3` unquoted

    @model_validator(mode="after")
    def _consistent(self) -> SnmpCredential:
        if self.version in ("1", "2c"):
            if self.community is None:
                raise ValueError(f"SNMP v{self.version} needs a community")
            if self.user or self.auth_key or self.priv_key:
                raise ValueError(f"SNMP v{self.version} takes no user, auth_key or priv_key")
            return self
        if not self.user:
            raise ValueError("SNMP v3 needs a user")
        if (self.auth_protocol is None) != (self.auth_key is None):
            raise ValueError("auth_protocol and auth_key go together")
        if (self.priv_protocol is None) != (self.priv_key is None):
            raise ValueError("priv_protocol and priv_key go together")
        if self.priv_key is not None and self.auth_key is None:
            raise ValueError("privacy (priv_key) needs authentication (auth_key) too")
        for key in (self.auth_key, self.priv_key):
            if key is not None and len(key.get_secret_value()) < 8:
                raise ValueError("SNMP v3 keys must be at least 8 characters")
        return self

    @property
    def security_level(self) -> str:
        if self.version != "3":
            return "community"
        if self.priv_key is not None:
            return "authPriv"
        return "authNoPriv" if self.auth_key is not None else "noAuthNoPriv"


class SshCredential(Strict):
    username: str = Field(min_length=1)
    password: SecretStr | None = None
    client_keys: list[Path] = []
    passphrase: SecretStr | None = None
    known_hosts: Path  # required: host keys are always verified

    @model_validator(mode="after")
    def _some_auth(self) -> SshCredential:
        if self.password is None and not self.client_keys:
            raise ValueError("an ssh credential needs client_keys or a password")
        return self


class Credential(Strict):
    snmp: SnmpCredential | None = None
    ssh: SshCredential | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Credential:
        if self.snmp is None and self.ssh is None:
            raise ValueError("a credential needs an snmp or an ssh section")
        return self


class Zone(Strict):
    id: Ident
    name: str = Field(min_length=1)


class Location(Strict):
    room: str | None = None
    row: str | None = None
    rack: str | None = None
    u: int | None = Field(default=None, ge=1, le=60)


class Asset(Strict):
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    warranty_until: dt.date | None = None
    support: str | None = None  # vendor hotline
    contact: str | None = None


class CheckBase(Strict):
    id: Ident
    port: int | None = Field(default=None, ge=1, le=65535)
    interval: Seconds = 60.0
    retry_interval: Seconds = 15.0
    max_attempts: int = Field(default=3, ge=1, le=20)
    timeout: Annotated[float, Field(gt=0, le=300)] = 5.0
    ok: Threshold | None = None
    warn: Threshold | None = None
    crit: Threshold | None = None
    unit: str | None = None

    @field_validator("ok", "warn", "crit", mode="before")
    @classmethod
    def _threshold(cls, v: object) -> object:
        if v is None or isinstance(v, Threshold):
            return v
        if isinstance(v, int | float) and not isinstance(v, bool):
            raise ValueError(f"a threshold is text like '> {v}' or '..{v}', not a bare number")
        if not isinstance(v, str):
            raise ValueError("a threshold is text like '18..27' or '> 30'")
        return Threshold.parse(v)


class SnmpCheck(CheckBase):
    type: Literal["snmp"]
    credential: str
    template: Ident | None = None  # a device template (data.device_templates), by name
    profile: Ident | None = None  # the older spelling of template
    oid: str | None = None
    walk: str | None = None
    aggregate: Literal["max", "min", "sum", "count"] = "max"
    scale: float = 1.0
    retries: int = Field(default=2, ge=0, le=5)

    @field_validator("oid", "walk")
    @classmethod
    def _dotted(cls, v: str | None) -> str | None:
        if v is not None and not _OID.match(v):
            raise ValueError(f"{v!r} is not a numeric OID like 1.3.6.1.2.1.1.3.0")
        return v.lstrip(".") if v else v

    @model_validator(mode="after")
    def _one_target(self) -> SnmpCheck:
        given = [k for k in ("template", "profile", "oid", "walk") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an snmp check needs exactly one of template, oid or walk")
        return self

    @property
    def template_name(self) -> str | None:
        """The device template this check runs (``profile:`` is the older spelling)."""
        return self.template or self.profile


class SshExpect(Strict):
    exit_status: int | None = 0
    stdout: str | None = None  # a regular expression searched in the output

    @field_validator("stdout")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as e:
                raise ValueError(f"bad regular expression: {e}") from None
        return v


class SshCheck(CheckBase):
    type: Literal["ssh"]
    credential: str
    command: str = Field(min_length=1)
    expect: SshExpect = SshExpect()
    parser: Literal["df", "load", "memory", "systemd"] | None = None


class TcpCheck(CheckBase):
    type: Literal["tcp"]


class HttpCheck(CheckBase):
    type: Literal["http", "https"]
    path: str = "/"
    status: list[int] = [200]
    body: str | None = None  # a regular expression the body must match
    ca_file: Path | None = None
    verify: bool = True
    cert_warn_days: int = Field(default=21, ge=0)
    cert_crit_days: int = Field(default=7, ge=0)

    @field_validator("status", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, int) else v


class PingCheck(CheckBase):
    type: Literal["ping"]
    count: int = Field(default=3, ge=1, le=20)


Check = Annotated[
    SnmpCheck | SshCheck | TcpCheck | HttpCheck | PingCheck, Field(discriminator="type")
]
DEFAULT_PORTS = {"snmp": 161, "ssh": 22, "http": 80, "https": 443}


class Action(Strict):
    id: Ident
    label: str = Field(min_length=1)
    credential: str
    command: str = Field(min_length=1)  # fixed here; never typed at the console
    roles: list[Role] = ["operator", "supervisor"]
    recheck: str | None = None
    timeout: Annotated[float, Field(gt=0, le=600)] = 60.0
    dangerous: bool = False


class Device(Strict):
    id: Ident
    name: str = Field(min_length=1)
    kind: DeviceKind
    zone: str
    host: str = Field(min_length=1)
    location: Location = Location()
    asset: Asset = Asset()
    depends_on: list[str] = []
    checks: list[Check] = []
    actions: list[Action] = []

    def check(self, check_id: str) -> SnmpCheck | SshCheck | TcpCheck | HttpCheck | PingCheck:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)


class MaintenanceWindow(Strict):
    devices: list[str] = Field(min_length=1)
    start: dt.datetime
    end: dt.datetime
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindow:
        if self.end <= self.start:
            raise ValueError("a maintenance window must end after it starts")
        return self


class Traps(Strict):
    port: int = Field(default=1162, ge=1, le=65535)
    listen: str = "127.0.0.1"
    credentials: list[str] = []  # SNMP credentials accepted for incoming notifications
    engine_ids: list[str] = []  # known v3 sender engine ids (hex), e.g. "0x8000..."
    learn_engine_ids: bool = True  # accept a new v3 engine id when its digest verifies


class DrillDue(Strict):
    """One entry of the year's drill plan (年度演练计划): a plan to drill by a month's end."""

    plan: Ident  # an emergency plan's id (checked against the plans at load)
    month: int = Field(ge=1, le=12)


class Emergency(Strict):
    """Emergency plans (data.emergency_plans): their files and the year's drill plan."""

    plans: list[Path] = []  # plan files, resolved like inspections; none: the shipped ones
    drills: list[DrillDue] = []


class WatchSettings(Strict):
    """The watch service (``dutydesk serve``): one active watch per store, by lease."""

    heartbeat_seconds: float = Field(default=2.0, ge=0.2, le=60)
    # A standby takes over once the holder's heartbeat is older than this (Zabbix HA: >= 10 s).
    failover_seconds: float = Field(default=10.0, ge=1, le=600)

    @model_validator(mode="after")
    def _beats_within_failover(self) -> WatchSettings:
        if self.failover_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("failover_seconds must be at least twice heartbeat_seconds")
        return self


class Site(Strict):
    site: SiteInfo
    credentials: dict[str, Credential] = {}
    zones: list[Zone] = Field(min_length=1)
    devices: list[Device] = []
    maintenance: list[MaintenanceWindow] = []
    traps: Traps = Traps()
    inspections: list[Path] = []  # resolved against the site file's folder at load
    emergency: Emergency = Emergency()
    watch: WatchSettings = WatchSettings()

    _source: Path | None = PrivateAttr(default=None)
    # the site's own templates/ beside site.yaml, set at load (data.config)
    _templates: dict[str, DeviceTemplate] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> Path | None:
        """The site.yaml this was loaded from (None when built in code)."""
        return self._source

    @property
    def templates(self) -> dict[str, DeviceTemplate]:
        """Device templates by name: the shipped ones, and the site's own over them."""
        return {**shipped_templates(), **self._templates}

    def device(self, device_id: str) -> Device:
        for d in self.devices:
            if d.id == device_id:
                return d
        raise KeyError(device_id)
