"""One inspection on screen: a draft being filled in, or a sealed record (read only).

Every answer is saved the moment it is given (``InspectionBook.save_answer``), so a draft
survives a crash or a restart. Opening a draft first pre-fills what the live checks
measure. ``ctrl+s`` checks that every required item is answered and every flagged one has
a note, then asks for the operator's password (``SignDialog``); the book seals the record
and the flagged items are listed, each one key (``i``) away from an incident.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from console.bindings import translate_bindings
from console.context import DeskContext
from console.screens.incidents.hooks import open_incident
from console.screens.inspections.dialogs import SignDialog
from data.checklists import Checklist, ChecklistItem
from data.errors import DutyDeskError
from data.i18n import explain, language, t
from data.records.inspections.model import Answer, FlaggedItem, Inspection, live_readings
from widgets.checklist_form import ChecklistForm
from widgets.checklist_rows import ItemAnswer, allowed_text, shown_value
from widgets.duty_header import DutyHeader


def template_name(checklist: Checklist) -> str:
    """The template's name in the console's language (templates name themselves in Chinese
    and may add ``name_en``)."""
    return checklist.name_en if language() == "en" and checklist.name_en else checklist.name


def item_answer(answer: Answer | None, tz: dt.tzinfo, now: dt.datetime) -> ItemAnswer:
    """A stored answer as the form shows it; a live reading's time is HH:MM when it is
    from today, else with its date."""
    if answer is None:
        return ItemAnswer()
    at = answer.prefilled_at.astimezone(tz) if answer.prefilled_at else None
    same_day = at is not None and at.date() == now.astimezone(tz).date()
    live_at = "" if at is None else f"{at:%H:%M}" if same_day else f"{at:%m-%d %H:%M}"
    return ItemAnswer(
        answer.value,
        answer.note,
        answer.prefilled_value,
        live_at,
        answer.overridden,
        answer.flagged,
    )


async def open_inspection(ctx: DeskContext, app: App[Any], inspection_id: int) -> None:
    """Show an inspection: the operator's own draft to fill in (pre-filled from the live
    checks first), anything else read only."""
    desk = ctx.desk
    record = await desk.inspections.get(inspection_id)
    user = ctx.user
    editable = (
        not record.sealed
        and user is not None
        and record.inspector.casefold() == user.name.casefold()
    )
    if editable:
        await desk.inspections.prefill(record.id, live_readings(await desk.checks.latest()))
        record = await desk.inspections.get(record.id)
    await app.push_screen(InspectionFormScreen(ctx, record, read_only=not editable))


def request_incident(
    ctx: DeskContext, app: App[Any], record: Inspection, item: ChecklistItem
) -> None:
    """The hook for "open an incident" from a flagged item. Until the incidents section
    offers its data API, an item a live check measures opens the incident of its device;
    any other item is only noted. Replace the body here (record and item carry what an
    incident needs: template, period, value, note)."""
    if item.source is not None:
        open_incident(ctx, app, item.source.device)
    else:
        app.notify(t("inspection.incident_no_device", item=item.text))


class InspectionFormScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "inspection.submit", id="inspection.submit"),
        Binding("escape", "close", "inspection.close", id="inspection.close"),
    ]
    CSS_PATH = Path(__file__).with_name("inspection_form.tcss")

    def __init__(self, ctx: DeskContext, record: Inspection, *, read_only: bool) -> None:
        super().__init__(id="inspection-form")
        translate_bindings(self)
        self.ctx = ctx
        self.record = record
        self.read_only = read_only

    @property
    def form(self) -> ChecklistForm:
        return self.query_one(ChecklistForm)

    def compose(self) -> ComposeResult:
        tz, now = self.ctx.desk.site.site.tz, self.ctx.desk.clock()
        answers = {key: item_answer(a, tz, now) for key, a in self.record.answers.items()}
        yield DutyHeader()
        yield Static(self._title(), id="inspection-title", markup=False)
        form = ChecklistForm(
            self.record.template, answers, read_only=self.read_only, id="checklist"
        )
        translate_bindings(form)
        yield form
        yield Static("", id="inspection-result", classes="-empty", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.form.focus()
        self.ctx.refresh_header()
        if self.record.sealed:
            self._show_result(self.record.flagged())

    def _title(self) -> str:
        record, tz = self.record, self.ctx.desk.site.site.tz
        name = template_name(record.template)
        if record.sealed and record.submitted_at is not None:
            at = f"{record.submitted_at.astimezone(tz):%Y-%m-%d %H:%M}"
            return t(
                "inspection.title_sealed",
                name=name,
                id=record.id,
                period=record.period,
                who=record.inspector,
                at=at,
            )
        at = f"{record.started_at.astimezone(tz):%Y-%m-%d %H:%M}"
        key = "inspection.title_other_draft" if self.read_only else "inspection.title_draft"
        return t(key, name=name, id=record.id, who=record.inspector, at=at)

    # -- saving each answer -------------------------------------------------------------

    @on(ChecklistForm.AnswerChanged)
    async def _save(self, event: ChecklistForm.AnswerChanged) -> None:
        desk, user = self.ctx.desk, self.ctx.user
        book, tz, now = desk.inspections, desk.site.site.tz, desk.clock()
        if user is None:
            return
        try:
            answer = await book.save_answer(
                user, self.record.id, event.item_id, event.value, event.note
            )
        except DutyDeskError as error:  # e.g. a reading the book refuses: show what is stored
            self.record = await book.get(self.record.id)
            stored = self.record.answers.get(event.item_id)
            self.form.set_answer(event.item_id, item_answer(stored, tz, now))
            self.form.show_message(explain(error))
            return
        self.form.set_answer(event.item_id, item_answer(answer, tz, now))

    @on(ChecklistForm.IncidentRequested)
    def _incident(self, event: ChecklistForm.IncidentRequested) -> None:
        request_incident(self.ctx, self.app, self.record, event.item)

    # -- submitting ---------------------------------------------------------------------

    async def action_submit(self) -> None:
        book, user = self.ctx.desk.inspections, self.ctx.user
        if self.form.read_only or user is None:
            return
        draft = await book.get(self.record.id)
        missing = draft.missing()
        unexplained = [flag.item_id for flag in draft.flagged() if not flag.note]
        if missing:
            self.form.mark_missing(missing, t("inspection.missing", n=len(missing)))
            return
        if unexplained:
            self.form.mark_missing(unexplained, t("inspection.notes_needed", n=len(unexplained)))
            return

        async def sign(password: str) -> list[FlaggedItem]:
            return await book.submit(user, self.record.id, password)

        title = t("inspection.sign_title", name=template_name(draft.template), who=user.name)
        await self.app.push_screen(SignDialog(self.ctx.desk.site, title, sign), self._signed)

    async def _signed(self, flagged: list[FlaggedItem] | None) -> None:
        if flagged is None:  # cancelled: the draft stays as it is
            self.form.focus()
            return
        self.record = await self.ctx.desk.inspections.get(self.record.id)
        self.read_only = True
        self.form.set_read_only(True)
        self.query_one("#inspection-title", Static).update(self._title())
        self._show_result(flagged)
        self.notify(t("inspection.sealed", id=self.record.id))

    def _show_result(self, flagged: list[FlaggedItem]) -> None:
        box = self.query_one("#inspection-result", Static)
        result = "inspection.result_clean" if not flagged else "inspection.result_flagged"
        lines = [t(result, id=self.record.id, n=len(flagged))]
        for flag in flagged:
            item = self.record.template.item(flag.item_id)
            value = shown_value(item, flag.value)
            allowed = f" ({allowed_text(item)})" if item.range is not None else ""
            lines.append(f"⚑ {flag.text}: {value}{allowed} — {flag.note}")
        box.update("\n".join(lines))
        box.remove_class("-empty")
        box.set_class(not flagged, "-sealed-clean")
        if flagged:  # the cursor on the first problem: one key away from an incident
            first = next(n for n, i in enumerate(self.form.items) if i.id == flagged[0].item_id)
            self.form.select(first)

    def action_close(self) -> None:
        self.dismiss()
