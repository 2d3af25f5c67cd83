"""The incident dialogs: open (from an alarm or by hand), respond, timeline entry, escalate
to the vendor, vendor responded, resolve, reopen, and the question before closing.

Each is a form dialog of console/dialogs whose submit calls data.records.incidents; a
refusal (a DutyDeskError: no cause, no vendor, a closed incident...) is shown under the
field it concerns and the dialog stays open with everything typed. The new-incident
dialog also lists past fixes: resolved incidents of the same device and check, and those
whose text matches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input, Select, Static

from console.dialogs.base import dialog_styles
from console.dialogs.form import Choice, FormDialog, field_of_code
from console.screens.incidents.view import past_fixes
from data.accounts import User
from data.desk import Desk
from data.i18n import t
from data.models import Device
from data.records.alarms.model import Alarm
from data.records.assets.model import VendorContact
from data.records.incidents.model import CATEGORIES, SEVERITIES, Incident, severity_for_alarm
from data.records.incidents.search import SimilarIncident
from widgets.record_form import FormField, RecordForm

Perform = Callable[[dict[str, str]], Awaitable[Incident]]
# Which field a refusal is about; anything else is shown under the whole form.
FIELD_OF_CODE = {
    "title_required": "title",
    "bad_severity": "severity",
    "bad_category": "category",
    "no_such_device": "device",
    "cause_required": "cause",
    "solution_required": "solution",
    "text_required": "note",
    "vendor_required": "vendor",
    "bad_vendor_time": "note",
}
# The category an alarm on a device of this kind suggests (the operator may change it).
CATEGORY_OF_KIND = {
    "switch": "network",
    "router": "network",
    "firewall": "network",
    "server": "hardware",
    "storage": "hardware",
    "service": "application",
    "ups": "environment",
    "pdu": "environment",
    "aircon": "environment",
    "sensor": "environment",
    "ids": "security",
    "access": "security",
}
SIMILAR_LIMIT = 5


class IncidentForm(FormDialog[Incident]):
    """An incident's form dialog: ``perform`` does the work with the form's values and
    returns the changed incident; refusals land under the fields of FIELD_OF_CODE."""

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        submit: str,
        perform: Perform,
        dialog_id: str,
        focus_submit: bool = False,
    ) -> None:
        async def run(form: RecordForm) -> Incident:
            return await perform(form.values())

        super().__init__(
            dialog_id,
            title,
            fields,
            Choice(submit, run),
            field_of=field_of_code(FIELD_OF_CODE),
            focus_submit=focus_submit,
        )


def choices(prefix: str, values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((t(f"{prefix}.{value}"), value) for value in values)


class NewIncidentDialog(IncidentForm):
    """Open an incident from ``alarm`` (device, check and message filled in; enter opens
    it) or by hand (e.g. a phone report: caller, department, phone)."""

    CSS_PATH = dialog_styles(Path(__file__).with_name("incident_dialogs.tcss"))

    def __init__(
        self,
        desk: Desk,
        user: User,
        devices: Sequence[Device],
        alarm: Alarm | None = None,
        device_id: str | None = None,
    ) -> None:
        names = {d.id: d.name for d in devices}
        wanted = alarm.device_id if alarm else device_id
        device = next((d for d in devices if d.id == wanted), None)
        severity = severity_for_alarm(alarm.severity) if alarm else "major"
        fields = [
            FormField(
                "title",
                t("incidents.field.title"),
                required=True,
                value=_alarm_title(alarm, names) if alarm else "",
            ),
            FormField(
                "severity",
                t("incidents.field.severity"),
                kind="choice",
                blank=False,
                choices=choices("incident.severity", SEVERITIES),
                value=severity,
            ),
            FormField(
                "category",
                t("incidents.field.category"),
                kind="choice",
                required=True,
                choices=choices("incident.category", CATEGORIES),
                value=CATEGORY_OF_KIND.get(device.kind, "") if device else "",
            ),
        ]
        if alarm is None:
            fields += [
                FormField(
                    "device",
                    t("incidents.field.device"),
                    kind="choice",
                    choices=tuple((f"{d.name} ({d.id})", d.id) for d in devices),
                    value=device.id if device else "",
                ),
                FormField("caller", t("incidents.field.caller_name")),
                FormField("department", t("incidents.field.department")),
                FormField("phone", t("incidents.field.phone")),
                FormField("description", t("incidents.field.description")),
            ]
            title = t("incidents.new_title")
        else:
            title = t(
                "incidents.new_from_alarm",
                device=names.get(alarm.device_id, alarm.device_id),
                check=alarm.check_id,
                message=alarm.message,
            )
        super().__init__(
            title,
            fields,
            t("incidents.open"),
            self._open,
            "incident-new",
            focus_submit=alarm is not None,
        )
        self.desk = desk
        self.user = user
        self.alarm = alarm
        self.device_id = device.id if device else None
        self.check_id = alarm.check_id if alarm else None
        self.similar: list[SimilarIncident] = []  # the past fixes shown

    def compose_extra(self) -> ComposeResult:
        with VerticalScroll(id="incident-similar"):
            yield Static("", id="incident-similar-text")

    def on_mount(self) -> None:
        super().on_mount()
        self.look_up(self.alarm.message if self.alarm else "")

    @on(Input.Changed, "#field-title")
    @on(Select.Changed, "#field-device")
    def _edited(self) -> None:
        values = self.form.values()
        if self.alarm is None:
            self.device_id = values.get("device") or None
        self.look_up(values.get("title", ""))

    @work(exclusive=True, group="incident-similar")
    async def look_up(self, text: str) -> None:
        book = self.desk.incidents
        found = await book.similar(self.device_id, self.check_id, text, SIMILAR_LIMIT)
        self.similar = found
        text_widget = self.query_one("#incident-similar-text", Static)
        text_widget.update(past_fixes(found, self.desk.site.site.tz))

    async def _open(self, values: dict[str, str]) -> Incident:
        book = self.desk.incidents
        severity, category, title = values["severity"], values["category"], values["title"]
        if self.alarm is not None:
            return await book.open_from_alarm(self.user, self.alarm, severity, category, title)
        return await book.open_manual(
            self.user,
            title,
            severity,
            category,
            device_id=values["device"] or None,
            caller=values["caller"],
            department=values["department"],
            phone=values["phone"],
            description=values["description"],
        )


def _alarm_title(alarm: Alarm, names: dict[str, str]) -> str:
    return f"{names.get(alarm.device_id, alarm.device_id)} {alarm.check_id}: {alarm.message}"[:200]


def note_dialog(
    title: str,
    label: str,
    perform: Callable[[str], Awaitable[Incident]],
    dialog_id: str,
    required: bool = True,
) -> IncidentForm:
    """One line of text (a response, a timeline entry, a reason, a vendor's answer)."""

    async def run(values: dict[str, str]) -> Incident:
        return await perform(values["note"])

    fields = [FormField("note", label, required=required)]
    return IncidentForm(title, fields, t("incidents.save"), run, dialog_id)


def escalate_dialog(
    desk: Desk, user: User, incident: Incident, vendor: VendorContact | None = None
) -> IncidentForm:
    """Vendor and contact start as the device's asset data (vendor; contact and hotline);
    ``vendor`` (the asset register's) puts the maintenance contract's hotline and support
    level in the contact and names the contract in the title."""
    book = desk.incidents
    asset = book.asset_of(incident.device_id)
    hotline = vendor.contact if vendor is not None and vendor.contact else asset.support
    contact = " / ".join(x for x in (asset.contact, hotline) if x)
    named = vendor.vendor if vendor is not None else ""
    fields = [
        FormField(
            "vendor",
            t("incidents.field.vendor"),
            required=True,
            value=incident.vendor or named or asset.vendor or "",
        ),
        FormField(
            "contact", t("incidents.field.contact"), value=incident.vendor_contact or contact
        ),
        FormField("ticket", t("incidents.field.ticket"), value=incident.vendor_ticket or ""),
        FormField("note", t("incidents.field.note")),
    ]

    async def run(values: dict[str, str]) -> Incident:
        return await book.escalate(
            user, incident.id, values["vendor"], values["contact"], values["ticket"], values["note"]
        )

    title = t("incidents.escalate_title", id=incident.id, title=incident.title)
    if vendor is not None and vendor.contract_number:
        terms = t(
            "incidents.vendor_contract",
            number=vendor.contract_number,
            hotline=vendor.hotline or "-",
            level=vendor.support_level or "-",
        )
        title = f"{title}\n{terms}"
    return IncidentForm(title, fields, t("incidents.escalate"), run, "incident-escalate")


def resolve_dialog(desk: Desk, user: User, incident: Incident) -> IncidentForm:
    """Cause and solution, both required: the next operator reuses them."""
    book = desk.incidents
    fields = [
        FormField("cause", t("incidents.field.cause"), required=True, value=incident.cause or ""),
        FormField(
            "solution", t("incidents.field.solution"), required=True, value=incident.solution or ""
        ),
    ]

    async def run(values: dict[str, str]) -> Incident:
        return await book.resolve(user, incident.id, values["cause"], values["solution"])

    title = t("incidents.resolve_title", id=incident.id, title=incident.title)
    return IncidentForm(title, fields, t("incidents.resolve"), run, "incident-resolve")


def close_dialog(desk: Desk, user: User, incident: Incident, alarm: Alarm | None) -> IncidentForm:
    """Closing asks first (enter closes, Esc keeps it resolved), and says so when the
    incident's alarm is still active: the fault may not be over."""
    book = desk.incidents
    question = t("incidents.close_title", id=incident.id, title=incident.title)
    if alarm is not None:
        names = {device.id: device.name for device in desk.site.devices}
        device = names.get(alarm.device_id, alarm.device_id)
        warning = t(
            "incidents.close_alarm_active",
            device=device,
            check=alarm.check_id,
            message=alarm.message,
        )
        question += "\n" + warning

    async def run(_: dict[str, str]) -> Incident:
        return await book.close(user, incident.id)

    return IncidentForm(question, [], t("incidents.close"), run, "incident-close", True)


def incident_dialog(
    desk: Desk, user: User, incident: Incident, make: str, vendor: VendorContact | None = None
) -> IncidentForm:
    """The dialog of one step: ``respond``, ``entry``, ``escalate`` (``vendor``: whom the
    asset register names), ``vendor_responded``, ``resolve`` or ``reopen``."""
    if make == "escalate":
        return escalate_dialog(desk, user, incident, vendor)
    if make == "resolve":
        return resolve_dialog(desk, user, incident)
    book = desk.incidents
    perform = {
        "respond": lambda text: book.respond(user, incident.id, text),
        "entry": lambda text: book.add_entry(user, incident.id, text),
        "vendor_responded": lambda text: book.vendor_responded(user, incident.id, note=text),
        "reopen": lambda text: book.reopen(user, incident.id, text),
    }[make]
    title = t(f"incidents.{make}_title", id=incident.id, title=incident.title)
    label = t("incidents.field.reason" if make == "reopen" else "incidents.field.note")
    return note_dialog(title, label, perform, f"incident-{make}", make != "vendor_responded")
