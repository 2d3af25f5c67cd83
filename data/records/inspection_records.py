"""Reading inspection records, and which template periods are done, due or missed.

``InspectionRecords`` is the base of ``data.records.inspections.InspectionBook``: it
holds the services and the templates, reads drafts and sealed records, and answers the
due/missed questions the header and the handover ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from data.accounts import Accounts
from data.audit import AuditTrail
from data.checklists import Checklist
from data.clock import Clock, to_db, utc_now
from data.exports.document import Document
from data.models import Site, SiteInfo
from data.records.alarm_rows import require_audited
from data.records.documents import inspection_document
from data.records.inspection_rows import (
    ANSWER_COLUMNS,
    INSPECTION_COLUMNS,
    Inspection,
    InspectionError,
    inspection_from_rows,
)
from data.records.inspection_schedule import Period, period_of, periods_ending
from data.records.sealing import refuse_sealed, seal_in_chain
from data.roles import Actor, Permission
from data.store import Store


class DueStatus(NamedTuple):
    template: Checklist
    period: Period
    done: bool
    record_id: int | None
    due_by: datetime


class InspectionRecords:
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

    def to_document(self, record: Inspection) -> Document:
        """The record as a printable A4 form (see data.exports), with the site's name."""
        return inspection_document(record, site=self._site)

    async def verify(self, record: Inspection) -> bool:
        """The record matches its seal and the seal's row in the audit chain."""
        return await seal_in_chain(self._store, record, inspection_obj(record.id))

    # Due and missed.

    async def status(self, now: datetime | None = None) -> list[DueStatus]:
        """Each template's current period: done (with the record) or still due."""
        moment = now or self._clock()
        found = []
        for template in self._templates.values():
            period = period_of(template.schedule, moment, self._site.tz)
            done = await self._done(template.id, [period.label])
            record_id = done.get(period.label)
            found.append(DueStatus(template, period, record_id is not None, record_id, period.end))
        return found

    async def missed(self, since: datetime, until: datetime) -> list[DueStatus]:
        """Periods that ended in (since, until] without a record, oldest first."""
        found = []
        for template in self._templates.values():
            periods = list(periods_ending(template.schedule, since, until, self._site.tz))
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


def inspection_obj(inspection_id: int) -> str:
    return f"inspection:{inspection_id}"
