"""``dutydesk export calls``: hotline calls and follow-ups in CSV, Markdown and PDF, read
back; the supervisor's to export, and callers' numbers masked in every format."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from data.accounts import Accounts
from data.config import load_site_config
from data.desk import open_desk
from tests.support.cli import Cli, add_user
from tests.unit.test_exports import pdf_text

pytestmark = pytest.mark.usefixtures("fast_scrypt")
SUPER_PW, OPER_PW = "Lead#2026c", "Duty#2026a"
PHONE_DIGITS = "13877123456"


@pytest.fixture
def with_calls(initialised: Cli) -> Cli:
    """Two calls (one turned into an incident, closed and followed up) logged by zhangsan."""
    add_user(initialised, "wangwu", "supervisor", SUPER_PW)
    add_user(initialised, "zhangsan", "operator", OPER_PW)

    async def go() -> None:
        site = load_site_config(initialised.site).site
        async with await open_desk(site, initialised.db) as desk:
            user = await Accounts(desk.store, desk.audit).authenticate("zhangsan", OPER_PW)
            call = await desk.hotline.log_call(
                user, caller="陈秀英", unit="市人社局", phone="138 7712 3456", topic="社保登录超时"
            )
            await desk.hotline.log_call(user, caller="周强", topic="咨询办事大厅开放时间")
            incident = await desk.hotline.open_incident(user, call.id, "major", "application")
            await desk.incidents.resolve(user, incident.id, "会话池耗尽", "扩容会话池")
            await desk.incidents.close(user, incident.id)
            await desk.hotline.record_followup(
                user, incident.id, contact="陈秀英", satisfaction="dissatisfied", remarks="修复太慢"
            )

    asyncio.run(go())
    return initialised


def export(cli: Cli, *options: str, user: str = "wangwu", password: str = SUPER_PW) -> str:
    code, out, err = cli(
        "export",
        "calls",
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
    assert code == 0, err
    return out


def assert_calls_in(text: str) -> None:
    for expected in ("陈秀英", "市人社局", "社保登录超时", "周强", "138****3456", "修复太慢"):
        assert expected in text, expected
    assert "Dissatisfied" in text  # the satisfaction by its name, in the site's language
    assert PHONE_DIGITS not in text.replace(" ", "")


def test_calls_export_in_three_formats_keeps_numbers_masked(
    with_calls: Cli, tmp_path: Path
) -> None:
    csv_text = export(with_calls)
    assert_calls_in(csv_text)
    assert "Caller" in csv_text and "Satisfaction" in csv_text  # both tables' headings
    markdown = export(with_calls, "--format", "md")
    assert markdown.startswith("# Hotline calls and follow-ups")
    assert_calls_in(markdown)
    pdf = tmp_path / "calls.pdf"
    export(with_calls, "--format", "pdf", "--out", str(pdf))
    assert_calls_in(pdf_text(pdf))


def test_calls_export_is_the_supervisors(with_calls: Cli) -> None:
    code, out, err = with_calls(
        "export",
        "calls",
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
        "--user",
        "zhangsan",
        "--password-stdin",
        stdin=OPER_PW + "\n",
    )
    assert code == 2 and "may not" in err and out == ""
