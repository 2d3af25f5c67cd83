"""The roster's forms: a day (who is on each shift, the leader on call, vendors' contacts,
a note) and a swap (who gives a shift to whom, and why). The rules (known accounts,
two-person duty during an assurance period, who may edit) are data.records.roster's; a
refusal lands under the field it is about."""

from __future__ import annotations

import re
from collections.abc import Sequence

from console.dialogs.form import Choice, FormDialog
from console.screens.roster.view import who_is_who
from data.errors import DutyDeskError
from data.i18n import t
from data.records.roster.book import RosterBook
from data.records.roster.model import RosterDay, Swap, plan
from data.records.roster.names import PeopleNames
from data.roles import Actor
from widgets.record_form import FormField, RecordForm

_NAMES = re.compile(r"[,，、;；\s]+")


def names(text: str) -> list[str]:
    """Account names as typed: separated by commas (either width), 、, ; or spaces."""
    return [name for name in _NAMES.split(text) if name]


def shift_field(index: int) -> str:
    return f"shift{index}"


class DayDialog(FormDialog[RosterDay]):
    """Edit one day; dismissed with the day as saved."""

    def __init__(self, book: RosterBook, actor: Actor, day: RosterDay, names: PeopleNames) -> None:
        self.book, self.actor, self.day = book, actor, day
        self.shift_names = book.shift_names
        fields = [
            FormField(
                shift_field(i),
                shift,
                value="，".join(day.on(shift)),
                placeholder=t("roster.form.people_hint"),
            )
            for i, shift in enumerate(self.shift_names)
        ]
        saved = day.saved_at is not None
        fields += [
            FormField("leader", t("roster.form.leader"), value=day.leader if saved else ""),
            FormField(
                "leader_phone",
                t("roster.form.leader_phone"),
                value=day.leader_phone if saved else "",
            ),
            FormField("vendors", t("roster.form.vendors"), "area", value=day.vendors),
            FormField("note", t("roster.form.note"), "area", value=day.note),
        ]
        intro = t("roster.form.day_intro", day=day.day.isoformat())
        if day.period is not None:
            intro += "\n" + t(
                "roster.form.period_intro",
                name=day.period.name,
                need=day.period.min_on_duty,
                leader=day.period.leader,
            )
        if rostered := who_is_who(day, self.shift_names, names):
            intro += "\n" + rostered
        super().__init__(
            "roster-day",
            t("roster.form.day_title"),
            fields,
            Choice(t("roster.form.save"), self._save),
            intro=intro,
            field_of=self._field_of,
        )

    async def _save(self, form: RecordForm) -> RosterDay:
        values = form.values()
        shifts = {
            shift: names(values.get(shift_field(i), "")) for i, shift in enumerate(self.shift_names)
        }
        day_plan = plan(
            day=self.day.day,
            shifts=shifts,
            leader=values.get("leader", ""),
            leader_phone=values.get("leader_phone", ""),
            vendors=values.get("vendors", ""),
            note=values.get("note", ""),
        )
        return await self.book.save_day(self.actor, day_plan)

    def _field_of(self, refused: DutyDeskError) -> str:
        params = refused.params
        if refused.code == "roster_too_few_on_duty":
            return self._shift_of(str(params.get("shift", "")))
        if refused.code == "roster_unknown_operator":
            wanted = str(params.get("name", "")).casefold()
            for i in range(len(self.shift_names)):
                typed = self.form.values().get(shift_field(i), "")
                if wanted in (name.casefold() for name in names(typed)):
                    return shift_field(i)
        if refused.code == "roster_bad_plan":
            where = str(params.get("field", ""))
            if where.startswith("shifts."):
                return self._shift_of(where.split(".", 1)[1])
            return where
        return ""

    def _shift_of(self, shift: str) -> str:
        if shift in self.shift_names:
            return shift_field(self.shift_names.index(shift))
        return ""


_SWAP_FIELDS = {
    "roster_not_rostered": "from_name",
    "roster_already_rostered": "to_name",
    "roster_unknown_operator": "to_name",
    "roster_same_person": "to_name",
    "roster_reason_required": "reason",
    "roster_reason_too_long": "reason",
}


class SwapDialog(FormDialog[Swap]):
    """Record a swap on one day; dismissed with the swap."""

    def __init__(
        self,
        book: RosterBook,
        actor: Actor,
        day: RosterDay,
        shift_names: Sequence[str],
        names: PeopleNames,
    ) -> None:
        self.book, self.actor, self.day = book, actor, day
        on_duty = [shift for shift in shift_names if day.on(shift)] or list(shift_names)
        fields = [
            FormField(
                "shift",
                t("roster.form.shift"),
                "choice",
                value=on_duty[0],
                choices=tuple((shift, shift) for shift in shift_names),
                blank=False,
            ),
            FormField("from_name", t("roster.form.from"), required=True),
            FormField("to_name", t("roster.form.to"), required=True),
            FormField("reason", t("roster.form.reason"), required=True, enter="submit"),
        ]
        super().__init__(
            "roster-swap",
            t("roster.form.swap_title"),
            fields,
            Choice(t("roster.form.record_swap"), self._swap),
            intro="\n".join(
                part
                for part in (
                    t("roster.form.swap_intro", day=day.day.isoformat()),
                    who_is_who(day, shift_names, names),
                )
                if part
            ),
            field_of=lambda refused: _SWAP_FIELDS.get(refused.code, ""),
        )

    async def _swap(self, form: RecordForm) -> Swap:
        values = form.values()
        return await self.book.swap(
            self.actor,
            self.day.day,
            values.get("shift", ""),
            values.get("from_name", ""),
            values.get("to_name", ""),
            values.get("reason", ""),
        )
