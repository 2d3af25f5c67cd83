"""``dutydesk export roster`` and ``dutydesk export assurance``: the roster with its swaps
and off-roster handovers, and the daily assurance report, in CSV, Markdown and PDF, read
back; the supervisor's to export."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from data.accounts import Accounts
from data.config import load_site_config
from data.desk import open_desk
from data.records.roster.model import plan
from tests.support.cli import Cli, add_user
from tests.unit.test_exports import pdf_text

pytestmark = pytest.mark.usefixtures("fast_scrypt")
SUPER_PW, OPER_PW = "Lead#2026c", "Duty#2026a"
ASSURANCE = """    assurance:
      - name: 国庆节
        start: 2026-10-01
        end: 2026-10-02
        leader: 韦主任
        leader_phone: "13800001111"
"""


@pytest.fixture
def with_roster(initialised: Cli) -> Cli:
    """30 Sep to 2 Oct rostered by wangwu (1-2 Oct under 国庆节 assurance), a swap on
    1 Oct, and an incident reported on 1 Oct. wangwu is 王五 and zhangsan 张三; lisi has no
    full name."""
    text = initialised.site.read_text("utf-8")
    assert text.count("    assurance: []\n") == 1  # the template's empty list
    initialised.site.write_text(text.replace("    assurance: []\n", ASSURANCE), "utf-8")
    add_user(initialised, "wangwu", "supervisor", SUPER_PW, "王五")
    add_user(initialised, "zhangsan", "operator", OPER_PW, "张三")
    add_user(initialised, "lisi", "operator", OPER_PW)

    async def go() -> None:
        site = load_site_config(initialised.site).site
        holiday_morning = dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 local
        async with await open_desk(site, initialised.db, clock=lambda: holiday_morning) as desk:
            accounts = Accounts(desk.store, desk.audit)
            boss = await accounts.authenticate("wangwu", SUPER_PW)
            await desk.roster.save_day(
                boss,
                plan(
                    day=dt.date(2026, 9, 30),
                    shifts={"白班": ["zhangsan"], "夜班": ["lisi"]},
                    vendors="华为 400-822-9999",
                ),
            )
            for day in (dt.date(2026, 10, 1), dt.date(2026, 10, 2)):
                both = ["zhangsan", "lisi"]
                await desk.roster.save_day(
                    boss, plan(day=day, shifts={"白班": both, "夜班": [*both[::-1]]})
                )
            await desk.roster.swap(boss, dt.date(2026, 10, 1), "夜班", "lisi", "wangwu", "病假")
            operator = await accounts.authenticate("zhangsan", OPER_PW)
            await desk.incidents.open_manual(operator, "外网出口丢包", "major", "network")

    asyncio.run(go())
    return initialised


def export(cli: Cli, kind: str, *options: str, user: str = "wangwu") -> str:
    code, out, err = cli(
        "export",
        kind,
        "--from",
        "2026-09-30",
        "--to",
        "2026-10-02",
        *options,
        "--user",
        user,
        "--password-stdin",
        stdin=(SUPER_PW if user == "wangwu" else OPER_PW) + "\n",
    )
    assert code == 0, err
    return out


def assert_roster_in(text: str) -> None:
    for expected in ("2026-09-30", "2026-10-02", "国庆节", "韦主任", "华为 400-822-9999", "病假"):
        assert expected in text, expected
    assert "王五" in text and "lisi" in text  # the swap's two names, by full name if any
    assert "zhangsan" not in text  # people are named, not accounts


def test_roster_export_in_three_formats(with_roster: Cli, tmp_path: Path) -> None:
    csv_text = export(with_roster, "roster")
    assert_roster_in(csv_text)
    assert "Leader on call" in csv_text and "Replaced by" in csv_text  # both tables
    rows = [line for line in csv_text.splitlines() if line.startswith("2026-")]
    assert rows[0].startswith("2026-09-30,Wed,,张三,lisi,")  # a day per row
    markdown = export(with_roster, "roster", "--format", "md")
    assert markdown.startswith("# Duty roster")
    assert_roster_in(markdown)
    pdf = tmp_path / "roster.pdf"
    export(with_roster, "roster", "--format", "pdf", "--out", str(pdf))
    assert_roster_in(pdf_text(pdf))


def test_the_daily_assurance_report(with_roster: Cli, tmp_path: Path) -> None:
    markdown = export(with_roster, "assurance", "--format", "md")
    assert markdown.startswith("# Holiday assurance daily report")
    assert "## 2026-10-01 (Thu) assurance report" in markdown
    assert "## 2026-10-02 (Fri) assurance report" in markdown
    assert "2026-09-30" not in markdown.split("##", 1)[1]  # not under assurance
    first_day = markdown.split("## 2026-10-01")[1].split("## 2026-10-02")[0]
    assert "Leader on call: 韦主任 13800001111" in first_day
    assert "夜班: 王五、张三" in first_day  # after the swap, by full name
    assert "Swap: 夜班 lisi → 王五 (病假)" in first_day
    assert "外网出口丢包" in first_day
    assert "No incidents reported" in markdown.split("## 2026-10-02")[1]
    pdf = tmp_path / "assurance.pdf"
    export(with_roster, "assurance", "--format", "pdf", "--out", str(pdf))
    assert "外网出口丢包" in pdf_text(pdf) and "韦主任" in pdf_text(pdf)
    assert "外网出口丢包" in export(with_roster, "assurance")  # csv: the incidents' table


def test_roster_export_is_the_supervisors(with_roster: Cli) -> None:
    code, out, err = with_roster(
        "export",
        "roster",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-02",
        "--user",
        "zhangsan",
        "--password-stdin",
        stdin=OPER_PW + "\n",
    )
    assert code == 2 and "may not" in err and out == ""
