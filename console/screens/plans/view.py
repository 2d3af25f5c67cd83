"""How plan runs read on screen: a row of the runs list, one run's step log, and the
lines an incident's details show for the plans started from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.text import Text

from data.emergency_plans import EmergencyPlan
from data.i18n import t
from data.records.emergency.model import PlanRun, RunStep

NONE = "—"
SHORT = 10  # characters of a scenario in the runs list (Chinese: two columns each)
OUTCOME_STYLE = {"done": "green", "skipped": "yellow", None: "bold"}


def local(moment: dt.datetime | None, tz: dt.tzinfo, fmt: str = "%m-%d %H:%M") -> str:
    return moment.astimezone(tz).strftime(fmt) if moment else NONE


def progress(run: PlanRun) -> str:
    """``3/7``: steps logged of the plan's."""
    return f"{len(run.steps) - len(run.pending)}/{len(run.steps)}"


def run_cells(run: PlanRun, tz: dt.tzinfo) -> list[Text]:
    """The runs list's columns: #, kind, plan, incident or scenario, started, steps, state."""
    what = f"#{run.incident_id}" if run.incident_id is not None else short(run.scenario)
    state = Text(t(f"plans.status.{run.status}"))
    if run.status == "running":
        state.stylize("bold")
    return [
        Text(str(run.id)),
        Text(t(f"plans.kind.{run.kind}")),
        Text(run.plan_name),
        Text(what),
        Text(local(run.started_at, tz)),
        Text(progress(run)),
        state,
    ]


def step_line(number: int, step: RunStep, tz: dt.tzinfo) -> Text:
    """The step on one line; under it, indented, whom to notify and what the log says:
    ``3. ✓ 联系物业及供电公司 [动力维护组]`` / ``→ 通知：物业值班室 · 已完成 09:42 wang · …``."""
    mark = {"done": "✓", "skipped": "–", None: "○"}[step.outcome]
    line = Text(f"{number:>2}. {mark} ", style=OUTCOME_STYLE[step.outcome])
    line.append(step.text)
    line.append(f" [{step.role}]", style="dim")
    facts = []
    if step.notify:
        facts.append(Text(t("plans.notify", who="、".join(step.notify)), style="italic"))
    if step.outcome is not None:
        when = local(step.at, tz, "%H:%M")
        facts.append(Text(f"{t(f'plans.outcome.{step.outcome}')} {when} {step.who}"))
    if step.note:
        facts.append(Text(step.note, style="italic"))
    if facts:
        line.append("\n      ")
        line.append_text(Text(" · ").join(facts))
    return line


def short(text: str, limit: int = SHORT) -> str:
    """At most ``limit`` characters: a list's cell stays one line at 80 columns."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_details(run: PlanRun, tz: dt.tzinfo) -> Text:
    """A run's heading, its times and its step log; a drill's scenario and outcome."""
    out = Text()
    out.append(f"#{run.id} {run.plan_name} · {t(f'plans.kind.{run.kind}')}\n", style="bold")
    started = f"{local(run.started_at, tz, '%Y-%m-%d %H:%M')} {run.started_by}"
    out.append(t("plans.started", at=started) + "\n")
    if run.finished_at is not None:
        finished = f"{local(run.finished_at, tz, '%Y-%m-%d %H:%M')} {run.finished_by}"
        out.append(t("plans.finished", at=finished) + "\n")
    if run.is_drill:
        out.append(t("plans.scenario", text=run.scenario) + "\n")
    for number, step in enumerate(run.steps, 1):
        out.append_text(step_line(number, step, tz))
        out.append("\n")
    if run.is_drill and run.status == "finished":
        out.append(t("plans.participants", names="、".join(run.participants)) + "\n")
        out.append(t("plans.findings", text=run.findings) + "\n")
        out.append(t("plans.follow_ups", items="；".join(run.follow_ups) or NONE) + "\n")
    return out


def incident_runs(runs: Sequence[PlanRun], tz: dt.tzinfo) -> Text:
    """What an incident's details add for the plans started from it."""
    out = Text()
    for run in runs:
        out.append("\n")
        out.append_text(run_details(run, tz))
    return out


def plan_text(plan: EmergencyPlan) -> Text:
    """A plan as the operator reads it before (or while) running it: what sets it off,
    who acts, and the steps in order with whom each one notifies."""
    out = Text()
    out.append(f"{plan.name}\n", style="bold")
    out.append(t("plans.trigger", text=plan.trigger) + "\n")
    roles = "；".join(
        f"{role.name}：{role.duty}" if role.duty else role.name for role in plan.roles
    )
    out.append(t("plans.roles", roles=roles) + "\n")
    for number, step in enumerate(plan.steps, 1):
        out.append(f"{number:>2}. {step.text}")
        out.append(f" [{plan.role(step.role).name}]", style="dim")
        if step.notify:
            out.append(" " + t("plans.notify", who="、".join(step.notify)), style="italic")
        if step.guidance:
            out.append(f"\n      {step.guidance}", style="dim")
        out.append("\n")
    return out
