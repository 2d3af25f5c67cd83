"""Inspections (巡检记录): checklist-driven records, drafted item by item, then signed and sealed.

- ``start`` makes a draft row; every ``save_answer`` is written at once, so a crash or a
  restart loses nothing (drafts are rows, ``open_drafts`` lists them).
- ``prefill`` fills the items whose ``source`` names a live check with its latest value,
  marked as pre-filled with the reading's time; an operator's different answer is an
  override, recorded with the pre-filled value kept beside it (and audited).
- A reading outside its range or a ``fail`` is flagged and needs a note. ``submit`` needs
  every required item and the operator's password, then seals the record (see
  data.records.sealing) and returns the flagged items so the UI can offer an incident.
- A sealed record is never edited: an amendment is a new draft (``start(amends=...)``)
  that copies its answers and references it; it is sealed when submitted in turn.
- ``status`` and ``missed`` tell which template periods (daily, weekly, monthly in the
  site's time zone) are done, due or missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from data.accounts import Accounts
from data.audit import AuditTrail
from data.checklists import Checklist, ChecklistItem
from data.clock import Clock, to_db, utc_now
from data.models import Site, SiteInfo
from data.records.checks.model import Key
from data.records.inspections.model import (
    ANSWER_COLUMNS,
    INSPECTION_COLUMNS,
    MAX_NOTE,
    Answer,
    DueStatus,
    FlaggedItem,
    Inspection,
    InspectionError,
    LiveReading,
    flag_reason,
    inspection_from_rows,
    live_value,
    normalise,
    template_json,
)
from data.records.inspections.schedule import period_of, periods_ending
from data.records.permissions import require_audited
from data.records.sealing import refuse_sealed, seal_in_chain, seal_record
from data.roles import Actor, Permission
from data.store import Store

_UPSERT_ANSWER = f"""
INSERT INTO inspection_answers ({ANSWER_COLUMNS})
VALUES (:inspection_id, :item_id, :value, :note, :prefilled_value, :prefilled_at, :overridden,
        :flagged, :answered_by, :answered_at)
ON CONFLICT (inspection_id, item_id) DO UPDATE SET
    value = excluded.value, note = excluded.note, prefilled_value = excluded.prefilled_value,
    prefilled_at = excluded.prefilled_at, overridden = excluded.overridden,
    flagged = excluded.flagged, answered_by = excluded.answered_by,
    answered_at = excluded.answered_at
