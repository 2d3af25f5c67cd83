"""Emergency plan runs as printable Documents: the step log of a run (attached to its
incident's record, or one drill's record), and the drills of a period for
``dutydesk export drills`` (应急演练记录)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from data.exports.document import Document, Section, Table
from data.exports.formatting import NONE, when
from data.i18n import t
from data.records.emergency.model import PlanRun

STEP_COLUMNS = ("number", "step", "role", "notify", "outcome", "at", "who", "note")
DRILL_COLUMNS = (
    "id",
    "plan",
    "scenario",
    "started_at",
    "finished_at",
    "participants",
    "findings",
    "follow_ups",
    "steps_done",
    "steps_skipped",
)


def step_table(run: PlanRun, tz: tzinfo) -> Table:
    """One row per step of the plan, in its order: who did it, when, or why it was skipped."""
    rows = [
        [
            str(number),
            step.text,
            step.role,
            "、".join(step.notify),
            t(f"plans.outcome.{step.outcome or 'pending'}"),
            when(step.at, tz) if step.at else "",
            step.who or "",
            step.note,
        ]
        for number, step in enumerate(run.steps, 1)
    ]
    return Table([t(f"export.drills.{c}") for c in STEP_COLUMNS], rows)


def run_section(run: PlanRun, tz: tzinfo) -> Section:
    """A run's heading, when it started and ended, and its step log."""
    paragraphs = [
        t(
            "export.field",
            label=t("export.drills.started_at"),
            value=_who_when(run.started_by, run.started_at, tz),
        ),
        t(
            "export.field",
            label=t("export.drills.finished_at"),
            value=_who_when(run.finished_by, run.finished_at, tz)
            if run.finished_at
            else t("plans.status.running"),
        ),
    ]
    if run.is_drill:
        paragraphs += [
            t("export.field", label=t("export.drills.scenario"), value=run.scenario),
            t(
                "export.field",
                label=t("export.drills.participants"),
                value="、".join(run.participants) or NONE,
            ),
            t("export.field", label=t("export.drills.findings"), value=run.findings or NONE),
            t(
                "export.field",
                label=t("export.drills.follow_ups"),
                value="；".join(run.follow_ups) or NONE,
            ),
        ]
    heading = t("export.drills.run_heading", id=run.id, plan=run.plan_name)
    return Section(heading, paragraphs, step_table(run, tz))


def run_document(run: PlanRun, site_name: str, tz: tzinfo) -> Document:
    """One run's record: a drill's (应急演练记录) or a plan run's for its incident."""
    title = t(f"export.drills.record_title.{run.kind}", id=run.id)
    meta = [(t("export.drills.plan"), run.plan_name)]
    if run.incident_id is not None:
        meta.append((t("export.drills.incident"), f"#{run.incident_id}"))
    return Document(
        title=title,
        subtitle=site_name,
        meta=meta,
        sections=[run_section(run, tz)],
        signatures=[t("export.sign.handled"), t("export.sign.reviewed")],
    )


def drill_list_document(
    drills: Sequence[PlanRun], site_name: str, tz: tzinfo, period: str
) -> Document:
    """The period's drills: a summary table (one row each), then each drill's step log."""
    ordered = sorted(drills, key=lambda run: (run.started_at, run.id))
    rows = [
        [
            str(run.id),
            run.plan_name,
            run.scenario,
            when(run.started_at, tz),
            when(run.finished_at, tz) if run.finished_at else t("plans.status.running"),
            "、".join(run.participants),
            run.findings,
            "；".join(run.follow_ups),
            str(sum(step.outcome == "done" for step in run.steps)),
            str(sum(step.outcome == "skipped" for step in run.steps)),
        ]
        for run in ordered
    ]
    summary = Section(
        t("export.drills.summary"),
        table=Table([t(f"export.drills.{c}") for c in DRILL_COLUMNS], rows),
    )
    return Document(
        title=t("export.title.drills"),
        subtitle=site_name,
        meta=[(t("export.report.period"), period), (t("export.report.count"), str(len(ordered)))],
        sections=[summary, *(run_section(run, tz) for run in ordered)],
        signatures=[t("export.sign.prepared"), t("export.sign.reviewed")],
    )


def _who_when(who: str | None, moment: datetime, tz: tzinfo) -> str:
    """``2026-12-06 09:30 wang``."""
    return f"{when(moment, tz)} {who or ''}".strip()
