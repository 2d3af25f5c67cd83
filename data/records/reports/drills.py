"""The report's emergency drills (应急演练): the drills of the period, and the year's drill
plan (site.yaml ``emergency.drills``) against the drills done so far that year.

A planned drill is done once a drill of that plan was finished in the year, up to the
report's end (or now, for a period in progress); overdue once the end of its month has
passed without one; else still due. Plan runs for incidents are counted apart: they are
the plans' real use, not drills.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from data.emergency_plans import site_plans
from data.models import Site
from data.records.emergency.book import RunReader
from data.records.emergency.model import PlanRun
from data.store import Store
from data.yaml_source import SiteConfigError

DueStatus = Literal["done", "due", "overdue"]


@dataclass(frozen=True)
class PlannedDrill:
    """One entry of the year's drill plan and what was done about it."""

    plan_id: str
    plan_name: str
    month: int  # to be drilled by the end of this month
    done: int  # drills of the plan finished in the year, up to the report's end
    last: datetime | None  # when the latest of them finished
    status: DueStatus


@dataclass(frozen=True)
class DrillStats:
    year: int
    drills: tuple[PlanRun, ...]  # drills started in the period, oldest first
    incident_runs: int  # plans started for incidents in the period
    planned: tuple[PlannedDrill, ...]  # the year's drill plan, in site.yaml order

    @property
    def planned_done(self) -> int:
        return sum(p.status == "done" for p in self.planned)


async def drill_stats(
    store: Store,
    site: Site,
    start: datetime,
    end: datetime,
    now: datetime,
) -> DrillStats:
    tz = site.site.tz
    names = plan_names(site)
    reader = RunReader(store)
    counted_until = min(end, max(start, now))
    year = start.astimezone(tz).year
    year_start = datetime.combine(date(year, 1, 1), time(0), tz)
    in_period = await reader.history(start, end)
    this_year = await reader.history(year_start, end, kind="drill")
    finished = [run for run in this_year if run.finished_at is not None]
    planned = []
    for entry in site.emergency.drills:
        runs = [run for run in finished if run.plan_id == entry.plan]
        name = names.get(entry.plan) or next((run.plan_name for run in runs), entry.plan)
        status: DueStatus = "done"
        if not runs:
            status = "overdue" if _month_end(year, entry.month, tz) <= counted_until else "due"
        planned.append(
            PlannedDrill(
                entry.plan,
                name,
                entry.month,
                len(runs),
                max((run.finished_at for run in runs if run.finished_at), default=None),
                status,
            )
        )
    return DrillStats(
        year=year,
        drills=tuple(run for run in in_period if run.is_drill),
        incident_runs=sum(not run.is_drill for run in in_period),
        planned=tuple(planned),
    )


def plan_names(site: Site) -> dict[str, str]:
    """Plan id -> name, so a planned drill never run shows its name; a plan file broken
    since the site was loaded leaves the names stored with the runs (or the ids)."""
    try:
        return {plan.id: plan.name for plan in site_plans(site)}
    except (SiteConfigError, OSError):
        return {}


def _month_end(year: int, month: int, tz: ZoneInfo) -> datetime:
    after = date(year + month // 12, month % 12 + 1, 1)
    return datetime.combine(after, time(0), tz)