"""


class InspectionBook:
    """The inspection records of one store and the site's templates: drafting, submitting
    and amending records, reading them, and which template periods are done or due."""

    def __init__(
        self,
        store: Store,
        audit: AuditTrail,
        accounts: Accounts,
        site: Site | SiteInfo,
        checklists: Iterable[Checklist],
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._audit = audit
        self._accounts = accounts
        self._site = site.site if isinstance(site, Site) else site
        self._templates = {checklist.id: checklist for checklist in checklists}
        self._clock = clock

    @property
    def site(self) -> SiteInfo:
        """The site the records are kept for (its name and time zone head a document)."""
        return self._site

    # Reading.

    @property
    def templates(self) -> tuple[Checklist, ...]:
        return tuple(self._templates.values())

    async def get(self, inspection_id: int) -> Inspection:
        """A draft or a sealed record; InspectionError ``no_such_draft`` if none."""
        row = await self._store.fetchone(
            f"SELECT {INSPECTION_COLUMNS} FROM inspections WHERE id = ?", (inspection_id,)
        )
        if row is None:
            raise InspectionError(
                f"no inspection {inspection_id}", code="no_such_draft", id=inspection_id
            )
        answers = await self._store.fetchall(
            f"SELECT {ANSWER_COLUMNS} FROM inspection_answers WHERE inspection_id = ?",
            (inspection_id,),
        )
        return inspection_from_rows(row, answers)

    draft = get  # the name the form uses

    async def open_drafts(self, actor: Actor | None = None) -> list[Inspection]:
        """Unsubmitted drafts (the actor's only, when given), oldest first."""
        sql, params = "SELECT id FROM inspections WHERE seal_sha256 IS NULL", list[Any]()
        if actor is not None:
            sql, params = sql + " AND inspector = ?", [actor.name]
        rows = await self._store.fetchall(sql + " ORDER BY started_at, id", params)
        return [await self.get(int(row[0])) for row in rows]

    async def records(
        self, since: datetime, until: datetime, template_id: str | None = None
    ) -> list[Inspection]:
        """Sealed records (amendments too) submitted in [since, until), oldest first."""
        sql = (
            "SELECT id FROM inspections WHERE seal_sha256 IS NOT NULL"
            " AND submitted_at >= ? AND submitted_at < ?"
        )
        params: list[Any] = [to_db(since), to_db(until)]
        if template_id is not None:
            sql, params = sql + " AND template_id = ?", [*params, template_id]
        rows = await self._store.fetchall(sql + " ORDER BY submitted_at, id", params)
        return [await self.get(int(row[0])) for row in rows]

    async def amendments(self, record_id: int) -> list[Inspection]:
        rows = await self._store.fetchall(
            "SELECT id FROM inspections WHERE amends_id = ? AND seal_sha256 IS NOT NULL"
            " ORDER BY id",
            (record_id,),
        )
        return [await self.get(int(row[0])) for row in rows]

    async def verify(self, record: Inspection) -> bool:
        """The record matches its seal and the seal's row in the audit chain."""
        return await seal_in_chain(self._store, record, inspection_obj(record.id))

    # Due and missed.

    async def status(self, now: datetime | None = None) -> list[DueStatus]:
        """Each template's current period: done (with the record) or still due."""
        moment = now or self._clock()
        found = []
        assurance = self._site.calendar.assurance
        for template in self._templates.values():
            period = period_of(template.schedule, moment, self._site.tz, assurance)
            if template.schedule == "pre_assurance" and moment not in period:
                continue  # no holiday coming within the week: nothing due
            done = await self._done(template.id, [period.label])
            record_id = done.get(period.label)
            found.append(DueStatus(template, period, record_id is not None, record_id, period.end))
        return found

    async def missed(self, since: datetime, until: datetime) -> list[DueStatus]:
        """Periods that ended in (since, until] without a record, oldest first."""
        found = []
        for template in self._templates.values():
            periods = list(
                periods_ending(
                    template.schedule, since, until, self._site.tz, self._site.calendar.assurance
                )
            )
            done = await self._done(template.id, [p.label for p in periods])
            found += [
                DueStatus(template, p, False, None, p.end) for p in periods if p.label not in done
            ]
        return sorted(found, key=lambda status: (status.due_by, status.template.id))

    async def _done(self, template_id: str, labels: list[str]) -> dict[str, int]:
        if not labels:
            return {}
        rows = await self._store.fetchall(
            "SELECT period, min(id) FROM inspections WHERE template_id = ?"
            " AND seal_sha256 IS NOT NULL AND amends_id IS NULL"
            f" AND period IN ({', '.join('?' * len(labels))}) GROUP BY period",
            (template_id, *labels),
        )
        return {str(row[0]): int(row[1]) for row in rows}

    # Drafting.

    async def start(
        self, actor: Actor, template_id: str, now: datetime | None = None, amends: int | None = None
    ) -> int:
        """A new draft of ``template_id``; with ``amends``, an amendment of that sealed
        record (its template as it was, its answers copied). Returns the draft's id."""
        await require_audited(
            self._audit, actor, [Permission.WRITE_RECORDS], "inspection.start", [template_id]
        )
        moment = now or self._clock()
        original = await self.get(amends) if amends is not None else None
        if original is not None and not original.sealed:
            raise InspectionError(
                "only a submitted record can be amended", code="inspection_not_submitted"
            )
        template = original.template if original else self._templates.get(template_id)
        if template is None or template.id != template_id:
            raise InspectionError(
                f"no inspection template {template_id!r}", code="no_such_template"
            )
        async with self._store.transaction():
            rows = await self._store.write(
                "INSERT INTO inspections (template_id, template_name, schedule, template_json,"
                " inspector, started_at, amends_id) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    template.id,
                    template.name,
                    template.schedule,
                    template_json(template),
                    actor.name,
                    to_db(moment),
                    amends,
                ),
            )
            draft_id = int(rows[0][0])
            for answer in original.answers.values() if original else ():
                await self._store.write(
                    _UPSERT_ANSWER, _answer_params(draft_id, answer, actor.name, moment)
                )
            detail = {"template": template.id, "amends": amends}
            await self._audit.record(
                actor.name, "inspection.start", inspection_obj(draft_id), detail=detail
            )
        return draft_id

    async def save_answer(
        self,
        actor: Actor,
        draft_id: int,
        item_id: str,
        value: object,
        note: str = "",
        overridden: bool = False,
    ) -> Answer:
        """Store one answer at once (None or blank clears it). When the item was
        pre-filled, a different value is an override: recorded, the live value kept.
        ``overridden=True`` marks it so even when the value happens to be equal."""
        draft = await self._editable(actor, draft_id, "inspection.answer")
        item = _item(draft, item_id)
        stored = normalise(item, value)
        text = note.strip()
        if len(text) > MAX_NOTE:
            raise InspectionError("the note is too long", code="text_too_long", max_length=MAX_NOTE)
        before = draft.answers.get(item_id)
        prefilled = before.prefilled_value if before else None
        override = prefilled is not None and (overridden or stored != prefilled)
        answer = Answer(
            item_id,
            stored,
            text,
            prefilled,
            before.prefilled_at if before else None,
            override,
            flag_reason(item, stored) is not None,
            actor.name,
            self._clock(),
        )
        detail: dict[str, Any] = {"item": item_id, "flagged": answer.flagged}
        detail["value"] = stored if item.kind != "text" else f"<{len(stored or '')} characters>"
        if override:
            detail["prefilled"] = prefilled
        action = "inspection.override" if override else "inspection.answer"
        async with self._store.transaction():
            await self._store.write(_UPSERT_ANSWER, _answer_params(draft_id, answer))
            await self._audit.record(actor.name, action, inspection_obj(draft_id), detail=detail)
        return answer

    async def prefill(
        self, draft_id: int, latest: Mapping[Key, LiveReading | tuple[float | None, datetime]]
    ) -> list[str]:
        """Fill the items that name a live check from ``latest`` (see ``live_readings``);
        items the operator already answered are left alone. Returns the items filled."""
        draft = await self.get(draft_id)
        if draft.sealed:
            raise await refuse_sealed(
                self._audit, None, "inspection.prefill", inspection_obj(draft_id)
            )
        now, filled, params = self._clock(), [], []
        for item in draft.template.items():
            reading = latest.get((item.source.device, item.source.check)) if item.source else None
            before = draft.answers.get(item.id)
            if reading is None or (before is not None and before.answered_by is not None):
                continue
            value = live_value(item, tuple(reading))
            if value is None:
                continue
            flagged = flag_reason(item, value) is not None
            answer = Answer(item.id, value, "", value, reading[1], False, flagged, None, now)
            params.append(_answer_params(draft_id, answer))
            filled.append(item.id)
        if params:
            async with self._store.transaction() as db:
                await db.executemany(_UPSERT_ANSWER, params)
                await self._audit.record(
                    draft.inspector,
                    "inspection.prefill",
                    inspection_obj(draft_id),
                    detail={"items": filled},
                )
        return filled

    async def discard(self, actor: Actor, draft_id: int, reason: str) -> None:
        """Throw a draft away (audited with the reason); a sealed record refuses."""
        await self._editable(actor, draft_id, "inspection.discard")
        async with self._store.transaction():
            await self._store.write(
                "DELETE FROM inspection_answers WHERE inspection_id = ?", (draft_id,)
            )
            await self._store.write("DELETE FROM inspections WHERE id = ?", (draft_id,))
            await self._audit.record(
                actor.name,
                "inspection.discard",
                inspection_obj(draft_id),
                detail={"reason": reason.strip()},
            )

    async def submit(self, actor: Actor, draft_id: int, password: str) -> list[FlaggedItem]:
        """Sign and seal the draft; returns its flagged items (for "open an incident").
        Refused (and audited) while a required item is unanswered or a flagged one has
        no note; the password is checked by ``Accounts.authenticate`` (action
        "inspection.sign")."""
        draft = await self._editable(actor, draft_id, "inspection.submit")
        obj = inspection_obj(draft_id)
        unexplained = [flag.item_id for flag in draft.flagged() if not flag.note]
        problems = (("answers_missing", draft.missing()), ("note_required", unexplained))
        for code, items in problems:
            if items:
                await self._audit.record(
                    actor.name, "inspection.submit", obj, "failed", {"error": code, "items": items}
                )
                raise InspectionError(
                    f"{code}: {', '.join(items)}", code=code, items=", ".join(items)
                )
        await self._accounts.authenticate(actor.name, password, action="inspection.sign")
        now = self._clock()
        original = await self.get(draft.amends_id) if draft.amends_id is not None else None
        period = original.period if original else None
        assurance = self._site.calendar.assurance
        period = period or period_of(draft.template.schedule, now, self._site.tz, assurance).label
        async with self._store.transaction():
            await self._store.write(
                "UPDATE inspections SET submitted_at = ?, period = ? WHERE id = ?",
                (to_db(now), period, draft_id),
            )
            stored = await self.get(draft_id)
            await seal_record(
                self._store,
                self._audit,
                table="inspections",
                row_id=draft_id,
                content=stored.content,
                action="inspection.seal",
                obj=obj,
                user=actor.name,
                now=now,
            )
        return stored.flagged()

    # Helpers.

    async def _editable(self, actor: Actor, draft_id: int, action: str) -> Inspection:
        """The actor's own unsealed draft; a sealed one is refused and audited."""
        obj = inspection_obj(draft_id)
        await require_audited(self._audit, actor, [Permission.WRITE_RECORDS], action, [obj])
        draft = await self.get(draft_id)
        if draft.sealed:
            raise await refuse_sealed(self._audit, actor.name, action, obj)
        if draft.inspector.casefold() != actor.name.casefold():
            await self._audit.record(
                actor.name, action, obj, "denied", detail={"reason": "not_your_draft"}
            )
            raise InspectionError(
                f"inspection {draft_id} is {draft.inspector}'s draft",
                code="not_your_draft",
                inspector=draft.inspector,
            )
        return draft


def _item(draft: Inspection, item_id: str) -> ChecklistItem:
    try:
        return draft.template.item(item_id)
    except KeyError:
        raise InspectionError(
            f"no item {item_id!r} in {draft.template.id}",
            code="no_such_checklist_item",
            item=item_id,
        ) from None


def _answer_params(
    draft_id: int, answer: Answer, by: str | None = None, at: datetime | None = None
) -> dict[str, Any]:
    return {
        "inspection_id": draft_id,
        "item_id": answer.item_id,
        "value": answer.value,
        "note": answer.note,
        "prefilled_value": answer.prefilled_value,
        "prefilled_at": to_db(answer.prefilled_at) if answer.prefilled_at else None,
        "overridden": int(answer.overridden),
        "flagged": int(answer.flagged),
        "answered_by": by or answer.answered_by,
        "answered_at": to_db(at or answer.answered_at),
    }


def inspection_obj(inspection_id: int) -> str:
    return f"inspection:{inspection_id}"
