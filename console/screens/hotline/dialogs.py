"""The hotline's forms: log a call, turn it into an incident, link it to an open incident,
and record a follow-up.

Each is a form dialog of console/dialogs whose submit calls data.records.hotline; a
refusal (a HotlineError naming its field, or several at once) is shown under the fields it
concerns, the first of them focused, and the dialog stays open with everything typed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from console.dialogs.form import Choice, FormDialog
from console.screens.visitors.dialogs import check_phone
from data.errors import DutyDeskError
from data.i18n import t
from data.records.hotline.model import SATISFACTIONS, Call, FollowUp, FollowUpDue
from data.records.incidents.model import CATEGORIES, SEVERITIES, Incident
from widgets.record_form import FormField, RecordForm

Result = TypeVar("Result")
Values = dict[str, str]
# Refusals from the incident book name no field: by their code.
_FIELD_OF_CODE = {"title_required": "title", "bad_severity": "severity", "bad_category": "category"}


def refused_field(error: DutyDeskError) -> str:
    """The form field a refusal is about ("" for the whole form)."""
    if error.code.startswith("phone_"):
        return "phone"
    return str(error.params.get("field") or _FIELD_OF_CODE.get(error.code, ""))


def choices(prefix: str, values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((t(f"{prefix}.{value}"), value) for value in values)


class HotlineForm(FormDialog[Result]):
    """A hotline form dialog: ``perform`` gets the form's values and does the work."""

    def __init__(
        self,
        dialog_id: str,
        title: str,
        fields: Sequence[FormField],
        submit: str,
        perform: Callable[[Values], Awaitable[Result]],
    ) -> None:
        async def run(form: RecordForm) -> Result:
            return await perform(form.values())

        super().__init__(dialog_id, title, fields, Choice(submit, run), field_of=refused_field)


class CallDialog(HotlineForm[Call]):
    """A call in a few keys: Enter moves to the next field, from the last one to Log."""

    def __init__(self, perform: Callable[[Values], Awaitable[Call]]) -> None:
        fields = [
            FormField("caller", t("hotline.field.caller"), required=True),
            FormField("unit", t("hotline.field.unit")),
            FormField(
                "phone",
                t("hotline.field.phone"),
                check=check_phone,
                placeholder=t("hotline.field.phone_hint"),
            ),
            FormField("topic", t("hotline.field.topic"), required=True),
            FormField("action", t("hotline.field.action")),
        ]
        super().__init__("hotline-call", t("hotline.call_title"), fields, t("hotline.log"), perform)


class CallIncidentDialog(HotlineForm[Incident]):
    """The incident a call becomes: titled by its topic, major, the category to choose."""

    def __init__(self, call: Call, perform: Callable[[Values], Awaitable[Incident]]) -> None:
        fields = [
            FormField("title", t("hotline.field.title"), required=True, value=call.topic),
            FormField(
                "severity",
                t("hotline.field.severity"),
                kind="choice",
                choices=choices("incident.severity", SEVERITIES),
                value="major",
                blank=False,
            ),
            FormField(
                "category",
                t("hotline.field.category"),
                kind="choice",
                required=True,
                choices=choices("incident.category", CATEGORIES),
                value="application",
                blank=False,
            ),
        ]
        title = t("hotline.incident_title", topic=call.topic)
        super().__init__("hotline-incident", title, fields, t("hotline.open_incident"), perform)


class LinkDialog(HotlineForm[Call]):
    """Link a call to one of the incidents not closed yet."""

    def __init__(
        self,
        call: Call,
        incidents: Sequence[Incident],
        perform: Callable[[Values], Awaitable[Call]],
    ) -> None:
        options = tuple((f"#{i.id} {i.title}", str(i.id)) for i in incidents)
        fields = [
            FormField(
                "incident",
                t("hotline.field.incident"),
                kind="choice",
                required=True,
                choices=options,
                value=options[0][1] if options else "",
                blank=False,
            )
        ]
        title = t("hotline.link_title", topic=call.topic)
        super().__init__("hotline-link", title, fields, t("hotline.link"), perform)


class FollowUpDialog(HotlineForm[FollowUp]):
    """Whom the desk reached (the caller, unless someone else answered), how satisfied,
    and remarks (required when dissatisfied)."""

    def __init__(self, due: FollowUpDue, perform: Callable[[Values], Awaitable[FollowUp]]) -> None:
        fields = [
            FormField("contact", t("hotline.field.contact"), required=True, value=due.caller),
            FormField(
                "satisfaction",
                t("hotline.field.satisfaction"),
                kind="choice",
                required=True,
                choices=choices("hotline.satisfaction", SATISFACTIONS),
                value="satisfied",
                blank=False,
            ),
            FormField("remarks", t("hotline.field.remarks"), kind="area"),
        ]
        title = t("hotline.followup_title", id=due.incident_id, title=due.title)
        super().__init__("hotline-followup", title, fields, t("hotline.record_followup"), perform)
