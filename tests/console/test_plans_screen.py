"""Pilot tests of the emergency plans section (key 0) and of starting a plan from an
incident (key p in the incidents section): the step log in a few keys (done, skipped
with a reason, refused without one and nothing typed lost), a drill started, logged and
finished with its participants and findings, in Chinese at 80x24 and in English at
160x45. The app runs on a real store without probing; the clock is fixed."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from console.app import DutyDeskApp
from console.screens.incidents.screen import IncidentsScreen
from console.screens.plans.dialogs import PlanForm, PlansViewer
from console.screens.plans.screen import PlansScreen
from data.desk import open_desk
from data.records.emergency.model import PlanRun
from tests.support.console import wait_until
from tests.support.incidents import (
    OPERATOR,
    audited,
    form,
    go_to,
    quiet_app,
    seed_incidents,
    start,
    text,
)

pytestmark = pytest.mark.usefixtures("fast_scrypt")


async def a_run(app: DutyDeskApp, run_id: int) -> PlanRun:
    return await app.desk.emergency.get(run_id)


@pytest.mark.parametrize(("language", "size"), [("zh_CN", (80, 24)), ("en", (160, 45))])
async def test_a_plan_started_from_an_incident_is_logged_step_by_step(
    seeded_db: Path, language: str, size: tuple[int, int]
) -> None:
    await seed_incidents(seeded_db)
    app = quiet_app(seeded_db, language=language)
    async with app.run_test(size=size) as pilot:
        await start(pilot)
        await go_to(pilot, "6", "incidents")
        incidents = app.screen
        assert isinstance(incidents, IncidentsScreen)
        await wait_until(pilot, lambda: incidents.selected is not None)
        incident = incidents.selected
        assert incident is not None

        await pilot.press("p")  # one key: the incident's plan
        await wait_until(pilot, lambda: isinstance(app.screen, PlanForm))
        assert form(app).values()["plan"] in {p.id for p in app.desk.emergency.plans}
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is incidents)
        runs = await app.desk.emergency.for_incident(incident.id)
        assert len(runs) == 1 and runs[0].started_by == OPERATOR.name
        await wait_until(pilot, lambda: runs[0].plan_name in text(app, "#incidents-details-text"))

        await go_to(pilot, "0", "plans")
        plans = app.screen
        assert isinstance(plans, PlansScreen)
        await wait_until(pilot, lambda: plans.selected is not None)
        assert plans.selected is not None and plans.selected.id == runs[0].id

        await pilot.press("l")  # the next step, done
        await wait_until(pilot, lambda: isinstance(app.screen, PlanForm))
        first = runs[0].steps[0]
        assert form(app).values()["step_id"] == first.id
        await pilot.press(*"ok")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is plans)
        logged = (await a_run(app, runs[0].id)).step(first.id)
        assert (logged.outcome, logged.who, logged.note) == ("done", OPERATOR.name, "ok")

        await pilot.press("l")  # skipped without a reason: refused under the note
        await wait_until(pilot, lambda: isinstance(app.screen, PlanForm))
        second = runs[0].steps[1]
        assert form(app).values()["step_id"] == second.id
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: bool(form(app).error("note")))
        app.screen.query_one("#field-note", Input).value = "电话不通"
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: app.screen is plans)
        skipped = (await a_run(app, runs[0].id)).step(second.id)
        assert (skipped.outcome, skipped.note) == ("skipped", "电话不通")
        await wait_until(pilot, lambda: "电话不通" in text(app, "#plans-details-text"))


async def test_a_drill_is_started_logged_and_finished_with_its_findings(seeded_db: Path) -> None:
    app = quiet_app(seeded_db, language="zh_CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await go_to(pilot, "0", "plans")
        assert isinstance(app.screen, PlansScreen)
        plans: PlansScreen = app.screen

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, PlanForm))
        await pilot.press("ctrl+s")  # no scenario: refused under it
        await wait_until(pilot, lambda: bool(form(app).error("scenario")))
        app.screen.query_one("#field-scenario", TextArea).text = "模拟勒索病毒感染办公网主机"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is plans and plans.selected is not None)
        drill = plans.selected
        assert drill is not None and drill.is_drill and drill.started_by == OPERATOR.name
        for step in drill.steps:
            await app.desk.emergency.log_step(OPERATOR, drill.id, step.id)
        plans.reload()  # a worker: "f" must not race it to the run's logged steps
        await wait_until(pilot, lambda: plans.selected is not None and not plans.selected.pending)

        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, PlanForm))
        await pilot.press("ctrl+s")  # nothing filled in: both refusals at once
        await wait_until(
            pilot, lambda: bool(form(app).error("participants") and form(app).error("findings"))
        )
        dialog = app.screen
        dialog.query_one("#field-participants", TextArea).text = "张三\n李四"
        dialog.query_one("#field-findings", TextArea).text = "隔离用时 6 分钟"
        dialog.query_one("#field-follow_ups", TextArea).text = "更新离线备份清单"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is plans)
        done = await a_run(app, drill.id)
        assert done.status == "finished"
        assert done.participants == ("张三", "李四") and done.follow_ups == ("更新离线备份清单",)
        await wait_until(pilot, lambda: "隔离用时 6 分钟" in text(app, "#plans-details-text"))


async def test_a_step_logged_at_another_console_shows_without_a_key(seeded_db: Path) -> None:
    app = quiet_app(seeded_db, language="zh_CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        run = await app.desk.emergency.start_drill(OPERATOR, "ransomware", "演练")
        await go_to(pilot, "0", "plans")
        plans = app.screen
        assert isinstance(plans, PlansScreen)
        await wait_until(pilot, lambda: plans.selected is not None)
        async with await open_desk(app.desk.site, seeded_db) as other:
            await other.emergency.log_step(OPERATOR, run.id, "isolate", note="已拔掉网线")
        await wait_until(pilot, lambda: "已拔掉网线" in text(app, "#plans-details-text"))


@pytest.mark.parametrize(("user", "written"), [("zhangsan", False), ("wangwu", True)])
async def test_x_files_the_runs_record_for_a_supervisor(
    seeded_db: Path, user: str, written: bool
) -> None:
    app = quiet_app(seeded_db, language="zh_CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, user)
        run = await app.desk.emergency.start_drill(OPERATOR, "ransomware", "模拟勒索病毒")
        await app.desk.emergency.log_step(OPERATOR, run.id, "isolate", "skipped", "演练不断网")
        await go_to(pilot, "0", "plans")
        plans = app.screen
        assert isinstance(plans, PlansScreen)
        await wait_until(pilot, lambda: plans.selected is not None)
        await pilot.press("x")
        outcomes = await audited(pilot, app, "plan.export")
    assert outcomes == (["ok"] if written else ["denied"])
    markdown = seeded_db.parent / "exports" / f"plan-run-{run.id}.md"
    assert markdown.exists() == written
    if written:
        text = markdown.read_text("utf-8")
        assert "勒索病毒应急预案" in text and "模拟勒索病毒" in text and "演练不断网" in text
        assert (seeded_db.parent / "exports" / f"plan-run-{run.id}.pdf").stat().st_size > 0


async def test_v_shows_the_sites_plans_with_their_steps_and_whom_to_notify(
    seeded_db: Path,
) -> None:
    app = quiet_app(seeded_db, language="zh_CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await go_to(pilot, "0", "plans")
        plans = app.screen
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, PlansViewer))
        shown = text(app, "#plans-viewer-text")
        for expected in ("机房停电应急预案", "勒索病毒应急预案", "触发条件", "供电公司", "网信办"):
            assert expected in shown, expected
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is plans)
