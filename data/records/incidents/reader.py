"""Reading incidents: one with its timeline, the open list, problem tracking, history,
response alerts for the wall header, search. ``IncidentBook`` (the writing side) builds
on it; a screen or a report that only reads may use this alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from data.calendar import ResponseClock, ResponseStatus
from data.clock import Clock, to_db, utc_now
from data.models import Asset, Site
from data.records.incidents import search as incident_search
from data.records.incidents.model import (
    COLUMNS,
    SEVERITY_ORDER,
    UNRESOLVED,
    Incident,
    IncidentError,
    entry_from_row,
    incident_from_row,
)
from data.records.incidents.search import SimilarIncident
from data.store import Store

UNRESOLVED_SQL = "status IN ('open', 'responding', 'escalated')"


class IncidentReader:
    def __init__(self, store: Store, site: Site, clock: Clock = utc_now) -> None:
        self._store = store
        self._site = site
        self._clock = clock

    # Reading.

    async def get(self, incident_id: int) -> Incident:
        row = await self._store.fetchone(
            f"SELECT {COLUMNS} FROM incidents WHERE id = ?", (incident_id,)
        )
        if row is None:
            raise IncidentError(f"no incident {incident_id}", code="no_such_incident")
        entries = await self._store.fetchall(
            "SELECT at, who, kind, text FROM incident_entries WHERE incident_id = ?"
            " ORDER BY at, id",
            (incident_id,),
        )
        return incident_from_row(row, tuple(entry_from_row(e) for e in entries))

    async def open_list(self, include_resolved: bool = False) -> list[Incident]:
        """Unresolved incidents (and resolved ones awaiting closing, if asked), the most
        severe first, then the oldest."""
        statuses = (*UNRESOLVED, "resolved") if include_resolved else UNRESOLVED
        marks = ", ".join("?" * len(statuses))
        return await self._select(
            f"status IN ({marks}) ORDER BY {SEVERITY_ORDER}, reported_at, id", statuses
        )

    async def not_closed(self) -> list[Incident]:
        """The incidents that still count as open: every one not closed yet, a resolved
        one awaiting its closing too. The one definition the header's count and the
        incidents list both use."""
        return await self.open_list(include_resolved=True)

    async def open_for(self, device_id: str, check_id: str | None = None) -> Incident | None:
        """The newest unresolved incident of the device (and check): where the outcome of
        an action run on it belongs."""
        where = f"{UNRESOLVED_SQL} AND device_id = ?" + (" AND check_id = ?" if check_id else "")
        params = (device_id, check_id) if check_id else (device_id,)
        found = await self._select(f"{where} ORDER BY reported_at DESC, id DESC LIMIT 1", params)
        return found[0] if found else None

    async def response_alerts(
        self, now: datetime | None = None
    ) -> list[tuple[Incident, ResponseClock]]:
        """Unanswered incidents past or close to their response deadline (wall header)."""
        moment = now or self._clock()
        waiting = await self._select(
            f"{UNRESOLVED_SQL} AND responded_at IS NULL ORDER BY respond_by, id", ()
        )
        alerts = [(incident, incident.response(moment)) for incident in waiting]
        late = (ResponseStatus.AT_RISK, ResponseStatus.BREACHED)
        return [(incident, clock) for incident, clock in alerts if clock.status in late]

    async def problem_tracking(self, now: datetime | None = None) -> list[Incident]:
        """Unresolved incidents reported more than ``problem_age_days`` ago, oldest first."""
        age = timedelta(days=self._site.site.problem_age_days)
        cutoff = (now or self._clock()) - age
        return await self._select(
            f"{UNRESOLVED_SQL} AND reported_at <= ? ORDER BY reported_at, id", (to_db(cutoff),)
        )

    async def history(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        device_id: str | None = None,
        limit: int = 10_000,
    ) -> list[Incident]:
        """Incidents reported in [since, until), any status, newest first."""
        where, params = ["1 = 1"], list[Any]()
        for clause, value in (
            ("reported_at >= ?", to_db(since) if since else None),
            ("reported_at < ?", to_db(until) if until else None),
            ("device_id = ?", device_id),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = f"{' AND '.join(where)} ORDER BY reported_at DESC, id DESC LIMIT ?"
        return await self._select(sql, (*params, limit))

    async def search(self, text: str, limit: int = 50) -> list[Incident]:
        return await incident_search.search(self._store, text, limit)

    async def similar(
        self, device_id: str | None, check_id: str | None, text: str, limit: int = 10
    ) -> list[SimilarIncident]:
        """Past fixes for a fault on ``device_id``; see incident_search.similar."""
        kind = next((d.kind for d in self._site.devices if d.id == device_id), None)
        same_kind = [d.id for d in self._site.devices if d.kind == kind and d.id != device_id]
        return await incident_search.similar(
            self._store, device_id, check_id, text, limit, same_kind=same_kind
        )

    def asset_of(self, device_id: str | None) -> Asset:
        """The device's asset data (vendor, support hotline, contact): what an escalation
        offers by default; empty for an unknown device or none."""
        for device in self._site.devices:
            if device.id == device_id:
                return device.asset
        return Asset()

    async def _select(self, where: str, params: Any) -> list[Incident]:
        rows = await self._store.fetchall(f"SELECT {COLUMNS} FROM incidents WHERE {where}", params)
        return [incident_from_row(row) for row in rows]
