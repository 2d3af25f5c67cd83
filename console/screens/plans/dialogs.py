"""The plan dialogs: start a plan for an incident, start a drill, log a step (done, or
skipped with a reason), and close a drill with its participants, findings and follow-ups.

Each is a form dialog of console/dialogs whose choice calls data.records.emergency; a
refusal is shown under the field it names (``field`` of the error), the dialog stays open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from console.dialogs.base import Dialog
from console.dialogs.form import Choice, FormDialog
from console.screens.plans.view import plan_text
from data.accounts import User
from data.desk import Desk
from data.emergency_plans import EmergencyPlan
from data.errors import DutyDeskError
from data.i18n import t
from data.records.emergency.model import PlanRun
from widgets.key_footer import KeyFooter
from widgets.record_form import FormField, RecordForm

# The plan an incident of this category suggests first (the operator may choose another).
TRIGGER_OF_CATEGORY = {
    "network": "network",
    "hardware": "hardware",
    "application": "application",
    "environment": "power",
    "security": "security",
}


def field_named(refused: DutyDeskError) -> str:
    """A refusal's field as data/ named it (validation errors carry ``field``)."""
    return str(refused.params.get("field", ""))


def lines(text: str) -> list[str]:
    return text.splitlines()


def plan_choices(plans: Sequence[EmergencyPlan]) -> tuple[tuple[str, str], ...]:
    return tuple((plan.name, plan.id) for plan in plans)


def suggested_plan(plans: Sequence[EmergencyPlan], category: str) -> str:
    kind = TRIGGER_OF_CATEGORY.get(category)
    chosen = next((p for p in plans if p.trigger_kind == kind), None) or plans[0]
    return chosen.id


class PlanForm(FormDialog[PlanRun]):
    """A plan dialog: ``perform`` does the work with the form and returns the run."""

    def __init__(
        self,
        dialog_id: str,
        title: str,
        fields: Sequence[FormField],
        submit: str,
        perform: Callable[[RecordForm], Awaitable[PlanRun]],
        *,
        more: Sequence[Choice[PlanRun]] = (),
        intro: str = "",
        focus: str | None = None,
    ) -> None:
        self.first_field = focus  # the field the cursor starts in (default: the first)
        super().__init__(
            dialog_id,
            title,
            fields,
            Choice(submit, perform),
            more=more,
            intro=intro,
            field_of=field_named,
        )

    def on_mount(self) -> None:
        super().on_mount()
        if self.first_field is not None:
            self.form.focus_field(self.first_field)


def start_plan_dialog(desk: Desk, user: User, incident_id: int, category: str) -> PlanForm:
    """``p`` on an incident: run one of the site's plans for it."""
    plans = desk.emergency.plans
    field = FormField(
        "plan",
        t("plans.field.plan"),
        kind="choice",
        blank=False,
        required=True,
        choices=plan_choices(plans),
        value=suggested_plan(plans, category),
    )

    async def run(form: RecordForm) -> PlanRun:
        plan_id = form.values()["plan"]
        return await desk.emergency.start_for_incident(user, plan_id, incident_id)

    title = t("plans.start_title", id=incident_id)
    return PlanForm("plan-start-dialog", title, [field], t("plans.start"), run)


def drill_dialog(desk: Desk, user: User) -> PlanForm:
    """``d``: a drill of one of the site's plans, with its scenario."""
    plans = desk.emergency.plans
    fields = [
        FormField(
            "plan_id",
            t("plans.field.plan"),
            kind="choice",
            blank=False,
            required=True,
            choices=plan_choices(plans),
            value=plans[0].id,
        ),
        FormField("scenario", t("plans.field.scenario"), kind="area", required=True),
    ]

    async def run(form: RecordForm) -> PlanRun:
        values = form.values()
        return await desk.emergency.start_drill(user, values["plan_id"], values["scenario"])

    return PlanForm("plan-drill-dialog", t("plans.drill_title"), fields, t("plans.start"), run)


def step_dialog(desk: Desk, user: User, run: PlanRun) -> PlanForm:
    """``l``: log a pending step as done (ctrl+s) or skipped with a reason (ctrl+t)."""
    pending = run.pending
    step = FormField(
        "step_id",
        t("plans.field.step"),
        kind="choice",
        blank=False,
        choices=tuple((f"{run.steps.index(s) + 1}. {s.text}", s.id) for s in pending),
        value=pending[0].id if pending else "",
    )
    note = FormField("note", t("plans.field.note"), placeholder=t("plans.note_hint"))

    def perform(outcome: str) -> Callable[[RecordForm], Awaitable[PlanRun]]:
        async def log(form: RecordForm) -> PlanRun:
            values = form.values()
            return await desk.emergency.log_step(
                user,
                run.id,
                values["step_id"],
                "skipped" if outcome == "skipped" else "done",
                values["note"],
            )

        return log

    skip = Choice(t("plans.skip"), perform("skipped"), "skip", "warning", key="ctrl+t")
    title = t("plans.step_title", id=run.id, plan=run.plan_name)
    return PlanForm(
        "plan-step-dialog",
        title,
        [step, note],
        t("plans.done"),
        perform("done"),
        more=[skip],
        focus="note",  # the next step is chosen already: say what was done, ctrl+s
    )


def finish_drill_dialog(desk: Desk, user: User, run: PlanRun) -> PlanForm:
    """``f`` on a drill: who took part, what it showed, what is to be done (one a line)."""
    fields = [
        FormField("participants", t("plans.field.participants"), kind="area", required=True),
        FormField("findings", t("plans.field.findings"), kind="area", required=True),
        FormField("follow_ups", t("plans.field.follow_ups"), kind="area"),
    ]

    async def run_finish(form: RecordForm) -> PlanRun:
        values = form.values()
        return await desk.emergency.finish(
            user,
            run.id,
            lines(values["participants"]),
            values["findings"],
            lines(values["follow_ups"]),
        )

    title = t("plans.finish_title", id=run.id, plan=run.plan_name)
    return PlanForm(
        "plan-finish-dialog",
        title,
        fields,
        t("plans.finish"),
        run_finish,
        intro=t("plans.finish_intro"),
    )


class PlansViewer(Dialog[None]):
    """``v``: the site's plans, read-only, one after another (Esc closes)."""

    DEFAULT_CLASSES = "-document"
    BINDINGS = [Binding("escape", "dismiss", "dialog.close", id="plans.viewer.close")]

    def __init__(self, plans: Sequence[EmergencyPlan]) -> None:
        super().__init__(id="plans-viewer")
        self.plans = plans

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("plans.viewer_title"), classes="dialog-title", markup=False)
            with VerticalScroll(id="plans-viewer-body"):
                body = Text("\n").join(plan_text(plan) for plan in self.plans)
                yield Static(body, id="plans-viewer-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#plans-viewer-body").focus()
