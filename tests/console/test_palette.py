"""Pilot tests of the command palette: its commands, its prompt and its key read in the
operator's language, and a locked console offers no way around the lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandInput, CommandList, CommandPalette
from textual.pilot import Pilot

from console.app import DutyDeskApp
from data.i18n import t
from tests.support.console import ACCOUNTS, log_in, make_app, wait_until

pytestmark = pytest.mark.usefixtures("fast_scrypt")
TEXTUAL_TITLES = {"Theme", "Quit", "Keys", "Screenshot", "Maximize", "Minimize"}


async def open_palette(pilot: Pilot[int]) -> list[str]:
    """Open the palette; the titles of the commands it lists before anything is typed."""
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    commands = pilot.app.screen.query_one(CommandList)
    await wait_until(pilot, lambda: commands.option_count > 0)
    return [
        str(commands.get_option_at_index(i).prompt).split("\n")[0]
        for i in range(commands.option_count)
    ]


async def test_the_palette_speaks_the_operators_language(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="zh_CN", run_checks=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        assert app.screen.active_bindings["ctrl+p"].binding.description == t("binding.palette")
        titles = await open_palette(pilot)
        assert not TEXTUAL_TITLES & set(titles), titles
        assert {t("nav.alarms"), t("palette.lock"), t("palette.quit")} <= set(titles)
        prompt = app.screen.query_one(CommandInput)
        assert prompt.placeholder == t("palette.placeholder")
        await pilot.press(*t("nav.alarms"), "enter")  # a section by its name
        await wait_until(pilot, lambda: app.screen.id == "section-alarms")


async def test_a_locked_console_offers_no_section_in_the_palette(seeded_db: Path) -> None:
    app = make_app(seeded_db, language="en", run_checks=False)
    async with app.run_test(size=(120, 36)) as pilot:
        assert isinstance(app, DutyDeskApp)
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: app.locked_for() == "zhangsan")
        titles = await open_palette(pilot)
        assert t("nav.alarms") not in titles and t("palette.lock") not in titles
        assert t("palette.quit") in titles  # asks for the password (console.screens.session.quit)
