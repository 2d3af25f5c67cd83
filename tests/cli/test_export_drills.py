"""``dutydesk export drills``: the drills of a period in CSV, Markdown and PDF, read back:
the plan, scenario, participants, findings and follow-ups, and each drill's step log (who,
when, a skipped step's reason); a plan run for an incident is not a drill; the
supervisor's to export, and audited."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from data.accounts import Accounts
from data.config import load_site_config
from data.desk import open_desk
from tests.support.cli import Cli, add_user
from tests.unit.test_exports import pdf_text

pytestmark = pytest.mark.usefixtures("fast_scrypt")
SUPER_PW, OPER_PW = "Lead#2026c", "Duty#2026a"


@pytest.fixture
def with_drill(initialised: Cli) -> Cli:
    """A finished ransomware drill (one step skipped) and a power plan run for an incident."""
    add_user(initialised, "wangwu", "supervisor", SUPER_PW)
    add_user(initialised, "zhangsan", "operator", OPER_PW)

    async def go() -> None:
        site = load_site_config(initialised.site).site
        async with await open_desk(site, initialised.db) as desk:
            user = await Accounts(desk.store, desk.audit).authenticate("zhangsan", OPER_PW)
            book = desk.emergency
            drill = await book.start_drill(user, "ransomware", "模拟办公网主机被加密")
            for step in drill.steps:
                skipped = step.id == "escalate"
                reason = "演练不实际上报" if skipped else ""
                await book.log_step(
                    user, drill.id, step.id, "skipped" if skipped else "done", reason
                )
            await book.finish(user, drill.id, ["张三", "李四"], "隔离用时 6 分钟", ["更新离线备份"])
            incident = await desk.incidents.open_manual(user, "机房停电", "critical", "environment")
            await book.start_for_incident(user, "power-failure", incident.id)

    asyncio.run(go())
    return initialised


def export(
    cli: Cli, *options: str, user: str = "wangwu", password: str = SUPER_PW
) -> tuple[int, str, str]:
    return cli(
        "export",
        "drills",
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
        *options,
        "--user",
        user,
        "--password-stdin",
        stdin=password + "\n",
    )


def assert_drill_in(text: str) -> None:
    for expected in (
        "勒索病毒应急预案",
        "模拟办公网主机被加密",
        "张三",
        "隔离用时 6 分钟",
        "更新离线备份",
        "演练不实际上报",
        "立即断开受感染主机网络",
    ):
        assert expected in text, expected
    assert "机房停电应急预案" not in text  # a plan run for an incident is not a drill


def test_drills_export_in_three_formats(with_drill: Cli, tmp_path: Path) -> None:
    code, out, err = export(with_drill)
    assert code == 0, err
    assert_drill_in(out)
    rows = list(csv.reader(io.StringIO(out)))
    assert any("Participants" in row and "Findings" in row for row in rows)
    assert any("Skipped" in row and "zhangsan" in row for row in rows)

    code, markdown, err = export(with_drill, "--format", "md")
    assert code == 0, err
    assert markdown.startswith("# Emergency drills")
    assert_drill_in(markdown)

    pdf = tmp_path / "drills.pdf"
    code, _, err = export(with_drill, "--format", "pdf", "--out", str(pdf))
    assert code == 0, err
    assert_drill_in(pdf_text(pdf).replace("\n", ""))


def test_drills_export_is_the_supervisors_and_audited(with_drill: Cli) -> None:
    code, _, err = export(with_drill, user="zhangsan", password=OPER_PW)
    assert code == 2 and "may not" in err
    code, _, err = export(with_drill)
    assert code == 0, err

    async def exports() -> list[str]:
        site = load_site_config(with_drill.site).site
        async with await open_desk(site, with_drill.db) as desk:
            return [e.user or "" for e in await desk.audit.query(action="export.drills")]

    assert asyncio.run(exports()) == ["wangwu"]
