"""Emergency plans and drills: the plan files (format, file:line errors, the site's drill
plan), and the run book (data.records.emergency): the timed step log attached to an
incident, drills with participants and findings, roles, audit rows, validation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from data.accounts import User
from data.audit import AuditTrail
from data.clock import ManualClock
from data.config import SiteConfigError, load_site_config
from data.emergency_plans import load_plan, shipped_plans
from data.exports.incident_doc import incident_document
from data.exports.markdown import to_markdown
from data.exports.report_doc import report_document
from data.models import Emergency
from data.plan_templates import template_text
from data.records.emergency.book import EmergencyBook
from data.records.emergency.model import EmergencyError, EmergencyRefused
from data.records.incidents.book import IncidentBook
from data.records.reports.book import monthly
from data.roles import PermissionDenied, Role
from data.store import Store
from tests.unit.test_incidents import make_site

OPERATOR = User(2, "wang", "王伟", Role.OPERATOR)
SUPERVISOR = User(3, "li", "李强", Role.SUPERVISOR)
ADMIN = User(1, "admin", "管理员", Role.ADMIN)
AUDITOR = User(4, "zhao", "赵敏", Role.AUDITOR)


@pytest.fixture
async def store(any_store: Any) -> Any:
    return any_store


@pytest.fixture
async def book(store: Store, audit: AuditTrail, clock: ManualClock) -> AsyncIterator[EmergencyBook]:
    yield EmergencyBook(store, audit, shipped_plans(), clock)
    verdict = await audit.verify()
    assert verdict.ok, verdict.reason


@pytest.fixture
def incidents(store: Store, audit: AuditTrail, clock: ManualClock) -> IncidentBook:
    return IncidentBook(store, audit, make_site(), clock=clock)


async def an_incident(incidents: IncidentBook) -> int:
    incident = await incidents.open_manual(OPERATOR, "机房停电", "critical", "environment")
    return incident.id


# The plan files.


def test_shipped_plans_are_chinese_with_roles_and_ordered_steps() -> None:
    plans = {plan.id: plan for plan in shipped_plans()}
    assert set(plans) == {"power-failure", "core-switch-down", "ransomware"}
    assert plans["power-failure"].name == "机房停电应急预案"
    assert plans["ransomware"].trigger_kind == "security"
    first = plans["ransomware"].steps[0]
    assert first.id == "isolate" and plans["ransomware"].role(first.role).name == "值班员"
    assert "带班领导" in plans["power-failure"].step("report").notify


def test_a_plan_with_an_unknown_role_and_a_duplicate_step_is_refused_at_its_lines(
    tmp_path: Path,
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        "id: fire\nname: 火灾\ntrigger_kind: environment\ntrigger: 烟感告警\n"
        "roles:\n  - id: duty\n    name: 值班员\n"
        "steps:\n  - id: call\n    text: 报警\n    role: boss\n"
        "  - id: call\n    text: 疏散\n    role: duty\n",
        encoding="utf-8",
    )
    with pytest.raises(SiteConfigError) as raised:
        load_plan(path)
    lines = [str(issue) for issue in raised.value.errors]
    assert any(":11: steps[call].role: unknown role 'boss'" in line for line in lines), lines
    assert any(":12: " in line and "duplicate id 'call'" in line for line in lines), lines


def test_a_plan_missing_its_trigger_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(template_text("ransomware.yaml").replace("trigger_kind: security\n", ""))
    with pytest.raises(SiteConfigError, match="trigger_kind: required key is missing"):
        load_plan(path)


def site_file(tmp_path: Path, emergency: str) -> Path:
    (tmp_path / "plans").mkdir(exist_ok=True)
    (tmp_path / "plans" / "power.yaml").write_text(template_text("power-failure.yaml"))
    path = tmp_path / "site.yaml"
    path.write_text(
        "site:\n  name: 测试机房\n  shifts:\n    - {name: 白班, start: '08:30', end: '17:30'}\n"
        "zones:\n  - {id: core, name: 核心区}\n" + emergency,
        encoding="utf-8",
    )
    return path


def test_the_site_lists_its_plans_and_the_years_drill_plan(tmp_path: Path) -> None:
    path = site_file(
        tmp_path,
        "emergency:\n  plans: [plans/power.yaml]\n"
        "  drills:\n    - {plan: power-failure, month: 6}\n",
    )
    site = load_site_config(path).site
    assert site.emergency.plans == [tmp_path / "plans" / "power.yaml"]
    assert site.emergency.drills[0].plan == "power-failure"


def test_a_drill_plan_naming_an_unknown_plan_is_refused_at_its_line(tmp_path: Path) -> None:
    path = site_file(
        tmp_path,
        "emergency:\n  plans: [plans/power.yaml]\n  drills:\n"
        "    - {plan: power-failure, month: 6}\n    - {plan: ransomware, month: 13}\n",
    )
    with pytest.raises(SiteConfigError) as raised:
        load_site_config(path)
    text = str(raised.value)
    assert "site.yaml:11: emergency.drills[1].plan: unknown plan 'ransomware'" in text, text
    assert "emergency.drills[1].month" in text


# Runs from an incident.


async def test_a_plan_started_from_an_incident_logs_who_did_each_step_and_when(
    book: EmergencyBook, incidents: IncidentBook, clock: ManualClock
) -> None:
    incident_id = await an_incident(incidents)
    run = await book.start_for_incident(OPERATOR, "power-failure", incident_id)
    assert run.kind == "incident" and run.incident_id == incident_id
    assert run.next_step is not None and run.next_step.id == "confirm"
    clock.advance(timedelta(minutes=3))
    run = await book.log_step(OPERATOR, run.id, "confirm", note="UPS 剩余 40 分钟")
    step = run.step("confirm")
    assert (step.outcome, step.who, step.at, step.note) == (
        "done",
        "wang",
        clock(),
        "UPS 剩余 40 分钟",
    )
    assert run.next_step is not None and run.next_step.id == "report"
    assert [r.id for r in await book.for_incident(incident_id)] == [run.id]


async def test_a_skipped_step_needs_a_reason(book: EmergencyBook, incidents: IncidentBook) -> None:
    run = await book.start_for_incident(OPERATOR, "power-failure", await an_incident(incidents))
    with pytest.raises(EmergencyError) as refused:
        await book.log_step(OPERATOR, run.id, "generator", "skipped", "  ")
    assert refused.value.code == "reason_required" and refused.value.params["field"] == "note"
    run = await book.log_step(OPERATOR, run.id, "generator", "skipped", "本机房无发电机")
    assert run.step("generator").outcome == "skipped"


async def test_a_step_is_logged_once_and_a_run_finishes_only_when_every_step_is_logged(
    book: EmergencyBook, incidents: IncidentBook
) -> None:
    run = await book.start_for_incident(OPERATOR, "ransomware", await an_incident(incidents))
    await book.log_step(OPERATOR, run.id, "isolate")
    with pytest.raises(EmergencyError) as twice:
        await book.log_step(OPERATOR, run.id, "isolate")
    assert twice.value.code == "step_logged"
    with pytest.raises(EmergencyError) as unknown:
        await book.log_step(OPERATOR, run.id, "pray")
    assert unknown.value.code == "no_such_step"
    with pytest.raises(EmergencyError) as early:
        await book.finish(OPERATOR, run.id)
    assert early.value.code == "steps_pending" and early.value.params["count"] == 6
    for step in run.steps[1:]:
        await book.log_step(OPERATOR, run.id, step.id)
    done = await book.finish(OPERATOR, run.id)
    assert done.status == "finished" and done.finished_by == "wang"
    with pytest.raises(EmergencyError) as after:
        await book.log_step(OPERATOR, run.id, "isolate")
    assert after.value.code in ("run_finished", "step_logged")


async def test_a_plan_needs_an_open_incident_and_runs_once_at_a_time(
    book: EmergencyBook, incidents: IncidentBook
) -> None:
    with pytest.raises(EmergencyError) as missing:
        await book.start_for_incident(OPERATOR, "power-failure", 999)
    assert missing.value.code == "no_such_incident"
    incident_id = await an_incident(incidents)
    with pytest.raises(EmergencyError) as no_plan:
        await book.start_for_incident(OPERATOR, "flood", incident_id)
    assert no_plan.value.code == "no_such_plan"
    await book.start_for_incident(OPERATOR, "power-failure", incident_id)
    with pytest.raises(EmergencyError) as again:
        await book.start_for_incident(OPERATOR, "power-failure", incident_id)
    assert again.value.code == "plan_already_running"


# Drills.


async def finished_drill(book: EmergencyBook) -> int:
    run = await book.start_drill(SUPERVISOR, "core-switch-down", "模拟核心交换机主机断电")
    for step in run.steps:
        await book.log_step(OPERATOR, run.id, step.id)
    return run.id


async def test_a_drill_closes_with_participants_findings_and_follow_ups(
    book: EmergencyBook,
) -> None:
    run_id = await finished_drill(book)
    run = await book.finish(
        SUPERVISOR, run_id, ["王伟", " 李强 ", ""], "备用核心切换用时 4 分钟", ["补充切换操作卡"]
    )
    assert run.is_drill and run.incident_id is None
    assert run.participants == ("王伟", "李强")
    assert run.findings == "备用核心切换用时 4 分钟"
    assert run.follow_ups == ("补充切换操作卡",)


async def test_a_drill_without_participants_or_findings_is_refused_field_by_field(
    book: EmergencyBook,
) -> None:
    with pytest.raises(EmergencyError) as no_scenario:
        await book.start_drill(SUPERVISOR, "ransomware", " ")
    assert no_scenario.value.code == "scenario_required"
    run_id = await finished_drill(book)
    with pytest.raises(EmergencyRefused) as refused:
        await book.finish(SUPERVISOR, run_id, [" "], "")
    problems = {(p.code, p.params["field"]) for p in refused.value.problems}
    assert problems == {
        ("participants_required", "participants"),
        ("findings_required", "findings"),
    }
    with pytest.raises(EmergencyError) as too_long:
        await book.finish(SUPERVISOR, run_id, ["王伟"], "x" * 2001)
    assert too_long.value.code == "text_too_long"
    assert (await book.get(run_id)).status == "running"


# Roles and the audit trail.


@pytest.mark.parametrize("actor", [ADMIN, AUDITOR])
async def test_only_the_watch_runs_plans_and_a_refusal_is_audited(
    book: EmergencyBook, audit: AuditTrail, actor: User
) -> None:
    with pytest.raises(PermissionDenied):
        await book.start_drill(actor, "ransomware", "演练")
    run = await book.start_drill(OPERATOR, "ransomware", "演练")
    with pytest.raises(PermissionDenied):
        await book.log_step(actor, run.id, "isolate")
    denied = [e for e in await audit.query() if e.outcome == "denied"]
    assert [(e.user, e.action, e.object) for e in denied] == [
        (actor.name, "plan.step", f"plan_run:{run.id}"),
        (actor.name, "plan.start", "drill:new"),
    ]


async def test_every_change_leaves_one_audit_row(book: EmergencyBook, audit: AuditTrail) -> None:
    run_id = await finished_drill(book)
    await book.finish(SUPERVISOR, run_id, ["王伟"], "顺利", [])
    rows = [e for e in await audit.query(limit=100) if e.object == f"plan_run:{run_id}"]
    actions = sorted(e.action for e in rows)
    assert actions == ["plan.finish", "plan.start"] + ["plan.step"] * 7
    start = next(e for e in rows if e.action == "plan.start")
    assert start.user == "li" and start.detail["plan"] == "core-switch-down"
    step = next(e for e in rows if e.action == "plan.step")
    assert step.detail["outcome"] == "done"


async def test_the_step_log_cannot_be_rewritten(book: EmergencyBook, store: Store) -> None:
    run = await book.start_drill(OPERATOR, "ransomware", "演练")
    await book.log_step(OPERATOR, run.id, "isolate")
    with pytest.raises(Exception, match="cannot be changed"):
        await store.write("UPDATE plan_run_steps SET who = 'someone'")


# The monthly report.


async def test_the_report_lists_the_drills_against_the_years_drill_plan(
    store: Store, audit: AuditTrail, clock: ManualClock, incidents: IncidentBook
) -> None:
    site = make_site()
    drills = {
        "drills": [
            {"plan": p, "month": m}
            for p, m in (("power-failure", 1), ("ransomware", 12), ("core-switch-down", 2))
        ]
    }
    site = site.model_copy(update={"emergency": Emergency.model_validate(drills)})
    book = EmergencyBook(store, audit, shipped_plans(), clock)
    run_id = (await book.start_drill(SUPERVISOR, "power-failure", "模拟市电中断")).id
    for step in (await book.get(run_id)).steps:
        await book.log_step(OPERATOR, run_id, step.id)
    await book.finish(SUPERVISOR, run_id, ["王伟"], "UPS 切换正常", [])
    await book.start_for_incident(OPERATOR, "ransomware", await an_incident(incidents))
    month = clock().astimezone(site.site.tz).strftime("%Y-%m")
    report = await monthly(store, site, month, clock=clock)
    assert report.drills is not None
    assert [run.id for run in report.drills.drills] == [run_id]
    assert report.drills.incident_runs == 1
    statuses = {p.plan_id: (p.status, p.done) for p in report.drills.planned}
    assert statuses["power-failure"] == ("done", 1)
    assert statuses["ransomware"] == ("due", 0)  # December is still to come
    assert statuses["core-switch-down"][0] == (
        "overdue" if clock().astimezone(site.site.tz).month > 2 else "due"
    )
    text = to_markdown(report_document(report))
    assert "模拟市电中断" in text and "UPS 切换正常" in text and "核心交换机故障应急预案" in text


async def test_the_incident_record_carries_the_step_log_of_its_plan(
    book: EmergencyBook, incidents: IncidentBook
) -> None:
    incident_id = await an_incident(incidents)
    run = await book.start_for_incident(OPERATOR, "power-failure", incident_id)
    await book.log_step(OPERATOR, run.id, "generator", "skipped", "本机房无发电机")
    document = incident_document(
        await incidents.get(incident_id), plan_runs=await book.for_incident(incident_id)
    )
    text = to_markdown(document)
    assert "机房停电应急预案" in text and "启动发电机（如有），确认切换正常" in text
    assert "本机房无发电机" in text and "wang" in text


def test_a_missing_plan_file_is_named_where_site_yaml_lists_it(tmp_path: Path) -> None:
    path = site_file(tmp_path, "emergency:\n  plans: [plans/power.yaml, plans/flood.yaml]\n")
    with pytest.raises(SiteConfigError) as raised:
        load_site_config(path)
    text = str(raised.value)
    assert "site.yaml:8: emergency.plans[1]: plan " in text, text
    assert "flood.yaml: file not found" in text
